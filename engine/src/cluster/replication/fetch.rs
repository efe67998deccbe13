//! Consumers fetching from a partition's leader: only records below the high watermark
//! (Kafka's `FetchIsolation.HIGH_WATERMARK`, what every consumer gets). An offset between the high watermark and the leader's log end offset is not an
//! error, just nothing yet; beyond the log end offset, or below the log start offset, it is `OFFSET_OUT_OF_RANGE`.

use super::routing::RoutingError;
use super::{AppendId, Cluster};
use crate::assignor::TopicPartition;
use crate::cluster::BrokerId;
use crate::ids::{EventId, Offset};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A consumer's fetch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FetchRequest {
    /// The partition.
    pub partition: TopicPartition,
    /// The broker the consumer asks: the leader in its metadata.
    pub broker: BrokerId,
    /// The first offset wanted.
    pub offset: Offset,
    /// At most this many records.
    pub max_records: u64,
}

/// One committed record as a consumer gets it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FetchedRecord {
    /// Its offset.
    pub offset: Offset,
    /// Which append it is (the simulation keeps the payload by it).
    pub append: AppendId,
    /// Its key.
    pub key: Option<String>,
    /// Its event id, if any.
    pub event_id: Option<EventId>,
}

/// Kafka's fetch errors, with their numbers.
#[derive(Clone, Debug, PartialEq, Eq, Error, Serialize, Deserialize)]
pub enum FetchError {
    /// The request did not reach the leader (unknown partition, broker down, no leader,
    /// not the leader).
    #[error(transparent)]
    Routing(#[from] RoutingError),
    /// `OFFSET_OUT_OF_RANGE`: below the log start offset or past the leader's log end
    /// offset.
    #[error("OFFSET_OUT_OF_RANGE: offset {offset} is outside {log_start_offset}..={log_end_offset}, the log of {partition}")]
    OffsetOutOfRange {
        /// The partition.
        partition: TopicPartition,
        /// The offset asked for.
        offset: Offset,
        /// The log start offset (retention deleted what is below it).
        log_start_offset: Offset,
        /// The leader's log end offset.
        log_end_offset: Offset,
    },
}

impl Cluster {
    /// Reads committed records from the leader, from `offset` up to the high watermark.
    pub fn fetch(&self, request: &FetchRequest) -> Result<Vec<FetchedRecord>, FetchError> {
        let tp = &request.partition;
        let leader = self.route(tp, request.broker)?;
        let p = &self.partitions[tp];
        let log = &p.logs[&leader].entries;
        let log_end_offset = Offset(log.end());
        let log_start_offset = p.log_start_offset.max(Offset(log.start()));
        if request.offset > log_end_offset || request.offset < log_start_offset {
            return Err(FetchError::OffsetOutOfRange {
                partition: tp.clone(),
                offset: request.offset,
                log_start_offset,
                log_end_offset,
            });
        }
        let start = request.offset.0;
        let stop = p
            .high_watermark
            .0
            .min(start.saturating_add(request.max_records));
        Ok(log
            .range(start, stop.max(start))
            .iter()
            .zip(start..)
            .map(|(entry, o)| {
                let record = p.records.get(entry.append.0);
                FetchedRecord {
                    offset: Offset(o),
                    append: entry.append,
                    key: record.and_then(|r| r.key.clone()),
                    event_id: record.and_then(|r| r.event_id),
                }
            })
            .collect())
    }
}
