//! The tick context: what a consumer group, a producer or a generator may touch while it
//! acts (the clock, the topics, the trace, the RNG and the event id counter), and the one
//! way records get into a topic ([`World::append`]), so every append is traced the same
//! way and record-count retention runs as segments fill.
//!
//! The simulation lends it out and keeps the groups aside, so a group can append to topics
//! while the simulation iterates over the groups.

mod replication;

pub(crate) use replication::{Brokers, WaitingSend};

use crate::cluster::replication::{Acks, ProduceError};
use crate::ids::{EventId, Offset, PartitionId, Tick};
use crate::log::{Headers, Payload};
use crate::partitioner::Routing;
use crate::process::OutgoingRecord;
use crate::rng::SimRng;
use crate::topic::{Produced, Topic, TopicError};
use crate::trace::{Trace, TraceEvent};
use std::collections::BTreeMap;
use thiserror::Error;

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
}

/// Who appends a record, for [`TraceEvent::Produced`].
pub(crate) struct Origin<'a> {
    /// The named producer (`None`: a produce command, a processor or a generator).
    pub(crate) producer: Option<&'a str>,
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
        attempt: 1,
        duplicate_of: None,
        acks: Acks::All,
    };
}

impl World<'_> {
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

    /// Appends to a chosen partition: the one way a record gets into a topic. Without
    /// brokers the record is committed at once; with brokers it goes to the partition's
    /// leader and enters the topic's log once committed (see [`replication`]).
    pub(crate) fn append(
        &mut self,
        topic: &str,
        routed: (Option<Routing>, PartitionId),
        key: Option<String>,
        value: Payload,
        headers: Headers,
        origin: Origin<'_>,
    ) -> Result<Offset, AppendError> {
        if self.brokers.cluster.is_some() {
            return self.append_to_leader(topic, routed, key, value, headers, origin);
        }
        self.append_committed(topic, routed, key, value, headers, origin)
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
        (routing, partition): (Option<Routing>, PartitionId),
        key: Option<String>,
        value: Payload,
        headers: Headers,
        origin: Origin<'_>,
    ) -> Result<Offset, AppendError> {
        let now = self.now;
        let t = self.topic_mut(topic)?;
        let event_id = headers.event_id;
        let offset = t.append_to(partition, key.clone(), value, now, headers)?;
        let config = t.config();
        self.trace.push(TraceEvent::Produced {
            tick: now,
            topic: topic.to_string(),
            key,
            routing,
            partition,
            offset,
            event_id,
            producer: origin.producer.map(str::to_string),
            attempt: origin.attempt,
            duplicate_of: origin.duplicate_of,
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
        let deleted = log.apply_retention(now);
        if deleted > 0 {
            self.trace.push(TraceEvent::SegmentsDeleted {
                tick: now,
                topic: topic.to_string(),
                partition,
                segments: deleted,
                log_start_offset: log.log_start_offset(),
            });
        }
    }

    /// Routes and appends a record with fresh headers.
    pub(crate) fn produce(
        &mut self,
        topic: &str,
        key: Option<String>,
        value: Payload,
    ) -> Result<Produced, AppendError> {
        let routed = self.route(topic, key.as_deref())?;
        let headers = Headers {
            event_id: self.next_event_id(),
            correlation_id: None,
            causation_id: None,
            schema_version: 1,
        };
        self.append_routed(topic, routed, key, value, headers)
    }

    /// Routes and appends what a processor (or an outbox relay) asked for, under its event
    /// id if it has one (`None`: a fresh one). A given id must have been issued already, so
    /// it can never collide with a later fresh id.
    pub(crate) fn produce_outgoing(
        &mut self,
        out: OutgoingRecord,
    ) -> Result<Produced, AppendError> {
        if let Some(id) = out.event_id {
            if id.0 == 0 || id.0 >= *self.next_event_id {
                return Err(AppendError::EventIdNotIssued {
                    event_id: id.0,
                    next_event_id: *self.next_event_id,
                });
            }
        }
        let routed = self.route(&out.topic, out.key.as_deref())?;
        let headers = Headers {
            event_id: out.event_id.unwrap_or_else(|| self.next_event_id()),
            correlation_id: out.correlation_id,
            causation_id: out.causation_id,
            schema_version: out.schema_version,
        };
        self.append_routed(&out.topic, routed, out.key, out.payload, headers)
    }

    fn append_routed(
        &mut self,
        topic: &str,
        (routing, partition): (Option<Routing>, PartitionId),
        key: Option<String>,
        value: Payload,
        headers: Headers,
    ) -> Result<Produced, AppendError> {
        let routed = (routing.clone(), partition);
        let offset = self.append(topic, routed, key, value, headers, Origin::PLAIN)?;
        Ok(Produced {
            routing,
            partition,
            offset,
        })
    }
}
