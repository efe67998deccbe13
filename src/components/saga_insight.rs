//! Inside the order saga, mounted in the Sagas drawer: the "Idempotent consumers" and
//! "Transactional outbox" switches, and the regions "Read models" (each projection with its
//! lag and a "Rebuild" button), "Order events" (an order's event-sourced stream, replayed
//! step by step), "Correlation" (one order's records across every service) and the "Saga
//! style" choice with both styles' messages side by side, and the region "State machine"
//! (the orchestrator's states and arrows with one saga's state and path on them; for
//! choreography, the events that drove it). What they
//! show is read from the engine (see [`crate::saga_insight`]); the switches and "Rebuild"
//! go through the playground, so replay and share links carry them.

use crate::playground::SagaSafeguard;
use crate::saga_insight::{
    compare_styles, correlation_rows, driving_events, order_ids, order_ids_key, order_stream,
    read_model_rows, replay_progress, replayed_from_snapshot, replayed_state, state_machine,
    CorrelationRow, ReadModelRow, StateMachine, StreamRow, StyleComparison, BOX_HEIGHT, BOX_WIDTH,
    HEIGHT, WIDTH,
};
use crate::state::{Announcer, Engine};
use leptos::prelude::*;
use orderflow_engine::saga::command::SagaCommand;
use orderflow_engine::saga::message::OrderId;
use orderflow_engine::saga::services::SagaMode;

/// Everything this module shows, in the order the drawer lists it.
#[component]
pub fn SagaInsight() -> impl IntoView {
    let orders = use_order_ids(expect_context::<Engine>());
    view! {
        <SafeguardSwitches />
        <SagaStyle />
        <StateMachineView orders=orders />
        <ReadModels />
        <OrderEvents orders=orders />
        <Correlation orders=orders />
    }
    .into_any()
}

/// "Idempotent consumers" and "Transactional outbox": checked as the running saga was built;
/// switching one replays the run under the other setting.
#[component]
fn SafeguardSwitches() -> impl IntoView {
    let engine = expect_context::<Engine>();
    let announcer = expect_context::<Announcer>();
    let switch = move |id: &'static str, label: &'static str, safeguard: SagaSafeguard| {
        let checked = move || engine.read(|pg| pg.saga_safeguard(safeguard).unwrap_or(false));
        let change = move |ev: leptos::ev::Event| {
            let on = event_target_checked(&ev);
            if engine.update(|pg| pg.set_saga_safeguard(safeguard, on)) {
                let state = if on { "on" } else { "off" };
                announcer.say(format!("{label} {state}: the run replayed from the start."));
            }
        };
        view! {
            <label for=id class="switch">
                <input id=id type="checkbox" prop:checked=checked on:change=change />
                {label}
            </label>
        }
    };
    view! {
        <fieldset class="safeguards">
            <legend>"Safeguards"</legend>
            {switch("saga-inbox", "Idempotent consumers", SagaSafeguard::IdempotentConsumers)}
            {switch("saga-outbox", "Transactional outbox", SagaSafeguard::TransactionalOutbox)}
            <p class="hint">"Switching one replays the whole run as if it had always been set so: without idempotent consumers a redelivered record is handled twice (a double charge shows in Balances); without the outbox a crash between a state change and its publish loses the event."</p>
        </fieldset>
    }
}

/// The CQRS read models.
#[component]
fn ReadModels() -> impl IntoView {
    let engine = expect_context::<Engine>();
    let rows = move || engine.read(|pg| pg.saga().map(|s| read_model_rows(&s)).unwrap_or_default());
    view! {
        <section class="read-models" role="region" aria-label="Read models">
            <h3>"Read models"</h3>
            {move || rows().into_iter().map(read_model).collect_view()}
        </section>
    }
}

