//! Browser tests: mount the app into a fresh container in headless Chromium, interact with
//! it like a person would, and read the DOM back. Run with
//! `cargo test -p orderflow --target wasm32-unknown-unknown`.
#![cfg(target_arch = "wasm32")]

use leptos::prelude::*;
use leptos::task::tick;
use orderflow::components::partitions::{OVERSCAN_ROWS, ROW_HEIGHT_PX, VISIBLE_ROWS};
use orderflow_engine::partitioner::Partitioner;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{HtmlElement, HtmlInputElement, HtmlSelectElement};

mod common;

use common::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn publishing_shows_the_record_in_the_partition_murmur2_names() {
    let app = fresh_app();
    publish(&app, "U-browser-7", "O-1").await;
    let partitions = count(&app, "[aria-label^='Partition ']");
    assert_eq!(partitions, 4, "the default topic has 4 partitions");
    let expected = Partitioner::Murmur2
        .route(b"U-browser-7", partitions)
        .partition
        .0;
    for p in 0..partitions {
        let shown = partition_text(&app, p);
        assert_eq!(
            shown.contains("U-browser-7"),
            p == expected,
            "partition {p} (expected {expected}) shows: {shown}"
        );
    }
    // The routing table moved into the topic's details (the dock).
    open_topic(&app).await;
    assert_eq!(
        text(&app, ".routing-partition").trim(),
        expected.to_string()
    );
    app.remove();
}

#[wasm_bindgen_test]
async fn publishing_without_a_user_id_explains_why_nothing_happened() {
    let app = fresh_app();
    publish(&app, "   ", "O-1").await;
    let alert = text(&app, "form.publish [role=alert]");
    assert!(alert.contains("User ID"), "alert was {alert:?}");
    assert_eq!(count(&app, ".lane-record"), 0);
    assert!((0..4).all(|p| lane_records(&app, p) == 0));
    app.remove();
}

#[wasm_bindgen_test]
async fn routing_view_shows_the_bytes_hash_and_modulo_of_the_key() {
    let app = fresh_app();
    publish(&app, "abc", "O-1").await;
    open_topic(&app).await;
    assert_eq!(text(&app, ".routing-bytes").trim(), "61 62 63");
    let routing = Partitioner::Murmur2.route(b"abc", 4);
    assert_eq!(text(&app, ".routing-hash").trim(), routing.hash.to_string());
    assert_eq!(
        text(&app, ".routing-mod").trim(),
        format!("{} mod 4 = {}", routing.positive_hash, routing.partition.0)
    );
    assert_eq!(count(&app, ".traveller"), 1, "the new event travels");
    app.remove();
}

#[wasm_bindgen_test]
async fn a_partition_of_ten_thousand_records_keeps_only_a_window_of_rows_in_the_dom() {
    let app = fresh_app();
    // One user: every generated event has key U1, so one partition gets all of them.
    type_into(&app, "Users", "1");
    tick().await;
    button(&app, "Publish 10,000").click();
    tick().await;
    let hot = Partitioner::Murmur2.route(b"U1", 4).partition.0;
    wait_until(10_000, "the burst to finish", || {
        partition_text(&app, hot).contains("10000 records")
    })
    .await;
    // The records list is the partition's log in the dock.
    open_partition(&app, hot).await;
    let region = partition_log("orders", hot);
    // Following the tail: the newest offset is rendered.
    wait_until(2_000, "the tail to be in view", || {
        count(&app, &format!("{region} .record[data-offset='9999']")) == 1
    })
    .await;
    let rows = count(&app, &format!("{region} .record"));
    let most = (VISIBLE_ROWS + 2 * OVERSCAN_ROWS) as u32;
    assert!(
        rows > 0 && rows <= most,
        "{rows} rows in the DOM (at most {most})"
    );

    // Scroll to the middle: the window follows the scroll offset.
    let viewport = find(&app, &format!("{region} .log-viewport"));
    viewport.set_scroll_top((5_000.0 * ROW_HEIGHT_PX) as i32);
    fire(&viewport, "scroll");
    tick().await;
    assert_eq!(
        count(&app, &format!("{region} .record[data-offset='5000']")),
        1
    );
    assert_eq!(
        count(&app, &format!("{region} .record[data-offset='9999']")),
        0
    );
    let rows = count(&app, &format!("{region} .record"));
    assert!(rows <= most, "{rows} rows after scrolling");
    app.remove();
}

