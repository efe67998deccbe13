//! The order generator: users, orders per tick, hot-key skew, and bursts with progress.

use crate::components::explain::Explain;
use crate::components::number_field::NumberField;
use crate::components::topics::{use_topic, Draft};
use crate::forms::generator::GeneratorDraft;
use crate::session::{Action, GeneratorConfig, MAX_ORDERS_PER_TICK, MAX_USERS};
use crate::state::Engine;
use leptos::prelude::*;

/// Burst sizes offered as buttons.
pub const BURSTS: [(u32, &str); 3] = [
    (1_000, "Publish 1,000"),
    (10_000, "Publish 10,000"),
    (100_000, "Publish 100,000"),
];

/// The generator panel. Its fields start from the selected topic's generator settings (the
/// running generator, else the last ones logged for the topic, e.g. by a preset).
#[component]
pub fn GeneratorPanel() -> impl IntoView {
    let engine = expect_context::<Engine>();
    let topic = use_topic();
    // What the fields were typed over: another topic or another preset resets them.
    let basis = Memo::new(move |_| {
        let topic = topic.get();
        let settings = engine.read(|pg| pg.generator_settings(&topic));
        (topic, settings)
    });
    let users = Draft::<(String, GeneratorConfig)>::default();
    let rate = Draft::<(String, GeneratorConfig)>::default();
    let skew = Draft::<(String, GeneratorConfig)>::default();
    let prefix = Draft::<(String, GeneratorConfig)>::default();
    let users_text = move || {
        let b = basis.get();
        users.get(&b).unwrap_or_else(|| b.1.users.to_string())
    };
    let rate_text = move || {
        let b = basis.get();
        rate.get(&b)
            .unwrap_or_else(|| b.1.orders_per_tick.to_string())
    };
    let skew_value = move || {
        let b = basis.get();
        skew.get(&b)
            .and_then(|t| t.parse::<u32>().ok())
            .unwrap_or(u32::from(b.1.hot_key_percent))
    };
    let prefix_text = move || {
        let b = basis.get();
        prefix.get(&b).unwrap_or_else(|| b.1.user_prefix.clone())
    };

    // What the form says, if it is valid (derived, never mirrored).
    let config = Memo::new(move |_| {
        GeneratorDraft {
            users: users_text(),
            orders_per_tick: rate_text(),
            hot_key_percent: skew_value().to_string(),
            user_prefix: prefix_text(),
        }
        .parse()
    });
    let running = Memo::new(move |_| {
        let topic = topic.get();
        engine.read(|pg| pg.running_generator(&topic).is_some())
    });
    let progress = Memo::new(move |_| engine.read(|pg| pg.burst().map(|b| (b.done, b.total))));

    let burst = move |count: u32| {
        if let Ok(generator) = config.get_untracked() {
            let topic = topic.get_untracked();
            engine.update(|pg| {
                pg.act(Action::Burst {
                    topic,
                    count,
                    generator,
                })
            });
        }
    };
    let toggle = move |_| {
        let generator = if running.get_untracked() {
            None
        } else {
            config.get_untracked().ok()
        };
        let topic = topic.get_untracked();
        engine.update(|pg| pg.act(Action::SetGenerator { topic, generator }));
    };

    view! {
        <section class="panel generator-panel" aria-labelledby="generator-title">
            <h2 id="generator-title">"Generator"</h2>
            <p class="hint">{move || format!("Publishes to topic {}.", topic.get())}</p>
            <div class="fields">
                <NumberField
                    id="gen-users"
                    label="Users"
                    min=1
                    max=MAX_USERS
                    value=Signal::derive(users_text)
                    on_input=move |text| users.set(basis.get_untracked(), text)
                />
                <NumberField
                    id="gen-rate"
                    label="Orders per tick"
                    min=1
                    max=MAX_ORDERS_PER_TICK
                    value=Signal::derive(rate_text)
                    on_input=move |text| rate.set(basis.get_untracked(), text)
                />
                <label for="gen-skew">"Hot-key skew"</label>
                <input
                    id="gen-skew"
                    type="range"
                    min="0"
                    max="100"
                    step="5"
                    prop:value=move || skew_value().to_string()
                    on:input=move |ev| skew.set(basis.get_untracked(), event_target_value(&ev))
                />
                <output for="gen-skew">{move || format!("{} % of new orders from {}1", skew_value(), prefix_text().trim())}</output>
                <label for="gen-prefix">"User prefix"</label>
                <input
                    id="gen-prefix"
                    autocomplete="off"
                    prop:value=prefix_text
                    on:input=move |ev| prefix.set(basis.get_untracked(), event_target_value(&ev))
                />
            </div>
            <p class="error" role="alert">{move || config.get().err().map(|e| e.to_string())}</p>
            <div class="buttons">
                <button
                    type="button"
                    aria-pressed=move || running.get().to_string()
                    disabled=move || config.get().is_err() && !running.get()
                    on:click=toggle
                >
                    {move || if running.get() { "Stop generator" } else { "Start generator" }}
                </button>
                {BURSTS
                    .map(|(count, label)| {
                        view! {
                            <button
                                type="button"
                                disabled=move || config.get().is_err() || progress.get().is_some()
                                on:click=move |_| burst(count)
                            >
                                {label}
                            </button>
                        }
                    })}
            </div>
            {move || {
                progress
                    .get()
                    .map(|(done, total)| {
                        view! {
                            <div class="progress">
                                <progress aria-label="Burst progress" max=total value=done></progress>
                                <span>{format!("{done} / {total}")}</span>
                            </div>
                        }
                    })
            }}
            <Explain text="The generator plays many users placing orders. Each order moves through Created, Paid, Shipped, Delivered. With the hot-key skew up, one user (U1) sends most events: its partition fills faster than the others, which is partition skew. Bursts publish in chunks so the page stays responsive; the generator publishes on every tick while time plays." />
        </section>
    }
    .into_any()
}
