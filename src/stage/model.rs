//! What the stage shows, read from the [`Playground`] in one pass: the selected topic's
//! partitions (bounds, the newest records, each group's committed offset), the producers,
//! the consumer groups reading the topic with their members and assignment, the partition
//! moves of a rebalance still under way, the records that moved in the last tick, and the
//! routing of the last record published by hand.
//!
//! Plain data, no Leptos: [`StageSnapshot::read`] is a pure function of the playground, so
//! the layout ([`super::layout`]) and its tests run natively. Every fact here is one the
//! engine named (an assignment, a generation, a lost partition, a redelivery); nothing is
//! guessed from the order of events.
//!
//! Bounded: at most [`HEAD_RECORDS`] records per partition are read (none past
//! [`super::layout::COMPACT_LANES_MAX`] partitions, where lanes become a heat strip), and at
//! most [`TRACE_SCAN`] trace events are looked at for travelling records.

use super::replication::read_replication;
pub use super::replication::LaneReplication;
use crate::playground::Playground;
use crate::rebalance::{MovePhase, Release};
use orderflow_engine::group::{GroupState, MemberStatus, Protocol};
use orderflow_engine::sim::{Command, TraceEvent};

/// Most records per partition the stage reads (the newest ones).
pub const HEAD_RECORDS: u64 = 16;
/// Most trace events looked at, newest first, for the records that moved in the last tick.
pub const TRACE_SCAN: u64 = 4_096;
/// Most travelling records drawn at once (a burst does not flood the stage).
pub const MAX_TRAVELS: usize = 16;
/// Ticks during which a partition that just landed on a new owner is marked as new.
pub const FRESH_TICKS: u64 = 2;

/// One record at the head of a partition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeadRecord {
    pub offset: u64,
    /// Empty for a record without a key.
    pub key: String,
    /// The order event, in words ("O456 Created").
    pub value: String,
    /// A producer's retry appended it again: the first copy's offset.
    pub duplicate_of: Option<u64>,
    /// Groups that processed it again after a redelivery.
    pub redelivered_to: Vec<String>,
    /// A saga compensation command (it undoes a step), from the record's payload.
    pub compensation: bool,
}

/// One partition of the selected topic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartitionState {
    pub partition: u32,
    pub log_start_offset: u64,
    pub high_watermark: u64,
    /// The newest records, oldest first (empty when the stage draws a heat strip).
    pub head: Vec<HeadRecord>,
    /// Per group reading the topic (index into [`StageSnapshot::groups`]), the committed
    /// offset: the next offset the group reads after a restart.
    pub committed: Vec<(usize, u64)>,
    /// Its leader and ISR, when the topic is replicated (more than one broker or a
    /// replication factor above 1).
    pub replication: Option<LaneReplication>,
}

impl PartitionState {
    /// Records in the log.
    pub fn records(&self) -> u64 {
        self.high_watermark - self.log_start_offset
    }
}

/// Who produces.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProducerKind {
    /// The "Publish" form.
    Hand,
    /// The page's generator (running, bursts) and records a preset's script produces.
    Generator,
    /// A producer the engine names (acks, retries, idempotence).
    Named(String),
    /// A consumer group whose processing writes to the topic (a saga service sending its
    /// commands or events, directly or through its outbox), as the engine traces it.
    Group(String),
}

/// One producer node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProducerState {
    pub kind: ProducerKind,
    /// What it is doing or how it is set up ("key User ID", "5 orders per tick").
    pub detail: String,
}

impl ProducerState {
    /// Its name on the stage.
    pub fn name(&self) -> String {
        match &self.kind {
            ProducerKind::Hand => "By hand".to_string(),
            ProducerKind::Generator => "Generator".to_string(),
            ProducerKind::Named(name) | ProducerKind::Group(name) => name.clone(),
        }
    }
}

/// A member's state as the stage draws it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MemberState {
    /// Alive and owning partitions.
    Consuming,
    /// Alive, owning nothing (more members than partitions).
    Idle,
    /// Killed; the coordinator notices after the session timeout, `notices_in` ticks from now.
    Dead { notices_in: u64 },
    /// The group is rebalancing and this member is stopped (eager) or gives partitions up
    /// (cooperative).
    Rebalancing,
    /// Leaving gracefully (finishing its batch).
    Leaving,
}

