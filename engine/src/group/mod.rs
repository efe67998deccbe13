//! Consumer groups: members, rebalances, fetching, processing, commits and offset resets.
//!
//! A [`ConsumerGroup`] subscribes to topics and spreads their partitions over its members
//! with an [`AssignmentStrategy`]. Its life follows Kafka's group coordinator:
//!
//! - **Membership.** Members join (static members with a `group.instance.id`, see
//!   `static_membership`), leave gracefully (they finish their current batch, commit
//!   and leave; the coordinator rebalances at once) or are killed (they stop; the coordinator
//!   notices only when no heartbeat came for `session_timeout_ticks`).
//! - **Rebalance.** A change in membership starts a rebalance that lasts at least
//!   `rebalance_ticks` and waits for every member to rejoin (a dead member holds it up until
//!   its session times out). Each completed round bumps the *generation*.
//!   - *Eager* protocol: every member revokes all its partitions first (after finishing the
//!     batch in hand), so the whole group stops consuming until the new assignment.
//!   - *Cooperative* protocol (when [`AssignmentStrategy::is_cooperative`]): members keep
//!     consuming; the assignment is computed from what they own, only partitions that move
//!     are revoked, and they are handed over in a second round once revoked.
//! - **Consumption.** A member polls up to `max_poll_records` from its partitions, spends
//!   `processing_ticks_per_record` on each, and commits according to the [`CommitPolicy`].
//!   The committed offset is the next offset to read. Records processed but not committed
//!   when a member dies are redelivered (duplicates); records committed but not processed are
//!   lost.
//! - **Offsets.** [`OffsetResetSpec`] resets committed offsets like `kafka-consumer-groups
//!   --reset-offsets`, only while the group has no members.
//!
//! The group's code is split by concept: `config` (settings), `membership` (join, leave,
//! kill, session timeouts), `static_membership` (`group.instance.id`), `rebalance` (rounds and assignments), `consume` (the tick and
//! each member's loop), `poll` (fetching into the batch), `processing` (one record through
//! the processor), `offsets` (commits, lag, resets) and `snapshot` (read-only views).
//!
//! [`AssignmentStrategy`]: crate::assignor::AssignmentStrategy
//! [`AssignmentStrategy::is_cooperative`]: crate::assignor::AssignmentStrategy::is_cooperative

mod config;
mod consume;
mod membership;
mod offsets;
mod poll;
mod processing;
mod rebalance;
mod snapshot;
mod static_membership;

pub use config::{AutoOffsetReset, CommitPolicy, GroupConfig};
// The protocol's vocabulary lives below the trace; re-exported where it is used most.
pub use crate::group_protocol::{CommitReason, OffsetResetSpec, Protocol, RebalanceReason};
pub use snapshot::{GroupSnapshot, MemberSnapshot, PartitionSnapshot};

use crate::assignor::TopicPartition;
use crate::ids::{MemberId, Offset, Tick};
use crate::lag::LagHistory;
use crate::trace::TraceEvent;
use crate::world::World;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;
use thiserror::Error;

/// Errors from group commands.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum GroupError {
    #[error("Assignments can only be reset if the group '{group}' is inactive, but the current state is {state} ({members} members). Stop or kill its consumers and wait for the session timeout first.")]
    /// Offsets can only be reset while the group has no members (Kafka's rule).
    GroupNotInactive {
        /// The consumer group.
        group: String,
        /// The group's state.
        state: GroupState,
        /// Its members.
        members: usize,
    },
    #[error("group {group:?} has no member {member:?}")]
    /// No such member in the group.
    UnknownMember {
        /// The consumer group.
        group: String,
        /// The member.
        member: MemberId,
    },
    #[error("group {group:?} already has a member {member:?}")]
    /// A member with this id is already in the group.
    MemberExists {
        /// The consumer group.
        group: String,
        /// The member.
        member: MemberId,
    },
    #[error("FENCED_INSTANCE_ID: group.instance.id {instance_id:?} of group {group:?} is in use by the live member {member:?}")]
    /// A static member's instance id is held by a member that is alive.
    InstanceIdInUse {
        /// The consumer group.
        group: String,
        /// The instance id.
        instance_id: String,
        /// The member holding it.
        member: MemberId,
    },
    #[error("member {member:?} of group {group:?} is dead (killed at tick {since})")]
    /// The member is dead.
    MemberDead {
        /// The consumer group.
        group: String,
        /// The member.
        member: MemberId,
        /// The tick it was killed.
        since: Tick,
    },
    #[error("member {member:?} of group {group:?} was killed at tick {since} and stays in the group until its session times out at tick {expires}; join under another name or wait")]
    /// A dead member with this id still holds its place until its session times out.
    MemberStillDead {
        /// The consumer group.
        group: String,
        /// The member.
        member: MemberId,
        /// The tick it was killed.
        since: Tick,
        /// The tick its session times out.
        expires: Tick,
    },
    #[error("group {group:?} does not subscribe to topic {topic:?}")]
    /// The group is not subscribed to the topic.
    NotSubscribed {
        /// The consumer group.
        group: String,
        /// The topic.
        topic: String,
    },
    #[error("a group needs at least one topic")]
    /// A group needs at least one topic.
    NoTopics,
    #[error("max_poll_records must be at least 1, not {value}")]
    /// `max_poll_records` must be at least 1.
    MaxPollRecords {
        /// The value given.
        value: u32,
    },
    #[error("session_timeout_ticks must be at least 1, not {value}")]
    /// `session_timeout_ticks` must be at least 1.
    SessionTimeout {
        /// The value given.
        value: u64,
    },
    #[error("auto-commit interval_ticks must be at least 1, not {value}")]
    /// The auto-commit interval must be at least 1 tick.
    AutoCommitInterval {
        /// The value given.
        value: u64,
    },
}

