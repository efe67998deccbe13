//! A poll: auto-commit if due, then fetch up to `max_poll_records` from the member's
//! partitions (starting one further each poll, for fairness) into its batch.

use super::{ConsumerGroup, Run};
use crate::assignor::TopicPartition;
use crate::group::{AutoOffsetReset, CommitPolicy};
use crate::group_protocol::CommitReason;
use crate::ids::{MemberId, Offset, Tick};
use crate::trace::TraceEvent;
use crate::world::World;

impl ConsumerGroup {
    /// One poll. Returns true if records were fetched.
    pub(super) fn poll(&mut self, world: &mut World<'_>, id: &MemberId) -> bool {
        self.auto_commit_if_due(world, id);
        let fetchable = self.fetchable(id);
        if fetchable.is_empty() {
            return false;
        }
        let mut remaining = u64::from(self.config.max_poll_records);
        let start = self.members[id].poll_cursor % fetchable.len();
        let mut runs = Vec::new();
        for i in 0..fetchable.len() {
            if remaining == 0 {
                break;
            }
            let tp = &fetchable[(start + i) % fetchable.len()];
            if let Some(run) = self.fetch(world, id, tp, remaining) {
                remaining -= run.end.0 - run.next.0;
                runs.push(run);
            }
        }
        self.members.get_mut(id).expect("member").poll_cursor = (start + 1) % fetchable.len();
        if runs.is_empty() {
            return false;
        }
        self.trace_fetched(world, id, &runs);
        let processing_ticks = self.processing_ticks(id);
        let m = self.members.get_mut(id).expect("member");
        m.batch.extend(runs);
        m.head_ready_at = Tick(world.now.0.saturating_add(processing_ticks));
        m.head_attempt = 1;
        if self.config.commit_policy == CommitPolicy::BeforeProcessing {
            self.commit(world, id, CommitReason::BeforeProcessing, &fetchable);
        }
        true
    }

    /// Auto-commit happens inside poll, for what earlier polls returned.
    fn auto_commit_if_due(&mut self, world: &mut World<'_>, id: &MemberId) {
        let CommitPolicy::AutoCommit { interval_ticks } = self.config.commit_policy else {
            return;
        };
        let m = &self.members[id];
        if world.now.0 >= m.last_auto_commit.0.saturating_add(interval_ticks) {
            let owned: Vec<TopicPartition> = m.owned.iter().cloned().collect();
            self.commit(world, id, CommitReason::AutoCommit, &owned);
            self.members.get_mut(id).expect("member").last_auto_commit = world.now;
        }
    }

    /// The partitions a member may fetch from: those it owns and is not giving up.
    fn fetchable(&self, id: &MemberId) -> Vec<TopicPartition> {
        let m = &self.members[id];
        m.owned
            .iter()
            .filter(|tp| !m.pending_revocation.contains(*tp))
            .cloned()
            .collect()
    }

    /// Fetches up to `limit` records of one partition from the member's position and
    /// moves the position past them. `None`: nothing to fetch.
    fn fetch(
        &mut self,
        world: &mut World<'_>,
        id: &MemberId,
        tp: &TopicPartition,
        limit: u64,
    ) -> Option<Run> {
        if world.partition_offline(tp) {
            return None; // no live leader (only with brokers): nothing to fetch from
        }
        let log = world
            .topics
            .get(&*tp.topic)
            .and_then(|t| t.partition(tp.partition))?;
        let (log_start, high) = (log.log_start_offset(), log.high_watermark());
        let mut position = self.members[id]
            .positions
            .get(tp)
            .copied()
            .unwrap_or(log_start);
        if position < log_start || position > high {
            // Out of range (retention deleted it): auto.offset.reset decides.
            position = match self.config.auto_offset_reset {
                AutoOffsetReset::Earliest => log_start,
                AutoOffsetReset::Latest => high,
            };
            self.trace(
                world,
                TraceEvent::AutoOffsetReset {
                    tick: world.now,
                    group: self.config.name.clone(),
                    member: id.clone(),
                    partition: tp.clone(),
                    offset: position,
                },
            );
        }
        let take = (high.0 - position.0).min(limit);
        let end = Offset(position.0 + take);
        let m = self.members.get_mut(id).expect("member");
        m.positions.insert(tp.clone(), end);
        (take > 0).then(|| Run {
            partition: tp.clone(),
            next: position,
            end,
        })
    }

    /// Traces what a poll returned, and which of it this group had processed already.
    fn trace_fetched(&self, world: &mut World<'_>, id: &MemberId, runs: &[Run]) {
        for run in runs {
            world.trace.push(TraceEvent::Fetched {
                tick: world.now,
                group: self.config.name.clone(),
                member: id.clone(),
                topic: run.partition.topic.to_string(),
                partition: run.partition.partition,
                from_offset: run.next,
                to_offset: run.end,
            });
            let high = self
                .processed_high
                .get(&run.partition)
                .copied()
                .unwrap_or_default();
            if run.next < high {
                world.trace.push(TraceEvent::Redelivered {
                    tick: world.now,
                    group: self.config.name.clone(),
                    member: id.clone(),
                    topic: run.partition.topic.to_string(),
                    partition: run.partition.partition,
                    from_offset: run.next,
                    to_offset: run.end.min(high),
                });
            }
        }
    }
}
