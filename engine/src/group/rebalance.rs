//! Rebalances: rounds that start on a membership or metadata change, revocation, and the
//! new assignment that completes a round (eager or cooperative).

use super::{ConsumerGroup, Member, MemberStatus, Phase};
use crate::assignor::{
    assign, assign_detailed, AssignmentInput, AssignmentStrategy, MemberSubscription,
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
            ends_at: Tick(world.now.0 + self.config.rebalance_ticks),
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
        self.config
            .topics
            .iter()
            .filter_map(|t| {
                world
                    .topics
                    .get(t)
                    .map(|topic| (t.clone(), topic.partition_count()))
            })
            .collect()
    }

    pub(super) fn complete_rebalance(&mut self, world: &mut World<'_>) {
        self.generation += 1;
        let protocol = self.config.protocol();
        // Leaving members are not part of the new generation.
        // In join order: Kafka's leader sees the members in the order they joined, and the
        // sticky assignors' tie-breaks depend on it.
        let mut alive: Vec<&Member> = self
            .members
            .values()
            .filter(|m| m.status == MemberStatus::Alive)
            .collect();
        alive.sort_by_key(|m| m.joined_seq);
        let joined: Vec<MemberId> = alive.into_iter().map(|m| m.id.clone()).collect();
        let mut revoked: BTreeMap<MemberId, Vec<TopicPartition>> = BTreeMap::new();
        let mut assigned: BTreeMap<MemberId, Vec<TopicPartition>> = BTreeMap::new();
        let mut withheld: BTreeMap<TopicPartition, MemberId> = BTreeMap::new();
        if joined.is_empty() {
            self.phase = Phase::Empty;
        } else {
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
                        }
                    })
                    .collect(),
            };
            let (target, kafka_withheld) = match assign_detailed(self.config.strategy, &input) {
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
            };
            // Partitions someone still owns cannot be handed out yet (cooperative).
            let claimed: BTreeSet<TopicPartition> = self
                .members
                .values()
                .flat_map(|m| m.owned.iter().cloned())
                .collect();
            for id in &joined {
                let want: BTreeSet<TopicPartition> = target
                    .get(&id.0)
                    .map(|v| v.iter().cloned().collect())
                    .unwrap_or_default();
                let m = self.members.get_mut(id).expect("joined member");
                match protocol {
                    Protocol::Eager => {
                        let gained: Vec<TopicPartition> = want.iter().cloned().collect();
                        if !m.previous_owned.is_empty() {
                            revoked.insert(id.clone(), m.previous_owned.iter().cloned().collect());
                        }
                        m.previous_owned.clear();
                        m.owned = want;
                        if !gained.is_empty() {
                            assigned.insert(id.clone(), gained);
                        }
                    }
                    Protocol::Cooperative => {
                        let give_up: BTreeSet<TopicPartition> =
                            m.owned.difference(&want).cloned().collect();
                        let mut gained = Vec::new();
                        for tp in want.difference(&m.owned) {
                            if claimed.contains(tp) {
                                withheld.insert(tp.clone(), id.clone());
                            } else {
                                gained.push(tp.clone());
                            }
                        }
                        m.owned.extend(gained.iter().cloned());
                        if !give_up.is_empty() {
                            revoked.insert(id.clone(), give_up.iter().cloned().collect());
                        }
                        m.pending_revocation = give_up;
                        if !gained.is_empty() {
                            assigned.insert(id.clone(), gained);
                        }
                    }
                }
                m.generation = self.generation;
            }
            if protocol == Protocol::Cooperative {
                // A cooperative assignor leaves out partitions that change owner; they are
                // revoked now and assigned in the follow-up round.
                for (tp, member) in kafka_withheld {
                    withheld.insert(tp, MemberId(member));
                }
            }
            self.follow_up_due =
                protocol == Protocol::Cooperative && (!revoked.is_empty() || !withheld.is_empty());
            self.phase = Phase::Stable;
            // Fetch positions for what was gained.
            for (id, tps) in assigned.clone() {
                for tp in tps {
                    let position = self.initial_position(world, &id, &tp);
                    self.members
                        .get_mut(&id)
                        .expect("member")
                        .positions
                        .insert(tp, position);
                }
            }
        }
        let assignment = self
            .members
            .values()
            .filter(|m| m.status == MemberStatus::Alive)
            .map(|m| (m.id.clone(), m.owned.iter().cloned().collect()))
            .collect();
        self.trace(
            world,
            TraceEvent::RebalanceCompleted {
                tick: world.now,
                group: self.config.name.clone(),
                generation: self.generation,
                protocol,
                assignment,
                revoked,
                assigned,
                withheld,
            },
        );
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
            .get(&tp.topic)
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
