//! The controller's leadership table: what a partition does when a broker stops or starts,
//! when the preferred-leader check runs, or when unclean election is switched on. Read it as
//! `match (state, event)`, like the saga orchestrator; a transition the table does not allow
//! is a typed [`ReplicationError::IllegalTransition`] carrying both.
//!
//! Candidates follow Kafka's `PartitionLeaderElectionAlgorithms`: a clean election takes the
//! first replica of the assignment that is alive and in the ISR
//! (`offlinePartitionLeaderElection`), an unclean one the first live replica of the
//! assignment, a preferred one the assignment's first replica if it is alive and in the ISR
//! (`preferredReplicaPartitionLeaderElection`).

use super::event::{ElectionKind, IsrShrinkReason, LossReason, ReplicationEvent};
use super::routing::RoutingError;
use super::{Cluster, PartitionState, ReplicationError};
use crate::assignor::TopicPartition;
use crate::cluster::BrokerId;
use crate::ids::Tick;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Whether a partition has a leader.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Leadership {
    /// A live broker leads.
    Led {
        /// The leader.
        leader: BrokerId,
    },
    /// No broker may lead (the ISR's members are all down and unclean election is off, or
    /// no replica is alive).
    Offline,
}

impl fmt::Display for Leadership {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Leadership::Led { leader } => write!(f, "led by broker {leader}"),
            Leadership::Offline => f.write_str("offline"),
        }
    }
}

/// What the controller reacts to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LeadershipEvent {
    /// A broker was killed.
    BrokerStopped(BrokerId),
    /// A broker was restarted.
    BrokerStarted(BrokerId),
    /// The preferred-leader check ran.
    PreferredElection,
    /// `unclean.leader.election.enable` was turned on.
    UncleanElectionEnabled,
}

impl fmt::Display for LeadershipEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LeadershipEvent::BrokerStopped(b) => write!(f, "broker {b} stopping"),
            LeadershipEvent::BrokerStarted(b) => write!(f, "broker {b} starting"),
            LeadershipEvent::PreferredElection => f.write_str("preferred leader election"),
            LeadershipEvent::UncleanElectionEnabled => {
                f.write_str("enabling unclean leader election")
            }
        }
    }
}

/// What the table decided for one partition.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Decision {
    Nothing,
    RemoveFromIsr(BrokerId),
    Elect {
        leader: BrokerId,
        election: ElectionKind,
        isr: Vec<BrokerId>,
    },
    GoOffline {
        isr: Vec<BrokerId>,
    },
}

/// The facts the table reads besides the partition.
struct Facts<'a> {
    alive: &'a dyn Fn(BrokerId) -> bool,
    unclean_allowed: bool,
}

impl Facts<'_> {
    fn clean_candidate(&self, p: &PartitionState, isr: &[BrokerId]) -> Option<BrokerId> {
        p.replicas
            .iter()
            .copied()
            .find(|b| isr.contains(b) && (self.alive)(*b))
    }

    fn unclean_candidate(&self, p: &PartitionState) -> Option<BrokerId> {
        if !self.unclean_allowed {
            return None;
        }
        p.replicas.iter().copied().find(|b| (self.alive)(*b))
    }

    /// A new leader for a partition whose ISR (without the dead) is `isr`, or offline.
    fn elect_or_go_offline(
        &self,
        p: &PartitionState,
        isr: Vec<BrokerId>,
        dead: BrokerId,
    ) -> Decision {
        if let Some(leader) = self.clean_candidate(p, &isr) {
            return Decision::Elect {
                leader,
                election: ElectionKind::Clean,
                isr,
            };
        }
        if let Some(leader) = self.unclean_candidate(p) {
            return Decision::Elect {
                leader,
                election: ElectionKind::Unclean,
                isr: vec![leader],
            };
        }
        // The controller never empties an ISR: its last member stays, so that broker can
        // come back and lead without losing committed records.
        let isr = if isr.is_empty() { vec![dead] } else { isr };
        Decision::GoOffline { isr }
    }
}

