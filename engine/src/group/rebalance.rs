//! Rebalances: rounds that start on a membership or metadata change, revocation, and the
//! new assignment that completes a round (eager or cooperative).

use super::{ConsumerGroup, Member, MemberStatus, Phase};
use crate::assignor::{
    assign, assign_detailed, Assignment, AssignmentInput, AssignmentStrategy, MemberSubscription,
    TopicPartition,
};
use crate::group::AutoOffsetReset;
use crate::group_protocol::{CommitReason, Protocol, RebalanceReason};
use crate::ids::{MemberId, Offset, Tick};
use crate::trace::TraceEvent;
use crate::world::World;
use std::collections::{BTreeMap, BTreeSet};

impl ConsumerGroup {
    pub(super) fn start_rebalance(&mut self, world: &mut World<'_>, reason: RebalanceReason) {
        if let Phase::Preparing { .. } = self.phase {
            // Already rebalancing: the round in progress picks up the change.
            return;
        }
        self.phase = Phase::Preparing {
            // Durations come from strangers' links and files and may be u64::MAX: every
            // deadline saturates, and one past the end of time never comes (found by the fuzz).
            ends_at: Tick(world.now.0.saturating_add(self.config.rebalance_ticks)),
        };
        self.counters.rebalances += 1;
        let protocol = self.config.protocol();
        self.trace(
            world,
            TraceEvent::RebalanceStarted {
                tick: world.now,
                group: self.config.name.clone(),
                generation: self.generation,
                protocol,
                reason,
            },
        );
        if protocol == Protocol::Eager {
            for m in self.members.values_mut() {
                m.previous_owned = m.owned.clone();
                if m.status != MemberStatus::Leaving
                    && !matches!(m.status, MemberStatus::Dead { .. })
                {
                    m.pending_revocation = m.owned.clone();
                }
            }
            // Members with nothing in hand revoke at once.
            let ids: Vec<MemberId> = self.members.keys().cloned().collect();
            for id in ids {
                if self.members[&id].batch.is_empty() {
                    self.revoke_pending(world, &id);
                }
            }
        }
    }

    /// A subscribed topic's partition count changed: rebalance if the group has members.
    pub(crate) fn topic_metadata_changed(
        &mut self,
        world: &mut World<'_>,
        topic: &str,
        partitions: u32,
    ) {
        if self.members.is_empty() || !self.config.topics.iter().any(|t| t == topic) {
            return;
        }
        self.start_rebalance(
            world,
            RebalanceReason::PartitionsAdded {
                topic: topic.to_string(),
                partitions,
            },
        );
    }

    pub(super) fn revoke_pending(&mut self, world: &mut World<'_>, member: &MemberId) {
        let revoked: Vec<TopicPartition> = {
            let m = &self.members[member];
            m.pending_revocation.iter().cloned().collect()
        };
        if revoked.is_empty() {
            return;
        }
        self.commit(world, member, CommitReason::Revocation, &revoked);
        let m = self.members.get_mut(member).expect("member exists");
        for tp in &revoked {
            m.owned.remove(tp);
            m.positions.remove(tp);
        }
        m.pending_revocation.clear();
        self.trace(
            world,
            TraceEvent::PartitionsRevoked {
                tick: world.now,
                group: self.config.name.clone(),
                member: member.clone(),
                partitions: revoked,
            },
        );
    }

    pub(super) fn rebalance_barrier_passed(&self, now: Tick) -> bool {
        let Phase::Preparing { ends_at } = self.phase else {
            return false;
        };
        if now < ends_at {
            return false;
        }
        // Every member must rejoin: dead ones hold the round up until they time out, and
        // under the eager protocol everyone must have revoked first.
        self.members.values().all(|m| match m.status {
            // A leaving member still owns partitions until its batch is done.
            MemberStatus::Dead { .. } | MemberStatus::Leaving => false,
            MemberStatus::Alive => {
                m.pending_revocation.is_empty() || self.config.protocol() == Protocol::Cooperative
            }
        })
    }

    pub(super) fn subscribed_topics(&self, world: &World<'_>) -> BTreeMap<String, u32> {
        crate::sort::map_of(self.config.topics.iter().filter_map(|t| {
            world
                .topics
                .get(t)
                .map(|topic| (t.clone(), topic.partition_count()))
        }))
    }

