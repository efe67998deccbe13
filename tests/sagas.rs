//! Browser tests of the Sagas drawer: a saga preset's orders each get a region "Saga
//! ORDER-ID" with the engine's state, steps and compensations, and a "Balances" region; an
//! order placed by hand with "Place order" runs its saga; the order stream ("Saga orders per
//! tick") places orders every tick until stopped. Same shape as `tests/web.rs`:
//! mount the app into a fresh container, act like a person, `tick().await`, read the DOM.
#![cfg(target_arch = "wasm32")]

use leptos::task::tick;
use wasm_bindgen_test::*;
use web_sys::HtmlElement;

mod common;

use common::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Steps `n` ticks, then lets every effect settle.
async fn steps_settled(app: &HtmlElement, n: u32) {
    steps(app, n).await;
    settle().await;
}

#[wasm_bindgen_test]
async fn the_payment_fails_preset_shows_the_compensations_in_the_order_they_ran() {
    let app = fresh_app();
    load_preset(&app, "payment-fails-compensation").await;
    button(&app, "Sagas").click();
    steps_settled(&app, 60).await;
    let saga = region_text(&app, "Saga order-1");
    assert!(saga.contains("State: failed, compensated"), "{saga}");
    let reserve = saga.find("Reserve inventory").expect("the step done");
    let release = saga.find("Release inventory").expect("its compensation");
    let cancel = saga.find("Cancel order").expect("the order cancelled");
    assert!(reserve < release && release < cancel, "{saga}");
    let balances = region_text(&app, "Balances");
    assert!(balances.contains("Conservation checks hold."), "{balances}");
    // The full check (outbox, dead letters, read models) runs on its timer, not per tick.
    wait_until(3_000, "the record checks", || {
        region_text(&app, "Balances")
            .contains("Record checks at tick 60 (outbox, dead letters, read models) hold.")
    })
    .await;
}

/// "Saga orders per tick" 2, "Start order stream" for 3 ticks, then "Stop order stream": six
/// streamed orders, each with its saga region, and no more after the stop.
#[wasm_bindgen_test]
async fn the_order_stream_places_orders_every_tick_until_stopped() {
    let app = fresh_app();
    load_preset(&app, "happy-path").await;
    button(&app, "Sagas").click();
    tick().await;
    let stream = || text(&app, "form[aria-label='Orders from the generator']");
    assert!(stream().contains("No order stream runs."), "{}", stream());
    type_into(&app, "Saga orders per tick", "2");
    tick().await;
    button(&app, "Start order stream").click();
    settle().await;
    assert!(stream().contains("Placing 2 orders a tick"), "{}", stream());
    steps_settled(&app, 3).await;
    button(&app, "Stop order stream").click();
    settle().await;
    assert!(stream().contains("No order stream runs."), "{}", stream());
    steps_settled(&app, 60).await;
    for n in 1..=6 {
        let saga = region_text(&app, &format!("Saga stream-order-{n}"));
        assert!(saga.contains("State:"), "{saga}");
    }
    assert_eq!(count(&app, "[aria-label='Saga stream-order-7']"), 0);
}

#[wasm_bindgen_test]
async fn an_order_placed_by_hand_runs_its_saga_to_completed() {
    let app = fresh_app();
    load_preset(&app, "happy-path").await;
    button(&app, "Sagas").click();
    tick().await;
    type_into(&app, "Customer", "ada");
    type_into(&app, "Product", "P2");
    type_into(&app, "Quantity", "2");
    tick().await;
    button(&app, "Place order").click();
    steps_settled(&app, 60).await;
    let saga = region_text(&app, "Saga web-order-1");
    assert!(saga.contains("State: completed"), "{saga}");
    assert!(saga.contains("Ship order"), "{saga}");
}

#[wasm_bindgen_test]
async fn stock_set_to_zero_fails_an_order_at_inventory() {
    let app = fresh_app();
    load_preset(&app, "happy-path").await;
    button(&app, "Sagas").click();
    tick().await;
    type_into(&app, "Initial stock of P2", "0");
    tick().await;
    button(&app, "Set stock of P2").click();
    settle().await;
    assert_eq!(input(&app, "Initial stock of P2").value(), "0");
    type_into(&app, "Customer", "ada");
    type_into(&app, "Product", "P2");
    type_into(&app, "Quantity", "1");
    tick().await;
    button(&app, "Place order").click();
    steps_settled(&app, 60).await;
    let saga = region_text(&app, "Saga web-order-1");
    assert!(saga.contains("State: failed"), "{saga}");
    assert!(!saga.contains("Ship order"), "{saga}");
}

