//! Browser tests of the saga's insides in the Sagas drawer: the "Idempotent consumers"
//! switch replays a redelivery without its double charge; "Read models" with lag and
//! "Rebuild"; "Order events" with versions, the upcast, snapshots, the concurrency retry
//! and a step-by-step replay, shortened by "Snapshot"; "Correlation" with causation links. Same shape as
//! `tests/sagas.rs`: mount the app into a fresh container, act, `tick().await`, read the DOM.
#![cfg(target_arch = "wasm32")]

use leptos::task::tick;
use wasm_bindgen_test::*;
use web_sys::HtmlElement;

mod common;

use common::*;

wasm_bindgen_test_configure!(run_in_browser);

async fn open(app: &HtmlElement, preset: &str, ticks: u32) {
    load_preset(app, preset).await;
    button(app, "Sagas").click();
    tick().await;
    for _ in 0..ticks {
        button(app, "Step").click();
        tick().await;
    }
    settle().await;
}

#[wasm_bindgen_test]
async fn idempotent_consumers_on_replays_the_redelivery_without_the_double_charge() {
    let app = fresh_app();
    open(&app, "duplicate-delivery-without-inbox", 120).await;
    let inbox = input(&app, "Idempotent consumers");
    assert!(!inbox.checked(), "the preset runs without an inbox");
    assert!(!input(&app, "Transactional outbox").checked());
    let balances = region_text(&app, "Balances");
    assert!(
        balances.contains("Charged 50.00, refunded 0.00 (2 charges)"),
        "{balances}"
    );
    inbox.click();
    settle().await;
    assert!(
        input(&app, "Idempotent consumers").checked(),
        "as the engine now runs"
    );
    let balances = region_text(&app, "Balances");
    assert!(
        balances.contains("Charged 25.00, refunded 0.00 (1 charges)"),
        "{balances}"
    );
}

#[wasm_bindgen_test]
async fn read_models_show_their_lag_and_rebuild_by_replay() {
    let app = fresh_app();
    open(&app, "payment-fails-compensation", 60).await;
    let models = region_text(&app, "Read models");
    assert!(
        models.contains("Sales per product") && models.contains("Notifications sent"),
        "{models}"
    );
    let orders = region_text(&app, "Orders by status");
    assert!(orders.contains("Cancelled: 1"), "{orders}");
    assert!(
        orders.contains("Lag: 0 records behind order-events"),
        "{orders}"
    );
    button(&find(&app, "[aria-label='Orders by status']"), "Rebuild").click();
    settle().await;
    let orders = region_text(&app, "Orders by status");
    assert!(
        orders.contains("Rebuilt at tick 60 from")
            && orders.contains("equalled the incremental model"),
        "{orders}"
    );
    assert!(!region_text(&app, "Sales per product").contains("Rebuilt"));
}

#[wasm_bindgen_test]
async fn an_orders_event_stream_shows_versions_and_replays_step_by_step() {
    let app = fresh_app();
    open(&app, "event-sourced-order", 60).await;
    let events = region_text(&app, "Order events");
    for expected in [
        "v1, read as v2 (currency USD)",
        "NoteAdded",
        "snapshot taken",
        "expected version 1 but the stream was at version 2",
        "Loading starts from the snapshot at version 4",
        "Replayed 5 of 5 events.",
    ] {
        assert!(events.contains(expected), "{expected:?} in {events}");
    }
    button(&app, "Replay from start").click();
    tick().await;
    let events = region_text(&app, "Order events");
    assert!(events.contains("Replayed 0 of 5 events."), "{events}");
    assert!(
        events.contains("Status: none (before OrderPlaced)"),
        "{events}"
    );
    button(&app, "Next event").click();
    tick().await;
    let events = region_text(&app, "Order events");
    assert!(events.contains("Replayed 1 of 5 events."), "{events}");
    assert!(
        events.contains("Status: Created") && events.contains("Total: 25.00 USD"),
        "{events}"
    );
    assert_eq!(count(&app, ".stream tr.replayed"), 1);
}