/// The table.
fn decide(
    p: &PartitionState,
    facts: &Facts<'_>,
    state: Leadership,
    event: LeadershipEvent,
) -> Result<Decision, ()> {
    use Leadership as S;
    use LeadershipEvent as E;
    let without =
        |b: BrokerId| -> Vec<BrokerId> { p.isr.iter().copied().filter(|&m| m != b).collect() };
    Ok(match (state, event) {
        (S::Led { leader }, E::BrokerStopped(b)) if b == leader => {
            facts.elect_or_go_offline(p, without(b), b)
        }
        (S::Led { .. }, E::BrokerStopped(b)) if p.isr.contains(&b) => Decision::RemoveFromIsr(b),
        (S::Led { .. }, E::BrokerStopped(_)) => Decision::Nothing,
        // An offline ISR holds only its last, dead member; a stopping replica outside it
        // changes nothing.
        (S::Offline, E::BrokerStopped(_)) => Decision::Nothing,
        (S::Led { leader }, E::BrokerStarted(b)) if b == leader => return Err(()),
        (S::Led { .. }, E::BrokerStarted(_)) => Decision::Nothing,
        (S::Offline, E::BrokerStarted(_) | E::UncleanElectionEnabled) => {
            match facts.clean_candidate(p, &p.isr) {
                Some(leader) => Decision::Elect {
                    leader,
                    election: ElectionKind::Clean,
                    isr: p.isr.clone(),
                },
                None => match facts.unclean_candidate(p) {
                    Some(leader) => Decision::Elect {
                        leader,
                        election: ElectionKind::Unclean,
                        isr: vec![leader],
                    },
                    None => Decision::Nothing,
                },
            }
        }
        (S::Led { leader }, E::PreferredElection) => {
            let preferred = p.replicas[0];
            if preferred != leader && (facts.alive)(preferred) && p.isr.contains(&preferred) {
                Decision::Elect {
                    leader: preferred,
                    election: ElectionKind::Preferred,
                    isr: p.isr.clone(),
                }
            } else {
                Decision::Nothing
            }
        }
        (S::Offline, E::PreferredElection) => Decision::Nothing,
        (S::Led { .. }, E::UncleanElectionEnabled) => Decision::Nothing,
    })
}

impl Cluster {
    /// Runs the table for every partition the event concerns and applies the decisions.
    pub(super) fn on_leadership_event(
        &mut self,
        now: Tick,
        event: LeadershipEvent,
        events: &mut Vec<ReplicationEvent>,
    ) -> Result<(), ReplicationError> {
        let concerned = |p: &PartitionState| match event {
            LeadershipEvent::BrokerStopped(b) | LeadershipEvent::BrokerStarted(b) => {
                p.replicas.contains(&b)
            }
            LeadershipEvent::PreferredElection | LeadershipEvent::UncleanElectionEnabled => true,
        };
        let partitions: Vec<TopicPartition> = self
            .partitions
            .iter()
            .filter(|(_, p)| concerned(p))
            .map(|(tp, _)| tp.clone())
            .collect();
        for tp in partitions {
            let p = &self.partitions[&tp];
            let state = match p.leader {
                Some(leader) => Leadership::Led { leader },
                None => Leadership::Offline,
            };
            let alive = |b: BrokerId| self.is_alive(b);
            let facts = Facts {
                alive: &alive,
                unclean_allowed: self.unclean_allowed(&tp.topic),
            };
            let decision = decide(p, &facts, state, event).map_err(|()| {
                ReplicationError::IllegalTransition {
                    partition: tp.clone(),
                    state,
                    event,
                }
            })?;
            if let LeadershipEvent::BrokerStarted(b) = event {
                // A restarted follower has not been behind "for" the time it was down.
                if let Some(log) = self
                    .partitions
                    .get_mut(&tp)
                    .and_then(|p| p.logs.get_mut(&b))
                {
                    log.last_caught_up = now;
                }
            }
            self.apply(now, &tp, state, decision, events);
        }
        Ok(())
    }

