//! Browser tests of the multi-topic playground: the "Topic" select, presets from the engine's
//! scenarios, the generator form following a preset, "Add partitions", the no-key sticky
//! choice and retention by ticks, and a format-1 share link. Same shape as `tests/web.rs`:
//! mount the app into a fresh container, act like a person, `tick().await`, read the DOM.
#![cfg(target_arch = "wasm32")]

use leptos::prelude::*;
use leptos::task::tick;
use orderflow_engine::partitioner::Partitioner;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

mod common;

use common::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn the_five_demo_topics_preset_lists_its_topics_and_publishes_to_the_selected_one() {
    let app = fresh_app();
    load_preset(&app, "demo-topics").await;
    let topics = select(&app, "Topic");
    assert_eq!(topics.length(), 5);
    assert_eq!(topics.value(), "user-events", "the first topic is selected");
    assert_eq!(count(&app, "[aria-label^='Partition ']"), 3);

    choose(&app, "Topic", "payments");
    tick().await;
    assert_eq!(count(&app, "[aria-label^='Partition ']"), 5);
    assert!(text(&app, "#stage-title").contains("payments"));
    publish(&app, "U-pay-3", "O-77").await;
    let expected = Partitioner::Murmur2.route(b"U-pay-3", 5).partition.0;
    for p in 0..5 {
        assert_eq!(
            partition_text(&app, p).contains("U-pay-3"),
            p == expected,
            "payments partition {p} (expected {expected})"
        );
    }
    // The record went to payments only: orders (3 partitions) does not show it.
    choose(&app, "Topic", "orders");
    tick().await;
    assert_eq!(count(&app, "[aria-label^='Partition ']"), 3);
    assert!(!(0..3).any(|p| partition_text(&app, p).contains("U-pay-3")));
}

#[wasm_bindgen_test]
async fn the_presets_panel_says_which_run_is_loaded() {
    let app = fresh_app();
    assert!(text(&app, ".presets-panel .running").contains("the default start"));
    load_preset(&app, "demo-topics").await;
    assert!(text(&app, ".presets-panel .running").contains("the preset The five demo topics"));
    // It stays with the run: in the share link and after a reload.
    drop(app);
    let app = mount_app();
    tick().await;
    assert!(text(&app, ".presets-panel .running").contains("The five demo topics"));
}

#[wasm_bindgen_test]
async fn the_generator_form_shows_the_presets_generator_for_the_selected_topic() {
    let app = fresh_app();
    load_preset(&app, "demo-topics").await;
    choose(&app, "Topic", "orders");
    // The stage redraws for the other topic too: let every effect run.
    settle().await;
    assert_eq!(input(&app, "Users").value(), "20");
    assert_eq!(input(&app, "Orders per tick").value(), "1");
    assert_eq!(input(&app, "User prefix").value(), "order-");
    button(&app, "Stop generator");
    // Another topic: its burst's settings (user- prefix, 3 users), no generator running.
    choose(&app, "Topic", "user-events");
    settle().await;
    assert_eq!(input(&app, "Users").value(), "3");
    assert_eq!(input(&app, "User prefix").value(), "user-");
    button(&app, "Start generator");
    // A typed draft belongs to its topic: switching away and back shows the preset value.
    type_into(&app, "Users", "7");
    tick().await;
    assert_eq!(input(&app, "Users").value(), "7");
    choose(&app, "Topic", "orders");
    settle().await;
    assert_eq!(input(&app, "Users").value(), "20");
}

#[wasm_bindgen_test]
async fn adding_partitions_keeps_old_records_in_place_and_routes_new_ones_by_the_new_count() {
    let app = fresh_app();
    for u in 1..=10 {
        publish(&app, &format!("U{u}"), "O1").await;
    }
    type_into(&app, "Partitions", "6");
    tick().await;
    let moved = text(&app, ".moved-keys");
    assert!(moved.contains("of 10 keys seen would move"), "{moved:?}");
    button(&app, "Add partitions").click();
    tick().await;
    assert_eq!(count(&app, "[aria-label^='Partition ']"), 6);
    // Old records stay on the partition 4 partitions gave them. Read in the partition's log
    // (the dock), which lists every record: the lane draws only the newest that fit.
    for u in 1..=10 {
        let key = format!("U{u}");
        let old = Partitioner::Murmur2.route(key.as_bytes(), 4).partition.0;
        open_partition(&app, old).await;
        assert!(
            text(&app, &partition_log("orders", old)).contains(&key),
            "{key} stays on {old}"
        );
    }
    // A new record of a moving key goes where 6 partitions route it.
    let mover = (1..=10)
        .map(|u| format!("U{u}"))
        .find(|k| {
            Partitioner::Murmur2.route(k.as_bytes(), 4).partition
                != Partitioner::Murmur2.route(k.as_bytes(), 6).partition
        })
        .expect("some key moves from 4 to 6 partitions");
    publish(&app, &mover, "O2").await;
    let new = Partitioner::Murmur2.route(mover.as_bytes(), 6).partition.0;
    // The record's value is in the partition's log (the dock).
    open_partition(&app, new).await;
    assert!(
        text(&app, &partition_log("orders", new)).contains("O2"),
        "{mover} now on {new}"
    );
    assert_eq!(input(&app, "Partitions").value(), "6");
    let live = text(&app, "[aria-live=polite]");
    assert!(live.contains("6 partitions"), "announced {live:?}");
    // Fewer partitions cannot be added.
    type_into(&app, "Partitions", "5");
    tick().await;
    assert!(button(&app, "Add partitions")
        .unchecked_into::<web_sys::HtmlButtonElement>()
        .disabled());
}