    /// Cooperative: once every pending revocation is done, the second round hands the
    /// revoked partitions to their new owners.
    pub(super) fn start_follow_up_if_due(&mut self, world: &mut World<'_>) {
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
    }

    /// Ends a round: a new generation, the assignor's assignment handed out (eager: all
    /// at once; cooperative: what nobody else still owns), fetch positions for what was
    /// gained, and the round traced.
    pub(super) fn complete_rebalance(&mut self, world: &mut World<'_>) {
        self.generation += 1;
        let protocol = self.config.protocol();
        let joined = self.joined_members();
        let mut round = Round::default();
        if joined.is_empty() {
            self.phase = Phase::Empty;
        } else {
            let (target, kafka_withheld) = self.compute_assignment(world, &joined, protocol);
            self.hand_out(&joined, &target, protocol, &mut round);
            if protocol == Protocol::Cooperative {
                // A cooperative assignor leaves out partitions that change owner; they are
                // revoked now and assigned in the follow-up round.
                for (tp, member) in kafka_withheld {
                    round.withheld.insert(tp, MemberId(member));
                }
            }
            self.follow_up_due = protocol == Protocol::Cooperative
                && (!round.revoked.is_empty() || !round.withheld.is_empty());
            self.phase = Phase::Stable;
            self.position_gained(world, &round.assigned);
        }
        let assignment = crate::sort::map_of(
            self.members
                .values()
                .filter(|m| m.status == MemberStatus::Alive)
                .map(|m| (m.id.clone(), m.owned.iter().cloned().collect())),
        );
        self.trace(
            world,
            TraceEvent::RebalanceCompleted {
                tick: world.now,
                group: self.config.name.clone(),
                generation: self.generation,
                protocol,
                assignment,
                revoked: Box::new(round.revoked),
                assigned: round.assigned,
                withheld: Box::new(round.withheld),
            },
        );
    }

    /// The members of the new generation (alive ones: leaving members are not part of
    /// it), in join order: Kafka's leader sees the members in the order they joined, and
    /// the sticky assignors' tie-breaks depend on it.
    fn joined_members(&self) -> Vec<MemberId> {
        let mut alive: Vec<&Member> = self
            .members
            .values()
            .filter(|m| m.status == MemberStatus::Alive)
            .collect();
        crate::sort::sort_by_key(&mut alive, |m| m.joined_seq);
        alive.into_iter().map(|m| m.id.clone()).collect()
    }

    /// Runs the group's assignor on what the members subscribe to and own: the target
    /// assignment by member id, and (cooperative assignors) the partitions withheld.
    fn compute_assignment(
        &mut self,
        world: &mut World<'_>,
        joined: &[MemberId],
        protocol: Protocol,
    ) -> (Assignment, BTreeMap<TopicPartition, String>) {
        let input = AssignmentInput {
            topics: self.subscribed_topics(world),
            members: joined
                .iter()
                .map(|id| {
                    let m = &self.members[id];
                    MemberSubscription {
                        member_id: id.0.clone(),
                        topics: self.config.topics.clone(),
                        owned_partitions: match protocol {
                            Protocol::Eager => m.previous_owned.iter().cloned().collect(),
                            Protocol::Cooperative => m.owned.iter().cloned().collect(),
                        },
                        generation: m.generation,
                        group_instance_id: m.instance_id.clone(),
                    }
                })
                .collect(),
        };
        match assign_detailed(self.config.strategy, &input) {
            Ok(outcome) => (outcome.assignment, outcome.withheld),
            Err(error) => {
                // Kafka's own assignor throws on a few inputs; the rebalance then fails.
                // The simulation says so and falls back to the range assignor, which
                // always succeeds, rather than leave the group without an assignment.
                self.trace(
                    world,
                    TraceEvent::AssignorFailed {
                        tick: world.now,
                        group: self.config.name.clone(),
                        strategy: self.config.strategy,
                        error: error.to_string(),
                    },
                );
                let target = assign(AssignmentStrategy::Range, &input)
                    .expect("the range assignor accepts any input with unique members");
                (target, BTreeMap::new())
            }
        }
    }

