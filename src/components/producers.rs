//! Producers: each producer's settings (acks, retries, idempotence, ack-loss probability)
//! and running totals, a "Lose next ack" button per producer, a "Send" form that sends one
//! record through a named producer, and an "Add producer" form. A lost acknowledgement makes
//! a producer retry: without idempotence the retry is appended again, and the partition view
//! marks that record "duplicate of offset N".
//!
//! Every action here is a logged engine command (`CreateProducer`, `LoseNextAcks`, `Send`),
//! so it replays, rewinds and travels in a share link like any other.

use crate::components::explain::Explain;
use crate::components::fields::{NumberField, TextField};
use crate::components::topics::{use_topic, SelectedTopic};
use crate::producers::{acks_text, percent_text, ProducerDraft, ProducerFormError, SendDraft};
use crate::state::{Announcer, Engine};
use leptos::prelude::*;
use orderflow_engine::producer::{ProducerConfig, MAX_RETRIES, MAX_RETRY_BACKOFF_TICKS};

/// The Producers panel (a region named "Producers").
#[component]
pub fn ProducersView() -> impl IntoView {
    let engine = expect_context::<Engine>();
    let names = Memo::new(move |_| engine.read(|pg| pg.producer_names()));
    // Owned here, outside the `Show`: what was typed and said survives the send form
    // hiding while a preset without producers is loaded.
    let send = SendFields::default();
    // The producer the send form uses; "Add producer" picks the one it added.
    let chosen = RwSignal::new(String::new());
    view! {
        <section class="panel producers-panel" aria-labelledby="producers-title">
            <h2 id="producers-title">"Producers"</h2>
            <Show
                when=move || !names.with(Vec::is_empty)
                fallback=|| view! { <p class="hint">"No producers yet: add one below, then send through it."</p> }
            >
                <div class="producers">
                    <For each=move || names.get() key=|n| n.clone() let:name>
                        <ProducerCard name=name />
                    </For>
                </div>
                <SendForm names=names chosen=chosen fields=send />
            </Show>
            <AddProducerForm chosen=chosen />
            <Explain text="A producer sends a record and waits for the broker's acknowledgement (acks). When the acknowledgement is lost, the producer cannot know the record was written, so it retries: without idempotence the broker appends the record again, a duplicate in the log (same event id, new offset), marked “duplicate of offset N” in its partition. An idempotent producer (enable.idempotence, Kafka's default since 3.0; it needs acks=all and retries) numbers its sends per partition, so the broker recognises the retry and drops it. “Lose next ack” makes the next acknowledgement to that producer get lost. With acks=0 nothing is acknowledged, so nothing is retried. With brokers, a send the cluster refuses (NOT_ENOUGH_REPLICAS, or no leader) waits its retry backoff (retry.backoff.ms, in ticks) before each retry, so it can outlast a broker restart; with a backoff of 0 it fails at once." />
        </section>
    }
    .into_any()
}

/// The "Send" form's state: the record typed (see [`SendDraft`]) and what the last send did.
#[derive(Clone, Copy)]
struct SendFields {
    key: RwSignal<String>,
    value: RwSignal<String>,
    sent: RwSignal<Option<String>>,
    error: RwSignal<Option<String>>,
}

impl Default for SendFields {
    fn default() -> Self {
        let initial = SendDraft::default();
        Self {
            key: RwSignal::new(initial.key),
            value: RwSignal::new(initial.value),
            sent: RwSignal::new(None),
            error: RwSignal::new(None),
        }
    }
}

