//! Two things the page observes in the browser, written against web-sys directly:
//! leptos-use's `use_prefers_reduced_motion` and `use_element_size` brought its event
//! listener, watch and debounce/throttle machinery into the release wasm for them
//! (BENCHMARKS.md, "The bundle").

use leptos::html::Div;
use leptos::prelude::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{MediaQueryList, MediaQueryListEvent, ResizeObserver, ResizeObserverEntry};

/// Whether the person asks for reduced motion (`prefers-reduced-motion: reduce`), following
/// changes of the setting while the current owner lives.
pub fn prefers_reduced_motion() -> Signal<bool> {
    let query = window()
        .match_media("(prefers-reduced-motion: reduce)")
        .ok()
        .flatten();
    let reduced = RwSignal::new(query.as_ref().is_some_and(MediaQueryList::matches));
    if let Some(query) = query {
        let on_change =
            Closure::<dyn Fn(MediaQueryListEvent)>::new(move |e: MediaQueryListEvent| {
                reduced.set(e.matches());
            });
        let listener = on_change.as_ref().unchecked_ref();
        let _ = query.add_event_listener_with_callback("change", listener);
        let kept = StoredValue::new_local((query, on_change));
        on_cleanup(move || {
            kept.try_with_value(|(query, on_change)| {
                let listener = on_change.as_ref().unchecked_ref();
                let _ = query.remove_event_listener_with_callback("change", listener);
            });
        });
    }
    reduced.into()
}

/// The width and height of `target`'s content box (`initial` until it is measured),
/// following its resizes (a `ResizeObserver`) while the current owner lives.
pub fn element_size(target: NodeRef<Div>, initial: (f64, f64)) -> (Signal<f64>, Signal<f64>) {
    let (width, height) = (RwSignal::new(initial.0), RwSignal::new(initial.1));
    let on_resize = Closure::<dyn Fn(js_sys::Array)>::new(move |entries: js_sys::Array| {
        if let Ok(entry) = entries.get(0).dyn_into::<ResizeObserverEntry>() {
            let rect = entry.content_rect();
            width.set(rect.width());
            height.set(rect.height());
        }
    });
    if let Ok(observer) = ResizeObserver::new(on_resize.as_ref().unchecked_ref()) {
        let kept = StoredValue::new_local((observer, on_resize));
        Effect::new(move |_| {
            if let Some(element) = target.get() {
                kept.try_with_value(|(observer, _)| observer.observe(&element));
            }
        });
        on_cleanup(move || {
            kept.try_with_value(|(observer, _)| observer.disconnect());
        });
    }
    (width.into(), height.into())
}
