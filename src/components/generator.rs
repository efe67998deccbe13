//! The order generator: users, orders per tick, hot-key skew, and bursts with progress.

use crate::components::explain::Explain;
use crate::components::fields::{NumberField, TextField};
use crate::components::topics::{use_topic, Draft};
use crate::forms::generator::{GeneratorDraft, GeneratorFormError};
use crate::session::{GeneratorConfig, MAX_ORDERS_PER_TICK, MAX_USERS};
use crate::state::Engine;
use leptos::prelude::*;

/// Burst sizes offered as buttons.
pub const BURSTS: [(u32, &str); 3] = [
    (1_000, "Publish 1,000"),
    (10_000, "Publish 10,000"),
    (100_000, "Publish 100,000"),
];

/// What the generator's fields were typed over: the topic and its generator settings.
type Basis = (String, GeneratorConfig);

/// The generator's fields, each a draft tied to the basis it was typed over: another topic
/// or another preset shows that topic's settings again.
#[derive(Clone, Copy)]
struct GeneratorFields {
    basis: Memo<Basis>,
    users: Draft<Basis>,
    rate: Draft<Basis>,
    skew: Draft<Basis>,
    prefix: Draft<Basis>,
}

impl GeneratorFields {
    /// The fields as shown: what was typed over the basis, else its settings (tracked).
    fn draft(&self) -> GeneratorDraft {
        let b = self.basis.get();
        let shown = GeneratorDraft::from(&b.1);
        GeneratorDraft {
            users: self.users.get(&b).unwrap_or(shown.users),
            orders_per_tick: self.rate.get(&b).unwrap_or(shown.orders_per_tick),
            hot_key_percent: self.skew.get(&b).unwrap_or(shown.hot_key_percent),
            user_prefix: self.prefix.get(&b).unwrap_or(shown.user_prefix),
        }
    }

    /// The skew shown (the basis' while the slider says nothing readable).
    fn skew_percent(&self) -> u8 {
        let draft = self.draft();
        draft
            .hot_key_percent()
            .unwrap_or_else(|_| self.basis.with(|b| b.1.hot_key_percent))
    }

    /// Records text typed into `field` over the current basis.
    fn typed(&self, field: Draft<Basis>) -> impl Fn(String) + Copy + 'static {
        let basis = self.basis;
        move |text| field.set(basis.get_untracked(), text)
    }
}

/// The generator panel. Its fields start from the selected topic's generator settings (the
/// running generator, else the last ones logged for the topic, e.g. by a preset).
#[component]
pub fn GeneratorPanel() -> impl IntoView {
    let engine = expect_context::<Engine>();
    let topic = use_topic();
    let fields = GeneratorFields {
        basis: Memo::new(move |_| {
            let topic = topic.get();
            let settings = engine.read(|pg| pg.generator_settings(&topic));
            (topic, settings)
        }),
        users: Draft::default(),
        rate: Draft::default(),
        skew: Draft::default(),
        prefix: Draft::default(),
    };
    // What the form says, if it is valid (derived, never mirrored).
    let config = Memo::new(move |_| fields.draft().parse());
    let prefix_text = move || fields.draft().user_prefix;

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
                    value=Signal::derive(move || fields.draft().users)
                    on_input=fields.typed(fields.users)
                />
                <NumberField
                    id="gen-rate"
                    label="Orders per tick"
                    min=1
                    max=MAX_ORDERS_PER_TICK
                    value=Signal::derive(move || fields.draft().orders_per_tick)
                    on_input=fields.typed(fields.rate)
                />
                <label for="gen-skew">"Hot-key skew"</label>
                <input
                    id="gen-skew"
                    type="range"
                    min="0"
                    max="100"
                    step="5"
                    prop:value=move || fields.skew_percent().to_string()
                    on:input=move |ev| fields.typed(fields.skew)(event_target_value(&ev))
                />
                <output for="gen-skew">{move || format!("{} % of new orders from {}1", fields.skew_percent(), prefix_text().trim())}</output>
                <TextField
                    id="gen-prefix"
                    label="User prefix"
                    value=Signal::derive(prefix_text)
                    on_input=fields.typed(fields.prefix)
                />
            </div>
            <p class="error" role="alert">{move || config.get().err().map(|e| e.to_string())}</p>
            <GeneratorButtons topic=topic config=config />
            <Explain text="The generator plays many users placing orders. Each order moves through Created, Paid, Shipped, Delivered. With the hot-key skew up, one user (U1) sends most events: its partition fills faster than the others, which is partition skew. Bursts publish in chunks so the page stays responsive; the generator publishes on every tick while time plays." />
        </section>
    }
    .into_any()
}

/// "Start generator"/"Stop generator", the burst buttons, and a running burst's progress.
#[component]
fn GeneratorButtons(
    /// The topic the generator publishes to.
    topic: Memo<String>,
    /// The generator the fields describe, or why there is none.
    config: Memo<Result<GeneratorConfig, GeneratorFormError>>,
) -> impl IntoView {
    let engine = expect_context::<Engine>();
    let running = Memo::new(move |_| {
        let topic = topic.get();
        engine.read(|pg| pg.running_generator(&topic).is_some())
    });
    let progress = Memo::new(move |_| engine.read(|pg| pg.burst().map(|b| (b.done, b.total))));
    let burst = move |count: u32| {
        if let Ok(generator) = config.get_untracked() {
            let topic = topic.get_untracked();
            engine.update(|pg| pg.act(generator.generate_command(&topic, count)));
        }
    };
    let toggle = move |_| {
        let generator = if running.get_untracked() {
            None
        } else {
            config.get_untracked().ok()
        };
        let topic = topic.get_untracked();
        let command = GeneratorConfig::set_command(&topic, generator.as_ref());
        engine.update(|pg| pg.act(command));
    };
    view! {
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
    }
    .into_any()
}
