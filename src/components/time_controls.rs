//! Time: "Play", "Pause", "Step", speed, seed, and a timeline to look at an earlier tick.
//! Rewinding replays the logged actions up to that tick (the engine is deterministic).

use crate::components::explain::Explain;
use crate::components::fields::TextField;
use crate::driver::replay_within_budget;
use crate::forms::seed::SeedDraft;
use crate::state::{Announcer, Clock, Engine};
use leptos::prelude::*;

/// Speeds offered, in ticks per second.
pub const SPEEDS: [u32; 6] = [1, 2, 4, 10, 30, 60];

/// The time panel.
#[component]
pub fn TimeControls() -> impl IntoView {
    let engine = expect_context::<Engine>();
    let clock = expect_context::<Clock>();
    let announcer = expect_context::<Announcer>();
    let now = Memo::new(move |_| engine.read(|pg| pg.now()));
    let end = Memo::new(move |_| engine.read(|pg| pg.session().ticks));

    view! {
        <section class="panel time-panel" aria-labelledby="time-title">
            <h2 id="time-title">"Time"</h2>
            <div class="buttons">
                {move || {
                    if clock.playing.get() {
                        view! { <button type="button" on:click=move |_| clock.playing.set(false)>"Pause"</button> }.into_any()
                    } else {
                        view! { <button type="button" on:click=move |_| clock.playing.set(true)>"Play"</button> }.into_any()
                    }
                }}
                <button
                    type="button"
                    disabled=move || clock.playing.get()
                    on:click=move |_| engine.update(|pg| pg.step())
                >
                    "Step"
                </button>
                <label for="speed">"Speed"</label>
                <select
                    id="speed"
                    prop:value=move || clock.ticks_per_second.get().to_string()
                    on:change=move |ev| {
                        if let Ok(s) = event_target_value(&ev).parse() {
                            clock.ticks_per_second.set(s);
                        }
                    }
                >
                    {SPEEDS.map(|s| view! { <option value=s.to_string()>{format!("{s} ticks/s")}</option> })}
                </select>
                // A status while paused (a Step is heard), none while playing: sixty ticks a
                // second would drown the live region that announces what matters.
                <span class="tick" role=move || (!clock.playing.get()).then_some("status")>
                    {move || format!("Tick {}", now.get())}
                </span>
                // Not a live region: it may change every second while the run is heavy.
                {move || clock.achieved.get().map(|rate| view! {
                    <span class="achieved">
                        {format!("Running at {rate} ticks/s: each tick is too heavy for {} ticks/s on this device.", clock.ticks_per_second.get())}
                    </span>
                })}
            </div>
            <div class="timeline">
                <label for="timeline">"Timeline"</label>
                <input
                    id="timeline"
                    type="range"
                    min="0"
                    max=move || end.get().to_string()
                    prop:value=move || now.get().to_string()
                    on:input=move |ev| {
                        if let Ok(t) = event_target_value(&ev).parse::<u64>() {
                            clock.playing.set(false);
                            engine.update(|pg| {
                                pg.begin_replay(t);
                                replay_within_budget(pg)
                            });
                        }
                    }
                />
                <span>{move || format!("{} / {}", now.get(), end.get())}</span>
                <Show when=move || now.get() < end.get()>
                    <button
                        type="button"
                        on:click=move |_| {
                            let last = engine.read_untracked(|pg| pg.session().ticks);
                            let more = engine.update(|pg| {
                                pg.begin_replay(last);
                                replay_within_budget(pg)
                            });
                            if !more {
                                announcer.say(format!("Back to live at tick {last}."));
                            }
                        }
                    >
                        "Back to live"
                    </button>
                    <p class="hint">"Viewing an earlier tick. Step walks forward along the recorded run; any new action starts a new branch from here."</p>
                </Show>
            </div>
            <ReplayStatus />
            <p class="error" role="alert">{move || engine.read(|pg| pg.record_limit_notice())}</p>
            <SeedForm />
            <Explain text="Time is logical: one tick is one step of the simulation. Everything random comes from the seed, so the same seed and the same actions replay the same run. The timeline rebuilds any earlier tick by replaying the recorded actions." />
        </section>
    }
    .into_any()
}

/// The seed the run replays under ("Apply seed" replays the whole run; its rules are
/// [`SeedDraft::parse`]).
#[component]
fn SeedForm() -> impl IntoView {
    let engine = expect_context::<Engine>();
    let announcer = expect_context::<Announcer>();
    let seed = Memo::new(move |_| engine.read(|pg| pg.session().seed()));
    // `None`: nothing typed since the last seed applied, the field shows the run's seed.
    let seed_text = RwSignal::new(None::<String>);
    let seed_error = RwSignal::new(None::<String>);
    let apply_seed = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let draft = SeedDraft {
            seed: seed_text.get_untracked().unwrap_or_default(),
        };
        match draft.parse() {
            Ok(new_seed) => {
                seed_error.set(None);
                seed_text.set(None);
                engine.update(|pg| pg.change_seed(new_seed));
                announcer.say(format!("Replayed the run with seed {new_seed}."));
            }
            Err(e) => seed_error.set(Some(e.to_string())),
        }
    };
    view! {
        <form class="seed" on:submit=apply_seed>
            <TextField
                id="seed"
                label="Seed"
                inputmode="numeric"
                value=Signal::derive(move || seed_text.get().unwrap_or_else(|| seed.get().to_string()))
                on_input=move |text| seed_text.set(Some(text))
            />
            <button type="submit">"Apply seed"</button>
            <p class="error" role="alert">{move || seed_error.get()}</p>
        </form>
    }
    .into_any()
}

/// A replay that takes more than a frame: how far it got, and "Stop here".
#[component]
fn ReplayStatus() -> impl IntoView {
    let engine = expect_context::<Engine>();
    let announcer = expect_context::<Announcer>();
    let progress = Memo::new(move |_| engine.read(|pg| pg.replay().map(|r| (pg.now(), r.target))));
    let stop = move |_| {
        engine.update(|pg| pg.stop_replay());
        let now = engine.read_untracked(|pg| pg.now());
        announcer.say(format!(
            "Replay stopped at tick {now}; the recorded run is kept."
        ));
    };
    view! {
        <Show when=move || progress.get().is_some()>
            <div class="replay-status" role="status">
                {move || progress.get().map(|(now, target)| {
                    let percent = (now * 100).checked_div(target).unwrap_or(100);
                    view! {
                        <label for="replay-progress">
                            {format!("Rebuilding tick {target} by replay: tick {now} ({percent}%)")}
                        </label>
                        <progress id="replay-progress" max=target.max(1).to_string() value=now.to_string()></progress>
                    }
                })}
                <button type="button" on:click=stop>"Stop here"</button>
            </div>
        </Show>
    }
    .into_any()
}
