//! Typed trace events and the bounded buffer that holds them.
//!
//! Every step of the simulation emits [`TraceEvent`]s in order. Each event gets an absolute
//! index (0, 1, 2, ...) that never changes; the UI polls [`Trace::since`] with the index it
//! saw last. To keep memory bounded on long runs the buffer can be capped
//! ([`Trace::set_limit`]: the oldest events are dropped) or drained by the caller
//! ([`Trace::drain`]); indices keep counting either way.

use crate::assignor::{AssignmentStrategy, TopicPartition};
use crate::cluster::placement::BrokerMetadata;
use crate::cluster::replication::ReplicationEvent;
use crate::group_protocol::{CommitReason, OffsetResetSpec, Protocol, RebalanceReason};
use crate::ids::{EventId, MemberId, Offset, PartitionId, ProducerId, Tick};
use crate::partitioner::{Partitioner, Routing, UnkeyedStrategy};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

mod key;
pub use key::EventKey;

/// One committed offset in a [`TraceEvent::Committed`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommittedOffset {
    /// The topic partition.
    pub partition: TopicPartition,
    /// The committed offset (the next to read).
    pub offset: Offset,
}

/// One partition's offset change in a [`TraceEvent::OffsetsReset`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OffsetChange {
    /// The topic partition.
    pub partition: TopicPartition,
    /// The committed offset before (`None`: never committed).
    pub from: Option<Offset>,
    /// The committed offset after.
    pub to: Offset,
}

/// Who wrote a [`TraceEvent::Produced`] record and how: the named producer, the consumer
/// group whose processing wrote it, the attempt and, for a retry appended again, the first
/// copy's offset. Most records have none of these (the generator, produce commands, P and
/// W's million records: a first send by no one named), so they sit behind one pointer that
/// such a record leaves empty: inline they made every trace event 56 bytes larger (the
/// trace holds 20,000 and moves one in per record). A record with any of them set pays
/// one allocation. Always built through [`ProducedOrigin::new`], so a plain first send is
/// the empty one whichever way it was made, and events compare equal by their fields.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(from = "OriginJson")]
pub struct ProducedOrigin(Option<Box<OriginFields>>);

#[derive(Clone, Debug, PartialEq, Eq)]
struct OriginFields {
    producer: Option<String>,
    group: Option<String>,
    attempt: u32,
    duplicate_of: Option<Offset>,
}

/// The JSON fields a [`ProducedOrigin`] is read from (written by [`serialize_produced`]).
#[derive(Deserialize)]
struct OriginJson {
    #[serde(default)]
    producer: Option<String>,
    #[serde(default)]
    group: Option<String>,
    attempt: u32,
    #[serde(default)]
    duplicate_of: Option<Offset>,
}

impl From<OriginJson> for ProducedOrigin {
    fn from(j: OriginJson) -> Self {
        ProducedOrigin::new(j.producer, j.group, j.attempt, j.duplicate_of)
    }
}

impl ProducedOrigin {
    /// `producer`: the named producer that sent it (`None`: a plain produce command).
    /// `group`: the consumer group whose processing wrote it, a processor's output or a
    /// saga service's outbox relay (`None`: a producer, the generator or a produce
    /// command). `attempt`: 1 for the first send, 2 for the first retry, ...
    /// `duplicate_of`: a producer's retry after a lost acknowledgement, appended again
    /// because the producer is not idempotent: the offset of the first copy (same
    /// partition, same event id).
    pub fn new(
        producer: Option<String>,
        group: Option<String>,
        attempt: u32,
        duplicate_of: Option<Offset>,
    ) -> Self {
        if producer.is_none() && group.is_none() && attempt == 1 && duplicate_of.is_none() {
            return ProducedOrigin(None);
        }
        ProducedOrigin(Some(Box::new(OriginFields {
            producer,
            group,
            attempt,
            duplicate_of,
        })))
    }

    /// The named producer that sent it (`None`: a plain produce command).
    pub fn producer(&self) -> Option<&str> {
        self.0.as_ref().and_then(|o| o.producer.as_deref())
    }

    /// The consumer group whose processing wrote it (`None`: a producer, the generator or
    /// a produce command). Left out of the JSON when `None`.
    pub fn group(&self) -> Option<&str> {
        self.0.as_ref().and_then(|o| o.group.as_deref())
    }

