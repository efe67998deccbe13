//! Browser tests: mount the app into a fresh container in headless Chromium, interact with
//! it like a person would, and read the DOM back. Run with
//! `cargo test -p orderflow --target wasm32-unknown-unknown`.
#![cfg(target_arch = "wasm32")]

use leptos::prelude::*;
use leptos::task::tick;
use orderflow_engine::partitioner::Partitioner;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Event, EventInit, HtmlElement, HtmlInputElement};

wasm_bindgen_test_configure!(run_in_browser);

/// Mounts a fresh app into its own container and returns the container.
fn mount_app() -> HtmlElement {
    let document = document();
    let container: HtmlElement = document.create_element("div").unwrap().unchecked_into();
    document.body().unwrap().append_child(&container).unwrap();
    leptos::mount::mount_to(container.clone(), orderflow::App).forget();
    container
}

fn find(container: &HtmlElement, selector: &str) -> HtmlElement {
    container
        .query_selector(selector)
        .unwrap()
        .unwrap_or_else(|| panic!("nothing matches {selector}"))
        .unchecked_into()
}

/// Types into an input the way the browser reports it: set the value, fire a bubbling
/// `input` event (Leptos delegates events to the document).
fn type_into(container: &HtmlElement, selector: &str, value: &str) {
    let input: HtmlInputElement = find(container, selector).unchecked_into();
    input.set_value(value);
    let init = EventInit::new();
    init.set_bubbles(true);
    input
        .dispatch_event(&Event::new_with_event_init_dict("input", &init).unwrap())
        .unwrap();
}

fn labelled_input_id(container: &HtmlElement, label_text: &str) -> String {
    let labels = container.query_selector_all("label").unwrap();
    for i in 0..labels.length() {
        let label: HtmlElement = labels.item(i).unwrap().unchecked_into();
        if label.text_content().as_deref() == Some(label_text) {
            return label
                .get_attribute("for")
                .expect("labels name their control");
        }
    }
    panic!("no label {label_text:?}");
}

#[wasm_bindgen_test]
async fn publishing_shows_the_record_in_the_partition_murmur2_names() {
    let app = mount_app();
    let user = labelled_input_id(&app, "User ID");
    let order = labelled_input_id(&app, "Order ID");
    type_into(&app, &format!("#{user}"), "U-browser-7");
    type_into(&app, &format!("#{order}"), "O-1");
    tick().await;
    find(&app, "button[type=submit]").click();
    tick().await;

    let partitions = app
        .query_selector_all("[aria-label^='Partition ']")
        .unwrap()
        .length();
    assert!(partitions > 0, "the app shows its partitions");
    let expected = Partitioner::Murmur2
        .route(b"U-browser-7", partitions)
        .partition
        .0;
    for p in 0..partitions {
        let region = find(&app, &format!("[aria-label='Partition {p}']"));
        let text = region.text_content().unwrap_or_default();
        assert_eq!(
            text.contains("U-browser-7"),
            p == expected,
            "partition {p} (expected {expected}) shows: {text}"
        );
    }
    let shown = find(&app, ".routing-partition").text_content().unwrap();
    assert_eq!(shown.trim(), expected.to_string());
    app.remove();
}

#[wasm_bindgen_test]
async fn publishing_without_a_user_id_explains_why_nothing_happened() {
    let app = mount_app();
    let user = labelled_input_id(&app, "User ID");
    type_into(&app, &format!("#{user}"), "   ");
    tick().await;
    find(&app, "button[type=submit]").click();
    tick().await;
    let alert = find(&app, "[role=alert]").text_content().unwrap();
    assert!(alert.contains("User ID"), "alert was {alert:?}");
    assert_eq!(app.query_selector_all(".record").unwrap().length(), 0);
    app.remove();
}
