//! Producing to a partition's leader: `acks=0`, `1` and `all`, the topic's
//! `min.insync.replicas`, and the refusals with Kafka's error names.
//!
//! As in Kafka's `Partition.appendRecordsToLeader`, `min.insync.replicas` is checked only for
//! `acks=all`, before the append (`NOT_ENOUGH_REPLICAS`), and again when the high watermark
//! passes the record (`DelayedProduce`: `NOT_ENOUGH_REPLICAS_AFTER_APPEND` if the ISR shrank
//! meanwhile; the record stays in the log, so a retry writes it twice). `acks=0` and `acks=1`
//! ignore it.

use super::event::ReplicationEvent;
use super::routing::{route_to, RoutingError};
use super::{
    advance_high_watermark, AppendId, AppendedRecord, Cluster, LogEntry, PartitionState,
    TopicReplication,
};
use crate::assignor::TopicPartition;
use crate::cluster::BrokerId;
use crate::ids::{EventId, Offset, Tick};
use litemap::LiteMap;
use serde::{Deserialize, Serialize};
use std::fmt;
use thiserror::Error;

/// The producer's `acks`: the one type for producers, produce requests and the trace.
///
/// As JSON `"0"`, `"1"` and `"all"`; `"-1"` (Kafka's other spelling of `all`) and the names
/// older session files used (`"none"`, `"leader"`) are read too.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Acks {
    /// `acks=0`: no answer at all; the producer never learns of a failure.
    #[serde(rename = "0", alias = "none")]
    None,
    /// `acks=1`: the leader answers once it has appended.
    #[serde(rename = "1", alias = "leader")]
    Leader,
    /// `acks=all` (`-1`, the default since Kafka 3.0): the leader answers once the whole
    /// ISR has the record.
    #[default]
    #[serde(rename = "all", alias = "-1")]
    All,
}

crate::unit_enum_reader!(Acks {
    "0" => None,
    "none" => None,
    "1" => Leader,
    "leader" => Leader,
    "-1" => All,
    "all" => All,
});

impl fmt::Display for Acks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Acks::None => "acks=0",
            Acks::Leader => "acks=1",
            Acks::All => "acks=all",
        })
    }
}

/// Names an `acks=all` request that waits for the ISR, so its later
/// [`ReplicationEvent::ProduceCompleted`] can be matched to it.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct ProduceRequestId(pub u64);

/// One record sent to one broker.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProduceRequest {
    /// The partition.
    pub partition: TopicPartition,
    /// The broker the producer sends to: the leader in its metadata, which may be stale.
    pub broker: BrokerId,
    /// The producer's acks.
    pub acks: Acks,
    /// The record's key, kept so a lost record can be named by key.
    pub key: Option<String>,
    /// The simulation's event id, if any, kept for the same reason.
    pub event_id: Option<EventId>,
}

/// What the producer hears back right away.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProduceOutcome {
    /// `acks=0`: appended, and no answer goes back.
    SentWithoutAnswer {
        /// Where it was appended.
        offset: Offset,
        /// Which append it is.
        append: AppendId,
    },
    /// Acknowledged now: `acks=1`, or `acks=all` when the ISR already holds it.
    Acknowledged {
        /// Where it was appended.
        offset: Offset,
        /// Which append it is.
        append: AppendId,
    },
    /// `acks=all`, appended, waiting for the ISR; a [`ReplicationEvent::ProduceCompleted`]
    /// with this request id answers it later.
    Waiting {
        /// The request to match the answer with.
        request: ProduceRequestId,
        /// Where it was appended.
        offset: Offset,
        /// Which append it is.
        append: AppendId,
    },
}

/// Kafka's produce errors (the protocol's error names), with their numbers.
#[derive(Clone, Debug, PartialEq, Eq, Error, Serialize, Deserialize)]
pub enum ProduceError {
    /// The request did not reach the leader (unknown partition, broker down, no leader,
    /// not the leader).
    #[error(transparent)]
    Routing(#[from] RoutingError),
    /// `acks=all` with fewer in-sync replicas than `min.insync.replicas`: refused before
    /// the append, nothing was written.
    #[error(
        "NOT_ENOUGH_REPLICAS: {partition} has {isr} in-sync replicas, min.insync.replicas \
         is {min_insync_replicas}"
    )]
    NotEnoughReplicas {
        /// The partition.
        partition: TopicPartition,
        /// The ISR's size.
        isr: usize,
        /// The topic's `min.insync.replicas`.
        min_insync_replicas: u32,
    },
    /// `acks=all`: the record was appended and replicated to the ISR, but the ISR had
    /// shrunk below `min.insync.replicas` by then. The record is in the log.
    #[error(
        "NOT_ENOUGH_REPLICAS_AFTER_APPEND: offset {offset} of {partition} is written but the \
         ISR has only {isr} replicas, min.insync.replicas is {min_insync_replicas}"
    )]
    NotEnoughReplicasAfterAppend {
        /// The partition.
        partition: TopicPartition,
        /// Where it was appended.
        offset: Offset,
        /// The ISR's size.
        isr: usize,
        /// The topic's `min.insync.replicas`.
        min_insync_replicas: u32,
    },
    /// `acks=all` waited longer than the request timeout for the ISR.
    #[error("REQUEST_TIMED_OUT: offset {offset} of {partition} not replicated after {waited_ticks} ticks")]
    RequestTimedOut {
        /// The partition.
        partition: TopicPartition,
        /// Where it was appended.
        offset: Offset,
        /// How long it waited.
        waited_ticks: u64,
    },
}

