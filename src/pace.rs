//! The play loop's pacing, apart from the browser so it is tested natively: how many ticks a
//! frame owes at the chosen speed, and how fast the run really went when frames could not
//! play them all.
//!
//! Why a frame may play fewer ticks than it owes: at a thousand events a tick a tick costs
//! milliseconds, and playing ten of them in one frame makes every frame 100 ms long (the page
//! stutters, and input waits). The driver stops stepping when its time budget is spent and
//! drops the rest, so the page stays smooth and the run goes slower; [`Pace::achieved`] says
//! how much slower, so the page can show it rather than pretend.
//!
//! Why the views may see several ticks at once: redrawing the page (the stage's lanes,
//! cells, edges and text, the time controls, the open panels) costs several milliseconds,
//! more than a light tick. At 60 ticks a second, redrawing after every tick kept the main
//! thread busy the whole time, so frames slipped even when the ticks were cheap (BENCHMARKS.md,
//! "The page while playing"). While playing, the views are told at most every
//! [`REDRAW_INTERVAL_MS`] ([`Redraw`]); a pause, a step or any other change shows at once.

/// Most ticks a frame plays, however long the last frame took (no catch-up storm).
pub const MAX_TICKS_PER_FRAME: u32 = 10;

/// How often the achieved speed is measured.
const WINDOW_MS: f64 = 1_000.0;

/// Below this share of the chosen speed, the run counts as slower than asked.
const SLOWER: f64 = 0.9;

/// While playing, the views are told of the ticks played at most this often (20 redraws a
/// second): the ticks in between are played, and seen together at the next redraw.
pub const REDRAW_INTERVAL_MS: f64 = 50.0;

/// When the play loop tells the views that ticks were played.
#[derive(Debug, Clone)]
pub struct Redraw {
    /// Time since the views were last told.
    since_ms: f64,
    /// Ticks were played that the views have not been told of.
    pending: bool,
}

impl Default for Redraw {
    /// The first tick played is shown at once.
    fn default() -> Self {
        Self {
            since_ms: REDRAW_INTERVAL_MS,
            pending: false,
        }
    }
}

impl Redraw {
    /// Counts a frame `delta_ms` after the last one that played `played` ticks; true when the
    /// views must be told now (something unseen, and the interval is over).
    pub fn frame(&mut self, delta_ms: f64, played: u32) -> bool {
        self.since_ms += delta_ms.max(0.0);
        self.pending |= played > 0;
        if self.pending && self.since_ms >= REDRAW_INTERVAL_MS {
            self.since_ms = 0.0;
            self.pending = false;
            return true;
        }
        false
    }

    /// Not playing any more: true when ticks played are still unseen (the views must be told
    /// now); the next tick played is shown at once.
    pub fn flush(&mut self) -> bool {
        let pending = self.pending;
        *self = Self::default();
        pending
    }
}

/// Ticks owed and ticks played.
#[derive(Debug, Default, Clone)]
pub struct Pace {
    /// Time owed that did not make a whole tick yet.
    carry_ms: f64,
    /// The measuring window: its length so far and the ticks played in it.
    window_ms: f64,
    window_ticks: u32,
    achieved: Option<u32>,
}

impl Pace {
    /// The ticks a frame `delta_ms` after the last one owes at `ticks_per_second` (at most
    /// [`MAX_TICKS_PER_FRAME`]); the part of a tick left over is owed by the next frame.
    pub fn due(&mut self, delta_ms: f64, ticks_per_second: u32) -> u32 {
        let per_second = f64::from(ticks_per_second.max(1));
        let total = self.carry_ms + delta_ms.clamp(0.0, WINDOW_MS);
        let due = (total * per_second / 1_000.0).floor();
        self.carry_ms = total - due * 1_000.0 / per_second;
        (due as u32).min(MAX_TICKS_PER_FRAME)
    }

    /// Counts a frame `delta_ms` long that played `played` ticks; returns true when the
    /// achieved speed changed.
    pub fn played(&mut self, delta_ms: f64, played: u32, ticks_per_second: u32) -> bool {
        self.window_ms += delta_ms.clamp(0.0, WINDOW_MS);
        self.window_ticks += played;
        if self.window_ms < WINDOW_MS {
            return false;
        }
        let rate = f64::from(self.window_ticks) * 1_000.0 / self.window_ms;
        let slower = rate < f64::from(ticks_per_second) * SLOWER;
        let achieved = slower.then(|| rate.round() as u32);
        self.window_ms = 0.0;
        self.window_ticks = 0;
        let changed = achieved != self.achieved;
        self.achieved = achieved;
        changed
    }

    /// Ticks per second over the last second, when that was slower than the chosen speed.
    pub fn achieved(&self) -> Option<u32> {
        self.achieved
    }

    /// Paused: nothing is owed and nothing is measured.
    pub fn pause(&mut self) {
        *self = Self::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_owes_the_ticks_its_time_is_worth_and_carries_the_rest() {
        let mut pace = Pace::default();
        // 4 ticks a second: one tick per 250 ms.
        assert_eq!(pace.due(100.0, 4), 0);
        assert_eq!(pace.due(100.0, 4), 0);
        assert_eq!(pace.due(100.0, 4), 1, "300 ms owe one tick, 50 ms carried");
        assert_eq!(pace.due(200.0, 4), 1);
        assert_eq!(pace.due(16.7, 60), 1);
    }

    #[test]
    fn a_long_frame_owes_at_most_ten_ticks() {
        let mut pace = Pace::default();
        assert_eq!(pace.due(900.0, 60), MAX_TICKS_PER_FRAME);
        // A frame after the tab slept for a minute counts as one second at most.
        assert_eq!(pace.due(60_000.0, 60), MAX_TICKS_PER_FRAME);
    }

    #[test]
    fn the_views_see_the_first_tick_at_once_then_at_most_every_interval() {
        let mut redraw = Redraw::default();
        assert!(
            redraw.frame(16.7, 1),
            "the first tick played is shown at once"
        );
        // 60 frames a second, a tick each: told on every third frame (50 ms).
        let told: Vec<bool> = (0..6).map(|_| redraw.frame(16.7, 1)).collect();
        assert_eq!(told, [false, false, true, false, false, true]);
        // A frame that played nothing has nothing to show, however long ago the last was.
        let mut idle = Redraw::default();
        assert!(!idle.frame(500.0, 0));
        assert!(idle.frame(16.7, 1));
    }

    #[test]
    fn a_pause_shows_the_ticks_not_yet_seen_and_the_next_tick_at_once() {
        let mut redraw = Redraw::default();
        assert!(redraw.frame(16.7, 1));
        assert!(!redraw.frame(16.7, 2));
        assert!(redraw.flush(), "two ticks unseen: tell the views");
        assert!(!redraw.flush(), "nothing left");
        assert!(
            redraw.frame(16.7, 1),
            "after a pause the next tick shows at once"
        );
    }

    #[test]
    fn the_achieved_speed_is_told_only_when_slower_than_asked() {
        let mut pace = Pace::default();
        // Sixty frames of 16.7 ms playing every tick owed: on time.
        for _ in 0..60 {
            let due = pace.due(16.7, 60);
            pace.played(16.7, due, 60);
        }
        assert_eq!(pace.achieved(), None);
        // Then frames of 40 ms playing one tick each: 25 ticks a second of the 60 asked.
        let mut changed = false;
        for _ in 0..26 {
            pace.due(40.0, 60);
            changed |= pace.played(40.0, 1, 60);
        }
        assert!(changed);
        assert_eq!(pace.achieved(), Some(25));
        pace.pause();
        assert_eq!(pace.achieved(), None);
    }
}
