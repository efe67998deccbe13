//! Port of Kafka's `AbstractStickyAssignor` (without rack awareness), shared by
//! `StickyAssignor` (eager) and `CooperativeStickyAssignor`, plus the cooperative
//! adjustment.
//!
//! Goals, in Kafka's order: a balanced assignment (counts differ by at most one where
//! subscriptions allow), then as few moves as possible from what members owned.
//!
//! 1. Owned partitions are validated (`allSubscriptionsEqual`): a partition claimed by two
//!    members of the same generation is taken from both; claimed in different generations,
//!    the highest generation keeps it.
//! 2. If every member subscribes to the same topics, the constrained path
//!    (`ConstrainedAssignmentBuilder`) keeps up to the quota of each member's owned
//!    partitions and deals the rest round-robin to members under quota.
//! 3. Otherwise the general path (`GeneralAssignmentBuilder`) keeps every valid owned
//!    partition, gives unassigned partitions to the least loaded eligible member, then moves
//!    partitions from loaded to less loaded members until balanced, preferring to hand a
//!    partition back to its previous owner, and keeps the result only if it is better
//!    balanced.
//!
//! For the cooperative protocol, partitions moving from one owner to another are withheld
//! from the new owner in this round (`CooperativeStickyAssignor.adjustAssignment`).
//!
//! Ties are broken as Kafka breaks them: member ids and topics compared as Java strings,
//! `TreeSet` orders, and the iteration order of the Java hash maps involved (see
//! [`super::java`]). Kafka's assignor object remembers the highest generation it has seen
//! across calls; each call here starts fresh, like a newly elected group leader.

use super::{java, AssignmentStrategy, AssignorError, Prepared, TopicPartition, NO_GENERATION};
use litemap::LiteMap;
use std::collections::{BTreeSet, VecDeque};

/// One run of the sticky algorithm, before any cooperative adjustment.
#[derive(Debug)]
pub(super) struct StickyRound {
    /// Per member (input index), in the order Kafka's builders fill the lists.
    pub assignment: Vec<Vec<TopicPartition>>,
    /// Kafka's `partitionsTransferringOwnership` (partition -> new owner), computed by the
    /// constrained path; `None` on the general path (Kafka sets it to null there).
    pub partitions_transferring_ownership: Option<LiteMap<TopicPartition, usize>>,
    /// Kafka's `isSticky()` after the general path: no partition of a topic moved both ways
    /// between two members. `None` on the constrained path.
    #[cfg_attr(not(test), allow(dead_code))]
    pub is_sticky: Option<bool>,
}

/// `CooperativeStickyAssignor`'s answer for this round.
#[derive(Debug)]
pub(super) struct CooperativeRound {
    pub assignment: Vec<Vec<TopicPartition>>,
    /// Partitions left out because another member must revoke them first, with the member
    /// that gets them in the follow-up rebalance.
    pub withheld: LiteMap<TopicPartition, usize>,
}

type Fallible<T> = Result<T, AssignorError>;

fn kafka_fails(strategy: AssignmentStrategy, reason: &'static str) -> AssignorError {
    AssignorError::KafkaAssignorFails {
        strategy: strategy.name(),
        reason,
    }
}

/// `AbstractStickyAssignor.assignPartitions`.
pub(super) fn assign(input: &Prepared, strategy: AssignmentStrategy) -> Fallible<StickyRound> {
    let order = input.subscription_order();
    let mut owned = vec![Vec::new(); input.members.len()];
    let mut multiple_previous_owners = BTreeSet::new();
    let mut max_generation = NO_GENERATION;
    let equal = all_subscriptions_equal(
        input,
        &order,
        &mut owned,
        &mut multiple_previous_owners,
        &mut max_generation,
    );
    if equal {
        // `consumerToOwnedPartitions` is a HashMap filled in subscription order.
        let (assignment, transferring) =
            constrained(input, &owned, &multiple_previous_owners, &order, strategy)?;
        Ok(StickyRound {
            assignment,
            partitions_transferring_ownership: Some(transferring),
            is_sticky: None,
        })
    } else {
        General::new(input, owned, strategy).build(max_generation, &order)
    }
}