impl MemberState {
    /// The state in words.
    pub fn text(&self) -> String {
        match self {
            MemberState::Consuming => "consuming".to_string(),
            MemberState::Idle => "idle".to_string(),
            MemberState::Dead { notices_in } => format!(
                "dead, session timeout in {notices_in} tick{}",
                if *notices_in == 1 { "" } else { "s" }
            ),
            MemberState::Rebalancing => "rebalancing".to_string(),
            MemberState::Leaving => "leaving".to_string(),
        }
    }

    /// A short class name for the stylesheet.
    pub fn class(&self) -> &'static str {
        match self {
            MemberState::Consuming => "consuming",
            MemberState::Idle => "idle",
            MemberState::Dead { .. } => "dead",
            MemberState::Rebalancing => "rebalancing",
            MemberState::Leaving => "leaving",
        }
    }
}

/// One member of a group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberNode {
    pub id: String,
    pub state: MemberState,
    /// Partitions of the selected topic it owns, in order (cooperative: including those it
    /// is about to give up).
    pub owned: Vec<u32>,
    /// Of those, the ones it gives up once its batch is done (cooperative).
    pub revoking: Vec<u32>,
    /// Partitions that landed on it in the last [`FRESH_TICKS`] ticks.
    pub fresh: Vec<u32>,
    /// Lag summed over the partitions of the topic it owns.
    pub lag: u64,
}

/// A partition on the move in a rebalance still under way: given up (revoked or lost) and
/// not yet assigned again. The stage draws its old edge faded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Released {
    pub partition: u32,
    /// The member that had it (it may be gone: a timed-out member leaves the group).
    pub from: String,
    /// Lost by a dead member (not revoked).
    pub lost: bool,
}

/// A group's phase as the stage draws it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupPhase {
    Empty,
    Stable,
    Rebalancing,
}

/// One consumer group reading the selected topic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupNode {
    pub name: String,
    /// Position among all the run's groups (its colour stays when the topic changes).
    pub colour: usize,
    pub phase: GroupPhase,
    pub protocol: Protocol,
    pub generation: i32,
    pub session_timeout_ticks: u64,
    pub members: Vec<MemberNode>,
    /// Partitions of the topic given up and not yet assigned again.
    pub released: Vec<Released>,
    /// Lag summed over the topic's partitions.
    pub lag: u64,
    /// Per partition of the topic, the index of the member owning it (so a lookup costs
    /// nothing on a heat strip of 1,024 partitions).
    pub owners: Vec<Option<usize>>,
}

impl GroupNode {
    /// The group's state in words ("stable", "rebalancing (eager: everyone paused)").
    pub fn phase_text(&self) -> &'static str {
        match (self.phase, self.protocol) {
            (GroupPhase::Empty, _) => "empty",
            (GroupPhase::Stable, _) => "stable",
            (GroupPhase::Rebalancing, Protocol::Eager) => "rebalancing, all paused (eager)",
            (GroupPhase::Rebalancing, Protocol::Cooperative) => "rebalancing (cooperative)",
        }
    }

    /// The member owning `partition`, if any.
    pub fn owner(&self, partition: u32) -> Option<&MemberNode> {
        let index = (*self.owners.get(partition as usize)?)?;
        self.members.get(index)
    }

    /// Indexes who owns what (call after changing `members`).
    pub fn index_owners(&mut self, partitions: usize) {
        let mut owners = vec![None; partitions];
        for (i, m) in self.members.iter().enumerate() {
            for p in &m.owned {
                if let Some(slot) = owners.get_mut(*p as usize) {
                    *slot = Some(i);
                }
            }
        }
        self.owners = owners;
    }
}

/// Where a record moved in the last tick.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TravelRoute {
    /// From a producer (index into [`StageSnapshot::producers`]) to a partition.
    Produced { producer: usize, partition: u32 },
    /// From a partition to the member that processed it.
    Consumed {
        partition: u32,
        group: usize,
        member: String,
    },
}

