//! Rebalances as partition moves, folded from the engine's trace (plain Rust, no Leptos).
//!
//! The engine traces a rebalance in pieces: a member times out and its partitions are *lost*
//! ([`TraceEvent::MemberTimedOut`]), a round starts ([`TraceEvent::RebalanceStarted`]),
//! members revoke ([`TraceEvent::PartitionsRevoked`]), the round completes with the new
//! generation ([`TraceEvent::RebalanceCompleted`]), and under the cooperative protocol a
//! follow-up round hands out what was revoked. [`RebalanceLog`] folds those events into one
//! [`RebalanceEpisode`] per rebalance: per partition, who gave it up and how, who got it and
//! in which generation, plus which partitions kept being consumed and how many records each
//! member processed while the rebalance was under way. The group panel draws the moves from
//! it, so what people see is exactly what the engine did.
//!
//! Bounded: at most [`EPISODES_KEPT`] episodes per group are kept.

use litemap::LiteMap;
use orderflow_engine::assignor::TopicPartition;
use orderflow_engine::group::{Protocol, RebalanceReason};
use orderflow_engine::ids::MemberId;
use orderflow_engine::sim::TraceEvent;
use std::collections::{BTreeMap, VecDeque};

/// Recent rebalances kept per group (older ones are dropped).
pub const EPISODES_KEPT: usize = 3;

/// How a partition left its owner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Release {
    /// The owner revoked it (finished its batch, committed, gave it up).
    Revoked,
    /// The owner died and timed out: nobody revoked or committed it.
    Lost,
    /// The owner left the group gracefully (committed, then left).
    Left,
}

/// Where a partition's move stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MovePhase {
    /// Cooperative: its owner must give it up and is still consuming it until its batch is
    /// done.
    Revoking,
    /// Given up (revoked, lost or left); nobody owns it until a round assigns it.
    Released,
    /// Assigned to its new owner.
    Assigned,
}

/// One partition's move in a rebalance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartitionMove {
    pub partition: TopicPartition,
    /// Its owner before the rebalance (`None`: it had none).
    pub from: Option<MemberId>,
    /// How and at which tick it left `from`.
    pub released: Option<(Release, u64)>,
    /// The member that gets it (cooperative: known a round before it is assigned).
    pub to: Option<MemberId>,
    /// `(tick, generation)` of the round that assigned it.
    pub assigned: Option<(u64, i32)>,
    /// The member had to give it up (cooperative) or gave up everything (eager).
    revoke_due: bool,
}

impl PartitionMove {
    fn new(partition: TopicPartition, from: Option<MemberId>) -> Self {
        Self {
            partition,
            from,
            released: None,
            to: None,
            assigned: None,
            revoke_due: false,
        }
    }

    /// Where the move stands.
    pub fn phase(&self) -> MovePhase {
        if self.assigned.is_some() {
            MovePhase::Assigned
        } else if self.released.is_some() || self.from.is_none() {
            MovePhase::Released
        } else {
            MovePhase::Revoking
        }
    }

    /// True while the move waits for something (a revocation or an assignment).
    fn pending(&self) -> bool {
        match self.phase() {
            MovePhase::Assigned => false,
            MovePhase::Revoking => true,
            // Waits for the follow-up round; a partition with no new owner in sight (the
            // group emptied) waits for nothing.
            MovePhase::Released => self.to.is_some(),
        }
    }

    /// Where it came from, in words ("lost by c1 (timed out)", "revoked by c2", ...).
    pub fn from_text(&self) -> String {
        match (&self.from, self.released) {
            (None, _) => "had no owner".to_string(),
            (Some(m), Some((Release::Lost, _))) => format!("lost by {} (timed out)", m.0),
            (Some(m), Some((Release::Left, _))) => format!("released by {} (left)", m.0),
            (Some(m), Some((Release::Revoked, _))) => format!("revoked by {}", m.0),
            (Some(m), None) if self.revoke_due => {
                format!(
                    "{} consumes it until its batch is done, then revokes it",
                    m.0
                )
            }
            (Some(m), None) => format!("owned by {}", m.0),
        }
    }

