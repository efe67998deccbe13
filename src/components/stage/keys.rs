//! Keyboard on the stage: Enter/Space act like a click, arrow keys move focus between a
//! lane's records, from lane to lane and across the heat strip.

use leptos::ev::KeyboardEvent;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// Runs `action` on Enter or Space (what a button does), and stops the page scrolling.
pub(super) fn on_activate(ev: &KeyboardEvent, action: impl FnOnce()) {
    if ev.key() == "Enter" || ev.key() == " " {
        ev.prevent_default();
        action();
    }
}

/// Focuses the `[data-nav]` element `step` places after the focused one among those of
/// `scope` (a lane: its head, then its records).
pub(super) fn focus_step(scope: &web_sys::Element, step: i32) {
    let Ok(list) = scope.query_selector_all("[data-nav]") else {
        return;
    };
    let active = document().active_element();
    let items: Vec<web_sys::Element> = (0..list.length())
        .filter_map(|i| list.item(i).and_then(|n| n.dyn_into().ok()))
        .collect();
    let Some(at) = items
        .iter()
        .position(|e| active.as_ref().is_some_and(|a| a == e))
    else {
        return;
    };
    let next = at as i32 + step;
    if let Some(el) = usize::try_from(next).ok().and_then(|n| items.get(n)) {
        focus(el);
    }
}

pub(super) fn focus(el: &web_sys::Element) {
    if let Some(svg) = el.dyn_ref::<web_sys::SvgElement>() {
        let _ = svg.focus();
    } else if let Some(html) = el.dyn_ref::<web_sys::HtmlElement>() {
        let _ = html.focus();
    }
}

/// Focuses the head of partition `partition`'s lane (or its heat cell).
pub(super) fn focus_partition(from: &web_sys::Element, partition: i64) {
    let Some(svg) = from.closest("svg").ok().flatten() else {
        return;
    };
    if partition < 0 {
        return;
    }
    let selector = format!("[data-head='{partition}']");
    if let Ok(Some(el)) = svg.query_selector(&selector) {
        focus(&el);
    }
}

pub(super) fn current_element(ev: &KeyboardEvent) -> Option<web_sys::Element> {
    ev.current_target().and_then(|t| t.dyn_into().ok())
}
