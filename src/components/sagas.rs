//! The "Sagas" drawer: when the scenario runs an order saga, a "Place order" form, "Saga
//! orders per tick" with "Start order stream" / "Stop order stream" (the engine's order
//! stream), a region
//! "Saga ORDER-ID" per order (its state, the steps done in order, then the compensations in
//! the order they ran) and a region "Balances" (stock per product, money charged and
//! refunded, the conservation checks). "Break things": the toggles "Fail payment", "Fail
//! inventory", "Fail shipping" (checked while the engine holds a rule that fails the step's
//! next call) and "Fail refund" (every refund fails while checked), "Fail payment with
//! probability (%)", "Take down NAME" / "Bring up NAME" and "Slow NAME" / "Speed up NAME"
//! per service, and a region "Dead letters" with a "Resubmit" per record and a per-topic
//! "Resubmit all". Each saga region lists its retries; the list is virtualised (only the
//! regions in view are drawn) so 1,000 sagas stay smooth. Everything shown is read from the engine's saga summaries,
//! fault rules, trace and invariant checks (see [`crate::sagas`]); every action is a logged
//! saga command.

use crate::components::explain::Explain;
use crate::components::row_viewport::RowViewport;
use crate::sagas::{check_lines, saga_window, saga_window_label, SAGA_LIST, SAGA_ROW_PX};
use crate::sagas::{
    dead_letters, is_armed, next_order_id, order_stream_status, orders_per_tick,
    parse_orders_per_tick, parse_payment_chance, payment_chance, record_check_violations,
    record_checks_wait_ms, retries, retry_timeline, saga_rows_in, service_label, services,
    slowdown, slowdown_action, stop_order_stream, DeadLetterRow, FaultToggleDraft, PlaceOrderDraft,
    SagaRow, FAULT_TOGGLES,
};
use crate::session::MAX_FIELD_CHARS;
use crate::state::{Announcer, Engine};
use leptos::prelude::*;
use orderflow_engine::saga::command::SagaCommand;
use orderflow_engine::saga::order_stream::MAX_STREAM_ORDERS_PER_TICK;

/// The sagas panel.
#[component]
pub fn SagasPanel() -> impl IntoView {
    let engine = expect_context::<Engine>();
    let has_saga = move || engine.read(|pg| pg.saga().is_some());
    view! {
        <section class="panel sagas-panel" aria-labelledby="sagas-title">
            <h2 id="sagas-title">"Sagas"</h2>
            <Show
                when=has_saga
                fallback=|| view! {
                    <p class="hint">"This scenario runs no order saga. Load a preset listed under “Sagas” in Presets to place orders and watch them compensate."</p>
                }
            >
                <PlaceOrderForm />
                <OrderStreamForm />
                <BreakThings />
                <BalancesView />
                <DeadLetters />
                <SagaList />
                <crate::components::saga_insight::SagaInsight />
            </Show>
            <Explain text="Each order runs a saga across the Order, Inventory, Payment and Shipping services, which are consumer groups on the stage. When a step fails, the steps already done are undone by compensations, in reverse order. The states, steps, compensations and balances are the engine's own, as `orderflow-cli` prints them." />
        </section>
    }
    .into_any()
}

