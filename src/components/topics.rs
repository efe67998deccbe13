//! The selected topic: a session can hold several topics, and the topic setup, the publish
//! form, the generator, the routing and the partition views act on the one selected here
//! (a select with the accessible name "Topic").
//!
//! Also [`Draft`], a form field's typed text tied to the value it was typed over, so a form
//! shows the engine's value again when the topic changes or a preset loads, without an
//! effect mirroring one signal into another.

use crate::components::fields::{NumberField, TextField};
use crate::components::topic_setup::{key_field_options, partitioner_options};
use crate::forms::topic::NewTopicDraft;
use crate::state::{Announcer, Engine};
use leptos::prelude::*;
use orderflow_engine::topic::MAX_PARTITIONS;

/// The topic the user picked (context). It may name a topic the current session no longer
/// has (after a preset loads): [`use_topic`] then falls back to the first topic.
#[derive(Clone, Copy)]
pub struct SelectedTopic(pub RwSignal<String>);

/// The topic the panels act on: the selected one if the session has it, else the first.
pub fn use_topic() -> Memo<String> {
    let engine = expect_context::<Engine>();
    let selected = use_context::<SelectedTopic>();
    Memo::new(move |_| {
        let wanted = selected.map(|s| s.0.get()).unwrap_or_default();
        engine.read(|pg| {
            if pg.setup(&wanted).is_some() {
                wanted
            } else {
                pg.topic_names().into_iter().next().unwrap_or_default()
            }
        })
    })
}

/// A form field's draft: the text typed and the value (`basis`) it was typed over. When the
/// basis changes (another topic, a preset), the draft no longer applies and the field shows
/// the new value.
pub struct Draft<B: Clone + PartialEq + Send + Sync + 'static>(RwSignal<Option<(B, String)>>);

impl<B: Clone + PartialEq + Send + Sync + 'static> Clone for Draft<B> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<B: Clone + PartialEq + Send + Sync + 'static> Copy for Draft<B> {}

impl<B: Clone + PartialEq + Send + Sync + 'static> Default for Draft<B> {
    fn default() -> Self {
        Self(RwSignal::new(None))
    }
}

impl<B: Clone + PartialEq + Send + Sync + 'static> Draft<B> {
    /// The text typed over `basis`, if any (tracked).
    pub fn get(&self, basis: &B) -> Option<String> {
        self.0.with(|d| {
            d.as_ref()
                .filter(|(b, _)| b == basis)
                .map(|(_, text)| text.clone())
        })
    }

    /// Records `text` typed over `basis`.
    pub fn set(&self, basis: B, text: String) {
        self.0.set(Some((basis, text)));
    }

    /// Forgets the draft (the field shows the engine's value).
    pub fn clear(&self) {
        self.0.set(None);
    }
}

/// The topic select ("Topic"), shown when the session has more than one topic.
#[component]
pub fn TopicPicker() -> impl IntoView {
    let engine = expect_context::<Engine>();
    let selected = expect_context::<SelectedTopic>();
    let topic = use_topic();
    let topics = Memo::new(move |_| {
        engine.read(|pg| {
            pg.topics()
                .iter()
                .map(|t| (t.name.clone(), t.partitions))
                .collect::<Vec<_>>()
        })
    });
    let counts = Memo::new(move |_| {
        engine.read(|pg| {
            topics
                .get()
                .iter()
                .map(|(name, _)| pg.partition_count(name))
                .collect::<Vec<_>>()
        })
    });
    view! {
        <section class="panel topic-picker" aria-labelledby="topic-picker-title">
            <h2 id="topic-picker-title">"Topics"</h2>
            <div class="fields">
                <label for="topic-select">"Topic"</label>
                <select
                    id="topic-select"
                    prop:value=move || topic.get()
                    on:change=move |ev| selected.0.set(event_target_value(&ev))
                >
                    {move || {
                        let counts = counts.get();
                        topics
                            .get()
                            .into_iter()
                            .enumerate()
                            .map(|(i, (name, _))| {
                                let partitions = counts.get(i).copied().unwrap_or(0);
                                let label = format!("{name} ({partitions} partitions)");
                                let value = name.clone();
                                let current = name == topic.get_untracked();
                                view! { <option value=value selected=current>{label}</option> }
                            })
                            .collect_view()
                    }}
                </select>
            </div>
            <p class="hint">
                {move || format!("{} topic(s) in this session. Setup, publishing, the generator, routing and the partitions below show the selected topic.", topics.get().len())}
            </p>
            <AddTopicForm />
        </section>
    }
    .into_any()
}

/// The "Add topic" form: creates a topic at the current tick (a logged action, so it is in
/// the share link and a rewind to an earlier tick hides it), then selects it.
#[component]
pub fn AddTopicForm() -> impl IntoView {
    let engine = expect_context::<Engine>();
    let selected = expect_context::<SelectedTopic>();
    let announcer = expect_context::<Announcer>();
    let initial = NewTopicDraft::default();
    let name = RwSignal::new(initial.name);
    let partitions = RwSignal::new(initial.partitions);
    let partitioner = RwSignal::new(initial.partitioner);
    let key_field = RwSignal::new(initial.key_field);
    let error = RwSignal::new(None::<String>);

    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let draft = NewTopicDraft {
            name: name.get_untracked(),
            partitions: partitions.get_untracked(),
            partitioner: partitioner.get_untracked(),
            key_field: key_field.get_untracked(),
        };
        let setup = match draft.parse() {
            Ok(setup) => setup,
            Err(e) => {
                error.set(Some(e.to_string()));
                return;
            }
        };
        let (topic, count) = (setup.name.clone(), setup.partitions);
        match engine.update(|pg| pg.create_topic(setup)) {
            Ok(()) => {
                error.set(None);
                name.set(String::new());
                selected.0.set(topic.clone());
                announcer.say(format!("Topic {topic} created with {count} partitions."));
            }
            Err(e) => error.set(Some(format!("Cannot add topic: {e}."))),
        }
    };

    view! {
        <form class="fields add-topic" on:submit=add novalidate=true>
            <TextField
                id="new-topic-name"
                label="New topic name"
                placeholder="refunds"
                value=name
                on_input=move |text| name.set(text)
            />
            <NumberField
                id="new-topic-partitions"
                label="New topic partitions"
                min=1
                max=MAX_PARTITIONS
                value=partitions
                on_input=move |text| partitions.set(text)
            />
            <label for="new-topic-partitioner">"New topic partitioner"</label>
            <select
                id="new-topic-partitioner"
                prop:value=partitioner
                on:change=move |ev| partitioner.set(event_target_value(&ev))
            >
                {partitioner_options()}
            </select>
            <label for="new-topic-key">"New topic key field"</label>
            <select
                id="new-topic-key"
                prop:value=key_field
                on:change=move |ev| key_field.set(event_target_value(&ev))
            >
                {key_field_options()}
            </select>
            <button type="submit">"Add topic"</button>
        </form>
        <p class="error" role="alert">{move || error.get()}</p>
    }
    .into_any()
}
