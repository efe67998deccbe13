//! What the topic panels show: partitions with their bounds and segments, record rows (with
//! their redelivery and producer-duplicate marks), the recent routings, records per key, and
//! which keys seen so far would move under another partition count or partitioner.

#[cfg(test)]
mod tests;

use super::Playground;
use orderflow_engine::ids::{Offset, PartitionId};
use orderflow_engine::log::DEFAULT_SEGMENT_RECORDS;
use orderflow_engine::partitioner::{Partitioner, Routing};
use orderflow_engine::saga::message::SagaMessage;
use orderflow_engine::sim::TraceEvent;
use orderflow_engine::topic::MAX_PARTITIONS;
use std::collections::{BTreeMap, BTreeSet};

/// Most distinct keys remembered for the "which keys move" preview.
pub const MAX_KEYS_TRACKED: usize = 10_000;
/// How many recent routings the routing view can show.
pub const RECENT_ROUTINGS: usize = 8;

/// One produced record's routing, for the routing view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoutedEvent {
    /// The playground's replay epoch (see [`Playground::epoch`]).
    pub epoch: u64,
    /// Position in the trace: with the epoch, a stable key for animations.
    pub sequence: u64,
    /// The topic the record went to.
    pub topic: String,
    /// `None`: published without a key (round-robin or sticky).
    pub key: Option<String>,
    /// The hashing, for a keyed record.
    pub routing: Option<Routing>,
    pub partition: PartitionId,
    pub offset: Offset,
}

/// One record row as the partition view shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordRow {
    /// The playground's replay epoch: with the offset, a stable and unique row key.
    pub epoch: u64,
    pub offset: u64,
    pub key: String,
    pub order_id: String,
    pub user_id: String,
    pub status: String,
    pub tick: u64,
    /// The first record of a segment (not the log's first).
    pub segment_start: bool,
    /// Groups that processed this record again after a redelivery (duplicates).
    pub redelivered_to: Vec<String>,
    /// A producer's retry appended this record again after a lost acknowledgement: the
    /// offset of the first copy (a duplicate in the log, not a redelivery).
    pub duplicate_of: Option<u64>,
    /// A saga record: the engine's message name ("ReleaseInventory").
    pub saga_message: Option<&'static str>,
    /// The saga message is a compensation command: it undoes a step (cancel the order,
    /// release the stock, refund the payment, cancel the shipment).
    pub compensation: bool,
}

/// True for the saga's compensation commands, the messages the engine's
/// `orchestrator::Compensation::command` sends to undo a step.
pub fn is_compensation(message: &SagaMessage) -> bool {
    matches!(
        message,
        SagaMessage::CancelOrder { .. }
            | SagaMessage::ReleaseInventory { .. }
            | SagaMessage::RefundPayment { .. }
            | SagaMessage::CancelShipment { .. }
    )
}

/// A key whose partition differs between two partition counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MovedKey {
    pub key: String,
    pub from: u32,
    pub to: u32,
}

impl Playground {
    /// Number of partitions of `topic` now (after any partitions were added).
    pub fn partition_count(&self, topic: &str) -> u32 {
        self.sim().topic(topic).map_or(0, |t| t.partition_count())
    }

    /// `(log_start_offset, high_watermark)` of a partition.
    pub fn partition_bounds(&self, topic: &str, partition: u32) -> (u64, u64) {
        self.sim()
            .topic(topic)
            .and_then(|t| t.partition(PartitionId(partition)))
            .map_or((0, 0), |log| {
                (log.log_start_offset().0, log.high_watermark().0)
            })
    }

    /// Records of a partition whose offsets fall in `from..to` (clamped to the log).
    pub fn rows(&self, topic: &str, partition: u32, from: u64, to: u64) -> Vec<RecordRow> {
        let Some(log) = self
            .sim()
            .topic(topic)
            .and_then(|t| t.partition(PartitionId(partition)))
        else {
            return Vec::new();
        };
        let Ok(records) = log.range(Offset(from.max(log.log_start_offset().0)), Offset(to)) else {
            return Vec::new();
        };
        let segment = self
            .topic_spec(topic)
            .and_then(|s| s.segment_records)
            .unwrap_or(DEFAULT_SEGMENT_RECORDS)
            .max(1);
        records
            .map(|r| {
                let order = r.order();
                let saga = r.saga();
                RecordRow {
                    epoch: self.epoch,
                    offset: r.offset().0,
                    key: r.key().unwrap_or_default().to_owned(),
                    order_id: order.map_or_else(String::new, |o| o.order_id.to_owned()),
                    user_id: order.map_or_else(String::new, |o| o.user_id.to_owned()),
                    status: order.map_or_else(String::new, |o| o.status.to_owned()),
                    tick: r.tick().0,
                    segment_start: r.offset().0 > 0 && r.offset().0 % segment == 0,
                    redelivered_to: self
                        .redelivered
                        .get(&(topic.to_string(), partition, r.offset().0))
                        .cloned()
                        .unwrap_or_default(),
                    duplicate_of: self
                        .duplicates
                        .get(topic, partition, r.offset().0)
                        .map(|d| d.original_offset),
                    saga_message: saga.map(SagaMessage::name),
                    compensation: saga.is_some_and(is_compensation),
                }
            })
            .collect()
    }

