//! The tick: session timeouts, each member processing, polling and committing, and the
//! rebalance moving on.

use super::{ConsumerGroup, MemberStatus, Phase, Run};
use crate::assignor::TopicPartition;
use crate::group::{AutoOffsetReset, CommitPolicy};
use crate::group_protocol::{CommitReason, Protocol, RebalanceReason};
use crate::ids::{MemberId, Offset, Tick};
use crate::process::Processor;
use crate::trace::TraceEvent;
use crate::world::World;

impl ConsumerGroup {
    /// Advances the group by one tick: session timeouts, processing, polls, commits,
    /// rebalance progress and a lag sample.
    pub(crate) fn tick(
        &mut self,
        world: &mut World<'_>,
        mut processor: Option<&mut (dyn Processor + '_)>,
    ) {
        let now = world.now;
        // Session timeouts.
        let expired: Vec<MemberId> = self
            .members
            .values()
            .filter_map(|m| match m.status {
                MemberStatus::Dead { since }
                    if now.0 >= since.0 + self.config.session_timeout_ticks =>
                {
                    Some(m.id.clone())
                }
                _ => None,
            })
            .collect();
        for id in expired {
            let lost_partitions = self
                .members
                .remove(&id)
                .map(|m| m.owned.into_iter().collect())
                .unwrap_or_default();
            self.trace(
                world,
                TraceEvent::MemberTimedOut {
                    tick: now,
                    group: self.config.name.clone(),
                    member: id.clone(),
                    session_timeout_ticks: self.config.session_timeout_ticks,
                    lost_partitions,
                },
            );
            self.start_rebalance(world, RebalanceReason::MemberTimedOut { member: id });
        }

        let ids: Vec<MemberId> = self.members.keys().cloned().collect();
        for id in &ids {
            self.member_tick(world, id, processor.as_deref_mut());
        }

        if self.rebalance_barrier_passed(now) {
            self.complete_rebalance(world);
        }
        if self.follow_up_due
            && self.phase == Phase::Stable
            && self
                .members
                .values()
                .all(|m| m.pending_revocation.is_empty())
        {
            self.follow_up_due = false;
            self.start_rebalance(world, RebalanceReason::CooperativeFollowUp);
        }
        self.sample_lag(world);
    }

    pub(super) fn member_tick(
        &mut self,
        world: &mut World<'_>,
        id: &MemberId,
        mut processor: Option<&mut (dyn Processor + '_)>,
    ) {
        let now = world.now;
        let mut polled = false;
        loop {
            let Some(m) = self.members.get(id) else {
                return;
            };
            if matches!(m.status, MemberStatus::Dead { .. }) {
                return;
            }
            if let Some(run) = m.batch.front() {
                if now < m.head_ready_at {
                    return;
                }
                let run = run.clone();
                let attempt = m.head_attempt;
                if !self.process_head(world, id, &run, attempt, processor.as_deref_mut()) {
                    return; // retry scheduled
                }
                let ticks = self.processing_ticks(id);
                let m = self.members.get_mut(id).expect("member");
                m.head_ready_at = Tick(now.0 + ticks);
                if m.batch.is_empty() {
                    if self.config.commit_policy == CommitPolicy::AfterProcessing {
                        let owned: Vec<TopicPartition> = m.owned.iter().cloned().collect();
                        self.commit(world, id, CommitReason::AfterProcessing, &owned);
                    }
                    continue;
                }
                if ticks > 0 {
                    return;
                }
                continue;
            }
            // Batch empty: revocations and leaving happen between polls.
            if !m.pending_revocation.is_empty() {
                self.revoke_pending(world, id);
                continue;
            }
            if m.status == MemberStatus::Leaving {
                self.finish_leaving(world, id);
                return;
            }
            if polled || self.phase_blocks_fetch() {
                return;
            }
            polled = true;
            if !self.poll(world, id) {
                return;
            }
        }
    }

    pub(super) fn phase_blocks_fetch(&self) -> bool {
        // Eager: the group stops consuming during a rebalance (members have revoked
        // everything anyway; a member that has not yet revoked still finishes its batch).
        matches!(self.phase, Phase::Preparing { .. }) && self.config.protocol() == Protocol::Eager
    }

    /// One poll. Returns true if records were fetched.
    pub(super) fn poll(&mut self, world: &mut World<'_>, id: &MemberId) -> bool {
        let now = world.now;
        // Auto-commit happens inside poll, for what earlier polls returned.
        if let CommitPolicy::AutoCommit { interval_ticks } = self.config.commit_policy {
            let m = &self.members[id];
            if now.0 >= m.last_auto_commit.0 + interval_ticks {
                let owned: Vec<TopicPartition> = m.owned.iter().cloned().collect();
                self.commit(world, id, CommitReason::AutoCommit, &owned);
                self.members.get_mut(id).expect("member").last_auto_commit = now;
            }
        }
        let owned: Vec<TopicPartition> = {
            let m = &self.members[id];
            m.owned
                .iter()
                .filter(|tp| !m.pending_revocation.contains(*tp))
                .cloned()
                .collect()
        };
        if owned.is_empty() {
            return false;
        }
        let mut remaining = u64::from(self.config.max_poll_records);
        let start = self.members[id].poll_cursor % owned.len();
        let mut runs = Vec::new();
        for i in 0..owned.len() {
            if remaining == 0 {
                break;
            }
            let tp = &owned[(start + i) % owned.len()];
            let Some(log) = world
                .topics
                .get(&tp.topic)
                .and_then(|t| t.partition(tp.partition))
            else {
                continue;
            };
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
                        tick: now,
                        group: self.config.name.clone(),
                        member: id.clone(),
                        partition: tp.clone(),
                        offset: position,
                    },
                );
            }
            let take = (high.0 - position.0).min(remaining);
            let end = Offset(position.0 + take);
            self.members
                .get_mut(id)
                .expect("member")
                .positions
                .insert(tp.clone(), end);
            if take == 0 {
                continue;
            }
            remaining -= take;
            runs.push(Run {
                partition: tp.clone(),
                next: position,
                end,
            });
        }
        let processing_ticks = self.processing_ticks(id);
        let m = self.members.get_mut(id).expect("member");
        m.poll_cursor = (start + 1) % owned.len();
        if runs.is_empty() {
            return false;
        }
        for run in &runs {
            world.trace.push(TraceEvent::Fetched {
                tick: now,
                group: self.config.name.clone(),
                member: id.clone(),
                topic: run.partition.topic.clone(),
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
                    tick: now,
                    group: self.config.name.clone(),
                    member: id.clone(),
                    topic: run.partition.topic.clone(),
                    partition: run.partition.partition,
                    from_offset: run.next,
                    to_offset: run.end.min(high),
                });
            }
        }
        m.batch.extend(runs);
        m.head_ready_at = Tick(now.0 + processing_ticks);
        m.head_attempt = 1;
        if self.config.commit_policy == CommitPolicy::BeforeProcessing {
            self.commit(world, id, CommitReason::BeforeProcessing, &owned);
        }
        true
    }
}
