//! Consumer groups: members, rebalances, fetching, processing, commits and offset resets.
//!
//! A [`ConsumerGroup`] subscribes to topics and spreads their partitions over its members
//! with an [`AssignmentStrategy`]. Its life follows Kafka's group coordinator:
//!
//! - **Membership.** Members join, leave gracefully (they finish their current batch, commit
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

use crate::assignor::{
    assign, assign_detailed, AssignmentInput, AssignmentStrategy, MemberSubscription,
    TopicPartition,
};
use crate::ids::{MemberId, Offset, PartitionId, Tick};
use crate::lag::{LagHistory, LagSample};
use crate::process::{Delivery, ProcessOutcome, Processor};
use crate::sim::World;
use crate::topic::Topic;
use crate::trace::{CommittedOffset, OffsetChange, TraceEvent};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use thiserror::Error;

/// Rebalance protocol, decided by the strategy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Protocol {
    /// Revoke everything, then assign (Kafka's original protocol).
    Eager,
    /// Revoke only what moves, in two rounds (KIP-429).
    Cooperative,
}

/// When a group commits its offsets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CommitPolicy {
    /// `enable.auto.commit=true`: each poll commits the positions of what earlier polls
    /// returned (all processed by then), at most every `interval_ticks`; also on revocation
    /// and on leaving.
    AutoCommit {
        /// Ticks between auto-commits at least.
        interval_ticks: u64,
    },
    /// At-least-once: process the whole batch, then commit.
    #[default]
    AfterProcessing,
    /// At-most-once: commit right after the poll, then process.
    BeforeProcessing,
}

/// Kafka's `auto.offset.reset`: where to start without a valid committed offset.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AutoOffsetReset {
    #[default]
    /// The log start offset.
    Earliest,
    /// The high watermark: only new records.
    Latest,
}

/// A group's settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupConfig {
    /// The group id.
    pub name: String,
    /// Subscribed topics.
    pub topics: Vec<String>,
    #[serde(default)]
    /// The assignor that spreads partitions over members.
    pub strategy: AssignmentStrategy,
    #[serde(default)]
    /// When offsets are committed.
    pub commit_policy: CommitPolicy,
    #[serde(default)]
    /// Where to start without a valid committed offset.
    pub auto_offset_reset: AutoOffsetReset,
    #[serde(default = "default_max_poll_records")]
    /// Records one poll returns at most.
    pub max_poll_records: u32,
    #[serde(default = "default_processing_ticks")]
    /// Ticks a member spends on each record.
    pub processing_ticks_per_record: u64,
    #[serde(default = "default_session_timeout_ticks")]
    /// Ticks without a heartbeat after which a member is dead.
    pub session_timeout_ticks: u64,
    /// Minimum length of one rebalance round.
    #[serde(default = "default_rebalance_ticks")]
    pub rebalance_ticks: u64,
}

fn default_max_poll_records() -> u32 {
    10
}
fn default_processing_ticks() -> u64 {
    1
}
fn default_session_timeout_ticks() -> u64 {
    10
}
fn default_rebalance_ticks() -> u64 {
    2
}

impl GroupConfig {
    /// A group on `topics` with default settings (range, at-least-once, earliest).
    pub fn new(name: impl Into<String>, topics: Vec<String>) -> Self {
        Self {
            name: name.into(),
            topics,
            strategy: AssignmentStrategy::default(),
            commit_policy: CommitPolicy::default(),
            auto_offset_reset: AutoOffsetReset::default(),
            max_poll_records: default_max_poll_records(),
            processing_ticks_per_record: default_processing_ticks(),
            session_timeout_ticks: default_session_timeout_ticks(),
            rebalance_ticks: default_rebalance_ticks(),
        }
    }

    /// The rebalance protocol of the configured strategy.
    pub fn protocol(&self) -> Protocol {
        if self.strategy.is_cooperative() {
            Protocol::Cooperative
        } else {
            Protocol::Eager
        }
    }
}

/// Why a rebalance started.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RebalanceReason {
    /// A member joined.
    MemberJoined {
        /// The member.
        member: MemberId,
    },
    /// A member left gracefully.
    MemberLeft {
        /// The member.
        member: MemberId,
    },
    /// A dead member's session timed out.
    MemberTimedOut {
        /// The member.
        member: MemberId,
    },
    /// Cooperative protocol: partitions were revoked in the first round; the second round
    /// hands them to their new owners.
    CooperativeFollowUp,
    /// A subscribed topic gained partitions (the leader noticed on a metadata refresh).
    PartitionsAdded {
        /// The topic whose partition count changed.
        topic: String,
        /// Its new partition count.
        partitions: u32,
    },
}

