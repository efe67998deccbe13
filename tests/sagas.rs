//! Browser tests of the Sagas drawer: a saga preset's orders each get a region "Saga
//! ORDER-ID" with the engine's state, steps and compensations, and a "Balances" region; an
//! order placed by hand with "Place order" runs its saga. Same shape as `tests/web.rs`:
//! mount the app into a fresh container, act like a person, `tick().await`, read the DOM.
#![cfg(target_arch = "wasm32")]

use leptos::task::tick;
use wasm_bindgen_test::*;
use web_sys::HtmlElement;

mod common;

use common::*;

wasm_bindgen_test_configure!(run_in_browser);

fn region(app: &HtmlElement, name: &str) -> String {
    find(app, &format!("[role='region'][aria-label='{name}']"))
        .text_content()
        .unwrap_or_default()
}

async fn steps(app: &HtmlElement, n: u32) {
    for _ in 0..n {
        button(app, "Step").click();
        tick().await;
    }
    settle().await;
}

#[wasm_bindgen_test]
async fn the_payment_fails_preset_shows_the_compensations_in_the_order_they_ran() {
    let app = fresh_app();
    load_preset(&app, "payment-fails-compensation").await;
    button(&app, "Sagas").click();
    steps(&app, 60).await;
    let saga = region(&app, "Saga order-1");
    assert!(saga.contains("State: failed, compensated"), "{saga}");
    let reserve = saga.find("Reserve inventory").expect("the step done");
    let release = saga.find("Release inventory").expect("its compensation");
    let cancel = saga.find("Cancel order").expect("the order cancelled");
    assert!(reserve < release && release < cancel, "{saga}");
    let balances = region(&app, "Balances");
    assert!(balances.contains("Conservation checks hold."), "{balances}");
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
    steps(&app, 60).await;
    let saga = region(&app, "Saga web-order-1");
    assert!(saga.contains("State: completed"), "{saga}");
    assert!(saga.contains("Ship order"), "{saga}");
}
