//! The one play loop: on every animation frame it publishes the next chunk of a pending burst
//! and, while playing, advances as many ticks as the speed asks for. It reads the model
//! untracked and bumps the engine version once per frame that changed something. Then it
//! announces important changes (rebalances, dead consumers) through the live region.
//!
//! Every loop is bounded: at most [`MAX_TICKS_PER_FRAME`] ticks per frame, a burst works
//! in chunks of [`BURST_CHUNK`] records for about [`BURST_BUDGET_MS`] per frame, and a
//! rebuild by replay (a rewind, an import) runs slices for about [`REPLAY_BUDGET_MS`] per
//! frame, so a huge burst, a long replay or a high speed never blocks input.

use crate::playground::Playground;
use crate::state::{Announcer, Clock, Engine};
use leptos::prelude::*;
use leptos_use::{use_raf_fn, UseRafFnCallbackArgs};

/// Most ticks advanced in one frame (a slow frame does not cause a catch-up storm).
pub const MAX_TICKS_PER_FRAME: u32 = 10;
/// Records of a burst published between two time checks.
pub const BURST_CHUNK: u32 = 250;
/// Time a frame may spend on a burst before yielding to input and rendering.
pub const BURST_BUDGET_MS: f64 = 12.0;

/// Time a frame may spend rebuilding a tick by replay.
pub const REPLAY_BUDGET_MS: f64 = 12.0;

/// Runs slices of the replay under way for about [`REPLAY_BUDGET_MS`] (at least one);
/// true while work remains. Called by the frame loop, and by whatever starts a replay so a
/// short one is done before the next paint.
pub fn replay_within_budget(pg: &mut Playground) -> bool {
    let started = now_ms();
    while pg.replay_slice() {
        if now_ms() - started > REPLAY_BUDGET_MS {
            return true;
        }
    }
    false
}

/// `performance.now()` in ms: wall time exists only here at the edge, never in the engine.
fn now_ms() -> f64 {
    window().performance().map_or(0.0, |p| p.now())
}

/// Starts the play loop for the app's [`Engine`] and [`Clock`] (from context).
pub fn use_driver() {
    let engine = expect_context::<Engine>();
    let clock = expect_context::<Clock>();
    let announcer = expect_context::<Announcer>();
    let elapsed_ms = std::cell::Cell::new(0.0f64);
    let frame = move |delta: f64| {
        if engine.read_untracked(|pg| pg.replay().is_some()) {
            if !engine.update(replay_within_budget) {
                let now = engine.read_untracked(|pg| pg.now());
                announcer.say(format!("Rebuilt tick {now}."));
            }
            return;
        }
        let bursting = engine.read_untracked(|pg| pg.burst().is_some());
        if bursting {
            let started = now_ms();
            let more = engine.update(|pg| {
                // At least one chunk per frame, then more while the frame budget lasts.
                while pg.run_burst(BURST_CHUNK) {
                    if now_ms() - started > BURST_BUDGET_MS {
                        return true;
                    }
                }
                false
            });
            if !more {
                let total = engine.read_untracked(|pg| pg.total_records());
                announcer.say(format!(
                    "Burst published; the topic now holds {total} records."
                ));
            }
            return;
        }
        if !clock.playing.get_untracked() {
            elapsed_ms.set(0.0);
            return;
        }
        let per_second = f64::from(clock.ticks_per_second.get_untracked().max(1));
        let total = elapsed_ms.get() + delta.min(1_000.0);
        let due = (total * per_second / 1_000.0).floor();
        elapsed_ms.set(total - due * 1_000.0 / per_second);
        let ticks = (due as u32).min(MAX_TICKS_PER_FRAME);
        if ticks > 0 {
            engine.update(|pg| {
                for _ in 0..ticks {
                    pg.step();
                }
            });
        }
    };
    let _ = use_raf_fn(move |args: UseRafFnCallbackArgs| {
        if crate::crash::take_test_panic() {
            // Inside an engine update, where a real bug in a step would panic.
            engine.update(|_| panic!("orderflow_panic_test: a panic asked for by a test"));
        }
        frame(args.delta);
        if engine.read_untracked(|pg| pg.announcements_pending()) {
            let lines = engine.update_quietly(|pg| pg.take_announcements());
            if let Some(last) = lines.last() {
                announcer.say(last.clone());
            }
        }
    });
}