/// A record moving on the stage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Travel {
    /// `(epoch, trace index)`: unique and stable, so a traveller is drawn once.
    pub id: (u64, u64),
    pub route: TravelRoute,
    /// Empty without a key.
    pub key: String,
}

/// The routing of the last record published by hand, as the engine computed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HandRouting {
    pub key: String,
    pub key_bytes: Vec<u8>,
    pub partitioner: &'static str,
    pub hash: i64,
    pub positive_hash: u64,
    pub partitions: u32,
    pub partition: u32,
    pub offset: u64,
}

/// Everything the stage draws, for one topic at one tick.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StageSnapshot {
    pub topic: String,
    /// How keys route ("murmur2 on User ID", "no key (round-robin)").
    pub routing: String,
    pub now: u64,
    pub epoch: u64,
    pub partitions: Vec<PartitionState>,
    pub producers: Vec<ProducerState>,
    pub groups: Vec<GroupNode>,
    /// Groups of the run that do not read this topic.
    pub other_groups: usize,
    pub hand_routing: Option<HandRouting>,
    pub travels: Vec<Travel>,
}

impl StageSnapshot {
    /// Reads what the stage shows of `topic` from the playground. `head_records` is how many
    /// of the newest records per partition to read (0 for a heat strip).
    pub fn read(pg: &Playground, topic: &str, head_records: u64) -> Self {
        let now = pg.now();
        let setup = pg.setup(topic);
        let routing = match setup {
            // The field's name as in sessions (user_id): the form's label ("User ID") is
            // the publish field's accessible name and stays unique on the page.
            Some(s) if s.keyed => format!("{} on {}", s.partitioner.name(), s.key_field.value()),
            Some(s) => s.unkeyed_label().to_string(),
            None => String::new(),
        };
        let groups = read_groups(pg, topic);
        let count = pg.partition_count(topic);
        let head_records = head_records.min(HEAD_RECORDS);
        let partitions = (0..count)
            .map(|p| read_partition(pg, topic, p, head_records, &groups))
            .collect();
        let producers = read_producers(pg, topic);
        let other_groups = pg.group_names().len() - groups.len();
        let hand_routing = hand_routing(pg, topic);
        let travels = travels(pg, topic, &producers, &groups);
        Self {
            topic: topic.to_string(),
            routing,
            now,
            epoch: pg.epoch(),
            partitions,
            producers,
            groups,
            other_groups,
            hand_routing,
            travels,
        }
    }

    /// Records in the topic.
    pub fn records(&self) -> u64 {
        self.partitions.iter().map(PartitionState::records).sum()
    }
}

fn read_partition(
    pg: &Playground,
    topic: &str,
    partition: u32,
    head_records: u64,
    groups: &[GroupNode],
) -> PartitionState {
    let (log_start_offset, high_watermark) = pg.partition_bounds(topic, partition);
    let head = if head_records == 0 {
        Vec::new()
    } else {
        let from = high_watermark
            .saturating_sub(head_records)
            .max(log_start_offset);
        pg.rows(topic, partition, from, high_watermark)
            .into_iter()
            .map(|row| HeadRecord {
                offset: row.offset,
                key: row.key,
                // A saga record says which message it is; an order event, its order.
                value: match row.saga_message {
                    Some(name) => name.to_string(),
                    None => format!("{} {}", row.order_id, row.status),
                },
                compensation: row.compensation,
                duplicate_of: row.duplicate_of,
                redelivered_to: row.redelivered_to,
            })
            .collect()
    };
    let committed = pg
        .committed_markers(topic, partition)
        .into_iter()
        .filter_map(|(group, offset)| {
            groups
                .iter()
                .position(|g| g.name == group)
                .map(|index| (index, offset))
        })
        .collect();
    PartitionState {
        partition,
        log_start_offset,
        high_watermark,
        head,
        committed,
        replication: read_replication(pg, topic, partition, high_watermark, head_records),
    }
}