fn read_model(row: ReadModelRow) -> impl IntoView {
    let engine = expect_context::<Engine>();
    let announcer = expect_context::<Announcer>();
    let (kind, name) = (row.kind, row.name);
    let rebuild = move |_| {
        let command = SagaCommand::RebuildProjection { projection: kind };
        match engine.update(|pg| pg.try_saga(command)) {
            Ok(()) => {
                let said = engine.read_untracked(|pg| {
                    pg.saga()
                        .and_then(|s| read_model_rows(&s).into_iter().find(|r| r.kind == kind))
                        .and_then(|r| r.last_rebuild)
                });
                announcer.say(format!("{name}: {}", said.unwrap_or_default()));
            }
            Err(e) => announcer.say(format!("{name} was not rebuilt: {e}")),
        }
    };
    let lines = if row.lines.is_empty() {
        vec!["Nothing yet.".to_string()]
    } else {
        row.lines
    };
    view! {
        <section class="read-model" role="region" aria-label=name>
            <h4>{name}</h4>
            <p class="lag">{format!("Lag: {} record{} behind order-events", row.lag, if row.lag == 1 { "" } else { "s" })}</p>
            <ul>{lines.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}</ul>
            {row.last_rebuild.map(|r| view! { <p class="rebuilt">{r}</p> })}
            <button type="button" on:click=rebuild>"Rebuild"</button>
        </section>
    }
}

/// Every saga's order id, in the order they arrived ([`order_ids`]: the list grows at its
/// end), for the three order selects: one list shared by them, listed again only when the
/// orders change ([`order_ids_key`] in this rebuild of the run), not on every tick.
fn use_order_ids(engine: Engine) -> Memo<Vec<String>> {
    let key =
        Memo::new(move |_| engine.read(|pg| pg.saga().map(|s| (pg.epoch(), order_ids_key(&s)))));
    Memo::new(move |_| {
        // Read, not only tracked: an unread memo is not run, so it would never change.
        key.with(|_| ());
        engine.read_untracked(|pg| pg.saga().map(|s| order_ids(&s)).unwrap_or_default())
    })
}

/// A select of the run's orders: the chosen one while it exists, else the first.
fn order_select(
    id: &'static str,
    label: &'static str,
    orders: Memo<Vec<String>>,
    chosen: RwSignal<Option<String>>,
) -> (impl IntoView, Memo<Option<String>>) {
    let current = Memo::new(move |_| {
        orders.with(|all| {
            chosen
                .get()
                .filter(|c| all.contains(c))
                .or_else(|| all.first().cloned())
        })
    });
    let select = view! {
        <label for=id>{label}</label>
        <select
            id=id
            prop:value=move || current.get().unwrap_or_default()
            on:change=move |ev| chosen.set(Some(event_target_value(&ev)))
        >
            // Keyed by order: a new order adds its option, the others stay (a run placing
            // orders every tick does not rebuild a select of thousands).
            <For each=move || orders.get() key=|o| o.clone() let:o>
                {
                    let value = o.clone();
                    view! { <option value=value>{o}</option> }
                }
            </For>
        </select>
    };
    (select, current)
}

/// Where the replay of an order stands: the order it was set on, whether it starts from
/// the latest snapshot (else from scratch), and how far it got.
#[derive(Clone, Debug, PartialEq)]
struct ReplayAt {
    order: String,
    from_snapshot: bool,
    at: u64,
}

/// One order's event stream, "Snapshot" (the store snapshots it now), and a step-by-step
/// replay of it, from scratch or from its latest snapshot.
#[component]
fn OrderEvents(
    /// The run's order ids ([`use_order_ids`]).
    orders: Memo<Vec<String>>,
) -> impl IntoView {
    let engine = expect_context::<Engine>();
    let chosen = RwSignal::new(None::<String>);
    let (select, current) = order_select("order-events-order", "Order", orders, chosen);
    // Another order than the one the replay was set on starts at its end, from scratch.
    let position = RwSignal::new(None::<ReplayAt>);
    // Drawn again only when the stream changes (a finished order's stays as it is).
    let stream = Memo::new(move |_| {
        let order = current.get()?;
        engine.read(|pg| pg.saga().and_then(|s| order_stream(&s, &order)))
    });
    view! {
        <section class="order-events" role="region" aria-label="Order events">
            <h3>"Order events"</h3>
            <div class="fields">{select}</div>
            {move || stream.get().map(|s| {
                let order = current.get().unwrap_or_default();
                let len = s.rows.len() as u64;
                let replay = position.get().filter(|p| p.order == order);
                let from_snapshot = replay.as_ref().is_some_and(|p| p.from_snapshot);
                let start = if from_snapshot { s.snapshot.unwrap_or(0) } else { 0 };
                let at = replay.map_or(len, |p| p.at).clamp(start, len);
                view! {
                    {stream_table(s.rows, start, at)}
                    <p class="load">{s.load}</p>
                    {snapshot_button(order.clone(), s.snapshot == Some(len), position)}
                    {(!s.conflicts.is_empty()).then(|| view! {
                        <p class="saga-list-title">"Concurrency checks"</p>
                        <ul>{s.conflicts.into_iter().map(|c| view! { <li>{c}</li> }).collect_view()}</ul>
                    })}
                    {replay_controls(order, s.snapshot, start, at, len, position)}
                }
            })}
        </section>
    }
}

