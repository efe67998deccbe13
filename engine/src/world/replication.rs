//! The cluster under the topics, as the simulation drives it: which records of a partition
//! are committed (below the high watermark) and therefore in the topic's log, which wait
//! above it on the leader, and the trace of brokers, leaders and the ISR.
//!
//! Without brokers ([`Brokers::cluster`] is `None`, the default) the simulation has one
//! implicit broker and replication factor 1: every append is committed at once and nothing
//! about brokers is traced, exactly as before brokers existed. With brokers (`set_brokers`),
//! every append goes to its partition's leader in the [`Cluster`]; the record's payload
//! waits here until the high watermark passes it and only then enters the topic's log
//! (traced as `produced`), so consumers read committed records only. An unclean election
//! that moves the high watermark back takes the records above it out of the topic's log
//! again (they wait here, in case a later leader restores them).

use super::{AppendError, Origin, Placement, World};
use crate::assignor::TopicPartition;
use crate::cluster::replication::{
    AppendId, Cluster, ProduceError, ProduceOutcome, ProduceRequest, ProduceRequestId,
    ReplicationEvent,
};
use crate::cluster::BrokerId;
use crate::ids::{Offset, PartitionId};
use crate::log::{Headers, Payload};
use crate::partitioner::Routing;
use crate::topic::TopicError;
use crate::trace::TraceEvent;
use litemap::LiteMap;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// The simulation's cluster and the records it has not committed yet.
#[derive(Debug, Default)]
pub(crate) struct Brokers {
    /// `None`: one implicit broker, replication factor 1 (see the module docs).
    pub(crate) cluster: Option<Cluster>,
    /// Payloads of appended records not (or no longer) in the topic's log, by append.
    /// Boxed: a payload is a few hundred bytes, and inline the map's nodes were several
    /// kilobytes each, which made every insert that split a node a slow allocation.
    pending: LiteMap<TopicPartition, BTreeMap<AppendId, Box<PendingRecord>>>,
    /// Which append each offset of a topic's log is (committed records), so an unclean
    /// election that takes records out again knows exactly which they were.
    committed: LiteMap<TopicPartition, BTreeMap<Offset, AppendId>>,
    /// Named producers' `acks=all` sends waiting for the ISR.
    waiting: BTreeMap<ProduceRequestId, WaitingSend>,
    /// Waiting sends that failed (leader died or moved, ISR shrank, timeout), for their
    /// producers to retry.
    failed: Vec<WaitingSend>,
}

impl Brokers {
    /// Takes the failed waiting sends out, oldest first.
    pub(crate) fn take_failed_sends(&mut self) -> Vec<WaitingSend> {
        std::mem::take(&mut self.failed)
    }

    /// How many per-record entries the brokers hold: the cluster's log entries and record
    /// metadata ([`Cluster::held_entries`]), the committed index and the payloads waiting
    /// for the high watermark. Retention bounds it.
    pub(crate) fn held(&self) -> usize {
        let cluster = self.cluster.as_ref().map_or(0, Cluster::held_entries);
        let committed: usize = self.committed.values().map(BTreeMap::len).sum();
        let pending: usize = self.pending.values().map(BTreeMap::len).sum();
        cluster + committed + pending
    }

    /// How many appended records wait for the high watermark (or were lost and are not
    /// forgotten yet): resident, but in no topic's log.
    pub(crate) fn uncommitted(&self) -> u64 {
        self.pending.values().map(|p| p.len() as u64).sum()
    }

    /// Whether `partition` has no live leader (consumers cannot fetch from it).
    pub(crate) fn offline(&self, partition: &TopicPartition) -> bool {
        self.cluster
            .as_ref()
            .is_some_and(|c| c.leader(partition).is_none())
    }
}

/// A record the leader holds, waiting for the high watermark.
#[derive(Clone, Debug)]
struct PendingRecord {
    routing: Option<Routing>,
    key: Option<String>,
    value: Payload,
    headers: Headers,
    producer: Option<String>,
    group: Option<String>,
    attempt: u32,
    duplicate_of: Option<Offset>,
}

/// A named producer's `acks=all` send, kept until its answer so a failure can be retried
/// (to the partition's leader then, which may be a new one).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct WaitingSend {
    /// The producer.
    pub(crate) producer: String,
    /// The topic.
    pub(crate) topic: String,
    /// The partition (and the key's routing).
    pub(crate) routed: (Option<Routing>, PartitionId),
    /// The key.
    pub(crate) key: Option<String>,
    /// The value.
    pub(crate) value: Payload,
    /// The headers (the event id stays the same on a retry).
    pub(crate) headers: Headers,
    /// Which attempt this was.
    pub(crate) attempt: u32,
    /// Which append it was.
    pub(crate) append: AppendId,
    /// Where the leader appended it.
    pub(crate) offset: Offset,
}

impl WaitingSend {
    /// The partition it went to.
    pub(crate) fn partition(&self) -> TopicPartition {
        TopicPartition {
            topic: self.topic.as_str().into(),
            partition: self.routed.1,
        }
    }
}

