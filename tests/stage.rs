//! Browser tests of the stage: its nodes and edges follow the engine's assignment through
//! joins, kills and rebalances (an independent playground replaying the same actions is the
//! oracle); reduced motion draws no travel; a click or Enter opens details in the dock; a
//! topic of hundreds of partitions becomes a heat strip whose squares are reachable one by
//! one with the arrow keys; a saga compensation (from the record's payload) is drawn in its
//! own colour and named so.
#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use leptos::prelude::*;
use leptos::task::tick;
use orderflow::components::stage::Stage;
use orderflow::components::topics::SelectedTopic;
use orderflow::playground::Playground;
use orderflow::session::Session;
use orderflow::stage::{Dock, DockView, ReducedMotion};
use orderflow::state::{Clock, Engine};
use orderflow_engine::ids::MemberId;
use orderflow_engine::log::OrderEvent;
use orderflow_engine::sim::Command;
use std::collections::BTreeMap;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{HtmlElement, KeyboardEvent, KeyboardEventInit};

wasm_bindgen_test_configure!(run_in_browser);

/// Per partition of `orders`, the member the stage draws an ownership edge to.
fn drawn_owners(app: &HtmlElement, group: &str) -> BTreeMap<u32, String> {
    let edges = app
        .query_selector_all(&format!(
            ".edge.owns[data-group='{group}'], .edge.revoking[data-group='{group}']"
        ))
        .unwrap();
    let mut owners = BTreeMap::new();
    for i in 0..edges.length() {
        let edge: web_sys::Element = edges.item(i).unwrap().unchecked_into();
        let partition = edge
            .get_attribute("data-partition")
            .unwrap()
            .parse()
            .unwrap();
        let member = edge.get_attribute("data-member").unwrap();
        assert!(
            owners.insert(partition, member).is_none(),
            "one edge per partition and group"
        );
    }
    owners
}

/// Per partition of `orders`, the member the engine says owns it.
fn engine_owners(pg: &Playground, group: &str) -> BTreeMap<u32, String> {
    pg.group_snapshot(group)
        .unwrap()
        .partitions
        .iter()
        .filter_map(|p| Some((p.partition.partition.0, p.owner.as_ref()?.0.clone())))
        .collect()
}

fn member_chip(app: &HtmlElement, group: &str, member: &str) -> HtmlElement {
    find(
        app,
        &format!("[aria-label='Consumer group {group}'] [aria-label='Consumer {member}']"),
    )
}

fn group_title(app: &HtmlElement, group: &str) -> String {
    text(
        app,
        &format!("[aria-label='Consumer group {group}'] .group-title"),
    )
}

/// Steps the app (with its Step button) and the oracle alike.
async fn step_both(app: &HtmlElement, pg: &mut Playground, n: u32) {
    for _ in 0..n {
        button(app, "Step").click();
        tick().await;
        pg.step();
    }
}

fn assert_edges_follow_the_engine(app: &HtmlElement, pg: &Playground) {
    for group in ["OrderProcessor", "Notifier", "Analytics"] {
        assert_eq!(
            drawn_owners(app, group),
            engine_owners(pg, group),
            "group {group} at tick {}",
            pg.now()
        );
        let generation = pg.group_snapshot(group).unwrap().generation;
        assert!(
            group_title(app, group).contains(&format!("gen {generation}")),
            "{}",
            group_title(app, group)
        );
    }
}