    /// Where it goes, in words ("assigned to c2 in generation 2", ...).
    pub fn to_text(&self) -> String {
        match (&self.to, self.assigned) {
            (Some(to), Some((_, generation))) if Some(to) == self.from.as_ref() => {
                format!("assigned back to {} in generation {generation}", to.0)
            }
            (Some(to), Some((_, generation))) => {
                format!("assigned to {} in generation {generation}", to.0)
            }
            (Some(to), None) => format!("goes to {} in the next round", to.0),
            (None, _) => "waiting for the new assignment".to_string(),
        }
    }

    /// The move as one sentence (what a screen reader reads, and what the panel shows).
    pub fn describe(&self) -> String {
        format!(
            "{}: {}; {}",
            self.partition,
            self.from_text(),
            self.to_text()
        )
    }
}

/// One rebalance of one group, from its first round to its last.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RebalanceEpisode {
    pub protocol: Protocol,
    pub started_at: u64,
    /// The generation left behind.
    pub from_generation: i32,
    pub reason: RebalanceReason,
    /// Completed rounds: `(tick, generation)`.
    pub rounds: Vec<(u64, i32)>,
    /// Per partition, what moved (eager: every partition, all are revoked).
    moves: LiteMap<TopicPartition, PartitionMove>,
    /// Owners when it started (to tell which partitions kept being consumed).
    owners_at_start: LiteMap<TopicPartition, MemberId>,
    /// Records each member processed while the rebalance was under way.
    pub processed_during: LiteMap<MemberId, u64>,
    /// A round is under way (the group is preparing a rebalance).
    preparing: bool,
}

impl RebalanceEpisode {
    /// The move of `tp`, started from owner `from` if this episode has none yet.
    fn move_of(&mut self, tp: &TopicPartition, from: Option<&MemberId>) -> &mut PartitionMove {
        self.moves
            .entry(tp.clone())
            .or_insert_with(|| PartitionMove::new(tp.clone(), from.cloned()))
    }

    /// The moves in partition order.
    pub fn moves(&self) -> impl Iterator<Item = &PartitionMove> {
        self.moves.values()
    }

    /// Partitions that did not move, with the owner that kept consuming them.
    pub fn kept(&self) -> Vec<(TopicPartition, MemberId)> {
        self.owners_at_start
            .iter()
            .filter(|(tp, _)| !self.moves.contains_key(*tp))
            .map(|(tp, m)| (tp.clone(), m.clone()))
            .collect()
    }

    /// True until every round is done and every move has landed.
    pub fn in_progress(&self) -> bool {
        self.preparing || self.moves.values().any(PartitionMove::pending)
    }

    /// Eager only: true while the group is stopped (a round is under way).
    pub fn paused(&self) -> bool {
        self.protocol == Protocol::Eager && self.preparing
    }

    /// The latest generation this episode reached, if a round completed.
    pub fn generation(&self) -> Option<i32> {
        self.rounds.last().map(|r| r.1)
    }

    /// Why it started, in words.
    pub fn reason_text(&self) -> String {
        match &self.reason {
            RebalanceReason::MemberJoined { member } => format!("consumer {} joined", member.0),
            RebalanceReason::MemberLeft { member } => format!("consumer {} left", member.0),
            RebalanceReason::MemberTimedOut { member } => {
                format!("consumer {} timed out (no heartbeat)", member.0)
            }
            RebalanceReason::CooperativeFollowUp => "follow-up round".to_string(),
            RebalanceReason::PartitionsAdded { topic, partitions } => {
                format!("topic {topic} grew to {partitions} partitions")
            }
        }
    }