    /// 1 for the first send, 2 for the first retry, ...
    pub fn attempt(&self) -> u32 {
        self.0.as_ref().map_or(1, |o| o.attempt)
    }

    /// A non-idempotent producer's retry appended again: the offset of the first copy.
    /// `None` for every first attempt and every plain produce (and then left out of the
    /// JSON).
    pub fn duplicate_of(&self) -> Option<Offset> {
        self.0.as_ref().and_then(|o| o.duplicate_of)
    }
}

/// Everything that happened, in order. The UI animates from these; tests read them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TraceEvent {
    /// A scheduled command failed when its tick came (e.g. it named an unknown member).
    CommandRejected {
        /// The tick it happened at.
        tick: Tick,
        /// The error, in words.
        error: String,
    },
    /// A topic was created.
    TopicCreated {
        /// The tick it happened at.
        tick: Tick,
        /// The topic.
        topic: String,
        /// The partitions involved.
        partitions: u32,
        /// How keys map to partitions.
        partitioner: Partitioner,
    },
    /// A topic grew (its existing records stay where they are).
    PartitionsAdded {
        /// The tick it happened at.
        tick: Tick,
        /// The topic.
        topic: String,
        /// Partitions before.
        from: u32,
        /// The committed offset after.
        to: u32,
    },
    /// Segment size or retention changed.
    TopicConfigured {
        /// The tick it happened at.
        tick: Tick,
        /// The topic.
        topic: String,
        /// Records per log segment.
        segment_records: u64,
        /// Records kept at least (`None`: no limit by records).
        retention_records: Option<u64>,
        /// Ticks a segment is kept after its last record (`None`: no limit by time).
        retention_ticks: Option<u64>,
        /// How records without a key are spread.
        unkeyed: UnkeyedStrategy,
    },
    /// A record was appended. `routing` shows the hashing for a keyed record. Written by
    /// [`serialize_produced`], which puts the key's bytes into `routing` as `key_bytes`.
    #[serde(serialize_with = "serialize_produced")]
    Produced {
        /// The tick it happened at.
        tick: Tick,
        /// The topic (its name shared with the topic: copied without allocating).
        topic: Arc<str>,
        /// The record key (`None`: no key).
        key: Option<String>,
        /// How the key was routed (`None` without a key).
        routing: Option<Routing>,
        /// The partition.
        partition: PartitionId,
        /// The offset.
        offset: Offset,
        /// The record's event id.
        event_id: EventId,
        /// Its producer, group, attempt and first copy: written as the JSON fields
        /// `producer`, `group`, `attempt` and `duplicate_of`, and held behind one pointer
        /// that a plain first send leaves empty (see [`ProducedOrigin`]).
        #[serde(flatten)]
        origin: ProducedOrigin,
    },
    /// The broker appended the record but the producer never saw the acknowledgement.
    AckLost {
        /// The tick it happened at.
        tick: Tick,
        /// The producer's name.
        producer: String,
        /// The topic.
        topic: String,
        /// The partition.
        partition: PartitionId,
        /// The offset.
        offset: Offset,
        /// Which attempt (1 for the first).
        attempt: u32,
    },
    /// An idempotent producer's retry was recognised by its sequence number and dropped.
    DuplicateDropped {
        /// The tick it happened at.
        tick: Tick,
        /// The producer's name.
        producer: String,
        /// The producer id the broker gave it.
        producer_id: ProducerId,
        /// The batch sequence number.
        sequence: u32,
        /// The topic.
        topic: String,
        /// The partition.
        partition: PartitionId,
        /// Where the original was appended.
        offset: Offset,
        /// Which attempt (1 for the first).
        attempt: u32,
    },
    /// A producer gave up after its retries (the record may still be in the log).
    SendFailed {
        /// The tick it happened at.
        tick: Tick,
        /// The producer's name.
        producer: String,
        /// The topic.
        topic: String,
        /// The partition.
        partition: PartitionId,
        /// Attempts made, the first included.
        attempts: u32,
    },
    /// A refused or failed send waits out its producer's retry backoff.
    SendRetryScheduled {
        /// The tick it happened at.
        tick: Tick,
        /// The producer's name.
        producer: String,
        /// The topic.
        topic: String,
        /// The partition.
        partition: PartitionId,
        /// The attempt the retry will be.
        attempt: u32,
        /// The tick it is due.
        retry_at: Tick,
    },
    /// Retention deleted old segments of a partition.
    SegmentsDeleted {
        /// The tick it happened at.
        tick: Tick,
        /// The topic.
        topic: String,
        /// The partition.
        partition: PartitionId,
        /// Segments deleted.
        segments: u64,
        /// The first offset still in the log.
        log_start_offset: Offset,
    },
    /// A consumer group was created.
    GroupCreated {
        /// The tick it happened at.
        tick: Tick,
        /// The consumer group.
        group: String,
        /// The subscribed topics.
        topics: Vec<String>,
        /// Eager or cooperative.
        protocol: Protocol,
    },
    /// A member joined a group.
    MemberJoined {
        /// The tick it happened at.
        tick: Tick,
        /// The consumer group.
        group: String,
        /// The member.
        member: MemberId,
    },
    /// A static member (`group.instance.id`) came back within its session timeout and took
    /// its place and partitions back, with no rebalance.
    StaticMemberRejoined {
        /// The tick it happened at.
        tick: Tick,
        /// The consumer group (its name shared with the group). This event's text and list
        /// are boxed slices, the group's name shared, so that it is no larger than
        /// [`TraceEvent::Processed`]: the largest variant sizes every event in the trace.
        group: Arc<str>,
        /// The member id it has now.
        member: MemberId,
        /// The member id it had.
        previous: MemberId,
        /// Its `group.instance.id`.
        instance_id: Box<str>,
        /// The partitions it got back.
        partitions: Box<[TopicPartition]>,
    },
    /// A static member closed (after finishing its batch and committing) without a
    /// LeaveGroup request: the group keeps its partitions for it until its session times
    /// out, and rebalances only then unless it rejoins first.
    StaticMemberLeft {
        /// The tick it happened at.
        tick: Tick,
        /// The consumer group.
        group: String,
        /// The member.
        member: MemberId,
        /// Its `group.instance.id`.
        instance_id: String,
        /// How long the group waits for it.
        session_timeout_ticks: u64,
    },
    /// A member left gracefully (after finishing its batch and committing).
    MemberLeft {
        /// The tick it happened at.
        tick: Tick,
        /// The consumer group.
        group: String,
        /// The member.
        member: MemberId,
    },
    /// A member crashed. The group notices only after the session timeout.
    MemberKilled {
        /// The tick it happened at.
        tick: Tick,
        /// The consumer group.
        group: String,
        /// The member.
        member: MemberId,
        /// Fetched records it had not processed yet.
        abandoned_records: u64,
    },
    /// The coordinator noticed a dead member (no heartbeat for the session timeout).
    MemberTimedOut {
        /// The tick it happened at.
        tick: Tick,
        /// The consumer group.
        group: String,
        /// The member.
        member: MemberId,
        /// Ticks without a heartbeat after which a member is dead.
        session_timeout_ticks: u64,
        /// The partitions it owned, now *lost* (Kafka's `onPartitionsLost`): nobody revoked
        /// them and nobody commits for them; the rebalance that follows hands them out again.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        lost_partitions: Vec<TopicPartition>,
    },
    /// A rebalance round started.
    RebalanceStarted {
        /// The tick it happened at.
        tick: Tick,
        /// The consumer group.
        group: String,
        /// The generation being left behind.
        generation: i32,
        /// Eager or cooperative.
        protocol: Protocol,
        /// Why.
        reason: RebalanceReason,
    },
    /// A member gave up partitions (eager: all of them; cooperative: those that move).
    PartitionsRevoked {
        /// The tick it happened at.
        tick: Tick,
        /// The consumer group.
        group: String,
        /// The member.
        member: MemberId,
        /// The partitions involved.
        partitions: Vec<TopicPartition>,
    },
    /// A rebalance round completed: a new generation and assignment.
    RebalanceCompleted {
        /// The tick it happened at.
        tick: Tick,
        /// The consumer group.
        group: String,
        /// The generation (bumped by each completed rebalance).
        generation: i32,
        /// Eager or cooperative.
        protocol: Protocol,
        /// Every member's partitions at the end of this round (cooperative: still including
        /// those listed in `revoked`, which the member gives up once its batch is done).
        assignment: BTreeMap<MemberId, Vec<TopicPartition>>,
        /// Per member, what it must give up (cooperative) or gave up (eager). Boxed, as is
        /// `withheld`: a rebalance is rare, and inline the maps would make every event in
        /// the trace 16 bytes larger.
        revoked: Box<BTreeMap<MemberId, Vec<TopicPartition>>>,
        /// Per member, what it gained.
        assigned: BTreeMap<MemberId, Vec<TopicPartition>>,
        /// Cooperative: partitions withheld until their owner revokes them, with the member
        /// that gets them in the follow-up round.
        withheld: Box<BTreeMap<TopicPartition, MemberId>>,
    },
    /// The group's assignor failed on this input (as Kafka's would); the range assignor was
    /// used instead.
    AssignorFailed {
        /// The tick it happened at.
        tick: Tick,
        /// The consumer group.
        group: String,
        /// The assignor.
        strategy: AssignmentStrategy,
        /// The error, in words.
        error: String,
    },
    /// A poll returned records `from_offset..to_offset` of one partition.
    Fetched {
        /// The tick it happened at.
        tick: Tick,
        /// The consumer group.
        group: String,
        /// The member.
        member: MemberId,
        /// The topic.
        topic: String,
        /// The partition.
        partition: PartitionId,
        /// First offset of the range.
        from_offset: Offset,
        /// End of the range (exclusive).
        to_offset: Offset,
    },
    /// A poll returned records this group had already processed (offsets
    /// `from_offset..to_offset`): they were processed but not committed before a crash or
    /// a rebalance, and will be processed again (duplicates).
    Redelivered {
        /// The tick it happened at.
        tick: Tick,
        /// The consumer group.
        group: String,
        /// The member.
        member: MemberId,
        /// The topic.
        topic: String,
        /// The partition.
        partition: PartitionId,
        /// First offset of the range.
        from_offset: Offset,
        /// End of the range (exclusive).
        to_offset: Offset,
    },
    /// A member processed a record.
    Processed {
        /// The tick it happened at.
        tick: Tick,
        /// The consumer group (its name shared with the group: copied without allocating).
        group: Arc<str>,
        /// The member (its id shared with the member: copied without allocating).
        member: Arc<str>,
        /// The topic (its name shared with the topic: copied without allocating).
        topic: Arc<str>,
        /// The partition.
        partition: PartitionId,
        /// The offset.
        offset: Offset,
        /// The record key (`None`: no key); a short one is held inline (no allocation).
        key: Option<EventKey>,
        /// The record's event id.
        event_id: EventId,
        /// Already processed by this group before: a duplicate.
        redelivered: bool,
        /// Which attempt (1 for the first).
        attempt: u32,
    },
    /// The processor asked to try again later (blocking retry).
    ProcessingRetry {
        /// The tick it happened at.
        tick: Tick,
        /// The consumer group, the member and the topic: shared names as in
        /// [`TraceEvent::Processed`] (copied without allocating).
        group: Arc<str>,
        /// The member.
        member: Arc<str>,
        /// The topic.
        topic: Arc<str>,
        /// The partition.
        partition: PartitionId,
        /// The offset.
        offset: Offset,
        /// Which attempt (1 for the first).
        attempt: u32,
        /// The error, in words.
        error: String,
        /// The tick of the next attempt.
        retry_at: Tick,
    },
    /// The processor gave up on a record.
    ProcessingFailed {
        /// The tick it happened at.
        tick: Tick,
        /// The consumer group, the member and the topic: shared names as in
        /// [`TraceEvent::Processed`] (copied without allocating).
        group: Arc<str>,
        /// The member.
        member: Arc<str>,
        /// The topic.
        topic: Arc<str>,
        /// The partition.
        partition: PartitionId,
        /// The offset.
        offset: Offset,
        /// Which attempt (1 for the first).
        attempt: u32,
        /// The error, in words.
        error: String,
    },
    /// The member crashed while processing a record, after the record's effects and before
    /// committing it ([`crate::process::ProcessOutcome::Crash`]); a
    /// [`TraceEvent::MemberKilled`] follows and the record will be delivered again.
    ProcessingCrashed {
        /// The tick it happened at.
        tick: Tick,
        /// The consumer group, the member and the topic: shared names as in
        /// [`TraceEvent::Processed`] (copied without allocating).
        group: Arc<str>,
        /// The member.
        member: Arc<str>,
        /// The topic.
        topic: Arc<str>,
        /// The partition.
        partition: PartitionId,
        /// The offset.
        offset: Offset,
        /// The record's event id.
        event_id: EventId,
        /// Which attempt (1 for the first).
        attempt: u32,
        /// Why.
        reason: String,
    },
    /// A member committed offsets.
    Committed {
        /// The tick it happened at.
        tick: Tick,
        /// The consumer group.
        group: String,
        /// The member.
        member: MemberId,
        /// Why.
        reason: CommitReason,
        /// The committed offsets.
        offsets: Vec<CommittedOffset>,
    },
    /// Records committed but never processed (at-most-once and a crash): lost.
    RecordsLost {
        /// The tick it happened at.
        tick: Tick,
        /// The consumer group.
        group: String,
        /// The member.
        member: MemberId,
        /// The topic.
        topic: String,
        /// The partition.
        partition: PartitionId,
        /// First offset of the range.
        from_offset: Offset,
        /// End of the range (exclusive).
        to_offset: Offset,
    },
    /// A consumer's position had no valid offset (none committed, or below the log start
    /// after retention) and `auto.offset.reset` chose one.
    AutoOffsetReset {
        /// The tick it happened at.
        tick: Tick,
        /// The consumer group.
        group: String,
        /// The member.
        member: MemberId,
        /// The partition.
        partition: TopicPartition,
        /// The offset.
        offset: Offset,
    },
    /// An administrator reset the group's committed offsets.
    OffsetsReset {
        /// The tick it happened at.
        tick: Tick,
        /// The consumer group.
        group: String,
        /// How the offsets were reset.
        spec: OffsetResetSpec,
        /// Per partition, the committed offset before and after.
        changes: Vec<OffsetChange>,
    },
    /// The simulation got brokers (`set_brokers`): topics created from now on are
    /// replicated over them.
    BrokersSet {
        /// The tick it happened at.
        tick: Tick,
        /// The brokers, with their racks.
        brokers: Vec<BrokerMetadata>,
    },
    /// A fact about brokers, leaders, the ISR, the high watermark, answered `acks=all`
    /// requests and lost records, from the cluster (only with brokers).
    Replication {
        /// The tick it happened at.
        tick: Tick,
        /// What happened.
        event: ReplicationEvent,
    },
    /// A partition's leader refused a record (only with brokers), with Kafka's error name.
    ProduceRefused {
        /// The tick it happened at.
        tick: Tick,
        /// The topic (its name shared with the topic). This event's texts are boxed and
        /// the topic's name shared so that it is no larger than [`TraceEvent::Processed`]:
        /// the largest variant sizes every event in the trace.
        topic: Arc<str>,
        /// The partition.
        partition: PartitionId,
        /// The record's key.
        key: Option<String>,
        /// The named producer, if any.
        producer: Option<Box<str>>,
        /// Which attempt.
        attempt: u32,
        /// Kafka's error name (`NOT_ENOUGH_REPLICAS`, `LEADER_NOT_AVAILABLE`, ...).
        error: Box<str>,
        /// The whole message.
        message: Box<str>,
    },
}