    fn apply(
        &mut self,
        now: Tick,
        tp: &TopicPartition,
        state: Leadership,
        decision: Decision,
        events: &mut Vec<ReplicationEvent>,
    ) {
        // Requests waiting on a leader that died get no answer: the connection drops.
        if let Leadership::Led { leader } = state {
            if !self.is_alive(leader) {
                self.fail_pending(
                    tp,
                    |_| RoutingError::NetworkException { broker: leader }.into(),
                    events,
                );
            }
        }
        match decision {
            Decision::Nothing => {}
            Decision::RemoveFromIsr(broker) => {
                self.shrink_isr(tp, broker, IsrShrinkReason::BrokerStopped, events);
                self.advance_high_watermark(tp, events);
            }
            Decision::Elect {
                leader,
                election,
                isr,
            } => self.elect(now, tp, leader, election, isr, events),
            Decision::GoOffline { isr } => {
                let p = self.partitions.get_mut(tp).expect("the partition exists");
                p.leader = None;
                let removed: Vec<BrokerId> =
                    p.isr.iter().copied().filter(|b| !isr.contains(b)).collect();
                p.isr = isr;
                let leader_epoch = p.leader_epoch;
                self.record_isr_removals(tp, &removed, events);
                events.push(ReplicationEvent::PartitionOffline {
                    partition: tp.clone(),
                    leader_epoch,
                });
            }
        }
    }

    /// Removes one replica from the ISR (never the last one) and says so.
    pub(super) fn shrink_isr(
        &mut self,
        tp: &TopicPartition,
        broker: BrokerId,
        reason: IsrShrinkReason,
        events: &mut Vec<ReplicationEvent>,
    ) {
        let p = self.partitions.get_mut(tp).expect("the partition exists");
        assert!(p.isr.len() > 1, "the controller never empties an ISR");
        p.isr.retain(|&b| b != broker);
        self.counters.isr_shrinks += 1;
        events.push(ReplicationEvent::IsrShrunk {
            partition: tp.clone(),
            broker,
            isr: p.isr.clone(),
            reason,
        });
    }

    fn record_isr_removals(
        &mut self,
        tp: &TopicPartition,
        removed: &[BrokerId],
        events: &mut Vec<ReplicationEvent>,
    ) {
        let isr = self.partitions[tp].isr.clone();
        for &broker in removed {
            self.counters.isr_shrinks += 1;
            events.push(ReplicationEvent::IsrShrunk {
                partition: tp.clone(),
                broker,
                isr: isr.clone(),
                reason: IsrShrinkReason::BrokerStopped,
            });
        }
    }

