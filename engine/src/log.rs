//! One partition's append-only log: records, segments, retention and the idempotent
//! producer's sequence check.
//!
//! Offsets are assigned by the log on append and are contiguous: the record at position `i`
//! of the log has offset `log_start_offset + i`. The high watermark is the offset the next
//! record will get (Kafka's log end offset; this engine has no replication, so the two
//! coincide).
//!
//! The log is cut into segments of [`LogConfig::segment_records`] records, aligned on
//! offsets (segment `k` holds offsets `k * size .. (k + 1) * size`). Retention deletes whole
//! closed segments from the front, never the active (last) one, like Kafka's log cleaner in
//! `delete` mode; the log start offset then moves to the next segment's base offset and
//! reading below it is [`LogError::OffsetOutOfRange`].
//!
//! The records are kept in fixed-size chunks ([`chunks`]): appending is a push into the
//! last chunk plus constant work, never a copy of the log, and a log holds at most one
//! chunk of spare room. Each record is kept in a compact form ([`stored`]: 40 bytes, its
//! strings in its chunk's text) and read as a [`RecordRef`]; [`RecordRef::to_record`]
//! builds the owned [`Record`] where a reader needs one.

mod chunks;
mod stored;

pub use chunks::Records;
pub use stored::{OrderRef, RecordRef};

/// The bytes a partition log keeps inline per record (its strings and anything boxed
/// come on top), as the benchmarks report it.
pub const KEPT_RECORD_BYTES: usize = size_of::<stored::Stored>();

use crate::ids::{EventId, Offset, ProducerId, Tick};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use thiserror::Error;

/// An order event as published by the playground's producer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderEvent {
    /// The user (the default key).
    pub user_id: String,
    /// The order.
    pub order_id: String,
    /// Its lifecycle status (Created, Paid, Shipped, Delivered).
    pub status: String,
}

/// The value of a record. An open enum: each kind of message the simulation carries is one
/// variant (the saga module adds its own).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Payload {
    /// An order event from the playground's producer or generator.
    Order(OrderEvent),
    /// A command or event of the order saga (see [`crate::saga`]). Boxed: a saga message
    /// is larger than an order event, and every record of every topic would pay for it.
    Saga(Box<crate::saga::message::SagaMessage>),
    /// A dead-lettered saga record on a `<topic>.DLQ` topic: the original, its error and
    /// attempt count.
    SagaDeadLetter(Box<crate::saga::retry::DeadLetter>),
}

impl Payload {
    /// The order event, if this payload is one.
    pub fn as_order(&self) -> Option<&OrderEvent> {
        match self {
            Payload::Order(o) => Some(o),
            _ => None,
        }
    }
}

impl<'a> RecordRef<'a> {
    /// The saga message, if the value is one.
    pub fn saga(&self) -> Option<&'a crate::saga::message::SagaMessage> {
        match self.kept_value()? {
            Payload::Saga(m) => Some(m),
            _ => None,
        }
    }
}

impl From<OrderEvent> for Payload {
    fn from(o: OrderEvent) -> Self {
        Payload::Order(o)
    }
}

/// Record headers, as an event-driven system uses them. The default is event id 0 at
/// schema version 1 (the version a header without one reads as).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Headers {
    /// Unique id of the event (kept by a retried duplicate).
    pub event_id: EventId,
    /// The business flow the event belongs to (e.g. an order id). `None`: the event starts
    /// its own flow, whose id is its event id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    /// The event that caused this one, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub causation_id: Option<EventId>,
    /// Version of the payload's schema.
    #[serde(default = "default_schema_version")]
    pub schema_version: u16,
}

fn default_schema_version() -> u16 {
    1
}

impl Default for Headers {
    fn default() -> Self {
        Headers {
            event_id: EventId::default(),
            correlation_id: None,
            causation_id: None,
            schema_version: default_schema_version(),
        }
    }
}

