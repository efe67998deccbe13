//! The tick context: what a consumer group, a producer or a generator may touch while it
//! acts (the clock, the topics, the trace, the RNG and the event id counter), and the one
//! way records get into a topic ([`World::append`]), so every append is traced the same
//! way and record-count retention runs as segments fill.
//!
//! The simulation lends it out and keeps the groups aside, so a group can append to topics
//! while the simulation iterates over the groups.

mod replication;

pub(crate) use replication::{Brokers, WaitingSend};

use crate::assignor::TopicPartition;
use crate::cluster::replication::{Acks, ProduceError};
use crate::ids::{EventId, Offset, PartitionId, Tick};
use crate::log::{Headers, Payload};
use crate::partitioner::Routing;
use crate::process::OutgoingRecord;
use crate::rng::SimRng;
use crate::topic::{Topic, TopicError};
use crate::trace::{ProducedOrigin, Trace, TraceEvent};
use std::collections::BTreeMap;
use std::sync::Arc;
use thiserror::Error;

/// The most records a simulation holds at once by default, over all topics and partitions
/// (records removed by retention no longer count). About 500 MB of records natively; a
/// long run without retention stops here with a message instead of exhausting memory.
pub const MAX_RESIDENT_RECORDS: u64 = 2_000_000;

/// An append refused because the simulation holds as many records as it may.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
#[error(
    "the simulation already holds {resident} records, its limit of {limit} resident \
     records; retention that deletes old segments makes room"
)]
pub struct RecordLimitError {
    /// Records held when the append was refused.
    pub resident: u64,
    /// The most records the simulation may hold.
    pub limit: u64,
}

/// The records a simulation holds over all its logs, against its limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RecordBudget {
    /// Records held now (appended minus removed by retention).
    pub(crate) resident: u64,
    /// The most it may hold.
    pub(crate) limit: u64,
    /// Appends refused at the limit so far.
    pub(crate) refused: u64,
    /// The latest refusal.
    pub(crate) last_refusal: Option<RecordLimitError>,
}

impl Default for RecordBudget {
    fn default() -> Self {
        Self {
            resident: 0,
            limit: MAX_RESIDENT_RECORDS,
            refused: 0,
            last_refusal: None,
        }
    }
}

impl RecordBudget {
    /// Room for one more record, or the refusal (counted).
    fn check(&mut self) -> Result<(), RecordLimitError> {
        if self.resident < self.limit {
            return Ok(());
        }
        let error = RecordLimitError {
            resident: self.resident,
            limit: self.limit,
        };
        self.refused += 1;
        self.last_refusal = Some(error);
        Err(error)
    }
}

/// Why a record could not be appended.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum AppendError {
    #[error("topic {0:?} does not exist")]
    /// No topic of that name.
    UnknownTopic(String),
    #[error(transparent)]
    /// The topic refused it.
    Topic(#[from] TopicError),
    #[error("event id {event_id} was never issued (the next one is {next_event_id})")]
    /// A record may only carry an event id the simulation issued.
    EventIdNotIssued {
        /// The id given.
        event_id: u64,
        /// The next id the simulation would issue.
        next_event_id: u64,
    },
    #[error(transparent)]
    /// The partition's leader refused it (only with brokers; traced as `produce_refused`).
    Refused(#[from] ProduceError),
    #[error(transparent)]
    /// The simulation holds as many records as it may.
    RecordLimit(#[from] RecordLimitError),
}

/// The parts of the simulation a group needs while it ticks (everything but the groups).
pub(crate) struct World<'a> {
    pub(crate) now: Tick,
    pub(crate) topics: &'a mut BTreeMap<String, Topic>,
    pub(crate) trace: &'a mut Trace,
    pub(crate) rng: &'a mut SimRng,
    pub(crate) next_event_id: &'a mut u64,
    /// The brokers under the topics (none configured: one implicit broker).
    pub(crate) brokers: &'a mut Brokers,
    pub(crate) records: &'a mut RecordBudget,
}

/// Where [`World::append`] puts a record, and under which headers.
pub(crate) enum Placement {
    /// A partition chosen already: a producer's send is routed once, when it is sent, so
    /// that its retries go where the first attempt went.
    Routed((Option<Routing>, PartitionId), Headers),
    /// Routed by its key on the same lookup of the topic that appends it (a produce, a
    /// processor's output), and only then given an event id if it has none, so a record
    /// refused for an unknown topic uses up no id.
    ByKey {
        /// The id it keeps (`None`: a fresh one).
        event_id: Option<EventId>,
        /// See [`Headers::correlation_id`].
        correlation_id: Option<String>,
        /// See [`Headers::causation_id`].
        causation_id: Option<EventId>,
        /// See [`Headers::schema_version`].
        schema_version: u16,
    },
}

impl Placement {
    /// The partition and headers: routed on `topic` by `key` if not routed yet.
    fn resolve(
        self,
        topic: &mut Topic,
        key: Option<&str>,
        rng: &mut SimRng,
        next_event_id: &mut u64,
    ) -> ((Option<Routing>, PartitionId), Headers) {
        match self {
            Placement::Routed(routed, headers) => (routed, headers),
            Placement::ByKey {
                event_id,
                correlation_id,
                causation_id,
                schema_version,
            } => {
                let routed = topic.route(key, rng);
                let event_id = event_id.unwrap_or_else(|| {
                    let id = EventId(*next_event_id);
                    *next_event_id += 1;
                    id
                });
                let headers = Headers {
                    event_id,
                    correlation_id,
                    causation_id,
                    schema_version,
                };
                (routed, headers)
            }
        }
    }
}

/// Who appends a record, for [`TraceEvent::Produced`].
pub(crate) struct Origin<'a> {
    /// The named producer (`None`: a produce command, a processor or a generator).
    pub(crate) producer: Option<&'a str>,
    /// The consumer group whose processing wrote it (its processor's output or its
    /// service's outbox relay): the stage draws the group as the record's writer.
    pub(crate) group: Option<&'a str>,
    /// 1 for the first send, 2 for the first retry, ...
    pub(crate) attempt: u32,
    /// A non-idempotent retry's first copy.
    pub(crate) duplicate_of: Option<Offset>,
    /// The producer's `acks` (what the leader waits for before answering; only brokers
    /// make it matter).
    pub(crate) acks: Acks,
}

