//! Routing records that have no key: round-robin and Kafka's sticky partitioning.
//!
//! Without a key there is nothing to hash, so the producer chooses:
//! - [`UnkeyedStrategy::RoundRobin`]: a counter over the partitions, `counter % N`, starting
//!   at partition 0 (Kafka's `RoundRobinPartitioner`, and the Event Hubs SDKs'
//!   `PartitionResolver.AssignRoundRobin`, whose index also starts so the first event goes to
//!   the first partition).
//! - [`UnkeyedStrategy::Sticky`]: Kafka's sticky partitioning (KIP-480, Java client 2.4 and
//!   later, `StickyPartitionCache`): stay on one partition until its batch is full, then move
//!   to another partition chosen at random, never the same one when there is more than one.
//!   A batch fills after `batch_records` records here (the real client counts `batch.size`
//!   bytes or the `linger.ms` timer); the first record picks a partition at random.
//!
//! Randomness comes only from the simulation's [`SimRng`], so a seed replays the same
//! choices.

use crate::ids::PartitionId;
use crate::rng::SimRng;
use serde::{Deserialize, Serialize};

/// How records without a key are spread over the partitions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UnkeyedStrategy {
    /// One record per partition in turn: 0, 1, ..., N-1, 0, ...
    RoundRobin,
    /// Kafka's sticky partitioner: `batch_records` records on one partition, then a random
    /// different one. A `batch_records` of 0 behaves as 1.
    Sticky {
        /// How many records fill a batch.
        batch_records: u32,
    },
}

impl Default for UnkeyedStrategy {
    /// Sticky, as the Java client does by default since 2.4, with 16 records per batch
    /// (`batch.size` is 16 KiB by default: about 16 records of 1 KiB).
    fn default() -> Self {
        UnkeyedStrategy::Sticky { batch_records: 16 }
    }
}

/// The state a topic keeps to route records without a key. Deterministic given the
/// [`SimRng`] passed to [`UnkeyedRouter::next`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnkeyedRouter {
    strategy: UnkeyedStrategy,
    /// Round-robin: how many records were routed so far (the counter).
    records_routed: u64,
    /// Sticky: the partition the current batch goes to, once one was chosen.
    sticky_partition: Option<PartitionId>,
    /// Sticky: how many records the current batch holds.
    records_in_batch: u32,
}

impl UnkeyedRouter {
    /// A fresh router: round-robin starts at partition 0, sticky has no partition yet.
    pub fn new(strategy: UnkeyedStrategy) -> Self {
        Self {
            strategy,
            records_routed: 0,
            sticky_partition: None,
            records_in_batch: 0,
        }
    }

    /// The strategy this router follows.
    pub fn strategy(&self) -> UnkeyedStrategy {
        self.strategy
    }

    /// Sticky: the partition the current batch goes to (`None` before the first record and
    /// for round-robin).
    pub fn sticky_partition(&self) -> Option<PartitionId> {
        self.sticky_partition
    }

    /// Sticky: records in the current batch so far.
    pub fn records_in_batch(&self) -> u32 {
        self.records_in_batch
    }

    /// Round-robin: records routed so far; the next one goes to `counter % partitions`.
    pub fn counter(&self) -> u64 {
        self.records_routed
    }

    /// Chooses the partition for the next record without a key. `partitions` may change
    /// between calls (a topic can grow); it must be at least 1.
    pub fn next(&mut self, partitions: u32, rng: &mut SimRng) -> PartitionId {
        assert!(partitions > 0, "a topic has at least one partition");
        match self.strategy {
            UnkeyedStrategy::RoundRobin => {
                let partition = (self.records_routed % u64::from(partitions)) as u32;
                self.records_routed = self.records_routed.wrapping_add(1);
                PartitionId(partition)
            }
            UnkeyedStrategy::Sticky { batch_records } => {
                let batch_records = batch_records.max(1);
                let partition = match self.sticky_partition {
                    Some(current) if current.0 < partitions => {
                        if self.records_in_batch < batch_records {
                            current
                        } else {
                            // The batch is full: a new batch goes to another partition.
                            self.records_in_batch = 0;
                            other_partition(current, partitions, rng)
                        }
                    }
                    // No partition yet, or the topic no longer has it.
                    _ => {
                        self.records_in_batch = 0;
                        PartitionId(rng.below(u64::from(partitions)) as u32)
                    }
                };
                self.sticky_partition = Some(partition);
                self.records_in_batch += 1;
                partition
            }
        }
    }
}

