//! Replica placement: which brokers hold each partition's replicas, leader first, exactly as
//! Apache Kafka's `AdminUtils.assignReplicasToBrokers` decides it (`server-common`
//! `org.apache.kafka.admin.AdminUtils`, formerly `core` `kafka.admin.AdminUtils`), the
//! placement `kafka-topics --create` and `--alter --partitions` use with ZooKeeper.
//! (KRaft controllers place replicas with `StripedReplicaPlacer` instead, which is not
//! ported here.)
//!
//! Without racks, the first replica of each partition goes round-robin over the brokers from
//! a start index, and the followers follow it at a shift that grows by one each time the
//! partition id wraps around the broker list, so partitions led by one broker spread their
//! followers over the others. With racks (every broker must have one), the brokers are first
//! interleaved rack by rack ([`rack_alternated_broker_list`]), the leader goes round-robin
//! over that list, and each follower skips brokers on racks that already hold a replica until
//! every rack has one.
//!
//! Kafka draws the start index and the initial follower shift with `java.util.Random` when no
//! `fixedStartIndex` is given. Here the caller always fixes it
//! ([`assign_replicas_to_brokers`], where it sets both, as in Kafka) or draws both from the
//! simulation's [`SimRng`] ([`assign_replicas_to_brokers_with_rng`]): never the OS.
//!
//! The partitions come out of a lazy [`ReplicaAssignment`] iterator, so a topic of two
//! billion partitions costs no memory. Kafka computes in Java `int`s; inputs on which that
//! arithmetic could overflow (partition ids or start indexes close to 2^31) are refused with
//! [`PlacementError::IntOverflow`] instead of being reproduced.

use super::BrokerId;
use crate::assignor::java;
use crate::ids::PartitionId;
use crate::rng::SimRng;
use litemap::LiteMap;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use thiserror::Error;

/// A broker as placement sees it (Kafka's `BrokerMetadata`): its id and, optionally, its
/// rack (`broker.rack`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokerMetadata {
    /// The broker's id.
    pub id: BrokerId,
    /// Its rack, if it has one.
    pub rack: Option<String>,
}

impl BrokerMetadata {
    /// A broker without a rack.
    pub fn new(id: i32) -> Self {
        Self {
            id: BrokerId(id),
            rack: None,
        }
    }

    /// A broker on `rack`.
    pub fn on_rack(id: i32, rack: impl Into<String>) -> Self {
        Self {
            id: BrokerId(id),
            rack: Some(rack.into()),
        }
    }
}

/// Why a placement cannot be made. The first four are Kafka's own refusals, with Kafka's
/// messages.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum PlacementError {
    /// Kafka's `InvalidPartitionsException`.
    #[error("Number of partitions must be larger than 0.")]
    NoPartitions {
        /// The partition count that was asked for.
        partitions: i32,
    },
    /// Kafka's `InvalidReplicationFactorException` for a factor below 1.
    #[error("Replication factor must be larger than 0.")]
    NoReplicas {
        /// The replication factor that was asked for.
        replication_factor: i32,
    },
    /// Kafka's `InvalidReplicationFactorException` for more replicas than brokers.
    #[error("Replication factor: {replication_factor} larger than available brokers: {brokers}.")]
    ReplicationFactorTooLarge {
        /// The replication factor that was asked for.
        replication_factor: i32,
        /// How many brokers there are.
        brokers: usize,
    },
    /// Kafka's `AdminOperationException`: some brokers have a rack and some do not.
    #[error("Not all brokers have rack information for replica rack aware assignment.")]
    IncompleteRackInformation {
        /// The first broker (in the order given) without a rack.
        broker: BrokerId,
    },
    /// The same broker id twice (a Kafka cluster cannot have that).
    #[error("broker {broker} is listed twice")]
    DuplicateBroker {
        /// The repeated id.
        broker: BrokerId,
    },
    /// A negative start index, which Kafka reads as "draw one at random".
    #[error(
        "start index {start_index} is negative; Kafka would draw one at random, here it is \
         given (0 or more) or drawn from the simulation's random generator"
    )]
    NegativeStartIndex {
        /// The index that was given.
        start_index: i32,
    },
    /// Kafka's `int` arithmetic could overflow on this input.
    #[error(
        "partitions {first_partition} to {last_partition} with start index {start_index} \
         overflow Kafka's int arithmetic (partition ids and indexes up to 2147483647)"
    )]
    IntOverflow {
        /// The first partition id to place.
        first_partition: i64,
        /// The last partition id to place.
        last_partition: i64,
        /// The start index.
        start_index: i64,
    },
}