/// The "Send" form: one record through a producer to the selected topic, and what the send
/// did (appended, duplicated, dropped, gave up) in words.
#[component]
fn SendForm(
    /// The producers' names.
    names: Memo<Vec<String>>,
    /// The producer picked (falls back to the first when it is gone).
    chosen: RwSignal<String>,
    /// What was typed and said.
    fields: SendFields,
) -> impl IntoView {
    let engine = expect_context::<Engine>();
    let selected = use_context::<SelectedTopic>();
    let topic = use_topic();
    let topics = Memo::new(move |_| engine.read(|pg| pg.topic_names()));
    // The producer select falls back to the first producer when the chosen one is gone
    // (another preset loaded), without an effect writing a signal.
    let producer = Memo::new(move |_| {
        let wanted = chosen.get();
        names.with(|n| {
            if n.contains(&wanted) {
                wanted
            } else {
                n.first().cloned().unwrap_or_default()
            }
        })
    });
    let SendFields {
        key,
        value,
        sent,
        error: send_error,
    } = fields;

    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (producer, topic) = (producer.get_untracked(), topic.get_untracked());
        let draft = SendDraft {
            key: key.get_untracked(),
            value: value.get_untracked(),
        };
        let result = draft
            .parse()
            .and_then(|(key, event)| engine.update(|pg| pg.send(&producer, &topic, key, event)));
        match result {
            Ok(report) => {
                send_error.set(None);
                sent.set(Some(report.sentence()));
            }
            Err(e) => {
                sent.set(None);
                send_error.set(Some(e.to_string()));
            }
        }
    };

    view! {
        <form class="send" novalidate on:submit=send aria-label="Send a record through a producer">
            <label for="send-producer">"Producer"</label>
            <select
                id="send-producer"
                prop:value=move || producer.get()
                on:change=move |ev| chosen.set(event_target_value(&ev))
            >
                {move || names.get().into_iter().map(|n| {
                    let current = n == producer.get_untracked();
                    view! { <option value=n.clone() selected=current>{n.clone()}</option> }
                }).collect_view()}
            </select>
            <label for="send-topic">"Send to topic"</label>
            <select
                id="send-topic"
                prop:value=move || topic.get()
                on:change=move |ev| {
                    if let Some(s) = selected {
                        s.0.set(event_target_value(&ev));
                    }
                }
            >
                {move || topics.get().into_iter().map(|t| {
                    let current = t == topic.get_untracked();
                    view! { <option value=t.clone() selected=current>{t.clone()}</option> }
                }).collect_view()}
            </select>
            <TextField
                id="send-key"
                label="Record key"
                value=key
                on_input=move |text| key.set(text)
            />
            <TextField
                id="send-value"
                label="Record value"
                value=value
                on_input=move |text| value.set(text)
            />
            <button type="submit">"Send"</button>
            <p class="hint">"The value is an order event with this order id (status Created, user id = the key); an empty key sends without a key. Sends go to the selected topic, shown in the partitions."</p>
            <p class="send-result" role="status">{move || sent.get()}</p>
            <p class="error" role="alert">{move || send_error.get()}</p>
        </form>
    }
    .into_any()
}

/// A backoff in words: "1 tick", "3 ticks", "none".
fn ticks_text(ticks: u64) -> String {
    match ticks {
        0 => "none".into(),
        1 => "1 tick".into(),
        t => format!("{t} ticks"),
    }
}

/// What "Add producer" did, in words (for the live region).
fn added_message(config: &ProducerConfig) -> String {
    format!(
        "Producer {} added: acks={}, retries {}, {}.",
        config.name,
        acks_text(config.acks),
        config.retries,
        if config.idempotent {
            "idempotent"
        } else {
            "not idempotent"
        }
    )
}

