//! Property tests over random groups: the invariants Kafka's assignors guarantee, checked with
//! the ported Kafka checks (`verify_validity_and_balance`, `is_fully_balanced`).

use super::test_support::*;
use super::{
    assign, assign_detailed, Assignment, AssignmentInput, AssignmentStrategy, MemberSubscription,
    TopicPartition, NO_GENERATION,
};
use proptest::prelude::*;
use proptest::sample::subsequence;
use std::collections::{BTreeMap, BTreeSet};

const TOPICS: [&str; 4] = ["orders", "payments", "t", "order-processing.DLQ"];
const IDS: [&str; 8] = [
    "consumer1",
    "consumer2",
    "consumer3",
    "c-4",
    "Aa",
    "BB",
    "member-7f3a",
    "z",
];

/// `group.instance.id`s, one per possible member; non-ASCII ones sort differently in Java.
const INSTANCES: [&str; 8] = [
    "instance1",
    "instance2",
    "instance10",
    "host-a",
    "Host-b",
    "\u{ff61}",
    "\u{1f600}",
    "z",
];

fn topics_strategy() -> impl Strategy<Value = BTreeMap<String, u32>> {
    proptest::collection::vec(0u32..7, TOPICS.len()).prop_map(|counts| {
        TOPICS
            .iter()
            .zip(counts)
            .map(|(t, n)| (t.to_string(), n))
            .collect()
    })
}

/// Subscriptions are non-empty (see `empty_subscription_counts_as_equal_like_kafka` for
/// Kafka's behaviour with an empty one); one in five members also subscribes to a topic that
/// does not exist.
fn subscription_strategy() -> impl Strategy<Value = Vec<String>> {
    (subsequence(TOPICS.to_vec(), 1..=TOPICS.len()), 0..5u8).prop_map(|(topics, ghost)| {
        let mut topics: Vec<String> = topics.into_iter().map(str::to_string).collect();
        if ghost == 0 {
            topics.push("ghost".into());
        }
        topics
    })
}

/// A group of 1..=8 members with random subscriptions, no owned partitions.
fn fresh_group() -> impl Strategy<Value = AssignmentInput> {
    (
        topics_strategy(),
        subsequence(IDS.to_vec(), 1..=IDS.len()).prop_shuffle(),
    )
        .prop_flat_map(|(topics, ids)| {
            let n = ids.len();
            (
                Just(topics),
                Just(ids),
                proptest::collection::vec(subscription_strategy(), n),
            )
        })
        .prop_map(|(topics, ids, subscriptions)| AssignmentInput {
            topics,
            members: ids
                .into_iter()
                .zip(subscriptions)
                .map(|(id, topics)| MemberSubscription {
                    member_id: id.into(),
                    topics,
                    owned_partitions: vec![],
                    generation: NO_GENERATION,
                    group_instance_id: None,
                })
                .collect(),
        })
}

fn all_partitions(topics: &BTreeMap<String, u32>) -> Vec<TopicPartition> {
    topics
        .iter()
        .flat_map(|(t, &n)| (0..n).map(move |p| TopicPartition::new(t.clone(), p)))
        .collect()
}

/// A group whose members also claim random owned partitions (possibly claimed by several
/// members, of unknown partitions or deleted topics) in random generations. With
/// `only_subscribed`, members claim only partitions of topics they subscribe to, as members
/// do whose subscription has not changed (see `sticky_tests`' quirk tests for the rest).
fn group_with_owned_partitions(only_subscribed: bool) -> impl Strategy<Value = AssignmentInput> {
    fresh_group().prop_flat_map(move |input| {
        let mut candidates = all_partitions(&input.topics);
        candidates.push(TopicPartition::new("orders", 99));
        candidates.push(TopicPartition::new("gone", 0));
        let n = input.members.len();
        (
            Just(input),
            proptest::collection::vec(
                (
                    subsequence(candidates.clone(), 0..=candidates.len().min(6)).prop_shuffle(),
                    prop_oneof![Just(NO_GENERATION), 1..4i32],
                ),
                n,
            ),
        )
            .prop_map(move |(mut input, owned)| {
                for (m, (partitions, generation)) in input.members.iter_mut().zip(owned) {
                    m.owned_partitions = partitions
                        .into_iter()
                        .filter(|tp| {
                            !only_subscribed
                                || &*tp.topic == "gone"
                                || m.topics.iter().any(|t| **t == *tp.topic)
                        })
                        .collect();
                    m.generation = generation;
                }
                input
            })
    })
}