#[wasm_bindgen_test]
async fn no_key_sticky_fills_one_partition_per_batch_and_retention_by_ticks_applies() {
    let app = fresh_app();
    choose(&app, "Partitioner", "none-sticky");
    type_into(&app, "Retention (ticks)", "5");
    type_into(&app, "Segment size", "4");
    tick().await;
    button(&app, "Apply setup").click();
    tick().await;
    assert_eq!(select(&app, "Partitioner").value(), "none-sticky");
    assert_eq!(input(&app, "Retention (ticks)").value(), "5");
    // 16 records without a key: one sticky batch, so all on one partition.
    for o in 1..=16 {
        publish(&app, "U1", &format!("O{o}")).await;
    }
    let sizes: Vec<u64> = (0..4).map(|p| lane_records(&app, p)).collect();
    assert_eq!(sizes.iter().filter(|n| **n > 0).count(), 1, "{sizes:?}");
    // (The DOM holds only a window of rows; the summary counts the whole topic.)
    assert!(stage_summary(&app).starts_with("16 records"));
    assert!(text(&app, "form.publish").contains("no key (sticky)"));
    // Time passes: the three closed segments (4 records each) grow older than 5 ticks and
    // are deleted; the active segment stays.
    for _ in 0..8 {
        button(&app, "Step").click();
        tick().await;
    }
    let summary = stage_summary(&app);
    assert!(
        summary.starts_with("4 records"),
        "only the active segment is left: {summary}"
    );
}

#[wasm_bindgen_test]
async fn the_sticky_batch_size_decides_how_many_records_stay_on_one_partition() {
    let app = fresh_app();
    assert_eq!(
        count(&app, "#setup-sticky-batch"),
        0,
        "only for the sticky choice"
    );
    choose(&app, "Partitioner", "none-sticky");
    tick().await;
    assert_eq!(input(&app, "Sticky batch (records)").value(), "16");
    type_into(&app, "Sticky batch (records)", "0");
    tick().await;
    assert!(text(&app, ".setup-panel").contains("Sticky batch must be"));
    type_into(&app, "Sticky batch (records)", "4");
    tick().await;
    button(&app, "Apply setup").click();
    tick().await;
    assert_eq!(input(&app, "Sticky batch (records)").value(), "4");
    // 12 records without a key, batches of 4: three batches, each on one partition, and
    // the sticky partitioner never picks the same partition twice in a row.
    for o in 1..=12 {
        publish(&app, "U1", &format!("O{o}")).await;
    }
    let sizes: Vec<u64> = (0..4).map(|p| lane_records(&app, p)).collect();
    assert_eq!(sizes.iter().sum::<u64>(), 12, "{sizes:?}");
    assert!(sizes.iter().all(|n| n % 4 == 0), "whole batches: {sizes:?}");
    assert!(sizes.iter().filter(|n| **n > 0).count() >= 2, "{sizes:?}");
}

/// A share link written by the format-1 build (one topic, no topics on actions).
const FORMAT_1_JSON: &str = r#"{"format":1,"setup":{"partitions":4,"partitioner":"murmur2","keyed":true,"key_field":"user_id","segment_records":1000,"retention_records":null},"seed":42,"ticks":0,"actions":[{"tick":0,"type":"publish","event":{"user_id":"U-old-link","order_id":"O1","status":"Created"}}]}"#;

#[wasm_bindgen_test]
async fn a_format_1_share_link_still_opens() {
    fresh_browser_state();
    let deflated = miniz_oxide::deflate::compress_to_vec(FORMAT_1_JSON.as_bytes(), 9);
    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(deflated);
    window()
        .location()
        .set_hash(&format!("s={encoded}"))
        .unwrap();
    let app = mount_app();
    tick().await;
    assert_eq!(count(&app, "[aria-label^='Partition ']"), 4);
    let p = Partitioner::Murmur2.route(b"U-old-link", 4).partition.0;
    assert!(partition_text(&app, p).contains("U-old-link"));
    assert_eq!(select(&app, "Topic").value(), "orders");
}