/// `CooperativeStickyAssignor.assignPartitions`: the sticky assignment, minus the partitions
/// that change owner (they must be revoked by the old owner first).
pub(super) fn assign_cooperative(input: &Prepared) -> Fallible<CooperativeRound> {
    let round = assign(input, AssignmentStrategy::CooperativeSticky)?;
    let mut assignment = round.assignment;
    let withheld = match round.partitions_transferring_ownership {
        Some(transferring) => transferring,
        None => compute_partitions_transferring_ownership(input, &assignment),
    };
    for (tp, &member) in &withheld {
        remove_first(&mut assignment[member], tp);
    }
    Ok(CooperativeRound {
        assignment,
        withheld,
    })
}

/// `CooperativeStickyAssignor.computePartitionsTransferringOwnership`: partitions newly
/// assigned to a member that some member owned and no longer gets.
fn compute_partitions_transferring_ownership(
    input: &Prepared,
    assignment: &[Vec<TopicPartition>],
) -> LiteMap<TopicPartition, usize> {
    let mut added = LiteMap::new_vec();
    let mut revoked = BTreeSet::new();
    for (member, assigned) in assignment.iter().enumerate() {
        let owned = &input.members[member].owned;
        for tp in assigned {
            if !owned.contains(tp) {
                added.insert(tp.clone(), member);
            }
        }
        for tp in owned {
            if !assigned.contains(tp) {
                revoked.insert(tp.clone());
            }
        }
    }
    added.retain(|tp, _| revoked.contains(tp));
    added
}

fn remove_first(list: &mut Vec<TopicPartition>, tp: &TopicPartition) {
    if let Some(i) = list.iter().position(|t| t == tp) {
        list.remove(i);
    }
}

/// `allSubscriptionsEqual`: whether every member subscribes to the same topics; also fills
/// each member's valid owned partitions and the partitions claimed by several members of one
/// generation.
fn all_subscriptions_equal(
    input: &Prepared,
    order: &[usize],
    owned: &mut [Vec<TopicPartition>],
    multiple_previous_owners: &mut BTreeSet<TopicPartition>,
    max_generation: &mut i32,
) -> bool {
    let mut equal = true;
    let mut subscribed: LiteMap<&str, ()> = LiteMap::new_vec();
    let mut previous_owner: LiteMap<&TopicPartition, usize> = LiteMap::new_vec();
    for &c in order {
        let member = &input.members[c];
        // As in Kafka, a member with an empty subscription leaves the set empty, and the
        // next member initialises it instead of being compared.
        if subscribed.is_empty() {
            for t in &member.topics {
                subscribed.insert(t.as_str(), ());
            }
        } else if equal
            && !(member.topics.len() == subscribed.len()
                && member
                    .topics
                    .iter()
                    .all(|t| subscribed.contains_key(t.as_str())))
        {
            equal = false;
        }
        let generation = member.generation;
        *max_generation = (*max_generation).max(generation);
        for tp in &member.owned {
            if !input.partitions_per_topic.contains_key(&*tp.topic) {
                continue;
            }
            match previous_owner.get(tp).copied() {
                None => {
                    owned[c].push(tp.clone());
                    previous_owner.insert(tp, c);
                }
                Some(other) => {
                    let other_generation = input.members[other].generation;
                    if generation == other_generation {
                        // Two members of one generation claim it: neither keeps it.
                        multiple_previous_owners.insert(tp.clone());
                        remove_first(&mut owned[other], tp);
                        previous_owner.insert(tp, c);
                    } else if generation > other_generation {
                        owned[c].push(tp.clone());
                        remove_first(&mut owned[other], tp);
                        previous_owner.insert(tp, c);
                    }
                    // Otherwise the other member, of a higher generation, keeps it.
                }
            }
        }
    }
    equal
}

