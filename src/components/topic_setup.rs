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

/// The select's value for "no key".
const NO_KEY: &str = "none";

/// `(keyed, partitioner)` from the select's value.
fn parse_partitioner(name: &str) -> Option<(bool, Option<Partitioner>)> {
    if name == NO_KEY {
        return Some((false, None));
    }
    name.parse().ok().map(|p| (true, Some(p)))
}

/// The topic setup panel.
#[component]
pub fn TopicSetup() -> impl IntoView {
    let engine = expect_context::<Engine>();
    let announcer = expect_context::<Announcer>();
    let current = Memo::new(move |_| engine.read(|pg| pg.session().setup.clone()));
    // Drafts: `None` means "same as the current setup" (so nothing mirrors the engine).
    let partitions_text = RwSignal::new(None::<String>);
    let partitioner = RwSignal::new(None::<(bool, Option<Partitioner>)>);
    let key_field = RwSignal::new(None::<KeyField>);
    let segment_text = RwSignal::new(None::<String>);
    let retention_text = RwSignal::new(None::<String>);

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
        let segment_records = match segment_text.get() {
            None => now.segment_records,
            Some(text) => text
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or("Segment size must be a whole number of records, at least 1.")?,
        };
        let retention_records =
            match retention_text.get() {
                None => now.retention_records,
                Some(text) if text.trim().is_empty() => None,
                Some(text) => Some(text.trim().parse::<u64>().ok().filter(|n| *n >= 1).ok_or(
                    "Retention must be a whole number of records (or empty to keep all).",
                )?),
            };
        let (keyed, chosen) = partitioner
            .get()
            .unwrap_or((now.keyed, Some(now.partitioner)));
        Ok(Setup {
            partitions,
            partitioner: chosen.unwrap_or(now.partitioner),
            keyed,
            key_field: key_field.get().unwrap_or(now.key_field),
            segment_records,
            retention_records,
        })
    });
    let changed = Memo::new(move |_| draft.get().is_ok_and(|d| d != current.get()));
    let moved = Memo::new(move |_| match draft.get() {
        Ok(d)
            if d.keyed
                && current.get().keyed
                && d.key_field == current.get().key_field
                && changed.get() =>
        {
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
            let summary = if setup.keyed {
                format!(
                    "Topic now has {} partitions ({}), keyed by {}; the run was replayed.",
                    setup.partitions,
                    partitioner_name(setup.partitioner),
                    setup.key_field.label()
                )
            } else {
                format!(
                    "Topic now has {} partitions, records without a key (round-robin); the run was replayed.",
                    setup.partitions
                )
            };
            engine.update(|pg| pg.change_setup(setup));
            partitions_text.set(None);
            partitioner.set(None);
            key_field.set(None);
            segment_text.set(None);
            retention_text.set(None);
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
                    prop:value=move || {
                        let now = current.get();
                        match partitioner.get().unwrap_or((now.keyed, Some(now.partitioner))) {
                            (false, _) => NO_KEY.to_string(),
                            (true, p) => partitioner_name(p.unwrap_or(now.partitioner)),
                        }
                    }
                    on:change=move |ev| partitioner.set(parse_partitioner(&event_target_value(&ev)))
                >
                    {Partitioner::ALL.map(|p| view! { <option value=p.name()>{p.name()}</option> })}
                    <option value=NO_KEY>"no key (round-robin)"</option>
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
                <label for="setup-segment">"Segment size"</label>
                <input
                    id="setup-segment"
                    type="number"
                    min="1"
                    prop:value=move || segment_text.get().unwrap_or_else(|| current.get().segment_records.to_string())
                    on:input=move |ev| segment_text.set(Some(event_target_value(&ev)))
                />
                <label for="setup-retention">"Retention (records)"</label>
                <input
                    id="setup-retention"
                    type="number"
                    min="1"
                    placeholder="keep all"
                    prop:value=move || retention_text.get().unwrap_or_else(|| current.get().retention_records.map(|r| r.to_string()).unwrap_or_default())
                    on:input=move |ev| retention_text.set(Some(event_target_value(&ev)))
                />
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
            <Explain text="Changing the partition count changes hash mod N, so many keys move to another partition: their old records stay behind and per-key order across the change is lost. That is why real topics rarely change their partition count. Applying here replays the whole run with the new setup. Without a key, records are spread round-robin and no order holds. Retention deletes whole old segments, so the log start offset moves up." />
        </section>
    }
    .into_any()
}
