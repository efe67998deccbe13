//! Followers fetching from their leader, once per tick: truncate where the logs diverge,
//! copy up to `replica_fetch_max_records`, then the leader's ISR bookkeeping
//! (`Partition.maybeExpandIsr` / `maybeShrinkIsr`) and the high watermark.

use super::event::{IsrShrinkReason, ReplicationEvent};
use super::{Cluster, ReplicaLog};
use crate::assignor::TopicPartition;
use crate::cluster::BrokerId;
use crate::ids::{Offset, Tick};

/// Where a follower's log stops agreeing with the leader's, found the way Kafka's follower
/// does it (KIP-101/KIP-279, `OffsetsForLeaderEpoch`): it asks for the end offset of its
/// last epoch; the leader answers with its largest epoch not above that one and where that
/// epoch ends in its log; the follower truncates to the smaller of that and its own end of
/// the same epoch. Kafka repeats when the answer still leaves a diverging entry; so does
/// this loop, which shortens the log each round.
///
/// Offsets below a log's start offset were deleted by retention, which only deletes
/// committed records, the same on every replica: they count as older than every epoch
/// and as matching (Kafka's epoch cache, `truncateFromStart`, keeps no epoch below the
/// log start offset either).
pub(super) fn truncation_point(follower: &ReplicaLog, leader: &ReplicaLog) -> u64 {
    let mut end = follower.entries.end();
    loop {
        if end == 0 {
            return 0;
        }
        let last = epoch_at(follower, end - 1);
        let leader_end = entries_up_to_epoch(leader, last, leader.entries.end());
        if leader_end == 0 {
            return 0;
        }
        let epoch = epoch_at(leader, leader_end - 1);
        let follower_end = entries_up_to_epoch(follower, epoch, end);
        let point = leader_end.min(follower_end);
        let matches = match (
            follower.entries.get(point.wrapping_sub(1)),
            leader.entries.get(point.wrapping_sub(1)),
        ) {
            (Some(f), Some(l)) => f == l,
            _ => true,
        };
        if point == 0 || matches {
            return point;
        }
        end = point - 1;
    }
}

/// The epoch of the entry at `offset`; `None` below the log start offset (older than any).
fn epoch_at(log: &ReplicaLog, offset: u64) -> Option<u32> {
    log.entries.get(offset).map(|e| e.leader_epoch)
}

/// How many offsets below `end` hold an entry of `epoch` or older (epochs never decrease
/// along a log, and deleted offsets are older than any).
fn entries_up_to_epoch(log: &ReplicaLog, epoch: Option<u32>, end: u64) -> u64 {
    let start = log.entries.start();
    match epoch {
        None => start.min(end),
        Some(_) if end <= start => end,
        Some(epoch) => {
            start
                + log
                    .entries
                    .range(start, end)
                    .partition_point(|e| e.leader_epoch <= epoch) as u64
        }
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
        self.partitions
            .get_mut(tp)
            .expect("the partition exists")
            .trim_leader();
        for follower in followers {
            self.fetch_from_leader(now, tp, leader, follower, events);
        }
        self.partitions
            .get_mut(tp)
            .expect("the partition exists")
            .forget_unreferenced_records();
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
        let max = self.config.replica_fetch_max_records;
        let p = self.partitions.get_mut(tp).expect("the partition exists");
        // Out of the map while it copies, so the leader's log is borrowed, not cloned.
        let mut log = p
            .logs
            .remove(&follower)
            .expect("a follower holds a replica");
        let leader_log = &p.logs[&leader];
        let point = truncation_point(&log, leader_log);
        if point < log.entries.end() {
            let from = log.log_end_offset();
            log.entries.truncate(point);
            events.push(ReplicationEvent::Truncated {
                partition: tp.clone(),
                broker: follower,
                from,
                to: Offset(point),
            });
        }
        let leader_start = leader_log.log_start_offset();
        if log.log_end_offset() < leader_start {
            events.push(ReplicationEvent::FollowerResetToLogStartOffset {
                partition: tp.clone(),
                broker: follower,
                fetch_offset: log.log_end_offset(),
                log_start_offset: leader_start,
            });
            log.entries.clear_at(leader_start.0);
        }
        let start = log.entries.end();
        let stop = leader_log.entries.end().min(start.saturating_add(max));
        log.entries
            .extend_from_slice(leader_log.entries.range(start, stop));
        log.maybe_increment_log_start_offset(leader_start);
        log.fetched_this_epoch = true;
        if log.entries.end() == leader_log.entries.end() {
            log.last_caught_up = now;
        }
        let log_end_offset = log.log_end_offset();
        p.logs.insert(follower, log);
        let joins = !p.isr.contains(&follower)
            && log_end_offset >= p.high_watermark
            && log_end_offset >= p.leader_epoch_start_offset;
        if joins {
            p.isr.push(follower);
            let order = p.replicas.clone();
            crate::sort::sort_by_key(&mut p.isr, |b| order.iter().position(|r| r == b));
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