/// One record stored in a partition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// Its position in the partition.
    pub offset: Offset,
    /// `None` for records produced without a key.
    pub key: Option<String>,
    /// The record's value.
    pub value: Payload,
    /// The tick at which the record was appended (its timestamp).
    pub tick: Tick,
    /// The headers, event id included.
    pub headers: Headers,
}

/// When old segments are deleted. Both limits may be set; a segment goes when either says so.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retention {
    /// Keep at least this many records (Kafka's `retention.bytes`, counted in records): the
    /// oldest closed segment is deleted while the log would still hold this many without it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub records: Option<u64>,
    /// Delete a closed segment once its newest record is older than this many ticks
    /// (Kafka's `retention.ms`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticks: Option<u64>,
}

/// Per-partition log settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogConfig {
    /// Records per segment (Kafka's `segment.bytes`, counted in records). At least 1.
    #[serde(default = "default_segment_records")]
    pub segment_records: u64,
    #[serde(default)]
    /// When old segments are deleted.
    pub retention: Retention,
}

/// Default segment size: the seed documents draw segments of 1000 records.
pub const DEFAULT_SEGMENT_RECORDS: u64 = 1000;

fn default_segment_records() -> u64 {
    DEFAULT_SEGMENT_RECORDS
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            segment_records: DEFAULT_SEGMENT_RECORDS,
            retention: Retention::default(),
        }
    }
}

/// Errors from reading or configuring a partition log.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum LogError {
    #[error("offset {offset} is out of range: the log holds offsets {log_start_offset} to {high_watermark} (exclusive)")]
    /// The offset is not in the log.
    OffsetOutOfRange {
        /// The offset asked for.
        offset: Offset,
        /// The first offset still in the log.
        log_start_offset: Offset,
        /// The next offset to be written.
        high_watermark: Offset,
    },
    #[error("a segment holds at least 1 record, not {segment_records}")]
    /// A segment holds at least one record.
    SegmentSize {
        /// The size asked for.
        segment_records: u64,
    },
}

/// A segment as shown to people: its offset range and time range.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentInfo {
    /// The segment's first offset.
    pub base_offset: Offset,
    /// One past the last offset in the segment.
    pub end_offset: Offset,
    /// When its first record was appended.
    pub first_tick: Tick,
    /// When its last record was appended.
    pub last_tick: Tick,
    /// The active segment receives appends and is never deleted by retention.
    pub active: bool,
}

/// What the broker did with an idempotent producer's batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SequenceCheck {
    /// New sequence: append it.
    Append,
    /// Already appended at this offset: drop the duplicate and acknowledge again.
    Duplicate {
        /// Where the original is.
        offset: Offset,
    },
}