#[wasm_bindgen_test]
async fn changing_the_partition_count_lists_moved_keys_then_replays() {
    let app = fresh_app();
    for u in 1..=12 {
        publish(&app, &format!("U{u}"), "O1").await;
    }
    type_into(&app, "Partitions", "6");
    tick().await;
    let moved = text(&app, ".moved-keys");
    let keys: Vec<String> = (1..=12).map(|u| format!("U{u}")).collect();
    let expected = keys
        .iter()
        .filter(|k| {
            Partitioner::Murmur2.route(k.as_bytes(), 4).partition
                != Partitioner::Murmur2.route(k.as_bytes(), 6).partition
        })
        .count();
    assert!(
        moved.contains(&format!("{expected} of 12 keys seen would move")),
        "moved panel says {moved:?}"
    );
    button(&app, "Apply setup").click();
    tick().await;
    assert_eq!(count(&app, "[aria-label^='Partition ']"), 6);
    // Each key's records in its partition's log (the dock), which lists every record: the
    // lane draws only the newest that fit.
    for k in &keys {
        let p = Partitioner::Murmur2.route(k.as_bytes(), 6).partition.0;
        open_partition(&app, p).await;
        let log = text(&app, &partition_log("orders", p));
        assert!(log.contains(k.as_str()), "{k} on {p}");
    }
    let live = text(&app, "[aria-live=polite]");
    assert!(live.contains("6 partitions"), "announced {live:?}");
    app.remove();
}

#[wasm_bindgen_test]
async fn other_partitioners_route_like_the_engine() {
    let app = fresh_app();
    choose(&app, "Partitioner", "eventhubs");
    tick().await;
    button(&app, "Apply setup").click();
    tick().await;
    publish(&app, "user-1", "O1").await;
    let expected = Partitioner::EventHubs.route(b"user-1", 4).partition.0;
    assert!(partition_text(&app, expected).contains("user-1"));
    open_topic(&app).await;
    assert!(text(&app, ".routing-table caption").contains("eventhubs"));
    app.remove();
}

#[wasm_bindgen_test]
async fn step_and_timeline_rewind_replay_the_run() {
    let app = fresh_app();
    type_into(&app, "Orders per tick", "5");
    tick().await;
    button(&app, "Start generator").click();
    tick().await;
    for _ in 0..4 {
        button(&app, "Step").click();
        tick().await;
    }
    assert!(text(&app, ".tick").contains("Tick 4"));
    assert!(stage_summary(&app).starts_with("20 records"));
    // A rewind replays within a frame's budget, and finishes over the next frames when the
    // machine is slow (a loaded CI runner): wait for it rather than for one tick.
    type_into(&app, "Timeline", "1");
    wait_until(5_000, "the rewind to tick 1", || {
        text(&app, ".tick").contains("Tick 1")
    })
    .await;
    assert!(stage_summary(&app).starts_with("5 records"));
    button(&app, "Back to live").click();
    wait_until(5_000, "the replay back to tick 4", || {
        text(&app, ".tick").contains("Tick 4")
    })
    .await;
    assert!(stage_summary(&app).starts_with("20 records"));
    app.remove();
}

#[wasm_bindgen_test]
async fn play_advances_ticks_until_pause() {
    let app = fresh_app();
    choose(&app, "Speed", "60");
    tick().await;
    button(&app, "Play").click();
    tick().await;
    wait_until(5_000, "ticks to advance", || {
        !text(&app, ".tick").contains("Tick 0")
    })
    .await;
    button(&app, "Pause").click();
    tick().await;
    let paused_at = text(&app, ".tick");
    sleep(200).await;
    assert_eq!(text(&app, ".tick"), paused_at, "no ticks while paused");
    app.remove();
}