/// "Customer", "Product", "Quantity" and "Place order": logs the saga's `place_order`.
#[component]
fn PlaceOrderForm() -> impl IntoView {
    let engine = expect_context::<Engine>();
    let announcer = expect_context::<Announcer>();
    let draft = RwSignal::new(PlaceOrderDraft::default());
    let error = RwSignal::new(None::<String>);
    let place = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let id = engine.read_untracked(|pg| next_order_id(pg.session()));
        let placed = draft
            .get_untracked()
            .parse(&id)
            .map_err(|e| e.to_string())
            .and_then(|command| {
                engine
                    .update(|pg| pg.try_saga(command))
                    .map_err(|e| e.to_string())
            });
        match placed {
            Ok(()) => {
                error.set(None);
                announcer.say(format!("Placed order {id}."));
            }
            Err(e) => error.set(Some(e)),
        }
    };
    let input = move |id: &'static str,
                      label: &'static str,
                      get: fn(&PlaceOrderDraft) -> String,
                      set: fn(&mut PlaceOrderDraft, String)| {
        view! {
            <label for=id>{label}</label>
            <input
                id=id
                type="text"
                maxlength=MAX_FIELD_CHARS
                prop:value=move || draft.with(get)
                on:input=move |ev| draft.update(|d| set(d, event_target_value(&ev)))
            />
        }
    };
    view! {
        <form class="fields place-order" on:submit=place aria-label="Place order">
            {input("order-customer", "Customer", |d| d.customer.clone(), |d, v| d.customer = v)}
            {input("order-product", "Product", |d| d.product.clone(), |d, v| d.product = v)}
            {input("order-quantity", "Quantity", |d| d.quantity.clone(), |d, v| d.quantity = v)}
            <button type="submit">"Place order"</button>
            <p class="error" role="alert">{move || error.get()}</p>
        </form>
    }
}

/// "Saga orders per tick" (the generator form has its own "Orders per tick") and "Start
/// order stream" / "Stop order stream": logs the saga's
/// `set_order_stream` (the engine draws each order's customer, product and quantity).
#[component]
fn OrderStreamForm() -> impl IntoView {
    let engine = expect_context::<Engine>();
    let announcer = expect_context::<Announcer>();
    let running =
        Memo::new(move |_| engine.read(|pg| pg.saga().map_or(0, |s| orders_per_tick(&s))));
    let text = RwSignal::new("1".to_string());
    let error = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let command = if running.get_untracked() > 0 {
            Ok(stop_order_stream())
        } else {
            parse_orders_per_tick(&text.get_untracked()).map_err(|e| e.to_string())
        };
        let done = command.and_then(|c| {
            engine
                .update(|pg| pg.try_saga(c))
                .map_err(|e| e.to_string())
        });
        match done {
            Ok(()) => {
                error.set(None);
                announcer.say(order_stream_status(running.get_untracked()));
            }
            Err(e) => error.set(Some(e)),
        }
    };
    view! {
        <form class="fields order-stream" novalidate on:submit=submit aria-label="Orders from the generator">
            <label for="saga-orders-per-tick">"Saga orders per tick"</label>
            <input id="saga-orders-per-tick" type="number" min="1" max=MAX_STREAM_ORDERS_PER_TICK inputmode="numeric" prop:value=move || text.get() on:input=move |ev| text.set(event_target_value(&ev)) />
            <button type="submit">{move || if running.get() > 0 { "Stop order stream" } else { "Start order stream" }}</button>
            <span class="hint">{move || order_stream_status(running.get())}</span>
            <p class="error" role="alert">{move || error.get()}</p>
        </form>
    }
}

/// Stock per product, money, and the engine's conservation checks.
#[component]
fn BalancesView() -> impl IntoView {
    let engine = expect_context::<Engine>();
    // One conservation run per state of the run, shared with the live region's check.
    let lines = Memo::new(move |_| engine.read(|pg| pg.balance_lines()));
    let stock = move || lines.with(|b| b.as_ref().map(|b| b.stock.clone()).unwrap_or_default());
    let money = move || lines.with(|b| b.as_ref().map(|b| b.money.clone()));
    let checks = Memo::new(move |_| {
        lines.with(|b| {
            b.as_ref()
                .map(|b| check_lines(&b.violations))
                .unwrap_or_default()
        })
    });
    let record_checks = use_record_checks(engine);
    // Keyed by line: a tick that ends or adds one violation among hundreds (a busy run
    // with stock run dry) touches that line alone, not the whole region.
    view! {
        <section class="balances" role="region" aria-label="Balances">
            <h3>"Balances"</h3>
            <ul class="stock">
                <For each=stock key=|l| l.clone() let:l><li>{l}</li></For>
            </ul>
            <p class="money">{money}</p>
            <ul class="checks">
                <For each=move || checks.get() key=|l| l.clone() let:l><li>{l}</li></For>
            </ul>
            <p class="record-checks">{move || match record_checks.get() {
                None => "Record checks (outbox, dead letters, read models): not run yet.".to_string(),
                Some((tick, v)) if v.is_empty() => format!("Record checks at tick {tick} (outbox, dead letters, read models) hold."),
                Some((tick, v)) => format!("Record checks at tick {tick}: {}", v.join("; ")),
            }}</p>
        </section>
    }
}