    /// What consumption did during the rebalance, in words (eager: paused; cooperative:
    /// the unmoved partitions kept being consumed).
    pub fn consumption_text(&self) -> String {
        let next = self.from_generation + 1;
        let processed = self
            .processed_during
            .iter()
            .map(|(m, n)| format!("{} {n}", m.0))
            .collect::<Vec<_>>()
            .join(", ");
        let processed = match (processed.is_empty(), self.protocol) {
            (true, _) => "nobody processed a record during it".to_string(),
            // Eager members only finish the batch they had fetched, then stop.
            (false, Protocol::Eager) => {
                format!("records finished from batches fetched before it: {processed}")
            }
            (false, Protocol::Cooperative) => {
                format!("records processed during it: {processed}")
            }
        };
        if !self.in_progress() && self.moves.values().all(|m| m.from.is_none()) {
            return format!(
                "First assignment: no partition had an owner before, so nothing was revoked; {processed}."
            );
        }
        match (self.protocol, self.in_progress()) {
            (Protocol::Eager, true) => format!(
                "Paused (eager): every member revokes all its partitions and nobody consumes until generation {next} is assigned; {processed}."
            ),
            (Protocol::Eager, false) => format!(
                "Eager: the group paused while every partition was revoked and reassigned; {processed}."
            ),
            (Protocol::Cooperative, running) => {
                let kept = self.kept();
                let consuming = if kept.is_empty() {
                    "no partition stayed with its owner".to_string()
                } else {
                    let owners: Vec<String> = kept
                        .iter()
                        .map(|(tp, m)| format!("{} on {tp}", m.0))
                        .collect();
                    format!("kept consuming: {}", owners.join(", "))
                };
                let state = if running {
                    "Still consuming (cooperative)"
                } else {
                    "Cooperative: consumption never stopped"
                };
                format!("{state}: only the partitions that move are revoked; {consuming}; {processed}.")
            }
        }
    }
}

/// Per-group bookkeeping while folding the trace.
#[derive(Clone, Debug, Default)]
struct GroupTrack {
    owners: LiteMap<TopicPartition, MemberId>,
    preparing: bool,
    /// Partitions released while no round was under way (the round that follows takes them).
    pending: Vec<(TopicPartition, MemberId, Release, u64)>,
    episodes: VecDeque<RebalanceEpisode>,
}

/// Partitions per member, as the engine's rebalance events list them.
type PartitionsByMember = BTreeMap<MemberId, Vec<TopicPartition>>;

impl GroupTrack {
    fn release(
        &mut self,
        member: &MemberId,
        partitions: &[TopicPartition],
        how: Release,
        tick: u64,
    ) {
        for tp in partitions {
            self.owners.remove(tp);
            let released = (tp.clone(), member.clone(), how, tick);
            match self.episodes.back_mut() {
                Some(episode) if self.preparing => apply_release(episode, released),
                _ => self.pending.push(released),
            }
        }
    }

    /// A member left gracefully: everything it owned is released.
    fn member_left(&mut self, member: &MemberId, tick: u64) {
        let owned: Vec<TopicPartition> = self
            .owners
            .iter()
            .filter(|(_, m)| *m == member)
            .map(|(tp, _)| tp.clone())
            .collect();
        self.release(member, &owned, Release::Left, tick);
    }

    /// A round starts: a new episode, or the cooperative follow-up round of the last one.
    fn round_started(
        &mut self,
        tick: u64,
        generation: i32,
        protocol: Protocol,
        reason: &RebalanceReason,
    ) {
        self.preparing = true;
        if *reason == RebalanceReason::CooperativeFollowUp {
            if let Some(episode) = self.episodes.back_mut() {
                episode.preparing = true;
                return;
            }
        }
        let mut episode = RebalanceEpisode {
            protocol,
            started_at: tick,
            from_generation: generation,
            reason: reason.clone(),
            rounds: Vec::new(),
            moves: LiteMap::new_vec(),
            owners_at_start: self.owners.clone(),
            processed_during: LiteMap::new_vec(),
            preparing: true,
        };
        if protocol == Protocol::Eager {
            // Eager: every owner gives up everything (after the batch in hand).
            for (tp, owner) in &self.owners {
                let mut m = PartitionMove::new(tp.clone(), Some(owner.clone()));
                m.revoke_due = true;
                episode.moves.insert(tp.clone(), m);
            }
        }
        for released in self.pending.drain(..) {
            episode
                .owners_at_start
                .insert(released.0.clone(), released.1.clone());
            apply_release(&mut episode, released);
        }
        if self.episodes.len() == EPISODES_KEPT {
            self.episodes.pop_front();
        }
        self.episodes.push_back(episode);
    }