fn read_producers(pg: &Playground, topic: &str) -> Vec<ProducerState> {
    let key = match pg.setup(topic) {
        Some(s) if s.keyed => format!("key {}", s.key_field.value()),
        Some(s) => s.unkeyed_label().to_string(),
        None => String::new(),
    };
    // A saga's order stream places its orders on the order-commands topic, as a generator.
    let saga_orders = pg
        .saga()
        .filter(|_| topic == orderflow_engine::saga::message::topics::ORDER_COMMANDS)
        .and_then(|saga| saga.order_stream().map(|o| o.orders_per_tick))
        .filter(|n| *n > 0);
    let generator = match (pg.burst(), pg.running_generator(topic), saga_orders) {
        (Some(burst), _, _) if burst.topic == topic => {
            format!("burst {} of {}", burst.done, burst.total)
        }
        (_, Some(g), _) => format!("{} orders per tick", g.orders_per_tick),
        (_, _, Some(n)) => format!("{n} saga orders per tick"),
        _ => "stopped".to_string(),
    };
    let mut producers = vec![
        ProducerState {
            kind: ProducerKind::Hand,
            detail: key,
        },
        ProducerState {
            kind: ProducerKind::Generator,
            detail: generator,
        },
    ];
    producers.extend(pg.producers().into_iter().map(|p| {
        let acks = crate::producers::acks_text(p.config.acks);
        let idempotent = if p.config.idempotent {
            "idempotent"
        } else {
            "not idempotent"
        };
        ProducerState {
            kind: ProducerKind::Named(p.config.name.clone()),
            detail: format!("acks={acks} · {idempotent}"),
        }
    }));
    if let Some(t) = pg.sim().topic(topic) {
        producers.extend(t.writers().map(|group| ProducerState {
            kind: ProducerKind::Group(group.to_string()),
            detail: "writes as it processes".to_string(),
        }));
    }
    producers
}

/// A member's state as the stage draws it: dead with its countdown, or stopped by an eager
/// rebalance, or giving partitions up in a cooperative one, or idle, or consuming.
fn member_state(
    m: &orderflow_engine::group::MemberSnapshot,
    phase: GroupPhase,
    protocol: Protocol,
    session_timeout_ticks: u64,
    now: u64,
) -> MemberState {
    match m.status {
        MemberStatus::Dead { since } => MemberState::Dead {
            notices_in: (since.0 + session_timeout_ticks).saturating_sub(now),
        },
        MemberStatus::Leaving => MemberState::Leaving,
        MemberStatus::Alive
            if phase == GroupPhase::Rebalancing
                && (protocol == Protocol::Eager || !m.pending_revocation.is_empty()) =>
        {
            MemberState::Rebalancing
        }
        MemberStatus::Alive if m.owned.is_empty() => MemberState::Idle,
        MemberStatus::Alive => MemberState::Consuming,
    }
}

