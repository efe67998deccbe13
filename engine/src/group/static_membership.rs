//! Static membership (`group.instance.id`, KIP-345): a member that names an instance id
//! is known by it. When it dies (a restart, a deploy) the coordinator keeps its partitions
//! for it until its session times out; if it comes back first, under a new member id or the
//! same one, it takes its old place and partitions at once, with no rebalance. The
//! assignors order static members by instance id, so a rebalance that does happen gives
//! them the same partitions too.
//!
//! A static member that leaves gracefully (closes) finishes its batch and commits, but sends
//! no LeaveGroup request (the classic consumer skips it for static members, so that a
//! rolling restart moves nothing): to the coordinator it is simply gone, and the group
//! rebalances only when its session times out, unless it comes back first.

use super::{ConsumerGroup, GroupError, Member, MemberStatus};
use crate::assignor::TopicPartition;
use crate::ids::MemberId;
use crate::trace::TraceEvent;
use crate::world::World;
use std::sync::Arc;

impl ConsumerGroup {
    /// A static member closed after committing (see the module docs): it stops like a
    /// killed member with nothing in hand, and the coordinator waits for its session
    /// timeout.
    pub(super) fn static_member_left(
        &mut self,
        world: &mut World<'_>,
        member: &MemberId,
        instance_id: String,
    ) {
        let now = world.now;
        let m = self.members.get_mut(member).expect("the leaving member");
        m.status = MemberStatus::Dead { since: now };
        m.batch.clear();
        m.pending_revocation.clear();
        self.trace(
            world,
            TraceEvent::StaticMemberLeft {
                tick: now,
                group: self.config.name.clone(),
                member: member.clone(),
                instance_id,
                session_timeout_ticks: self.config.session_timeout_ticks,
            },
        );
    }