    /// Gives each joined member its part of the target assignment and records what moved.
    fn hand_out(
        &mut self,
        joined: &[MemberId],
        target: &Assignment,
        protocol: Protocol,
        round: &mut Round,
    ) {
        // Partitions someone still owns cannot be handed out yet (cooperative).
        let claimed: BTreeSet<TopicPartition> =
            crate::sort::set_of(self.members.values().flat_map(|m| m.owned.iter().cloned()));
        for id in joined {
            let want: BTreeSet<TopicPartition> = target
                .get(&id.0)
                .map(|v| crate::sort::set_of(v.iter().cloned()))
                .unwrap_or_default();
            let m = self.members.get_mut(id).expect("joined member");
            match protocol {
                Protocol::Eager => round.take_eager(m, want),
                Protocol::Cooperative => round.take_cooperative(m, want, &claimed),
            }
            m.generation = self.generation;
        }
    }

    /// Fetch positions for the partitions members gained.
    fn position_gained(
        &mut self,
        world: &mut World<'_>,
        assigned: &BTreeMap<MemberId, Vec<TopicPartition>>,
    ) {
        for (id, tps) in assigned {
            for tp in tps {
                let position = self.initial_position(world, id, tp);
                self.members
                    .get_mut(id)
                    .expect("member")
                    .positions
                    .insert(tp.clone(), position);
            }
        }
    }

    /// Where a member starts reading a newly assigned partition.
    pub(super) fn initial_position(
        &mut self,
        world: &mut World<'_>,
        member: &MemberId,
        tp: &TopicPartition,
    ) -> Offset {
        let (start, end) = match world
            .topics
            .get(&*tp.topic)
            .and_then(|t| t.partition(tp.partition))
        {
            Some(log) => (log.log_start_offset(), log.high_watermark()),
            None => (Offset(0), Offset(0)),
        };
        match self.committed.get(tp) {
            Some(&c) if c >= start && c <= end => c,
            _ => {
                let offset = match self.config.auto_offset_reset {
                    AutoOffsetReset::Earliest => start,
                    AutoOffsetReset::Latest => end,
                };
                self.trace(
                    world,
                    TraceEvent::AutoOffsetReset {
                        tick: world.now,
                        group: self.config.name.clone(),
                        member: member.clone(),
                        partition: tp.clone(),
                        offset,
                    },
                );
                offset
            }
        }
    }
}

/// What one round moved, per member, for [`TraceEvent::RebalanceCompleted`].
#[derive(Default)]
struct Round {
    revoked: BTreeMap<MemberId, Vec<TopicPartition>>,
    assigned: BTreeMap<MemberId, Vec<TopicPartition>>,
    withheld: BTreeMap<TopicPartition, MemberId>,
}

impl Round {
    /// Eager: the member revoked everything when the round started; it now owns exactly
    /// its target.
    fn take_eager(&mut self, m: &mut Member, want: BTreeSet<TopicPartition>) {
        let gained: Vec<TopicPartition> = want.iter().cloned().collect();
        if !m.previous_owned.is_empty() {
            self.revoked
                .insert(m.id.clone(), m.previous_owned.iter().cloned().collect());
        }
        m.previous_owned.clear();
        m.owned = want;
        if !gained.is_empty() {
            self.assigned.insert(m.id.clone(), gained);
        }
    }

    /// Cooperative: the member keeps what stays, must give up what moves (once its batch is
    /// done), and gains now only what nobody else still owns; the rest is withheld.
    fn take_cooperative(
        &mut self,
        m: &mut Member,
        want: BTreeSet<TopicPartition>,
        claimed: &BTreeSet<TopicPartition>,
    ) {
        let give_up: BTreeSet<TopicPartition> =
            crate::sort::set_of(m.owned.difference(&want).cloned());
        let mut gained = Vec::new();
        for tp in want.difference(&m.owned) {
            if claimed.contains(tp) {
                self.withheld.insert(tp.clone(), m.id.clone());
            } else {
                gained.push(tp.clone());
            }
        }
        m.owned.extend(gained.iter().cloned());
        if !give_up.is_empty() {
            self.revoked
                .insert(m.id.clone(), give_up.iter().cloned().collect());
        }
        m.pending_revocation = give_up;
        if !gained.is_empty() {
            self.assigned.insert(m.id.clone(), gained);
        }
    }
}