impl Origin<'_> {
    /// A first and only attempt, by no named producer.
    pub(crate) const PLAIN: Origin<'static> = Origin {
        producer: None,
        group: None,
        attempt: 1,
        duplicate_of: None,
        acks: Acks::All,
    };
}

impl World<'_> {
    /// Room for one more record, or the refusal (counted; see [`Sim::record_limit_refusals`]).
    ///
    /// [`Sim::record_limit_refusals`]: crate::sim::Sim::record_limit_refusals
    pub(crate) fn check_room(&mut self) -> Result<(), RecordLimitError> {
        self.records.check()
    }

    /// Issues the next event id.
    pub(crate) fn next_event_id(&mut self) -> EventId {
        let id = EventId(*self.next_event_id);
        *self.next_event_id += 1;
        id
    }

    pub(crate) fn topic_mut(&mut self, topic: &str) -> Result<&mut Topic, AppendError> {
        self.topics
            .get_mut(topic)
            .ok_or_else(|| AppendError::UnknownTopic(topic.to_string()))
    }

    /// Picks the partition for a record of `topic` (see [`Topic::route`]).
    pub(crate) fn route(
        &mut self,
        topic: &str,
        key: Option<&str>,
    ) -> Result<(Option<Routing>, PartitionId), AppendError> {
        let t = self
            .topics
            .get_mut(topic)
            .ok_or_else(|| AppendError::UnknownTopic(topic.to_string()))?;
        Ok(t.route(key, self.rng))
    }

    /// Appends to a partition, chosen already or routed here by the key (see
    /// [`Placement`]): the one way a record gets into a topic. Without brokers the record
    /// is committed at once; with brokers it goes to the partition's leader and enters the
    /// topic's log once committed (see [`replication`]).
    pub(crate) fn append(
        &mut self,
        topic: &str,
        placement: Placement,
        key: Option<String>,
        value: Payload,
        origin: Origin<'_>,
    ) -> Result<Offset, AppendError> {
        // A record the leader holds but has not committed yet is resident too.
        self.check_room()?;
        let offset = if self.brokers.cluster.is_some() {
            let t = self
                .topics
                .get_mut(topic)
                .ok_or_else(|| AppendError::UnknownTopic(topic.to_string()))?;
            let (routed, headers) =
                placement.resolve(t, key.as_deref(), self.rng, self.next_event_id);
            self.append_to_leader(topic, routed, key, value, headers, origin)?
        } else {
            self.append_committed(topic, placement, key, value, origin)?
        };
        self.records.resident += 1;
        Ok(offset)
    }

    /// Whether `partition` has no live leader (only with brokers).
    pub(crate) fn partition_offline(&self, partition: &crate::assignor::TopicPartition) -> bool {
        self.brokers.offline(partition)
    }

    /// Appends a committed record to the topic's log, traces it and applies record-count
    /// retention when a new segment opens.
    fn append_committed(
        &mut self,
        topic: &str,
        placement: Placement,
        key: Option<String>,
        value: Payload,
        origin: Origin<'_>,
    ) -> Result<Offset, AppendError> {
        let now = self.now;
        // One lookup of the topic routes and appends (P's produce path looked it up twice).
        let t = self
            .topics
            .get_mut(topic)
            .ok_or_else(|| AppendError::UnknownTopic(topic.to_string()))?;
        let ((routing, partition), headers) =
            placement.resolve(t, key.as_deref(), self.rng, self.next_event_id);
        let event_id = headers.event_id;
        let name = Arc::clone(t.shared_name());
        let offset = t.append_to(partition, key.as_deref(), value, now, headers)?;
        if let Some(group) = origin.group {
            t.note_writer(group);
        }
        let config = t.config();
        self.trace.push(TraceEvent::Produced {
            tick: now,
            topic: name,
            key,
            routing,
            partition,
            offset,
            event_id,
            origin: ProducedOrigin::new(
                origin.producer.map(str::to_string),
                origin.group.map(str::to_string),
                origin.attempt,
                origin.duplicate_of,
            ),
        });
        if offset.0 % config.segment_records == 0 && config.retention.records.is_some() {
            self.apply_partition_retention(topic, partition);
        }
        Ok(offset)
    }

    /// Runs retention on every partition of `topic`, tracing what it deletes.
    pub(crate) fn apply_retention(&mut self, topic: &str) {
        let partitions = self.topics.get(topic).map_or(0, Topic::partition_count);
        for p in 0..partitions {
            self.apply_partition_retention(topic, PartitionId(p));
        }
    }

    fn apply_partition_retention(&mut self, topic: &str, partition: PartitionId) {
        let now = self.now;
        let Some(log) = self
            .topics
            .get_mut(topic)
            .and_then(|t| t.partition_mut(partition))
        else {
            return;
        };
        let held = log.len() as u64;
        let deleted = log.apply_retention(now);
        if deleted > 0 {
            let removed = held - log.len() as u64;
            self.records.resident = self.records.resident.saturating_sub(removed);
            self.trace.push(TraceEvent::SegmentsDeleted {
                tick: now,
                topic: topic.into(),
                partition,
                segments: deleted,
                log_start_offset: log.log_start_offset(),
            });
            let tp = TopicPartition {
                topic: topic.into(),
                partition,
            };
            let log_start_offset = log.log_start_offset();
            self.retention_deleted(&tp, log_start_offset);
        }
    }

    /// Routes and appends a record with fresh headers; `group` names the consumer group
    /// whose service wrote it, if one did (a saga timer's message).
    pub(crate) fn produce(
        &mut self,
        topic: &str,
        key: Option<String>,
        value: Payload,
        group: Option<&str>,
    ) -> Result<Offset, AppendError> {
        // `append` refuses before routing or issuing an id, so a refusal uses up nothing.
        let placement = Placement::ByKey {
            event_id: None,
            correlation_id: None,
            causation_id: None,
            schema_version: 1,
        };
        let origin = Origin {
            group,
            ..Origin::PLAIN
        };
        self.append(topic, placement, key, value, origin)
    }

    /// Routes and appends what a processor (or an outbox relay) asked for, under its event
    /// id if it has one (`None`: a fresh one). A given id must have been issued already, so
    /// it can never collide with a later fresh id. `group` is the consumer group whose
    /// processing wrote it, if any (traced, so the stage can draw the writer).
    pub(crate) fn produce_outgoing(
        &mut self,
        out: OutgoingRecord,
        group: Option<&str>,
    ) -> Result<Offset, AppendError> {
        self.check_room()?;
        if let Some(id) = out.event_id {
            if id.0 == 0 || id.0 >= *self.next_event_id {
                return Err(AppendError::EventIdNotIssued {
                    event_id: id.0,
                    next_event_id: *self.next_event_id,
                });
            }
        }
        let placement = Placement::ByKey {
            event_id: out.event_id,
            correlation_id: out.correlation_id,
            causation_id: out.causation_id,
            schema_version: out.schema_version,
        };
        let origin = Origin {
            group,
            ..Origin::PLAIN
        };
        self.append(&out.topic, placement, out.key, out.payload, origin)
    }
}