fn read_groups(pg: &Playground, topic: &str) -> Vec<GroupNode> {
    let now = pg.now();
    pg.group_names()
        .iter()
        .enumerate()
        .filter_map(|(colour, name)| {
            let snapshot = pg.group_snapshot(name)?;
            if !snapshot.topics.iter().any(|t| t == topic) {
                return None;
            }
            let timeout = pg.group_config(name).map_or(0, |c| c.session_timeout_ticks);
            let phase = match snapshot.state {
                GroupState::Empty => GroupPhase::Empty,
                GroupState::Stable => GroupPhase::Stable,
                GroupState::PreparingRebalance => GroupPhase::Rebalancing,
            };
            let lags = orderflow_engine::sort::map_of(
                snapshot
                    .partitions
                    .iter()
                    .filter(|s| &*s.partition.topic == topic)
                    .map(|s| (s.partition.partition.0, s.lag)),
            );
            let lag_of = |p: u32| lags.get(&p).copied().unwrap_or(0);
            let episode = pg.rebalances(name).pop();
            let fresh_moves: Vec<(u32, String)> = episode
                .iter()
                .flat_map(|e| e.moves())
                .filter(|m| &*m.partition.topic == topic)
                .filter_map(|m| match (&m.to, m.assigned) {
                    (Some(to), Some((tick, _))) if tick + FRESH_TICKS > now => {
                        Some((m.partition.partition.0, to.0.clone()))
                    }
                    _ => None,
                })
                .collect();
            let members = snapshot
                .members
                .iter()
                .map(|m| {
                    let owned: Vec<u32> = m
                        .owned
                        .iter()
                        .filter(|tp| &*tp.topic == topic)
                        .map(|tp| tp.partition.0)
                        .collect();
                    let revoking: Vec<u32> = m
                        .pending_revocation
                        .iter()
                        .filter(|tp| &*tp.topic == topic)
                        .map(|tp| tp.partition.0)
                        .collect();
                    let state = member_state(m, phase, snapshot.protocol, timeout, now);
                    let fresh = fresh_moves
                        .iter()
                        .filter(|(p, to)| *to == m.id.0 && owned.contains(p))
                        .map(|(p, _)| *p)
                        .collect();
                    MemberNode {
                        id: m.id.0.clone(),
                        state,
                        lag: owned.iter().map(|p| lag_of(*p)).sum(),
                        owned,
                        revoking,
                        fresh,
                    }
                })
                .collect();
            let released = episode
                .filter(|e| e.in_progress())
                .map(|e| {
                    e.moves()
                        .filter(|m| {
                            &*m.partition.topic == topic && m.phase() == MovePhase::Released
                        })
                        .filter_map(|m| {
                            m.from.as_ref().map(|from| Released {
                                partition: m.partition.partition.0,
                                from: from.0.clone(),
                                lost: matches!(m.released, Some((Release::Lost, _))),
                            })
                        })
                        .collect()
                })
                .unwrap_or_default();
            let mut node = GroupNode {
                name: name.clone(),
                colour,
                phase,
                protocol: snapshot.protocol,
                generation: snapshot.generation,
                session_timeout_ticks: timeout,
                lag: snapshot
                    .partitions
                    .iter()
                    .filter(|s| &*s.partition.topic == topic)
                    .map(|s| s.lag)
                    .sum(),
                members,
                released,
                owners: Vec::new(),
            };
            node.index_owners(pg.partition_count(topic) as usize);
            Some(node)
        })
        .collect()
}

/// The newest record published by hand to `topic`: the last logged "Publish" action for the
/// topic, found in the trace as the record its tick produced with its key.
fn hand_routing(pg: &Playground, topic: &str) -> Option<HandRouting> {
    let setup = pg.setup(topic)?;
    if !setup.keyed {
        return None;
    }
    let (tick, key) = pg
        .session()
        .actions
        .iter()
        .rev()
        .filter(|a| a.tick <= pg.now())
        .find_map(|a| match a.command.as_sim()? {
            Command::PublishOrder { topic: t, event } if t == topic => {
                Some((a.tick, setup.key_field.key_of(event).to_string()))
            }
            _ => None,
        })?;
    let trace = pg.sim().trace_buffer();
    let start = trace
        .first_index()
        .max(trace.end_index().saturating_sub(TRACE_SCAN));
    trace
        .since(start)
        .rev()
        .take_while(|(_, e)| e.tick().0 >= tick)
        .find_map(|(_, e)| match e {
            TraceEvent::Produced {
                tick: t,
                topic: tp,
                key: Some(k),
                routing: Some(r),
                offset,
                origin,
                ..
            } if t.0 == tick && &**tp == topic && *k == key && origin.producer().is_none() => {
                Some(HandRouting {
                    key: k.clone(),
                    key_bytes: k.as_bytes().to_vec(),
                    partitioner: r.partitioner.name(),
                    hash: r.hash,
                    positive_hash: r.positive_hash,
                    partitions: r.partitions,
                    partition: r.partition.0,
                    offset: offset.0,
                })
            }
            _ => None,
        })
}