fn sort_topics_java(topics: &mut [&String]) {
    crate::sort::sort_by(topics, |a, b| java::compare_strings(a, b));
}

type Constrained = (Vec<Vec<TopicPartition>>, LiteMap<TopicPartition, usize>);

/// `ConstrainedAssignmentBuilder.build` (all members subscribe to the same topics).
fn constrained(
    input: &Prepared,
    owned: &[Vec<TopicPartition>],
    multiple_previous_owners: &BTreeSet<TopicPartition>,
    owned_order: &[usize],
    strategy: AssignmentStrategy,
) -> Fallible<Constrained> {
    let n = input.members.len();
    let total: usize = input
        .partitions_per_topic
        .values()
        .map(|&c| c as usize)
        .sum();
    let min_quota = total / n;
    let max_quota = total.div_ceil(n);
    let expected_over_min = total % n;
    let mut current_over_min = 0;

    let mut assignment: Vec<Vec<TopicPartition>> = vec![Vec::new(); n];
    let mut assigned: BTreeSet<TopicPartition> = BTreeSet::new();
    let mut all_revoked: BTreeSet<TopicPartition> = BTreeSet::new();
    let mut under_min_quota: Vec<usize> = Vec::new();
    let mut exactly_min_quota: VecDeque<usize> = VecDeque::new();
    let mut transferring: LiteMap<TopicPartition, usize> = LiteMap::new_vec();

    // assignOwnedPartitions
    for &c in owned_order {
        let mut owned_partitions = owned[c].clone();
        crate::sort::sort_by(&mut owned_partitions, |a, b| {
            a.partition
                .cmp(&b.partition)
                .then_with(|| java::compare_strings(&a.topic, &b.topic))
        });
        owned_partitions.retain(|tp| !multiple_previous_owners.contains(tp));

        let keep = if owned_partitions.len() < min_quota {
            under_min_quota.push(c);
            owned_partitions.len()
        } else if owned_partitions.len() >= max_quota && current_over_min < expected_over_min {
            current_over_min += 1;
            if current_over_min == expected_over_min {
                exactly_min_quota.clear();
            }
            max_quota
        } else {
            if current_over_min < expected_over_min {
                exactly_min_quota.push_back(c);
            }
            min_quota
        };
        assignment[c].extend_from_slice(&owned_partitions[..keep]);
        assigned.extend(owned_partitions[..keep].iter().cloned());
        all_revoked.extend(owned_partitions[keep..].iter().cloned());
    }

    // getUnassignedPartitions: all partitions, topics in name order, minus the kept ones.
    let mut topics: Vec<&String> = input.partitions_per_topic.keys().collect();
    sort_topics_java(&mut topics);
    let unassigned: Vec<TopicPartition> = topics
        .iter()
        .flat_map(|t| {
            (0..input.partitions_per_topic[*t]).map(|p| TopicPartition::new((*t).clone(), p))
        })
        .filter(|tp| !assigned.contains(tp))
        .collect();

    let by_id =
        |a: &usize, b: &usize| java::compare_strings(&input.members[*a].id, &input.members[*b].id);
    crate::sort::sort_by(&mut under_min_quota, by_id);
    crate::sort::sort_by(exactly_min_quota.make_contiguous(), by_id);

    // assignRoundRobin, with `cursor` standing for the LinkedList iterator over
    // `under_min_quota` (it supports removing the member it returned last).
    let mut cursor = 0;
    for tp in &unassigned {
        let consumer = if cursor < under_min_quota.len() {
            cursor += 1;
            under_min_quota[cursor - 1]
        } else if under_min_quota.is_empty() && exactly_min_quota.is_empty() {
            return Err(kafka_fails(
                strategy,
                "no more unfilled consumers to be assigned",
            ));
        } else if under_min_quota.is_empty() {
            exactly_min_quota
                .pop_front()
                .expect("checked non-empty just above")
        } else {
            cursor = 1;
            under_min_quota[0]
        };

        // assignNewPartition
        assignment[consumer].push(tp.clone());
        if all_revoked.contains(tp) || multiple_previous_owners.contains(tp) {
            transferring.insert(tp.clone(), consumer);
        }
        let count = assignment[consumer].len();

        if count == min_quota {
            // Only members taken from `under_min_quota` can reach exactly min quota here.
            cursor -= 1;
            under_min_quota.remove(cursor);
            exactly_min_quota.push_back(consumer);
        } else if count == max_quota {
            current_over_min += 1;
        }
    }

    // verifyUnfilledMembers
    if !under_min_quota.is_empty() {
        if current_over_min != expected_over_min {
            return Err(kafka_fails(
                strategy,
                "the expected number of members with more than the minimum quota was not \
                 reached, but no more partitions are left to assign",
            ));
        }
        if under_min_quota
            .iter()
            .any(|&m| assignment[m].len() != min_quota)
        {
            return Err(kafka_fails(
                strategy,
                "a consumer does not reach the minimum quota and no more partitions are left",
            ));
        }
    }
    Ok((assignment, transferring))
}

