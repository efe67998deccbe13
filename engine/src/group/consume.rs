//! The tick: session timeouts, each member processing, polling and committing, and the
//! rebalance moving on.

use super::{ConsumerGroup, MemberStatus, Phase, Run};
use crate::assignor::TopicPartition;
use crate::group::CommitPolicy;
use crate::group_protocol::{CommitReason, Protocol};
use crate::ids::MemberId;
use crate::process::Processor;
use crate::world::World;
use std::sync::Arc;

impl ConsumerGroup {
    /// Advances the group by one tick: session timeouts, processing, polls, commits,
    /// rebalance progress and a lag sample.
    pub(crate) fn tick(
        &mut self,
        world: &mut World<'_>,
        mut processor: Option<&mut (dyn Processor + '_)>,
    ) {
        let now = world.now;
        self.expire_sessions(world);
        let ids: Vec<MemberId> = self.members.keys().cloned().collect();
        for id in &ids {
            self.member_tick(world, id, processor.as_deref_mut());
        }

        if self.rebalance_barrier_passed(now) {
            self.complete_rebalance(world);
        }
        self.start_follow_up_if_due(world);
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
        // A record left the batch since the batch was last seen empty.
        let mut processed = false;
        // The head run, cloned once per run rather than once per record.
        let mut head: Option<Run> = None;
        // The member's shared id, for its `Processed` events: cloned once per tick.
        let mut trace_id: Option<Arc<str>> = None;
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
                let run = match &mut head {
                    Some(h) if h.partition == run.partition => {
                        (h.next, h.end) = (run.next, run.end);
                        &*h
                    }
                    _ => head.insert(run.clone()),
                };
                let attempt = m.head_attempt;
                let trace_id = trace_id.get_or_insert_with(|| Arc::clone(&m.trace_id));
                let member = (id, &*trace_id);
                match processor.as_deref_mut() {
                    None => self.process_run_plainly(world, member, run, attempt),
                    Some(p) => {
                        if !self.process_head(world, member, run, attempt, p) {
                            return; // retry scheduled
                        }
                    }
                }
                // The record left the batch and the next head's ready tick is set (see
                // `Member::next_ready`): with processing time, the check above returns.
                processed = true;
                continue;
            }
            if std::mem::take(&mut processed) {
                if self.config.commit_policy == CommitPolicy::AfterProcessing {
                    let owned: Vec<TopicPartition> = m.owned.iter().cloned().collect();
                    self.commit(world, id, CommitReason::AfterProcessing, &owned);
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
}