#[wasm_bindgen_test]
async fn share_link_holds_the_session_and_the_session_survives_a_reload() {
    let app = fresh_app();
    publish(&app, "U-shared", "O-9").await;
    button(&app, "Create share link").click();
    tick().await;
    let link: HtmlInputElement = find(&app, "#share-link").unchecked_into();
    let link = link.value();
    let fragment = &link[link.find('#').expect("the link has a fragment")..];
    let session = orderflow::share::from_fragment(fragment)
        .expect("a session fragment")
        .expect("a valid session");
    assert_eq!(
        session.actions.len(),
        orderflow::session::Session::default().actions.len() + 1,
        "the default scenario plus the publish"
    );
    settle().await;
    app.remove();

    // A reload: a new app in the same browser comes back with the saved session.
    let again = mount_app();
    let p = Partitioner::Murmur2.route(b"U-shared", 4).partition.0;
    // The saved session is rebuilt by replay, over frames if the machine is slow.
    wait_until(5_000, "the saved session to be rebuilt", || {
        partition_text(&again, p).contains("U-shared")
    })
    .await;
    again.remove();

    // Opening the link in a fresh browser state restores the same records.
    fresh_browser_state();
    window().location().set_hash(&fragment[1..]).unwrap();
    let opened = mount_app();
    assert!(partition_text(&opened, p).contains("U-shared"));
    opened.remove();
}

#[wasm_bindgen_test]
async fn a_damaged_link_shows_a_message_and_keeps_the_saved_scenario() {
    let app = fresh_app();
    publish(&app, "U-kept", "O-1").await;
    settle().await;
    app.remove();
    window().location().set_hash("s=not-a-session").unwrap();
    let opened = mount_app();
    let message = text(&opened, ".share-panel [role=alert]");
    assert!(
        message.contains("could not be opened"),
        "message {message:?}"
    );
    let p = Partitioner::Murmur2.route(b"U-kept", 4).partition.0;
    assert!(partition_text(&opened, p).contains("U-kept"));
    opened.remove();
}

fn group_text(app: &HtmlElement, group: &str) -> String {
    text(app, &group_details(group))
}

/// The button named `name` inside the element matching `scope`.
fn button_in(app: &HtmlElement, scope: &str, name: &str) -> HtmlElement {
    button(&find(app, scope), name)
}

#[wasm_bindgen_test]
async fn consumer_groups_of_the_event_hubs_example_are_shown_with_their_members() {
    let app = fresh_app();
    steps(&app, 3).await;
    for (group, members) in [("OrderProcessor", 2), ("Notifier", 3), ("Analytics", 1)] {
        open_group(&app, group).await;
        let scope = group_details(group);
        assert_eq!(count(&app, &format!("{scope} .member")), members, "{group}");
        for c in 1..=members {
            button_in(&app, &scope, &format!("Kill consumer c{c}"));
        }
    }
    open_group(&app, "Notifier").await;
    assert!(group_text(&app, "Notifier").contains("cooperative protocol"));
    // Four partitions, three Notifier consumers: every partition has one owner.
    let owners = count(
        &app,
        &format!("{} .member-owned", group_details("Notifier")),
    );
    open_group(&app, "OrderProcessor").await;
    assert!(group_text(&app, "OrderProcessor").contains("range assignor"));
    assert_eq!(owners, 3);
    app.remove();
}