/// `PartitionMovements`: where each partition moved during the general path's balancing, to
/// prefer undoing a move over making a second one.
#[derive(Debug, Default)]
struct PartitionMovements {
    /// partition -> (source member, destination member)
    movements: LiteMap<TopicPartition, (usize, usize)>,
    by_topic: LiteMap<String, LiteMap<(usize, usize), java::TopicPartitionHashSet>>,
}

impl PartitionMovements {
    fn remove_movement_record(&mut self, tp: &TopicPartition) -> (usize, usize) {
        let pair = self
            .movements
            .remove(tp)
            .expect("only called for a recorded partition");
        let for_topic = self
            .by_topic
            .get_mut(&*tp.topic)
            .expect("recorded partitions have a topic entry");
        let set = for_topic
            .get_mut(&pair)
            .expect("recorded partitions have a pair entry");
        set.remove(tp);
        if set.is_empty() {
            for_topic.remove(&pair);
        }
        if for_topic.is_empty() {
            self.by_topic.remove(&*tp.topic);
        }
        pair
    }

    fn add_movement_record(&mut self, tp: &TopicPartition, pair: (usize, usize)) {
        self.movements.insert(tp.clone(), pair);
        self.by_topic
            .entry(tp.topic.to_string())
            .or_default()
            .entry(pair)
            .or_default()
            .insert(tp.clone());
    }

    fn move_partition(&mut self, tp: &TopicPartition, old: usize, new: usize) {
        if self.movements.contains_key(tp) {
            // The partition moved before: record one move from its original owner, or none
            // if it is going back there.
            let (source, _) = self.remove_movement_record(tp);
            if source != new {
                self.add_movement_record(tp, (source, new));
            }
        } else {
            self.add_movement_record(tp, (old, new));
        }
    }

    /// `getTheActualPartitionToBeMoved`: if some partition of the topic moved the opposite
    /// way before, move that one back instead.
    fn actual_partition_to_be_moved(
        &self,
        tp: &TopicPartition,
        old: usize,
        new: usize,
    ) -> TopicPartition {
        let Some(for_topic) = self.by_topic.get(&*tp.topic) else {
            return tp.clone();
        };
        let old = self.movements.get(tp).map_or(old, |&(source, _)| source);
        match for_topic.get(&(new, old)).and_then(|set| set.first()) {
            Some(reverse) => reverse.clone(),
            None => tp.clone(),
        }
    }

    /// `isSticky`: no topic has partitions that moved both ways between two members.
    fn is_sticky(&self) -> bool {
        self.by_topic.values().all(|pairs| {
            pairs
                .keys()
                .all(|&(a, b)| a == b || !pairs.contains_key(&(b, a)))
        })
    }
}