/// The records of `topic` produced since the previous tick and those processed in this one,
/// newest first, at most [`MAX_TRAVELS`]. A plain produce comes from the "By hand" node when
/// a logged "Publish" action of its tick carries the same order event, else from the
/// generator; a named producer's record from that producer.
fn travels(
    pg: &Playground,
    topic: &str,
    producers: &[ProducerState],
    groups: &[GroupNode],
) -> Vec<Travel> {
    let now = pg.now();
    let since = now.saturating_sub(1);
    let hand: Vec<&orderflow_engine::log::OrderEvent> = pg
        .session()
        .actions
        .iter()
        .rev()
        .skip_while(|a| a.tick > now)
        .take_while(|a| a.tick >= since)
        .filter_map(|a| match a.command.as_sim()? {
            Command::PublishOrder { topic: t, event } if t == topic => Some(event),
            _ => None,
        })
        .collect();
    let producer_index = |kind: &ProducerKind| producers.iter().position(|p| &p.kind == kind);
    let trace = pg.sim().trace_buffer();
    let start = trace
        .first_index()
        .max(trace.end_index().saturating_sub(TRACE_SCAN));
    let epoch = pg.epoch();
    let mut out = Vec::new();
    for (index, event) in trace.since(start).rev() {
        if event.tick().0 < since || out.len() >= MAX_TRAVELS {
            break;
        }
        let travel = match event {
            TraceEvent::Produced {
                topic: t,
                key,
                partition,
                offset,
                origin,
                ..
            } if &**t == topic => {
                let kind = match (origin.producer(), origin.group()) {
                    (_, Some(group)) => ProducerKind::Group(group.to_string()),
                    (Some(name), None) => ProducerKind::Named(name.to_string()),
                    (None, None)
                        if !hand.is_empty() && is_hand(pg, topic, partition.0, offset.0, &hand) =>
                    {
                        ProducerKind::Hand
                    }
                    (None, None) => ProducerKind::Generator,
                };
                producer_index(&kind).map(|producer| {
                    (
                        TravelRoute::Produced {
                            producer,
                            partition: partition.0,
                        },
                        key.clone().unwrap_or_default(),
                    )
                })
            }
            TraceEvent::Processed {
                tick,
                group,
                member,
                topic: t,
                partition,
                key,
                ..
            } if &**t == topic && tick.0 == now => {
                groups.iter().position(|g| *g.name == **group).map(|group| {
                    (
                        TravelRoute::Consumed {
                            partition: partition.0,
                            group,
                            member: member.to_string(),
                        },
                        key.as_deref().unwrap_or_default().to_owned(),
                    )
                })
            }
            _ => None,
        };
        if let Some((route, key)) = travel {
            out.push(Travel {
                id: (epoch, index),
                route,
                key,
            });
        }
    }
    out
}

