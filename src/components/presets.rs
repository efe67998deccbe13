//! Loading a preset scenario (a select and "Load preset").

use crate::components::explain::Explain;
use crate::playground::Playground;
use crate::presets::presets;
use crate::state::{Announcer, Clock, Engine};
use leptos::prelude::*;

/// The presets panel.
#[component]
pub fn PresetPicker() -> impl IntoView {
    let engine = expect_context::<Engine>();
    let clock = expect_context::<Clock>();
    let announcer = expect_context::<Announcer>();
    let choice = RwSignal::new(0usize);
    let names: Vec<(usize, &'static str)> = presets()
        .iter()
        .enumerate()
        .map(|(i, p)| (i, p.name))
        .collect();
    let description = move || {
        presets()
            .get(choice.get())
            .map(|p| p.description)
            .unwrap_or_default()
    };
    let load = move |_| {
        if let Some(preset) = presets().into_iter().nth(choice.get_untracked()) {
            clock.playing.set(false);
            engine.update(|pg| *pg = Playground::new(preset.session));
            announcer.say(format!("Loaded preset {}.", preset.name));
        }
    };
    view! {
        <section class="panel presets-panel" aria-labelledby="presets-title">
            <h2 id="presets-title">"Presets"</h2>
            <div class="fields">
                <label for="preset">"Preset"</label>
                <select
                    id="preset"
                    prop:value=move || choice.get().to_string()
                    on:change=move |ev| choice.set(event_target_value(&ev).parse().unwrap_or(0))
                >
                    {names.into_iter().map(|(i, n)| view! { <option value=i.to_string()>{n}</option> }).collect_view()}
                </select>
                <button type="button" on:click=load>"Load preset"</button>
            </div>
            <p class="hint">{description}</p>
            <Explain text="Each preset is a scenario from the seed documents, stored like any session: a setup, a seed and the actions to replay. Loading one replaces the current run (export it first to keep it)." />
        </section>
    }
    .into_any()
}
