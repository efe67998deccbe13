//! Producers: each producer's settings (acks, retries, idempotence, ack-loss probability)
//! and running totals, a "Lose next ack" button per producer, a "Send" form that sends one
//! record through a named producer, and an "Add producer" form. A lost acknowledgement makes
//! a producer retry: without idempotence the retry is appended again, and the partition view
//! marks that record "duplicate of offset N".
//!
//! Every action here is a logged engine command (`CreateProducer`, `LoseNextAcks`, `Send`),
//! so it replays, rewinds and travels in a share link like any other.

use crate::components::explain::Explain;
use crate::components::topics::{use_topic, SelectedTopic};
use crate::producers::{acks_text, percent_text, ProducerDraft, ProducerFormError};
use crate::state::{Announcer, Engine};
use leptos::prelude::*;
use orderflow_engine::log::OrderEvent;
use orderflow_engine::producer::MAX_RETRIES;

/// The status every record sent from the form carries.
const SENT_STATUS: &str = "Created";

/// The Producers panel (a region named "Producers").
#[component]
pub fn ProducersView() -> impl IntoView {
    let engine = expect_context::<Engine>();
    let announcer = expect_context::<Announcer>();
    let selected = use_context::<SelectedTopic>();
    let topic = use_topic();
    let names = Memo::new(move |_| engine.read(|pg| pg.producer_names()));
    let topics = Memo::new(move |_| engine.read(|pg| pg.topic_names()));

    // The send form. The producer select falls back to the first producer when the chosen
    // one is gone (another preset loaded), without an effect writing a signal.
    let chosen = RwSignal::new(String::new());
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
    let key = RwSignal::new(String::from("U1"));
    let value = RwSignal::new(String::from("O1"));
    let sent = RwSignal::new(None::<String>);
    let send_error = RwSignal::new(None::<String>);

    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let producer = producer.get_untracked();
        let topic = topic.get_untracked();
        let key = key.get_untracked().trim().to_string();
        let value = value.get_untracked().trim().to_string();
        if value.is_empty() {
            sent.set(None);
            send_error.set(Some(
                "Enter a record value (the order id) to send.".to_string(),
            ));
            return;
        }
        let event = OrderEvent {
            user_id: key.clone(),
            order_id: value,
            status: SENT_STATUS.to_string(),
        };
        let key = (!key.is_empty()).then_some(key);
        let result = engine.update(|pg| pg.send(&producer, &topic, key, event));
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

    // The add-producer form.
    let name = RwSignal::new(String::new());
    let acks = RwSignal::new(ProducerDraft::default().acks);
    let retries = RwSignal::new(ProducerDraft::default().retries);
    let loss = RwSignal::new(ProducerDraft::default().ack_loss_percent);
    let idempotent = RwSignal::new(ProducerDraft::default().idempotent);
    let add_error = RwSignal::new(None::<String>);
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let draft = ProducerDraft {
            name: name.get_untracked(),
            acks: acks.get_untracked(),
            retries: retries.get_untracked(),
            idempotent: idempotent.get_untracked(),
            ack_loss_percent: loss.get_untracked(),
        };
        let existing = engine.read_untracked(|pg| pg.producer_names());
        let result = draft.parse(&existing).and_then(|config| {
            let summary = format!(
                "Producer {} added: acks={}, retries {}, {}.",
                config.name,
                acks_text(config.acks),
                config.retries,
                if config.idempotent {
                    "idempotent"
                } else {
                    "not idempotent"
                }
            );
            let added = config.name.clone();
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
                    <label for="send-key">"Record key"</label>
                    <input
                        id="send-key"
                        autocomplete="off"
                        prop:value=key
                        on:input=move |ev| key.set(event_target_value(&ev))
                    />
                    <label for="send-value">"Record value"</label>
                    <input
                        id="send-value"
                        autocomplete="off"
                        prop:value=value
                        on:input=move |ev| value.set(event_target_value(&ev))
                    />
                    <button type="submit">"Send"</button>
                    <p class="hint">"The value is an order event with this order id (status Created, user id = the key); an empty key sends without a key. Sends go to the selected topic, shown in the partitions."</p>
                    <p class="send-result" role="status">{move || sent.get()}</p>
                    <p class="error" role="alert">{move || send_error.get()}</p>
                </form>
            </Show>
            <form class="add-producer" novalidate on:submit=add aria-label="Add a producer">
                <label for="producer-name">"Producer name"</label>
                <input
                    id="producer-name"
                    autocomplete="off"
                    placeholder="e.g. checkout"
                    prop:value=name
                    on:input=move |ev| name.set(event_target_value(&ev))
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
                <label for="producer-retries">"Retries"</label>
                <input
                    id="producer-retries"
                    type="number"
                    min="0"
                    max=MAX_RETRIES
                    inputmode="numeric"
                    prop:value=retries
                    on:input=move |ev| retries.set(event_target_value(&ev))
                />
                <label for="producer-ack-loss">"Ack loss (%)"</label>
                <input
                    id="producer-ack-loss"
                    type="number"
                    min="0"
                    max="100"
                    prop:value=loss
                    on:input=move |ev| loss.set(event_target_value(&ev))
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
            <Explain text="A producer sends a record and waits for the broker's acknowledgement (acks). When the acknowledgement is lost, the producer cannot know the record was written, so it retries: without idempotence the broker appends the record again, a duplicate in the log (same event id, new offset), marked “duplicate of offset N” in its partition. An idempotent producer (enable.idempotence, Kafka's default since 3.0; it needs acks=all and retries) numbers its sends per partition, so the broker recognises the retry and drops it. “Lose next ack” makes the next acknowledgement to that producer get lost. With acks=0 nothing is acknowledged, so nothing is retried." />
        </section>
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
                            "acks={} · retries {} · {} · ack loss {}",
                            acks_text(c.acks),
                            c.retries,
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