impl TraceEvent {
    /// The tick the event happened at.
    pub fn tick(&self) -> Tick {
        use TraceEvent::*;
        match self {
            CommandRejected { tick, .. }
            | BrokersSet { tick, .. }
            | Replication { tick, .. }
            | ProduceRefused { tick, .. }
            | TopicCreated { tick, .. }
            | TopicConfigured { tick, .. }
            | PartitionsAdded { tick, .. }
            | Produced { tick, .. }
            | AckLost { tick, .. }
            | DuplicateDropped { tick, .. }
            | SendFailed { tick, .. }
            | SendRetryScheduled { tick, .. }
            | SegmentsDeleted { tick, .. }
            | GroupCreated { tick, .. }
            | MemberJoined { tick, .. }
            | StaticMemberRejoined { tick, .. }
            | StaticMemberLeft { tick, .. }
            | MemberLeft { tick, .. }
            | MemberKilled { tick, .. }
            | MemberTimedOut { tick, .. }
            | RebalanceStarted { tick, .. }
            | PartitionsRevoked { tick, .. }
            | RebalanceCompleted { tick, .. }
            | AssignorFailed { tick, .. }
            | Fetched { tick, .. }
            | Processed { tick, .. }
            | Redelivered { tick, .. }
            | ProcessingRetry { tick, .. }
            | ProcessingFailed { tick, .. }
            | ProcessingCrashed { tick, .. }
            | Committed { tick, .. }
            | RecordsLost { tick, .. }
            | AutoOffsetReset { tick, .. }
            | OffsetsReset { tick, .. } => *tick,
        }
    }
}