/// Why a commit happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommitReason {
    /// Committed by the auto-commit in a poll.
    AutoCommit,
    /// Committed after processing a batch.
    AfterProcessing,
    /// Committed right after the poll.
    BeforeProcessing,
    /// Committing what was processed before giving partitions up.
    Revocation,
    /// Committing before leaving the group.
    Leave,
}

/// How to reset a group's committed offsets (the options of `kafka-consumer-groups
/// --reset-offsets`). Results are clamped to the log's range, as Kafka does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OffsetResetSpec {
    /// `--to-earliest`: the log start offset.
    ToEarliest,
    /// `--to-latest`: the high watermark.
    ToLatest,
    /// `--to-offset`.
    ToOffset {
        /// The offset.
        offset: Offset,
    },
    /// `--shift-by`: the committed offset plus `by` (may be negative).
    ShiftBy {
        /// Records to move (negative: back).
        by: i64,
    },
    /// `--to-datetime`: the first record at or after `tick`.
    ToTick {
        /// The tick.
        tick: Tick,
    },
    /// `--by-duration`: the first record at or after `now - ticks`.
    ByDuration {
        /// How far back, in ticks.
        ticks: u64,
    },
}

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
}

impl Member {
    fn new(id: MemberId, now: Tick, joined_seq: u64) -> Self {
        Self {
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
        }
    }

