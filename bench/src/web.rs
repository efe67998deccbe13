//! The Wasm entry points `bench/web/run.mjs` calls in headless Chromium.

use crate::{run, workloads, Plan};
use wasm_bindgen::prelude::wasm_bindgen;

/// The workloads as JSON (`[{id, title, unit, default}]`).
#[wasm_bindgen]
pub fn list_workloads() -> String {
    serde_json::to_string(&workloads()).expect("the list serialises")
}

/// Runs workload `id` with the plan given as JSON (see [`Plan`]); returns its report as
/// JSON, or `{"error": ...}`.
#[wasm_bindgen]
pub fn run_workload(id: &str, plan: &str) -> String {
    let result = serde_json::from_str::<Plan>(plan)
        .map_err(|e| format!("bad plan: {e}"))
        .and_then(|plan| run(id, &plan));
    match result {
        Ok(report) => serde_json::to_string(&report).expect("a report serialises"),
        Err(error) => serde_json::json!({ "error": error }).to_string(),
    }
}