/// A [`TraceEvent::Produced`] as JSON: its fields in order, with the routing's
/// `key_bytes` taken from the key (the bytes the partitioner hashed, see [`Routing`]), so
/// the JSON is what it was when each event kept its own copy of them.
#[derive(Serialize)]
struct ProducedJson<'a> {
    tick: Tick,
    topic: &'a str,
    key: Option<&'a str>,
    routing: Option<RoutingJson<'a>>,
    partition: PartitionId,
    offset: Offset,
    event_id: EventId,
    producer: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    group: Option<&'a str>,
    attempt: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    duplicate_of: Option<Offset>,
}

/// A [`Routing`] as JSON, with the bytes that were hashed.
#[derive(Serialize)]
struct RoutingJson<'a> {
    partitioner: Partitioner,
    key_bytes: &'a [u8],
    hash: i64,
    positive_hash: u64,
    partitions: u32,
    partition: PartitionId,
}

/// Writes a [`TraceEvent::Produced`] (serde calls it with the variant's fields; the tag
/// is added around it). A routing exists only for a key, so `key_bytes` is never made up;
/// a hand-built event with a routing and no key writes `key_bytes` as an empty list.
#[allow(clippy::too_many_arguments)]
fn serialize_produced<S: serde::Serializer>(
    tick: &Tick,
    topic: &Arc<str>,
    key: &Option<String>,
    routing: &Option<Routing>,
    partition: &PartitionId,
    offset: &Offset,
    event_id: &EventId,
    origin: &ProducedOrigin,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let key = key.as_deref();
    ProducedJson {
        tick: *tick,
        topic,
        key,
        routing: routing.as_ref().map(|r| RoutingJson {
            partitioner: r.partitioner,
            key_bytes: key.map_or(&[], str::as_bytes),
            hash: r.hash,
            positive_hash: r.positive_hash,
            partitions: r.partitions,
            partition: r.partition,
        }),
        partition: *partition,
        offset: *offset,
        event_id: *event_id,
        producer: origin.producer(),
        group: origin.group(),
        attempt: origin.attempt(),
        duplicate_of: origin.duplicate_of(),
    }
    .serialize(serializer)
}

