//! Retention under replication: the leader's log start offset follows the topic's
//! retention, followers follow the leader's, and the record metadata no replica needs any
//! more is forgotten, so a long run holds as much as retention keeps, not every record ever
//! produced.

use super::{AppendId, Cluster, PartitionState};
use crate::assignor::TopicPartition;
use crate::cluster::BrokerId;
use crate::ids::Offset;

impl Cluster {
    /// The topic's retention deleted `partition`'s records below `offset` (Kafka's
    /// `deleteOldSegments`, which advances the leader's log start offset; it never passes
    /// the high watermark). The leader forgets them now, followers on their next fetch.
    pub fn delete_records_before(&mut self, partition: &TopicPartition, offset: Offset) {
        let Some(p) = self.partitions.get_mut(partition) else {
            return;
        };
        let offset = offset.min(p.high_watermark);
        if offset <= p.log_start_offset {
            return;
        }
        p.log_start_offset = offset;
        p.trim_leader();
        p.forget_unreferenced_records();
    }
}

impl PartitionState {
    /// The leader's log starts at the partition's log start offset (a new leader applies
    /// the topic's retention as the old one did). A leader whose log ends below it (only
    /// after an unclean election) takes the partition's log start offset down to its end.
    pub(super) fn trim_leader(&mut self) {
        let Some(leader) = self.leader else {
            return;
        };
        let log = self.logs.get_mut(&leader).expect("the leader holds a replica");
        log.maybe_increment_log_start_offset(self.log_start_offset);
        // Its log may start higher (it learned a later log start offset before an unclean
        // election moved the partition's back) or end lower: the partition's is the leader's.
        self.log_start_offset = log.log_start_offset();
    }

    /// Forgets the appends older than every replica's first entry at or above the log start
    /// offset: entries below it are never read again (consumers and followers get
    /// `OFFSET_OUT_OF_RANGE` there), and an append no replica holds above it is deleted or
    /// lost. Append ids grow with the offset within each log (log matching), so the oldest
    /// needed append is the smallest of those first entries.
    pub(super) fn forget_unreferenced_records(&mut self) {
        let start = self.log_start_offset.0;
        let needed = self
            .logs
            .values()
            .filter_map(|log| log.entries.get(start.max(log.entries.start())))
            .map(|e| e.append.0)
            .min()
            .unwrap_or(self.records.end());
        self.records.forget_before(needed);
    }

    /// A restarted broker's entries whose metadata was forgotten while it was down: it
    /// drops those below the log start offset, as its own retention would have at startup.
    /// Forgotten entries above it (only after an unclean election moved the log start
    /// offset back) cannot be served: it truncates fully and starts at the log start offset.
    pub(super) fn forget_stale_entries(&mut self, broker: BrokerId) {
        let first = AppendId(self.records.start());
        let log_start_offset = self.log_start_offset;
        if let Some(log) = self.logs.get_mut(&broker) {
            let stale = log.entries.kept().partition_point(|e| e.append < first);
            let end = log.entries.start() + stale as u64;
            log.maybe_increment_log_start_offset(Offset(end.min(log_start_offset.0)));
            if end > log_start_offset.0 {
                log.entries.clear_at(log_start_offset.0);
            }
        }
    }
}