#[wasm_bindgen_test]
async fn a_killed_consumer_stays_dead_until_the_session_timeout_then_its_partitions_move() {
    let app = fresh_app();
    open_group(&app, "OrderProcessor").await;
    let scope = &group_details("OrderProcessor");
    steps(&app, 3).await;
    button_in(&app, scope, "Kill consumer c1").click();
    tick().await;
    assert_eq!(count(&app, &format!("{scope} .member.dead")), 1);
    assert!(group_text(&app, "OrderProcessor").contains("dead since tick 3"));
    steps(&app, 5).await;
    assert_eq!(
        count(&app, &format!("{scope} .member.dead")),
        1,
        "still dead before the timeout"
    );
    steps(&app, 12).await;
    assert_eq!(
        count(&app, &format!("{scope} .member")),
        1,
        "c1 is gone after the timeout"
    );
    let owned = text(&app, &format!("{scope} .member-owned"));
    assert_eq!(owned, "owns orders-0, orders-1, orders-2, orders-3");
    wait_until(2_000, "the rebalance announcement", || {
        text(&app, "[aria-live=polite]").contains("rebalanced")
    })
    .await;
    app.remove();
}

#[wasm_bindgen_test]
async fn offset_reset_is_refused_while_members_are_active_and_explains_why() {
    let app = fresh_app();
    open_group(&app, "Analytics").await;
    let scope = &group_details("Analytics");
    button_in(&app, scope, "Reset offsets").click();
    tick().await;
    let alert = text(&app, &format!("{scope} [role=alert]"));
    assert!(
        alert.contains("can only be reset if the group 'Analytics' is inactive"),
        "alert {alert:?}"
    );
    app.remove();
}

#[wasm_bindgen_test]
async fn extra_consumers_beyond_the_partition_count_are_idle() {
    let app = fresh_app();
    open_group(&app, "Notifier").await;
    let scope = &group_details("Notifier");
    button_in(&app, scope, "Add consumer").click();
    tick().await;
    button_in(&app, scope, "Add consumer").click();
    tick().await;
    steps(&app, 10).await;
    assert_eq!(count(&app, &format!("{scope} .member")), 5);
    assert_eq!(
        count(&app, &format!("{scope} .member.idle")),
        1,
        "{}",
        group_text(&app, "Notifier")
    );
    app.remove();
}

#[wasm_bindgen_test]
async fn lag_chart_draws_the_groups_lag_history() {
    let app = fresh_app();
    button(&app, "Publish 1,000").click();
    tick().await;
    wait_until(5_000, "the burst", || {
        stage_summary(&app).starts_with("1000 records")
    })
    .await;
    steps(&app, 6).await;
    open_group(&app, "Analytics").await;
    let line = find(
        &app,
        &format!("{} .lag-chart polyline", group_details("Analytics")),
    );
    let points = line.get_attribute("points").unwrap_or_default();
    assert!(points.split(' ').count() >= 6, "points {points:?}");
    app.remove();
}

#[wasm_bindgen_test]
async fn loading_the_idle_seventh_consumer_preset_shows_one_idle_member() {
    let app = fresh_app();
    choose(&app, "Preset", "idle-seventh-consumer");
    tick().await;
    button(&app, "Load preset").click();
    tick().await;
    assert_eq!(count(&app, "[aria-label^='Partition ']"), 6);
    // C7 joins group B at tick 30 (a scheduled command of the scenario).
    steps(&app, 40).await;
    open_group(&app, "B").await;
    let scope = &group_details("B");
    assert_eq!(count(&app, &format!("{scope} .member")), 7);
    assert_eq!(count(&app, &format!("{scope} .member.idle")), 1);
    app.remove();
}