/// `GeneralAssignmentBuilder`, with members referred to by input index.
struct General<'a> {
    input: &'a Prepared,
    strategy: AssignmentStrategy,
    /// Position of each member in Java string order of member ids.
    rank: Vec<usize>,
    /// Inverse of `rank`.
    by_rank: Vec<usize>,
    /// `topic2AllPotentialConsumers`.
    topic_consumers: LiteMap<&'a str, Vec<usize>>,
    /// `consumer2AllPotentialTopics`.
    consumer_topics: Vec<Vec<&'a str>>,
    /// `currentAssignment`; members whose assignment cannot change are taken out while
    /// balancing.
    current: LiteMap<usize, Vec<TopicPartition>>,
    /// `currentPartitionConsumer`.
    partition_consumer: LiteMap<TopicPartition, usize>,
    sorted_all_partitions: Vec<TopicPartition>,
    /// `sortedCurrentSubscriptions`: (assignment size, rank), ascending (a set: no values).
    sorted: LiteMap<(usize, usize), ()>,
    revocation_required: bool,
    total_partitions: usize,
    movements: PartitionMovements,
}

impl<'a> General<'a> {
    fn new(
        input: &'a Prepared,
        owned: Vec<Vec<TopicPartition>>,
        strategy: AssignmentStrategy,
    ) -> Self {
        let n = input.members.len();
        let by_rank = input.members_sorted_by_id();
        let mut rank = vec![0; n];
        for (r, &m) in by_rank.iter().enumerate() {
            rank[m] = r;
        }
        let mut topic_consumers: LiteMap<&str, Vec<usize>> = LiteMap::new_vec();
        for t in input.partitions_per_topic.keys() {
            topic_consumers.insert(t.as_str(), Vec::new());
        }
        let mut consumer_topics = vec![Vec::new(); n];
        for c in input.subscription_order() {
            for t in &input.members[c].topics {
                if let Some(consumers) = topic_consumers.get_mut(t.as_str()) {
                    consumer_topics[c].push(t.as_str());
                    consumers.push(c);
                }
            }
        }
        let mut current: LiteMap<usize, Vec<TopicPartition>> = LiteMap::new_vec();
        let mut partition_consumer = LiteMap::new_vec();
        for (c, list) in owned.into_iter().enumerate() {
            for tp in &list {
                partition_consumer.insert(tp.clone(), c);
            }
            current.insert(c, list);
        }
        // TopicComparator: fewest potential consumers first, then by name.
        let mut sorted_all_topics: Vec<&str> = topic_consumers.keys().copied().collect();
        crate::sort::sort_by(&mut sorted_all_topics, |a, b| {
            topic_consumers[a]
                .len()
                .cmp(&topic_consumers[b].len())
                .then_with(|| java::compare_strings(a, b))
        });
        let sorted_all_partitions = sorted_all_topics
            .iter()
            .flat_map(|t| (0..input.partitions_per_topic[*t]).map(|p| TopicPartition::new(*t, p)))
            .collect();
        let total_partitions = input
            .partitions_per_topic
            .values()
            .map(|&c| c as usize)
            .sum();
        Self {
            input,
            strategy,
            rank,
            by_rank,
            topic_consumers,
            consumer_topics,
            current,
            partition_consumer,
            sorted_all_partitions,
            sorted: LiteMap::new_vec(),
            revocation_required: false,
            total_partitions,
            movements: PartitionMovements::default(),
        }
    }

    fn fail(&self, reason: &'static str) -> AssignorError {
        kafka_fails(self.strategy, reason)
    }

    fn size(&self, c: usize) -> Fallible<usize> {
        self.current.get(&c).map(Vec::len).ok_or_else(|| {
            self.fail("a member whose assignment is fixed is needed while balancing (NullPointerException)")
        })
    }

    fn key(&self, c: usize) -> Fallible<(usize, usize)> {
        Ok((self.size(c)?, self.rank[c]))
    }