fn strategy() -> impl Strategy<Value = AssignmentStrategy> {
    proptest::sample::select(AssignmentStrategy::ALL.to_vec())
}

fn same_subscriptions(input: &AssignmentInput) -> bool {
    let first: BTreeSet<&String> = input.members[0].topics.iter().collect();
    input
        .members
        .iter()
        .all(|m| m.topics.iter().collect::<BTreeSet<_>>() == first)
}

/// Members now own what they were assigned, in `generation`.
fn next_round(
    input: &AssignmentInput,
    assignment: &Assignment,
    generation: i32,
) -> AssignmentInput {
    let mut next = input.clone();
    for m in &mut next.members {
        m.owned_partitions = assignment[&m.member_id].clone();
        m.generation = generation;
    }
    next
}

proptest! {
    // `sticky_keeps_a_balanced_owned_assignment` only keeps inputs whose round-robin result
    // is fully balanced, which rejects many random groups.
    #![proptest_config(ProptestConfig {
        max_global_rejects: 100_000,
        ..ProptestConfig::default()
    })]

    /// Eager assignors: every partition of a subscribed topic is assigned exactly once, only
    /// to members subscribed to its topic, and every member is in the result.
    #[test]
    fn eager_assignors_assign_every_subscribed_partition_exactly_once(
        input in group_with_owned_partitions(true),
        strategy in strategy().prop_filter("eager", |s| !s.is_cooperative()),
    ) {
        let a = assign(strategy, &input).unwrap();
        assert_complete(&input, &a);
        for (member, list) in &a {
            let m = input.members.iter().find(|m| &m.member_id == member).unwrap();
            for tp in list {
                prop_assert!(m.topics.iter().any(|t| **t == *tp.topic), "{tp} to {member}");
            }
        }
        prop_assert_eq!(a.len(), input.members.len());
    }

    /// Same subscriptions: round robin and sticky are balanced within one partition; range is
    /// balanced within one partition per topic.
    #[test]
    fn same_subscriptions_are_balanced_within_one(
        input in fresh_group().prop_map(|mut input| {
            let topics = input.members[0].topics.clone();
            for m in &mut input.members {
                m.topics = topics.clone();
            }
            input
        }),
        strategy in strategy(),
    ) {
        let a = assign(strategy, &input).unwrap();
        match strategy {
            AssignmentStrategy::Range => {
                for topic in input.topics.keys() {
                    let counts = a.values().map(|l| l.iter().filter(|tp| *tp.topic == **topic).count());
                    let (min, max) = (counts.clone().min().unwrap(), counts.max().unwrap());
                    prop_assert!(max - min <= 1, "{topic}: {a:?}");
                }
            }
            _ => prop_assert!(is_fully_balanced(&a), "{a:?}"),
        }
    }

    /// Kafka's `testReassignmentWithRandomSubscriptionsAndChanges`: random subscriptions,
    /// then a second round with changed subscriptions and the first result owned; both
    /// rounds pass `verifyValidityAndBalance` (after the cooperative follow-up rounds).
    #[test]
    fn sticky_assignors_stay_valid_and_balanced_across_subscription_changes(
        first in fresh_group(),
        changes in proptest::collection::vec(subscription_strategy(), IDS.len()),
        cooperative in any::<bool>(),
    ) {
        let strategy = if cooperative {
            AssignmentStrategy::CooperativeSticky
        } else {
            AssignmentStrategy::Sticky
        };
        let mut input = first;
        let a = assign(strategy, &input).unwrap();
        let a = verified(strategy, &mut input, a);
        let mut second = next_round(&input, &a, 1);
        for (m, topics) in second.members.iter_mut().zip(changes) {
            m.topics = topics;
        }
        let b = assign(strategy, &second).unwrap();
        verified(strategy, &mut second, b);
    }

    /// Stickiness: a complete, fully balanced assignment that members own (one generation, no
    /// conflicts) is kept as it is.
    #[test]
    fn sticky_keeps_a_balanced_owned_assignment(
        input in fresh_group(),
        strategy in prop_oneof![
            Just(AssignmentStrategy::Sticky),
            Just(AssignmentStrategy::CooperativeSticky)
        ],
    ) {
        let owned = assign(AssignmentStrategy::RoundRobin, &input).unwrap();
        prop_assume!(is_fully_balanced(&owned));
        let next = next_round(&input, &owned, 3);
        let a = assign(strategy, &next).unwrap();
        for (member, list) in &a {
            prop_assert_eq!(sorted(list), sorted(&owned[member]));
        }
    }

    /// A member leaving: the sticky assignors hand out its partitions and every remaining
    /// member keeps what it owned when that still fits the quota (same subscriptions).
    #[test]
    fn sticky_moves_only_the_leavers_partitions_when_subscriptions_are_equal(
        input in fresh_group().prop_filter("two or more members", |i| i.members.len() >= 2)
            .prop_map(|mut input| {
                let topics = input.members[0].topics.clone();
                for m in &mut input.members {
                    m.topics = topics.clone();
                }
                input
            }),
        leaver in any::<prop::sample::Index>(),
    ) {
        let strategy = AssignmentStrategy::Sticky;
        let a = assign(strategy, &input).unwrap();
        let mut next = next_round(&input, &a, 1);
        let gone = leaver.index(next.members.len());
        next.members.remove(gone);
        let b = assign(strategy, &next).unwrap();
        assert_complete(&next, &b);
        prop_assert!(is_fully_balanced(&b));
        let total: usize = b.values().map(Vec::len).sum();
        let max_quota = total.div_ceil(next.members.len());
        for m in &next.members {
            let kept = a[&m.member_id].iter().filter(|tp| b[&m.member_id].contains(tp)).count();
            prop_assert_eq!(kept, a[&m.member_id].len().min(max_quota));
        }
    }

    /// Cooperative: the round's assignment is the sticky assignment minus the withheld
    /// partitions; nothing is assigned twice; each withheld partition is owned this round by
    /// a member other than the one it goes to; nothing is revoked from one member and given
    /// to another in the same round; the follow-up rebalances settle on a complete assignment.
    #[test]
    fn cooperative_withholds_exactly_the_partitions_changing_owner(
        input in group_with_owned_partitions(true),
    ) {
        let strategy = AssignmentStrategy::CooperativeSticky;
        let round = assign_detailed(strategy, &input).unwrap();
        let eager = assign(AssignmentStrategy::Sticky, &input).unwrap();

        let mut seen = BTreeSet::new();
        for list in round.assignment.values() {
            for tp in list {
                prop_assert!(seen.insert(tp.clone()), "{tp} assigned twice");
            }
        }
        for (member, list) in &eager {
            let expected: Vec<TopicPartition> = list
                .iter()
                .filter(|tp| round.withheld.get(*tp) != Some(member))
                .cloned()
                .collect();
            prop_assert_eq!(&round.assignment[member], &expected);
        }
        for (tp, to) in &round.withheld {
            prop_assert!(!seen.contains(tp));
            prop_assert!(eager[to].contains(tp));
            let owners: Vec<&String> = input
                .members
                .iter()
                .filter(|m| m.owned_partitions.contains(tp))
                .map(|m| &m.member_id)
                .collect();
            prop_assert!(owners.iter().any(|o| *o != to), "{tp} withheld from {to} but owned by {owners:?}");
        }
        // Conversely, every partition the sticky result gives to a member that did not own it,
        // while another member did, is withheld (it must be revoked first).
        for (member, list) in &eager {
            let own = &input.members.iter().find(|m| &m.member_id == member).unwrap().owned_partitions;
            for tp in list {
                let owned_elsewhere = input
                    .members
                    .iter()
                    .any(|m| &m.member_id != member && m.owned_partitions.contains(tp));
                if !own.contains(tp) && owned_elsewhere {
                    prop_assert_eq!(round.withheld.get(tp), Some(member), "{} moves to {}", tp, member);
                }
            }
        }
        verify_cooperative_validity(&input, &round.assignment);

        let mut settled_input = input.clone();
        let settled = verified(strategy, &mut settled_input, round.assignment);
        assert_complete(&settled_input, &settled);
    }

    /// Range and round robin ignore owned partitions and generations entirely.
    #[test]
    fn range_and_round_robin_ignore_owned_partitions(input in group_with_owned_partitions(false)) {
        let mut without = input.clone();
        for m in &mut without.members {
            m.owned_partitions.clear();
            m.generation = NO_GENERATION;
        }
        for strategy in [AssignmentStrategy::Range, AssignmentStrategy::RoundRobin] {
            prop_assert_eq!(assign(strategy, &input).unwrap(), assign(strategy, &without).unwrap());
        }
    }

    /// Kafka's static membership in range and round robin: a static member that restarts
    /// comes back under a new member id with the same `group.instance.id`, and every member
    /// (static or not) keeps its partitions.
    #[test]
    fn restarted_static_members_keep_their_partitions(
        input in fresh_group(),
        statics in proptest::collection::vec(any::<bool>(), IDS.len()),
        instances in Just(INSTANCES.to_vec()).prop_shuffle(),
    ) {
        let mut before = input.clone();
        for ((m, is_static), instance) in before.members.iter_mut().zip(&statics).zip(&instances) {
            if *is_static {
                m.group_instance_id = Some(instance.to_string());
            }
        }
        let mut after = before.clone();
        let mut renamed = BTreeMap::new();
        for (i, m) in after.members.iter_mut().enumerate() {
            if m.group_instance_id.is_some() {
                let restarted = format!("restarted-{i}-{}", m.member_id.len());
                renamed.insert(restarted.clone(), m.member_id.clone());
                m.member_id = restarted;
            }
        }
        for strategy in [AssignmentStrategy::Range, AssignmentStrategy::RoundRobin] {
            let first = assign(strategy, &before).unwrap();
            let second: Assignment = assign(strategy, &after)
                .unwrap()
                .into_iter()
                .map(|(id, list)| (renamed.get(&id).cloned().unwrap_or(id), list))
                .collect();
            prop_assert_eq!(first, second, "{}", strategy);
        }
    }

    /// Kafka's sticky assignors keep partitions through owned partitions, not instance ids:
    /// instance ids change nothing there.
    #[test]
    fn sticky_assignors_ignore_instance_ids(
        input in group_with_owned_partitions(true),
        instances in Just(INSTANCES.to_vec()).prop_shuffle(),
    ) {
        let mut with_instances = input.clone();
        for (m, instance) in with_instances.members.iter_mut().zip(&instances) {
            m.group_instance_id = Some(instance.to_string());
        }
        for strategy in [AssignmentStrategy::Sticky, AssignmentStrategy::CooperativeSticky] {
            prop_assert_eq!(
                assign_detailed(strategy, &input),
                assign_detailed(strategy, &with_instances)
            );
        }
    }

    /// Any input that parses gives an answer or a typed error, never a panic.
    #[test]
    fn never_panics(input in group_with_owned_partitions(false), strategy in strategy()) {
        let result = assign_detailed(strategy, &input);
        // Only Kafka's general path can fail, and only through a stale owner.
        if same_subscriptions(&input) {
            prop_assert!(result.is_ok(), "{result:?}");
        }
    }
}
