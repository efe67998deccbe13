//! Entry point: installs the panic hook and mounts the app (see `lib.rs`).

use wasm_bindgen::prelude::wasm_bindgen;

fn main() {
    orderflow::crash::install();
    leptos::mount::mount_to_body(orderflow::App);
}

/// Test-only: makes the play loop panic on its next frame, to show the crash banner
/// (`window.wasmBindings.orderflow_panic_test()`; see `orderflow::crash`). Nothing on the
/// page calls it.
#[wasm_bindgen]
pub fn orderflow_panic_test() {
    orderflow::crash::request_test_panic();
}