#[wasm_bindgen_test]
async fn a_cooperative_rebalance_lists_each_lost_partition_and_its_new_owner_with_the_generation() {
    let app = fresh_app();
    open_group(&app, "Notifier").await;
    let scope = &group_details("Notifier");
    let rebalance = "[aria-label='Rebalance of group Notifier']";
    steps(&app, 3).await;
    let c1_owned = text(&app, &format!("{scope} .member .member-owned"));
    button_in(&app, scope, "Kill consumer c1").click();
    tick().await;
    assert!(group_text(&app, "Notifier").contains("the group notices at tick 13"));
    steps(&app, 15).await;
    let moves = count(&app, &format!("{rebalance} .move[data-phase='assigned']"));
    let lost: Vec<&str> = c1_owned.trim_start_matches("owns ").split(", ").collect();
    assert_eq!(moves as usize, lost.len(), "{}", text(&app, rebalance));
    for (i, partition) in lost.iter().enumerate() {
        let row = text(&app, &format!("{rebalance} .move:nth-child({})", i + 1));
        assert!(
            row.starts_with(&format!("{partition}: lost by c1 (timed out)")),
            "{row}"
        );
        assert!(row.contains("in generation 2"), "{row}");
    }
    let consumption = text(&app, &format!("{rebalance} .rebalance-consumption"));
    assert!(consumption.contains("kept consuming"), "{consumption}");
    app.remove();
}

#[wasm_bindgen_test]
async fn processing_speed_is_editable_per_group_and_per_member() {
    let app = fresh_app();
    open_group(&app, "Notifier").await;
    let scope = &group_details("Notifier");
    let select: HtmlSelectElement = find(&app, "#speed-Notifier").unchecked_into();
    select.set_value("3");
    fire(&select, "change");
    tick().await;
    assert!(
        group_text(&app, "Notifier").contains("3 tick(s) per record"),
        "{}",
        group_text(&app, "Notifier")
    );
    let member: HtmlSelectElement = find(
        &app,
        &format!("{scope} select[aria-label='Processing time of consumer c2']"),
    )
    .unchecked_into();
    member.set_value("0");
    fire(&member, "change");
    tick().await;
    let member: HtmlSelectElement = find(
        &app,
        &format!("{scope} select[aria-label='Processing time of consumer c2']"),
    )
    .unchecked_into();
    assert_eq!(member.value(), "0");
    let c3: HtmlSelectElement = find(
        &app,
        &format!("{scope} select[aria-label='Processing time of consumer c3']"),
    )
    .unchecked_into();
    assert_eq!(c3.value(), "3", "the others keep the group's speed");
    app.remove();
}

#[wasm_bindgen_test]
async fn the_labelled_fields_name_their_input_follow_their_value_and_report_typing() {
    use orderflow::components::fields::{NumberField, TextField};
    let container: HtmlElement = document().create_element("div").unwrap().unchecked_into();
    document().body().unwrap().append_child(&container).unwrap();
    let value = RwSignal::new("3".to_string());
    let max = RwSignal::new(9u32);
    let typed = RwSignal::new(Vec::<String>::new());
    let handle = leptos::mount::mount_to(container.clone(), move || {
        view! {
            <NumberField
                id="field-count"
                label="Count"
                min=1
                max=max
                value=value
                on_input=move |text| typed.update(|t| t.push(text))
                hint="From 1 to the maximum."
            />
            <TextField
                id="field-name"
                label="Name"
                placeholder="e.g. checkout"
                value=value
                on_input=move |text| typed.update(|t| t.push(text))
            />
        }
    });
    tick().await;

    let count = input(&container, "Count");
    assert_eq!(count.id(), "field-count");
    assert_eq!(count.type_(), "number");
    assert_eq!(
        (count.min(), count.max(), count.value()),
        ("1".into(), "9".into(), "3".into())
    );
    let hint = count
        .get_attribute("aria-describedby")
        .expect("a hint describes the input");
    assert_eq!(
        text(&container, &format!("#{hint}")),
        "From 1 to the maximum."
    );
    let name = input(&container, "Name");
    assert_eq!(
        (name.type_(), name.placeholder()),
        ("text".into(), "e.g. checkout".into())
    );
    assert_eq!(name.get_attribute("autocomplete").as_deref(), Some("off"));
    assert!(
        name.get_attribute("aria-describedby").is_none(),
        "no hint, no description"
    );

    type_into(&container, "Count", "7");
    type_into(&container, "Name", "auditors");
    tick().await;
    assert_eq!(typed.get_untracked(), ["7", "auditors"]);
    // Typed into, the inputs still follow their signals (prop:value, not the value
    // attribute, which an edited input ignores).
    value.set("5".into());
    max.set(12);
    tick().await;
    assert_eq!(
        (count.value(), count.max(), name.value()),
        ("5".into(), "12".into(), "5".into())
    );
    drop(handle);
    container.remove();
}