/// "Snapshot": logs `take_snapshot` for the order and starts its replay from the new
/// snapshot; disabled while the latest snapshot is at the stream's version.
fn snapshot_button(
    order: String,
    current: bool,
    position: RwSignal<Option<ReplayAt>>,
) -> impl IntoView {
    let engine = expect_context::<Engine>();
    let announcer = expect_context::<Announcer>();
    let take = move |_| {
        let command = SagaCommand::TakeSnapshot {
            order_id: OrderId(order.clone()),
        };
        match engine.update(|pg| pg.try_saga(command)) {
            Ok(()) => {
                let version = engine.read_untracked(|pg| {
                    pg.saga()
                        .and_then(|s| order_stream(&s, &order))
                        .and_then(|s| s.snapshot)
                });
                let version = version.unwrap_or(0);
                position.set(Some(ReplayAt {
                    order: order.clone(),
                    from_snapshot: true,
                    at: version,
                }));
                announcer.say(format!("Snapshot of {order} at version {version}: loading it replays only the events after."));
            }
            Err(e) => announcer.say(format!("No snapshot of {order}: {e}")),
        }
    };
    view! {
        <button type="button" class="take-snapshot" disabled=current on:click=take>"Snapshot"</button>
        {current.then(|| view! { <span class="hint">" The latest snapshot is at the stream's version."</span> })}
    }
}

/// "Replay from start", "Replay from snapshot", "Next event", "To the end", where the
/// replay stands and the state it rebuilt.
fn replay_controls(
    order: String,
    snapshot: Option<u64>,
    start: u64,
    at: u64,
    len: u64,
    position: RwSignal<Option<ReplayAt>>,
) -> impl IntoView {
    let engine = expect_context::<Engine>();
    let from_snapshot = start > 0;
    // Untracked: drawn again when the stream or the replay's place changes, not every tick.
    let state = engine.read_untracked(|pg| {
        let saga = pg.saga()?;
        if from_snapshot {
            replayed_from_snapshot(&saga, &order, at)
        } else {
            replayed_state(&saga, &order, at)
        }
    });
    let set = move |from_snapshot: bool, at: u64| {
        let order = order.clone();
        move |_| {
            position.set(Some(ReplayAt {
                order: order.clone(),
                from_snapshot,
                at,
            }))
        }
    };
    view! {
        <div class="replay" role="group" aria-label="Replay">
            <button type="button" on:click=set(false, 0)>"Replay from start"</button>
            <button type="button" disabled=snapshot.is_none() on:click=set(true, snapshot.unwrap_or(0))>"Replay from snapshot"</button>
            <button type="button" disabled={at >= len} on:click=set(from_snapshot, at + 1)>"Next event"</button>
            <button type="button" on:click=set(from_snapshot, len)>"To the end"</button>
            <p>{replay_progress(start, at, len)}</p>
            <ul class="replayed-state">{state.unwrap_or_default().into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}</ul>
        </div>
    }
}

fn stream_table(rows: Vec<StreamRow>, snapshot: u64, replayed: u64) -> impl IntoView {
    view! {
        <table class="routing-table stream">
            <caption>"The order's stream in the event store (replayed rows marked; rows in the snapshot the replay starts from dimmed)"</caption>
            <thead><tr>
                <th scope="col">"Version"</th><th scope="col">"Tick"</th><th scope="col">"Event"</th>
                <th scope="col">"Detail"</th><th scope="col">"Schema"</th><th scope="col">"Snapshot"</th>
            </tr></thead>
            <tbody>{rows.into_iter().map(|r| {
                let done = r.version > snapshot && r.version <= replayed;
                view! {
                    <tr class:replayed=done class:in-snapshot=r.version <= snapshot aria-current=(r.version == replayed).then_some("step")>
                        <td>{r.version}</td><td>{r.tick}</td><td>{r.event}</td><td>{r.detail}</td>
                        <td>{r.schema}</td><td>{if r.snapshot { "snapshot taken" } else { "" }}</td>
                    </tr>
                }
            }).collect_view()}</tbody>
        </table>
    }
}