fn live(app: &HtmlElement) -> String {
    text(app, "[aria-live=polite]")
}

fn checkbox(app: &HtmlElement, label: &str) -> web_sys::HtmlInputElement {
    use wasm_bindgen::JsCast;
    find(app, &format!("#{}", labelled(app, label))).unchecked_into()
}

#[wasm_bindgen_test]
async fn fail_payment_is_checked_until_an_order_uses_it_and_that_order_compensates() {
    let app = fresh_app();
    load_preset(&app, "happy-path").await;
    button(&app, "Sagas").click();
    tick().await;
    assert!(!checkbox(&app, "Fail payment").checked());
    checkbox(&app, "Fail payment").click();
    settle().await;
    assert!(
        checkbox(&app, "Fail payment").checked(),
        "armed in the engine"
    );
    assert!(!checkbox(&app, "Fail shipping").checked());
    button(&app, "Place order").click();
    steps_settled(&app, 60).await;
    let saga = region_text(&app, "Saga web-order-1");
    assert!(saga.contains("State: failed, compensated"), "{saga}");
    let reserve = saga.find("Reserve inventory").expect("the step done");
    let release = saga.find("Release inventory").expect("its compensation");
    assert!(reserve < release, "{saga}");
    assert!(!checkbox(&app, "Fail payment").checked(), "used up");
    wait_until(2_000, "the saga's end announced", || {
        live(&app).contains("web-order-1")
    })
    .await;
    app.remove();
}

/// "Fail payment with probability 100%" fails the next order at payment, and the field
/// reads the engine's rule; set to 0 it ends. "Fail refund" with "Fail shipping": the next
/// order's refund fails on every retry and its saga ends "failed, compensation
/// incomplete", which Balances names.
#[wasm_bindgen_test]
async fn a_payment_chance_fails_orders_and_fail_refund_leaves_a_saga_incomplete() {
    let app = fresh_app();
    load_preset(&app, "happy-path").await;
    button(&app, "Sagas").click();
    tick().await;
    let chance = || text(&app, ".payment-chance");
    assert!(
        chance().contains("Payments do not fail by chance."),
        "{}",
        chance()
    );
    type_into(&app, "Fail payment with probability (%)", "100");
    tick().await;
    button(&app, "Set payment failure probability").click();
    settle().await;
    assert!(
        chance().contains("Each payment fails with probability 100%"),
        "{}",
        chance()
    );
    button(&app, "Place order").click();
    steps_settled(&app, 60).await;
    let saga = region_text(&app, "Saga web-order-1");
    assert!(saga.contains("State: failed, compensated"), "{saga}");
    assert!(saga.contains("Why: ProcessPayment failed"), "{saga}");
    type_into(&app, "Fail payment with probability (%)", "0");
    tick().await;
    button(&app, "Set payment failure probability").click();
    settle().await;
    assert!(
        chance().contains("Payments do not fail by chance."),
        "{}",
        chance()
    );
    checkbox(&app, "Fail refund").click();
    checkbox(&app, "Fail shipping").click();
    settle().await;
    assert!(
        checkbox(&app, "Fail refund").checked(),
        "armed in the engine"
    );
    button(&app, "Place order").click();
    steps_settled(&app, 200).await;
    let saga = region_text(&app, "Saga web-order-2");
    assert!(
        saga.contains("State: failed, compensation incomplete"),
        "{saga}"
    );
    assert!(saga.contains("RefundPayment: attempt 1 failed"), "{saga}");
    let balances = region_text(&app, "Balances");
    assert!(
        balances.contains("compensation is incomplete"),
        "{balances}"
    );
    assert!(
        checkbox(&app, "Fail refund").checked(),
        "still failing refunds"
    );
    app.remove();
}

#[wasm_bindgen_test]
async fn take_down_and_slow_show_the_service_down_or_slow_and_bring_it_back() {
    let app = fresh_app();
    load_preset(&app, "happy-path").await;
    button(&app, "Sagas").click();
    tick().await;
    let services = || region_text(&app, "Break things");
    assert!(services().contains("Payment: up"), "{}", services());
    button(&app, "Take down Payment").click();
    settle().await;
    assert!(services().contains("Payment: down"), "{}", services());
    button(&app, "Bring up Payment").click();
    settle().await;
    assert!(services().contains("Payment: up"), "{}", services());
    button(&app, "Slow Payment").click();
    settle().await;
    assert!(
        services().contains("Payment: up, slow (100 extra ticks a record)"),
        "{}",
        services()
    );
    button(&app, "Speed up Payment").click();
    settle().await;
    assert!(!services().contains("slow"), "{}", services());
    app.remove();
}

