//! Topic setup: partition count, partitioner and key field. Applying replays the whole run
//! under the new setup; before that, the panel lists which keys seen so far would move.

use crate::components::explain::Explain;
use crate::playground::{KeyField, Setup};
use crate::state::{Announcer, Engine};
use leptos::prelude::*;
use orderflow_engine::partitioner::Partitioner;
use orderflow_engine::topic::MAX_PARTITIONS;

/// How many moved keys are listed by name.
const MOVED_KEYS_LISTED: usize = 12;

/// The kebab-case name of a partitioner (as in sessions and the CLI).
pub fn partitioner_name(p: Partitioner) -> String {
    p.name().to_string()
}

fn parse_partitioner(name: &str) -> Option<Partitioner> {
    name.parse().ok()
}

/// The topic setup panel.
#[component]
pub fn TopicSetup() -> impl IntoView {
    let engine = expect_context::<Engine>();
    let announcer = expect_context::<Announcer>();
    let current = Memo::new(move |_| engine.read(|pg| pg.session().setup.clone()));
    // Drafts: `None` means "same as the current setup" (so nothing mirrors the engine).
    let partitions_text = RwSignal::new(None::<String>);
    let partitioner = RwSignal::new(None::<Partitioner>);
    let key_field = RwSignal::new(None::<KeyField>);

    let draft = Memo::new(move |_| -> Result<Setup, String> {
        let now = current.get();
        let partitions = match partitions_text.get() {
            None => now.partitions,
            Some(text) => text
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=MAX_PARTITIONS).contains(n))
                .ok_or(format!(
                    "Partitions must be a whole number from 1 to {MAX_PARTITIONS}."
                ))?,
        };
        Ok(Setup {
            partitions,
            partitioner: partitioner.get().unwrap_or(now.partitioner),
            key_field: key_field.get().unwrap_or(now.key_field),
        })
    });
    let changed = Memo::new(move |_| draft.get().is_ok_and(|d| d != current.get()));
    let moved = Memo::new(move |_| match draft.get() {
        Ok(d) if d.key_field == current.get().key_field && changed.get() => {
            let keys = engine.read(|pg| pg.keys_seen().len());
            Some((
                engine.read(|pg| pg.moved_keys(d.partitioner, d.partitions)),
                keys,
            ))
        }
        _ => None,
    });

    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Ok(setup) = draft.get_untracked() {
            let summary = format!(
                "Topic now has {} partitions ({}), keyed by {}; the run was replayed.",
                setup.partitions,
                partitioner_name(setup.partitioner),
                setup.key_field.label()
            );
            engine.update(|pg| pg.change_setup(setup));
            partitions_text.set(None);
            partitioner.set(None);
            key_field.set(None);
            announcer.say(summary);
        }
    };

    view! {
        <section class="panel setup-panel" aria-labelledby="setup-title">
            <h2 id="setup-title">"Topic setup"</h2>
            <form class="fields" on:submit=apply>
                <label for="setup-partitions">"Partitions"</label>
                <input
                    id="setup-partitions"
                    type="number"
                    min="1"
                    max=MAX_PARTITIONS
                    prop:value=move || partitions_text.get().unwrap_or_else(|| current.get().partitions.to_string())
                    on:input=move |ev| partitions_text.set(Some(event_target_value(&ev)))
                />
                <label for="setup-partitioner">"Partitioner"</label>
                <select
                    id="setup-partitioner"
                    prop:value=move || partitioner_name(partitioner.get().unwrap_or(current.get().partitioner))
                    on:change=move |ev| partitioner.set(parse_partitioner(&event_target_value(&ev)))
                >
                    {Partitioner::ALL.map(|p| view! { <option value=p.name()>{p.name()}</option> })}
                </select>
                <label for="setup-key">"Key field"</label>
                <select
                    id="setup-key"
                    prop:value=move || match key_field.get().unwrap_or(current.get().key_field) { KeyField::UserId => "user_id", KeyField::OrderId => "order_id" }
                    on:change=move |ev| key_field.set(Some(if event_target_value(&ev) == "order_id" { KeyField::OrderId } else { KeyField::UserId }))
                >
                    <option value="user_id">"User ID"</option>
                    <option value="order_id">"Order ID"</option>
                </select>
                <button type="submit" disabled=move || !changed.get()>"Apply setup"</button>
            </form>
            <p class="error" role="alert">{move || draft.get().err()}</p>
            {move || moved.get().map(|(moved, keys)| {
                let listed: Vec<String> = moved.iter().take(MOVED_KEYS_LISTED).map(|m| format!("{} {}→{}", m.key, m.from, m.to)).collect();
                let more = moved.len().saturating_sub(MOVED_KEYS_LISTED);
                view! {
                    <div class="moved-keys" role="status">
                        <p>{format!("{} of {} keys seen would move to another partition.", moved.len(), keys)}</p>
                        <ul>{listed.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}</ul>
                        {(more > 0).then(|| view! { <p>{format!("and {more} more")}</p> })}
                    </div>
                }
            })}
            <Explain text="Changing the partition count changes hash mod N, so many keys move to another partition: their old records stay behind and per-key order across the change is lost. That is why real topics rarely change their partition count. Applying here replays the whole run with the new setup." />
        </section>
    }
    .into_any()
}