/// True when the record at `partition`/`offset` carries one of the hand-published events.
fn is_hand(
    pg: &Playground,
    topic: &str,
    partition: u32,
    offset: u64,
    hand: &[&orderflow_engine::log::OrderEvent],
) -> bool {
    pg.rows(topic, partition, offset, offset + 1)
        .first()
        .is_some_and(|row| {
            hand.iter().any(|e| {
                e.order_id == row.order_id && e.user_id == row.user_id && e.status == row.status
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::Session;
    use orderflow_engine::group::GroupConfig;
    use orderflow_engine::ids::MemberId;
    use orderflow_engine::log::OrderEvent;
    use orderflow_engine::sim::Command;

    fn event(user: &str, order: &str) -> OrderEvent {
        OrderEvent {
            user_id: user.into(),
            order_id: order.into(),
            status: "Created".into(),
        }
    }

    #[test]
    fn the_default_run_shows_four_partitions_three_groups_and_the_owners_the_engine_names() {
        let mut pg = Playground::new(Session::default());
        pg.step();
        let s = StageSnapshot::read(&pg, "orders", HEAD_RECORDS);
        assert_eq!(s.partitions.len(), 4);
        let names: Vec<&str> = s.groups.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(names.len(), 3, "{names:?}");
        for g in &s.groups {
            let snapshot = pg.group_snapshot(&g.name).unwrap();
            for p in &snapshot.partitions {
                let owner = g.owner(p.partition.partition.0).map(|m| m.id.clone());
                assert_eq!(owner, p.owner.as_ref().map(|m| m.0.clone()), "{}", g.name);
            }
        }
    }

    #[test]
    fn a_hand_published_record_travels_from_the_hand_node_with_its_routing() {
        let mut pg = Playground::new(Session::default());
        pg.publish(event("U123", "O456"));
        let s = StageSnapshot::read(&pg, "orders", HEAD_RECORDS);
        let routing = s.hand_routing.clone().expect("routing of the publish");
        let expected = orderflow_engine::partitioner::Partitioner::Murmur2.route(b"U123", 4);
        assert_eq!(routing.partition, expected.partition.0);
        assert_eq!(routing.hash, expected.hash);
        assert_eq!(s.travels.len(), 1);
        assert_eq!(
            s.travels[0].route,
            TravelRoute::Produced {
                producer: 0,
                partition: expected.partition.0
            }
        );
        assert_eq!(s.producers[0].kind, ProducerKind::Hand);
        let head = &s.partitions[expected.partition.0 as usize].head;
        assert_eq!(head.len(), 1);
        assert_eq!(head[0].key, "U123");
        assert_eq!(head[0].value, "O456 Created");
    }

    #[test]
    fn a_killed_member_counts_down_its_session_timeout_then_its_partitions_move() {
        let mut pg = Playground::new(Session::default());
        for _ in 0..3 {
            pg.step();
        }
        let before = StageSnapshot::read(&pg, "orders", 0);
        let group = before
            .groups
            .iter()
            .find(|g| g.name == "OrderProcessor")
            .unwrap();
        let c1_owned = group.members[0].owned.clone();
        assert!(!c1_owned.is_empty());
        pg.act(Command::KillMember {
            group: "OrderProcessor".into(),
            member: MemberId("c1".into()),
        });
        let dead = StageSnapshot::read(&pg, "orders", 0);
        let g = dead
            .groups
            .iter()
            .find(|g| g.name == "OrderProcessor")
            .unwrap();
        assert_eq!(g.members[0].state, MemberState::Dead { notices_in: 10 });
        for _ in 0..4 {
            pg.step();
        }
        let later = StageSnapshot::read(&pg, "orders", 0);
        let g = later
            .groups
            .iter()
            .find(|g| g.name == "OrderProcessor")
            .unwrap();
        assert_eq!(g.members[0].state, MemberState::Dead { notices_in: 6 });
        // After the timeout, c2 owns everything, in a later generation.
        let mut ticks = 0;
        loop {
            pg.step();
            ticks += 1;
            let s = StageSnapshot::read(&pg, "orders", 0);
            let g = s
                .groups
                .iter()
                .find(|g| g.name == "OrderProcessor")
                .unwrap();
            if g.members.len() == 1 && g.members[0].owned == vec![0, 1, 2, 3] {
                assert!(g.generation > group.generation);
                break;
            }
            assert!(ticks < 40, "moved within 40 ticks: {g:?}");
        }
    }

    #[test]
    fn an_eager_rebalance_shows_the_released_partitions_until_they_are_assigned_again() {
        let mut pg = Playground::new(Session::default());
        for _ in 0..3 {
            pg.step();
        }
        pg.act(Command::JoinGroup {
            group: "OrderProcessor".into(),
            member: MemberId("c9".into()),
        });
        let mut seen_released = false;
        for _ in 0..30 {
            let s = StageSnapshot::read(&pg, "orders", 0);
            let g = s
                .groups
                .iter()
                .find(|g| g.name == "OrderProcessor")
                .unwrap();
            if g.phase == GroupPhase::Rebalancing && !g.released.is_empty() {
                seen_released = true;
                for r in &g.released {
                    assert!(
                        g.owner(r.partition).is_none(),
                        "released means unowned: {g:?}"
                    );
                }
            }
            pg.step();
        }
        assert!(seen_released, "an eager rebalance releases partitions");
        let s = StageSnapshot::read(&pg, "orders", 0);
        let g = s
            .groups
            .iter()
            .find(|g| g.name == "OrderProcessor")
            .unwrap();
        assert!(g.released.is_empty());
        assert_eq!(g.members.len(), 3);
    }

    /// A saga topic's writers are the services' groups the engine names: the orchestrator
    /// writes inventory-commands, and each record travels from its node.
    #[test]
    fn a_saga_topic_is_written_by_the_groups_the_engine_names() {
        let preset = crate::presets::preset("happy-path").unwrap();
        let mut pg = Playground::new(preset.session);
        let topic = "inventory-commands";
        let mut travelled = false;
        for _ in 0..40 {
            pg.step();
            let s = StageSnapshot::read(&pg, topic, HEAD_RECORDS);
            let writer = s
                .producers
                .iter()
                .position(|p| p.kind == ProducerKind::Group("saga-orchestrator".into()));
            travelled |= s.travels.iter().any(|t| match t.route {
                TravelRoute::Produced { producer, .. } => Some(producer) == writer,
                TravelRoute::Consumed { .. } => false,
            });
            let groups: Vec<&ProducerKind> = s
                .producers
                .iter()
                .map(|p| &p.kind)
                .filter(|k| matches!(k, ProducerKind::Group(_)))
                .collect();
            assert!(groups.len() <= 1, "{groups:?}");
        }
        assert!(travelled, "no record travelled from saga-orchestrator");
        let s = StageSnapshot::read(&pg, topic, HEAD_RECORDS);
        assert_eq!(s.producers.last().unwrap().name(), "saga-orchestrator");
        let lines = crate::stage::text::describe(&s);
        assert!(
            lines.contains(
                &"Consumer group saga-orchestrator writes to it as it processes.".to_string()
            ),
            "{lines:?}"
        );
    }

    /// The saga's order stream is the generator of the order-commands topic.
    #[test]
    fn a_saga_order_stream_is_the_generator_of_order_commands() {
        use crate::sagas::{parse_orders_per_tick, stop_order_stream};
        let preset = crate::presets::preset("happy-path").unwrap();
        let mut pg = Playground::new(preset.session);
        let detail = |pg: &Playground, topic: &str| {
            let s = StageSnapshot::read(pg, topic, 0);
            s.producers[1].detail.clone()
        };
        assert_eq!(detail(&pg, "order-commands"), "stopped");
        pg.try_saga(parse_orders_per_tick("3").unwrap()).unwrap();
        pg.step();
        assert_eq!(detail(&pg, "order-commands"), "3 saga orders per tick");
        assert_eq!(detail(&pg, "inventory-commands"), "stopped");
        pg.try_saga(stop_order_stream()).unwrap();
        assert_eq!(detail(&pg, "order-commands"), "stopped");
    }

    #[test]
    fn only_the_groups_reading_the_topic_are_on_its_stage() {
        let mut pg = Playground::new(Session::default());
        let mut setup = crate::session::Setup::named("refunds", 2);
        setup.keyed = true;
        pg.create_topic(setup).unwrap();
        pg.create_group(GroupConfig::new("auditors", vec!["refunds".into()]), 1)
            .unwrap();
        let orders = StageSnapshot::read(&pg, "orders", 0);
        assert!(orders.groups.iter().all(|g| g.name != "auditors"));
        assert_eq!(orders.other_groups, 1);
        let refunds = StageSnapshot::read(&pg, "refunds", 0);
        assert_eq!(refunds.groups.len(), 1);
        let position = pg
            .group_names()
            .iter()
            .position(|g| g == "auditors")
            .unwrap();
        assert_eq!(
            refunds.groups[0].colour, position,
            "colour by position among all groups"
        );
        assert_eq!(refunds.partitions.len(), 2);
    }

    #[test]
    fn the_head_holds_only_the_newest_records() {
        let mut pg = Playground::new(Session::default());
        for i in 0..40 {
            pg.publish(event("U1", &format!("O{i}")));
        }
        let s = StageSnapshot::read(&pg, "orders", HEAD_RECORDS);
        let p = s.partitions.iter().find(|p| p.records() == 40).unwrap();
        assert_eq!(p.head.len(), HEAD_RECORDS as usize);
        assert_eq!(p.head.last().unwrap().offset, 39);
        let heat = StageSnapshot::read(&pg, "orders", 0);
        assert!(heat.partitions.iter().all(|p| p.head.is_empty()));
    }
}