    /// Records per partition of `topic`, in partition order.
    pub fn partition_sizes(&self, topic: &str) -> Vec<u64> {
        (0..self.partition_count(topic))
            .map(|p| {
                let (start, end) = self.partition_bounds(topic, p);
                end - start
            })
            .collect()
    }

    /// Records in `topic`.
    pub fn topic_records(&self, topic: &str) -> u64 {
        self.partition_sizes(topic).iter().sum()
    }

    /// Records in every topic.
    pub fn total_records(&self) -> u64 {
        self.topics
            .iter()
            .map(|t| self.topic_records(&t.name))
            .sum()
    }

    /// The last `limit` records produced to `topic` with their routing, newest first.
    pub fn recent_routings(&self, topic: &str, limit: usize) -> Vec<RoutedEvent> {
        let first = self.sim().trace_buffer().first_index();
        self.sim()
            .trace()
            .iter()
            .enumerate()
            .rev()
            .filter_map(|(i, e)| match e {
                TraceEvent::Produced {
                    topic: t,
                    key,
                    routing,
                    partition,
                    offset,
                    ..
                } if &**t == topic => Some(RoutedEvent {
                    epoch: self.epoch,
                    sequence: first + i as u64,
                    topic: t.to_string(),
                    key: key.clone(),
                    routing: *routing,
                    partition: *partition,
                    offset: *offset,
                }),
                _ => None,
            })
            .take(limit)
            .collect()
    }

    /// Keys seen so far in `topic` (at most [`MAX_KEYS_TRACKED`]), in key order.
    pub fn keys_seen(&self, topic: &str) -> usize {
        self.keys_seen.get(topic).map_or(0, BTreeSet::len)
    }

    /// Which of the keys seen in `topic` would land on another partition with `partitions`
    /// partitions (and `partitioner`) than with the topic's partitioner and its partition
    /// count now, computed with the engine's partitioner.
    pub fn moved_keys(
        &self,
        topic: &str,
        partitioner: Partitioner,
        partitions: u32,
    ) -> Vec<MovedKey> {
        let Some(setup) = self.setup(topic) else {
            return Vec::new();
        };
        let current = setup.partitioner;
        let now = self.partition_count(topic);
        if partitions == 0 || partitions > MAX_PARTITIONS || now == 0 || !setup.keyed {
            return Vec::new();
        }
        self.keys_seen
            .get(topic)
            .into_iter()
            .flatten()
            .filter_map(|key| {
                let from = current.route(key.as_bytes(), now).partition.0;
                let to = partitioner.route(key.as_bytes(), partitions).partition.0;
                (from != to).then(|| MovedKey {
                    key: key.clone(),
                    from,
                    to,
                })
            })
            .collect()
    }

    /// Records per key across `topic` (for skew).
    pub fn key_counts(&self, topic: &str) -> BTreeMap<String, u64> {
        let mut counts = BTreeMap::new();
        if let Some(topic) = self.sim().topic(topic) {
            for log in topic.partitions() {
                for r in log.records() {
                    let key = r.key().unwrap_or_default();
                    match counts.get_mut(key) {
                        Some(n) => *n += 1,
                        None => {
                            counts.insert(key.to_owned(), 1);
                        }
                    }
                }
            }
        }
        counts
    }

    /// Number of segments of a partition.
    pub fn segment_count(&self, topic: &str, partition: u32) -> usize {
        self.sim()
            .topic(topic)
            .and_then(|t| t.partition(PartitionId(partition)))
            .map_or(0, |log| log.segments().len())
    }

    /// Remembers a key seen in `topic` (up to [`MAX_KEYS_TRACKED`] per topic).
    pub(super) fn remember_key(&mut self, topic: &str, key: &str) {
        let keys = match self.keys_seen.get_mut(topic) {
            Some(keys) => keys,
            None => self.keys_seen.entry(topic.to_string()).or_default(),
        };
        if keys.len() < MAX_KEYS_TRACKED && !keys.contains(key) {
            keys.insert(key.to_string());
        }
    }
}

/// A stable hue (0..360) for a key, so one key has one colour everywhere.
pub fn key_hue(key: &str) -> u32 {
    orderflow_engine::partitioner::to_positive(orderflow_engine::partitioner::murmur2(
        key.as_bytes(),
    )) % 360
}

/// Every record of every partition of `topic`, without the view-only replay epoch: what a
/// replay must reproduce (tests compare runs with it).
#[cfg(test)]
pub(crate) fn records_without_epoch(pg: &Playground, topic: &str) -> Vec<Vec<RecordRow>> {
    (0..pg.partition_count(topic))
        .map(|p| {
            pg.rows(topic, p, 0, u64::MAX)
                .into_iter()
                .map(|r| RecordRow { epoch: 0, ..r })
                .collect()
        })
        .collect()
}