    fn build(mut self, max_generation: i32, order: &[usize]) -> Fallible<StickyRound> {
        let previous = self.prepopulate_current_assignments(max_generation, order);
        let assigned: BTreeSet<TopicPartition> =
            crate::sort::set_of(self.assign_owned_partitions());
        let unassigned: Vec<TopicPartition> = self
            .sorted_all_partitions
            .iter()
            .filter(|tp| !assigned.contains(*tp))
            .cloned()
            .collect();
        let members: Vec<usize> = self.current.keys().copied().collect();
        for c in members {
            let key = self.key(c)?;
            self.sorted.insert(key, ());
        }
        self.balance(&previous, unassigned)?;

        let is_sticky = self.movements.is_sticky();
        let mut assignment = vec![Vec::new(); self.input.members.len()];
        for (c, list) in self.current {
            assignment[c] = list;
        }
        Ok(StickyRound {
            assignment,
            partitions_transferring_ownership: None,
            is_sticky: Some(is_sticky),
        })
    }

    /// `prepopulateCurrentAssignments`: for each partition, the owner in the highest
    /// generation below the current one (members reporting no generation count as -1).
    fn prepopulate_current_assignments(
        &self,
        max_generation: i32,
        order: &[usize],
    ) -> LiteMap<TopicPartition, (usize, i32)> {
        let mut previous: LiteMap<TopicPartition, (usize, i32)> = LiteMap::new_vec();
        for &c in order {
            let member = &self.input.members[c];
            let generation =
                if member.generation != NO_GENERATION && member.generation < max_generation {
                    member.generation
                } else if member.generation == NO_GENERATION && max_generation > NO_GENERATION {
                    NO_GENERATION
                } else {
                    continue;
                };
            for tp in &member.owned {
                match previous.get(tp) {
                    Some(&(_, g)) if generation <= g => {}
                    _ => {
                        previous.insert(tp.clone(), (c, generation));
                    }
                }
            }
        }
        previous
    }

    /// `assignOwnedPartitions`: keep owned partitions the member still subscribes to.
    fn assign_owned_partitions(&mut self) -> Vec<TopicPartition> {
        let mut assigned = Vec::new();
        for (&c, list) in self.current.iter_mut() {
            let subscribed = &self.input.members[c].topics;
            let mut kept = Vec::with_capacity(list.len());
            for tp in list.drain(..) {
                if !self.topic_consumers.contains_key(&*tp.topic) {
                    self.partition_consumer.remove(&tp);
                } else if !subscribed.iter().any(|t| **t == *tp.topic) {
                    // Still mapped in `partition_consumer`, as in Kafka; it is reassigned
                    // below.
                    self.revocation_required = true;
                } else {
                    assigned.push(tp.clone());
                    kept.push(tp);
                }
            }
            *list = kept;
        }
        assigned
    }

    fn max_assignment_size(&self, c: usize) -> usize {
        let topics = &self.consumer_topics[c];
        if topics.len() == self.input.partitions_per_topic.len() {
            self.total_partitions
        } else {
            topics
                .iter()
                .map(|t| self.input.partitions_per_topic[*t] as usize)
                .sum()
        }
    }

    fn can_topic_participate_in_reassignment(&self, topic: &str) -> bool {
        self.topic_consumers[&topic].len() >= 2
    }

    fn can_consumer_participate_in_reassignment(&self, c: usize) -> bool {
        let partitions = &self.current[&c];
        if partitions.len() < self.max_assignment_size(c) {
            return true;
        }
        partitions
            .iter()
            .any(|tp| self.can_topic_participate_in_reassignment(&tp.topic))
    }