/// The trace buffer: events with absolute indices, optionally capped.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    events: VecDeque<TraceEvent>,
    /// Absolute index of `events[0]`.
    first_index: u64,
    limit: Option<usize>,
}

impl Trace {
    /// Appends an event, dropping the oldest if a limit is set and reached.
    pub fn push(&mut self, event: TraceEvent) {
        if let Some(limit) = self.limit {
            if limit == 0 {
                self.first_index += 1;
                return;
            }
            if self.events.len() >= limit {
                self.replace_oldest(event);
                return;
            }
        }
        self.events.push_back(event);
    }

    /// The trace is full: the new event takes the oldest one's slot, which then becomes the
    /// newest. `pop_front` and `push_back` moved every event twice, out of the ring and in
    /// again (at opt-level "s", the engine's native level when this was written, a 112-byte
    /// event is copied by a `rep movsq`, slower than the `memcpy` call a larger event got;
    /// BENCHMARKS.md, "A smaller trace event (session 12)"); this drops the
    /// oldest in place and moves the new one in once (and, while the ring has spare
    /// capacity, rotating moves it once more with a plain copy).
    fn replace_oldest(&mut self, event: TraceEvent) {
        if let Some(oldest) = self.events.front_mut() {
            *oldest = event;
        }
        self.events.rotate_left(1);
        self.first_index += 1;
    }