/// A uniformly random partition other than `current` (or `current` itself when it is the
/// only one). Kafka's `StickyPartitionCache.nextPartition` draws until it differs from the
/// old partition; drawing among the other N-1 gives the same distribution in one bounded draw.
fn other_partition(current: PartitionId, partitions: u32, rng: &mut SimRng) -> PartitionId {
    if partitions == 1 {
        return PartitionId(0);
    }
    let draw = rng.below(u64::from(partitions - 1)) as u32;
    PartitionId(if draw >= current.0 { draw + 1 } else { draw })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn round_robin_starts_at_zero_and_cycles() {
        // Like the Event Hubs SDK's RoundRobinDistributesFairly: index i goes to i % N.
        let mut rng = SimRng::new(1);
        let mut router = UnkeyedRouter::new(UnkeyedStrategy::RoundRobin);
        let seen: Vec<u32> = (0..7).map(|_| router.next(3, &mut rng).0).collect();
        assert_eq!(seen, [0, 1, 2, 0, 1, 2, 0]);
    }

    #[test]
    fn round_robin_does_not_consume_randomness() {
        let mut rng = SimRng::new(9);
        let untouched = rng.clone();
        let mut router = UnkeyedRouter::new(UnkeyedStrategy::RoundRobin);
        for _ in 0..10 {
            router.next(4, &mut rng);
        }
        assert_eq!(rng, untouched);
    }

    #[test]
    fn sticky_fills_a_batch_then_moves() {
        let mut rng = SimRng::new(42);
        let mut router = UnkeyedRouter::new(UnkeyedStrategy::Sticky { batch_records: 3 });
        let seen: Vec<u32> = (0..9).map(|_| router.next(5, &mut rng).0).collect();
        for batch in seen.chunks(3) {
            assert!(batch.iter().all(|p| *p == batch[0]), "batches {seen:?}");
        }
        assert_ne!(seen[0], seen[3], "{seen:?}");
        assert_ne!(seen[3], seen[6], "{seen:?}");
    }

    #[test]
    fn sticky_with_one_partition_stays_on_it() {
        let mut rng = SimRng::new(3);
        let mut router = UnkeyedRouter::new(UnkeyedStrategy::Sticky { batch_records: 2 });
        for _ in 0..10 {
            assert_eq!(router.next(1, &mut rng), PartitionId(0));
        }
    }

    #[test]
    fn sticky_batch_of_zero_behaves_as_one() {
        let mut rng = SimRng::new(5);
        let mut router = UnkeyedRouter::new(UnkeyedStrategy::Sticky { batch_records: 0 });
        let a = router.next(2, &mut rng);
        let b = router.next(2, &mut rng);
        assert_ne!(a, b);
    }

    #[test]
    fn sticky_repicks_when_the_partition_disappears() {
        let mut rng = SimRng::new(11);
        let mut router = UnkeyedRouter::new(UnkeyedStrategy::Sticky { batch_records: 100 });
        // Find a seed state where the sticky partition is high, then shrink the topic.
        let mut partition = router.next(8, &mut rng);
        while partition.0 < 2 {
            router = UnkeyedRouter::new(router.strategy());
            partition = router.next(8, &mut rng);
        }
        let after = router.next(2, &mut rng);
        assert!(after.0 < 2);
        assert_eq!(router.records_in_batch(), 1);
    }

    #[test]
    fn router_state_round_trips_through_json() {
        let mut rng = SimRng::new(8);
        let mut router = UnkeyedRouter::new(UnkeyedStrategy::Sticky { batch_records: 4 });
        for _ in 0..6 {
            router.next(3, &mut rng);
        }
        let json = serde_json::to_string(&router).expect("serialises");
        let back: UnkeyedRouter = serde_json::from_str(&json).expect("deserialises");
        assert_eq!(back, router);
        assert_eq!(
            serde_json::to_string(&UnkeyedStrategy::RoundRobin).expect("serialises"),
            "\"round-robin\""
        );
    }

    proptest! {
        #[test]
        fn round_robin_visits_every_partition_evenly(partitions in 1u32..=1024, rounds in 1u32..4) {
            let mut rng = SimRng::new(0);
            let mut router = UnkeyedRouter::new(UnkeyedStrategy::RoundRobin);
            let mut counts = vec![0u32; partitions as usize];
            for _ in 0..partitions * rounds {
                let p = router.next(partitions, &mut rng);
                prop_assert!(p.0 < partitions);
                counts[p.0 as usize] += 1;
            }
            prop_assert!(counts.iter().all(|c| *c == rounds), "counts {:?}", counts);
        }

        #[test]
        fn sticky_never_sticks_longer_than_a_batch_and_always_moves(
            seed in any::<u64>(),
            partitions in 1u32..=1024,
            batch_records in 1u32..20,
            records in 1usize..200,
        ) {
            let mut rng = SimRng::new(seed);
            let mut router = UnkeyedRouter::new(UnkeyedStrategy::Sticky { batch_records });
            let seen: Vec<u32> = (0..records).map(|_| router.next(partitions, &mut rng).0).collect();
            prop_assert!(seen.iter().all(|p| *p < partitions));
            // Split into runs of the same partition.
            let mut runs: Vec<(u32, u32)> = Vec::new();
            for p in &seen {
                match runs.last_mut() {
                    Some((last, len)) if *last == *p && (partitions == 1 || *len < batch_records) => *len += 1,
                    _ => runs.push((*p, 1)),
                }
            }
            if partitions > 1 {
                // Every run but the last is exactly one full batch, and consecutive runs differ.
                for window in runs.windows(2) {
                    prop_assert_eq!(window[0].1, batch_records, "runs {:?}", runs);
                    prop_assert_ne!(window[0].0, window[1].0, "runs {:?}", runs);
                }
                prop_assert!(runs.last().map_or(0, |r| r.1) <= batch_records);
            } else {
                prop_assert!(seen.iter().all(|p| *p == 0));
            }
        }

        #[test]
        fn sticky_is_deterministic_for_a_seed(seed in any::<u64>(), partitions in 1u32..64) {
            let run = |seed: u64| {
                let mut rng = SimRng::new(seed);
                let mut router = UnkeyedRouter::new(UnkeyedStrategy::Sticky { batch_records: 3 });
                (0..50).map(|_| router.next(partitions, &mut rng).0).collect::<Vec<_>>()
            };
            prop_assert_eq!(run(seed), run(seed));
        }
    }
}
