//! The "Theme" control in the toolbar: System, Light or Dark, saved in this browser and
//! applied to the whole page at once (see [`crate::theme`]).

use crate::theme::Theme;
use leptos::prelude::*;

/// A labelled select; the page follows the choice at once and on the next visit.
#[component]
pub fn ThemeControl() -> impl IntoView {
    let theme = RwSignal::new(Theme::load());
    theme.get_untracked().apply();
    let choose = move |value: String| {
        let chosen = Theme::parse(Some(&value));
        theme.set(chosen);
        chosen.save();
        chosen.apply();
    };
    view! {
        <label class="theme-control">
            "Theme "
            <select
                prop:value=move || theme.get().as_str()
                on:change=move |ev| choose(event_target_value(&ev))
            >
                {Theme::ALL
                    .into_iter()
                    .map(|t| view! { <option value=t.as_str()>{t.label()}</option> })
                    .collect_view()}
            </select>
        </label>
    }
    .into_any()
}