/// The coordinator's view of a group (Kafka's group states).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupState {
    /// No members.
    Empty,
    /// Members are consuming their assignment.
    Stable,
    /// A rebalance round is under way.
    PreparingRebalance,
}

impl std::fmt::Display for GroupState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            GroupState::Empty => "Empty",
            GroupState::Stable => "Stable",
            GroupState::PreparingRebalance => "PreparingRebalance",
        })
    }
}

/// Whether a member runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MemberStatus {
    /// Running.
    Alive,
    /// Killed; still counted as a member until the session timeout.
    Dead {
        /// The tick it was killed.
        since: Tick,
    },
    /// Leaving gracefully: finishing its batch before it goes.
    Leaving,
}

/// Running totals of a group.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupCounters {
    /// Records processed (including duplicates).
    pub processed: u64,
    /// Records processed again after a redelivery.
    pub duplicates: u64,
    /// Records committed but never processed.
    pub lost: u64,
    /// Records the processor gave up on.
    pub failed: u64,
    /// Blocking retries asked for by the processor.
    pub retries: u64,
    /// Commits made.
    pub commits: u64,
    /// Rebalances completed.
    pub rebalances: u64,
}

/// A contiguous run of fetched records of one partition, waiting to be processed.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Run {
    partition: TopicPartition,
    next: Offset,
    end: Offset,
}

#[derive(Clone, Debug)]
struct Member {
    id: MemberId,
    /// The same name, shared by the `Processed` event of every record it processes.
    trace_id: Arc<str>,
    /// Join order: the coordinator lists members to the assignor in this order.
    joined_seq: u64,
    status: MemberStatus,
    owned: BTreeSet<TopicPartition>,
    /// Generation in which `owned` was assigned (-1: never).
    generation: i32,
    /// Eager protocol: what it owned before revoking, for sticky assignors' user data.
    previous_owned: BTreeSet<TopicPartition>,
    pending_revocation: BTreeSet<TopicPartition>,
    /// Fetch position per owned partition (next offset a poll returns).
    positions: BTreeMap<TopicPartition, Offset>,
    batch: VecDeque<Run>,
    /// When the head record of the batch finishes processing.
    head_ready_at: Tick,
    head_attempt: u32,
    last_auto_commit: Tick,
    /// Rotates the partition a poll starts with, for fairness.
    poll_cursor: usize,
    processed: u64,
    /// Overrides the group's processing time for this member (a slow or fast instance).
    processing_ticks_per_record: Option<u64>,
    /// `group.instance.id` of a static member.
    instance_id: Option<String>,
}

impl Member {
    fn new(id: MemberId, now: Tick, joined_seq: u64) -> Self {
        Self {
            trace_id: Arc::from(id.as_str()),
            id,
            joined_seq,
            status: MemberStatus::Alive,
            owned: BTreeSet::new(),
            generation: -1,
            previous_owned: BTreeSet::new(),
            pending_revocation: BTreeSet::new(),
            positions: BTreeMap::new(),
            batch: VecDeque::new(),
            head_ready_at: now,
            head_attempt: 1,
            last_auto_commit: now,
            poll_cursor: 0,
            processed: 0,
            processing_ticks_per_record: None,
            instance_id: None,
        }
    }

    /// The head record left the batch: the next one is ready after this member's
    /// processing time (its own, or the group's `group_ticks`).
    fn next_ready(&mut self, now: Tick, group_ticks: u64) {
        let ticks = self.processing_ticks_per_record.unwrap_or(group_ticks);
        self.head_ready_at = Tick(now.0.saturating_add(ticks));
    }