/// The full invariant check beyond conservation, as `(tick, violations)`: run at most every
/// [`crate::sagas::RECORD_CHECKS_EVERY_MS`] while the engine changes, or longer when the last run took
/// long ([`record_checks_wait_ms`]), by a timer (the first change after a run starts the
/// timer; changes while it waits are read when it fires). Dropping the region drops the
/// timer, which cancels it.
fn use_record_checks(engine: Engine) -> RwSignal<Option<(u64, Vec<String>)>> {
    use std::cell::Cell;
    use std::rc::Rc;
    let result = RwSignal::new(None);
    let timer = StoredValue::new_local(None::<(gloo_timers::callback::Timeout, Rc<Cell<bool>>)>);
    let last_run_ms = StoredValue::new(0.0f64);
    let run = move || {
        let started = crate::driver::now_ms();
        let checked = engine.read_untracked(|pg| {
            let conservation = pg.conservation()?;
            pg.saga().map(|s| {
                (
                    pg.now(),
                    record_check_violations(s.check_invariants(), &conservation),
                )
            })
        });
        last_run_ms.set_value(crate::driver::now_ms() - started);
        result.set(checked);
    };
    Effect::new(move |_| {
        engine.read(|_| ());
        let waiting = timer.with_value(|t| t.as_ref().is_some_and(|(_, fired)| !fired.get()));
        if waiting {
            return;
        }
        let fired = Rc::new(Cell::new(false));
        let flag = fired.clone();
        let wait = record_checks_wait_ms(last_run_ms.get_value());
        let timeout = gloo_timers::callback::Timeout::new(wait, move || {
            flag.set(true);
            run();
        });
        // The previous timer has fired (or there was none): dropping it cancels nothing.
        timer.set_value(Some((timeout, fired)));
    });
    result
}

/// Logs a saga command from a button; what the saga refuses is said, not logged.
fn act(engine: Engine, announcer: Announcer, command: SagaCommand, said: String) {
    match engine.update(|pg| pg.try_saga(command)) {
        Ok(()) => announcer.say(said),
        Err(e) => announcer.say(e.to_string()),
    }
}