/// One order's records across every topic, with causation links.
#[component]
fn Correlation(
    /// The run's order ids ([`use_order_ids`]).
    orders: Memo<Vec<String>>,
) -> impl IntoView {
    let engine = expect_context::<Engine>();
    let chosen = RwSignal::new(None::<String>);
    let (select, current) = order_select("correlation-order", "Correlation id", orders, chosen);
    let rows = Memo::new(move |_| {
        let order = current.get()?;
        engine.read(|pg| pg.saga().map(|s| correlation_rows(&s, &order)))
    });
    view! {
        <section class="correlation" role="region" aria-label="Correlation">
            <h3>"Correlation"</h3>
            <div class="fields">{select}</div>
            {move || rows.get().map(correlation_table)}
        </section>
    }
}

fn correlation_table(rows: Vec<CorrelationRow>) -> impl IntoView {
    view! {
        <table class="routing-table correlation-table">
            <caption>"Every record of the order, in the order written"</caption>
            <thead><tr>
                <th scope="col">"Event"</th><th scope="col">"Tick"</th><th scope="col">"Message"</th>
                <th scope="col">"Record"</th><th scope="col">"Correlation id"</th>
                <th scope="col">"Caused by"</th><th scope="col">"Read by"</th>
            </tr></thead>
            <tbody>{rows.into_iter().map(|r| view! {
                <tr>
                    <td>{format!("#{}", r.event_id)}</td><td>{r.tick}</td><td>{r.message}</td>
                    <td>{r.place}</td><td>{r.correlation_id.unwrap_or_default()}</td>
                    <td>{r.caused_by.unwrap_or_else(|| "outside (customer or clock)".into())}</td>
                    <td>{r.read_by.join(", ")}</td>
                </tr>
            }).collect_view()}</tbody>
        </table>
    }
}

/// "Saga style": the run orchestrated or choreographed (switching replays the same orders),
/// and "Compare styles", the messages each style sent for them, side by side.
#[component]
fn SagaStyle() -> impl IntoView {
    let engine = expect_context::<Engine>();
    let announcer = expect_context::<Announcer>();
    let compared = RwSignal::new(None::<StyleComparison>);
    let option = move |id: &'static str, label: &'static str, mode: SagaMode| {
        let checked = move || engine.read(|pg| pg.saga_style() == Some(mode));
        let choose = move |_| {
            if engine.update(|pg| pg.set_saga_style(mode)) {
                announcer.say(format!("{label}: the same orders replayed from the start."));
            }
        };
        view! {
            <label for=id class="switch">
                <input id=id type="radio" name="saga-style" prop:checked=checked on:change=choose />
                {label}
            </label>
        }
    };
    let compare = move |_| {
        let result = engine.read_untracked(|pg| compare_styles(pg.session()));
        compared.set(result);
    };
    view! {
        <fieldset class="saga-style">
            <legend>"Saga style"</legend>
            {option("saga-style-orchestration", "Orchestration", SagaMode::Orchestration)}
            {option("saga-style-choreography", "Choreography", SagaMode::Choreography)}
        </fieldset>
        <section class="styles-compared" role="region" aria-label="Saga styles compared">
            <h3>"Saga styles compared"</h3>
            <button type="button" on:click=compare>"Compare styles"</button>
            {move || compared.get().map(style_table)}
        </section>
    }
}

