//! No panic reaches a person as a frozen page: the panic hook logs, saves the last good
//! session to localStorage and shows a banner ("Something went wrong inside orderflow") with
//! "Export scenario" (the last good session as a JSON file) and "Reload".
//!
//! Why outside Leptos: after a panic in wasm (the release build aborts) the reactive graph
//! may hold a borrow that is never released, so nothing here touches signals or the
//! engine's `StoredValue`. The last good session is a copy kept in a thread-local, replaced
//! after every change that completed ([`remember`]); the banner is built with plain DOM
//! calls, and its export link is a `blob:` URL made while the hook runs, so downloading it
//! needs no more Rust code.
//!
//! The test-only panic: [`request_test_panic`] (exported to JavaScript by `main.rs` as
//! `orderflow_panic_test`, reachable as `window.wasmBindings.orderflow_panic_test()` from the
//! devtools console or a Playwright journey) makes the play loop panic on its next frame,
//! inside an engine update, as a real bug would. Nothing on the page calls it, so a person
//! cannot hit it by accident; it ships in the release build because the journeys test that.

use crate::session::Session;
use std::cell::{Cell, RefCell};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

/// The banner's id (one banner, however many panics follow).
pub const BANNER_ID: &str = "crash-banner";
/// The banner's headline, also the start of its accessible text.
pub const HEADLINE: &str = "Something went wrong inside orderflow";
/// The exported file's name.
pub const EXPORT_FILE: &str = "orderflow-session.json";

thread_local! {
    static LAST_GOOD: RefCell<Option<Session>> = const { RefCell::new(None) };
    static TEST_PANIC: Cell<bool> = const { Cell::new(false) };
}

/// Keeps `session` as the last good one (call after every change that completed).
pub fn remember(session: &Session) {
    LAST_GOOD.with(|last| {
        // A failed borrow means a panic is being handled right now: keep what was there.
        if let Ok(mut last) = last.try_borrow_mut() {
            *last = Some(session.clone());
        }
    });
}

/// Reads the last good session (`None`: none yet, or a panic is being handled inside a read).
pub fn with_last_good<R>(f: impl FnOnce(&Session) -> R) -> Option<R> {
    LAST_GOOD.with(|last| last.try_borrow().ok().and_then(|last| last.as_ref().map(f)))
}

/// Asks the play loop to panic on its next frame (see the module docs).
pub fn request_test_panic() {
    TEST_PANIC.with(|p| p.set(true));
}

/// True once after [`request_test_panic`].
pub fn take_test_panic() -> bool {
    TEST_PANIC.with(Cell::take)
}

/// Installs the panic hook: the console message, the banner, then a last save.
pub fn install() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        // Nothing to do if the DOM itself is gone: the console already has the message.
        let _ = show_banner();
        crate::saved::flush_after_panic();
    }));
}

/// Builds the banner with plain DOM calls (no Leptos), once.
fn show_banner() -> Option<()> {
    let document = web_sys::window()?.document()?;
    if document.get_element_by_id(BANNER_ID).is_some() {
        return Some(());
    }
    let body = document.body()?;
    let banner = document.create_element("div").ok()?;
    banner.set_id(BANNER_ID);
    banner.set_class_name("crash-banner");
    banner.set_attribute("role", "alert").ok()?;
    let text = document.create_element("p").ok()?;
    let headline = document.create_element("strong").ok()?;
    headline.set_text_content(Some(&format!("{HEADLINE}.")));
    text.append_child(&headline).ok()?;
    let json = with_last_good(crate::share::to_json);
    let detail = if json.is_some() {
        " The page stopped working. Export your scenario as it was before the error, or reload: the page opens with it again."
    } else {
        " The page stopped working before any scenario was saved. Reload to start again."
    };
    text.append_with_str_1(detail).ok()?;
    banner.append_child(&text).ok()?;
    let actions = document.create_element("div").ok()?;
    actions.set_class_name("buttons");
    if let Some(json) = json {
        if let Some(link) = export_link(&document, &json) {
            actions.append_child(&link).ok()?;
        }
    }
    let reload = document.create_element("button").ok()?;
    reload.set_attribute("type", "button").ok()?;
    reload.set_text_content(Some("Reload"));
    let on_click = Closure::<dyn Fn()>::new(|| {
        if let Some(window) = web_sys::window() {
            let _ = window.location().reload();
        }
    });
    reload
        .add_event_listener_with_callback("click", on_click.as_ref().unchecked_ref())
        .ok()?;
    // The banner lives until the page goes, so its handler does too.
    on_click.forget();
    actions.append_child(&reload).ok()?;
    banner.append_child(&actions).ok()?;
    body.prepend_with_node_1(&banner).ok()?;
    let first: web_sys::HtmlElement = actions.first_element_child()?.dyn_into().ok()?;
    let _ = first.focus();
    Some(())
}

/// An `<a download>` holding `json` as a `blob:` URL (never revoked: the page is done).
fn export_link(document: &web_sys::Document, json: &str) -> Option<web_sys::Element> {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(json));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/json");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).ok()?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).ok()?;
    let link = document.create_element("a").ok()?;
    link.set_attribute("href", &url).ok()?;
    link.set_attribute("download", EXPORT_FILE).ok()?;
    link.set_class_name("button-link");
    link.set_text_content(Some("Export scenario"));
    Some(link)
}
