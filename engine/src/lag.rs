//! Lag over time: a bounded history of samples for charting.
//!
//! A sample is taken every tick, but the history never holds more than its capacity: when it
//! is full, neighbouring samples are merged (the later one is kept, since lag is a level,
//! not a rate) and the sampling stride doubles. A run of any length therefore fits in a fixed
//! amount of memory and still covers its whole span, at a coarser resolution for long runs.

use crate::ids::Tick;
use serde::{Deserialize, Serialize};

/// Default number of samples a history keeps.
pub const DEFAULT_LAG_HISTORY_CAPACITY: usize = 256;

/// One point of a lag chart.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LagSample {
    /// The tick of the sample.
    pub tick: Tick,
    /// Sum over the group's partitions.
    pub total: u64,
    /// Per partition, in the order of the group's partition list
    /// ([`crate::group::GroupSnapshot::partitions`]).
    pub partitions: Vec<u64>,
    /// Records the group has processed so far (cumulative, so the consumption rate between
    /// two samples is the difference over the ticks between them, whatever the stride).
    #[serde(default)]
    pub processed: u64,
    /// Sum of the high watermarks of the group's partitions (cumulative records produced
    /// to them): the production rate, the same way.
    #[serde(default)]
    pub log_end: u64,
}

/// A bounded, downsampling history of lag samples.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LagHistory {
    samples: Vec<LagSample>,
    capacity: usize,
    /// Ticks between kept samples.
    stride_ticks: u64,
    /// Tick of the last sample offered (kept or not).
    last_offered: Option<Tick>,
}

impl Default for LagHistory {
    fn default() -> Self {
        Self::with_capacity(DEFAULT_LAG_HISTORY_CAPACITY)
    }
}

impl LagHistory {
    /// A history keeping at most `capacity` samples (at least 2).
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            samples: Vec::new(),
            capacity: capacity.max(2),
            stride_ticks: 1,
            last_offered: None,
        }
    }

    /// Offers a sample; it is kept if it falls on the current stride.
    pub fn record(&mut self, sample: LagSample) {
        self.last_offered = Some(sample.tick);
        if let Some(last) = self.samples.last() {
            if sample.tick.0 < last.tick.0 + self.stride_ticks {
                return;
            }
        }
        if self.samples.len() == self.capacity {
            // Keep every second sample (the later of each pair) and double the stride.
            let merged: Vec<LagSample> = self.samples.drain(..).skip(1).step_by(2).collect();
            self.samples = merged;
            self.stride_ticks *= 2;
        }
        self.samples.push(sample);
    }

    /// The kept samples, oldest first.
    pub fn samples(&self) -> &[LagSample] {
        &self.samples
    }

    /// Ticks between kept samples now.
    pub fn stride_ticks(&self) -> u64 {
        self.stride_ticks
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_stays_bounded_and_covers_the_whole_run() {
        let mut h = LagHistory::with_capacity(8);
        for t in 0..1000 {
            h.record(LagSample {
                tick: Tick(t),
                total: t,
                partitions: vec![t],
                processed: t,
                log_end: 2 * t,
            });
        }
        assert!(h.samples().len() <= 8);
        assert!(h.samples()[0].tick.0 < 250, "{:?}", h.samples()[0].tick);
        assert!(h.samples().last().unwrap().tick.0 > 850);
        let ticks: Vec<u64> = h.samples().iter().map(|s| s.tick.0).collect();
        assert!(ticks.windows(2).all(|w| w[0] < w[1]));
    }
}
