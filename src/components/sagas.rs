//! The "Sagas" drawer: when the scenario runs an order saga, a "Place order" form, a region
//! "Saga ORDER-ID" per order (its state, the steps done in order, then the compensations in
//! the order they ran) and a region "Balances" (stock per product, money charged and
//! refunded, the conservation checks). Everything shown is read from the engine's saga
//! summaries and invariant checks (see [`crate::sagas`]).

use crate::components::explain::Explain;
use crate::sagas::{balance_lines, next_order_id, saga_rows, PlaceOrderDraft, SagaRow};
use crate::session::MAX_FIELD_CHARS;
use crate::state::{Announcer, Engine};
use leptos::prelude::*;

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
                <BalancesView />
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

/// Stock per product, money, and the engine's conservation checks.
#[component]
fn BalancesView() -> impl IntoView {
    let engine = expect_context::<Engine>();
    let lines = move || engine.read(|pg| pg.saga().map(|s| balance_lines(&s)));
    view! {
        <section class="balances" role="region" aria-label="Balances">
            <h3>"Balances"</h3>
            {move || lines().map(|b| {
                let checks = if b.violations.is_empty() {
                    vec!["Conservation checks hold.".to_string()]
                } else {
                    b.violations.clone()
                };
                view! {
                    <ul class="stock">{b.stock.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}</ul>
                    <p class="money">{b.money}</p>
                    <ul class="checks">{checks.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}</ul>
                }
            })}
        </section>
    }
}

/// One region per saga.
#[component]
fn SagaList() -> impl IntoView {
    let engine = expect_context::<Engine>();
    let rows = move || engine.read(|pg| pg.saga().map(|s| saga_rows(&s)).unwrap_or_default());
    view! {
        <div class="saga-list">
            {move || rows().into_iter().map(saga_region).collect_view()}
        </div>
    }
}

fn saga_region(row: SagaRow) -> impl IntoView {
    let label = format!("Saga {}", row.order_id);
    let heading = label.clone();
    let list = |title: &'static str, items: Vec<&'static str>| {
        (!items.is_empty()).then(|| {
            view! {
                <p class="saga-list-title">{title}</p>
                <ol>{items.into_iter().map(|i| view! { <li>{i}</li> }).collect_view()}</ol>
            }
        })
    };
    view! {
        <section class="saga" role="region" aria-label=label>
            <h3>{heading}</h3>
            <p class="saga-state">{format!("State: {}", row.state)}</p>
            {list("Steps done", row.steps)}
            {list("Compensations", row.compensations)}
            {row.failure.map(|f| view! { <p class="saga-failure">{format!("Why: {f}")}</p> })}
        </section>
    }
}
