//! Read-only views of a group for the UI, the CLI summary and tests.

use super::{ConsumerGroup, GroupCounters, GroupState, MemberStatus};
use crate::assignor::{AssignmentStrategy, TopicPartition};
use crate::group::CommitPolicy;
use crate::group_protocol::Protocol;
use crate::ids::{MemberId, Offset};
use crate::topic::Topic;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One member as the UI sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberSnapshot {
    /// The member id.
    pub id: MemberId,
    /// Whether it runs.
    pub status: MemberStatus,
    /// Partitions it owns (an idle member owns none).
    pub owned: Vec<TopicPartition>,
    /// Partitions it is about to give up.
    pub pending_revocation: Vec<TopicPartition>,
    /// The generation its assignment belongs to (-1: never assigned).
    pub generation: i32,
    /// Ticks this member spends per record (its own setting or the group's).
    pub processing_ticks_per_record: u64,
    /// Fetched records not processed yet.
    pub in_flight: u64,
    /// The record being processed now, if any.
    pub processing: Option<(TopicPartition, Offset)>,
    /// Records it processed.
    pub processed: u64,
}

/// One partition as a group sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionSnapshot {
    /// The topic partition.
    pub partition: TopicPartition,
    /// The first offset still in the log.
    pub log_start_offset: Offset,
    /// The next offset to be written.
    pub high_watermark: Offset,
    /// Next offset the group will read after a restart; `None` if never committed.
    pub committed: Option<Offset>,
    /// The owner's fetch position, if owned.
    pub position: Option<Offset>,
    /// High watermark minus committed offset (never negative).
    pub lag: u64,
    /// The member that owns it (`None`: unassigned).
    pub owner: Option<MemberId>,
}

/// A read-only view of a group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupSnapshot {
    /// The group id.
    pub name: String,
    /// The subscribed topics.
    pub topics: Vec<String>,
    /// Its state: empty, stable or rebalancing.
    pub state: GroupState,
    /// Eager or cooperative.
    pub protocol: Protocol,
    /// The assignor.
    pub strategy: AssignmentStrategy,
    /// When offsets are committed.
    pub commit_policy: CommitPolicy,
    /// The current generation.
    pub generation: i32,
    /// Its members, in join order.
    pub members: Vec<MemberSnapshot>,
    /// Every subscribed partition.
    pub partitions: Vec<PartitionSnapshot>,
    /// Lag summed over partitions.
    pub total_lag: u64,
    /// Its running totals.
    pub counters: GroupCounters,
}

impl ConsumerGroup {
    /// A read-only view for the UI.
    pub fn snapshot(&self, topics: &BTreeMap<String, Topic>) -> GroupSnapshot {
        let members = self
            .members
            .values()
            .map(|m| MemberSnapshot {
                id: m.id.clone(),
                status: m.status,
                owned: m.owned.iter().cloned().collect(),
                pending_revocation: m.pending_revocation.iter().cloned().collect(),
                generation: m.generation,
                processing_ticks_per_record: m
                    .processing_ticks_per_record
                    .unwrap_or(self.config.processing_ticks_per_record),
                in_flight: m.batch_len(),
                processing: m.batch.front().map(|r| (r.partition.clone(), r.next)),
                processed: m.processed,
            })
            .collect();
        let partitions: Vec<PartitionSnapshot> = self
            .partition_list(topics)
            .into_iter()
            .map(|tp| {
                let log = topics[&*tp.topic].partition(tp.partition).expect("exists");
                let owner = self.owner(&tp).cloned();
                let position = owner
                    .as_ref()
                    .and_then(|o| self.members[o].positions.get(&tp).copied());
                PartitionSnapshot {
                    log_start_offset: log.log_start_offset(),
                    high_watermark: log.high_watermark(),
                    committed: self.committed.get(&tp).copied(),
                    position,
                    lag: self.lag_of(topics, &tp),
                    owner,
                    partition: tp,
                }
            })
            .collect();
        GroupSnapshot {
            name: self.config.name.clone(),
            topics: self.config.topics.clone(),
            state: self.state(),
            protocol: self.config.protocol(),
            strategy: self.config.strategy,
            commit_policy: self.config.commit_policy,
            generation: self.generation,
            members,
            total_lag: partitions.iter().map(|p| p.lag).sum(),
            partitions,
            counters: self.counters,
        }
    }
}
