//! Browser tests of the Producers panel: add a producer, lose its next acknowledgement, send
//! through it and see the counters and the "duplicate of offset N" badge in the partition the
//! engine routes the key to; an idempotent producer drops the retry instead; the add-producer
//! form refuses an empty or taken name with a message. Same shape as `tests/web.rs`: mount
//! the app into a fresh container, act like a person, `tick().await`, read the DOM.
#![cfg(target_arch = "wasm32")]

use leptos::prelude::*;
use leptos::task::tick;
use orderflow_engine::partitioner::Partitioner;
use wasm_bindgen_test::*;
use web_sys::HtmlElement;

mod common;

use common::*;

wasm_bindgen_test_configure!(run_in_browser);

fn set_checked(container: &HtmlElement, label: &str, checked: bool) {
    let input = input(container, label);
    input.set_checked(checked);
    fire(&input, "change");
}

fn region(app: &HtmlElement, name: &str) -> HtmlElement {
    find(app, &format!("[aria-label='{name}']"))
}

async fn add_producer(app: &HtmlElement, name: &str, idempotent: bool) {
    type_into(app, "Producer name", name);
    type_into(app, "Retries", "3");
    set_checked(app, "Idempotent", idempotent);
    tick().await;
    button(app, "Add producer").click();
    settle().await;
}

async fn send(app: &HtmlElement, producer: &str, key: &str, value: &str) {
    choose(app, "Producer", producer);
    type_into(app, "Record key", key);
    type_into(app, "Record value", value);
    tick().await;
    button(app, "Send").click();
    tick().await;
}

#[wasm_bindgen_test]
async fn a_lost_ack_makes_the_retry_a_duplicate_badged_in_the_partition_the_engine_names() {
    let app = fresh_app();
    let panel = find(&app, "[aria-labelledby='producers-title']");
    assert_eq!(text(&panel, "h2"), "Producers");
    assert!(text(&panel, ".hint").contains("No producers yet"));
    add_producer(&app, "plain", false).await;
    let plain = region(&app, "Producer plain");
    assert!(text(&plain, ".producer-config")
        .contains("acks=all · retries 3 · backoff 1 tick · not idempotent"));

    // Focus needs the panel on screen: open the Producers drawer.
    button(&app, "Producers").click();
    tick().await;
    let lose = button(&plain, "Lose next ack");
    lose.focus().unwrap();
    lose.click();
    tick().await;
    let focused = document().active_element().expect("something has focus");
    assert!(
        focused.is_same_node(Some(&lose)),
        "the button keeps keyboard focus while its card updates"
    );
    let plain = region(&app, "Producer plain");
    assert_eq!(
        text(&plain, ".producer-pending"),
        "The next acknowledgement will be lost."
    );
    send(&app, "plain", "U-dup-1", "O-dup-1").await;

    let expected = Partitioner::Murmur2.route(b"U-dup-1", 4).partition.0;
    let result = text(&app, ".send-result");
    assert!(
        result.contains(&format!(
            "orders partition {expected}: appended at offset 0"
        )) && result.contains("(duplicate of offset 0)"),
        "{result}"
    );
    // The records list is the partition's log in the dock.
    open_partition(&app, expected).await;
    let partition = find(&app, &partition_log("orders", expected));
    assert_eq!(count(&partition, ".record"), 2, "the record and its copy");
    assert_eq!(count(&partition, ".record.producer-duplicate"), 1);
    assert_eq!(
        text(&partition, ".record[data-offset='1'] .duplicate-badge"),
        "duplicate of offset 0"
    );
    assert_eq!(
        count(&partition, ".record.redelivered"),
        0,
        "a producer duplicate is no redelivery"
    );
    // The stage marks the copy on its lane too.
    assert_eq!(
        count(
            &app,
            &format!("[aria-label='Partition {expected}'] .lane-record.producer-duplicate")
        ),
        1
    );
    for p in (0..4).filter(|p| *p != expected) {
        assert_eq!(lane_records(&app, p), 0);
    }
    let counters = text(&region(&app, "Producer plain"), ".producer-counters");
    assert_eq!(
        counters,
        "sends 1 · appended 2 · acks lost 1 · retries 1 · duplicates appended 1 · duplicates dropped 0 · failed 0"
    );
    assert_eq!(
        text(&region(&app, "Producer plain"), ".producer-pending"),
        "No acknowledgement is set to be lost."
    );
    // The play loop announces the duplicate in the polite live region.
    let wanted = format!(
        "Producer plain lost an acknowledgement; the retry appended a duplicate at orders partition {expected} offset 1 (duplicate of offset 0)."
    );
    let mut waited = 0;
    while text(&app, "[aria-live=polite]") != wanted {
        assert!(
            waited < 3_000,
            "announced {:?}",
            text(&app, "[aria-live=polite]")
        );
        sleep(20).await;
        waited += 20;
    }
}

