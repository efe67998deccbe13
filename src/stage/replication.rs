//! A replicated partition on the stage: its leader (or none: offline), its in-sync
//! replicas, and the records its leader holds above the high watermark (written, not yet
//! committed). Read from the engine's cluster through the playground; nothing here when the
//! topic is not replicated (one broker, replication factor 1), so such a stage is unchanged.

use crate::playground::{Playground, UncommittedRecord};

/// A replicated partition's leader and in-sync replicas, from the engine's cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LaneReplication {
    /// The leader's broker id; `None` while the partition is offline (no leader).
    pub leader: Option<i32>,
    pub leader_epoch: u32,
    /// In-sync replicas, of `replicas`.
    pub isr: usize,
    pub replicas: usize,
    /// Records the leader holds above the high watermark (written, not yet committed).
    pub uncommitted: u64,
    /// The first of them, from the high watermark on (at most
    /// [`super::model::HEAD_RECORDS`]; none on a heat strip).
    pub uncommitted_head: Vec<UncommittedRecord>,
}

impl LaneReplication {
    /// "leader 2 · ISR 2/3", or "offline (no leader) · ISR 0/3".
    pub fn text(&self) -> String {
        let leader = self
            .leader
            .map_or("offline (no leader)".to_string(), |l| format!("leader {l}"));
        format!("{leader} · ISR {}/{}", self.isr, self.replicas)
    }
}

/// A partition's leader, ISR and the records above its high watermark, when the topic is
/// replicated.
pub(super) fn read_replication(
    pg: &Playground,
    topic: &str,
    partition: u32,
    high_watermark: u64,
    head_records: u64,
) -> Option<LaneReplication> {
    if !pg.is_replicated(topic) {
        return None;
    }
    let view = pg.replicated_partition(topic, partition)?;
    let (uncommitted, uncommitted_head) =
        pg.uncommitted_records(topic, partition, high_watermark, head_records as usize);
    Some(LaneReplication {
        leader: view.leader.map(|b| b.0),
        leader_epoch: view.leader_epoch,
        isr: view.isr.len(),
        replicas: view.replicas.len(),
        uncommitted,
        uncommitted_head,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presets::preset;
    use crate::stage::model::{StageSnapshot, HEAD_RECORDS};
    use crate::stage::text::partition_text;
    use orderflow_engine::cluster::BrokerId;

    #[test]
    fn an_unreplicated_topic_has_no_replication_on_its_lanes() {
        let pg = Playground::new(crate::session::Session::default());
        let s = StageSnapshot::read(&pg, "orders", HEAD_RECORDS);
        assert!(s.partitions.iter().all(|p| p.replication.is_none()));
    }

    #[test]
    fn acks_1_records_stand_above_the_high_watermark_until_followers_fetch_them() {
        let mut pg = Playground::new(preset("cluster-acks-1-loses-records").unwrap().session);
        let mut seen = None;
        for _ in 0..12 {
            pg.step();
            let s = StageSnapshot::read(&pg, "orders", HEAD_RECORDS);
            let r = s.partitions[0].replication.clone().expect("replicated");
            assert_eq!(r.replicas, 3);
            if r.uncommitted > 0 {
                seen = Some((s.partitions[0].high_watermark, r));
                break;
            }
        }
        let (high_watermark, r) = seen.expect("the leader held records above the HW");
        assert_eq!(r.leader, Some(1));
        assert_eq!(r.uncommitted, 3);
        let offsets: Vec<u64> = r.uncommitted_head.iter().map(|u| u.offset).collect();
        assert_eq!(
            offsets,
            (high_watermark..high_watermark + 3).collect::<Vec<_>>()
        );
        assert!(r.uncommitted_head[0]
            .key
            .as_deref()
            .is_some_and(|k| k.starts_with("user-")));
        // The next tick the followers fetch them: committed, nothing above the HW.
        pg.step();
        let s = StageSnapshot::read(&pg, "orders", HEAD_RECORDS);
        let p = &s.partitions[0];
        assert_eq!(p.replication.as_ref().unwrap().uncommitted, 0);
        assert_eq!(p.high_watermark, high_watermark + 3);
    }

    #[test]
    fn the_lane_names_its_leader_and_isr_and_follows_a_failover() {
        let mut pg = Playground::new(preset("cluster-acks-all-min-insync").unwrap().session);
        pg.step();
        let text = |pg: &Playground| {
            let s = StageSnapshot::read(pg, "orders", HEAD_RECORDS);
            let p = s.partitions[1].clone();
            (
                p.replication.clone().unwrap(),
                partition_text(&p, &s.groups),
            )
        };
        let (before, words) = text(&pg);
        assert_eq!(before.leader, Some(2));
        assert_eq!(before.text(), "leader 2 · ISR 3/3");
        assert!(words.contains("leader 2 · ISR 3/3"), "{words}");
        pg.toggle_broker(BrokerId(2)).unwrap();
        let (after, _) = text(&pg);
        assert_eq!(after.leader, Some(3), "broker 3 takes over orders-1");
        assert_eq!(after.isr, 2);
        // Every broker down: no leader, the lane says it is offline.
        pg.toggle_broker(BrokerId(1)).unwrap();
        pg.toggle_broker(BrokerId(3)).unwrap();
        let (offline, words) = text(&pg);
        assert_eq!(offline.leader, None);
        assert!(offline.text().starts_with("offline (no leader)"));
        assert!(words.contains("offline"), "{words}");
    }
}
