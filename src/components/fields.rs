//! The labelled inputs every form uses: a `<label>` and its `<input>` side by side (the forms
//! lay them out in a grid, so there is no wrapper), and an optional hint tied to the input by
//! `aria-describedby`. An input shows its value through `prop:value`, so it follows the model
//! after the first render too, and reports every text typed; the form parses the text (see
//! [`crate::forms`]).
//!
//! - [`NumberField`]: `<input type="number">` with its bounds;
//! - [`TextField`]: a text input (names, ids, keys; numbers too big for a number input).

use leptos::prelude::*;

/// The hint under a field, if any, with the id the input's `aria-describedby` names.
fn hint_view(hint: Option<String>, hint_id: Option<String>) -> impl IntoView {
    hint.map(|hint| view! { <span class="hint" id=hint_id>{hint}</span> })
}

/// A number field: its label, its input and, if given, a hint.
#[component]
pub fn NumberField(
    /// The input's id (the label points at it).
    #[prop(into)]
    id: String,
    /// The label's text: the input's accessible name.
    #[prop(into)]
    label: String,
    /// The text the input shows.
    #[prop(into)]
    value: Signal<String>,
    /// Called with the text typed, on every input.
    on_input: impl Fn(String) + 'static,
    /// The smallest value offered.
    #[prop(optional)]
    min: Option<u32>,
    /// The largest value offered (a constant or a signal).
    #[prop(optional, into)]
    max: MaybeProp<u32>,
    /// The step of the input's arrows (1 when not given).
    #[prop(optional)]
    step: Option<u32>,
    /// Shown while the field is empty (what empty means, e.g. "keep all").
    #[prop(optional)]
    placeholder: Option<&'static str>,
    /// The on-screen keyboard to offer (`numeric`).
    #[prop(optional)]
    inputmode: Option<&'static str>,
    /// A short explanation under the field, read with it by screen readers.
    #[prop(optional, into)]
    hint: Option<String>,
) -> impl IntoView {
    let hint_id = hint.as_ref().map(|_| format!("{id}-hint"));
    view! {
        <label for=id.clone()>{label}</label>
        <input
            id=id
            type="number"
            min=min
            max=move || max.get()
            step=step
            placeholder=placeholder
            inputmode=inputmode
            aria-describedby=hint_id.clone()
            prop:value=value
            on:input=move |ev| on_input(event_target_value(&ev))
        />
        {hint_view(hint, hint_id)}
    }
    .into_any()
}

/// A text field: its label, its input (no autocompletion: these are ids and names of this
/// run, not the person's) and, if given, a hint.
#[component]
pub fn TextField(
    /// The input's id (the label points at it).
    #[prop(into)]
    id: String,
    /// The label's text: the input's accessible name.
    #[prop(into)]
    label: String,
    /// The text the input shows.
    #[prop(into)]
    value: Signal<String>,
    /// Called with the text typed, on every input.
    on_input: impl Fn(String) + 'static,
    /// Shown while the field is empty (an example).
    #[prop(optional)]
    placeholder: Option<&'static str>,
    /// The on-screen keyboard to offer (`numeric` for numbers a number input cannot hold).
    #[prop(optional)]
    inputmode: Option<&'static str>,
    /// A short explanation under the field, read with it by screen readers.
    #[prop(optional, into)]
    hint: Option<String>,
    /// Longest text accepted (`maxlength`). A longer paste is refused whole, before the
    /// browser inserts it (laying out 50 MB in an input freezes the tab), and reported.
    #[prop(optional)]
    max_chars: Option<usize>,
    /// Called with the length of a refused paste (see `max_chars`).
    #[prop(optional, into)]
    on_too_long: Option<Callback<usize>>,
) -> impl IntoView {
    let hint_id = hint.as_ref().map(|_| format!("{id}-hint"));
    let on_paste = move |ev: leptos::ev::ClipboardEvent| {
        let Some(max) = max_chars else { return };
        let Some(text) = pasted_text(&ev) else {
            return;
        };
        let length = text.chars().count();
        if length > max {
            ev.prevent_default();
            if let Some(report) = on_too_long {
                report.run(length);
            }
        }
    };
    view! {
        <label for=id.clone()>{label}</label>
        <input
            id=id
            autocomplete="off"
            placeholder=placeholder
            inputmode=inputmode
            maxlength=max_chars.map(|m| m.to_string())
            aria-describedby=hint_id.clone()
            prop:value=value
            on:input=move |ev| on_input(event_target_value(&ev))
            on:paste=on_paste
        />
        {hint_view(hint, hint_id)}
    }
    .into_any()
}

/// The text a paste carries (`clipboardData.getData("text")`), read through JS reflection
/// so web-sys needs no extra feature (a feature change rebuilds every crate on web-sys).
fn pasted_text(ev: &leptos::ev::ClipboardEvent) -> Option<String> {
    use wasm_bindgen::JsCast;
    let data = js_sys::Reflect::get(ev, &"clipboardData".into()).ok()?;
    let get_data: js_sys::Function = js_sys::Reflect::get(&data, &"getData".into())
        .ok()?
        .dyn_into()
        .ok()?;
    get_data.call1(&data, &"text".into()).ok()?.as_string()
}
