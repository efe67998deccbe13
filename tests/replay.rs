//! Browser tests of rebuilding a tick by replay in slices: after a 100,000-record burst,
//! rewinding to tick 0 and going "Back to live" replays the burst over several frames with
//! its progress shown, the page answers meanwhile, and the run ends as it was; "Stop here"
//! leaves an earlier tick of the same run.
#![cfg(target_arch = "wasm32")]

use leptos::task::tick;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{HtmlElement, HtmlInputElement};

mod common;

use common::*;

wasm_bindgen_test_configure!(run_in_browser);

fn replay_status(app: &HtmlElement) -> Option<String> {
    app.query_selector(".replay-status")
        .unwrap()
        .map(|e| e.text_content().unwrap_or_default())
}

async fn rewind_to(app: &HtmlElement, tick_value: &str) {
    let timeline: HtmlInputElement = find(app, "#timeline").unchecked_into();
    timeline.set_value(tick_value);
    fire(&timeline, "input");
    tick().await;
}

/// A fresh app with a 100,000-record burst published at tick 1, then two steps.
async fn app_with_a_big_burst() -> Mounted {
    let app = fresh_app();
    button(&app, "Step").click();
    tick().await;
    button(&app, "Publish 100,000").click();
    tick().await;
    wait_until(30_000, "the burst to finish", || {
        stage_summary(&app).contains("100000")
    })
    .await;
    button(&app, "Step").click();
    tick().await;
    button(&app, "Step").click();
    tick().await;
    app
}

#[wasm_bindgen_test]
async fn back_to_live_after_a_big_burst_replays_over_frames_with_progress() {
    let app = app_with_a_big_burst().await;
    let before = stage_summary(&app);
    rewind_to(&app, "0").await;
    settle().await;
    assert!(replay_status(&app).is_none(), "tick 0 needs no long replay");
    button(&app, "Back to live").click();
    tick().await;
    let status = replay_status(&app).expect("the burst takes more than a frame to replay");
    assert!(status.contains("Rebuilding tick 3 by replay"), "{status}");
    assert!(status.contains("Stop here"), "{status}");
    wait_until(30_000, "the replay to finish", || {
        replay_status(&app).is_none()
    })
    .await;
    settle().await;
    assert_eq!(stage_summary(&app), before, "the same run, rebuilt");
    app.remove();
}

#[wasm_bindgen_test]
async fn stop_here_leaves_an_earlier_tick_and_keeps_the_recorded_run() {
    let app = app_with_a_big_burst().await;
    rewind_to(&app, "0").await;
    settle().await;
    button(&app, "Back to live").click();
    tick().await;
    assert!(replay_status(&app).is_some());
    button(&app, "Stop here").click();
    tick().await;
    settle().await;
    assert!(replay_status(&app).is_none());
    let timeline: HtmlInputElement = find(&app, "#timeline").unchecked_into();
    assert_eq!(timeline.max(), "3", "the recorded run is kept");
    assert_ne!(
        timeline.value(),
        "3",
        "an earlier tick: {}",
        timeline.value()
    );
    assert!(
        app.text_content()
            .unwrap_or_default()
            .contains("Back to live"),
        "it can still go back to live"
    );
    app.remove();
}
