//! Membership: members join, leave gracefully, crash, and time out.

use super::{ConsumerGroup, GroupError, Member, MemberStatus, Run};
use crate::assignor::TopicPartition;
use crate::group_protocol::{CommitReason, RebalanceReason};
use crate::ids::{MemberId, Tick};
use crate::trace::TraceEvent;
use crate::world::World;

impl ConsumerGroup {
    /// A new member joins; a rebalance starts.
    pub(crate) fn join(
        &mut self,
        world: &mut World<'_>,
        member: MemberId,
    ) -> Result<(), GroupError> {
        self.join_as(world, member, None)
    }

    /// A new member joins, static if it has an instance id; a rebalance starts.
    pub(super) fn join_as(
        &mut self,
        world: &mut World<'_>,
        member: MemberId,
        instance_id: Option<String>,
    ) -> Result<(), GroupError> {
        if let Some(MemberStatus::Dead { since }) = self.members.get(&member).map(|m| m.status) {
            return Err(GroupError::MemberStillDead {
                group: self.config.name.clone(),
                member,
                since,
                expires: Tick(since.0.saturating_add(self.config.session_timeout_ticks)),
            });
        }
        if self.members.contains_key(&member) {
            return Err(GroupError::MemberExists {
                group: self.config.name.clone(),
                member,
            });
        }
        let mut new = Member::new(member.clone(), world.now, self.next_join_seq);
        new.instance_id = instance_id;
        self.members.insert(member.clone(), new);
        self.next_join_seq += 1;
        self.trace(
            world,
            TraceEvent::MemberJoined {
                tick: world.now,
                group: self.config.name.clone(),
                member: member.clone(),
            },
        );
        self.start_rebalance(world, RebalanceReason::MemberJoined { member });
        Ok(())
    }

    pub(super) fn alive_member(&mut self, member: &MemberId) -> Result<&mut Member, GroupError> {
        let group = self.config.name.clone();
        let m = self
            .members
            .get_mut(member)
            .ok_or_else(|| GroupError::UnknownMember {
                group: group.clone(),
                member: member.clone(),
            })?;
        if let MemberStatus::Dead { since } = m.status {
            return Err(GroupError::MemberDead {
                group,
                member: member.clone(),
                since,
            });
        }
        Ok(m)
    }

    /// A member leaves gracefully: it finishes its batch, commits and goes; the group
    /// rebalances at once, unless it is static (see `static_membership`: it sends no
    /// LeaveGroup, so the coordinator waits for its session timeout).
    pub(crate) fn leave(
        &mut self,
        world: &mut World<'_>,
        member: &MemberId,
    ) -> Result<(), GroupError> {
        let m = self.alive_member(member)?;
        m.status = MemberStatus::Leaving;
        if m.batch.is_empty() {
            self.finish_leaving(world, member);
        }
        Ok(())
    }

    pub(super) fn finish_leaving(&mut self, world: &mut World<'_>, member: &MemberId) {
        let owned: Vec<TopicPartition> = self.members[member].owned.iter().cloned().collect();
        self.commit(world, member, CommitReason::Leave, &owned);
        if let Some(instance_id) = self.members[member].instance_id.clone() {
            self.static_member_left(world, member, instance_id);
            return;
        }
        self.members.remove(member);
        self.trace(
            world,
            TraceEvent::MemberLeft {
                tick: world.now,
                group: self.config.name.clone(),
                member: member.clone(),
            },
        );
        self.start_rebalance(
            world,
            RebalanceReason::MemberLeft {
                member: member.clone(),
            },
        );
    }

    /// A member crashes: its unprocessed batch is gone; committed-but-unprocessed records
    /// are lost. The coordinator notices after the session timeout.
    pub(crate) fn kill(
        &mut self,
        world: &mut World<'_>,
        member: &MemberId,
    ) -> Result<(), GroupError> {
        let now = world.now;
        let m = self.alive_member(member)?;
        m.status = MemberStatus::Dead { since: now };
        let batch: Vec<Run> = m.batch.drain(..).collect();
        m.pending_revocation.clear();
        let abandoned: u64 = batch.iter().map(|r| r.end.0 - r.next.0).sum();
        self.trace(
            world,
            TraceEvent::MemberKilled {
                tick: now,
                group: self.config.name.clone(),
                member: member.clone(),
                abandoned_records: abandoned,
            },
        );
        for run in batch {
            let committed = self
                .committed
                .get(&run.partition)
                .copied()
                .unwrap_or_default();
            let lost_end = run.end.min(committed);
            if lost_end > run.next {
                self.counters.lost += lost_end.0 - run.next.0;
                self.trace(
                    world,
                    TraceEvent::RecordsLost {
                        tick: now,
                        group: self.config.name.clone(),
                        member: member.clone(),
                        topic: run.partition.topic.to_string(),
                        partition: run.partition.partition,
                        from_offset: run.next,
                        to_offset: lost_end,
                    },
                );
            }
        }
        Ok(())
    }

    /// The coordinator removes members that sent no heartbeat for `session_timeout_ticks`
    /// (dead ones); their partitions are lost, not revoked, and a rebalance starts.
    pub(super) fn expire_sessions(&mut self, world: &mut World<'_>) {
        let now = world.now;
        let expired: Vec<MemberId> = self
            .members
            .values()
            .filter_map(|m| match m.status {
                MemberStatus::Dead { since }
                    if now.0 >= since.0.saturating_add(self.config.session_timeout_ticks) =>
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
    }
}
