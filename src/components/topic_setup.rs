//! Topic setup: partition count, partitioner and key field. Applying replays the whole run
//! under the new setup; before that, the panel lists which keys seen so far would move. The
//! form's rules are [`SetupDraft::parse`] and its neighbours in [`crate::forms::topic`].

use crate::components::explain::Explain;
use crate::components::fields::NumberField;
use crate::components::topics::{use_topic, Draft};
use crate::forms::topic::{
    applied_message, check_replication, only_adds_partitions, partitioner_value, setup_changed,
    SetupDraft, MAX_STICKY_BATCH_RECORDS, NO_KEY, NO_KEY_STICKY, STICKY_BATCH_RECORDS,
};
use crate::playground::MovedKey;
use crate::session::{KeyField, Setup};
use crate::state::{Announcer, Engine};
use leptos::prelude::*;
use orderflow_engine::partitioner::{Partitioner, UnkeyedStrategy};
use orderflow_engine::topic::MAX_PARTITIONS;

/// How many moved keys are listed by name.
const MOVED_KEYS_LISTED: usize = 12;

/// The options of a "Partitioner" select: the keyed partitioners, then the two no-key
/// choices (values as [`crate::forms::topic::apply_partitioner`] reads them).
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

/// What the fields were typed over: the topic's setup and its live partition count.
type Basis = (Setup, u32);

/// The form's fields, each a draft tied to the basis it was typed over.
#[derive(Clone, Copy, Default)]
struct SetupFields {
    partitions: Draft<Basis>,
    partitioner: Draft<Basis>,
    key_field: Draft<Basis>,
    segment_records: Draft<Basis>,
    retention_records: Draft<Basis>,
    retention_ticks: Draft<Basis>,
    sticky_batch: Draft<Basis>,
    replication_factor: Draft<Basis>,
    min_insync_replicas: Draft<Basis>,
}

impl SetupFields {
    /// The fields as typed over `basis` (tracked).
    fn draft(&self, basis: &Basis) -> SetupDraft {
        SetupDraft {
            partitions: self.partitions.get(basis),
            partitioner: self.partitioner.get(basis),
            key_field: self.key_field.get(basis),
            segment_records: self.segment_records.get(basis),
            retention_records: self.retention_records.get(basis),
            retention_ticks: self.retention_ticks.get(basis),
            sticky_batch: self.sticky_batch.get(basis),
            replication_factor: self.replication_factor.get(basis),
            min_insync_replicas: self.min_insync_replicas.get(basis),
        }
    }

    /// Forgets everything typed: the fields show the topic's setup again.
    fn clear(&self) {
        for draft in [
            self.partitions,
            self.partitioner,
            self.key_field,
            self.segment_records,
            self.retention_records,
            self.retention_ticks,
            self.sticky_batch,
            self.replication_factor,
            self.min_insync_replicas,
        ] {
            draft.clear();
        }
    }
}