/// Kafka's `getRackAlternatedBrokerList`: racks in name order (Java's string order), each
/// rack's brokers in id order, taken one broker per rack in turn until all are listed. For
/// racks `rack1: 0, 1, 2`, `rack2: 3, 4, 5`, `rack3: 6, 7, 8` it is `0, 3, 6, 1, 4, 7, 2, 5, 8`.
pub fn rack_alternated_broker_list(broker_racks: &BTreeMap<BrokerId, String>) -> Vec<BrokerId> {
    let mut by_rack: Vec<(&str, Vec<BrokerId>)> = Vec::new();
    // `broker_racks` iterates in id order, so each rack's list comes out sorted by id.
    for (&broker, rack) in broker_racks {
        match by_rack.iter_mut().find(|(r, _)| *r == rack.as_str()) {
            Some((_, brokers)) => brokers.push(broker),
            None => by_rack.push((rack, vec![broker])),
        }
    }
    crate::sort::sort_by(&mut by_rack, |(a, _), (b, _)| java::compare_strings(a, b));
    let mut result = Vec::with_capacity(broker_racks.len());
    let mut turn = 0;
    while result.len() < broker_racks.len() {
        for (_, brokers) in &by_rack {
            if let Some(&broker) = brokers.get(turn) {
                result.push(broker);
            }
        }
        turn += 1;
    }
    result
}

/// Kafka's `assignReplicasToBrokers(brokers, nPartitions, replicationFactor, fixedStartIndex,
/// startPartitionId)` with a fixed start index: partitions `max(0, start_partition)` onwards,
/// the first replica of the first one on the broker at `fixed_start_index` of the list
/// (rack-unaware: the list as given; Kafka's callers sort it by id), followers shifted by
/// `fixed_start_index` as well.
///
/// Brokers either all have a rack (rack-aware placement) or none has (rack-unaware).
pub fn assign_replicas_to_brokers(
    brokers: &[BrokerMetadata],
    partitions: i32,
    replication_factor: i32,
    fixed_start_index: i32,
    start_partition: i32,
) -> Result<ReplicaAssignment, PlacementError> {
    let layout = Layout::new(brokers, partitions, replication_factor)?;
    if fixed_start_index < 0 {
        return Err(PlacementError::NegativeStartIndex {
            start_index: fixed_start_index,
        });
    }
    let start = i64::from(fixed_start_index);
    layout.assignment(partitions, start_partition, start, start)
}

/// Kafka's `assignReplicasToBrokers` without a fixed start index: Kafka then draws the start
/// index and the initial follower shift independently, each uniform over the brokers
/// (`RAND.nextInt(brokers)`); here both come from the simulation's `rng`, after the input is
/// validated (as in Kafka, where an invalid input draws nothing).
pub fn assign_replicas_to_brokers_with_rng(
    brokers: &[BrokerMetadata],
    partitions: i32,
    replication_factor: i32,
    start_partition: i32,
    rng: &mut SimRng,
) -> Result<ReplicaAssignment, PlacementError> {
    let layout = Layout::new(brokers, partitions, replication_factor)?;
    let count = layout.brokers.len() as u64;
    // Both below `count` <= the number of brokers, so they fit an i64 exactly.
    let start_index = rng.below(count) as i64;
    let replica_shift = rng.below(count) as i64;
    layout.assignment(partitions, start_partition, start_index, replica_shift)
}

/// The validated input: the brokers in the order placement walks them.
struct Layout {
    /// Rack-unaware: the brokers as given. Rack-aware: [`rack_alternated_broker_list`].
    brokers: Vec<BrokerId>,
    /// Rack-aware only: each listed broker's rack, as an index among the racks.
    racks: Option<Vec<usize>>,
    rack_count: usize,
    replication_factor: usize,
}