    /// A member revoked partitions (it finished its batch and gave them up).
    fn revoked(&mut self, member: &MemberId, partitions: &[TopicPartition], tick: u64) {
        for tp in partitions {
            if self.owners.get(tp) == Some(member) {
                self.owners.remove(tp);
            }
        }
        if let Some(episode) = self.episodes.back_mut() {
            for tp in partitions {
                let released = (tp.clone(), member.clone(), Release::Revoked, tick);
                apply_release(episode, released);
                if let Some(m) = episode.moves.get_mut(tp) {
                    m.revoke_due = true;
                }
            }
        }
    }

    /// A round completed with a new generation: the new owners, and per partition what the
    /// round revoked, assigned or withheld for the follow-up round.
    fn round_completed(
        &mut self,
        (tick, generation): (u64, i32),
        assignment: &PartitionsByMember,
        revoked: &PartitionsByMember,
        assigned: &PartitionsByMember,
        withheld: &BTreeMap<TopicPartition, MemberId>,
    ) {
        self.preparing = false;
        let previous = std::mem::take(&mut self.owners);
        for (member, partitions) in assignment {
            for tp in partitions {
                self.owners.insert(tp.clone(), member.clone());
            }
        }
        let Some(episode) = self.episodes.back_mut() else {
            return;
        };
        episode.preparing = false;
        episode.rounds.push((tick, generation));
        for (member, partitions) in revoked {
            for tp in partitions {
                episode.move_of(tp, Some(member)).revoke_due = true;
            }
        }
        for (member, partitions) in assigned {
            for tp in partitions {
                let m = episode.move_of(tp, previous.get(tp));
                m.to = Some(member.clone());
                m.assigned = Some((tick, generation));
            }
        }
        for (tp, member) in withheld {
            let m = episode.move_of(tp, previous.get(tp));
            if m.assigned.is_none() {
                m.to = Some(member.clone());
            }
        }
    }

    /// A member processed a record: counted while the latest rebalance is under way.
    fn processed(&mut self, member: &str) {
        if let Some(episode) = self.episodes.back_mut().filter(|e| e.in_progress()) {
            *episode
                .processed_during
                .entry(MemberId::from(member))
                .or_insert(0) += 1;
        }
    }
}

fn apply_release(
    episode: &mut RebalanceEpisode,
    (tp, member, how, tick): (TopicPartition, MemberId, Release, u64),
) {
    let entry = episode.move_of(&tp, Some(&member));
    if entry.from.is_none() {
        entry.from = Some(member);
    }
    entry.released = Some((how, tick));
}

/// The rebalances of every group, folded from trace events.
#[derive(Clone, Debug, Default)]
pub struct RebalanceLog {
    groups: LiteMap<String, GroupTrack>,
}

impl RebalanceLog {
    /// Folds one trace event in (events must come in trace order).
    pub fn observe(&mut self, event: &TraceEvent) {
        match event {
            TraceEvent::MemberTimedOut {
                tick,
                group,
                member,
                lost_partitions,
                ..
            } => self
                .track(group)
                .release(member, lost_partitions, Release::Lost, tick.0),
            TraceEvent::MemberLeft {
                tick,
                group,
                member,
            } => self.track(group).member_left(member, tick.0),
            TraceEvent::RebalanceStarted {
                tick,
                group,
                generation,
                protocol,
                reason,
            } => self
                .track(group)
                .round_started(tick.0, *generation, *protocol, reason),
            TraceEvent::PartitionsRevoked {
                tick,
                group,
                member,
                partitions,
            } => self.track(group).revoked(member, partitions, tick.0),
            TraceEvent::RebalanceCompleted {
                tick,
                group,
                generation,
                assignment,
                revoked,
                assigned,
                withheld,
                ..
            } => self.track(group).round_completed(
                (tick.0, *generation),
                assignment,
                revoked,
                assigned,
                withheld,
            ),
            // Only groups already tracked: a record processed outside any rebalance matters not.
            TraceEvent::Processed { group, member, .. } => {
                if let Some(track) = self.groups.get_mut(&**group) {
                    track.processed(member);
                }
            }
            _ => {}
        }
    }

    fn track(&mut self, group: &str) -> &mut GroupTrack {
        self.groups.entry(group.to_string()).or_default()
    }