/// The fault toggles and the services' Take down / Bring up buttons.
#[component]
fn BreakThings() -> impl IntoView {
    let engine = expect_context::<Engine>();
    let announcer = expect_context::<Announcer>();
    let toggles = FAULT_TOGGLES.map(|t| {
        let id = format!("fail-{}", t.word);
        let armed = move || engine.read(|pg| pg.saga().is_some_and(|s| is_armed(&s, t.target)));
        let change = move |ev: leptos::ev::Event| {
            let draft = FaultToggleDraft {
                step: t.word.to_string(),
                checked: event_target_checked(&ev),
            };
            let said = if draft.checked {
                format!("{}: {}", t.label, t.armed)
            } else {
                format!("{}: off.", t.label)
            };
            match draft.parse() {
                Ok(command) => act(engine, announcer, command, said),
                Err(e) => announcer.say(e.to_string()),
            }
        };
        view! {
            <span class="fault-toggle">
                <input id=id.clone() type="checkbox" prop:checked=armed on:change=change />
                <label for=id>{t.label}</label>
            </span>
        }
    });
    let rows = move || engine.read(|pg| pg.saga().map(|s| services(&s)).unwrap_or_default());
    view! {
        <section class="break-things" role="region" aria-label="Break things">
            <h3>"Break things"</h3>
            <fieldset>
                <legend>"Fail the next order at a step, or every refund"</legend>
                {toggles.into_iter().collect_view()}
            </fieldset>
            <PaymentChance />
            <InitialStock />
            <ul class="services">
                {move || rows().into_iter().map(|(service, up)| {
                    let name = service_label(service);
                    let (text, command) = if up {
                        (format!("Take down {name}"), SagaCommand::TakeDown { service })
                    } else {
                        (format!("Bring up {name}"), SagaCommand::BringUp { service })
                    };
                    let said = format!("{text}: done.");
                    let click = move |_| act(engine, announcer, command.clone(), said.clone());
                    let extra = engine.read_untracked(|pg| pg.saga().map_or(0, |s| slowdown(&s, service)));
                    let (slow_text, slow_command) = slowdown_action(service, extra);
                    let slow_said = format!("{slow_text}: done.");
                    let slow_click = move |_| act(engine, announcer, slow_command.clone(), slow_said.clone());
                    let speed = if extra > 0 { format!(", slow ({extra} extra ticks a record)") } else { String::new() };
                    view! {
                        <li>
                            <span class="service-state">{format!("{name}: {}{speed}", if up { "up" } else { "down" })}</span>
                            " "
                            <button type="button" on:click=click>{text}</button>
                            " "
                            <button type="button" on:click=slow_click>{slow_text}</button>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}

/// "Fail payment with probability P%": each payment is declined with that chance, drawn
/// from the seeded RNG (0 ends it); the field shows the engine's rule in force.
#[component]
fn PaymentChance() -> impl IntoView {
    let engine = expect_context::<Engine>();
    let announcer = expect_context::<Announcer>();
    let in_force =
        Memo::new(move |_| engine.read(|pg| pg.saga().map_or(0, |s| payment_chance(&s))));
    let text = RwSignal::new(None::<String>);
    let shown = move || text.get().unwrap_or_else(|| in_force.get().to_string());
    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match parse_payment_chance(&shown()) {
            Ok(command) => {
                text.set(None);
                act(
                    engine,
                    announcer,
                    command,
                    format!(
                        "Payment fails with probability {}%.",
                        engine.read_untracked(|pg| pg.saga().map_or(0, |s| payment_chance(&s)))
                    ),
                );
            }
            Err(e) => announcer.say(e.to_string()),
        }
    };
    view! {
        <form class="stock-form payment-chance" novalidate on:submit=apply>
            <label for="payment-chance">"Fail payment with probability (%)"</label>
            <input id="payment-chance" type="number" min="0" max="100" inputmode="numeric" prop:value=shown on:input=move |ev| text.set(Some(event_target_value(&ev))) />
            <button type="submit">"Set payment failure probability"</button>
            <span class="hint">{move || match in_force.get() { 0 => "Payments do not fail by chance.".to_string(), p => format!("Each payment fails with probability {p}%, drawn from the seed.") }}</span>
        </form>
    }
}

/// "Initial stock" per product: set a product's stock (0 to run it dry) and the whole run
/// replays from there (parsed by [`crate::playground::parse_stock`]).
#[component]
fn InitialStock() -> impl IntoView {
    let engine = expect_context::<Engine>();
    let announcer = expect_context::<Announcer>();
    let products = Memo::new(move |_| engine.read(|pg| pg.initial_stock()));
    view! {
        <fieldset class="initial-stock">
            <legend>"Initial stock (the run replays from it)"</legend>
            <For
                each=move || products.get()
                key=|(product, units)| (product.clone(), *units)
                children=move |(product, units)| {
                    let id = format!("stock-{product}");
                    let label = format!("Initial stock of {product}");
                    let set = format!("Set stock of {product}");
                    let text = RwSignal::new(units.to_string());
                    let apply = move |ev: leptos::ev::SubmitEvent| {
                        ev.prevent_default();
                        let result = crate::playground::parse_stock(&text.get_untracked())
                            .and_then(|u| engine.update(|pg| pg.set_initial_stock(&product, u)).map(|()| u));
                        match result {
                            Ok(u) => announcer.say(format!("Initial stock of {product} set to {u}; the run replayed from it.")),
                            Err(e) => announcer.say(e.to_string()),
                        }
                    };
                    view! {
                        <form class="stock-form" novalidate on:submit=apply>
                            <label for=id.clone()>{label}</label>
                            <input id=id type="number" min="0" max=crate::playground::MAX_INITIAL_STOCK.to_string() inputmode="numeric" prop:value=text on:input=move |ev| text.set(event_target_value(&ev)) />
                            <button type="submit">{set}</button>
                        </form>
                    }
                }
            />
        </fieldset>
    }
}

/// Per DLQ: its counts, each record still waiting (topic, order, error, attempts) with its
/// own "Resubmit", and "Resubmit all N from TOPIC.DLQ" for every one waiting there.
#[component]
fn DeadLetters() -> impl IntoView {
    let engine = expect_context::<Engine>();
    let announcer = expect_context::<Announcer>();
    let queues = Memo::new(move |_| {
        engine.read(|pg| pg.saga().map(|s| dead_letters(&s)).unwrap_or_default())
    });
    view! {
        <section class="dead-letters" role="region" aria-label="Dead letters">
            <h3>"Dead letters"</h3>
            <RetryTimeline />
            {move || {
                let queues = queues.get();
                if queues.is_empty() {
                    return view! { <p class="hint">"No record was dead-lettered."</p> }.into_any();
                }
                queues.into_iter().map(|q| {
                    let topic = q.topic;
                    let waiting = q.waiting.len();
                    let click = move |_| act(
                        engine,
                        announcer,
                        SagaCommand::ResubmitDeadLetters { topic: topic.to_string() },
                        format!("Resubmitted {waiting} dead letters of {topic}."),
                    );
                    view! {
                        <p class="dlq-count">{format!("{}: {} dead-lettered, {waiting} waiting", q.dlq, q.total)}</p>
                        <ul>
                            {q.waiting.into_iter().map(|l| dead_letter_item(engine, announcer, l)).collect_view()}
                        </ul>
                        {(waiting > 0).then(|| view! {
                            <button type="button" on:click=click>
                                {format!("Resubmit all {waiting} from {}", q.dlq)}
                            </button>
                        })}
                    }
                }).collect_view().into_any()
            }}
        </section>
    }
}

/// The saga's retry schedule on a timeline: each attempt of a failing record, then the DLQ
/// (the drawing is decoration; the list beside it says the same in words).
#[component]
fn RetryTimeline() -> impl IntoView {
    let engine = expect_context::<Engine>();
    let schedule =
        Memo::new(move |_| engine.read(|pg| pg.saga().map(|s| s.config().retry.clone())));
    move || {
        schedule.get().map(|schedule| {
            let (marks, then) = retry_timeline(&schedule);
            // Attempts at the same tick (the delivery and an immediate retry) stand apart.
            let mut last_x = f64::MIN;
            let dots = marks
                .iter()
                .map(|m| {
                    let x = (12.0 + 330.0 * m.position).max(last_x + 14.0);
                    last_x = x;
                    view! {
                        <circle cx=x cy="26" r="5" />
                        <text x=x y="14" text-anchor="middle">{m.attempt}</text>
                    }
                })
                .collect_view();
            view! {
                <figure class="retry-schedule">
                    <figcaption>"Retry schedule"</figcaption>
                    <svg viewBox="0 0 400 36" aria-hidden="true">
                        <line x1="12" y1="26" x2="370" y2="26" />
                        {dots}
                        <text class="retry-dlq" x="386" y="30" text-anchor="middle">"DLQ"</text>
                    </svg>
                    <ol>
                        {marks.into_iter().map(|m| view! {
                            <li>{format!("Attempt {}: {} (tick +{})", m.attempt, m.when, m.at_ticks)}</li>
                        }).collect_view()}
                    </ol>
                    <p class="hint">{then}</p>
                </figure>
            }
        })
    }
}

/// One waiting dead letter and its own "Resubmit" (named after the record and its place).
fn dead_letter_item(engine: Engine, announcer: Announcer, l: DeadLetterRow) -> impl IntoView {
    let label = l.resubmit_label();
    let command = l.resubmit();
    let said = format!(
        "Resubmitted {} of {} to {}.",
        l.message, l.order_id, l.topic
    );
    let click = move |_| act(engine, announcer, command.clone(), said.clone());
    view! {
        <li>
            {format!("{} of {} on {}: {} after {} attempts", l.message, l.order_id, l.topic, l.error, l.attempts)}
            " "
            <button type="button" aria-label=label on:click=click>"Resubmit"</button>
        </li>
    }
}

/// One region per saga, with their retries, in a virtualised list: rows have a fixed
/// height, the scroll offset picks the window of sagas in view ([`saga_window`]), and only
/// those (plus a few above and below) exist in the DOM. The list scrolls by keyboard (it is
/// focusable); a region whose saga did not change keeps its elements from tick to tick.
#[component]
fn SagaList() -> impl IntoView {
    let engine = expect_context::<Engine>();
    let scroll_top = RwSignal::new(0.0f64);
    let total = Memo::new(move |_| engine.read(|pg| pg.saga().map_or(0, |s| s.saga_count())));
    // The window and the count in one value: the views below each read this one memo.
    let window = Memo::new(move |_| {
        let total = total.get();
        let (drawn, in_view) = saga_window(scroll_top.get(), total);
        (drawn, in_view, total)
    });
    let shown = Memo::new(move |_| {
        let (drawn, _, _) = window.get();
        engine.read(|pg| {
            let Some(saga) = pg.saga() else {
                return Vec::new();
            };
            let rows: Vec<SagaRow> = saga_rows_in(&saga, drawn.clone());
            let ids = orderflow_engine::sort::set_of(rows.iter().map(|r| r.order_id.clone()));
            let mut tries = retries(&saga, &ids);
            drawn
                .zip(rows)
                .map(|(at, r)| {
                    let retried = tries.remove(&r.order_id).unwrap_or_default();
                    (at, r, retried)
                })
                .collect::<Vec<_>>()
        })
    });
    view! {
        <div class="saga-list">
            <p class="saga-count" aria-live="off">{move || window.with(|(_, in_view, total)| saga_window_label(in_view, *total))}</p>
            <RowViewport
                geometry=SAGA_LIST
                class="saga-viewport"
                label="Sagas, by order id"
                spacer_class="saga-rows"
                total=Signal::derive(move || window.with(|w| w.2) as u64)
                scroll_top
            >
                // Keyed by place and everything a region shows: a saga that moved is drawn again.
                <For each=move || shown.get() key=|row| row.clone() let:row>
                    {saga_region(row.0, row.1, row.2)}
                </For>
            </RowViewport>
        </div>
    }
}

/// One saga's region at row `at` of the list (a fixed height; longer content scrolls
/// inside it, which is why it can take focus).
fn saga_region(at: usize, row: SagaRow, retried: Vec<String>) -> impl IntoView {
    let label = format!("Saga {}", row.order_id);
    let heading = label.clone();
    let list = |title: &'static str, items: Vec<String>| {
        (!items.is_empty()).then(|| {
            view! {
                <p class="saga-list-title">{title}</p>
                <ol>{items.into_iter().map(|i| view! { <li>{i}</li> }).collect_view()}</ol>
            }
        })
    };
    let owned = |v: Vec<&'static str>| v.into_iter().map(String::from).collect();
    view! {
        <section
            class="saga"
            role="region"
            aria-label=label
            tabindex="0"
            style:position="absolute"
            style:left="0"
            style:right="0"
            style:top=format!("{}px", at as f64 * SAGA_ROW_PX)
            style:height=format!("{SAGA_ROW_PX}px")
            style:overflow-y="auto"
        >
            <h3>{heading}</h3>
            <p class="saga-state">{format!("State: {}", row.state)}</p>
            {list("Steps done", owned(row.steps))}
            {list("Compensations", owned(row.compensations))}
            {list("Retries", retried)}
            {row.failure.map(|f| view! { <p class="saga-failure">{format!("Why: {f}")}</p> })}
        </section>
    }
}