/// What the simulation does after forwarding one replication event.
enum Reaction {
    Nothing,
    Commit(TopicPartition),
    Uncommit(TopicPartition, Offset),
    Answered(ProduceRequestId, Option<ProduceError>),
}

impl World<'_> {
    /// The topic's retention moved `tp`'s log start offset to `log_start_offset`: the
    /// cluster's leader follows (its followers on their next fetch), and the committed
    /// index and the payloads of appends the cluster no longer remembers are dropped, so
    /// with brokers too what is held is bounded by retention.
    pub(super) fn retention_deleted(&mut self, tp: &TopicPartition, log_start_offset: Offset) {
        let Some(cluster) = self.brokers.cluster.as_mut() else {
            return;
        };
        cluster.delete_records_before(tp, log_start_offset);
        let first = cluster.first_remembered_append(tp);
        // Split only when something is below the cut: `split_off` allocates a new tree
        // (for the payloads, nodes of several kilobytes) even when it moves everything.
        let below = |first: Option<&Offset>| first.is_some_and(|o| *o < log_start_offset);
        if let Some(committed) = self.brokers.committed.get_mut(tp) {
            if below(committed.keys().next()) {
                *committed = committed.split_off(&log_start_offset);
            }
        }
        let forgotten = |p: &BTreeMap<AppendId, Box<PendingRecord>>| {
            p.keys().next().is_some_and(|a| *a < first)
        };
        if let Some(pending) = self.brokers.pending.get_mut(tp).filter(|p| forgotten(p)) {
            // Appends the cluster forgot were lost: no leader will commit them.
            let kept = pending.split_off(&first);
            let dropped = pending.len() as u64;
            *pending = kept;
            self.records.resident = self.records.resident.saturating_sub(dropped);
        }
    }

    /// Sends a record to its partition's leader (see the module docs). Returns the offset
    /// the leader gave it; a refusal is traced and returned as [`AppendError::Refused`].
    pub(super) fn append_to_leader(
        &mut self,
        topic: &str,
        (routing, partition): (Option<Routing>, PartitionId),
        key: Option<String>,
        value: Payload,
        headers: Headers,
        origin: Origin<'_>,
    ) -> Result<Offset, AppendError> {
        let t = self.topic_mut(topic)?;
        if t.partition(partition).is_none() {
            return Err(TopicError::UnknownPartition {
                topic: topic.to_string(),
                partition,
                partitions: t.partition_count(),
            }
            .into());
        }
        let tp = t.topic_partition(partition);
        let cluster = self.brokers.cluster.as_mut().expect("called with brokers");
        let request = ProduceRequest {
            partition: tp.clone(),
            broker: cluster.produce_target(&tp).unwrap_or(BrokerId(0)),
            acks: origin.acks,
            key: key.clone(),
            event_id: Some(headers.event_id),
        };
        let (result, events) = cluster.produce(self.now, request);
        let outcome = match result {
            Ok(outcome) => outcome,
            Err(error) => {
                self.trace.push(TraceEvent::ProduceRefused {
                    tick: self.now,
                    topic: Arc::clone(&tp.topic),
                    partition,
                    key,
                    producer: origin.producer.map(Box::from),
                    attempt: origin.attempt,
                    error: error.name().into(),
                    message: error.to_string().into_boxed_str(),
                });
                self.forward(events);
                return Err(AppendError::Refused(error));
            }
        };
        let (offset, append, request) = match outcome {
            ProduceOutcome::SentWithoutAnswer { offset, append }
            | ProduceOutcome::Acknowledged { offset, append } => (offset, append, None),
            ProduceOutcome::Waiting {
                request,
                offset,
                append,
            } => (offset, append, Some(request)),
        };
        if let (Some(request), Some(producer)) = (request, origin.producer) {
            let waiting = WaitingSend {
                producer: producer.to_string(),
                topic: topic.to_string(),
                routed: (routing, partition),
                key: key.clone(),
                value: value.clone(),
                headers: headers.clone(),
                attempt: origin.attempt,
                append,
                offset,
            };
            self.brokers.waiting.insert(request, waiting);
        }
        let record = PendingRecord {
            routing,
            key,
            value,
            headers,
            producer: origin.producer.map(str::to_string),
            group: origin.group.map(str::to_string),
            attempt: origin.attempt,
            duplicate_of: origin.duplicate_of,
        };
        self.brokers
            .pending
            .entry(tp)
            .or_default()
            .insert(append, Box::new(record));
        self.forward(events);
        Ok(offset)
    }

    /// Traces the cluster's events in order and acts on them: records the high watermark
    /// passed enter the topic's log, committed records an election lost (an unclean one
    /// only) leave it, and answered `acks=all` sends are settled (failures kept for their
    /// producer's retry).
    pub(crate) fn forward(&mut self, events: Vec<ReplicationEvent>) {
        let mut uncommitted = BTreeSet::new();
        for event in events {
            let reaction = match &event {
                ReplicationEvent::HighWatermarkAdvanced { partition, .. } => {
                    Reaction::Commit(partition.clone())
                }
                ReplicationEvent::HighWatermarkMovedBack { partition, to, .. } => {
                    Reaction::Uncommit(partition.clone(), *to)
                }
                ReplicationEvent::RecordLost {
                    partition,
                    offset,
                    committed: true,
                    ..
                } => Reaction::Uncommit(partition.clone(), *offset),
                ReplicationEvent::ProduceCompleted { request, error, .. } => {
                    Reaction::Answered(*request, error.clone())
                }
                _ => Reaction::Nothing,
            };
            self.trace.push(TraceEvent::Replication {
                tick: self.now,
                event,
            });
            match reaction {
                Reaction::Nothing => {}
                Reaction::Commit(tp) => self.commit_below_high_watermark(&tp),
                Reaction::Uncommit(tp, to) => {
                    self.uncommit_from(&tp, to);
                    uncommitted.insert(tp);
                }
                Reaction::Answered(request, error) => {
                    let waiting = self.brokers.waiting.remove(&request);
                    if let (Some(waiting), Some(_)) = (waiting, error) {
                        self.brokers.failed.push(waiting);
                    }
                }
            }
        }
        // The new leader's own records below the high watermark take the lost ones' place.
        for tp in uncommitted {
            self.commit_below_high_watermark(&tp);
        }
    }

    /// Moves the records between the topic log's end and the high watermark, in the
    /// leader's order, into the topic's log.
    fn commit_below_high_watermark(&mut self, tp: &TopicPartition) {
        let Some(cluster) = self.brokers.cluster.as_ref() else {
            return;
        };
        let (Some(high_watermark), Some(leader)) = (cluster.high_watermark(tp), cluster.leader(tp))
        else {
            return;
        };
        let Some(end) = self
            .topics
            .get(&*tp.topic)
            .and_then(|t| t.partition(tp.partition))
            .map(|log| log.high_watermark())
        else {
            return;
        };
        let start = cluster.log_start_offset(tp).unwrap_or_default();
        if end < start {
            // Only after an unclean election: the new leader's retention had deleted the
            // records up to its log start offset; the topic's log starts there too.
            let log = self
                .topics
                .get_mut(&*tp.topic)
                .and_then(|t| t.partition_mut(tp.partition))
                .expect("the partition exists");
            let removed = log.truncate_fully_and_start_at(start) as u64;
            self.records.resident = self.records.resident.saturating_sub(removed);
            return self.commit_below_high_watermark(tp);
        }
        let cluster = self.brokers.cluster.as_ref().expect("checked above");
        let appends: Vec<AppendId> = cluster
            .replica_entries(tp, leader, (end, high_watermark))
            .iter()
            .map(|e| e.append)
            .collect();
        for append in appends {
            let pending = self.brokers.pending.get_mut(tp);
            // Every append a leader holds left its payload here when it was appended (or
            // when an unclean election took it out of the topic again).
            let Some(record) = pending.and_then(|p| p.remove(&append)) else {
                return;
            };
            let record = *record;
            let origin = Origin {
                producer: record.producer.as_deref(),
                group: record.group.as_deref(),
                attempt: record.attempt,
                duplicate_of: record.duplicate_of,
                acks: crate::cluster::replication::Acks::All,
            };
            let routed = (record.routing, tp.partition);
            let committed = self.append_committed(
                &tp.topic,
                Placement::Routed(routed, record.headers),
                record.key,
                record.value,
                origin,
            );
            debug_assert!(committed.is_ok(), "{tp}: a committed record is refused");
            if let Ok(offset) = committed {
                // Looked up before `entry`, which would clone the partition's name per record.
                match self.brokers.committed.get_mut(tp) {
                    Some(appends) => {
                        appends.insert(offset, append);
                    }
                    None => {
                        let appends = self.brokers.committed.entry(tp.clone()).or_default();
                        appends.insert(offset, append);
                    }
                }
            }
        }
    }

    /// An unclean election moved the high watermark back to `to`: the topic's log loses
    /// the records from there on, and their payloads wait again (a later leader that still
    /// holds one restores it).
    fn uncommit_from(&mut self, tp: &TopicPartition, to: Offset) {
        let Some(log) = self
            .topics
            .get_mut(&*tp.topic)
            .and_then(|t| t.partition_mut(tp.partition))
        else {
            return;
        };
        let removed = log.truncate_to(to);
        let committed = self.brokers.committed.entry(tp.clone()).or_default();
        let appends: Vec<Option<AppendId>> = removed
            .iter()
            .map(|r| committed.remove(&r.offset))
            .collect();
        let pending = self.brokers.pending.entry(tp.clone()).or_default();
        for (record, append) in removed.into_iter().zip(appends) {
            let Some(append) = append else {
                continue;
            };
            pending.insert(
                append,
                Box::new(PendingRecord {
                    routing: None,
                    key: record.key,
                    value: record.value,
                    headers: record.headers,
                    producer: None,
                    group: None,
                    attempt: 1,
                    duplicate_of: None,
                }),
            );
        }
    }
}