impl Layout {
    /// Kafka's checks, in Kafka's order, then ours (duplicate brokers).
    fn new(
        brokers: &[BrokerMetadata],
        partitions: i32,
        replication_factor: i32,
    ) -> Result<Self, PlacementError> {
        if partitions <= 0 {
            return Err(PlacementError::NoPartitions { partitions });
        }
        if replication_factor <= 0 {
            return Err(PlacementError::NoReplicas { replication_factor });
        }
        // Positive, so it converts losslessly.
        let factor = replication_factor as usize;
        if factor > brokers.len() {
            return Err(PlacementError::ReplicationFactorTooLarge {
                replication_factor,
                brokers: brokers.len(),
            });
        }
        let racked = brokers.iter().filter(|b| b.rack.is_some()).count();
        if racked > 0 && racked < brokers.len() {
            let broker = brokers
                .iter()
                .find(|b| b.rack.is_none())
                .map(|b| b.id)
                .expect("some broker lacks a rack");
            return Err(PlacementError::IncompleteRackInformation { broker });
        }
        let mut seen = LiteMap::new_vec();
        if let Some(twice) = brokers.iter().find(|b| seen.insert(b.id, ()).is_some()) {
            return Err(PlacementError::DuplicateBroker { broker: twice.id });
        }
        if racked == 0 {
            return Ok(Self {
                brokers: brokers.iter().map(|b| b.id).collect(),
                racks: None,
                rack_count: 0,
                replication_factor: factor,
            });
        }
        let broker_racks: BTreeMap<BrokerId, String> = crate::sort::map_of(
            brokers
                .iter()
                .filter_map(|b| b.rack.clone().map(|rack| (b.id, rack))),
        );
        let mut rack_names: LiteMap<&str, ()> = LiteMap::new_vec();
        for rack in broker_racks.values() {
            rack_names.insert(rack.as_str(), ());
        }
        let rack_names: Vec<&str> = rack_names
            .into_tuple_vec()
            .into_iter()
            .map(|(r, ())| r)
            .collect();
        let ordered = rack_alternated_broker_list(&broker_racks);
        let racks = ordered
            .iter()
            .map(|b| {
                rack_names
                    .binary_search(&broker_racks[b].as_str())
                    .expect("every rack is among the rack names")
            })
            .collect();
        Ok(Self {
            brokers: ordered,
            racks: Some(racks),
            rack_count: rack_names.len(),
            replication_factor: factor,
        })
    }

    /// The iterator, once the Java `int` arithmetic is known not to overflow. The bounds are
    /// Kafka's intermediate values at their largest: the last partition id, it plus the start
    /// index, and the follower shift (times the rack count, plus the follower search's step
    /// counter, which advances at most `brokers - 1` times per follower).
    fn assignment(
        self,
        partitions: i32,
        start_partition: i32,
        start_index: i64,
        replica_shift: i64,
    ) -> Result<ReplicaAssignment, PlacementError> {
        let int_max = i64::from(i32::MAX);
        let first = i64::from(start_partition.max(0));
        let last = first + i64::from(partitions) - 1;
        let n = self.brokers.len() as i64;
        // Partition ids p > 0 with p % n == 0 among first..=last bump the shift.
        let wraps = last / n - (first.max(1) - 1) / n;
        let largest_shift = replica_shift + wraps;
        let followers = self.replication_factor as i64 - 1;
        let largest_shift_term = match self.racks {
            _ if followers == 0 => 0,
            None => largest_shift + followers - 1,
            Some(_) => largest_shift * self.rack_count as i64 + followers * (n - 1) - 1,
        };
        if last > int_max || last + start_index > int_max || largest_shift_term > int_max {
            return Err(PlacementError::IntOverflow {
                first_partition: first,
                last_partition: last,
                start_index,
            });
        }
        Ok(ReplicaAssignment {
            layout: self,
            start_index,
            next_replica_shift: replica_shift,
            next_partition: first,
            end_partition: last + 1,
        })
    }
}