    /// A new leader and epoch. Every record that is not in the new leader's log is lost,
    /// and named; waiting requests get `NOT_LEADER_OR_FOLLOWER`.
    fn elect(
        &mut self,
        now: Tick,
        tp: &TopicPartition,
        leader: BrokerId,
        election: ElectionKind,
        isr: Vec<BrokerId>,
        events: &mut Vec<ReplicationEvent>,
    ) {
        let p = self.partitions.get_mut(tp).expect("the partition exists");
        let old_leader = p.leader;
        let removed: Vec<BrokerId> = p.isr.iter().copied().filter(|b| !isr.contains(b)).collect();
        p.isr = isr;
        p.leader = Some(leader);
        p.leader_epoch += 1;
        let leader_epoch = p.leader_epoch;
        let log_end_offset = p.log_end_offset(leader);
        p.leader_epoch_start_offset = log_end_offset;
        p.trim_leader();
        for (_, log) in p.logs.iter_mut() {
            log.last_caught_up = now;
            log.fetched_this_epoch = false;
        }
        let old_high_watermark = p.high_watermark;
        self.record_isr_removals(tp, &removed, events);
        self.counters.leader_elections += 1;
        if election == ElectionKind::Unclean {
            self.counters.unclean_leader_elections += 1;
        }
        events.push(ReplicationEvent::LeaderElected {
            partition: tp.clone(),
            leader,
            leader_epoch,
            election,
        });
        let reason = match election {
            ElectionKind::Unclean => LossReason::UncleanElection,
            _ => LossReason::LeaderChange,
        };
        self.name_lost_records(tp, leader, old_high_watermark, reason, events);
        let p = self.partitions.get_mut(tp).expect("the partition exists");
        if log_end_offset < old_high_watermark {
            // Only an unclean election (or the deliberate bug) gets here.
            p.high_watermark = log_end_offset;
            events.push(ReplicationEvent::HighWatermarkMovedBack {
                partition: tp.clone(),
                from: old_high_watermark,
                to: log_end_offset,
            });
        }
        if let Some(old) = old_leader.filter(|&b| b != leader) {
            let alive = self.is_alive(old);
            self.fail_pending(
                tp,
                |_| {
                    if alive {
                        RoutingError::NotLeaderOrFollower {
                            partition: tp.clone(),
                            broker: old,
                            leader: Some(leader),
                        }
                        .into()
                    } else {
                        RoutingError::NetworkException { broker: old }.into()
                    }
                },
                events,
            );
        }
        self.advance_high_watermark(tp, events);
    }

    /// Names each record the new leader's log does not hold: whoever else has it will
    /// truncate it on its next fetch, so it is gone now, unless a replica that still holds
    /// it leads before truncating: then the record is named again, restored.
    fn name_lost_records(
        &mut self,
        tp: &TopicPartition,
        leader: BrokerId,
        high_watermark: crate::ids::Offset,
        reason: LossReason,
        events: &mut Vec<ReplicationEvent>,
    ) {
        let p = self.partitions.get_mut(tp).expect("the partition exists");
        let new_leader = leader;
        let log = &p.logs[&leader];
        // Appends before the one at the leader's log start offset and below it were deleted
        // by retention (or lost before); later ones there were written by another leader.
        let start = log.log_start_offset();
        let first_kept = log
            .entries
            .get(start.0)
            .map_or(p.records.end(), |e| e.append.0);
        for index in p.records.start()..p.records.end() {
            let record = p.records.get_mut(index).expect("within the kept records");
            if record.offset < start && index < first_kept {
                continue;
            }
            let held = log.entries.get(record.offset.0).map(|e| e.append.0) == Some(index);
            if record.lost && held {
                // The new leader never truncated it (it was dead, or elected before it
                // fetched from the leader that lacked it): the record is back, as in Kafka.
                record.lost = false;
                events.push(ReplicationEvent::RecordRestored {
                    partition: tp.clone(),
                    offset: record.offset,
                    append: super::AppendId(index),
                    key: record.key.clone(),
                    leader: new_leader,
                });
                continue;
            }
            if record.lost || held {
                continue;
            }
            record.lost = true;
            events.push(ReplicationEvent::RecordLost {
                partition: tp.clone(),
                offset: record.offset,
                append: super::AppendId(index),
                key: record.key.clone(),
                event_id: record.event_id,
                acks: record.acks,
                acknowledged: record.acknowledged,
                committed: record.offset < high_watermark,
                leader_epoch: record.leader_epoch,
                reason,
            });
        }
    }

    /// The preferred replica takes leadership back wherever it can.
    pub(super) fn elect_preferred_leaders(
        &mut self,
        now: Tick,
        events: &mut Vec<ReplicationEvent>,
    ) {
        self.on_leadership_event(now, LeadershipEvent::PreferredElection, events)
            .expect("the preferred election has no illegal transition");
    }
}