/// A count of records as a `usize`, saturating (a log never holds `usize::MAX` records,
/// and wasm32's `usize` is 32 bits).
fn positions(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// The append-only log of one partition.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "LogData", into = "LogData")]
pub struct PartitionLog {
    config: LogConfig,
    log_start_offset: Offset,
    /// The live records, oldest first (record `i` has offset `log_start_offset + i`).
    storage: chunks::Chunks,
    /// Last sequence number and its offset per idempotent producer.
    producer_sequences: BTreeMap<ProducerId, (u32, Offset)>,
}

/// The serialised form of a [`PartitionLog`] (live records only).
#[derive(Clone, Debug, Serialize, Deserialize)]
struct LogData {
    config: LogConfig,
    log_start_offset: Offset,
    records: Vec<Record>,
    #[serde(default)]
    producer_sequences: BTreeMap<ProducerId, (u32, Offset)>,
}

impl From<PartitionLog> for LogData {
    fn from(log: PartitionLog) -> Self {
        LogData {
            config: log.config,
            log_start_offset: log.log_start_offset,
            records: log.storage.to_vec(log.log_start_offset),
            producer_sequences: log.producer_sequences,
        }
    }
}

impl From<LogData> for PartitionLog {
    fn from(data: LogData) -> Self {
        let mut storage = chunks::Chunks::default();
        for record in data.records {
            storage.push(
                record.key.as_deref(),
                record.value,
                record.tick,
                record.headers,
            );
        }
        PartitionLog {
            config: data.config,
            log_start_offset: data.log_start_offset,
            storage,
            producer_sequences: data.producer_sequences,
        }
    }
}

impl PartitionLog {
    /// An empty log with the given settings.
    pub fn new(config: LogConfig) -> Result<Self, LogError> {
        if config.segment_records == 0 {
            return Err(LogError::SegmentSize { segment_records: 0 });
        }
        Ok(Self {
            config,
            ..Self::default()
        })
    }

    /// The log's settings.
    pub fn config(&self) -> LogConfig {
        self.config
    }

    /// Changes the settings; retention applies at the next append or [`Self::apply_retention`].
    pub fn set_config(&mut self, config: LogConfig) -> Result<(), LogError> {
        if config.segment_records == 0 {
            return Err(LogError::SegmentSize { segment_records: 0 });
        }
        self.config = config;
        Ok(())
    }

    /// Appends a record and returns the offset it was given. The key's bytes are copied
    /// (the log keeps its strings compactly, see [`RecordRef`]).
    pub fn append(
        &mut self,
        key: Option<&str>,
        value: Payload,
        tick: Tick,
        headers: Headers,
    ) -> Offset {
        let offset = self.high_watermark();
        self.storage.push(key, value, tick, headers);
        offset
    }

    /// Removes the records from `offset` on and returns them (an unclean leader election
    /// took them back). Below the log start offset, the log is emptied and starts there.
    pub fn truncate_to(&mut self, offset: Offset) -> Vec<Record> {
        if offset < self.log_start_offset {
            let removed = self.storage.split_off(0, self.log_start_offset);
            self.log_start_offset = offset;
            return removed;
        }
        let keep = (offset.0 - self.log_start_offset.0) as usize;
        self.storage.split_off(keep, self.log_start_offset)
    }

    /// Empties the log and starts it at `offset` (Kafka's `truncateFullyAndStartAt`): a new
    /// leader's retention had already deleted the records up to there. Returns how many
    /// records were removed.
    pub fn truncate_fully_and_start_at(&mut self, offset: Offset) -> usize {
        let removed = self.len();
        self.storage.clear();
        self.log_start_offset = offset;
        removed
    }

    /// The broker's duplicate check for an idempotent producer (Kafka's
    /// `ProducerStateManager`): a sequence at or below the last one appended is a duplicate.
    pub fn check_sequence(&self, producer: ProducerId, sequence: u32) -> SequenceCheck {
        match self.producer_sequences.get(&producer) {
            Some(&(last, offset)) if sequence <= last => SequenceCheck::Duplicate { offset },
            _ => SequenceCheck::Append,
        }
    }

    /// Remembers that `producer`'s `sequence` was appended at `offset`.
    pub fn record_sequence(&mut self, producer: ProducerId, sequence: u32, offset: Offset) {
        self.producer_sequences.insert(producer, (sequence, offset));
    }

    /// The first offset still in the log.
    pub fn log_start_offset(&self) -> Offset {
        self.log_start_offset
    }

    /// The offset the next appended record will get.
    pub fn high_watermark(&self) -> Offset {
        Offset(self.log_start_offset.0 + self.storage.len() as u64)
    }

    /// Number of records currently held.
    pub fn len(&self) -> usize {
        self.storage.len()
    }

    /// True when the log holds no records.
    pub fn is_empty(&self) -> bool {
        self.storage.len() == 0
    }

    /// The record at `offset`, or an error naming the valid range.
    pub fn get(&self, offset: Offset) -> Result<RecordRef<'_>, LogError> {
        let position = offset.0.checked_sub(self.log_start_offset.0);
        let start = self.log_start_offset;
        match position.and_then(|p| self.storage.get(usize::try_from(p).ok()?, start)) {
            Some(record) => Ok(record),
            None => Err(self.out_of_range(offset)),
        }
    }

    /// The records from `from` (inclusive) to `to` (exclusive, clamped to the high
    /// watermark). `from` below the log start is an error.
    pub fn range(&self, from: Offset, to: Offset) -> Result<Records<'_>, LogError> {
        if from < self.log_start_offset || from > self.high_watermark() {
            return Err(self.out_of_range(from));
        }
        let start = (from.0 - self.log_start_offset.0) as usize;
        Ok(self.storage.iter(
            start,
            positions(to.0.saturating_sub(from.0)),
            self.log_start_offset,
        ))
    }

    /// The records at and after `from` (all of them when `from` is below the log start).
    pub fn records_from(&self, from: Offset) -> Records<'_> {
        let start = positions(from.0.saturating_sub(self.log_start_offset.0));
        self.storage.iter(start, usize::MAX, self.log_start_offset)
    }

    fn out_of_range(&self, offset: Offset) -> LogError {
        LogError::OffsetOutOfRange {
            offset,
            log_start_offset: self.log_start_offset,
            high_watermark: self.high_watermark(),
        }
    }

    /// All records currently held, in offset order (record `i` has offset
    /// `log_start_offset + i`).
    pub fn records(&self) -> Records<'_> {
        self.storage.iter(0, usize::MAX, self.log_start_offset)
    }

    /// The tick of the live record at `position` (0 is the first still in the log).
    fn tick_at(&self, position: u64) -> Tick {
        self.storage
            .tick(positions(position))
            .expect("positions below the log's length")
    }

    /// The first offset at or after `tick` (Kafka's `offsetsForTimes`), or the high
    /// watermark when every record is older.
    pub fn offset_for_tick(&self, tick: Tick) -> Offset {
        // Timestamps are append ticks, so they never decrease: binary search.
        let index = self.storage.count_before_tick(tick);
        Offset(self.log_start_offset.0 + index as u64)
    }

    /// The segments currently held, oldest first.
    pub fn segments(&self) -> Vec<SegmentInfo> {
        let size = self.config.segment_records;
        let mut out = Vec::new();
        let mut offset = self.log_start_offset.0;
        let end = self.high_watermark().0;
        while offset < end {
            let segment_end = ((offset / size) + 1) * size;
            let last = segment_end.min(end);
            let first_tick = self.tick_at(offset - self.log_start_offset.0);
            let last_tick = self.tick_at(last - 1 - self.log_start_offset.0);
            out.push(SegmentInfo {
                base_offset: Offset(offset),
                end_offset: Offset(last),
                first_tick,
                last_tick,
                active: last == end && last < segment_end,
            });
            offset = last;
        }
        out
    }

    /// Deletes closed segments that retention no longer keeps. Returns how many were deleted.
    pub fn apply_retention(&mut self, now: Tick) -> u64 {
        let size = self.config.segment_records;
        let mut deleted = 0;
        loop {
            let start = self.log_start_offset.0;
            // The oldest segment is closed when the log has moved past its end.
            let first_end = (start / size + 1) * size;
            if first_end >= self.high_watermark().0 {
                // Only the active segment (or nothing) is left; a full last segment is
                // still the active one until the next append opens a new one.
                break;
            }
            let first_len = first_end - start;
            let by_records = self
                .config
                .retention
                .records
                .is_some_and(|keep| self.len() as u64 - first_len >= keep);
            let by_ticks = self.config.retention.ticks.is_some_and(|ticks| {
                let newest = self.tick_at(first_len - 1);
                now.0.saturating_sub(newest.0) > ticks
            });
            if !(by_records || by_ticks) {
                break;
            }
            self.storage.delete_front(first_len as usize);
            self.log_start_offset = Offset(first_end);
            deleted += 1;
        }
        deleted
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn event(n: u32) -> Payload {
        Payload::Order(OrderEvent {
            user_id: format!("U{n}"),
            order_id: format!("O{n}"),
            status: "Created".into(),
        })
    }

    fn log_with(config: LogConfig, n: u64) -> PartitionLog {
        let mut log = PartitionLog::new(config).unwrap();
        for i in 0..n {
            log.append(Some("k"), event(i as u32), Tick(i), Headers::default());
        }
        log
    }

    #[test]
    fn append_assigns_contiguous_offsets() {
        let mut log = PartitionLog::default();
        for n in 0..5 {
            assert_eq!(
                log.append(Some("k"), event(n), Tick(n.into()), Headers::default()),
                Offset(n.into())
            );
        }
        assert_eq!(log.high_watermark(), Offset(5));
        assert_eq!(*log.get(Offset(3)).unwrap().value(), event(3));
    }

    #[test]
    fn truncating_removes_the_tail_and_the_next_append_reuses_its_offset() {
        let mut log = log_with(LogConfig::default(), 5);
        let removed = log.truncate_to(Offset(3));
        assert_eq!(
            removed.iter().map(|r| r.offset).collect::<Vec<_>>(),
            vec![Offset(3), Offset(4)]
        );
        assert_eq!(log.high_watermark(), Offset(3));
        assert!(log.truncate_to(Offset(9)).is_empty());
        let next = log.append(None, event(9), Tick(9), Headers::default());
        assert_eq!(next, Offset(3));
    }

    #[test]
    fn reading_past_the_end_names_the_range() {
        let log = PartitionLog::default();
        let err = log.get(Offset(0)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "offset 0 is out of range: the log holds offsets 0 to 0 (exclusive)"
        );
    }

    #[test]
    fn retention_by_records_deletes_whole_closed_segments_only() {
        let config = LogConfig {
            segment_records: 3,
            retention: Retention {
                records: Some(4),
                ticks: None,
            },
        };
        let mut log = log_with(config, 10);
        // Segments [0,3) [3,6) [6,9) [9,10): dropping [0,3) leaves 7 >= 4, dropping [3,6)
        // leaves 4 >= 4, dropping [6,9) would leave 1 < 4.
        assert_eq!(log.apply_retention(Tick(10)), 2);
        assert_eq!(log.log_start_offset(), Offset(6));
        assert_eq!(log.high_watermark(), Offset(10));
        assert_eq!(
            log.get(Offset(5)).unwrap_err(),
            LogError::OffsetOutOfRange {
                offset: Offset(5),
                log_start_offset: Offset(6),
                high_watermark: Offset(10)
            }
        );
        assert_eq!(log.get(Offset(6)).unwrap().offset(), Offset(6));
        let segments = log.segments();
        assert_eq!(segments.len(), 2);
        assert_eq!(segments[1].base_offset, Offset(9));
        assert!(segments[1].active);
    }

    #[test]
    fn retention_by_ticks_keeps_the_active_segment() {
        let config = LogConfig {
            segment_records: 2,
            retention: Retention {
                records: None,
                ticks: Some(5),
            },
        };
        let mut log = log_with(config, 5); // ticks 0..5; segments [0,2) [2,4) [4,5)
        assert_eq!(log.apply_retention(Tick(100)), 2);
        assert_eq!(log.log_start_offset(), Offset(4));
        assert_eq!(log.len(), 1);
    }

    #[test]
    fn offset_for_tick_finds_first_record_at_or_after() {
        let log = log_with(LogConfig::default(), 5);
        assert_eq!(log.offset_for_tick(Tick(2)), Offset(2));
        assert_eq!(log.offset_for_tick(Tick(99)), Offset(5));
        assert_eq!(log.offset_for_tick(Tick(0)), Offset(0));
    }

    #[test]
    fn zero_segment_size_is_refused() {
        let config = LogConfig {
            segment_records: 0,
            retention: Retention::default(),
        };
        assert_eq!(
            PartitionLog::new(config).unwrap_err(),
            LogError::SegmentSize { segment_records: 0 }
        );
    }

    #[test]
    fn range_clamps_to_high_watermark() {
        let log = log_with(LogConfig::default(), 5);
        let offsets: Vec<u64> = log
            .range(Offset(3), Offset(99))
            .unwrap()
            .map(|r| r.offset().0)
            .collect();
        assert_eq!(offsets, vec![3, 4]);
    }

    #[test]
    fn many_retention_deletions_keep_records_a_contiguous_slice_and_serialise_live_records_only() {
        let config = LogConfig {
            segment_records: 1,
            retention: Retention {
                records: Some(3),
                ticks: None,
            },
        };
        let mut log = PartitionLog::new(config).unwrap();
        for i in 0..1000u64 {
            log.append(None, event(i as u32), Tick(i), Headers::default());
            log.apply_retention(Tick(i));
            let offsets: Vec<u64> = log.records().map(|r| r.offset().0).collect();
            let start = log.log_start_offset().0;
            assert_eq!(offsets, (start..log.high_watermark().0).collect::<Vec<_>>());
        }
        assert_eq!(log.log_start_offset(), Offset(997));
        let json = serde_json::to_string(&log).unwrap();
        let back: PartitionLog = serde_json::from_str(&json).unwrap();
        assert!(back.records().eq(log.records()));
        assert_eq!(back, log);
        assert_eq!(back.log_start_offset(), Offset(997));
    }

    proptest! {
        /// Whatever the segment size, retention and truncations, the log holds exactly the
        /// offsets from its start to its high watermark, each readable where it belongs,
        /// and reads back the same after a serde round trip.
        #[test]
        fn a_chunked_log_reads_back_its_offsets_through_retention_and_truncation(
            segment_records in 1u64..2500,
            keep in proptest::option::of(0u64..4000),
            batches in prop::collection::vec((0u64..1500, proptest::option::of(0u64..6000)), 1..8),
        ) {
            let retention = Retention { records: keep, ticks: None };
            let mut log = PartitionLog::new(LogConfig { segment_records, retention }).unwrap();
            let mut tick = 0;
            for (appends, truncate) in batches {
                for _ in 0..appends {
                    let offset = log.append(None, event(tick as u32), Tick(tick), Headers::default());
                    prop_assert_eq!(offset, Offset(tick));
                    tick += 1;
                }
                log.apply_retention(Tick(tick));
                if let Some(at) = truncate {
                    let (hw, start) = (log.high_watermark().0, log.log_start_offset().0);
                    let removed = log.truncate_to(Offset(at));
                    let first_removed = at.max(start).min(hw);
                    let expected: Vec<u64> = (first_removed..hw).collect();
                    prop_assert_eq!(removed.iter().map(|r| r.offset.0).collect::<Vec<_>>(), expected);
                    tick = log.high_watermark().0;
                }
                let (start, hw) = (log.log_start_offset().0, log.high_watermark().0);
                let offsets: Vec<u64> = log.records().map(|r| r.offset().0).collect();
                prop_assert_eq!(offsets, (start..hw).collect::<Vec<_>>());
                prop_assert_eq!(log.len() as u64, hw - start);
                for o in [start, (start + hw) / 2, hw.saturating_sub(1)] {
                    if (start..hw).contains(&o) {
                        prop_assert_eq!(log.get(Offset(o)).unwrap().offset(), Offset(o));
                    }
                }
                prop_assert!(log.get(Offset(hw)).is_err());
                if start > 0 {
                    prop_assert!(log.get(Offset(start - 1)).is_err());
                }
                let mid = (start + hw) / 2;
                let ranged: Vec<u64> = log.range(Offset(mid), Offset(mid + 700)).unwrap().map(|r| r.offset().0).collect();
                prop_assert_eq!(ranged, (mid..hw.min(mid + 700)).collect::<Vec<_>>());
                prop_assert_eq!(log.offset_for_tick(Tick(mid)), Offset(mid));
                if let Some(keep) = keep {
                    prop_assert!(log.len() as u64 >= keep.min(hw - start));
                }
            }
            let json = serde_json::to_string(&log).unwrap();
            let back: PartitionLog = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(&back, &log);
            prop_assert_eq!(serde_json::to_string(&back).unwrap(), json);
        }
    }
}
