//! Rebuilding a tick by replay, a slice at a time. A rewind, "Back to live" and an imported
//! session restart the engine from the scenario and replay the logged actions up to the
//! tick asked for. A long run (a million-record burst, thousands of ticks) takes seconds to
//! replay, so the page does it a slice per frame (the driver gives it a time budget), shows
//! its progress, and lets the person stop at the tick reached so far. A slice is one
//! bounded piece: a chunk of a burst, or the actions of the current tick and one tick
//! forward. Whole or in slices, a replay runs the same commands in the same order, so it
//! ends in the same state.

use super::{Playground, REPLAY_CHUNK};
use crate::session::Session;

/// A replay under way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplayProgress {
    /// The tick being rebuilt.
    pub target: u64,
    /// The first logged action not executed yet.
    next_action: usize,
}

impl Playground {
    /// `session` with nothing replayed yet: its replay has begun, and
    /// [`replay_slice`](Self::replay_slice) does the work.
    pub fn replaying(session: Session) -> Self {
        let ticks = session.ticks;
        let mut pg = Self::empty(session, orderflow_engine::sim::MAX_RESIDENT_RECORDS);
        pg.begin_replay(ticks);
        pg
    }

    /// Starts rebuilding tick `target` (clamped to the session's last tick): the engine
    /// restarts from the scenario; the log is kept.
    pub fn begin_replay(&mut self, target: u64) {
        let session = std::mem::take(&mut self.session);
        let target = target.min(session.ticks);
        let epoch = self.epoch + 1;
        *self = Self::empty(session, self.record_limit);
        self.epoch = epoch;
        self.replay = Some(ReplayProgress {
            target,
            next_action: 0,
        });
    }

    /// The replay under way, if any.
    pub fn replay(&self) -> Option<&ReplayProgress> {
        self.replay.as_ref()
    }

    /// One bounded piece of the replay; true while work remains.
    pub fn replay_slice(&mut self) -> bool {
        let Some(mut progress) = self.replay.take() else {
            return false;
        };
        if self.burst().is_some() {
            self.run_burst(REPLAY_CHUNK);
            self.replay = Some(progress);
            return true;
        }
        while let Some(action) = self
            .session
            .actions
            .get(progress.next_action)
            .filter(|a| a.tick == self.now())
        {
            let command = action.command.clone();
            progress.next_action += 1;
            // A burst is left pending: the next slices publish it a chunk at a time.
            self.execute(&command, false);
            if self.burst().is_some() {
                self.replay = Some(progress);
                return true;
            }
        }
        if self.now() >= progress.target {
            // What a replay rebuilds is not news: announce only what happens from here on.
            self.announced = self.sim().trace_len();
            return false;
        }
        self.advance();
        self.replay = Some(progress);
        true
    }

    /// Runs the replay under way to its end.
    pub fn finish_replay(&mut self) {
        while self.replay_slice() {}
    }

    /// Stops the replay at the tick reached (a burst being rebuilt is finished first, so
    /// the state is one the recorded run had). The view is then an earlier tick, as after a
    /// rewind there.
    pub fn stop_replay(&mut self) {
        if self.replay.take().is_some() {
            self.finish_burst();
            self.announced = self.sim().trace_len();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presets::preset;
    use orderflow_engine::sim::{Command, KeySpace};

    /// The demo preset with a 3,000-record burst at tick 2 and steps around it.
    fn session_with_a_burst() -> Session {
        let mut pg = Playground::new(preset("demo-topics").unwrap().session);
        pg.step();
        pg.step();
        let topic = pg.topic_names()[0].clone();
        pg.act(Command::Generate {
            topic,
            count: 3_000,
            key_space: KeySpace {
                key_prefix: "U".into(),
                keys: 50,
                hot_key_percent: 0,
            },
        });
        for _ in 0..5 {
            pg.step();
        }
        pg.session().clone()
    }

    #[test]
    fn a_replay_in_slices_ends_where_a_whole_replay_ends() {
        let session = session_with_a_burst();
        let whole = Playground::new(session.clone());
        let mut sliced = Playground::replaying(session);
        let mut slices = 0;
        while sliced.replay_slice() {
            slices += 1;
            assert!(sliced.replay().is_some());
        }
        assert!(sliced.replay().is_none());
        assert!(
            slices > 8,
            "the burst and the ticks took several slices: {slices}"
        );
        assert_eq!(sliced.now(), whole.now());
        assert_eq!(sliced.total_records(), whole.total_records());
        assert_eq!(sliced.sim().trace_len(), whole.sim().trace_len());
        assert_eq!(sliced.replay_errors(), 0);
    }

    #[test]
    fn stopping_a_replay_leaves_an_earlier_tick_of_the_same_run_and_acting_finishes_one() {
        let session = session_with_a_burst();
        let mut pg = Playground::replaying(session.clone());
        // Into the burst at tick 2: stopping finishes it, so the state is tick 2's.
        while pg.burst().is_none() {
            assert!(pg.replay_slice());
        }
        pg.stop_replay();
        assert!(pg.replay().is_none() && pg.burst().is_none());
        assert_eq!(pg.now(), 2);
        assert!(
            !pg.is_live(),
            "an earlier tick; the recorded future is kept"
        );
        assert_eq!(pg.session(), &session);
        let mut at_2 = Playground::new(session.clone());
        at_2.replay_to(2);
        assert_eq!(pg.total_records(), at_2.total_records());
        // A step during a replay finishes it first (it never branches from a half state).
        let mut pg = Playground::replaying(session.clone());
        pg.replay_slice();
        pg.step();
        assert_eq!(pg.now(), session.ticks + 1);
    }
}
