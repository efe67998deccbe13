//! Loading a preset scenario (a select "Preset" and "Load preset"). The presets are the
//! engine's scenarios, streaming and sagas (under "Sagas") (see [`crate::presets`]).

use crate::components::explain::Explain;
use crate::components::topics::SelectedTopic;
use crate::playground::Playground;
use crate::presets::{presets, title, Preset};
use crate::state::{Announcer, Clock, Engine};
use leptos::prelude::*;

/// The presets panel.
#[component]
pub fn PresetPicker() -> impl IntoView {
    let engine = expect_context::<Engine>();
    let clock = expect_context::<Clock>();
    let announcer = expect_context::<Announcer>();
    let selected_topic = use_context::<SelectedTopic>();
    // Built once per mount: the list is static data.
    let all = StoredValue::new(presets());
    let choice =
        RwSignal::new(all.with_value(|p| p.first().map(|p| p.id.clone()).unwrap_or_default()));
    let find = move |id: String| -> Option<Preset> {
        all.with_value(|p| p.iter().find(|p| p.id == id).cloned())
    };
    let chosen = move || find(choice.get());
    let options = move |saga: bool| {
        all.with_value(|p| {
            p.iter()
                .filter(|p| p.saga == saga)
                .map(|p| (p.id.clone(), p.name.clone()))
                .collect::<Vec<_>>()
        })
        .into_iter()
        .map(|(id, name)| view! { <option value=id>{name}</option> })
        .collect_view()
    };
    let load = move |_| {
        let Some(preset) = find(choice.get_untracked()) else {
            return;
        };
        clock.playing.set(false);
        let first_topic = preset.session.topics().first().map(|t| t.name.clone());
        engine.update(|pg| *pg = Playground::new(preset.session));
        if let (Some(selected), Some(first)) = (selected_topic, first_topic) {
            selected.0.set(first);
        }
        announcer.say(format!("Loaded preset {}.", preset.name));
    };
    view! {
        <section class="panel presets-panel" aria-labelledby="presets-title">
            <h2 id="presets-title">"Presets"</h2>
            <div class="fields">
                <label for="preset">"Preset"</label>
                <select
                    id="preset"
                    prop:value=move || choice.get()
                    on:change=move |ev| choice.set(event_target_value(&ev))
                >
                    <optgroup label="Streaming">{options(false)}</optgroup>
                    <optgroup label="Sagas">{options(true)}</optgroup>
                </select>
                <button type="button" on:click=load>"Load preset"</button>
            </div>
            <p class="running">{move || match engine.read(|pg| pg.session().preset.clone()) {
                Some(id) => format!("Running: the preset {} (with your changes, if any).", title(&id)),
                None => "Running: the default start, the Event Hubs example's orders topic (4 partitions keyed by User ID) and its groups OrderProcessor, Notifier and Analytics on 2, 3 and 1 consumers, routed with Kafka's murmur2. Load the preset \"Event Hubs order example\" for the Event Hubs partitioner and its scripted crash.".to_string(),
            }}</p>
            <p class="hint">{move || chosen().map(|p| p.description).unwrap_or_default()}</p>
            <Explain text="Each preset is one of the engine's scenarios from the seed documents, the same files the CLI runs from scenarios/*.json, loaded as it is: the page shows the very records the CLI prints for the same ticks. What you do on top of it is logged and replayed with it. Loading one replaces the current run (export it first to keep it)." />
        </section>
    }
    .into_any()
}