    /// A group's recent rebalances, oldest first.
    pub fn episodes(&self, group: &str) -> Vec<RebalanceEpisode> {
        self.groups
            .get(group)
            .map(|t| t.episodes.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// A group's latest rebalance.
    pub fn latest(&self, group: &str) -> Option<&RebalanceEpisode> {
        self.groups.get(group).and_then(|t| t.episodes.back())
    }

    /// Who owns each partition, as folded from the trace (for tests against the engine).
    #[cfg(test)]
    fn owners(&self, group: &str) -> BTreeMap<TopicPartition, MemberId> {
        self.groups.get(group).map_or_else(BTreeMap::new, |t| {
            t.owners
                .iter()
                .map(|(tp, m)| (tp.clone(), m.clone()))
                .collect()
        })
    }
}

/// The moves a round of `generation` made, as a short sentence for the live region
/// (empty when nothing changed owner).
pub fn moves_announcement(log: &RebalanceLog, group: &str, generation: i32) -> String {
    let Some(episode) = log.latest(group) else {
        return String::new();
    };
    let moved: Vec<String> = episode
        .moves()
        .filter(|m| m.assigned.is_some_and(|(_, g)| g == generation) && m.to != m.from)
        .map(|m| match (&m.from, &m.to) {
            (Some(from), Some(to)) => format!("{} from {} to {}", m.partition, from.0, to.0),
            (None, Some(to)) => format!("{} to {}", m.partition, to.0),
            _ => m.partition.to_string(),
        })
        .collect();
    if moved.is_empty() {
        String::new()
    } else {
        format!(" Moved: {}.", moved.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use orderflow_engine::assignor::AssignmentStrategy;
    use orderflow_engine::group::GroupConfig;
    use orderflow_engine::ids::Tick;
    use orderflow_engine::partitioner::Partitioner;
    use orderflow_engine::sim::{Command, KeySpace, Sim};
    use orderflow_engine::topic::TopicSpec;

    /// A 4-partition topic with records, one group of `members` consumers, run to tick 8.
    fn sim(strategy: AssignmentStrategy, members: u32) -> Sim {
        let mut sim = Sim::new(7);
        sim.apply(Command::CreateTopic(TopicSpec::new(
            "orders",
            4,
            Partitioner::Murmur2,
        )))
        .unwrap();
        sim.apply(Command::Generate {
            topic: "orders".into(),
            count: 400,
            key_space: KeySpace::new("U", 40),
        })
        .unwrap();
        let mut config = GroupConfig::new("g", vec!["orders".into()]);
        config.strategy = strategy;
        sim.apply(Command::CreateGroup { config }).unwrap();
        for c in 1..=members {
            sim.apply(Command::JoinGroup {
                group: "g".into(),
                member: MemberId(format!("c{c}")),
            })
            .unwrap();
        }
        sim.run_until(Tick(8));
        sim
    }

    fn fold(sim: &Sim) -> RebalanceLog {
        let mut log = RebalanceLog::default();
        for (_, e) in sim.trace_since(0) {
            log.observe(e);
        }
        log
    }

    fn kill(sim: &mut Sim, member: &str) {
        sim.apply(Command::KillMember {
            group: "g".into(),
            member: member.into(),
        })
        .unwrap();
    }

    #[test]
    fn eager_kill_shows_lost_partitions_revocations_and_the_new_generation() {
        let mut sim = sim(AssignmentStrategy::Range, 2);
        let owned_by_c1 = sim.group_snapshot("g").unwrap().members[0].owned.clone();
        kill(&mut sim, "c1");
        // Dead but not noticed: no new episode beyond the first join.
        sim.run_until(Tick(12));
        let log = fold(&sim);
        assert_eq!(log.episodes("g").len(), 1);
        sim.run_until(Tick(60));
        let log = fold(&sim);
        let episode = log.latest("g").unwrap();
        assert!(matches!(
            episode.reason,
            RebalanceReason::MemberTimedOut { ref member } if member.0 == "c1"
        ));
        assert_eq!(episode.from_generation, 1);
        assert_eq!(episode.generation(), Some(2));
        assert!(!episode.in_progress());
        // Eager: every partition is in the move list and lands on c2.
        let moves: Vec<&PartitionMove> = episode.moves().collect();
        assert_eq!(moves.len(), 4);
        for m in &moves {
            assert_eq!(m.phase(), MovePhase::Assigned);
            assert_eq!(m.to.as_ref().unwrap().0, "c2");
            assert_eq!(m.assigned.unwrap().1, 2);
            let expected = if owned_by_c1.contains(&m.partition) {
                (Some("c1"), Release::Lost)
            } else {
                (Some("c2"), Release::Revoked)
            };
            assert_eq!(
                (m.from.as_ref().map(|f| f.0.as_str()), m.released.unwrap().0),
                expected,
                "{}",
                m.describe()
            );
        }
        assert!(episode.kept().is_empty());
        assert!(episode.consumption_text().starts_with("Eager"));
        let news = moves_announcement(&log, "g", 2);
        for p in &owned_by_c1 {
            assert!(news.contains(&format!("{p} from c1 to c2")), "{news}");
        }
        let first = &log.episodes("g")[0];
        assert!(first.consumption_text().starts_with("First assignment"));
        assert!(moves[0].describe().contains("generation 2"));
    }

    #[test]
    fn eager_group_is_paused_between_start_and_completion() {
        let mut sim = sim(AssignmentStrategy::Range, 2);
        kill(&mut sim, "c1");
        let mut saw_paused = false;
        for t in 9..60 {
            sim.run_until(Tick(t));
            let log = fold(&sim);
            let episode = log.latest("g").unwrap();
            if episode.from_generation == 1 && episode.paused() {
                saw_paused = true;
                assert!(episode.consumption_text().starts_with("Paused (eager)"));
                assert!(episode.moves().all(|m| m.phase() != MovePhase::Assigned));
                // Every partition is on the way out: c1's lost, c2's revoking or revoked.
                assert_eq!(episode.moves().count(), 4);
            }
        }
        assert!(saw_paused);
    }

    #[test]
    fn cooperative_kill_keeps_the_others_consuming_and_moves_only_the_lost_partitions() {
        let mut sim = sim(AssignmentStrategy::CooperativeSticky, 3);
        let before = sim.group_snapshot("g").unwrap();
        let victim = before
            .members
            .iter()
            .find(|m| !m.owned.is_empty())
            .unwrap()
            .clone();
        kill(&mut sim, &victim.id.0);
        sim.run_until(Tick(60));
        let log = fold(&sim);
        let episode = log.latest("g").unwrap();
        assert_eq!(episode.protocol, Protocol::Cooperative);
        assert!(!episode.in_progress());
        let moved: Vec<TopicPartition> = episode.moves().map(|m| m.partition.clone()).collect();
        for m in episode.moves() {
            assert_eq!(m.phase(), MovePhase::Assigned, "{}", m.describe());
            assert_ne!(m.to, Some(victim.id.clone()));
        }
        // The victim's partitions are among the moves, lost; the survivors kept theirs.
        for p in &victim.owned {
            assert!(moved.contains(p));
        }
        let kept = episode.kept();
        assert!(!kept.is_empty());
        assert!(kept.iter().all(|(_, m)| *m != victim.id));
        let survivors_processed: u64 = episode.processed_during.values().sum();
        assert!(survivors_processed > 0, "{}", episode.consumption_text());
        assert!(episode.consumption_text().contains("kept consuming"));
    }

    #[test]
    fn cooperative_join_revokes_first_and_assigns_in_the_follow_up_round() {
        let mut sim = sim(AssignmentStrategy::CooperativeSticky, 1);
        sim.apply(Command::JoinGroup {
            group: "g".into(),
            member: "c2".into(),
        })
        .unwrap();
        let mut saw_revoking_or_waiting = false;
        for t in 9..60 {
            sim.run_until(Tick(t));
            let log = fold(&sim);
            let episode = log.latest("g").unwrap();
            if episode.in_progress()
                && episode
                    .moves()
                    .any(|m| matches!(m.phase(), MovePhase::Revoking | MovePhase::Released))
            {
                saw_revoking_or_waiting = true;
            }
        }
        let log = fold(&sim);
        let episode = log.latest("g").unwrap();
        assert!(saw_revoking_or_waiting);
        assert_eq!(episode.rounds.len(), 2, "revoke round, then assign round");
        let moves: Vec<&PartitionMove> = episode.moves().collect();
        assert_eq!(moves.len(), 2, "c2 takes half of the four partitions");
        for m in moves {
            assert_eq!(m.from.as_ref().unwrap().0, "c1");
            assert_eq!(m.released.unwrap().0, Release::Revoked);
            assert_eq!(m.to.as_ref().unwrap().0, "c2");
            assert_eq!(m.assigned.unwrap().1, episode.rounds[1].1);
        }
        let kept = episode.kept();
        assert_eq!(kept.len(), 2);
        assert!(kept.iter().all(|(_, m)| m.0 == "c1"));
    }

    /// Seed sweep: random joins, kills and graceful leaves under every strategy; after every
    /// tick the owners folded from the trace equal the engine's, and every finished move
    /// landed on a member that owned the partition when its round completed.
    #[test]
    fn folded_owners_follow_the_engine_through_random_membership_changes() {
        use orderflow_engine::rng::SimRng;
        let seeds: u64 = std::env::var("REBALANCE_SEEDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(24);
        for seed in 0..seeds {
            let strategy = [
                AssignmentStrategy::Range,
                AssignmentStrategy::RoundRobin,
                AssignmentStrategy::Sticky,
                AssignmentStrategy::CooperativeSticky,
            ][(seed % 4) as usize];
            let mut sim = sim(strategy, 2);
            let mut rng = SimRng::new(seed);
            let mut next_member = 3;
            let mut log = RebalanceLog::default();
            let mut seen = 0;
            for _ in 0..150 {
                let alive: Vec<MemberId> = sim
                    .group_snapshot("g")
                    .unwrap()
                    .members
                    .iter()
                    .filter(|m| m.status == orderflow_engine::group::MemberStatus::Alive)
                    .map(|m| m.id.clone())
                    .collect();
                let roll = rng.below(20);
                let command = match roll {
                    0 if alive.len() < 6 => Some(Command::JoinGroup {
                        group: "g".into(),
                        member: MemberId(format!("c{next_member}")),
                    }),
                    1 if !alive.is_empty() => Some(Command::KillMember {
                        group: "g".into(),
                        member: alive[rng.below(alive.len() as u64) as usize].clone(),
                    }),
                    2 if !alive.is_empty() => Some(Command::LeaveGroup {
                        group: "g".into(),
                        member: alive[rng.below(alive.len() as u64) as usize].clone(),
                    }),
                    _ => None,
                };
                if let Some(command) = command {
                    if matches!(command, Command::JoinGroup { .. }) {
                        next_member += 1;
                    }
                    sim.apply(command).unwrap();
                }
                sim.step();
                for (i, e) in sim.trace_since(seen) {
                    log.observe(e);
                    seen = i + 1;
                }
                let engine: BTreeMap<TopicPartition, MemberId> = sim
                    .group_snapshot("g")
                    .unwrap()
                    .partitions
                    .into_iter()
                    .filter_map(|p| p.owner.map(|o| (p.partition, o)))
                    .collect();
                assert_eq!(log.owners("g"), engine, "seed {seed} tick {}", sim.now().0);
                for episode in log.episodes("g") {
                    for m in episode.moves() {
                        if let Some((_, generation)) = m.assigned {
                            assert!(
                                episode.rounds.iter().any(|r| r.1 == generation),
                                "seed {seed}: {}",
                                m.describe()
                            );
                            assert!(m.to.is_some(), "seed {seed}: {}", m.describe());
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn only_the_last_few_episodes_are_kept() {
        let mut sim = sim(AssignmentStrategy::Range, 1);
        for c in 2..=6 {
            sim.apply(Command::JoinGroup {
                group: "g".into(),
                member: MemberId(format!("c{c}")),
            })
            .unwrap();
            let next = sim.now().0 + 20;
            sim.run_until(Tick(next));
        }
        let log = fold(&sim);
        let episodes = log.episodes("g");
        assert_eq!(episodes.len(), EPISODES_KEPT);
        assert!(matches!(
            &episodes.last().unwrap().reason,
            RebalanceReason::MemberJoined { member } if member.0 == "c6"
        ));
    }
}