fn style_table(c: StyleComparison) -> impl IntoView {
    let outcome = |lines: Vec<String>| lines.join(", ");
    view! {
        <table class="routing-table style-table">
            <caption>{format!("Messages sent for the same orders by tick {}", c.tick)}</caption>
            <thead><tr>
                <th scope="col">"Message"</th><th scope="col">"Orchestration"</th>
                <th scope="col">"Choreography"</th>
            </tr></thead>
            <tbody>
                {c.rows.into_iter().map(|r| view! {
                    <tr><td>{r.message}</td><td>{r.orchestration}</td><td>{r.choreography}</td></tr>
                }).collect_view()}
                <tr class="total"><th scope="row">"All messages"</th><td>{c.totals.0}</td><td>{c.totals.1}</td></tr>
                <tr><th scope="row">"Sagas"</th><td>{outcome(c.outcomes.0)}</td><td>{outcome(c.outcomes.1)}</td></tr>
            </tbody>
        </table>
    }
}

/// "State machine": a saga chosen by its order; orchestrated, the orchestrator's machine
/// drawn with that saga's state and path; choreographed, the events that drove it.
#[component]
fn StateMachineView(
    /// The run's order ids ([`use_order_ids`]).
    orders: Memo<Vec<String>>,
) -> impl IntoView {
    let engine = expect_context::<Engine>();
    let chosen = RwSignal::new(None::<String>);
    let (select, current) = order_select("state-machine-order", "Saga", orders, chosen);
    // What is drawn, drawn again only when it changes: orchestrated, the machine with the
    // saga on it; choreographed, the order and the events that drove it.
    let machine = Memo::new(move |_| {
        let order = current.get()?;
        engine.read(|pg| {
            let saga = pg.saga()?;
            Some(if saga.config().mode == SagaMode::Orchestration {
                Ok(state_machine(&saga, &order))
            } else {
                Err((driving_events(&saga, &order), order))
            })
        })
    });
    let shown = move || {
        machine.get().map(|drawn| match drawn {
            Ok(m) => m.map(machine_drawing).into_any(),
            Err((events, order)) => driving_list(&order, events).into_any(),
        })
    };
    view! {
        <section class="state-machine" role="region" aria-label="State machine">
            <h3>"State machine"</h3>
            <div class="fields">{select}</div>
            {shown}
        </section>
    }
}

fn driving_list(order: &str, events: Vec<String>) -> impl IntoView {
    view! {
        <p>{format!("Choreographed: no orchestrator; the events that drove saga {order}, in order:")}</p>
        <ol class="driving-events">{events.into_iter().map(|e| view! { <li>{e}</li> }).collect_view()}</ol>
    }
}

/// The machine as an SVG (named by which state the saga is in), then the path in words.
fn machine_drawing(m: StateMachine) -> impl IntoView {
    let arrows = m.arrows.into_iter().map(|a| view! {
        <path class="arrow" class:taken=a.taken d=a.d marker-end=if a.taken { "url(#sm-head-taken)" } else { "url(#sm-head)" }>
            <title>{a.title}</title>
        </path>
    }).collect_view();
    let boxes = m.boxes.into_iter().map(|b| {
        let long = b.label.len() > 20;
        view! {
            <g class="state" class:current=b.current class:visited=b.visited>
                <rect x=b.x - BOX_WIDTH / 2.0 y=b.y - BOX_HEIGHT / 2.0 width=BOX_WIDTH height=BOX_HEIGHT rx="6" />
                <text x=b.x y=b.y + 5.0 text-anchor="middle" textLength=long.then_some(BOX_WIDTH - 12.0) lengthAdjust="spacingAndGlyphs">{b.label}</text>
            </g>
        }
    }).collect_view();
    let head = |id: &'static str| {
        view! {
            <marker id=id viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="11" markerHeight="11" orient="auto-start-reverse">
                <path d="M 0 0 L 10 5 L 0 10 z" />
            </marker>
        }
    };
    view! {
        <p class="machine-summary">{m.summary.clone()}</p>
        <svg class="machine" role="img" aria-label=format!("The orchestrator's state machine. {}", m.summary) viewBox=format!("0 0 {WIDTH} {HEIGHT}")>
            <defs>{head("sm-head")}<g class="taken-head">{head("sm-head-taken")}</g></defs>
            {arrows}
            {boxes}
        </svg>
        <p class="saga-list-title">"Path taken"</p>
        <ol class="machine-path">{m.path.into_iter().map(|p| view! { <li>{p}</li> }).collect_view()}</ol>
    }
}