#[wasm_bindgen_test]
async fn a_poison_message_waits_in_dead_letters_until_resubmit() {
    let app = fresh_app();
    load_preset(&app, "poison-message-dlq-resubmit").await;
    button(&app, "Sagas").click();
    tick().await;
    let letters = region_text(&app, "Dead letters");
    assert!(
        letters.contains("No record was dead-lettered."),
        "{letters}"
    );
    // The schedule the consumers follow (the seed documents': immediately, 1 s, 5 s, 30 s,
    // 2 min, then the DLQ), at this preset's ticks per second.
    assert!(letters.contains("Retry schedule"), "{letters}");
    assert!(
        letters.contains("Attempt 1: on delivery (tick +0)"),
        "{letters}"
    );
    assert!(
        letters.contains("Attempt 2: immediately (tick +0)"),
        "{letters}"
    );
    assert!(letters.contains("Attempt 6: after 2 min"), "{letters}");
    assert!(letters.contains("If attempt 6 (at tick +"), "{letters}");
    steps_settled(&app, 200).await;
    let letters = region_text(&app, "Dead letters");
    assert!(
        letters.contains("payment-commands.DLQ: 1 dead-lettered, 1 waiting"),
        "{letters}"
    );
    assert!(
        letters.contains("injected error after 6 attempts"),
        "{letters}"
    );
    let saga = region_text(&app, "Saga order-1");
    assert!(
        saga.contains("attempt 5 failed (injected error); attempt 6 at tick"),
        "{saga}"
    );
    button(&app, "Resubmit all 1 from payment-commands.DLQ").click();
    settle().await;
    let letters = region_text(&app, "Dead letters");
    assert!(letters.contains("1 dead-lettered, 0 waiting"), "{letters}");
    assert!(!letters.contains("after 6 attempts"), "{letters}");
    app.remove();
}

/// The record's own "Resubmit" (named after the record and its place on the DLQ) takes it
/// out of "Dead letters"; the saga then completes.
#[wasm_bindgen_test]
async fn one_dead_letter_resubmitted_by_its_own_button_leaves_dead_letters() {
    let app = fresh_app();
    load_preset(&app, "poison-message-dlq-resubmit").await;
    button(&app, "Sagas").click();
    steps_settled(&app, 200).await;
    let resubmit = find(
        &app,
        "[aria-label='Dead letters'] button[aria-label^='Resubmit ProcessPayment of order-1 from payment-commands.DLQ, partition ']",
    );
    assert_eq!(resubmit.text_content().unwrap().trim(), "Resubmit");
    resubmit.click();
    settle().await;
    let letters = region_text(&app, "Dead letters");
    assert!(letters.contains("1 dead-lettered, 0 waiting"), "{letters}");
    assert!(!letters.contains("after 6 attempts"), "{letters}");
    steps_settled(&app, 100).await;
    let saga = region_text(&app, "Saga order-1");
    assert!(saga.contains("State: completed"), "{saga}");
    app.remove();
}

#[wasm_bindgen_test]
async fn the_saga_list_shows_fifty_a_page_and_pages_by_keyboard_reachable_buttons() {
    let app = fresh_app();
    load_preset(&app, "happy-path").await;
    button(&app, "Sagas").click();
    tick().await;
    for _ in 0..50 {
        button(&app, "Place order").click();
        tick().await;
    }
    // The Order service takes each PlaceOrder in turn; a saga exists once it has.
    steps_settled(&app, 120).await;
    let pager = || text(&app, "nav[aria-label='Saga pages']");
    assert!(pager().contains("Sagas 1–50 of 52"), "{}", pager());
    assert_eq!(count(&app, ".saga-list [role='region']"), 50);
    let next: web_sys::HtmlButtonElement = {
        use wasm_bindgen::JsCast;
        button(&app, "Next sagas").unchecked_into()
    };
    assert!(!next.disabled());
    next.click();
    settle().await;
    assert!(pager().contains("Sagas 51–52 of 52"), "{}", pager());
    assert_eq!(count(&app, ".saga-list [role='region']"), 2);
    // Ordered by order id: "web-order-9" sorts last.
    assert!(region_text(&app, "Saga web-order-9").contains("State:"));
    // The pager keeps its elements while the run moves on: focus stays on "Previous sagas".
    let previous = button(&app, "Previous sagas");
    previous.focus().unwrap();
    steps(&app, 3).await;
    let focused = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.active_element())
        .expect("something has focus");
    assert!(
        focused.is_same_node(Some(&previous)),
        "focus moved to {:?}",
        focused.outer_html()
    );
    app.remove();
}
