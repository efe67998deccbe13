//! Reaching a partition's leader: the checks (and Kafka's error names) that produce and
//! fetch share. A client sends to the leader in its metadata; it may be stale or dead.

use super::Cluster;
use crate::assignor::TopicPartition;
use crate::cluster::BrokerId;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Why a request did not reach the partition's leader.
#[derive(Clone, Debug, PartialEq, Eq, Error, Serialize, Deserialize)]
pub enum RoutingError {
    /// `UNKNOWN_TOPIC_OR_PARTITION`.
    #[error("UNKNOWN_TOPIC_OR_PARTITION: {partition} does not exist")]
    UnknownTopicOrPartition {
        /// The partition asked for.
        partition: TopicPartition,
    },
    /// The broker is down: the connection fails (the client's `NetworkException`) and the
    /// client retries after refreshing its metadata. Also the answer of a produce request
    /// that was waiting on a leader that died.
    #[error("NETWORK_EXCEPTION: broker {broker} is not reachable")]
    NetworkException {
        /// The broker.
        broker: BrokerId,
    },
    /// The partition has no live leader (it is offline).
    #[error("LEADER_NOT_AVAILABLE: {partition} is offline (no live leader)")]
    LeaderNotAvailable {
        /// The partition.
        partition: TopicPartition,
    },
    /// The broker does not lead the partition (stale metadata, or leadership moved while a
    /// produce request waited). Like Kafka since KIP-951 it names the current leader, so
    /// the retry can follow it. Consumers here fetch from leaders only (KIP-392 follower
    /// fetching is not modelled).
    #[error("NOT_LEADER_OR_FOLLOWER: broker {broker} does not lead {partition} (leader: {})",
        leader.map_or("none".to_string(), |l| l.to_string()))]
    NotLeaderOrFollower {
        /// The partition.
        partition: TopicPartition,
        /// The broker that was asked.
        broker: BrokerId,
        /// The current leader, if any.
        leader: Option<BrokerId>,
    },
}

impl Cluster {
    /// The partition's leader, if `broker` is it and runs; Kafka's error otherwise.
    pub(super) fn route(
        &self,
        partition: &TopicPartition,
        broker: BrokerId,
    ) -> Result<BrokerId, RoutingError> {
        let leader = self.partitions.get(partition).map(|p| p.leader);
        route_to(partition, leader, self.is_alive(broker), broker)
    }
}

/// [`Cluster::route`] over what it reads: the partition's leader (`None`: no such
/// partition) and whether `broker` runs.
#[inline(never)]
pub(super) fn route_to(
    partition: &TopicPartition,
    leader: Option<Option<BrokerId>>,
    alive: bool,
    broker: BrokerId,
) -> Result<BrokerId, RoutingError> {
    let leader = leader.ok_or_else(|| RoutingError::UnknownTopicOrPartition {
        partition: partition.clone(),
    })?;
    if !alive {
        return Err(RoutingError::NetworkException { broker });
    }
    let leader = leader.ok_or_else(|| RoutingError::LeaderNotAvailable {
        partition: partition.clone(),
    })?;
    if leader != broker {
        return Err(RoutingError::NotLeaderOrFollower {
            partition: partition.clone(),
            broker,
            leader: Some(leader),
        });
    }
    Ok(leader)
}
