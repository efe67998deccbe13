//! Helpers shared by the assignor tests, including ports of the property checks in Kafka's
//! `AbstractStickyAssignorTest` (`verifyValidityAndBalance`, `isFullyBalanced`).

use super::{Assignment, AssignmentInput, MemberSubscription, TopicPartition, NO_GENERATION};
use std::collections::{BTreeMap, BTreeSet};

/// A member without owned partitions (Kafka tests: `subscription(topics, i)`).
pub(crate) fn member(id: &str, topics: &[&str]) -> MemberSubscription {
    owning(id, topics, &[], NO_GENERATION)
}

/// A member reporting owned partitions and their generation (Kafka tests:
/// `buildSubscriptionV2Above(topics, partitions, generation, i)`).
pub(crate) fn owning(
    id: &str,
    topics: &[&str],
    owned: &[&str],
    generation: i32,
) -> MemberSubscription {
    MemberSubscription {
        member_id: id.into(),
        topics: topics.iter().map(|t| t.to_string()).collect(),
        owned_partitions: tps(owned),
        generation,
        group_instance_id: None,
    }
}

/// Same member, now owning what it was just assigned, in `generation`.
pub(crate) fn after(
    m: &MemberSubscription,
    assignment: &Assignment,
    generation: i32,
) -> MemberSubscription {
    MemberSubscription {
        owned_partitions: assignment[&m.member_id].clone(),
        generation,
        ..m.clone()
    }
}

pub(crate) fn tps(list: &[&str]) -> Vec<TopicPartition> {
    list.iter().map(|s| s.parse().unwrap()).collect()
}

pub(crate) fn sorted(list: &[TopicPartition]) -> Vec<TopicPartition> {
    let mut v = list.to_vec();
    v.sort();
    v
}

pub(crate) fn input(topics: &[(&str, u32)], members: Vec<MemberSubscription>) -> AssignmentInput {
    AssignmentInput {
        topics: topics.iter().map(|(t, n)| (t.to_string(), *n)).collect(),
        members,
    }
}

/// Kafka's `isFullyBalanced`: partition counts differ by at most one.
pub(crate) fn is_fully_balanced(assignment: &Assignment) -> bool {
    let sizes = assignment.values().map(Vec::len);
    match (sizes.clone().min(), sizes.max()) {
        (Some(min), Some(max)) => max - min <= 1,
        _ => true,
    }
}

/// Port of Kafka's `verifyValidityAndBalance`: every member is present, only subscribed
/// topics are assigned, no partition is assigned twice, and two members whose counts differ by
/// more than one share no topic (otherwise a partition could have moved to balance them).
pub(crate) fn verify_validity_and_balance(input: &AssignmentInput, assignment: &Assignment) {
    assert_eq!(
        assignment.keys().collect::<BTreeSet<_>>(),
        input
            .members
            .iter()
            .map(|m| &m.member_id)
            .collect::<BTreeSet<_>>(),
        "every member, and only members, in the assignment"
    );
    let subscriptions: BTreeMap<&str, &MemberSubscription> = input
        .members
        .iter()
        .map(|m| (m.member_id.as_str(), m))
        .collect();
    let consumers: Vec<&String> = assignment.keys().collect();
    for (i, consumer) in consumers.iter().enumerate() {
        let partitions = &assignment[*consumer];
        for p in partitions {
            assert!(
                subscriptions[consumer.as_str()]
                    .topics
                    .iter()
                    .any(|t| **t == *p.topic),
                "{p} is assigned to {consumer}, which does not subscribe to it: {assignment:?}"
            );
        }
        for other in &consumers[i + 1..] {
            let other_partitions = &assignment[*other];
            let common: Vec<_> = partitions
                .iter()
                .filter(|p| other_partitions.contains(p))
                .collect();
            assert!(
                common.is_empty(),
                "{consumer} and {other} share {common:?}: {assignment:?}"
            );
            if partitions.len().abs_diff(other_partitions.len()) <= 1 {
                continue;
            }
            let topics: BTreeSet<&str> = partitions.iter().map(|p| &*p.topic).collect();
            let other_topics: BTreeSet<&str> = other_partitions.iter().map(|p| &*p.topic).collect();
            assert!(
                topics.is_disjoint(&other_topics),
                "partitions could move between {consumer} ({}) and {other} ({}) for a better \
                 balance: {assignment:?}",
                partitions.len(),
                other_partitions.len()
            );
        }
    }
}

/// Every partition of a subscribed topic that exists is assigned exactly once (eager
/// assignors), and nothing else is assigned.
pub(crate) fn assert_complete(input: &AssignmentInput, assignment: &Assignment) {
    let mut expected = BTreeSet::new();
    for m in &input.members {
        for t in &m.topics {
            for p in 0..input.topics.get(t).copied().unwrap_or(0) {
                expected.insert(TopicPartition::new(t.clone(), p));
            }
        }
    }
    let mut seen = BTreeSet::new();
    for (member, list) in assignment {
        for tp in list {
            assert!(
                seen.insert(tp.clone()),
                "{tp} assigned twice (again to {member}): {assignment:?}"
            );
        }
    }
    assert_eq!(
        seen, expected,
        "assigned partitions differ from subscribed ones"
    );
}

/// Port of `CooperativeStickyAssignorTest.verifyCooperativeValidity`: no partition is both
/// revoked from one member and added to another in the same round; returns whether anything
/// is being revoked (so a follow-up rebalance happens).
pub(crate) fn verify_cooperative_validity(
    input: &AssignmentInput,
    assignment: &Assignment,
) -> bool {
    let mut added = BTreeSet::new();
    let mut revoked = BTreeSet::new();
    for m in &input.members {
        let assigned = &assignment[&m.member_id];
        revoked.extend(
            m.owned_partitions
                .iter()
                .filter(|tp| !assigned.contains(tp)),
        );
        added.extend(
            assigned
                .iter()
                .filter(|tp| !m.owned_partitions.contains(tp)),
        );
    }
    let both: Vec<_> = added.intersection(&revoked).collect();
    assert!(
        both.is_empty(),
        "{both:?} revoked and assigned in the same cooperative round: {assignment:?}"
    );
    !revoked.is_empty()
}

/// Port of Kafka's `verifyValidityAndBalance` as the sticky tests use it. For the cooperative
/// assignor (`CooperativeStickyAssignorTest`'s override) it first runs the follow-up
/// rebalances (members now own what they were given, generation 1) until nothing is revoked,
/// at most 4, updating `input` and returning the settled assignment, as Kafka's override does.
pub(crate) fn verified(
    strategy: super::AssignmentStrategy,
    input: &mut AssignmentInput,
    mut assignment: Assignment,
) -> Assignment {
    if strategy.is_cooperative() {
        let mut rebalances = 0;
        while verify_cooperative_validity(input, &assignment) {
            for m in &mut input.members {
                m.owned_partitions = assignment[&m.member_id].clone();
                m.generation = 1;
            }
            assignment = super::assign(strategy, input).unwrap();
            rebalances += 1;
            assert!(rebalances <= 4, "cooperative rebalancing does not settle");
        }
    }
    verify_validity_and_balance(input, &assignment);
    assignment
}