/// The topic setup panel for the selected topic.
#[component]
pub fn TopicSetup() -> impl IntoView {
    let engine = expect_context::<Engine>();
    let announcer = expect_context::<Announcer>();
    let topic = use_topic();
    let add_error = RwSignal::new(None::<String>);
    let current = Memo::new(move |_| {
        let topic = topic.get();
        engine.read(|pg| {
            let setup = pg.setup(&topic).unwrap_or_default();
            let live = pg.partition_count(&topic);
            (setup, live)
        })
    });
    let fields = SetupFields::default();
    let draft = Memo::new(move |_| {
        let c = current.get();
        let brokers = engine.read(|pg| pg.sim().cluster().map_or(1, |c| c.brokers().count()));
        fields
            .draft(&c)
            .parse(&c.0, c.1)
            .and_then(|s| check_replication(&s, brokers as u32).map(|()| s))
    });
    let changed = Memo::new(move |_| {
        let (setup, live) = current.get();
        draft.with(|d| d.as_ref().is_ok_and(|d| setup_changed(d, &setup, live)))
    });
    let can_add = Memo::new(move |_| {
        let (setup, live) = current.get();
        draft.with(|d| {
            d.as_ref()
                .is_ok_and(|d| only_adds_partitions(d, &setup, live))
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
    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Ok(setup) = draft.get_untracked() {
            let summary = applied_message(&setup);
            engine.update(|pg| pg.change_setup(setup));
            fields.clear();
            announcer.say(summary);
        }
    };
    let add_partitions = move |_| {
        if let Ok(setup) = draft.get_untracked() {
            match engine.update(|pg| pg.add_partitions(&setup.name, setup.partitions)) {
                Ok(()) => {
                    fields.clear();
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
                <SetupInputs fields=fields current=current />
                <button type="submit" disabled=move || !changed.get()>"Apply setup"</button>
                <button type="button" disabled=move || !can_add.get() on:click=add_partitions>"Add partitions"</button>
            </form>
            <p class="error" role="alert">
                {move || draft.get().err().map(|e| e.to_string()).or_else(|| add_error.get())}
            </p>
            <MovedKeys moved=moved />
            <Explain text="Changing the partition count changes hash mod N, so many keys move to another partition: their old records stay behind and per-key order across the change is lost. That is why real topics rarely change their partition count. “Apply setup” replays the whole run as if the topic had always been set up this way; “Add partitions” changes the live topic as Kafka does: records already written stay where they are and only new records route by the new count. Without a key, records are spread round-robin (one partition after the other) or sticky (a batch to one partition, then another, Kafka's default) and no order holds. Retention deletes whole old segments, by record count or by age in ticks, so the log start offset moves up." />
        </section>
    }
    .into_any()
}

/// The setup's fields: each shows what was typed over the topic's setup, else the setup's
/// own value.
#[component]
fn SetupInputs(fields: SetupFields, current: Memo<Basis>) -> impl IntoView {
    let shown = move |field: Draft<Basis>, of_setup: fn(&Basis) -> String| {
        Signal::derive(move || {
            let c = current.get();
            field.get(&c).unwrap_or_else(|| of_setup(&c))
        })
    };
    let typed = move |field: Draft<Basis>| move |text| field.set(current.get_untracked(), text);
    view! {
        <NumberField
            id="setup-partitions"
            label="Partitions"
            min=1
            max=MAX_PARTITIONS
            value=shown(fields.partitions, |c| c.1.to_string())
            on_input=typed(fields.partitions)
        />
        <label for="setup-partitioner">"Partitioner"</label>
        <select
            id="setup-partitioner"
            prop:value=shown(fields.partitioner, |c| partitioner_value(&c.0))
            on:change=move |ev| typed(fields.partitioner)(event_target_value(&ev))
        >
            {partitioner_options()}
        </select>
        <label for="setup-key">"Key field"</label>
        <select
            id="setup-key"
            prop:value=shown(fields.key_field, |c| c.0.key_field.value().to_string())
            on:change=move |ev| typed(fields.key_field)(event_target_value(&ev))
        >
            {key_field_options()}
        </select>
        {move || {
            // The batch size matters only for the sticky no-key choice.
            let c = current.get();
            let sticky = fields.partitioner.get(&c).unwrap_or_else(|| partitioner_value(&c.0)) == NO_KEY_STICKY;
            sticky.then(|| view! {
                <NumberField
                    id="setup-sticky-batch"
                    label="Sticky batch (records)"
                    min=1
                    max=MAX_STICKY_BATCH_RECORDS
                    value=shown(fields.sticky_batch, |c| match c.0.unkeyed {
                        UnkeyedStrategy::Sticky { batch_records } => batch_records.to_string(),
                        UnkeyedStrategy::RoundRobin => STICKY_BATCH_RECORDS.to_string(),
                    })
                    on_input=typed(fields.sticky_batch)
                />
            })
        }}
        <NumberField
            id="setup-segment"
            label="Segment size"
            min=1
            value=shown(fields.segment_records, |c| c.0.segment_records.to_string())
            on_input=typed(fields.segment_records)
        />
        <NumberField
            id="setup-retention"
            label="Retention (records)"
            min=1
            placeholder="keep all"
            value=shown(fields.retention_records, |c| c.0.retention_records.map(|r| r.to_string()).unwrap_or_default())
            on_input=typed(fields.retention_records)
        />
        <NumberField
            id="setup-retention-ticks"
            label="Retention (ticks)"
            min=1
            placeholder="keep all"
            value=shown(fields.retention_ticks, |c| c.0.retention_ticks.map(|r| r.to_string()).unwrap_or_default())
            on_input=typed(fields.retention_ticks)
        />
        <NumberField
            id="setup-replication-factor"
            label="Replication factor"
            min=1
            value=shown(fields.replication_factor, |c| c.0.replication_factor.to_string())
            on_input=typed(fields.replication_factor)
        />
        <NumberField
            id="setup-min-insync"
            label="min.insync.replicas"
            min=1
            value=shown(fields.min_insync_replicas, |c| c.0.min_insync_replicas.to_string())
            on_input=typed(fields.min_insync_replicas)
        />
    }
    .into_any()
}

/// The keys seen so far that the setup being typed would move, listed up to
/// [`MOVED_KEYS_LISTED`] by name (nothing while the setup keeps every key where it is).
#[component]
fn MovedKeys(
    /// The keys that would move and how many keys were seen, if the preview applies.
    #[prop(into)]
    moved: Signal<Option<(Vec<MovedKey>, usize)>>,
) -> impl IntoView {
    move || {
        moved.get().map(|(moved, keys)| {
            let listed: Vec<String> = moved
                .iter()
                .take(MOVED_KEYS_LISTED)
                .map(|m| format!("{} {}→{}", m.key, m.from, m.to))
                .collect();
            let more = moved.len().saturating_sub(MOVED_KEYS_LISTED);
            view! {
                <div class="moved-keys" role="status">
                    <p>{format!("{} of {} keys seen would move to another partition (new records only, if partitions are added).", moved.len(), keys)}</p>
                    <ul>{listed.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}</ul>
                    {(more > 0).then(|| view! { <p>{format!("and {more} more")}</p> })}
                </div>
            }
        })
    }
}