    fn batch_len(&self) -> u64 {
        self.batch.iter().map(|r| r.end.0 - r.next.0).sum()
    }
}

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

    // ----- membership -------------------------------------------------------------------

    /// A new member joins; a rebalance starts.
    pub(crate) fn join(
        &mut self,
        world: &mut World<'_>,
        member: MemberId,
    ) -> Result<(), GroupError> {
        if let Some(MemberStatus::Dead { since }) = self.members.get(&member).map(|m| m.status) {
            return Err(GroupError::MemberStillDead {
                group: self.config.name.clone(),
                member,
                since,
                expires: Tick(since.0.saturating_add(self.config.session_timeout_ticks)),
            });
        }
        if self.members.contains_key(&member) {
            return Err(GroupError::MemberExists {
                group: self.config.name.clone(),
                member,
            });
        }
        self.members.insert(
            member.clone(),
            Member::new(member.clone(), world.now, self.next_join_seq),
        );
        self.next_join_seq += 1;
        self.trace(
            world,
            TraceEvent::MemberJoined {
                tick: world.now,
                group: self.config.name.clone(),
                member: member.clone(),
            },
        );
        self.start_rebalance(world, RebalanceReason::MemberJoined { member });
        Ok(())
    }

    fn alive_member(&mut self, member: &MemberId) -> Result<&mut Member, GroupError> {
        let group = self.config.name.clone();
        let m = self
            .members
            .get_mut(member)
            .ok_or_else(|| GroupError::UnknownMember {
                group: group.clone(),
                member: member.clone(),
            })?;
        if let MemberStatus::Dead { since } = m.status {
            return Err(GroupError::MemberDead {
                group,
                member: member.clone(),
                since,
            });
        }
        Ok(m)
    }

    /// A member leaves gracefully: it finishes its batch, commits and goes; the group
    /// rebalances at once.
    pub(crate) fn leave(
        &mut self,
        world: &mut World<'_>,
        member: &MemberId,
    ) -> Result<(), GroupError> {
        let m = self.alive_member(member)?;
        m.status = MemberStatus::Leaving;
        if m.batch.is_empty() {
            self.finish_leaving(world, member);
        }
        Ok(())
    }

    fn finish_leaving(&mut self, world: &mut World<'_>, member: &MemberId) {
        let owned: Vec<TopicPartition> = self.members[member].owned.iter().cloned().collect();
        self.commit(world, member, CommitReason::Leave, &owned);
        self.members.remove(member);
        self.trace(
            world,
            TraceEvent::MemberLeft {
                tick: world.now,
                group: self.config.name.clone(),
                member: member.clone(),
            },
        );
        self.start_rebalance(
            world,
            RebalanceReason::MemberLeft {
                member: member.clone(),
            },
        );
    }

    /// A member crashes: its unprocessed batch is gone; committed-but-unprocessed records
    /// are lost. The coordinator notices after the session timeout.
    pub(crate) fn kill(
        &mut self,
        world: &mut World<'_>,
        member: &MemberId,
    ) -> Result<(), GroupError> {
        let now = world.now;
        let m = self.alive_member(member)?;
        m.status = MemberStatus::Dead { since: now };
        let batch: Vec<Run> = m.batch.drain(..).collect();
        m.pending_revocation.clear();
        let abandoned: u64 = batch.iter().map(|r| r.end.0 - r.next.0).sum();
        self.trace(
            world,
            TraceEvent::MemberKilled {
                tick: now,
                group: self.config.name.clone(),
                member: member.clone(),
                abandoned_records: abandoned,
            },
        );
        for run in batch {
            let committed = self
                .committed
                .get(&run.partition)
                .copied()
                .unwrap_or_default();
            let lost_end = run.end.min(committed);
            if lost_end > run.next {
                self.counters.lost += lost_end.0 - run.next.0;
                self.trace(
                    world,
                    TraceEvent::RecordsLost {
                        tick: now,
                        group: self.config.name.clone(),
                        member: member.clone(),
                        topic: run.partition.topic.clone(),
                        partition: run.partition.partition,
                        from_offset: run.next,
                        to_offset: lost_end,
                    },
                );
            }
        }
        Ok(())
    }

    // ----- rebalancing ------------------------------------------------------------------

    fn start_rebalance(&mut self, world: &mut World<'_>, reason: RebalanceReason) {
        if let Phase::Preparing { .. } = self.phase {
            // Already rebalancing: the round in progress picks up the change.
            return;
        }
        // Durations come from strangers' links and files and may be u64::MAX: every deadline
        // saturates, and one past the end of time simply never comes (found by the fuzz).
        self.phase = Phase::Preparing {
            ends_at: Tick(world.now.0.saturating_add(self.config.rebalance_ticks)),
        };
        self.counters.rebalances += 1;
        let protocol = self.config.protocol();
        self.trace(
            world,
            TraceEvent::RebalanceStarted {
                tick: world.now,
                group: self.config.name.clone(),
                generation: self.generation,
                protocol,
                reason,
            },
        );
        if protocol == Protocol::Eager {
            for m in self.members.values_mut() {
                m.previous_owned = m.owned.clone();
                if m.status != MemberStatus::Leaving
                    && !matches!(m.status, MemberStatus::Dead { .. })
                {
                    m.pending_revocation = m.owned.clone();
                }
            }
            // Members with nothing in hand revoke at once.
            let ids: Vec<MemberId> = self.members.keys().cloned().collect();
            for id in ids {
                if self.members[&id].batch.is_empty() {
                    self.revoke_pending(world, &id);
                }
            }
        }
    }

    /// A subscribed topic's partition count changed: rebalance if the group has members.
    pub(crate) fn topic_metadata_changed(
        &mut self,
        world: &mut World<'_>,
        topic: &str,
        partitions: u32,
    ) {
        if self.members.is_empty() || !self.config.topics.iter().any(|t| t == topic) {
            return;
        }
        self.start_rebalance(
            world,
            RebalanceReason::PartitionsAdded {
                topic: topic.to_string(),
                partitions,
            },
        );
    }

    fn revoke_pending(&mut self, world: &mut World<'_>, member: &MemberId) {
        let revoked: Vec<TopicPartition> = {
            let m = &self.members[member];
            m.pending_revocation.iter().cloned().collect()
        };
        if revoked.is_empty() {
            return;
        }
        self.commit(world, member, CommitReason::Revocation, &revoked);
        let m = self.members.get_mut(member).expect("member exists");
        for tp in &revoked {
            m.owned.remove(tp);
            m.positions.remove(tp);
        }
        m.pending_revocation.clear();
        self.trace(
            world,
            TraceEvent::PartitionsRevoked {
                tick: world.now,
                group: self.config.name.clone(),
                member: member.clone(),
                partitions: revoked,
            },
        );
    }

    fn rebalance_barrier_passed(&self, now: Tick) -> bool {
        let Phase::Preparing { ends_at } = self.phase else {
            return false;
        };
        if now < ends_at {
            return false;
        }
        // Every member must rejoin: dead ones hold the round up until they time out, and
        // under the eager protocol everyone must have revoked first.
        self.members.values().all(|m| match m.status {
            // A leaving member still owns partitions until its batch is done.
            MemberStatus::Dead { .. } | MemberStatus::Leaving => false,
            MemberStatus::Alive => {
                m.pending_revocation.is_empty() || self.config.protocol() == Protocol::Cooperative
            }
        })
    }

    fn subscribed_topics(&self, world: &World<'_>) -> BTreeMap<String, u32> {
        self.config
            .topics
            .iter()
            .filter_map(|t| {
                world
                    .topics
                    .get(t)
                    .map(|topic| (t.clone(), topic.partition_count()))
            })
            .collect()
    }

    fn complete_rebalance(&mut self, world: &mut World<'_>) {
        self.generation += 1;
        let protocol = self.config.protocol();
        // Leaving members are not part of the new generation.
        // In join order: Kafka's leader sees the members in the order they joined, and the
        // sticky assignors' tie-breaks depend on it.
        let mut alive: Vec<&Member> = self
            .members
            .values()
            .filter(|m| m.status == MemberStatus::Alive)
            .collect();
        alive.sort_by_key(|m| m.joined_seq);
        let joined: Vec<MemberId> = alive.into_iter().map(|m| m.id.clone()).collect();
        let mut revoked: BTreeMap<MemberId, Vec<TopicPartition>> = BTreeMap::new();
        let mut assigned: BTreeMap<MemberId, Vec<TopicPartition>> = BTreeMap::new();
        let mut withheld: BTreeMap<TopicPartition, MemberId> = BTreeMap::new();
        if joined.is_empty() {
            self.phase = Phase::Empty;
        } else {
            let input = AssignmentInput {
                topics: self.subscribed_topics(world),
                members: joined
                    .iter()
                    .map(|id| {
                        let m = &self.members[id];
                        MemberSubscription {
                            member_id: id.0.clone(),
                            topics: self.config.topics.clone(),
                            owned_partitions: match protocol {
                                Protocol::Eager => m.previous_owned.iter().cloned().collect(),
                                Protocol::Cooperative => m.owned.iter().cloned().collect(),
                            },
                            generation: m.generation,
                            // Static membership in groups comes with #13's later part.
                            group_instance_id: None,
                        }
                    })
                    .collect(),
            };
            let (target, kafka_withheld) = match assign_detailed(self.config.strategy, &input) {
                Ok(outcome) => (outcome.assignment, outcome.withheld),
                Err(error) => {
                    // Kafka's own assignor throws on a few inputs; the rebalance then fails.
                    // The simulation says so and falls back to the range assignor, which
                    // always succeeds, rather than leave the group without an assignment.
                    self.trace(
                        world,
                        TraceEvent::AssignorFailed {
                            tick: world.now,
                            group: self.config.name.clone(),
                            strategy: self.config.strategy,
                            error: error.to_string(),
                        },
                    );
                    let target = assign(AssignmentStrategy::Range, &input)
                        .expect("the range assignor accepts any input with unique members");
                    (target, BTreeMap::new())
                }
            };
            // Partitions someone still owns cannot be handed out yet (cooperative).
            let claimed: BTreeSet<TopicPartition> = self
                .members
                .values()
                .flat_map(|m| m.owned.iter().cloned())
                .collect();
            for id in &joined {
                let want: BTreeSet<TopicPartition> = target
                    .get(&id.0)
                    .map(|v| v.iter().cloned().collect())
                    .unwrap_or_default();
                let m = self.members.get_mut(id).expect("joined member");
                match protocol {
                    Protocol::Eager => {
                        let gained: Vec<TopicPartition> = want.iter().cloned().collect();
                        if !m.previous_owned.is_empty() {
                            revoked.insert(id.clone(), m.previous_owned.iter().cloned().collect());
                        }
                        m.previous_owned.clear();
                        m.owned = want;
                        if !gained.is_empty() {
                            assigned.insert(id.clone(), gained);
                        }
                    }
                    Protocol::Cooperative => {
                        let give_up: BTreeSet<TopicPartition> =
                            m.owned.difference(&want).cloned().collect();
                        let mut gained = Vec::new();
                        for tp in want.difference(&m.owned) {
                            if claimed.contains(tp) {
                                withheld.insert(tp.clone(), id.clone());
                            } else {
                                gained.push(tp.clone());
                            }
                        }
                        m.owned.extend(gained.iter().cloned());
                        if !give_up.is_empty() {
                            revoked.insert(id.clone(), give_up.iter().cloned().collect());
                        }
                        m.pending_revocation = give_up;
                        if !gained.is_empty() {
                            assigned.insert(id.clone(), gained);
                        }
                    }
                }
                m.generation = self.generation;
            }
            if protocol == Protocol::Cooperative {
                // A cooperative assignor leaves out partitions that change owner; they are
                // revoked now and assigned in the follow-up round.
                for (tp, member) in kafka_withheld {
                    withheld.insert(tp, MemberId(member));
                }
            }
            self.follow_up_due =
                protocol == Protocol::Cooperative && (!revoked.is_empty() || !withheld.is_empty());
            self.phase = Phase::Stable;
            // Fetch positions for what was gained.
            for (id, tps) in assigned.clone() {
                for tp in tps {
                    let position = self.initial_position(world, &id, &tp);
                    self.members
                        .get_mut(&id)
                        .expect("member")
                        .positions
                        .insert(tp, position);
                }
            }
        }
        let assignment = self
            .members
            .values()
            .filter(|m| m.status == MemberStatus::Alive)
            .map(|m| (m.id.clone(), m.owned.iter().cloned().collect()))
            .collect();
        self.trace(
            world,
            TraceEvent::RebalanceCompleted {
                tick: world.now,
                group: self.config.name.clone(),
                generation: self.generation,
                protocol,
                assignment,
                revoked,
                assigned,
                withheld,
            },
        );
    }

    /// Where a member starts reading a newly assigned partition.
    fn initial_position(
        &mut self,
        world: &mut World<'_>,
        member: &MemberId,
        tp: &TopicPartition,
    ) -> Offset {
        let (start, end) = match world
            .topics
            .get(&tp.topic)
            .and_then(|t| t.partition(tp.partition))
        {
            Some(log) => (log.log_start_offset(), log.high_watermark()),
            None => (Offset(0), Offset(0)),
        };
        match self.committed.get(tp) {
            Some(&c) if c >= start && c <= end => c,
            _ => {
                let offset = match self.config.auto_offset_reset {
                    AutoOffsetReset::Earliest => start,
                    AutoOffsetReset::Latest => end,
                };
                self.trace(
                    world,
                    TraceEvent::AutoOffsetReset {
                        tick: world.now,
                        group: self.config.name.clone(),
                        member: member.clone(),
                        partition: tp.clone(),
                        offset,
                    },
                );
                offset
            }
        }
    }

    // ----- commits ----------------------------------------------------------------------

    /// Commits the member's positions of `partitions` that moved forward.
    fn commit(
        &mut self,
        world: &mut World<'_>,
        member: &MemberId,
        reason: CommitReason,
        partitions: &[TopicPartition],
    ) {
        let Some(m) = self.members.get(member) else {
            return;
        };
        let mut offsets = Vec::new();
        for tp in partitions {
            let Some(&position) = m.positions.get(tp) else {
                continue;
            };
            let current = self.committed.get(tp).copied();
            if current.is_none_or(|c| position > c) {
                offsets.push(CommittedOffset {
                    partition: tp.clone(),
                    offset: position,
                });
            }
        }
        if offsets.is_empty() {
            return;
        }
        for c in &offsets {
            self.committed.insert(c.partition.clone(), c.offset);
        }
        self.counters.commits += 1;
        self.trace(
            world,
            TraceEvent::Committed {
                tick: world.now,
                group: self.config.name.clone(),
                member: member.clone(),
                reason,
                offsets,
            },
        );
    }

    // ----- the tick ---------------------------------------------------------------------

    /// Advances the group by one tick: session timeouts, processing, polls, commits,
    /// rebalance progress and a lag sample.
    pub(crate) fn tick(
        &mut self,
        world: &mut World<'_>,
        mut processor: Option<&mut (dyn Processor + '_)>,
    ) {
        let now = world.now;
        // Session timeouts.
        let expired: Vec<MemberId> = self
            .members
            .values()
            .filter_map(|m| match m.status {
                MemberStatus::Dead { since }
                    if now.0 >= since.0.saturating_add(self.config.session_timeout_ticks) =>
                {
                    Some(m.id.clone())
                }
                _ => None,
            })
            .collect();
        for id in expired {
            let lost_partitions = self
                .members
                .remove(&id)
                .map(|m| m.owned.into_iter().collect())
                .unwrap_or_default();
            self.trace(
                world,
                TraceEvent::MemberTimedOut {
                    tick: now,
                    group: self.config.name.clone(),
                    member: id.clone(),
                    session_timeout_ticks: self.config.session_timeout_ticks,
                    lost_partitions,
                },
            );
            self.start_rebalance(world, RebalanceReason::MemberTimedOut { member: id });
        }

        let ids: Vec<MemberId> = self.members.keys().cloned().collect();
        for id in &ids {
            self.member_tick(world, id, processor.as_deref_mut());
        }

        if self.rebalance_barrier_passed(now) {
            self.complete_rebalance(world);
        }
        if self.follow_up_due
            && self.phase == Phase::Stable
            && self
                .members
                .values()
                .all(|m| m.pending_revocation.is_empty())
        {
            self.follow_up_due = false;
            self.start_rebalance(world, RebalanceReason::CooperativeFollowUp);
        }
        self.sample_lag(world);
    }

    fn member_tick(
        &mut self,
        world: &mut World<'_>,
        id: &MemberId,
        mut processor: Option<&mut (dyn Processor + '_)>,
    ) {
        let now = world.now;
        let mut polled = false;
        loop {
            let Some(m) = self.members.get(id) else {
                return;
            };
            if matches!(m.status, MemberStatus::Dead { .. }) {
                return;
            }
            if let Some(run) = m.batch.front() {
                if now < m.head_ready_at {
                    return;
                }
                let run = run.clone();
                let attempt = m.head_attempt;
                if !self.process_head(world, id, &run, attempt, processor.as_deref_mut()) {
                    return; // retry scheduled
                }
                let ticks = self.processing_ticks(id);
                let m = self.members.get_mut(id).expect("member");
                m.head_ready_at = Tick(now.0.saturating_add(ticks));
                if m.batch.is_empty() {
                    if self.config.commit_policy == CommitPolicy::AfterProcessing {
                        let owned: Vec<TopicPartition> = m.owned.iter().cloned().collect();
                        self.commit(world, id, CommitReason::AfterProcessing, &owned);
                    }
                    continue;
                }
                if ticks > 0 {
                    return;
                }
                continue;
            }
            // Batch empty: revocations and leaving happen between polls.
            if !m.pending_revocation.is_empty() {
                self.revoke_pending(world, id);
                continue;
            }
            if m.status == MemberStatus::Leaving {
                self.finish_leaving(world, id);
                return;
            }
            if polled || self.phase_blocks_fetch() {
                return;
            }
            polled = true;
            if !self.poll(world, id) {
                return;
            }
        }
    }

    fn phase_blocks_fetch(&self) -> bool {
        // Eager: the group stops consuming during a rebalance (members have revoked
        // everything anyway; a member that has not yet revoked still finishes its batch).
        matches!(self.phase, Phase::Preparing { .. }) && self.config.protocol() == Protocol::Eager
    }

    /// One poll. Returns true if records were fetched.
    fn poll(&mut self, world: &mut World<'_>, id: &MemberId) -> bool {
        let now = world.now;
        // Auto-commit happens inside poll, for what earlier polls returned.
        if let CommitPolicy::AutoCommit { interval_ticks } = self.config.commit_policy {
            let m = &self.members[id];
            if now.0 >= m.last_auto_commit.0.saturating_add(interval_ticks) {
                let owned: Vec<TopicPartition> = m.owned.iter().cloned().collect();
                self.commit(world, id, CommitReason::AutoCommit, &owned);
                self.members.get_mut(id).expect("member").last_auto_commit = now;
            }
        }
        let owned: Vec<TopicPartition> = {
            let m = &self.members[id];
            m.owned
                .iter()
                .filter(|tp| !m.pending_revocation.contains(*tp))
                .cloned()
                .collect()
        };
        if owned.is_empty() {
            return false;
        }
        let mut remaining = u64::from(self.config.max_poll_records);
        let start = self.members[id].poll_cursor % owned.len();
        let mut runs = Vec::new();
        for i in 0..owned.len() {
            if remaining == 0 {
                break;
            }
            let tp = &owned[(start + i) % owned.len()];
            let Some(log) = world
                .topics
                .get(&tp.topic)
                .and_then(|t| t.partition(tp.partition))
            else {
                continue;
            };
            let (log_start, high) = (log.log_start_offset(), log.high_watermark());
            let mut position = self.members[id]
                .positions
                .get(tp)
                .copied()
                .unwrap_or(log_start);
            if position < log_start || position > high {
                // Out of range (retention deleted it): auto.offset.reset decides.
                position = match self.config.auto_offset_reset {
                    AutoOffsetReset::Earliest => log_start,
                    AutoOffsetReset::Latest => high,
                };
                self.trace(
                    world,
                    TraceEvent::AutoOffsetReset {
                        tick: now,
                        group: self.config.name.clone(),
                        member: id.clone(),
                        partition: tp.clone(),
                        offset: position,
                    },
                );
            }
            let take = (high.0 - position.0).min(remaining);
            let end = Offset(position.0 + take);
            self.members
                .get_mut(id)
                .expect("member")
                .positions
                .insert(tp.clone(), end);
            if take == 0 {
                continue;
            }
            remaining -= take;
            runs.push(Run {
                partition: tp.clone(),
                next: position,
                end,
            });
        }
        let processing_ticks = self.processing_ticks(id);
        let m = self.members.get_mut(id).expect("member");
        m.poll_cursor = (start + 1) % owned.len();
        if runs.is_empty() {
            return false;
        }
        for run in &runs {
            world.trace.push(TraceEvent::Fetched {
                tick: now,
                group: self.config.name.clone(),
                member: id.clone(),
                topic: run.partition.topic.clone(),
                partition: run.partition.partition,
                from_offset: run.next,
                to_offset: run.end,
            });
            let high = self
                .processed_high
                .get(&run.partition)
                .copied()
                .unwrap_or_default();
            if run.next < high {
                world.trace.push(TraceEvent::Redelivered {
                    tick: now,
                    group: self.config.name.clone(),
                    member: id.clone(),
                    topic: run.partition.topic.clone(),
                    partition: run.partition.partition,
                    from_offset: run.next,
                    to_offset: run.end.min(high),
                });
            }
        }
        m.batch.extend(runs);
        m.head_ready_at = Tick(now.0.saturating_add(processing_ticks));
        m.head_attempt = 1;
        if self.config.commit_policy == CommitPolicy::BeforeProcessing {
            self.commit(world, id, CommitReason::BeforeProcessing, &owned);
        }
        true
    }

    /// Processes the head record of a member's batch. Returns false if the processor asked
    /// for a retry (the record stays at the head).
    fn process_head(
        &mut self,
        world: &mut World<'_>,
        id: &MemberId,
        run: &Run,
        attempt: u32,
        processor: Option<&mut (dyn Processor + '_)>,
    ) -> bool {
        let now = world.now;
        let tp = &run.partition;
        let offset = run.next;
        let high = self.processed_high.get(tp).copied().unwrap_or_default();
        let redelivered = offset < high;
        let record = world
            .topics
            .get(&tp.topic)
            .and_then(|t| t.partition(tp.partition))
            .and_then(|log| log.get(offset).ok());
        let Some(record) = record else {
            // Deleted by retention while in hand: drop the rest of this run.
            let m = self.members.get_mut(id).expect("member");
            m.batch.pop_front();
            m.head_attempt = 1;
            return true;
        };
        let key = record.key.clone();
        let event_id = record.headers.event_id;
        let outcome = match processor {
            Some(p) => {
                let delivery = Delivery {
                    now,
                    group: &self.config.name,
                    member: id,
                    topic: &tp.topic,
                    partition: tp.partition,
                    record,
                    redelivered,
                    attempt,
                    event_ids: std::cell::Cell::from_mut(&mut *world.next_event_id),
                };
                p.process(&delivery, world.rng)
            }
            None => ProcessOutcome::done(),
        };
        let group = self.config.name.clone();
        match outcome {
            ProcessOutcome::Retry { error, after_ticks } => {
                self.counters.retries += 1;
                let retry_at = Tick(now.0.saturating_add(after_ticks.max(1)));
                let m = self.members.get_mut(id).expect("member");
                m.head_ready_at = retry_at;
                m.head_attempt += 1;
                world.trace.push(TraceEvent::ProcessingRetry {
                    tick: now,
                    group,
                    member: id.clone(),
                    topic: tp.topic.clone(),
                    partition: tp.partition,
                    offset,
                    attempt,
                    error,
                    retry_at,
                });
                return false;
            }
            ProcessOutcome::Failure { error } => {
                self.counters.failed += 1;
                world.trace.push(TraceEvent::ProcessingFailed {
                    tick: now,
                    group: group.clone(),
                    member: id.clone(),
                    topic: tp.topic.clone(),
                    partition: tp.partition,
                    offset,
                    attempt,
                    error,
                });
            }
            ProcessOutcome::Crash { produce, reason } => {
                world.trace.push(TraceEvent::Processed {
                    tick: now,
                    group: group.clone(),
                    member: id.clone(),
                    topic: tp.topic.clone(),
                    partition: tp.partition,
                    offset,
                    key,
                    event_id,
                    redelivered,
                    attempt,
                });
                self.produce_all(world, id, tp, offset, attempt, produce);
                world.trace.push(TraceEvent::ProcessingCrashed {
                    tick: now,
                    group,
                    member: id.clone(),
                    topic: tp.topic.clone(),
                    partition: tp.partition,
                    offset,
                    event_id,
                    attempt,
                    reason,
                });
                self.count_processed(tp, offset, redelivered);
                // The record's effects happened: it is not lost, only uncommitted, so it
                // leaves the batch before the member dies (the rest is abandoned).
                let m = self.members.get_mut(id).expect("member");
                m.processed += 1;
                m.head_attempt = 1;
                let head = m.batch.front_mut().expect("head run");
                head.next = Offset(head.next.0 + 1);
                if head.next >= head.end {
                    m.batch.pop_front();
                }
                self.kill(world, id)
                    .expect("a member that just processed a record is alive");
                return false;
            }
            ProcessOutcome::Success { produce } => {
                world.trace.push(TraceEvent::Processed {
                    tick: now,
                    group: group.clone(),
                    member: id.clone(),
                    topic: tp.topic.clone(),
                    partition: tp.partition,
                    offset,
                    key,
                    event_id,
                    redelivered,
                    attempt,
                });
                self.produce_all(world, id, tp, offset, attempt, produce);
            }
        }
        self.count_processed(tp, offset, redelivered);
        let m = self.members.get_mut(id).expect("member");
        m.processed += 1;
        m.head_attempt = 1;
        let head = m.batch.front_mut().expect("head run");
        head.next = Offset(head.next.0 + 1);
        if head.next >= head.end {
            m.batch.pop_front();
        }
        true
    }

    /// Produces what a processor returned; a refused record counts as a failure.
    fn produce_all(
        &mut self,
        world: &mut World<'_>,
        id: &MemberId,
        tp: &TopicPartition,
        offset: Offset,
        attempt: u32,
        produce: Vec<crate::process::OutgoingRecord>,
    ) {
        for out in produce {
            if let Err(e) = world.produce_outgoing(out) {
                self.counters.failed += 1;
                world.trace.push(TraceEvent::ProcessingFailed {
                    tick: world.now,
                    group: self.config.name.clone(),
                    member: id.clone(),
                    topic: tp.topic.clone(),
                    partition: tp.partition,
                    offset,
                    attempt,
                    error: e.to_string(),
                });
            }
        }
    }

    /// Counts a processed record (a duplicate if this group processed it before).
    fn count_processed(&mut self, tp: &TopicPartition, offset: Offset, redelivered: bool) {
        self.counters.processed += 1;
        if redelivered {
            self.counters.duplicates += 1;
        }
        let high = self.processed_high.get(tp).copied().unwrap_or_default();
        if offset >= high {
            self.processed_high.insert(tp.clone(), Offset(offset.0 + 1));
        }
    }

    // ----- lag and offsets --------------------------------------------------------------

    fn partition_list(&self, topics: &BTreeMap<String, Topic>) -> Vec<TopicPartition> {
        let mut out = Vec::new();
        for name in &self.config.topics {
            if let Some(t) = topics.get(name) {
                for p in 0..t.partition_count() {
                    out.push(TopicPartition {
                        topic: name.clone(),
                        partition: PartitionId(p),
                    });
                }
            }
        }
        out
    }

    fn lag_of(&self, topics: &BTreeMap<String, Topic>, tp: &TopicPartition) -> u64 {
        let Some(log) = topics
            .get(&tp.topic)
            .and_then(|t| t.partition(tp.partition))
        else {
            return 0;
        };
        let high = log.high_watermark();
        let base = match self.committed.get(tp) {
            Some(&c) => c,
            None => match self.config.auto_offset_reset {
                AutoOffsetReset::Earliest => log.log_start_offset(),
                AutoOffsetReset::Latest => high,
            },
        };
        high.0.saturating_sub(base.0)
    }

    fn sample_lag(&mut self, world: &World<'_>) {
        let partitions: Vec<u64> = self
            .partition_list(world.topics)
            .iter()
            .map(|tp| self.lag_of(world.topics, tp))
            .collect();
        let total = partitions.iter().sum();
        let log_end = self
            .partition_list(world.topics)
            .iter()
            .filter_map(|tp| {
                world
                    .topics
                    .get(&tp.topic)
                    .and_then(|t| t.partition(tp.partition))
            })
            .map(|log| log.high_watermark().0)
            .sum();
        self.lag_history.record(LagSample {
            tick: world.now,
            total,
            partitions,
            processed: self.counters.processed,
            log_end,
        });
    }

    /// Total lag over the group's partitions.
    pub fn total_lag(&self, topics: &BTreeMap<String, Topic>) -> u64 {
        self.partition_list(topics)
            .iter()
            .map(|tp| self.lag_of(topics, tp))
            .sum()
    }

    /// Resets committed offsets of `topic` (or every subscribed topic). Refused while the
    /// group has members, like Kafka.
    pub(crate) fn reset_offsets(
        &mut self,
        world: &mut World<'_>,
        topic: Option<&str>,
        spec: OffsetResetSpec,
    ) -> Result<Vec<OffsetChange>, GroupError> {
        if !self.members.is_empty() {
            return Err(GroupError::GroupNotInactive {
                group: self.config.name.clone(),
                state: self.state(),
                members: self.members.len(),
            });
        }
        if let Some(t) = topic {
            if !self.config.topics.iter().any(|s| s == t) {
                return Err(GroupError::NotSubscribed {
                    group: self.config.name.clone(),
                    topic: t.to_string(),
                });
            }
        }
        let mut changes = Vec::new();
        for tp in self.partition_list(world.topics) {
            if topic.is_some_and(|t| t != tp.topic) {
                continue;
            }
            let log = world.topics[&tp.topic]
                .partition(tp.partition)
                .expect("listed partition exists");
            let (start, high) = (log.log_start_offset(), log.high_watermark());
            let current = self.committed.get(&tp).copied();
            let target = match &spec {
                OffsetResetSpec::ToEarliest => start.0,
                OffsetResetSpec::ToLatest => high.0,
                OffsetResetSpec::ToOffset { offset } => offset.0,
                OffsetResetSpec::ShiftBy { by } => {
                    let base = current.unwrap_or(match self.config.auto_offset_reset {
                        AutoOffsetReset::Earliest => start,
                        AutoOffsetReset::Latest => high,
                    });
                    base.0.saturating_add_signed(*by)
                }
                OffsetResetSpec::ToTick { tick } => log.offset_for_tick(*tick).0,
                OffsetResetSpec::ByDuration { ticks } => {
                    log.offset_for_tick(Tick(world.now.0.saturating_sub(*ticks)))
                        .0
                }
            };
            let target = Offset(target.clamp(start.0, high.0));
            self.committed.insert(tp.clone(), target);
            // A replay after a reset is intended, not a duplicate.
            self.processed_high.insert(tp.clone(), target);
            changes.push(OffsetChange {
                partition: tp,
                from: current,
                to: target,
            });
        }
        world.trace.push(TraceEvent::OffsetsReset {
            tick: world.now,
            group: self.config.name.clone(),
            spec,
            changes: changes.clone(),
        });
        Ok(changes)
    }

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
                let log = topics[&tp.topic].partition(tp.partition).expect("exists");
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
