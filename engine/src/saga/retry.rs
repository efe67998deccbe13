//! Retries with a backoff schedule, then the dead-letter queue.
//!
//! The default schedule is the one from the seed documents: attempt 1 immediately, then after
//! 1 s, 5 s, 30 s and 2 min; a record that still fails is moved to `<topic>.DLQ`. Seconds are
//! mapped to ticks with a configurable `ticks_per_second`, so the schedule means the same
//! thing whatever speed the simulation runs at.

use super::message::Envelope;
use crate::ids::{Offset, PartitionId, Tick};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Errors from building a retry schedule.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum RetryError {
    #[error("ticks_per_second must be at least 1, not {ticks_per_second}")]
    /// A schedule needs at least 1 tick per second.
    TicksPerSecond {
        /// Ticks per second asked for.
        ticks_per_second: u64,
    },
}

/// When to try a failing record again, and when to give up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetrySchedule {
    /// Delay before each retry, in seconds: `delays_seconds[i]` is waited before attempt
    /// `i + 2` (attempt 1 is the original delivery).
    pub delays_seconds: Vec<u64>,
    /// How many ticks make one second of simulated time.
    pub ticks_per_second: u64,
}

impl Default for RetrySchedule {
    /// Immediately, 1 s, 5 s, 30 s, 2 min, then dead-letter (the seed documents' schedule).
    fn default() -> Self {
        Self {
            delays_seconds: vec![0, 1, 5, 30, 120],
            ticks_per_second: 1,
        }
    }
}

/// What the consumer does after a failed attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum RetryDecision {
    /// Try again at `at` (the partition waits: retries are in place, so order is kept).
    RetryAt {
        /// The attempt that will run then (2 for the first retry).
        attempt: u32,
        /// The tick of the next attempt.
        at: Tick,
    },
    /// Give up: move the record to the dead-letter topic.
    DeadLetter {
        /// Attempts made, the first included.
        attempts: u32,
    },
}

impl RetrySchedule {
    /// The default delays with `ticks_per_second` ticks per second.
    pub fn with_ticks_per_second(ticks_per_second: u64) -> Result<Self, RetryError> {
        if ticks_per_second == 0 {
            return Err(RetryError::TicksPerSecond { ticks_per_second });
        }
        Ok(Self {
            ticks_per_second,
            ..Self::default()
        })
    }

    /// How many attempts a record gets before it is dead-lettered.
    pub fn max_attempts(&self) -> u32 {
        self.delays_seconds.len() as u32 + 1
    }

    /// The delay before attempt `attempt` (2-based: attempt 2 is the first retry), in ticks.
    pub fn delay_ticks(&self, attempt: u32) -> Option<u64> {
        let index = attempt.checked_sub(2)? as usize;
        self.delays_seconds
            .get(index)
            .map(|s| s.saturating_mul(self.ticks_per_second.max(1)))
    }

    /// Total time a record spends retrying before it is dead-lettered, in ticks.
    pub fn total_delay_ticks(&self) -> u64 {
        self.delays_seconds
            .iter()
            .map(|s| s.saturating_mul(self.ticks_per_second.max(1)))
            .sum()
    }

    /// Decides what follows failed attempt number `failed_attempt` (1-based) at `now`.
    pub fn after_failure(&self, failed_attempt: u32, now: Tick) -> RetryDecision {
        let next = failed_attempt + 1;
        match self.delay_ticks(next) {
            Some(delay) => RetryDecision::RetryAt {
                attempt: next,
                at: Tick(now.0 + delay),
            },
            None => RetryDecision::DeadLetter {
                attempts: failed_attempt,
            },
        }
    }

    /// Like [`after_failure`](Self::after_failure) but never gives up: after the schedule
    /// is exhausted it keeps retrying at the last delay. Compensations use this, because a
    /// compensation that is dropped leaves money or stock behind.
    pub fn after_failure_never_give_up(&self, failed_attempt: u32, now: Tick) -> RetryDecision {
        match self.after_failure(failed_attempt, now) {
            RetryDecision::DeadLetter { .. } => {
                let last = self
                    .delays_seconds
                    .last()
                    .copied()
                    .unwrap_or(0)
                    .saturating_mul(self.ticks_per_second.max(1));
                RetryDecision::RetryAt {
                    attempt: failed_attempt + 1,
                    at: Tick(now.0 + last),
                }
            }
            retry => retry,
        }
    }
}

/// A dead-lettered record: the original, where it came from, why it failed and how often.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLetter {
    /// The topic the record came from.
    pub source_topic: String,
    /// Its partition there.
    pub source_partition: PartitionId,
    /// Its offset there.
    pub source_offset: Offset,
    /// The original record's key and message, headers included, unchanged.
    pub key: String,
    /// The original record, headers included.
    pub original: Envelope,
    /// The error of the last attempt.
    pub error: String,
    /// Attempts made, the first included.
    pub attempts: u32,
    /// The tick it was dead-lettered.
    pub dead_lettered_at: Tick,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_schedule_is_immediate_1s_5s_30s_2min_then_dead_letter() {
        let s = RetrySchedule::with_ticks_per_second(10).unwrap();
        assert_eq!(s.max_attempts(), 6);
        let mut now = Tick(100);
        let mut waits = Vec::new();
        let mut attempt = 1;
        loop {
            match s.after_failure(attempt, now) {
                RetryDecision::RetryAt { attempt: a, at } => {
                    waits.push(at.0 - now.0);
                    assert_eq!(a, attempt + 1);
                    attempt = a;
                    now = at;
                }
                RetryDecision::DeadLetter { attempts } => {
                    assert_eq!(attempts, 6);
                    break;
                }
            }
        }
        assert_eq!(waits, vec![0, 10, 50, 300, 1200]);
        assert_eq!(s.total_delay_ticks(), 1560);
    }

    #[test]
    fn compensations_never_give_up_and_keep_the_last_delay() {
        let s = RetrySchedule::default();
        assert_eq!(
            s.after_failure_never_give_up(6, Tick(0)),
            RetryDecision::RetryAt {
                attempt: 7,
                at: Tick(120)
            }
        );
        assert_eq!(
            s.after_failure_never_give_up(1, Tick(5)),
            RetryDecision::RetryAt {
                attempt: 2,
                at: Tick(5)
            }
        );
    }

    #[test]
    fn zero_ticks_per_second_is_refused_with_the_number() {
        assert_eq!(
            RetrySchedule::with_ticks_per_second(0),
            Err(RetryError::TicksPerSecond {
                ticks_per_second: 0
            })
        );
    }
}
