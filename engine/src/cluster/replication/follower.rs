//! Followers fetching from their leader, once per tick: truncate where the logs diverge,
//! copy up to `replica_fetch_max_records`, then the leader's ISR bookkeeping
//! (`Partition.maybeExpandIsr` / `maybeShrinkIsr`) and the high watermark.

use super::event::{IsrShrinkReason, ReplicationEvent};
use super::{Cluster, LogEntry};
use crate::assignor::TopicPartition;
use crate::cluster::BrokerId;
use crate::ids::{Offset, Tick};

/// Where a follower's log stops agreeing with the leader's, found the way Kafka's follower
/// does it (KIP-101/KIP-279, `OffsetsForLeaderEpoch`): it asks for the end offset of its
/// last epoch; the leader answers with its largest epoch not above that one and where that
/// epoch ends in its log; the follower truncates to the smaller of that and its own end of
/// the same epoch. Kafka repeats when the answer still leaves a diverging entry; so does
/// this loop, which shortens the log each round.
pub(super) fn truncation_point(follower: &[LogEntry], leader: &[LogEntry]) -> usize {
    let mut end = follower.len();
    loop {
        let Some(last) = follower[..end].last() else {
            return 0;
        };
        let leader_end = leader.partition_point(|e| e.leader_epoch <= last.leader_epoch);
        let Some(epoch) = leader[..leader_end].last().map(|e| e.leader_epoch) else {
            return 0;
        };
        let follower_end = follower[..end].partition_point(|e| e.leader_epoch <= epoch);
        let point = leader_end.min(follower_end);
        if point == 0 || follower[point - 1] == leader[point - 1] {
            return point;
        }
        end = point - 1;
    }
}

impl Cluster {
    /// One fetch round of `tp`'s running followers, in assignment order.
    pub(super) fn replicate(
        &mut self,
        now: Tick,
        tp: &TopicPartition,
        events: &mut Vec<ReplicationEvent>,
    ) {
        let p = &self.partitions[tp];
        let Some(leader) = p.leader else {
            return;
        };
        let followers: Vec<BrokerId> = p
            .replicas
            .iter()
            .copied()
            .filter(|&b| b != leader && self.is_alive(b))
            .collect();
        for follower in followers {
            self.fetch_from_leader(now, tp, leader, follower, events);
        }
        self.shrink_lagging(now, tp, leader, events);
        self.advance_high_watermark(tp, events);
    }

    fn fetch_from_leader(
        &mut self,
        now: Tick,
        tp: &TopicPartition,
        leader: BrokerId,
        follower: BrokerId,
        events: &mut Vec<ReplicationEvent>,
    ) {
        let max = self.config.replica_fetch_max_records as usize;
        let p = self.partitions.get_mut(tp).expect("the partition exists");
        // Out of the map while it copies, so the leader's log is borrowed, not cloned.
        let mut log = p
            .logs
            .remove(&follower)
            .expect("a follower holds a replica");
        let leader_log = &p.logs[&leader].entries;
        let point = truncation_point(&log.entries, leader_log);
        if point < log.entries.len() {
            let from = Offset(log.entries.len() as u64);
            log.entries.truncate(point);
            events.push(ReplicationEvent::Truncated {
                partition: tp.clone(),
                broker: follower,
                from,
                to: Offset(point as u64),
            });
        }
        let start = log.entries.len();
        let stop = leader_log.len().min(start + max);
        log.entries.extend_from_slice(&leader_log[start..stop]);
        log.fetched_this_epoch = true;
        if log.entries.len() == leader_log.len() {
            log.last_caught_up = now;
        }
        let log_end_offset = Offset(log.entries.len() as u64);
        p.logs.insert(follower, log);
        let joins = !p.isr.contains(&follower)
            && log_end_offset >= p.high_watermark
            && log_end_offset >= p.leader_epoch_start_offset;
        if joins {
            p.isr.push(follower);
            let order = p.replicas.clone();
            p.isr.sort_by_key(|b| order.iter().position(|r| r == b));
            self.counters.isr_expands += 1;
            events.push(ReplicationEvent::IsrExpanded {
                partition: tp.clone(),
                broker: follower,
                isr: p.isr.clone(),
            });
        }
    }

    /// Kafka's `getOutOfSyncReplicas`: a follower that is behind the leader's LEO and has not
    /// reached it for more than `replica_lag_time_max_ticks`.
    fn shrink_lagging(
        &mut self,
        now: Tick,
        tp: &TopicPartition,
        leader: BrokerId,
        events: &mut Vec<ReplicationEvent>,
    ) {
        let max_lag = self.config.replica_lag_time_max_ticks;
        let p = &self.partitions[tp];
        let leader_end = p.log_end_offset(leader);
        let lagging: Vec<(BrokerId, u64)> = p
            .isr
            .iter()
            .filter(|&&b| b != leader)
            .filter_map(|&b| {
                let log = &p.logs[&b];
                let lagged_ticks = now.0.saturating_sub(log.last_caught_up.0);
                (log.log_end_offset() < leader_end && lagged_ticks > max_lag)
                    .then_some((b, lagged_ticks))
            })
            .collect();
        for (broker, lagged_ticks) in lagging {
            self.shrink_isr(
                tp,
                broker,
                IsrShrinkReason::LaggedBehind { lagged_ticks },
                events,
            );
        }
    }
}
