//! One partition's append-only log.
//!
//! Offsets are assigned by the log on append and are contiguous: the record at position `i`
//! of the log has offset `log_start_offset + i`. The high watermark is the offset the next
//! record will get (Kafka's log end offset; this engine has no replication yet, so the two
//! coincide).

use crate::ids::{Offset, Tick};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// An order event as published by the playground's producer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderEvent {
    pub user_id: String,
    pub order_id: String,
    pub status: String,
}

/// One record stored in a partition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub offset: Offset,
    /// `None` for records produced without a key.
    pub key: Option<String>,
    pub value: OrderEvent,
    /// The tick at which the record was appended.
    pub tick: Tick,
}

/// Errors from reading a partition log.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum LogError {
    #[error("offset {offset} is out of range: the log holds offsets {log_start_offset} to {high_watermark} (exclusive)")]
    OffsetOutOfRange {
        offset: Offset,
        log_start_offset: Offset,
        high_watermark: Offset,
    },
}

/// The append-only log of one partition.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionLog {
    log_start_offset: Offset,
    records: Vec<Record>,
}

impl PartitionLog {
    /// Appends a record and returns the offset it was given.
    pub fn append(&mut self, key: Option<String>, value: OrderEvent, tick: Tick) -> Offset {
        let offset = self.high_watermark();
        self.records.push(Record {
            offset,
            key,
            value,
            tick,
        });
        offset
    }

    /// The first offset still in the log.
    pub fn log_start_offset(&self) -> Offset {
        self.log_start_offset
    }

    /// The offset the next appended record will get.
    pub fn high_watermark(&self) -> Offset {
        Offset(self.log_start_offset.0 + self.records.len() as u64)
    }

    /// Number of records currently held.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// True when the log holds no records.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The record at `offset`, or an error naming the valid range.
    pub fn get(&self, offset: Offset) -> Result<&Record, LogError> {
        if offset < self.log_start_offset || offset >= self.high_watermark() {
            return Err(LogError::OffsetOutOfRange {
                offset,
                log_start_offset: self.log_start_offset,
                high_watermark: self.high_watermark(),
            });
        }
        Ok(&self.records[(offset.0 - self.log_start_offset.0) as usize])
    }

    /// All records currently held, in offset order.
    pub fn records(&self) -> &[Record] {
        &self.records
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(n: u32) -> OrderEvent {
        OrderEvent {
            user_id: format!("U{n}"),
            order_id: format!("O{n}"),
            status: "Created".into(),
        }
    }

    #[test]
    fn append_assigns_contiguous_offsets() {
        let mut log = PartitionLog::default();
        for n in 0..5 {
            assert_eq!(
                log.append(Some("k".into()), event(n), Tick(n.into())),
                Offset(n.into())
            );
        }
        assert_eq!(log.high_watermark(), Offset(5));
        assert_eq!(log.get(Offset(3)).unwrap().value, event(3));
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
}
