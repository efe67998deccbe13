//! The one play loop: on every animation frame it publishes the next chunk of a pending burst
//! and, while playing, advances as many ticks as the speed asks for. It reads the model
//! untracked and bumps the engine version once per frame that changed something, except the
//! ticks played while playing: the views are told of them at most every
//! [`crate::pace::REDRAW_INTERVAL_MS`] (and at once on a pause), see [`crate::pace::Redraw`].
//! Then it announces important changes (rebalances, dead consumers) through the live region.
//!
//! Every loop is bounded: a frame plays at most [`MAX_TICKS_PER_FRAME`] ticks and stops
//! stepping after about [`TICK_BUDGET_MS`] (the run then goes slower than asked, and the
//! time controls say how fast it really goes: see [`crate::pace`]), a burst works in chunks
//! of [`BURST_CHUNK`] records for about [`BURST_BUDGET_MS`] per frame (the views are told of
//! its progress at most every [`crate::pace::REDRAW_INTERVAL_MS`], and a frame that redraws
//! publishes for only [`BURST_REDRAW_BUDGET_MS`]), and a rebuild by
//! replay (a rewind, an import) runs slices for about [`REPLAY_BUDGET_MS`] per frame (its
//! progress shown at the same pace as a burst's), so a
//! huge burst, a long replay or a heavy run never blocks input.

pub use crate::pace::MAX_TICKS_PER_FRAME;
use crate::pace::{Pace, Redraw};
use crate::playground::Playground;
use crate::state::{Announcer, Clock, Engine};
use leptos::prelude::*;
use leptos_use::{use_raf_fn, UseRafFnCallbackArgs};

/// Time a frame may spend stepping ticks (at least one tick is played when one is owed).
pub const TICK_BUDGET_MS: f64 = 12.0;
/// Records of a burst published between two time checks.
pub const BURST_CHUNK: u32 = 250;
/// Time a frame may spend on a burst before yielding to input and rendering.
pub const BURST_BUDGET_MS: f64 = 12.0;
/// Time a frame that redraws may spend on a burst. Redrawing after thousands of new records
/// (the stage's rows, the partitions' logs and charts) took 30-60 ms in the page (e2e/
/// burst-profile.mjs), so a redraw frame publishing for the full budget made tasks of over
/// 100 ms from one click (page-bench: up to 134 ms); this keeps such a frame near 50 ms.
pub const BURST_REDRAW_BUDGET_MS: f64 = 4.0;

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

/// Plays up to `due` ticks, the first always, the others while the frame's
/// [`TICK_BUDGET_MS`] (counted from `started`) lasts; returns the ticks played.
fn play_within_budget(pg: &mut Playground, due: u32, started: f64) -> u32 {
    let mut played = 0;
    while played < due {
        pg.step();
        played += 1;
        if now_ms() - started > TICK_BUDGET_MS {
            break;
        }
    }
    played
}

/// `performance.now()` in ms: wall time exists only here at the edge, never in the engine.
pub(crate) fn now_ms() -> f64 {
    window().performance().map_or(0.0, |p| p.now())
}

/// Starts the play loop for the app's [`Engine`] and [`Clock`] (from context).
pub fn use_driver() {
    let engine = expect_context::<Engine>();
    let clock = expect_context::<Clock>();
    let announcer = expect_context::<Announcer>();
    let pace = std::cell::RefCell::new(Pace::default());
    let redraw = std::rc::Rc::new(std::cell::RefCell::new(Redraw::default()));
    // A burst's or a replay's progress is shown at the same pace as ticks played.
    let progress_redraw = std::cell::RefCell::new(Redraw::default());
    // A pause shows the ticks not yet seen at once (before the next frame).
    let flush = redraw.clone();
    Effect::new(move |_| {
        if !clock.playing.get() && flush.borrow_mut().flush() {
            engine.notify();
        }
    });
    let frame = move |delta: f64| {
        if engine.read_untracked(|pg| pg.replay().is_some()) {
            let redraw_now = progress_redraw.borrow_mut().frame(delta, 1);
            let more = engine.update_quietly(replay_within_budget);
            if redraw_now || !more {
                engine.notify();
            }
            if !more {
                progress_redraw.borrow_mut().flush();
                let now = engine.read_untracked(|pg| pg.now());
                announcer.say(format!("Rebuilt tick {now}."));
            }
            return;
        }
        let bursting = engine.read_untracked(|pg| pg.burst().is_some());
        if bursting {
            let started = now_ms();
            let redraw_now = progress_redraw.borrow_mut().frame(delta, 1);
            let budget = if redraw_now {
                BURST_REDRAW_BUDGET_MS
            } else {
                BURST_BUDGET_MS
            };
            let more = engine.update_quietly(|pg| {
                // At least one chunk per frame, then more while the frame budget lasts.
                while pg.run_burst(BURST_CHUNK) {
                    if now_ms() - started > budget {
                        return true;
                    }
                }
                false
            });
            if redraw_now || !more {
                engine.notify();
            }
            if !more {
                // The next burst's first frame is shown at once.
                progress_redraw.borrow_mut().flush();
                let total = engine.read_untracked(|pg| pg.total_records());
                announcer.say(format!(
                    "Burst published; the topic now holds {total} records."
                ));
            }
            return;
        }
        if !clock.playing.get_untracked() {
            pace.borrow_mut().pause();
            if clock.achieved.get_untracked().is_some() {
                clock.achieved.set(None);
            }
            return;
        }
        let speed = clock.ticks_per_second.get_untracked();
        let due = pace.borrow_mut().due(delta, speed);
        let played = if due == 0 {
            0
        } else {
            let started = now_ms();
            engine.update_quietly(|pg| play_within_budget(pg, due, started))
        };
        if redraw.borrow_mut().frame(delta, played) {
            engine.notify();
        }
        if pace.borrow_mut().played(delta, played, speed) {
            clock.achieved.set(pace.borrow().achieved());
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
