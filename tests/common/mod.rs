//! Helpers shared by the browser tests: mount the app into a fresh container, find controls
//! by their label or name, act like a person (type, choose, click) and read the DOM.
// Each test file uses a different subset.
#![allow(dead_code)]

use leptos::prelude::*;
use leptos::task::tick;
use wasm_bindgen::JsCast;
use web_sys::{Event, EventInit, HtmlElement, HtmlInputElement, HtmlSelectElement};

/// Forgets what earlier tests saved (the app restores its session from localStorage and the
/// address), so every test starts from the default scenario.
pub fn fresh_browser_state() {
    // A save an earlier test's app left pending (debounced) must not land in this test.
    orderflow::saved::discard_pending();
    window().local_storage().unwrap().unwrap().clear().unwrap();
    let _ = window().history().unwrap().replace_state_with_url(
        &wasm_bindgen::JsValue::NULL,
        "",
        Some(&window().location().pathname().unwrap()),
    );
}

/// A mounted app: derefs to its container; dropping it unmounts the app (stopping its play
/// loop) and removes the container.
pub struct Mounted {
    container: HtmlElement,
    handle: Option<Box<dyn std::any::Any>>,
}

impl std::ops::Deref for Mounted {
    type Target = HtmlElement;
    fn deref(&self) -> &HtmlElement {
        &self.container
    }
}

impl Mounted {
    /// Unmounts now (before the end of the test), e.g. to open a second app.
    pub fn remove(mut self) {
        self.handle.take();
        self.container.remove();
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        self.handle.take();
        self.container.remove();
    }
}

/// Mounts an app into its own container.
pub fn mount_app() -> Mounted {
    let document = document();
    let container: HtmlElement = document.create_element("div").unwrap().unchecked_into();
    document.body().unwrap().append_child(&container).unwrap();
    let handle = leptos::mount::mount_to(container.clone(), orderflow::App);
    Mounted {
        container,
        handle: Some(Box::new(handle)),
    }
}

/// Mounts any view (a component with contexts a test chose) into its own container.
pub fn mount_with<V: IntoView + 'static>(view: impl FnOnce() -> V + 'static) -> Mounted {
    let document = document();
    let container: HtmlElement = document.create_element("div").unwrap().unchecked_into();
    document.body().unwrap().append_child(&container).unwrap();
    let handle = leptos::mount::mount_to(container.clone(), view);
    Mounted {
        container,
        handle: Some(Box::new(handle)),
    }
}

/// The button named `name` inside the element matching `scope`.
pub fn button_in(app: &HtmlElement, scope: &str, name: &str) -> HtmlElement {
    button(&find(app, scope), name)
}

/// Lets effects (saving to localStorage, scrolling) run.
pub async fn settle() {
    for _ in 0..3 {
        tick().await;
    }
    sleep(50).await;
}

pub fn fresh_app() -> Mounted {
    fresh_browser_state();
    mount_app()
}

pub fn find(container: &HtmlElement, selector: &str) -> HtmlElement {
    container
        .query_selector(selector)
        .unwrap()
        .unwrap_or_else(|| panic!("nothing matches {selector}"))
        .unchecked_into()
}

pub fn count(container: &HtmlElement, selector: &str) -> u32 {
    container.query_selector_all(selector).unwrap().length()
}

pub fn text(container: &HtmlElement, selector: &str) -> String {
    find(container, selector).text_content().unwrap_or_default()
}

/// The button whose text is exactly `name` (its accessible name).
pub fn button(container: &HtmlElement, name: &str) -> HtmlElement {
    let buttons = container.query_selector_all("button").unwrap();
    for i in 0..buttons.length() {
        let b: HtmlElement = buttons.item(i).unwrap().unchecked_into();
        if b.text_content().as_deref().map(str::trim) == Some(name) {
            return b;
        }
    }
    panic!("no button named {name:?}");
}

pub fn fire(target: &web_sys::EventTarget, kind: &str) {
    let init = EventInit::new();
    init.set_bubbles(true);
    target
        .dispatch_event(&Event::new_with_event_init_dict(kind, &init).unwrap())
        .unwrap();
}