#[wasm_bindgen_test]
async fn an_idempotent_producer_drops_the_retry_and_shows_no_badge() {
    let app = fresh_app();
    add_producer(&app, "safe", true).await;
    let safe = region(&app, "Producer safe");
    assert!(text(&safe, ".producer-config").contains("idempotent (enable.idempotence=true)"));
    button(&safe, "Lose next ack").click();
    tick().await;
    send(&app, "safe", "U-safe", "O-safe").await;
    let counters = text(&region(&app, "Producer safe"), ".producer-counters");
    assert!(
        counters.starts_with("sends 1 · appended 1 · acks lost 1 · retries 1")
            && counters.contains("duplicates appended 0 · duplicates dropped 1"),
        "{counters}"
    );
    assert!(text(&app, ".send-result").contains("dropped it"));
    let expected = Partitioner::Murmur2.route(b"U-safe", 4).partition.0;
    assert_eq!(lane_records(&app, expected), 1);
    assert_eq!(count(&app, ".lane-record.producer-duplicate"), 0);
    open_partition(&app, expected).await;
    let log = partition_log("orders", expected);
    assert_eq!(count(&app, &format!("{log} .record")), 1);
    assert_eq!(count(&app, ".duplicate-badge"), 0);
}

#[wasm_bindgen_test]
async fn the_add_producer_form_refuses_an_empty_or_taken_name_and_says_why() {
    let app = fresh_app();
    button(&app, "Add producer").click();
    tick().await;
    assert_eq!(
        text(&app, "form.add-producer [role=alert]"),
        "Give the producer a name."
    );
    assert_eq!(count(&app, ".producer-card"), 0);
    add_producer(&app, "p1", true).await;
    assert_eq!(text(&app, "form.add-producer [role=alert]"), "");
    assert_eq!(count(&app, ".producer-card"), 1);
    assert_eq!(
        input(&app, "Producer name").value(),
        "",
        "the form is ready for the next"
    );
    add_producer(&app, "p1", false).await;
    assert_eq!(
        text(&app, "form.add-producer [role=alert]"),
        "A producer named \"p1\" already exists; pick another name."
    );
    // Kafka's rule: idempotence needs acks=all.
    type_into(&app, "Producer name", "p2");
    choose(&app, "Acks", "1");
    set_checked(&app, "Idempotent", true);
    tick().await;
    button(&app, "Add producer").click();
    tick().await;
    assert!(text(&app, "form.add-producer [role=alert]").contains("needs acks=all"));
    assert_eq!(
        count(&app, ".producer-card"),
        1,
        "nothing refused was added"
    );
    assert!(find(&app, "form.add-producer").has_attribute("novalidate"));
}

#[wasm_bindgen_test]
async fn the_producer_retries_preset_shows_both_producers_in_the_panel() {
    let app = fresh_app();
    choose(&app, "Preset", "producer-retries");
    tick().await;
    button(&app, "Load preset").click();
    tick().await;
    for (name, idempotence) in [("idempotent", "idempotent ("), ("plain", "not idempotent")] {
        let config = text(
            &region(&app, &format!("Producer {name}")),
            ".producer-config",
        );
        assert!(config.contains(idempotence), "{name}: {config}");
        assert!(config.contains("ack loss 20%"), "{name}: {config}");
    }
    assert!(text(&app, ".presets-panel .hint").contains("The Producers panel shows"));
}