/// The "Add producer" form (its rules are [`ProducerDraft::parse`]).
#[component]
fn AddProducerForm(
    /// Set to the producer added, so the send form uses it.
    chosen: RwSignal<String>,
) -> impl IntoView {
    let engine = expect_context::<Engine>();
    let announcer = expect_context::<Announcer>();
    let initial = ProducerDraft::default();
    let name = RwSignal::new(initial.name);
    let acks = RwSignal::new(initial.acks);
    let retries = RwSignal::new(initial.retries);
    let loss = RwSignal::new(initial.ack_loss_percent);
    let backoff = RwSignal::new(initial.retry_backoff);
    let idempotent = RwSignal::new(initial.idempotent);
    let add_error = RwSignal::new(None::<String>);
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let draft = ProducerDraft {
            name: name.get_untracked(),
            acks: acks.get_untracked(),
            retries: retries.get_untracked(),
            idempotent: idempotent.get_untracked(),
            ack_loss_percent: loss.get_untracked(),
            retry_backoff: backoff.get_untracked(),
        };
        let existing = engine.read_untracked(|pg| pg.producer_names());
        let result = draft.parse(&existing).and_then(|config| {
            let (added, summary) = (config.name.clone(), added_message(&config));
            engine.update(|pg| pg.add_producer(config))?;
            Ok::<_, ProducerFormError>((added, summary))
        });
        match result {
            Ok((added, summary)) => {
                add_error.set(None);
                name.set(String::new());
                chosen.set(added);
                announcer.say(summary);
            }
            Err(e) => add_error.set(Some(e.to_string())),
        }
    };

    view! {
        <form class="add-producer" novalidate on:submit=add aria-label="Add a producer">
            <TextField
                id="producer-name"
                label="Producer name"
                placeholder="e.g. checkout"
                value=name
                on_input=move |text| name.set(text)
            />
            <label for="producer-acks">"Acks"</label>
            <select
                id="producer-acks"
                prop:value=acks
                on:change=move |ev| acks.set(event_target_value(&ev))
            >
                <option value="0">"0 (fire and forget)"</option>
                <option value="1">"1 (leader)"</option>
                <option value="all">"all"</option>
            </select>
            <NumberField
                id="producer-retries"
                label="Retries"
                min=0
                max=MAX_RETRIES
                inputmode="numeric"
                value=retries
                on_input=move |text| retries.set(text)
            />
            <NumberField
                id="producer-retry-backoff"
                label="Retry backoff (ticks)"
                min=0
                max=MAX_RETRY_BACKOFF_TICKS as u32
                inputmode="numeric"
                value=backoff
                on_input=move |text| backoff.set(text)
            />
            <NumberField
                id="producer-ack-loss"
                label="Ack loss (%)"
                min=0
                max=100u32
                value=loss
                on_input=move |text| loss.set(text)
            />
            <span class="checkbox">
                <input
                    id="producer-idempotent"
                    type="checkbox"
                    prop:checked=idempotent
                    on:change=move |ev| idempotent.set(event_target_checked(&ev))
                />
                <label for="producer-idempotent">"Idempotent"</label>
            </span>
            <button type="submit">"Add producer"</button>
            <p class="error" role="alert">{move || add_error.get()}</p>
        </form>
    }
    .into_any()
}

/// One producer: its settings, its running totals and "Lose next ack".
#[component]
pub fn ProducerCard(
    /// The producer's name.
    name: String,
) -> impl IntoView {
    let engine = expect_context::<Engine>();
    let announcer = expect_context::<Announcer>();
    let producer = StoredValue::new(name.clone());
    let snapshot =
        Memo::new(move |_| engine.read(|pg| producer.with_value(|p| pg.producer_view(p))));
    let error = RwSignal::new(None::<String>);
    let lose = move |_| {
        let p = producer.get_value();
        match engine.update(|pg| pg.lose_next_acks(&p, 1)) {
            Ok(()) => {
                error.set(None);
                announcer.say(format!(
                    "The next acknowledgement to producer {p} will be lost."
                ));
            }
            Err(e) => error.set(Some(e.to_string())),
        }
    };
    let label = format!("Producer {name}");
    view! {
        <section class="producer-card" role="region" aria-label=label>
            <h3>{name}</h3>
            {move || snapshot.get().map(|v| {
                let c = v.config;
                let n = v.counters;
                view! {
                    <p class="producer-config">
                        {format!(
                            "acks={} · retries {} · backoff {} · {} · ack loss {}",
                            acks_text(c.acks),
                            c.retries,
                            ticks_text(c.retry_backoff_ticks),
                            if c.idempotent { "idempotent (enable.idempotence=true)" } else { "not idempotent" },
                            percent_text(c.ack_loss_probability),
                        )}
                    </p>
                    <p class="producer-counters">
                        {format!(
                            "sends {} · appended {} · acks lost {} · retries {} · duplicates appended {} · duplicates dropped {} · failed {}",
                            n.sends, n.appended, n.acks_lost, n.retries, v.duplicates_appended, n.duplicates_dropped, n.failed,
                        )}
                    </p>
                    <p class="producer-retrying">
                        {match v.retries_waiting {
                            0 => String::new(),
                            1 => "1 send waits out its retry backoff.".to_string(),
                            k => format!("{k} sends wait out their retry backoff."),
                        }}
                    </p>
                    <p class="producer-pending">
                        {match v.acks_to_lose {
                            0 => "No acknowledgement is set to be lost.".to_string(),
                            1 => "The next acknowledgement will be lost.".to_string(),
                            k => format!("The next {k} acknowledgements will be lost."),
                        }}
                    </p>
                }
            })}
            <button type="button" on:click=lose>"Lose next ack"</button>
            <p class="error" role="alert">{move || error.get()}</p>
        </section>
    }
    .into_any()
}