/// "Snapshot" on order-1 of the happy path after its first event; once paid, the replay
/// starts from the snapshot at version 1 with one event to apply, step by step.
#[wasm_bindgen_test]
async fn a_snapshot_shortens_the_replay_which_starts_from_it() {
    let app = fresh_app();
    open(&app, "happy-path", 10).await;
    let events = region_text(&app, "Order events");
    assert!(
        events.contains("No snapshot yet: loading replays all 1 events."),
        "{events}"
    );
    button(&app, "Snapshot").click();
    settle().await;
    let events = region_text(&app, "Order events");
    assert!(
        events.contains("Loading starts from the snapshot at version 1 and replays 0 of 1 events.")
            && events.contains("Replay from snapshot at version 1: 0 events to apply; applied 0.")
            && events.contains("The latest snapshot is at the stream's version."),
        "{events}"
    );
    for _ in 0..6 {
        button(&app, "Step").click();
        tick().await;
    }
    settle().await;
    let events = region_text(&app, "Order events");
    assert!(
        events.contains("Replay from snapshot at version 1: 1 event to apply; applied 0."),
        "{events}"
    );
    assert_eq!(count(&app, ".stream tr.in-snapshot"), 1);
    button(&app, "Next event").click();
    tick().await;
    let events = region_text(&app, "Order events");
    assert!(
        events.contains("applied 1.") && events.contains("Status: Paid"),
        "{events}"
    );
    assert_eq!(count(&app, ".stream tr.replayed"), 1);
    button(&app, "Replay from start").click();
    tick().await;
    let events = region_text(&app, "Order events");
    assert!(events.contains("Replayed 0 of 2 events."), "{events}");
}

#[wasm_bindgen_test]
async fn correlation_follows_an_order_across_the_services_with_its_causes() {
    let app = fresh_app();
    open(&app, "payment-fails-compensation", 60).await;
    let correlation = region_text(&app, "Correlation");
    let at = |s: &str| {
        correlation
            .find(s)
            .unwrap_or_else(|| panic!("{s:?} in {correlation}"))
    };
    assert!(at("PlaceOrder") < at("ReserveInventory"), "{correlation}");
    assert!(correlation.contains("#1 PlaceOrder"), "{correlation}");
    assert!(correlation.contains("payment-commands-"), "{correlation}");
    assert!(correlation.contains("order-1"), "{correlation}");
}

#[wasm_bindgen_test]
async fn the_same_orders_switch_style_and_compare_side_by_side() {
    let app = fresh_app();
    open(&app, "mixed-failures-orchestration", 40).await;
    assert!(input(&app, "Orchestration").checked());
    button(&app, "Compare styles").click();
    tick().await;
    let compared = region_text(&app, "Saga styles compared");
    assert!(
        compared.contains("Messages sent for the same orders by tick 40"),
        "{compared}"
    );
    assert!(
        compared.contains("ReserveInventory") && compared.contains("All messages"),
        "{compared}"
    );
    input(&app, "Choreography").click();
    settle().await;
    assert!(
        input(&app, "Choreography").checked(),
        "as the engine now runs"
    );
    assert!(!input(&app, "Orchestration").checked());
    assert!(region_text(&app, "Saga order-1").contains("State:"));
}

/// "State machine": the orchestrator's states drawn with order-1's state current and the
/// arrows it took marked, named in words; rewound to before it failed, the drawing follows;
/// choreographed, the events that drove it instead.
#[wasm_bindgen_test]
async fn the_state_machine_draws_the_selected_sagas_state_and_path() {
    let app = fresh_app();
    open(&app, "payment-fails-compensation", 60).await;
    let region = || region_text(&app, "State machine");
    assert!(
        region().contains("Saga order-1 is failed, compensated."),
        "{}",
        region()
    );
    assert!(
        region().contains("processing payment to compensating (step failed)"),
        "{}",
        region()
    );
    let svg = find(&app, "[aria-label='State machine'] svg[role='img']");
    assert_eq!(
        svg.get_attribute("aria-label").as_deref(),
        Some("The orchestrator's state machine. Saga order-1 is failed, compensated.")
    );
    assert_eq!(count(&app, ".machine .state"), 8);
    assert_eq!(count(&app, ".machine .state.current"), 1);
    assert_eq!(text(&app, ".machine .state.current"), "failed, compensated");
    assert_eq!(count(&app, ".machine .arrow.taken"), 5);
    assert_eq!(select(&app, "Saga").value(), "order-1");
    // Rewound to tick 12, before its payment failed: the drawing follows the rewound run.
    let timeline: web_sys::HtmlInputElement = {
        use wasm_bindgen::JsCast;
        find(&app, "#timeline").unchecked_into()
    };
    timeline.set_value("12");
    fire(&timeline, "input");
    settle().await;
    assert!(
        !region().contains("is failed, compensated."),
        "{}",
        region()
    );
    input(&app, "Choreography").click();
    settle().await;
    assert!(
        region().contains("the events that drove saga order-1"),
        "{}",
        region()
    );
    assert!(region().contains("OrderCreated"), "{}", region());
    app.remove();
}