/// The time controls alone, over the default session, driven by `clock`.
fn mount_time_controls(clock: orderflow::state::Clock) -> Mounted {
    use orderflow::components::time_controls::TimeControls;
    use orderflow::state::{Announcer, Engine};
    fresh_browser_state();
    mount_with(move || {
        provide_context(Engine::new(orderflow::session::Session::default()));
        provide_context(clock);
        provide_context(Announcer(RwSignal::new(String::new())));
        view! { <TimeControls /> }
    })
}

#[wasm_bindgen_test]
async fn the_time_controls_say_how_fast_a_run_too_heavy_for_its_speed_really_goes() {
    use orderflow::state::Clock;
    let clock = Clock::default();
    let app = mount_time_controls(clock);
    tick().await;
    assert!(
        app.query_selector(".achieved").unwrap().is_none(),
        "on time: nothing said"
    );
    // What the driver sets when a second of frames played 25 ticks of the 60 asked.
    clock.ticks_per_second.set(60);
    clock.achieved.set(Some(25));
    tick().await;
    let said = find(&app, ".achieved").text_content().unwrap_or_default();
    assert_eq!(
        said,
        "Running at 25 ticks/s: each tick is too heavy for 60 ticks/s on this device."
    );
    clock.achieved.set(None);
    tick().await;
    assert!(app.query_selector(".achieved").unwrap().is_none());
}

#[wasm_bindgen_test]
async fn the_tick_is_heard_after_a_step_but_not_sixty_times_a_second_while_playing() {
    use orderflow::state::Clock;
    let clock = Clock::default();
    let app = mount_time_controls(clock);
    tick().await;
    let role = || find(&app, ".tick").get_attribute("role");
    assert_eq!(role().as_deref(), Some("status"));
    clock.playing.set(true);
    tick().await;
    assert_eq!(role(), None);
    clock.playing.set(false);
    tick().await;
    assert_eq!(role().as_deref(), Some("status"));
}

#[wasm_bindgen_test]
async fn playing_fast_redraws_at_most_every_interval_and_a_pause_shows_the_tick_reached() {
    use orderflow::pace::REDRAW_INTERVAL_MS;
    let app = fresh_app();
    choose(&app, "Speed", "60");
    tick().await;
    let now = || window().performance().map_or(0.0, |p| p.now());
    button(&app, "Play").click();
    wait_until(5_000, "the first tick", || {
        !text(&app, ".tick").contains("Tick 0")
    })
    .await;
    // Every change of the tick shown over a second of play at 60 ticks/s, looked at every
    // few milliseconds: without the redraw interval it changes up to 60 times.
    let started = now();
    let mut shown = text(&app, ".tick");
    let mut redraws = 0;
    while now() - started < 1_000.0 {
        sleep(4).await;
        let t = text(&app, ".tick");
        if t != shown {
            redraws += 1;
            shown = t;
        }
    }
    let most = ((now() - started) / REDRAW_INTERVAL_MS).ceil() as u32 + 1;
    assert!(redraws >= 1, "the ticks played are shown");
    assert!(
        redraws <= most,
        "{redraws} redraws in a second, at most {most} expected"
    );
    // A pause shows the tick reached: a step then shows exactly one more.
    button(&app, "Pause").click();
    settle().await;
    let paused: u64 = text(&app, ".tick")
        .replace(|c: char| !c.is_ascii_digit(), "")
        .parse()
        .unwrap();
    button(&app, "Step").click();
    settle().await;
    assert_eq!(text(&app, ".tick"), format!("Tick {}", paused + 1));
    app.remove();
}
