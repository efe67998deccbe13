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
        let log = self
            .logs
            .get_mut(&leader)
            .expect("the leader holds a replica");
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

#[cfg(test)]
mod tests {
    use super::super::*;
    use crate::cluster::placement::BrokerMetadata;
    use crate::ids::Tick;

    const B0: BrokerId = BrokerId(0);
    const B1: BrokerId = BrokerId(1);
    const B2: BrokerId = BrokerId(2);

    fn tp() -> TopicPartition {
        TopicPartition::new("orders", 0)
    }

    /// Three brokers, one partition on 0, 1, 2 (0 leads), `acks=1` writes.
    fn cluster() -> Cluster {
        let metadata: Vec<BrokerMetadata> = (0..3).map(BrokerMetadata::new).collect();
        let config = ReplicationConfig {
            auto_leader_rebalance_enable: false,
            ..ReplicationConfig::default()
        };
        let mut c = Cluster::new(config, &metadata).unwrap();
        let spec = TopicReplication {
            partitions: 1,
            replication_factor: 3,
            min_insync_replicas: 1,
            unclean_leader_election_enable: false,
            start_index: 0,
        };
        c.create_topic("orders", spec).unwrap();
        c
    }

    fn produce(c: &mut Cluster, now: u64, n: u64) {
        for i in 0..n {
            let request = ProduceRequest {
                partition: tp(),
                broker: c.leader(&tp()).unwrap(),
                acks: Acks::Leader,
                key: Some(format!("k{i}")),
                event_id: None,
            };
            c.produce(Tick(now), request).0.unwrap();
        }
    }

    fn fetch(c: &Cluster, offset: u64) -> Result<Vec<FetchedRecord>, FetchError> {
        c.fetch(&FetchRequest {
            partition: tp(),
            broker: c.leader(&tp()).unwrap(),
            offset: Offset(offset),
            max_records: 100,
        })
    }

    #[test]
    fn the_leader_and_its_followers_drop_what_retention_deleted() {
        let mut c = cluster();
        produce(&mut c, 0, 10);
        c.tick(Tick(1));
        assert_eq!(c.high_watermark(&tp()), Some(Offset(10)));
        c.delete_records_before(&tp(), Offset(6));
        assert_eq!(c.log_start_offset(&tp()), Some(Offset(6)));
        assert_eq!(c.replica_log_start_offset(&tp(), B0), Some(Offset(6)));
        // Followers learn the leader's log start offset from their next fetch.
        assert_eq!(c.replica_log_start_offset(&tp(), B1), Some(Offset(0)));
        c.tick(Tick(2));
        for b in [B0, B1, B2] {
            assert_eq!(c.replica_log_start_offset(&tp(), b), Some(Offset(6)));
            assert_eq!(c.replica_log(&tp(), b).unwrap().len(), 4);
        }
        assert_eq!(c.first_remembered_append(&tp()), AppendId(6));
        assert_eq!(c.appended_record(&tp(), AppendId(5)), None);
        assert_eq!(
            c.appended_record(&tp(), AppendId(6)).unwrap().offset,
            Offset(6)
        );
        // Never past the high watermark, never back.
        c.delete_records_before(&tp(), Offset(99));
        assert_eq!(c.log_start_offset(&tp()), Some(Offset(10)));
        c.delete_records_before(&tp(), Offset(3));
        assert_eq!(c.log_start_offset(&tp()), Some(Offset(10)));
    }

    #[test]
    fn a_consumer_below_the_log_start_offset_gets_offset_out_of_range() {
        let mut c = cluster();
        produce(&mut c, 0, 10);
        c.tick(Tick(1));
        c.delete_records_before(&tp(), Offset(4));
        assert!(matches!(
            fetch(&c, 3),
            Err(FetchError::OffsetOutOfRange {
                log_start_offset: Offset(4),
                log_end_offset: Offset(10),
                ..
            })
        ));
        let records = fetch(&c, 4).unwrap();
        assert_eq!(records.len(), 6);
        assert_eq!(records[0].key.as_deref(), Some("k4"));
    }

    #[test]
    fn a_broker_back_from_a_long_outage_resets_to_the_leaders_log_start_offset() {
        let mut c = cluster();
        produce(&mut c, 0, 5);
        c.tick(Tick(1));
        c.kill_broker(Tick(1), B2).unwrap();
        produce(&mut c, 2, 20);
        c.tick(Tick(3));
        c.delete_records_before(&tp(), Offset(20));
        c.restart_broker(Tick(4), B2).unwrap();
        assert_eq!(c.replica_log_start_offset(&tp(), B2), Some(Offset(5)));
        let events = c.tick(Tick(5));
        assert!(
            events.contains(&ReplicationEvent::FollowerResetToLogStartOffset {
                partition: tp(),
                broker: B2,
                fetch_offset: Offset(5),
                log_start_offset: Offset(20),
            }),
            "{events:?}"
        );
        assert_eq!(c.replica_log_start_offset(&tp(), B2), Some(Offset(20)));
        assert_eq!(
            c.partition(&tp()).unwrap().replicas[2].log_end_offset,
            Offset(25)
        );
        c.tick(Tick(6));
        assert_eq!(c.partition(&tp()).unwrap().isr, vec![B0, B1, B2]);
    }

    #[test]
    fn what_the_cluster_holds_is_bounded_by_retention_not_by_the_records_produced() {
        let held_after = |rounds: u64| {
            let mut c = cluster();
            let mut most = 0;
            for round in 0..rounds {
                produce(&mut c, round, 50);
                c.tick(Tick(round + 1));
                let high_watermark = c.high_watermark(&tp()).unwrap();
                c.delete_records_before(&tp(), Offset(high_watermark.0.saturating_sub(100)));
                most = most.max(c.held_entries());
            }
            most
        };
        let (short, long) = (held_after(40), held_after(160));
        // 100 kept and up to 50 unreplicated, twice (forgotten entries drop lazily), for
        // three replica logs and the record metadata.
        assert!(long <= 4 * 2 * 150, "{long}");
        assert_eq!(short, long);
    }
}