impl ProduceError {
    /// Kafka's name for the error (`NOT_ENOUGH_REPLICAS`, `NOT_LEADER_OR_FOLLOWER`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            ProduceError::Routing(RoutingError::UnknownTopicOrPartition { .. }) => {
                "UNKNOWN_TOPIC_OR_PARTITION"
            }
            ProduceError::Routing(RoutingError::NetworkException { .. }) => "NETWORK_EXCEPTION",
            ProduceError::Routing(RoutingError::LeaderNotAvailable { .. }) => {
                "LEADER_NOT_AVAILABLE"
            }
            ProduceError::Routing(RoutingError::NotLeaderOrFollower { .. }) => {
                "NOT_LEADER_OR_FOLLOWER"
            }
            ProduceError::NotEnoughReplicas { .. } => "NOT_ENOUGH_REPLICAS",
            ProduceError::NotEnoughReplicasAfterAppend { .. } => "NOT_ENOUGH_REPLICAS_AFTER_APPEND",
            ProduceError::RequestTimedOut { .. } => "REQUEST_TIMED_OUT",
        }
    }
}

/// An `acks=all` request waiting for the high watermark (Kafka's `DelayedProduce` in the
/// produce purgatory).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct PendingProduce {
    pub(super) partition: TopicPartition,
    pub(super) offset: Offset,
    pub(super) append: AppendId,
    pub(super) sent_at: Tick,
}

impl Cluster {
    /// Sends one record. Errors come back at once (and count in `FailedProduceRequests`);
    /// an `acks=all` record that the ISR does not hold yet is [`ProduceOutcome::Waiting`].
    /// The events are those the append caused (a single-replica ISR commits at once).
    pub fn produce(
        &mut self,
        now: Tick,
        request: ProduceRequest,
    ) -> (Result<ProduceOutcome, ProduceError>, Vec<ReplicationEvent>) {
        let mut events = Vec::new();
        let result = self.try_produce(now, request, &mut events);
        if result.is_err() {
            self.counters.failed_produce_requests += 1;
        }
        (result, events)
    }

    fn try_produce(
        &mut self,
        now: Tick,
        request: ProduceRequest,
        events: &mut Vec<ReplicationEvent>,
    ) -> Result<ProduceOutcome, ProduceError> {
        let tp = request.partition.clone();
        let min_insync_replicas = self.min_insync_replicas(&tp.topic);
        let alive = self.is_alive(request.broker);
        // Looked up once, for the routing checks and the append.
        let partition = self.partitions.get_mut(&tp);
        let leader = route_to(
            &tp,
            partition.as_ref().map(|p| p.leader),
            alive,
            request.broker,
        )?;
        let partition = partition.expect("routed to its leader");
        let isr = partition.isr.len();
        if request.acks == Acks::All && isr < min_insync_replicas as usize {
            return Err(ProduceError::NotEnoughReplicas {
                partition: tp,
                isr,
                min_insync_replicas,
            });
        }
        let append = AppendId(partition.records.end());
        let log = partition
            .logs
            .get_mut(&leader)
            .expect("the leader holds a replica");
        let offset = log.log_end_offset();
        log.entries.push(LogEntry {
            leader_epoch: partition.leader_epoch,
            append,
        });
        partition.records.push(AppendedRecord {
            offset,
            leader_epoch: partition.leader_epoch,
            key: request.key,
            event_id: request.event_id,
            acks: request.acks,
            appended_at: now,
            acknowledged: request.acks == Acks::Leader,
            isr_when_acknowledged: (request.acks == Acks::Leader).then_some(isr),
            lost: false,
        });
        // On the partition already looked up: the high watermark, and (`acks=all`) whether
        // the ISR holds the record already.
        advance_high_watermark(self.high_watermark_rule, &tp, partition, events);
        let pending = match request.acks {
            Acks::None => return Ok(ProduceOutcome::SentWithoutAnswer { offset, append }),
            Acks::Leader => return Ok(ProduceOutcome::Acknowledged { offset, append }),
            Acks::All => PendingProduce {
                partition: tp,
                offset,
                append,
                sent_at: now,
            },
        };
        let replicated = complete_on(min_insync_replicas, partition, &pending);
        self.wait_for_isr(pending, replicated)
    }

