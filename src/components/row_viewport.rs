//! The scroll container of a virtualised list ([`RowWindow`]): the saga list and a
//! partition's log. It is focusable, so the list scrolls by keyboard; its height and the
//! spacer's (the whole list's height) are inline, because virtualisation depends on them;
//! the rows, placed absolutely at their index, are the caller's.

use crate::row_window::RowWindow;
use leptos::either::Either;
use leptos::html::Div;
use leptos::prelude::*;

/// A virtualised list's viewport: a focusable scroll container `rows_in_view` rows high
/// holding a spacer as high as every row, the caller's rows inside the spacer.
#[component]
pub fn RowViewport(
    /// The list's geometry.
    geometry: RowWindow,
    /// The scroll container's class.
    class: &'static str,
    /// The scroll container's accessible name.
    #[prop(into)]
    label: String,
    /// The spacer's class.
    spacer_class: &'static str,
    /// The spacer is an `<ol>` (its rows are `<li>`s), else a `<div>`.
    #[prop(optional)]
    ordered: bool,
    /// How many rows the list has.
    #[prop(into)]
    total: Signal<u64>,
    /// Written on every scroll: the offset the caller's window is taken at.
    scroll_top: RwSignal<f64>,
    /// Keep the last row in view while the user has not scrolled away from it.
    #[prop(optional)]
    follow_tail: bool,
    /// The rows, inside the spacer.
    children: Children,
    /// Drawn after the spacer, inside the scroll container (marks over the rows).
    #[prop(optional)]
    overlay: Option<Children>,
) -> impl IntoView {
    let viewport = NodeRef::<Div>::new();
    let at_tail = RwSignal::new(true);
    if follow_tail {
        // An effect that writes the DOM, not a signal.
        Effect::new(move |_| {
            total.track();
            if at_tail.get_untracked() {
                // After the next layout, so the list already has its new height.
                request_animation_frame(move || {
                    if let Some(el) = viewport.try_get_untracked().flatten() {
                        el.set_scroll_top(el.scroll_height());
                    }
                });
            }
        });
    }
    let on_scroll = move |_| {
        if let Some(el) = viewport.get_untracked() {
            scroll_top.set(f64::from(el.scroll_top()));
            at_tail.set(el.scroll_top() + el.client_height() >= el.scroll_height() - 2);
        }
    };
    let row_px = geometry.row_px;
    let spacer_height = move || format!("{}px", total.get() as f64 * row_px);
    let rows = children();
    let spacer = if ordered {
        Either::Left(view! {
            <ol class=spacer_class style:position="relative" style:height=spacer_height>
                {rows}
            </ol>
        })
    } else {
        Either::Right(view! {
            <div class=spacer_class style:position="relative" style:height=spacer_height>
                {rows}
            </div>
        })
    };
    view! {
        <div
            class=class
            node_ref=viewport
            on:scroll=on_scroll
            tabindex="0"
            role="group"
            aria-label=label
            // The geometry virtualisation depends on is inline, not left to the stylesheet.
            style:height=format!("{}px", geometry.rows_in_view as f64 * row_px)
            style:overflow-y="auto"
            style:position="relative"
        >
            {spacer}
            {overlay.map(|overlay| overlay())}
        </div>
    }
}
