//! Topic setup: partition count, partitioner and key field. Applying replays the whole run
//! under the new setup; before that, the panel lists which keys seen so far would move.

use crate::components::explain::Explain;
use crate::components::topics::{use_topic, Draft};
use crate::session::{KeyField, Setup};
use crate::state::{Announcer, Engine};
use leptos::prelude::*;
use orderflow_engine::partitioner::{Partitioner, UnkeyedStrategy};
use orderflow_engine::topic::MAX_PARTITIONS;

/// How many moved keys are listed by name.
const MOVED_KEYS_LISTED: usize = 12;

/// The kebab-case name of a partitioner (as in sessions and the CLI).
pub fn partitioner_name(p: Partitioner) -> String {
    p.name().to_string()
}

/// The select's value for "no key, round-robin".
const NO_KEY: &str = "none";
/// The select's value for "no key, sticky" (Kafka's default for records without a key).
const NO_KEY_STICKY: &str = "none-sticky";
/// Records per batch of the sticky partitioner (the engine's default, as in the Java client).
const STICKY_BATCH_RECORDS: u32 = 16;
/// Largest sticky batch the setup accepts.
const MAX_STICKY_BATCH_RECORDS: u32 = 10_000;

/// The select's value for a setup's partitioner choice.
fn partitioner_value(setup: &Setup) -> String {
    match (setup.keyed, setup.unkeyed) {
        (true, _) => partitioner_name(setup.partitioner),
        (false, UnkeyedStrategy::RoundRobin) => NO_KEY.to_string(),
        (false, UnkeyedStrategy::Sticky { .. }) => NO_KEY_STICKY.to_string(),
    }
}

/// Applies the select's value to a setup: `None` when the value is unknown.
pub(crate) fn apply_partitioner(value: &str, setup: &mut Setup) -> Option<()> {
    match value {
        NO_KEY => {
            setup.keyed = false;
            setup.unkeyed = UnkeyedStrategy::RoundRobin;
        }
        NO_KEY_STICKY => {
            setup.keyed = false;
            if !matches!(setup.unkeyed, UnkeyedStrategy::Sticky { .. }) {
                setup.unkeyed = UnkeyedStrategy::Sticky {
                    batch_records: STICKY_BATCH_RECORDS,
                };
            }
        }
        name => {
            setup.keyed = true;
            setup.partitioner = name.parse().ok()?;
        }
    }
    Some(())
}

/// A partition count from a field: a whole number from 1 to [`MAX_PARTITIONS`].
pub(crate) fn parse_partitions(text: &str) -> Result<u32, String> {
    text.trim()
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=MAX_PARTITIONS).contains(n))
        .ok_or(format!(
            "Partitions must be a whole number from 1 to {MAX_PARTITIONS}."
        ))
}

/// The options of a "Partitioner" select: the keyed partitioners, then the two no-key
/// choices (values as [`apply_partitioner`] reads them).
pub(crate) fn partitioner_options() -> impl IntoView {
    view! {
        {Partitioner::ALL.map(|p| view! { <option value=p.name()>{p.name()}</option> })}
        <option value=NO_KEY>"no key (round-robin)"</option>
        <option value=NO_KEY_STICKY>"no key (sticky)"</option>
    }
}

/// The options of a "Key field" select (values as [`KeyField::from_value`] reads them).
pub(crate) fn key_field_options() -> impl IntoView {
    [KeyField::UserId, KeyField::OrderId]
        .map(|k| view! { <option value=k.value()>{k.label()}</option> })
}

/// An optional positive whole number from a field (empty: `None`).
fn optional_positive(text: &str, what: &str) -> Result<Option<u64>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse::<u64>()
        .ok()
        .filter(|n| *n >= 1)
        .map(Some)
        .ok_or(format!(
            "{what} must be a whole number, at least 1 (or empty to keep all)."
        ))
}

