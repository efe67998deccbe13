//! Partition assignors: given a group's members, their subscriptions and what they own now,
//! decide which member consumes which partition.
//!
//! The results equal Apache Kafka's assignors for the same input (see each module for the
//! Kafka class it ports). The consumer-group coordinator in [`crate::group`] calls
//! [`assign`]; the CLI's `assign` command exposes it directly.

mod range;

use crate::ids::PartitionId;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use thiserror::Error;

/// A partition of a named topic, written `topic-partition` like Kafka's `TopicPartition`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TopicPartition {
    pub topic: String,
    pub partition: PartitionId,
}

impl TopicPartition {
    pub fn new(topic: impl Into<String>, partition: u32) -> Self {
        Self {
            topic: topic.into(),
            partition: PartitionId(partition),
        }
    }
}

impl fmt::Display for TopicPartition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.topic, self.partition.0)
    }
}

impl std::str::FromStr for TopicPartition {
    type Err = AssignorError;

    /// Parses `topic-N`; the topic name may itself contain dashes.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || AssignorError::BadTopicPartition(s.to_string());
        let (topic, partition) = s.rsplit_once('-').ok_or_else(bad)?;
        if topic.is_empty() {
            return Err(bad());
        }
        let partition = partition.parse::<u32>().map_err(|_| bad())?;
        Ok(Self::new(topic, partition))
    }
}

impl Serialize for TopicPartition {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TopicPartition {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Which assignor a group uses (Kafka's `partition.assignment.strategy`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AssignmentStrategy {
    /// `org.apache.kafka.clients.consumer.RangeAssignor`.
    #[default]
    Range,
}

impl AssignmentStrategy {
    /// Cooperative assignors use the incremental rebalance protocol: only the partitions that
    /// move are revoked, in a first round, and assigned in a second.
    pub fn is_cooperative(self) -> bool {
        false
    }
}

/// One member's part of the input: what it subscribes to and what it owned before.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberSubscription {
    pub member_id: String,
    pub topics: Vec<String>,
    #[serde(default)]
    pub owned_partitions: Vec<TopicPartition>,
    /// Generation in which `owned_partitions` were assigned; -1 means none.
    #[serde(default = "no_generation")]
    pub generation: i32,
}

fn no_generation() -> i32 {
    -1
}

/// Everything an assignor sees.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignmentInput {
    /// Partition count per topic.
    pub topics: BTreeMap<String, u32>,
    pub members: Vec<MemberSubscription>,
}

/// The result: every member, with its partitions (possibly none).
pub type Assignment = BTreeMap<String, Vec<TopicPartition>>;

/// Errors from parsing or validating assignor input.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum AssignorError {
    #[error("{0:?} is not a topic partition (expected TOPIC-N)")]
    BadTopicPartition(String),
    #[error("member {0:?} appears twice")]
    DuplicateMember(String),
}

/// Runs the chosen assignor. Members subscribed to topics missing from `input.topics` get
/// nothing for them, as in Kafka where such topics have no metadata.
pub fn assign(
    strategy: AssignmentStrategy,
    input: &AssignmentInput,
) -> Result<Assignment, AssignorError> {
    let mut seen = std::collections::BTreeSet::new();
    for m in &input.members {
        if !seen.insert(m.member_id.as_str()) {
            return Err(AssignorError::DuplicateMember(m.member_id.clone()));
        }
    }
    Ok(match strategy {
        AssignmentStrategy::Range => range::assign(input),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_partition_round_trips_through_text_with_dashes_in_the_name() {
        let tp: TopicPartition = "order-processing.DLQ-2".parse().unwrap();
        assert_eq!(tp, TopicPartition::new("order-processing.DLQ", 2));
        assert_eq!(tp.to_string(), "order-processing.DLQ-2");
        assert!("nodash".parse::<TopicPartition>().is_err());
        assert!("t-x".parse::<TopicPartition>().is_err());
    }
}