    /// A static member joins with `instance_id`. A new instance id joins like any member
    /// (a rebalance); one whose member died within the session timeout takes that member's
    /// place and partitions without a rebalance; one held by a live member is fenced
    /// (`FENCED_INSTANCE_ID`).
    pub(crate) fn join_static(
        &mut self,
        world: &mut World<'_>,
        member: MemberId,
        instance_id: String,
    ) -> Result<(), GroupError> {
        let holder = self
            .members
            .values()
            .find(|m| m.instance_id.as_deref() == Some(instance_id.as_str()))
            .map(|m| (m.id.clone(), m.status));
        let Some((previous, status)) = holder else {
            return self.join_as(world, member, Some(instance_id));
        };
        if !matches!(status, MemberStatus::Dead { .. }) {
            return Err(GroupError::InstanceIdInUse {
                group: self.config.name.clone(),
                instance_id,
                member: previous,
            });
        }
        if member != previous && self.members.contains_key(&member) {
            return Err(GroupError::MemberExists {
                group: self.config.name.clone(),
                member,
            });
        }
        let old = self.members.remove(&previous).expect("found above");
        let mut new = Member::new(member.clone(), world.now, old.joined_seq);
        new.instance_id = Some(instance_id.clone());
        new.owned = old.owned;
        new.generation = old.generation;
        let partitions: Vec<TopicPartition> = new.owned.iter().cloned().collect();
        self.members.insert(member.clone(), new);
        for tp in &partitions {
            // A new process: it starts from the committed offsets.
            let position = self.initial_position(world, &member, tp);
            let m = self.members.get_mut(&member).expect("inserted");
            m.positions.insert(tp.clone(), position);
        }
        self.trace(
            world,
            TraceEvent::StaticMemberRejoined {
                tick: world.now,
                group: Arc::clone(&self.trace_name),
                member,
                previous,
                instance_id: instance_id.into_boxed_str(),
                partitions: partitions.into_boxed_slice(),
            },
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::command::Command;
    use crate::group::GroupConfig;
    use crate::ids::Tick;
    use crate::partitioner::Partitioner;
    use crate::sim::{Sim, TraceEvent};
    use crate::topic::TopicSpec;

    fn group_of_two_static_members() -> Sim {
        let mut sim = Sim::new(1);
        let spec = TopicSpec::new("orders", 4, Partitioner::Murmur2);
        sim.apply(Command::CreateTopic(spec)).unwrap();
        let config = GroupConfig::new("g", vec!["orders".into()]);
        sim.apply(Command::CreateGroup { config }).unwrap();
        for (member, instance) in [("c1", "host-a"), ("c2", "host-b")] {
            sim.apply(Command::JoinStaticMember {
                group: "g".into(),
                member: member.into(),
                instance_id: instance.into(),
            })
            .unwrap();
        }
        sim.run_until(Tick(20));
        sim
    }

    fn owned(sim: &Sim, member: &str) -> Vec<u32> {
        let snapshot = sim.group_snapshot("g").unwrap();
        let m = snapshot.members.iter().find(|m| m.id.0 == member).unwrap();
        m.owned.iter().map(|tp| tp.partition.0).collect()
    }

    fn rebalances(sim: &Sim) -> usize {
        sim.trace()
            .iter()
            .filter(|e| matches!(e, TraceEvent::RebalanceStarted { .. }))
            .count()
    }

    #[test]
    fn a_static_member_back_within_the_session_timeout_keeps_its_partitions_without_a_rebalance() {
        let mut sim = group_of_two_static_members();
        let before = owned(&sim, "c1");
        assert!(!before.is_empty());
        let rounds = rebalances(&sim);
        let kill = Command::KillMember {
            group: "g".into(),
            member: "c1".into(),
        };
        sim.apply(kill).unwrap();
        sim.run_until(Tick(22));
        let back = Command::JoinStaticMember {
            group: "g".into(),
            member: "c1-restarted".into(),
            instance_id: "host-a".into(),
        };
        sim.apply(back).unwrap();
        sim.run_until(Tick(60));
        assert_eq!(owned(&sim, "c1-restarted"), before);
        assert_eq!(rebalances(&sim), rounds, "no rebalance");
        let rejoined = sim
            .trace()
            .iter()
            .any(|e| matches!(e, TraceEvent::StaticMemberRejoined { previous, .. } if previous.0 == "c1"));
        assert!(rejoined);
    }

    #[test]
    fn a_live_instance_id_is_fenced_and_a_late_one_rebalances() {
        let mut sim = group_of_two_static_members();
        let twin = Command::JoinStaticMember {
            group: "g".into(),
            member: "c9".into(),
            instance_id: "host-a".into(),
        };
        let error = sim.apply(twin).unwrap_err().to_string();
        assert!(error.starts_with("FENCED_INSTANCE_ID"), "{error}");
        let rounds = rebalances(&sim);
        let kill = Command::KillMember {
            group: "g".into(),
            member: "c1".into(),
        };
        sim.apply(kill).unwrap();
        sim.run_until(Tick(200)); // past the session timeout: c1 is gone, a rebalance ran
        assert!(rebalances(&sim) > rounds);
        let back = Command::JoinStaticMember {
            group: "g".into(),
            member: "c1".into(),
            instance_id: "host-a".into(),
        };
        sim.apply(back).unwrap();
        assert!(rebalances(&sim) > rounds + 1, "a new member: a rebalance");
    }

    #[test]
    fn a_static_member_that_leaves_commits_and_moves_nothing_until_its_session_times_out() {
        let mut sim = group_of_two_static_members();
        let before = owned(&sim, "c1");
        let rounds = rebalances(&sim);
        let leave = Command::LeaveGroup {
            group: "g".into(),
            member: "c1".into(),
        };
        sim.apply(leave).unwrap();
        sim.run_until(Tick(24));
        assert_eq!(rebalances(&sim), rounds, "no LeaveGroup: no rebalance yet");
        let left = sim.trace().iter().any(|e| {
            matches!(e, TraceEvent::StaticMemberLeft { member, instance_id, .. }
                if member.0 == "c1" && instance_id == "host-a")
        });
        assert!(left, "the engine names the static leave");
        assert!(!sim
            .trace()
            .iter()
            .any(|e| matches!(e, TraceEvent::MemberLeft { .. })));
        // A rolling restart: back under the same instance id, same partitions, still no
        // rebalance.
        let back = Command::JoinStaticMember {
            group: "g".into(),
            member: "c1-next".into(),
            instance_id: "host-a".into(),
        };
        sim.apply(back).unwrap();
        sim.run_until(Tick(60));
        assert_eq!(owned(&sim, "c1-next"), before);
        assert_eq!(rebalances(&sim), rounds);
    }

    #[test]
    fn a_static_member_that_leaves_for_good_is_rebalanced_away_after_its_session_timeout() {
        let mut sim = group_of_two_static_members();
        let rounds = rebalances(&sim);
        let leave = Command::LeaveGroup {
            group: "g".into(),
            member: "c1".into(),
        };
        sim.apply(leave).unwrap();
        sim.run_until(Tick(300));
        assert!(
            rebalances(&sim) > rounds,
            "the session timed out: a rebalance"
        );
        assert_eq!(owned(&sim, "c2"), vec![0, 1, 2, 3]);
        let lost = sim
            .trace()
            .iter()
            .any(|e| matches!(e, TraceEvent::RecordsLost { .. }));
        assert!(!lost, "it committed before it went");
    }
}