/// Kafka's `replicaIndex`: where the `replica_index`-th follower search step lands, given the
/// leader's position and the shift.
fn replica_index(first_replica_index: i64, shift: i64, replica_index: i64, brokers: i64) -> usize {
    let step = 1 + (shift + replica_index) % (brokers - 1);
    ((first_replica_index + step) % brokers) as usize
}

/// The placement, one partition at a time in partition order: `(partition, replicas)` with
/// the preferred leader first. Made by [`assign_replicas_to_brokers`].
pub struct ReplicaAssignment {
    layout: Layout,
    start_index: i64,
    next_replica_shift: i64,
    next_partition: i64,
    end_partition: i64,
}

impl ReplicaAssignment {
    /// Rack-unaware: the leader, then each follower at the growing shift.
    fn rack_unaware(&self, first_replica_index: usize) -> Vec<BrokerId> {
        let brokers = &self.layout.brokers;
        let n = brokers.len() as i64;
        let mut replicas = Vec::with_capacity(self.layout.replication_factor);
        replicas.push(brokers[first_replica_index]);
        for j in 0..self.layout.replication_factor as i64 - 1 {
            let at = replica_index(first_replica_index as i64, self.next_replica_shift, j, n);
            replicas.push(brokers[at]);
        }
        replicas
    }

    /// Rack-aware: each follower is the next broker in the shifted walk that is on a rack
    /// without a replica (until every rack has one) and holds no replica yet (until every
    /// broker has one).
    fn rack_aware(&self, first_replica_index: usize, racks: &[usize]) -> Vec<BrokerId> {
        let brokers = &self.layout.brokers;
        let n = brokers.len() as i64;
        let rack_count = self.layout.rack_count;
        let mut replicas = Vec::with_capacity(self.layout.replication_factor);
        replicas.push(brokers[first_replica_index]);
        // Sets (no values) of rack and broker indices.
        let mut racks_with_replicas = LiteMap::new_vec();
        racks_with_replicas.insert(racks[first_replica_index], ());
        let mut brokers_with_replicas = LiteMap::new_vec();
        brokers_with_replicas.insert(first_replica_index, ());
        let shift = self.next_replica_shift * rack_count as i64;
        let mut k = 0i64;
        for _ in 1..self.layout.replication_factor {
            // Ends within `n - 1` steps: those visit every broker but the leader, and one of
            // them is acceptable (a broker on a rack without replicas, or, once every rack
            // has one, a broker without one: fewer replicas than brokers are placed so far).
            loop {
                let at = replica_index(first_replica_index as i64, shift, k, n);
                k += 1;
                let rack = racks[at];
                let rack_ok = !racks_with_replicas.contains_key(&rack)
                    || racks_with_replicas.len() == rack_count;
                let broker_ok = !brokers_with_replicas.contains_key(&at)
                    || brokers_with_replicas.len() == brokers.len();
                if rack_ok && broker_ok {
                    replicas.push(brokers[at]);
                    racks_with_replicas.insert(rack, ());
                    brokers_with_replicas.insert(at, ());
                    break;
                }
            }
        }
        replicas
    }
}

impl Iterator for ReplicaAssignment {
    type Item = (PartitionId, Vec<BrokerId>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.next_partition >= self.end_partition {
            return None;
        }
        let partition = self.next_partition;
        let n = self.layout.brokers.len() as i64;
        if partition > 0 && partition % n == 0 {
            self.next_replica_shift += 1;
        }
        let first_replica_index = ((partition + self.start_index) % n) as usize;
        let replicas = match &self.layout.racks {
            None => self.rack_unaware(first_replica_index),
            Some(racks) => self.rack_aware(first_replica_index, racks),
        };
        self.next_partition += 1;
        // At most i32::MAX (checked when the assignment was made), so it fits a u32.
        Some((PartitionId(partition as u32), replicas))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = (self.end_partition - self.next_partition) as usize;
        (left, Some(left))
    }
}

impl ExactSizeIterator for ReplicaAssignment {}

#[cfg(test)]
mod tests;
