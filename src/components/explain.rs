//! The "what am I looking at" disclosure every panel carries.

use leptos::prelude::*;

/// A short explanation of the concept a panel shows, folded by default.
#[component]
pub fn Explain(
    /// The explanation, one or two sentences.
    text: &'static str,
) -> impl IntoView {
    view! {
        <details class="explain">
            <summary>"What am I looking at?"</summary>
            <p>{text}</p>
        </details>
    }
    .into_any()
}