    fn batch_len(&self) -> u64 {
        self.batch.iter().map(|r| r.end.0 - r.next.0).sum()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Phase {
    Empty,
    Stable,
    Preparing { ends_at: Tick },
}

/// A consumer group and its coordinator state.
#[derive(Clone, Debug)]
pub struct ConsumerGroup {
    config: GroupConfig,
    /// The group id, shared by the `Processed` event of every record it processes.
    trace_name: Arc<str>,
    phase: Phase,
    generation: i32,
    members: BTreeMap<MemberId, Member>,
    committed: BTreeMap<TopicPartition, Offset>,
    /// Per partition, one past the highest offset ever processed (since the last reset).
    processed_high: BTreeMap<TopicPartition, Offset>,
    /// Cooperative: a second round is due once pending revocations are done.
    follow_up_due: bool,
    /// Next join sequence number.
    next_join_seq: u64,
    counters: GroupCounters,
    lag_history: LagHistory,
}

impl ConsumerGroup {
    /// A new group with no members.
    pub fn new(config: GroupConfig) -> Result<Self, GroupError> {
        if config.topics.is_empty() {
            return Err(GroupError::NoTopics);
        }
        if config.max_poll_records == 0 {
            return Err(GroupError::MaxPollRecords { value: 0 });
        }
        if config.session_timeout_ticks == 0 {
            return Err(GroupError::SessionTimeout { value: 0 });
        }
        if let CommitPolicy::AutoCommit { interval_ticks: 0 } = config.commit_policy {
            return Err(GroupError::AutoCommitInterval { value: 0 });
        }
        Ok(Self {
            trace_name: Arc::from(config.name.as_str()),
            config,
            phase: Phase::Empty,
            generation: 0,
            members: BTreeMap::new(),
            committed: BTreeMap::new(),
            processed_high: BTreeMap::new(),
            follow_up_due: false,
            next_join_seq: 0,
            counters: GroupCounters::default(),
            lag_history: LagHistory::default(),
        })
    }

    /// The group id.
    pub fn name(&self) -> &str {
        &self.config.name
    }

    /// Its settings.
    pub fn config(&self) -> &GroupConfig {
        &self.config
    }

    /// The current generation.
    pub fn generation(&self) -> i32 {
        self.generation
    }

    /// Its state: empty, stable or rebalancing.
    pub fn state(&self) -> GroupState {
        match self.phase {
            Phase::Empty => GroupState::Empty,
            Phase::Stable => GroupState::Stable,
            Phase::Preparing { .. } => GroupState::PreparingRebalance,
        }
    }

    /// Its running totals.
    pub fn counters(&self) -> GroupCounters {
        self.counters
    }

    /// Committed offset of a partition, if any.
    pub fn committed(&self, partition: &TopicPartition) -> Option<Offset> {
        self.committed.get(partition).copied()
    }

    /// All committed offsets.
    pub fn committed_offsets(&self) -> &BTreeMap<TopicPartition, Offset> {
        &self.committed
    }

    /// The lag history for charts.
    pub fn lag_history(&self) -> &LagHistory {
        &self.lag_history
    }

    /// Members in id order.
    pub fn member_ids(&self) -> impl Iterator<Item = &MemberId> {
        self.members.keys()
    }

    /// The owner of a partition, if any (at most one by construction).
    pub fn owner(&self, partition: &TopicPartition) -> Option<&MemberId> {
        self.members
            .values()
            .find(|m| m.owned.contains(partition))
            .map(|m| &m.id)
    }

    fn trace(&self, world: &mut World<'_>, event: TraceEvent) {
        world.trace.push(event);
    }

    /// Changes processing time and poll size (they apply from the next record and poll).
    pub(crate) fn configure(
        &mut self,
        processing_ticks_per_record: Option<u64>,
        max_poll_records: Option<u32>,
    ) -> Result<(), GroupError> {
        if max_poll_records == Some(0) {
            return Err(GroupError::MaxPollRecords { value: 0 });
        }
        if let Some(ticks) = processing_ticks_per_record {
            self.config.processing_ticks_per_record = ticks;
        }
        if let Some(records) = max_poll_records {
            self.config.max_poll_records = records;
        }
        Ok(())
    }

    /// Sets (or with `None` clears) one member's own processing time.
    pub(crate) fn configure_member(
        &mut self,
        member: &MemberId,
        processing_ticks_per_record: Option<u64>,
    ) -> Result<(), GroupError> {
        let m = self.alive_member(member)?;
        m.processing_ticks_per_record = processing_ticks_per_record;
        Ok(())
    }

    /// Processing time per record of a member: its own, or the group's.
    fn processing_ticks(&self, member: &MemberId) -> u64 {
        self.members
            .get(member)
            .and_then(|m| m.processing_ticks_per_record)
            .unwrap_or(self.config.processing_ticks_per_record)
    }
}
