//! Browser tests of the forms that grow a run: "Add topic" (a topic created at the current
//! tick) and "Add group" (a consumer group on the topics ticked, with its first consumers).
#![cfg(target_arch = "wasm32")]

mod common;

use common::*;
use leptos::task::tick;
use orderflow_engine::partitioner::Partitioner;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{HtmlElement, HtmlInputElement};

wasm_bindgen_test_configure!(run_in_browser);

fn alerts(app: &HtmlElement) -> String {
    let nodes = app.query_selector_all("[role='alert']").unwrap();
    (0..nodes.length())
        .filter_map(|i| nodes.item(i).and_then(|n| n.text_content()))
        .filter(|t| !t.trim().is_empty())
        .collect::<Vec<_>>()
        .join(" | ")
}

fn group_text(app: &HtmlElement, group: &str) -> String {
    text(app, &group_details(group))
}

async fn add_topic(app: &HtmlElement, name: &str, partitions: &str) {
    type_into(app, "New topic name", name);
    type_into(app, "New topic partitions", partitions);
    tick().await;
    button(app, "Add topic").click();
    tick().await;
}

fn topic_box(app: &HtmlElement, topic: &str) -> HtmlInputElement {
    find(app, &format!("#new-group-topic-{topic}")).unchecked_into()
}

#[wasm_bindgen_test]
async fn an_added_topic_is_selected_and_takes_records_where_its_partitioner_says() {
    let app = fresh_app();
    add_topic(&app, "refunds", "2").await;
    assert_eq!(alerts(&app).trim(), "", "no refusal");
    assert_eq!(select(&app, "Topic").value(), "refunds");
    assert_eq!(count(&app, "[aria-label^='Partition ']"), 2);
    publish(&app, "U7", "O1").await;
    let expected = Partitioner::Murmur2.route(b"U7", 2).partition.0;
    for p in 0..2 {
        assert_eq!(
            partition_text(&app, p).contains("U7"),
            p == expected,
            "partition {p}"
        );
    }
    // orders still has its 4 partitions and not this record.
    choose(&app, "Topic", "orders");
    tick().await;
    assert_eq!(count(&app, "[aria-label^='Partition ']"), 4);
    assert!(!(0..4).any(|p| partition_text(&app, p).contains("U7")));
}

#[wasm_bindgen_test]
async fn a_refused_topic_explains_why_and_adds_nothing() {
    let app = fresh_app();
    add_topic(&app, "orders", "3").await;
    assert!(alerts(&app).contains("already exists"), "{}", alerts(&app));
    add_topic(&app, "my refunds", "3").await;
    assert!(alerts(&app).contains("letters, digits"), "{}", alerts(&app));
    add_topic(&app, "refunds", "0").await;
    assert!(
        alerts(&app).contains("Partitions must be"),
        "{}",
        alerts(&app)
    );
    assert_eq!(select(&app, "Topic").length(), 1);
}

#[wasm_bindgen_test]
async fn a_group_added_on_two_topics_shows_its_members_owning_partitions_of_both() {
    let app = fresh_app();
    add_topic(&app, "refunds", "2").await;
    type_into(&app, "Group name", "auditors");
    // refunds (the selected topic) is ticked already; tick orders as well.
    assert!(topic_box(&app, "refunds").checked());
    assert!(!topic_box(&app, "orders").checked());
    let orders = topic_box(&app, "orders");
    orders.set_checked(true);
    fire(&orders, "change");
    choose(&app, "Assignor", "cooperative-sticky");
    type_into(&app, "Consumers", "2");
    tick().await;
    button(&app, "Add group").click();
    tick().await;
    assert_eq!(alerts(&app).trim(), "", "no refusal");
    open_group(&app, "auditors").await;
    let group = group_text(&app, "auditors");
    assert!(group.contains("reads orders, refunds"), "{group}");
    assert!(group.contains("cooperative protocol"), "{group}");
    steps(&app, 4).await;
    let group = group_text(&app, "auditors");
    assert!(group.contains("c1") && group.contains("c2"), "{group}");
    for partition in [
        "orders-0",
        "orders-1",
        "orders-2",
        "orders-3",
        "refunds-0",
        "refunds-1",
    ] {
        assert!(group.contains(partition), "{partition} owned: {group}");
    }
    assert!(!group.contains("owns none"), "{group}");
}

#[wasm_bindgen_test]
async fn a_refused_group_explains_why_and_adds_nothing() {
    let app = fresh_app();
    let before = count(&app, "[aria-label^='Consumer group ']");
    type_into(&app, "Group name", "Notifier");
    tick().await;
    button(&app, "Add group").click();
    tick().await;
    assert!(alerts(&app).contains("already exists"), "{}", alerts(&app));
    type_into(&app, "Group name", "   ");
    tick().await;
    button(&app, "Add group").click();
    tick().await;
    assert!(alerts(&app).contains("needs a name"), "{}", alerts(&app));
    type_into(&app, "Group name", "auditors");
    let orders = topic_box(&app, "orders");
    orders.set_checked(false);
    fire(&orders, "change");
    tick().await;
    button(&app, "Add group").click();
    tick().await;
    assert!(
        alerts(&app).contains("at least one topic"),
        "{}",
        alerts(&app)
    );
    assert_eq!(count(&app, "[aria-label^='Consumer group ']"), before);
}