/// The id of the control labelled `label_text`.
pub fn labelled(container: &HtmlElement, label_text: &str) -> String {
    let labels = container.query_selector_all("label").unwrap();
    for i in 0..labels.length() {
        let label: HtmlElement = labels.item(i).unwrap().unchecked_into();
        if label.text_content().as_deref().map(str::trim) == Some(label_text) {
            return label
                .get_attribute("for")
                .expect("labels name their control");
        }
    }
    panic!("no label {label_text:?}");
}

/// Types into the input labelled `label`, the way the browser reports it.
pub fn type_into(container: &HtmlElement, label: &str, value: &str) {
    let input: HtmlInputElement =
        find(container, &format!("#{}", labelled(container, label))).unchecked_into();
    input.set_value(value);
    fire(&input, "input");
}

/// Picks `value` in the select labelled `label`.
pub fn choose(container: &HtmlElement, label: &str, value: &str) {
    let select: HtmlSelectElement =
        find(container, &format!("#{}", labelled(container, label))).unchecked_into();
    select.set_value(value);
    fire(&select, "change");
}

pub async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        window()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

/// Waits (animation frames run meanwhile) until `ready` holds, or fails after `ms`.
pub async fn wait_until(ms: i32, what: &str, ready: impl Fn() -> bool) {
    let mut waited = 0;
    while !ready() {
        assert!(waited < ms, "timed out after {ms} ms waiting for {what}");
        sleep(20).await;
        waited += 20;
    }
    tick().await;
}

pub fn partition_text(app: &HtmlElement, p: u32) -> String {
    text(app, &format!("[aria-label='Partition {p}']"))
}

pub async fn publish(app: &HtmlElement, user: &str, order: &str) {
    type_into(app, "User ID", user);
    type_into(app, "Order ID", order);
    tick().await;
    button(app, "Publish").click();
    tick().await;
}

pub fn input(container: &HtmlElement, label: &str) -> HtmlInputElement {
    find(container, &format!("#{}", labelled(container, label))).unchecked_into()
}

pub fn select(container: &HtmlElement, label: &str) -> HtmlSelectElement {
    find(container, &format!("#{}", labelled(container, label))).unchecked_into()
}

pub async fn load_preset(app: &HtmlElement, id: &str) {
    choose(app, "Preset", id);
    tick().await;
    button(app, "Load preset").click();
    tick().await;
}

/// Clicks an element of the stage (an SVG node has no `click()` of its own).
pub async fn click_on_stage(app: &HtmlElement, selector: &str) {
    fire(&find(app, selector), "click");
    tick().await;
}

/// Opens the details of consumer group `name` in the dock (a click on its stage node).
pub async fn open_group(app: &HtmlElement, name: &str) {
    click_on_stage(
        app,
        &format!("[aria-label='Consumer group {name}'] .group-head"),
    )
    .await;
}

/// The selector of a group's details in the dock.
pub fn group_details(name: &str) -> String {
    format!("[aria-label='Details of group {name}']")
}

/// Opens partition `p`'s log in the dock (a click on its lane).
pub async fn open_partition(app: &HtmlElement, p: u32) {
    click_on_stage(app, &format!("[aria-label='Partition {p}'] .lane-head")).await;
}

/// The selector of a partition's log in the dock.
pub fn partition_log(topic: &str, p: u32) -> String {
    format!("[aria-label='Log of {topic}-{p}']")
}

/// Opens the topic's details (routing table, skew) in the dock.
pub async fn open_topic(app: &HtmlElement) {
    find(app, ".stage-topic").click();
    tick().await;
}

/// Records in partition `p`'s log, as its lane on the stage says.
pub fn lane_records(app: &HtmlElement, p: u32) -> u64 {
    find(app, &format!("[aria-label='Partition {p}']"))
        .get_attribute("data-records")
        .and_then(|r| r.parse().ok())
        .expect("a lane says how many records it holds")
}

/// The stage's summary line ("N records; partition skew ...").
pub fn stage_summary(app: &HtmlElement) -> String {
    text(app, ".stage .summary")
}

/// The text of the region (landmark) named `name`.
pub fn region_text(app: &HtmlElement, name: &str) -> String {
    find(app, &format!("[role='region'][aria-label='{name}']"))
        .text_content()
        .unwrap_or_default()
}

/// Presses "Step" `n` times, letting the page react after each.
pub async fn steps(app: &HtmlElement, n: u32) {
    for _ in 0..n {
        button(app, "Step").click();
        leptos::task::tick().await;
    }
}