    /// Keeps at most `limit` events (`None`: unbounded). Excess old events go at once.
    pub fn set_limit(&mut self, limit: Option<usize>) {
        self.limit = limit;
        if let Some(limit) = limit {
            while self.events.len() > limit {
                self.events.pop_front();
                self.first_index += 1;
            }
        }
    }

    /// The events still held, oldest first.
    pub fn events(&self) -> &VecDeque<TraceEvent> {
        &self.events
    }

    /// Absolute index of the oldest event still held.
    pub fn first_index(&self) -> u64 {
        self.first_index
    }

    /// Absolute index the next event will get (= number of events ever emitted).
    pub fn end_index(&self) -> u64 {
        self.first_index + self.events.len() as u64
    }

    /// Events with absolute index `>= index` that are still held, with their indices.
    /// Cheap: no scan of older events.
    pub fn since(&self, index: u64) -> impl DoubleEndedIterator<Item = (u64, &TraceEvent)> + '_ {
        let skip = index
            .saturating_sub(self.first_index)
            .min(self.events.len() as u64);
        let first = self.first_index;
        self.events
            .range(skip as usize..)
            .enumerate()
            .map(move |(i, e)| (first + skip + i as u64, e))
    }

    /// Removes and returns every held event (indices keep counting).
    pub fn drain(&mut self) -> Vec<TraceEvent> {
        self.first_index += self.events.len() as u64;
        self.events.drain(..).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn produced(key: Option<&str>, routing: Option<Routing>) -> TraceEvent {
        TraceEvent::Produced {
            tick: Tick(3),
            topic: "orders".into(),
            key: key.map(str::to_string),
            routing,
            partition: routing.map_or(PartitionId(0), |r| r.partition),
            offset: Offset(7),
            event_id: EventId(9),
            origin: ProducedOrigin::default(),
        }
    }

    /// The layout every trace, session export and golden file holds: `key_bytes` second in
    /// `routing`, `group` and `duplicate_of` left out when `None`.
    #[test]
    fn produced_json_keeps_key_bytes_inside_routing() {
        let r = Partitioner::Murmur2.route(b"U1", 12);
        let json = serde_json::to_string(&produced(Some("U1"), Some(r))).unwrap();
        let expected = format!(
            "{{\"type\":\"produced\",\"tick\":3,\"topic\":\"orders\",\"key\":\"U1\",\
             \"routing\":{{\"partitioner\":\"murmur2\",\"key_bytes\":[85,49],\"hash\":{},\
             \"positive_hash\":{},\"partitions\":12,\"partition\":{}}},\"partition\":{},\
             \"offset\":7,\"event_id\":9,\"producer\":null,\"attempt\":1}}",
            r.hash, r.positive_hash, r.partition.0, r.partition.0
        );
        assert_eq!(json, expected);
        let unkeyed = serde_json::to_string(&produced(None, None)).unwrap();
        assert!(unkeyed.contains("\"key\":null,\"routing\":null,\"partition\":0"));
    }

    proptest! {
        /// The bytes written as `key_bytes` are the ones the partitioner hashed: routing
        /// them again gives the same decision, and the event reads back equal.
        #[test]
        fn produced_key_bytes_are_what_the_partitioner_hashed(
            key in "\\PC{0,24}",
            partitioner in prop::sample::select(Partitioner::ALL.to_vec()),
            partitions in 1u32..=1024,
        ) {
            let routing = partitioner.route(key.as_bytes(), partitions);
            let event = produced(Some(&key), Some(routing));
            let json = serde_json::to_string(&event).unwrap();
            let value: serde_json::Value = serde_json::from_str(&json).unwrap();
            let key_bytes: Vec<u8> =
                serde_json::from_value(value["routing"]["key_bytes"].clone()).unwrap();
            prop_assert_eq!(&key_bytes, &key.as_bytes().to_vec());
            prop_assert_eq!(partitioner.route(&key_bytes, partitions), routing);
            prop_assert_eq!(serde_json::from_str::<TraceEvent>(&json).unwrap(), event);
        }
    }

    /// The trace holds 20,000 events and moves one in per record produced and per record
    /// each group processes, so its events' size is memory touched on every record. The
    /// largest variant sizes them all: `Processed` (three shared names, an inline key) is
    /// 112 bytes with the tag; every other variant must fit beside it. A new field that
    /// breaks this should be boxed, or the bound raised on purpose.
    #[cfg(target_pointer_width = "64")]
    #[test]
    fn trace_event_is_no_larger_than_a_processed_record() {
        assert_eq!(std::mem::size_of::<TraceEvent>(), 112);
        assert_eq!(std::mem::size_of::<ProducedOrigin>(), 8);
    }

    /// A plain first send holds no origin however it was made (built or read back), and
    /// any field set keeps all of them.
    #[test]
    fn produced_origin_is_empty_only_for_a_plain_first_send() {
        assert_eq!(
            ProducedOrigin::new(None, None, 1, None),
            ProducedOrigin::default()
        );
        let plain = serde_json::to_string(&produced(None, None)).unwrap();
        let read: TraceEvent = serde_json::from_str(&plain).unwrap();
        assert_eq!(read, produced(None, None));
        let retry = ProducedOrigin::new(Some("p".into()), None, 2, Some(Offset(4)));
        assert_eq!(retry.producer(), Some("p"));
        assert_eq!(retry.group(), None);
        assert_eq!(retry.attempt(), 2);
        assert_eq!(retry.duplicate_of(), Some(Offset(4)));
        let only_attempt = ProducedOrigin::new(None, None, 3, None);
        assert_ne!(only_attempt, ProducedOrigin::default());
        assert_eq!(only_attempt.attempt(), 3);
        let by_group = ProducedOrigin::new(None, Some("g".into()), 1, None);
        assert_eq!(by_group.group(), Some("g"));
    }

    proptest! {
        /// Every combination of the origin's fields writes the JSON fields it had as
        /// fields of its own (`producer` always, `group` and `duplicate_of` only when set)
        /// and reads back equal.
        #[test]
        fn produced_origin_json_is_the_fields_it_had_inline(
            producer in prop::option::of("[a-z]{1,6}"),
            group in prop::option::of("[a-z]{1,6}"),
            attempt in 1u32..5,
            duplicate_of in prop::option::of(0u64..100),
        ) {
            let mut event = produced(Some("k"), None);
            if let TraceEvent::Produced { origin, .. } = &mut event {
                *origin = ProducedOrigin::new(
                    producer.clone(),
                    group.clone(),
                    attempt,
                    duplicate_of.map(Offset),
                );
            }
            let json = serde_json::to_string(&event).unwrap();
            let mut expected = format!(
                "\"event_id\":9,\"producer\":{}",
                serde_json::to_string(&producer).unwrap()
            );
            if let Some(g) = &group {
                expected += &format!(",\"group\":\"{g}\"");
            }
            expected += &format!(",\"attempt\":{attempt}");
            if let Some(d) = duplicate_of {
                expected += &format!(",\"duplicate_of\":{d}");
            }
            expected += "}";
            prop_assert!(json.ends_with(&expected), "{} does not end with {}", json, expected);
            prop_assert_eq!(serde_json::from_str::<TraceEvent>(&json).unwrap(), event);
        }
    }

    fn ev(n: u64) -> TraceEvent {
        TraceEvent::MemberJoined {
            tick: Tick(n),
            group: "g".into(),
            member: "c1".into(),
        }
    }

    /// A full trace replaces its oldest event in place and rotates; the order and the
    /// indices must be those of popping the oldest and pushing the newest, whether the
    /// ring has capacity to spare (a limit set after it grew) or not.
    #[test]
    fn a_full_trace_keeps_the_newest_in_order_whatever_its_capacity() {
        let ticks = |t: &Trace| t.events().iter().map(|e| e.tick().0).collect::<Vec<_>>();
        let mut late = Trace::default();
        for n in 0..50 {
            late.push(ev(n));
        }
        late.set_limit(Some(4));
        let mut early = Trace::default();
        early.set_limit(Some(4));
        for n in 0..50 {
            early.push(ev(n));
        }
        for n in 50..57 {
            late.push(ev(n));
            early.push(ev(n));
            let newest: Vec<u64> = (n - 3..=n).collect();
            assert_eq!(ticks(&late), newest);
            assert_eq!(ticks(&early), newest);
            assert_eq!(late.first_index(), n - 3);
            assert_eq!(early.first_index(), n - 3);
        }
    }

    #[test]
    fn capped_trace_keeps_absolute_indices() {
        let mut t = Trace::default();
        t.set_limit(Some(3));
        for n in 0..10 {
            t.push(ev(n));
        }
        assert_eq!(t.first_index(), 7);
        assert_eq!(t.end_index(), 10);
        let since: Vec<u64> = t.since(8).map(|(i, e)| i * 100 + e.tick().0).collect();
        assert_eq!(since, vec![808, 909]);
        // Asking for events already dropped returns what is still held.
        assert_eq!(t.since(0).count(), 3);
        assert_eq!(t.drain().len(), 3);
        assert_eq!(t.end_index(), 10);
        assert_eq!(t.since(10).count(), 0);
    }
}