    /// `isBalanced`: counts within one, or no member could take a partition from a member
    /// with two or more partitions more.
    fn is_balanced(&self) -> Fallible<bool> {
        let (Some((first, ())), Some((last, ()))) = (self.sorted.first(), self.sorted.last())
        else {
            return Err(self.fail("no member left to balance (NoSuchElementException)"));
        };
        let min = self.size(self.by_rank[first.1])?;
        let max = self.size(self.by_rank[last.1])?;
        if min + 1 >= max {
            return Ok(true);
        }
        // Kafka's `allPartitions` map (partition -> owner), as one slot per partition of each
        // topic so that probing needs no allocation. A partition the member itself owns is
        // skipped, like Kafka's `!currentAssignment.get(consumer).contains(topicPartition)`.
        let mut owner: LiteMap<&str, Vec<Option<usize>>> = LiteMap::new_vec();
        for (t, &n) in &self.input.partitions_per_topic {
            owner.insert(t.as_str(), vec![None; n as usize]);
        }
        for (&c, list) in &self.current {
            for tp in list {
                if let Some(slot) = owner
                    .get_mut(&*tp.topic)
                    .and_then(|slots| slots.get_mut(tp.partition.0 as usize))
                {
                    *slot = Some(c);
                }
            }
        }
        for &(_, r) in self.sorted.keys() {
            let c = self.by_rank[r];
            let count = self.size(c)?;
            if count == self.max_assignment_size(c) {
                continue;
            }
            for topic in &self.consumer_topics[c] {
                for slot in &owner[topic] {
                    match *slot {
                        Some(other) if other == c => {}
                        Some(other) => {
                            if count + 1 < self.size(other)? {
                                return Ok(false);
                            }
                        }
                        None => {
                            return Err(self.fail(
                                "a partition has no owner while balancing (NullPointerException)",
                            ))
                        }
                    }
                }
            }
        }
        Ok(true)
    }

    /// `maybeAssignPartition`: to the least loaded member subscribed to its topic.
    fn maybe_assign_partition(&mut self, tp: &TopicPartition) -> Fallible<()> {
        let found = self
            .sorted
            .keys()
            .copied()
            .find(|&(_, r)| self.consumer_topics[self.by_rank[r]].contains(&&*tp.topic));
        if let Some(key) = found {
            let c = self.by_rank[key.1];
            self.sorted.remove(&key);
            self.current
                .get_mut(&c)
                .expect("members in `sorted` are in `current`")
                .push(tp.clone());
            self.partition_consumer.insert(tp.clone(), c);
            let key = self.key(c)?;
            self.sorted.insert(key, ());
        }
        Ok(())
    }

    /// `balance`.
    fn balance(
        &mut self,
        previous: &LiteMap<TopicPartition, (usize, i32)>,
        mut unassigned: Vec<TopicPartition>,
    ) -> Fallible<()> {
        let (&last, ()) = self
            .sorted
            .last()
            .ok_or_else(|| self.fail("no member to assign to (NoSuchElementException)"))?;
        let initializing = self.current[&self.by_rank[last.1]].is_empty();

        for tp in &unassigned {
            if self.topic_consumers[&&*tp.topic].is_empty() {
                continue;
            }
            self.maybe_assign_partition(tp)?;
        }

        // Narrow the scope to partitions and members that can actually move.
        let mut fixed_topics: LiteMap<&str, ()> = LiteMap::new_vec();
        for &t in self.topic_consumers.keys() {
            if !self.can_topic_participate_in_reassignment(t) {
                fixed_topics.insert(t, ());
            }
        }
        self.sorted_all_partitions
            .retain(|tp| !fixed_topics.contains_key(&*tp.topic));
        unassigned.retain(|tp| !fixed_topics.contains_key(&*tp.topic));

        let mut fixed_assignments = Vec::new();
        for c in 0..self.input.members.len() {
            if !self.can_consumer_participate_in_reassignment(c) {
                let key = self.key(c)?;
                self.sorted.remove(&key);
                let list = self
                    .current
                    .remove(&c)
                    .expect("every member is in `current`");
                fixed_assignments.push((c, list));
            }
        }

        let pre_balance_assignment = self.current.clone();
        let pre_balance_partition_consumer = self.partition_consumer.clone();

        // First try to balance by moving only the newly added partitions, unless something
        // must be revoked anyway because of subscription changes.
        if !self.revocation_required {
            self.perform_reassignments(&unassigned, previous)?;
        }
        let all = std::mem::take(&mut self.sorted_all_partitions);
        let reassignment_performed = self.perform_reassignments(&all, previous)?;
        self.sorted_all_partitions = all;

        // Keep the moves only if they improved the balance (unless starting from nothing).
        if !initializing
            && reassignment_performed
            && balance_score(&self.current) >= balance_score(&pre_balance_assignment)
        {
            self.current = pre_balance_assignment;
            self.partition_consumer = pre_balance_partition_consumer;
        }

        for (c, list) in fixed_assignments {
            self.current.insert(c, list);
        }
        Ok(())
    }