/// The topic setup panel for the selected topic.
#[component]
pub fn TopicSetup() -> impl IntoView {
    let engine = expect_context::<Engine>();
    let announcer = expect_context::<Announcer>();
    let topic = use_topic();
    let add_error = RwSignal::new(None::<String>);
    // The setup and the live partition count the drafts were typed over.
    let current = Memo::new(move |_| {
        let topic = topic.get();
        engine.read(|pg| {
            let setup = pg.setup(&topic).cloned().unwrap_or_default();
            let live = pg.partition_count(&topic);
            (setup, live)
        })
    });
    let partitions_text = Draft::<(Setup, u32)>::default();
    let partitioner = Draft::<(Setup, u32)>::default();
    let key_field = Draft::<(Setup, u32)>::default();
    let segment_text = Draft::<(Setup, u32)>::default();
    let retention_text = Draft::<(Setup, u32)>::default();
    let retention_ticks_text = Draft::<(Setup, u32)>::default();
    let sticky_batch_text = Draft::<(Setup, u32)>::default();

    let partitions_shown = move || {
        let c = current.get();
        partitions_text.get(&c).unwrap_or_else(|| c.1.to_string())
    };
    let draft = Memo::new(move |_| -> Result<Setup, String> {
        let c = current.get();
        let mut setup = c.0.clone();
        if let Some(text) = partitions_text.get(&c) {
            setup.partitions = parse_partitions(&text)?;
        } else {
            setup.partitions = c.1.max(1);
        }
        if let Some(text) = segment_text.get(&c) {
            setup.segment_records = text
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or("Segment size must be a whole number of records, at least 1.")?;
        }
        if let Some(text) = retention_text.get(&c) {
            setup.retention_records = optional_positive(&text, "Retention (records)")?;
        }
        if let Some(text) = retention_ticks_text.get(&c) {
            setup.retention_ticks = optional_positive(&text, "Retention (ticks)")?;
        }
        if let Some(value) = partitioner.get(&c) {
            apply_partitioner(&value, &mut setup).ok_or("Unknown partitioner.")?;
        }
        if let (Some(text), UnkeyedStrategy::Sticky { .. }) =
            (sticky_batch_text.get(&c), setup.unkeyed)
        {
            let batch_records = text
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=MAX_STICKY_BATCH_RECORDS).contains(n))
                .ok_or(format!(
                    "Sticky batch must be a whole number of records from 1 to {MAX_STICKY_BATCH_RECORDS}."
                ))?;
            setup.unkeyed = UnkeyedStrategy::Sticky { batch_records };
        }
        if let Some(value) = key_field.get(&c) {
            setup.key_field = KeyField::from_value(&value);
        }
        Ok(setup)
    });
    // The setup as it would be after "Apply setup" (the live count, if partitions were
    // added, counts as the setup's count).
    let changed = Memo::new(move |_| {
        let (setup, live) = current.get();
        draft.get().is_ok_and(|d| {
            d != Setup {
                partitions: live.max(1),
                ..setup
            }
        })
    });
    let can_add = Memo::new(move |_| {
        let (setup, live) = current.get();
        draft.get().is_ok_and(|d| {
            d.partitions > live
                && d == Setup {
                    partitions: d.partitions,
                    ..setup
                }
        })
    });
    let moved = Memo::new(move |_| match draft.get() {
        Ok(d)
            if d.keyed
                && current.get().0.keyed
                && d.key_field == current.get().0.key_field
                && changed.get() =>
        {
            let topic = topic.get();
            let keys = engine.read(|pg| pg.keys_seen(&topic));
            Some((
                engine.read(|pg| pg.moved_keys(&topic, d.partitioner, d.partitions)),
                keys,
            ))
        }
        _ => None,
    });
    let clear = move || {
        partitions_text.clear();
        partitioner.clear();
        key_field.clear();
        segment_text.clear();
        retention_text.clear();
        retention_ticks_text.clear();
        sticky_batch_text.clear();
    };

    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Ok(setup) = draft.get_untracked() {
            let summary = if setup.keyed {
                format!(
                    "Topic {} now has {} partitions ({}), keyed by {}; the run was replayed.",
                    setup.name,
                    setup.partitions,
                    partitioner_name(setup.partitioner),
                    setup.key_field.label()
                )
            } else {
                format!(
                    "Topic {} now has {} partitions, records {}; the run was replayed.",
                    setup.name,
                    setup.partitions,
                    setup.unkeyed_label()
                )
            };
            engine.update(|pg| pg.change_setup(setup));
            clear();
            announcer.say(summary);
        }
    };
    let add_partitions = move |_| {
        if let Ok(setup) = draft.get_untracked() {
            let result = engine.update(|pg| pg.add_partitions(&setup.name, setup.partitions));
            match result {
                Ok(()) => {
                    clear();
                    announcer.say(format!(
                        "Topic {} now has {} partitions; records already written stay where they are.",
                        setup.name, setup.partitions
                    ));
                }
                Err(e) => add_error.set(Some(e.to_string())),
            }
        }
    };

    view! {
        <section class="panel setup-panel" aria-labelledby="setup-title">
            <h2 id="setup-title">{move || format!("Topic setup: {}", topic.get())}</h2>
            <form class="fields" on:submit=apply>
                <label for="setup-partitions">"Partitions"</label>
                <input
                    id="setup-partitions"
                    type="number"
                    min="1"
                    max=MAX_PARTITIONS
                    prop:value=partitions_shown
                    on:input=move |ev| partitions_text.set(current.get_untracked(), event_target_value(&ev))
                />
                <label for="setup-partitioner">"Partitioner"</label>
                <select
                    id="setup-partitioner"
                    prop:value=move || {
                        let c = current.get();
                        partitioner.get(&c).unwrap_or_else(|| partitioner_value(&c.0))
                    }
                    on:change=move |ev| partitioner.set(current.get_untracked(), event_target_value(&ev))
                >
                    {partitioner_options()}
                </select>
                <label for="setup-key">"Key field"</label>
                <select
                    id="setup-key"
                    prop:value=move || {
                        let c = current.get();
                        key_field.get(&c).unwrap_or_else(|| c.0.key_field.value().to_string())
                    }
                    on:change=move |ev| key_field.set(current.get_untracked(), event_target_value(&ev))
                >
                    {key_field_options()}
                </select>
                {move || {
                    // The batch size matters only for the sticky no-key choice.
                    let c = current.get();
                    let sticky = partitioner.get(&c).unwrap_or_else(|| partitioner_value(&c.0)) == NO_KEY_STICKY;
                    sticky.then(|| view! {
                        <label for="setup-sticky-batch">"Sticky batch (records)"</label>
                        <input
                            id="setup-sticky-batch"
                            type="number"
                            min="1"
                            max=MAX_STICKY_BATCH_RECORDS
                            prop:value=move || {
                                let c = current.get();
                                sticky_batch_text.get(&c).unwrap_or_else(|| match c.0.unkeyed {
                                    UnkeyedStrategy::Sticky { batch_records } => batch_records.to_string(),
                                    UnkeyedStrategy::RoundRobin => STICKY_BATCH_RECORDS.to_string(),
                                })
                            }
                            on:input=move |ev| sticky_batch_text.set(current.get_untracked(), event_target_value(&ev))
                        />
                    })
                }}
                <label for="setup-segment">"Segment size"</label>
                <input
                    id="setup-segment"
                    type="number"
                    min="1"
                    prop:value=move || { let c = current.get(); segment_text.get(&c).unwrap_or_else(|| c.0.segment_records.to_string()) }
                    on:input=move |ev| segment_text.set(current.get_untracked(), event_target_value(&ev))
                />
                <label for="setup-retention">"Retention (records)"</label>
                <input
                    id="setup-retention"
                    type="number"
                    min="1"
                    placeholder="keep all"
                    prop:value=move || { let c = current.get(); retention_text.get(&c).unwrap_or_else(|| c.0.retention_records.map(|r| r.to_string()).unwrap_or_default()) }
                    on:input=move |ev| retention_text.set(current.get_untracked(), event_target_value(&ev))
                />
                <label for="setup-retention-ticks">"Retention (ticks)"</label>
                <input
                    id="setup-retention-ticks"
                    type="number"
                    min="1"
                    placeholder="keep all"
                    prop:value=move || { let c = current.get(); retention_ticks_text.get(&c).unwrap_or_else(|| c.0.retention_ticks.map(|r| r.to_string()).unwrap_or_default()) }
                    on:input=move |ev| retention_ticks_text.set(current.get_untracked(), event_target_value(&ev))
                />
                <button type="submit" disabled=move || !changed.get()>"Apply setup"</button>
                <button type="button" disabled=move || !can_add.get() on:click=add_partitions>"Add partitions"</button>
            </form>
            <p class="error" role="alert">{move || draft.get().err().or_else(|| add_error.get())}</p>
            {move || moved.get().map(|(moved, keys)| {
                let listed: Vec<String> = moved.iter().take(MOVED_KEYS_LISTED).map(|m| format!("{} {}→{}", m.key, m.from, m.to)).collect();
                let more = moved.len().saturating_sub(MOVED_KEYS_LISTED);
                view! {
                    <div class="moved-keys" role="status">
                        <p>{format!("{} of {} keys seen would move to another partition (new records only, if partitions are added).", moved.len(), keys)}</p>
                        <ul>{listed.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}</ul>
                        {(more > 0).then(|| view! { <p>{format!("and {more} more")}</p> })}
                    </div>
                }
            })}
            <Explain text="Changing the partition count changes hash mod N, so many keys move to another partition: their old records stay behind and per-key order across the change is lost. That is why real topics rarely change their partition count. “Apply setup” replays the whole run as if the topic had always been set up this way; “Add partitions” changes the live topic as Kafka does: records already written stay where they are and only new records route by the new count. Without a key, records are spread round-robin (one partition after the other) or sticky (a batch to one partition, then another, Kafka's default) and no order holds. Retention deletes whole old segments, by record count or by age in ticks, so the log start offset moves up." />
        </section>
    }
    .into_any()
}
