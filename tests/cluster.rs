//! Browser tests of brokers in the page: the three-broker preset (`acks=all`,
//! `min.insync.replicas=2`) loads with its replication in the topic setup form, and after
//! its second broker dies the live region announces the refused writes by Kafka's error
//! name; without brokers the form refuses a replication factor the run cannot hold; the
//! stage's lanes name their leader and ISR and draw records above the HW as not yet
//! committed. Same shape as `tests/web.rs`: mount the app, act like a person,
//! `tick().await`, read the DOM.
#![cfg(target_arch = "wasm32")]

use leptos::task::tick;
use wasm_bindgen_test::*;
use web_sys::HtmlElement;

mod common;

use common::*;

wasm_bindgen_test_configure!(run_in_browser);

fn live(app: &HtmlElement) -> String {
    text(app, "[aria-live=polite]")
}

#[wasm_bindgen_test]
async fn the_three_broker_preset_refuses_writes_after_two_brokers_die_and_says_why() {
    let app = fresh_app();
    load_preset(&app, "cluster-acks-all-min-insync").await;
    settle().await;
    assert_eq!(input(&app, "Replication factor").value(), "3");
    assert_eq!(input(&app, "min.insync.replicas").value(), "2");
    // Broker 2 dies at tick 20: writes still commit (a refused one would be the last
    // announcement of its tick, the one the live region says).
    steps(&app, 25).await;
    settle().await;
    assert!(!live(&app).contains("refused"), "{}", live(&app));
    // Broker 3 dies at tick 40: one in-sync replica left, fewer than min.insync.replicas.
    steps(&app, 18).await;
    wait_until(2_000, "a refused write announced", || {
        live(&app).contains("refused: NOT_ENOUGH_REPLICAS")
    })
    .await;
    app.remove();
}

#[wasm_bindgen_test]
async fn without_brokers_the_setup_form_refuses_a_replication_factor_of_3() {
    let app = fresh_app();
    type_into(&app, "Replication factor", "3");
    tick().await;
    let page = app.text_content().unwrap_or_default();
    assert!(
        page.contains("Replication factor 3 needs 3 brokers; this run has 1."),
        "{page}"
    );
    type_into(&app, "Replication factor", "1");
    tick().await;
    let page = app.text_content().unwrap_or_default();
    assert!(!page.contains("needs 3 brokers"));
    app.remove();
}

#[wasm_bindgen_test]
async fn the_cluster_drawer_kills_and_restarts_a_broker_and_shows_the_new_leader() {
    let app = fresh_app();
    load_preset(&app, "cluster-acks-all-min-insync").await;
    steps(&app, 2).await;
    button(&find(&app, "nav[aria-label='Panels']"), "Cluster").click();
    tick().await;
    let broker = "[aria-label='Broker 2']";
    assert!(text(&app, broker).contains("running"));
    button(&find(&app, broker), "Kill broker 2").click();
    settle().await;
    assert!(
        text(&app, broker).contains("down"),
        "{}",
        text(&app, broker)
    );
    let row = text(&app, ".partitions-table tbody tr:nth-child(2)");
    assert!(
        row.starts_with("orders-13"),
        "orders-1 is led by broker 3 now: {row}"
    );
    button(&find(&app, broker), "Restart broker 2").click();
    settle().await;
    assert!(text(&app, broker).contains("running"));
    steps(&app, 2).await;
    let row = text(&app, ".partitions-table tbody tr:nth-child(2)");
    assert!(
        row.contains("2 (in sync"),
        "broker 2 is back in sync: {row}"
    );
    app.remove();
}

/// The text of partition `p`'s lane head on the stage ("Partition 1 … leader 2 · ISR 3/3").
fn lane_head(app: &HtmlElement, p: u32) -> String {
    text(
        app,
        &format!(".stage [aria-label='Partition {p}'] .lane-head"),
    )
}

#[wasm_bindgen_test]
async fn a_lane_draws_records_above_the_high_watermark_as_not_yet_committed() {
    let app = fresh_app();
    load_preset(&app, "cluster-acks-1-loses-records").await;
    // Three acks=1 sends at tick 5: the leader has them before any follower fetched them.
    let mut steps_taken = 0;
    while count(&app, ".lane-record.uncommitted") == 0 && steps_taken < 12 {
        steps(&app, 1).await;
        steps_taken += 1;
    }
    settle().await;
    // As many as the lane has room for (at most half its cells); the head counts all three.
    assert!(count(&app, ".lane-record.uncommitted") >= 1);
    let head = lane_head(&app, 0);
    assert!(
        head.contains("leader 1 · ISR 3/3 · 3 uncommitted"),
        "{head}"
    );
    let cell = find(&app, ".lane-record.uncommitted");
    let label = cell.get_attribute("aria-label").unwrap_or_default();
    assert!(label.contains("not yet committed"), "{label}");
    // The followers fetch them the next tick: committed, drawn like any record.
    steps(&app, 1).await;
    settle().await;
    assert_eq!(count(&app, ".lane-record.uncommitted"), 0);
    assert!(!lane_head(&app, 0).contains("uncommitted"));
    app.remove();
}

#[wasm_bindgen_test]
async fn killing_a_broker_in_the_cluster_drawer_moves_the_lanes_leader() {
    let app = fresh_app();
    load_preset(&app, "cluster-acks-all-min-insync").await;
    steps(&app, 2).await;
    settle().await;
    assert!(
        lane_head(&app, 1).contains("leader 2 · ISR 3/3"),
        "{}",
        lane_head(&app, 1)
    );
    button(&find(&app, "nav[aria-label='Panels']"), "Cluster").click();
    tick().await;
    button(&find(&app, "[aria-label='Broker 2']"), "Kill broker 2").click();
    settle().await;
    assert!(
        lane_head(&app, 1).contains("leader 3 · ISR 2/3"),
        "{}",
        lane_head(&app, 1)
    );
    app.remove();
}

#[wasm_bindgen_test]
async fn the_metrics_table_charts_under_replicated_partitions_when_a_broker_dies() {
    let app = fresh_app();
    load_preset(&app, "cluster-acks-all-min-insync").await;
    settle().await;
    button(&app, "Cluster").click();
    tick().await;
    // The preset kills broker 2 at tick 20; its partitions are under-replicated after.
    steps(&app, 24).await;
    settle().await;
    let chart = find(
        &app,
        "svg.metric-chart[aria-label^='UnderReplicatedPartitions']",
    );
    let label = chart.get_attribute("aria-label").unwrap_or_default();
    assert!(
        label.starts_with("UnderReplicatedPartitions from tick 1 to 24"),
        "{label}"
    );
    assert!(!label.ends_with("now 0"), "broker 2 is down: {label}");
    let points = find(&chart, "polyline")
        .get_attribute("points")
        .unwrap_or_default();
    assert_eq!(
        points.split(' ').count(),
        24,
        "one point per tick: {points}"
    );
    app.remove();
}