#[wasm_bindgen_test]
async fn nodes_and_edges_follow_the_engines_assignment_through_joins_kills_and_rebalances() {
    let app = fresh_app();
    let mut oracle = Playground::new(Session::default());
    step_both(&app, &mut oracle, 3).await;
    assert_edges_follow_the_engine(&app, &oracle);
    assert_eq!(
        count(&app, "[aria-label='Consumer group Notifier'] .member-node"),
        3
    );

    // A join: Notifier (cooperative) gets a fourth member.
    open_group(&app, "Notifier").await;
    button_in(&app, &group_details("Notifier"), "Add consumer").click();
    tick().await;
    let member = oracle.next_member_id("Notifier");
    oracle.act(Command::JoinGroup {
        group: "Notifier".into(),
        member: member.clone(),
    });
    for _ in 0..6 {
        step_both(&app, &mut oracle, 1).await;
        assert_edges_follow_the_engine(&app, &oracle);
    }
    assert_eq!(
        count(&app, "[aria-label='Consumer group Notifier'] .member-node"),
        4
    );
    assert_eq!(drawn_owners(&app, "Notifier").len(), 4);

    // A kill: OrderProcessor (eager) c1 greys out with its session-timeout countdown, then
    // its partitions move to c2; while the group is paused the released edges fade.
    open_group(&app, "OrderProcessor").await;
    button_in(&app, &group_details("OrderProcessor"), "Kill consumer c1").click();
    tick().await;
    oracle.act(Command::KillMember {
        group: "OrderProcessor".into(),
        member: MemberId("c1".into()),
    });
    let chip = member_chip(&app, "OrderProcessor", "c1");
    let class = chip.get_attribute("class").unwrap_or_default();
    assert!(class.contains("dead"), "{class}");
    assert!(chip
        .text_content()
        .unwrap()
        .contains("dead, session timeout in 10 ticks"));
    step_both(&app, &mut oracle, 4).await;
    assert!(member_chip(&app, "OrderProcessor", "c1")
        .text_content()
        .unwrap()
        .contains("dead, session timeout in 6 ticks"));
    let mut released_seen = false;
    for _ in 0..30 {
        step_both(&app, &mut oracle, 1).await;
        assert_edges_follow_the_engine(&app, &oracle);
        let released = count(&app, ".edge.released[data-group='OrderProcessor']");
        if released > 0 {
            released_seen = true;
            let drawn = drawn_owners(&app, "OrderProcessor");
            assert!(drawn.len() + released as usize <= 4, "{drawn:?}");
        }
    }
    assert!(
        released_seen,
        "the eager rebalance drew its released partitions"
    );
    assert_eq!(
        drawn_owners(&app, "OrderProcessor"),
        (0..4).map(|p| (p, "c2".to_string())).collect()
    );
    assert_eq!(
        count(
            &app,
            "[aria-label='Consumer group OrderProcessor'] .member-node"
        ),
        1
    );
    // The text alternative says the same.
    let words = text(&app, "#stage-text");
    assert!(words.contains("c2, consuming, partitions 0–3"), "{words}");
    app.remove();
}

/// Mounts the stage alone with a reduced-motion preference of our choosing.
fn mount_stage(reduced: bool) -> (Mounted, Engine) {
    mount_stage_on(Session::default(), "", reduced)
}

/// The stage alone over `session`, showing `topic` (empty: the first topic).
fn mount_stage_on(session: Session, topic: &str, reduced: bool) -> (Mounted, Engine) {
    fresh_browser_state();
    let engine = std::rc::Rc::new(std::cell::Cell::new(None));
    let slot = engine.clone();
    let topic = topic.to_string();
    let mounted = mount_with(move || {
        let e = Engine::new(session);
        slot.set(Some(e));
        provide_context(e);
        provide_context(Clock::default());
        provide_context(SelectedTopic(RwSignal::new(topic)));
        provide_context(Dock(RwSignal::new(DockView::Closed)));
        provide_context(ReducedMotion(Signal::derive(move || reduced)));
        view! { <Stage /> }
    });
    let engine = engine.get().expect("mounted");
    (mounted, engine)
}

#[wasm_bindgen_test]
async fn reduced_motion_draws_no_travel_but_the_record_lands_all_the_same() {
    for reduced in [false, true] {
        let (app, engine) = mount_stage(reduced);
        engine.update(|pg| {
            pg.publish(OrderEvent {
                user_id: "U-still".into(),
                order_id: "O1".into(),
                status: "Created".into(),
            })
        });
        tick().await;
        let p = orderflow_engine::partitioner::Partitioner::Murmur2
            .route(b"U-still", 4)
            .partition
            .0;
        assert_eq!(lane_records(&app, p), 1);
        assert!(partition_text(&app, p).contains("U-still"));
        assert_eq!(
            count(&app, ".traveller"),
            if reduced { 0 } else { 1 },
            "reduced motion {reduced}"
        );
        // The routing arithmetic of the hand-published key stands beside its lane.
        assert!(text(&app, ".routing-callout").contains(&format!("→ Partition {p}")));
        app.remove();
    }
}

fn press(target: &web_sys::Element, key: &str) {
    let init = KeyboardEventInit::new();
    init.set_key(key);
    init.set_bubbles(true);
    target
        .dispatch_event(
            &KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap(),
        )
        .unwrap();
}

fn dock_title(app: &HtmlElement) -> String {
    text(app, "#dock-title")
}

