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
use orderflow::sagas::{SAGA_OVERSCAN_ROWS, SAGA_ROWS_IN_VIEW, SAGA_ROW_PX};

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
        let saga = saga_text(&app, &format!("stream-order-{n}")).await;
        assert!(saga.contains("State:"), "{saga}");
    }
    let names = saga_names(&app).await;
    assert!(names.contains("Saga stream-order-6"), "{names:?}");
    assert!(!names.contains("Saga stream-order-7"), "{names:?}");
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

/// Scrolls the saga list to `top` CSS pixels, as a person's wheel or arrow keys do.
async fn scroll_sagas(app: &HtmlElement, top: f64) {
    let viewport = find(app, ".saga-viewport");
    viewport.set_scroll_top(top as i32);
    fire(&viewport, "scroll");
    settle().await;
}

/// The text of region "Saga ORDER-ID", scrolling the virtualised list down from the top a
/// viewport at a time until it is drawn.
async fn saga_text(app: &HtmlElement, order_id: &str) -> String {
    let name = format!("Saga {order_id}");
    let page = SAGA_ROWS_IN_VIEW as f64 * SAGA_ROW_PX;
    let mut top = 0.0;
    loop {
        scroll_sagas(app, top).await;
        if count(app, &format!("[role='region'][aria-label='{name}']")) == 1 {
            return region_text(app, &name);
        }
        let viewport = find(app, ".saga-viewport");
        let bottom = f64::from(viewport.scroll_height() - viewport.client_height());
        assert!(top < bottom, "no region {name} in the whole list");
        top += page;
    }
}

/// Every saga region's name, scrolling the virtualised list from the top to the bottom a
/// viewport at a time.
async fn saga_names(app: &HtmlElement) -> std::collections::BTreeSet<String> {
    let page = SAGA_ROWS_IN_VIEW as f64 * SAGA_ROW_PX;
    let mut names = std::collections::BTreeSet::new();
    let mut top = 0.0;
    loop {
        scroll_sagas(app, top).await;
        let regions = app
            .query_selector_all(".saga-list [role='region']")
            .unwrap();
        for i in 0..regions.length() {
            use wasm_bindgen::JsCast;
            let region: web_sys::Element = regions.item(i).unwrap().unchecked_into();
            names.extend(region.get_attribute("aria-label"));
        }
        let viewport = find(app, ".saga-viewport");
        if top >= f64::from(viewport.scroll_height() - viewport.client_height()) {
            return names;
        }
        top += page;
    }
}

/// The order stream at 100 a tick for 10 ticks, then 2,200 ticks (the Order service takes
/// an order about every other tick), saved as the app's session.
fn a_thousand_sagas_saved() {
    use orderflow::playground::Playground;
    use orderflow::sagas::{parse_orders_per_tick, stop_order_stream};
    let mut pg = Playground::new(orderflow::presets::preset("happy-path").unwrap().session);
    pg.try_saga(parse_orders_per_tick("100").unwrap()).unwrap();
    for _ in 0..10 {
        pg.step();
    }
    pg.try_saga(stop_order_stream()).unwrap();
    let mut session = pg.session().clone();
    session.ticks = 2_200;
    let json = orderflow::share::to_json(&session);
    let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    storage
        .set_item(orderflow::saved::STORAGE_KEY, &json)
        .unwrap();
}

/// A thousand sagas and more: the list draws only the regions in view (and a few around
/// them), says which are in view, and scrolling draws the later ones in their place; the
/// list and the regions are keyboard focusable, and the list keeps its scroll while the run
/// moves on.
#[wasm_bindgen_test]
async fn the_saga_list_draws_only_the_regions_in_view_of_a_thousand_sagas() {
    fresh_browser_state();
    a_thousand_sagas_saved();
    let app = mount_app();
    wait_until(60_000, "the saved run to replay", || {
        text(&app, ".tick").contains("2200")
    })
    .await;
    button(&app, "Sagas").click();
    settle().await;
    let total = {
        let label = text(&app, ".saga-count");
        let of = label.split(" of ").nth(1).expect("Sagas A–B of N in view");
        of.split(' ').next().unwrap().parse::<usize>().unwrap()
    };
    assert!(total >= 1_000, "{total} sagas");
    assert_eq!(
        text(&app, ".saga-count"),
        format!("Sagas 1–{SAGA_ROWS_IN_VIEW} of {total} in view")
    );
    let most = (SAGA_ROWS_IN_VIEW + 2 * SAGA_OVERSCAN_ROWS) as u32;
    let drawn = || count(&app, ".saga-list [role='region']");
    assert!(drawn() > 0 && drawn() <= most, "{} regions drawn", drawn());
    let first = find(&app, ".saga-list [role='region']")
        .get_attribute("aria-label")
        .unwrap();
    // Row 700 on top: "Sagas 701–704", those regions drawn, the first one gone.
    scroll_sagas(&app, 700.0 * SAGA_ROW_PX).await;
    assert_eq!(
        text(&app, ".saga-count"),
        format!("Sagas 701–{} of {total} in view", 700 + SAGA_ROWS_IN_VIEW)
    );
    assert!(drawn() <= most, "{} regions drawn after scrolling", drawn());
    assert_eq!(count(&app, &format!("[aria-label='{first}']")), 0);
    let region = find(&app, ".saga-list [role='region']");
    assert!(region.text_content().unwrap().contains("State:"));
    assert_eq!(region.tab_index(), 0, "a region is keyboard focusable");
    assert_eq!(
        find(&app, ".saga-viewport").tab_index(),
        0,
        "the list scrolls by keyboard"
    );
    // The last saga, in place at the bottom.
    scroll_sagas(&app, 1e9).await;
    assert_eq!(
        text(&app, ".saga-count"),
        format!(
            "Sagas {}–{total} of {total} in view",
            total - SAGA_ROWS_IN_VIEW + 1
        )
    );
    // The list keeps its place while the run moves on.
    let place = find(&app, ".saga-viewport").scroll_top();
    steps_settled(&app, 3).await;
    assert_eq!(find(&app, ".saga-viewport").scroll_top(), place);
    assert!(drawn() <= most);
    app.remove();
}