    /// `performReassignments`: move partitions until balanced; true if anything moved.
    fn perform_reassignments(
        &mut self,
        reassignable: &[TopicPartition],
        previous: &LiteMap<TopicPartition, (usize, i32)>,
    ) -> Fallible<bool> {
        let mut performed = false;
        loop {
            let mut modified = false;
            for tp in reassignable {
                if self.is_balanced()? {
                    break;
                }
                let consumer = *self.partition_consumer.get(tp).ok_or_else(|| {
                    self.fail("a partition has no owner while balancing (NullPointerException)")
                })?;
                if let Some(&(previous_owner, _)) = previous.get(tp) {
                    if self.size(consumer)? > self.size(previous_owner)? + 1 {
                        self.reassign_partition_to(tp, previous_owner)?;
                        performed = true;
                        modified = true;
                        continue;
                    }
                }
                let consumer_size = self.size(consumer)?;
                let mut better = false;
                for &other in &self.topic_consumers[&&*tp.topic] {
                    if consumer_size > self.size(other)? + 1 {
                        better = true;
                        break;
                    }
                }
                if better {
                    self.reassign_partition(tp)?;
                    performed = true;
                    modified = true;
                }
            }
            if !modified {
                return Ok(performed);
            }
        }
    }

    /// `reassignPartition(partition)`: to the least loaded member subscribed to its topic.
    fn reassign_partition(&mut self, tp: &TopicPartition) -> Fallible<()> {
        let new = self
            .sorted
            .keys()
            .map(|&(_, r)| self.by_rank[r])
            .find(|&c| self.consumer_topics[c].contains(&&*tp.topic))
            .ok_or_else(|| self.fail("no member to move a partition to (AssertionError)"))?;
        self.reassign_partition_to(tp, new)
    }

    fn reassign_partition_to(&mut self, tp: &TopicPartition, new: usize) -> Fallible<()> {
        let consumer = self.partition_consumer[tp];
        let to_move = self
            .movements
            .actual_partition_to_be_moved(tp, consumer, new);
        self.process_partition_movement(&to_move, new)
    }

    fn process_partition_movement(&mut self, tp: &TopicPartition, new: usize) -> Fallible<()> {
        let old = self.partition_consumer[tp];
        let old_key = self.key(old)?;
        let new_key = self.key(new)?;
        self.sorted.remove(&old_key);
        self.sorted.remove(&new_key);
        self.movements.move_partition(tp, old, new);
        remove_first(self.current.get_mut(&old).expect("checked by key()"), tp);
        self.current
            .get_mut(&new)
            .expect("checked by key()")
            .push(tp.clone());
        self.partition_consumer.insert(tp.clone(), new);
        let new_key = self.key(new)?;
        let old_key = self.key(old)?;
        self.sorted.insert(new_key, ());
        self.sorted.insert(old_key, ());
        Ok(())
    }
}

/// `getBalanceScore`: sum over member pairs of the difference in partition counts.
fn balance_score(assignment: &LiteMap<usize, Vec<TopicPartition>>) -> usize {
    let sizes: Vec<usize> = assignment.values().map(Vec::len).collect();
    let mut score = 0;
    for (i, a) in sizes.iter().enumerate() {
        for b in &sizes[i + 1..] {
            score += a.abs_diff(*b);
        }
    }
    score
}

#[cfg(test)]
#[path = "sticky_tests.rs"]
mod tests;