#[wasm_bindgen_test]
async fn a_click_or_enter_opens_details_in_the_dock() {
    let app = fresh_app();
    publish(&app, "U-detail", "O-d1").await;
    let p = orderflow_engine::partitioner::Partitioner::Murmur2
        .route(b"U-detail", 4)
        .partition
        .0;
    assert!(find(&app, "aside.dock").has_attribute("hidden"));

    // A click on a lane: the partition's log.
    open_partition(&app, p).await;
    assert_eq!(dock_title(&app), format!("Details of orders-{p}"));
    assert!(text(&app, &partition_log("orders", p)).contains("O-d1 Created"));

    // Enter on a record: the record card.
    let record = find(
        &app,
        &format!("[aria-label='Partition {p}'] .lane-record[data-offset='0']"),
    );
    press(&record, "Enter");
    tick().await;
    assert_eq!(dock_title(&app), format!("Record orders-{p} at offset 0"));
    assert!(text(&app, ".record-card").contains("Key U-detail"));

    // Enter on a member: its summary and its group's details (kill, speed, reset).
    let member = member_chip(&app, "Notifier", "c2");
    member.focus().unwrap();
    press(&member, "Enter");
    tick().await;
    assert_eq!(dock_title(&app), "Consumer c2 of group Notifier");
    assert!(text(&app, ".member-card").contains("State:"));
    button_in(&app, &group_details("Notifier"), "Kill consumer c2");

    // Enter on a group's head; Escape closes the dock.
    let head = find(&app, "[aria-label='Consumer group Analytics'] .group-head");
    press(&head, "Enter");
    tick().await;
    assert_eq!(dock_title(&app), "Details of group Analytics");
    press(&find(&app, "#dock-title"), "Escape");
    tick().await;
    assert!(find(&app, "aside.dock").has_attribute("hidden"));
    app.remove();
}

#[wasm_bindgen_test]
async fn arrow_keys_move_along_a_lane_and_from_lane_to_lane() {
    let app = fresh_app();
    for o in 0..3 {
        publish(&app, "U1", &format!("O{o}")).await;
    }
    let p = orderflow_engine::partitioner::Partitioner::Murmur2
        .route(b"U1", 4)
        .partition
        .0;
    let head = find(&app, &format!("[aria-label='Partition {p}'] .lane-head"));
    head.focus().unwrap();
    press(&head, "ArrowRight");
    let active = document().active_element().unwrap();
    assert_eq!(active.get_attribute("data-offset").as_deref(), Some("0"));
    press(&active, "ArrowRight");
    let active = document().active_element().unwrap();
    assert_eq!(active.get_attribute("data-offset").as_deref(), Some("1"));
    press(&active, "ArrowDown");
    let next = (p + 1) % 4;
    let active = document().active_element().unwrap();
    if p < 3 {
        assert_eq!(active.get_attribute("data-head"), Some(next.to_string()));
    }
    app.remove();
}

#[wasm_bindgen_test]
async fn hundreds_of_partitions_become_a_heat_strip_still_focusable_one_by_one() {
    let app = fresh_app();
    type_into(&app, "New topic name", "wide");
    type_into(&app, "New topic partitions", "300");
    tick().await;
    button(&app, "Add topic").click();
    tick().await;
    assert_eq!(count(&app, ".heat-cell"), 300);
    assert_eq!(count(&app, ".lane"), 0);
    assert_eq!(count(&app, "[aria-label^='Partition ']"), 300);
    // One tab stop for the strip; the arrows move square by square.
    assert_eq!(count(&app, ".heat-cell[tabindex='0']"), 1);
    let first = find(&app, ".heat-cell[data-head='0']");
    first.focus().unwrap();
    press(&first, "ArrowRight");
    let active = document().active_element().unwrap();
    assert_eq!(active.get_attribute("data-head").as_deref(), Some("1"));
    press(&active, "End");
    let active = document().active_element().unwrap();
    assert_eq!(active.get_attribute("data-head").as_deref(), Some("299"));
    assert_eq!(
        active.get_attribute("aria-label").unwrap(),
        "Partition 299: 0 records, log start 0, high watermark 0. Details of wide-299."
    );
    press(&active, "Enter");
    tick().await;
    assert_eq!(dock_title(&app), "Details of wide-299");
    app.remove();
}

#[wasm_bindgen_test]
async fn a_saga_compensation_is_drawn_in_its_own_colour_and_named() {
    let session = orderflow::presets::preset("payment-fails-compensation")
        .unwrap()
        .session;
    let (app, engine) = mount_stage_on(session, "inventory-commands", false);
    engine.update(|pg| {
        for _ in 0..100 {
            pg.step();
        }
    });
    tick().await;
    assert_eq!(count(&app, ".lane-record.compensation"), 1);
    let label = find(&app, ".lane-record.compensation")
        .get_attribute("aria-label")
        .unwrap_or_default();
    assert!(
        label.contains("ReleaseInventory, a compensation"),
        "{label}"
    );
    // The reservation it undoes is an ordinary record.
    assert!(count(&app, ".lane-record:not(.compensation)") >= 1);
    // Both were written by the orchestrator, drawn as the topic's writer on the left.
    let writers: Vec<String> = (0..count(&app, ".producer-node") as usize)
        .map(|i| nth_text(&app, ".producer-node", i))
        .filter(|t| t.contains("writes as it processes"))
        .collect();
    assert_eq!(writers, ["saga-orchestratorwrites as it processes"]);
    app.remove();
}

/// The text of the `i`th element matching `selector`.
fn nth_text(app: &HtmlElement, selector: &str, i: usize) -> String {
    app.query_selector_all(selector)
        .unwrap()
        .item(i as u32)
        .and_then(|n| n.text_content())
        .unwrap_or_default()
}