    /// Puts an `acks=all` record in the purgatory, unless the ISR already holds it
    /// (`replicated`, from [`complete_on`]).
    fn wait_for_isr(
        &mut self,
        pending: PendingProduce,
        replicated: Option<Option<ProduceError>>,
    ) -> Result<ProduceOutcome, ProduceError> {
        let (offset, append) = (pending.offset, pending.append);
        match replicated {
            None => {
                let request = ProduceRequestId(self.next_request);
                self.next_request += 1;
                self.pending.insert(request, pending);
                Ok(ProduceOutcome::Waiting {
                    request,
                    offset,
                    append,
                })
            }
            Some(None) => Ok(ProduceOutcome::Acknowledged { offset, append }),
            Some(Some(error)) => Err(error),
        }
    }

    /// Answers the waiting `acks=all` requests whose record the ISR now holds, and those
    /// that waited longer than the request timeout.
    pub(super) fn complete_pending(&mut self, now: Tick, events: &mut Vec<ReplicationEvent>) {
        // Decided first, then answered in the same (request id) order: deciding reads and
        // marks only the partitions, answering only removes requests.
        let mut answered = Vec::new();
        for (id, pending) in &self.pending {
            let waited_ticks = now.0.saturating_sub(pending.sent_at.0);
            let error = match complete_if_replicated(&self.topics, &mut self.partitions, pending) {
                Some(error) => error,
                None if waited_ticks >= self.config.request_timeout_ticks => {
                    Some(ProduceError::RequestTimedOut {
                        partition: pending.partition.clone(),
                        offset: pending.offset,
                        waited_ticks,
                    })
                }
                None => continue,
            };
            answered.push((*id, error));
        }
        for (id, error) in answered {
            self.finish_pending(id, error, events);
        }
    }

    /// Fails every waiting request on `tp` with the error `make` builds from it (the
    /// leader died or moved).
    pub(super) fn fail_pending(
        &mut self,
        tp: &TopicPartition,
        make: impl Fn(&PendingProduce) -> ProduceError,
        events: &mut Vec<ReplicationEvent>,
    ) {
        let ids: Vec<ProduceRequestId> = self
            .pending
            .iter()
            .filter(|(_, p)| &p.partition == tp)
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            let error = make(&self.pending[&id]);
            self.finish_pending(id, Some(error), events);
        }
    }

    fn finish_pending(
        &mut self,
        id: ProduceRequestId,
        error: Option<ProduceError>,
        events: &mut Vec<ReplicationEvent>,
    ) {
        let pending = self.pending.remove(&id).expect("the request is waiting");
        if error.is_some() {
            self.counters.failed_produce_requests += 1;
        }
        events.push(ReplicationEvent::ProduceCompleted {
            request: id,
            partition: pending.partition,
            offset: pending.offset,
            error,
        });
    }
}

/// Kafka's `checkEnoughReplicasReachOffset`: `None` while the high watermark is not past
/// the record; then `Some(None)` (acknowledged, recorded on the record) or
/// `Some(Some(NOT_ENOUGH_REPLICAS_AFTER_APPEND))`.
fn complete_if_replicated(
    topics: &LiteMap<String, TopicReplication>,
    partitions: &mut LiteMap<TopicPartition, PartitionState>,
    pending: &PendingProduce,
) -> Option<Option<ProduceError>> {
    // As `Cluster::min_insync_replicas`, over the two fields it needs.
    let min_insync_replicas = topics
        .get(&*pending.partition.topic)
        .map_or(1, |t| t.min_insync_replicas);
    let partition = partitions.get_mut(&pending.partition)?;
    complete_on(min_insync_replicas, partition, pending)
}

/// [`complete_if_replicated`] on the request's partition, already looked up.
fn complete_on(
    min_insync_replicas: u32,
    partition: &mut PartitionState,
    pending: &PendingProduce,
) -> Option<Option<ProduceError>> {
    if partition.high_watermark <= pending.offset {
        return None;
    }
    let isr = partition.isr.len();
    if isr < min_insync_replicas as usize {
        return Some(Some(ProduceError::NotEnoughReplicasAfterAppend {
            partition: pending.partition.clone(),
            offset: pending.offset,
            isr,
            min_insync_replicas,
        }));
    }
    if let Some(record) = partition.records.get_mut(pending.append.0) {
        record.acknowledged = true;
        record.isr_when_acknowledged = Some(isr);
    }
    Some(None)
}
