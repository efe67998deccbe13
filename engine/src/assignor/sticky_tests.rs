//! Kafka's sticky assignor tests, ported.
//!
//! - `clients/src/test/java/org/apache/kafka/clients/consumer/internals/AbstractStickyAssignorTest.java`:
//!   the shared cases, run for both assignors (modules `sticky_assignor` and
//!   `cooperative_sticky_assignor` below), without rack configurations (this engine does not
//!   model racks; Kafka runs the same expectations with and without racks).
//! - `clients/src/test/java/org/apache/kafka/clients/consumer/StickyAssignorTest.java` and
//!   `CooperativeStickyAssignorTest.java`: the assignor-specific cases.
//!
//! `verified` is Kafka's `verifyValidityAndBalance`; for the cooperative assignor it also
//! runs the follow-up rebalances and returns the settled assignment, exactly like
//! `CooperativeStickyAssignorTest`'s override, so assertions placed after it in Kafka's tests
//! are checked against the settled assignment here too.

use super::super::test_support::*;
use super::super::{
    assign, Assignment, AssignmentInput, AssignmentStrategy, MemberSubscription, Prepared,
    TopicPartition, NO_GENERATION,
};
use std::collections::{BTreeMap, BTreeSet};

const GENERATION_ID: i32 = 1;

fn run(strategy: AssignmentStrategy, input: &AssignmentInput) -> Assignment {
    assign(strategy, input).unwrap()
}

/// `assignor.partitionsTransferringOwnership` after assigning `input` (`None` = Kafka's null).
fn transferring(
    strategy: AssignmentStrategy,
    input: &AssignmentInput,
) -> Option<BTreeMap<TopicPartition, String>> {
    let prepared = Prepared::new(input).unwrap();
    let round = super::assign(&prepared, strategy).unwrap();
    round.partitions_transferring_ownership.map(|map| {
        map.into_iter()
            .map(|(tp, m)| (tp, prepared.members[m].id.clone()))
            .collect()
    })
}

/// `assignor.isSticky()` after assigning `input` (general path only).
fn is_sticky(strategy: AssignmentStrategy, input: &AssignmentInput) -> bool {
    let prepared = Prepared::new(input).unwrap();
    super::assign(&prepared, strategy)
        .unwrap()
        .is_sticky
        .expect("isSticky is only defined after the general assignment path")
}

fn empty() -> Option<BTreeMap<TopicPartition, String>> {
    Some(BTreeMap::new())
}

fn set(list: &[TopicPartition]) -> BTreeSet<TopicPartition> {
    list.iter().cloned().collect()
}

fn names(prefix: &str, i: usize, max: usize) -> String {
    // getCanonicalName: prefix + i zero-padded to the digits of max.
    format!("{prefix}{i:0width$}", width = max.to_string().len())
}

fn remove(input: &mut AssignmentInput, id: &str) {
    input.members.retain(|m| m.member_id != id);
}

fn put(input: &mut AssignmentInput, m: MemberSubscription) {
    match input
        .members
        .iter_mut()
        .find(|x| x.member_id == m.member_id)
    {
        Some(existing) => *existing = m,
        None => input.members.push(m),
    }
}

fn strs(list: &[TopicPartition]) -> Vec<String> {
    let mut v: Vec<String> = list.iter().map(ToString::to_string).collect();
    v.sort();
    v
}

fn split(s: &str) -> Vec<&str> {
    if s.is_empty() {
        vec![]
    } else {
        s.split(", ").collect()
    }
}

/// `AbstractPartitionAssignorTest.verifyRackAssignment` without racks: members
/// `consumer0..`, each list compared as a sorted string.
fn verify_assignment(
    strategy: AssignmentStrategy,
    topics: &[(&str, u32)],
    consumer_topics: &[&[&str]],
    owned: &[&str],
    expected: &[&str],
) {
    let members = consumer_topics
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let own = owned.get(i).map(|s| split(s)).unwrap_or_default();
            owning(&format!("consumer{i}"), t, &own, NO_GENERATION)
        })
        .collect();
    let a = run(strategy, &input(topics, members));
    for (i, e) in expected.iter().enumerate() {
        assert_eq!(
            strs(&a[&format!("consumer{i}")]).join(", "),
            *e,
            "consumer{i}"
        );
    }
}

fn test_one_consumer_no_topic(s: AssignmentStrategy) {
    let mut inp = input(&[], vec![member("consumer", &[])]);
    let a = run(s, &inp);
    assert_eq!(a, BTreeMap::from([("consumer".to_string(), vec![])]));
    assert_eq!(transferring(s, &inp), empty());
    let a = verified(s, &mut inp, a);
    assert!(is_fully_balanced(&a));
}

fn test_one_consumer_nonexistent_topic(s: AssignmentStrategy) {
    let mut inp = input(&[("topic", 0)], vec![member("consumer", &["topic"])]);
    let a = run(s, &inp);
    assert_eq!(a, BTreeMap::from([("consumer".to_string(), vec![])]));
    assert_eq!(transferring(s, &inp), empty());
    let a = verified(s, &mut inp, a);
    assert!(is_fully_balanced(&a));
}

fn test_one_consumer_one_topic(s: AssignmentStrategy) {
    let mut inp = input(&[("topic", 3)], vec![member("consumer", &["topic"])]);
    let a = run(s, &inp);
    assert_eq!(a["consumer"], tps(&["topic-0", "topic-1", "topic-2"]));
    assert_eq!(transferring(s, &inp), empty());
    let a = verified(s, &mut inp, a);
    assert!(is_fully_balanced(&a));
}

fn test_only_assigns_partitions_from_subscribed_topics(s: AssignmentStrategy) {
    let mut inp = input(
        &[("topic", 2)],
        vec![owning(
            "consumer",
            &["topic"],
            &["topic-0", "topic-1", "other-0", "other-1"],
            GENERATION_ID,
        )],
    );
    let a = run(s, &inp);
    assert_eq!(a["consumer"], tps(&["topic-0", "topic-1"]));
    assert_eq!(transferring(s, &inp), empty());
    let a = verified(s, &mut inp, a);
    assert!(is_fully_balanced(&a));
}

fn test_one_consumer_multiple_topics(s: AssignmentStrategy) {
    let mut inp = input(
        &[("topic1", 1), ("topic2", 2)],
        vec![member("consumer", &["topic1", "topic2"])],
    );
    let a = run(s, &inp);
    assert_eq!(a["consumer"], tps(&["topic1-0", "topic2-0", "topic2-1"]));
    assert_eq!(transferring(s, &inp), empty());
    let a = verified(s, &mut inp, a);
    assert!(is_fully_balanced(&a));
}

fn test_two_consumers_one_topic_one_partition(s: AssignmentStrategy) {
    let mut inp = input(
        &[("topic", 1)],
        vec![
            member("consumer1", &["topic"]),
            member("consumer2", &["topic"]),
        ],
    );
    let a = run(s, &inp);
    assert_eq!(transferring(s, &inp), empty());
    let a = verified(s, &mut inp, a);
    assert!(is_fully_balanced(&a));
}

fn test_two_consumers_one_topic_two_partitions(s: AssignmentStrategy) {
    let mut inp = input(
        &[("topic", 2)],
        vec![
            member("consumer1", &["topic"]),
            member("consumer2", &["topic"]),
        ],
    );
    let a = run(s, &inp);
    assert_eq!(a["consumer1"], tps(&["topic-0"]));
    assert_eq!(a["consumer2"], tps(&["topic-1"]));
    assert_eq!(transferring(s, &inp), empty());
    let a = verified(s, &mut inp, a);
    assert!(is_fully_balanced(&a));
}

fn test_multiple_consumers_mixed_topic_subscriptions(s: AssignmentStrategy) {
    let mut inp = input(
        &[("topic1", 3), ("topic2", 2)],
        vec![
            member("consumer1", &["topic1"]),
            member("consumer2", &["topic1", "topic2"]),
            member("consumer3", &["topic1"]),
        ],
    );
    let a = run(s, &inp);
    assert_eq!(a["consumer1"], tps(&["topic1-0", "topic1-2"]));
    assert_eq!(a["consumer2"], tps(&["topic2-0", "topic2-1"]));
    assert_eq!(a["consumer3"], tps(&["topic1-1"]));
    assert_eq!(transferring(s, &inp), None);
    let a = verified(s, &mut inp, a);
    assert!(is_fully_balanced(&a));
}

fn test_two_consumers_two_topics_six_partitions(s: AssignmentStrategy) {
    let mut inp = input(
        &[("topic1", 3), ("topic2", 3)],
        vec![
            member("consumer1", &["topic1", "topic2"]),
            member("consumer2", &["topic1", "topic2"]),
        ],
    );
    let a = run(s, &inp);
    assert_eq!(a["consumer1"], tps(&["topic1-0", "topic1-2", "topic2-1"]));
    assert_eq!(a["consumer2"], tps(&["topic1-1", "topic2-0", "topic2-2"]));
    assert_eq!(transferring(s, &inp), empty());
    let a = verified(s, &mut inp, a);
    assert!(is_fully_balanced(&a));
}

fn test_consumer_owning_min_quota_expected_max_quota(s: AssignmentStrategy) {
    let all = ["topic1", "topic2"];
    let mut inp = input(
        &[("topic1", 2), ("topic2", 3)],
        vec![
            owning("consumer1", &all, &["topic1-0", "topic2-1"], GENERATION_ID),
            owning("consumer2", &all, &["topic1-1", "topic2-2"], GENERATION_ID),
        ],
    );
    let a = run(s, &inp);
    assert_eq!(a["consumer1"], tps(&["topic1-0", "topic2-1", "topic2-0"]));
    assert_eq!(a["consumer2"], tps(&["topic1-1", "topic2-2"]));
    assert_eq!(transferring(s, &inp), empty());
    let a = verified(s, &mut inp, a);
    assert!(is_fully_balanced(&a));
}

/// Two members own the max quota but only one may keep it: which one is decided by Java's
/// `HashMap` iteration order of the member ids (here consumer2 comes first).
fn test_max_quota_consumer_more_than_num_expected_max_capacity_members(s: AssignmentStrategy) {
    let all = ["topic1", "topic2"];
    let mut inp = input(
        &[("topic1", 2), ("topic2", 2)],
        vec![
            owning("consumer1", &all, &["topic1-0", "topic2-0"], GENERATION_ID),
            owning("consumer2", &all, &["topic1-1", "topic2-1"], GENERATION_ID),
            owning("consumer3", &all, &[], GENERATION_ID),
        ],
    );
    let a = run(s, &inp);
    assert_eq!(
        transferring(s, &inp),
        Some(BTreeMap::from([(
            "topic2-0".parse().unwrap(),
            "consumer3".to_string()
        )]))
    );
    let a = verified(s, &mut inp, a);
    assert_eq!(a["consumer1"], tps(&["topic1-0"]));
    assert_eq!(a["consumer2"], tps(&["topic1-1", "topic2-1"]));
    assert_eq!(a["consumer3"], tps(&["topic2-0"]));
    assert!(is_fully_balanced(&a));
}

fn test_all_consumers_are_under_min_quota(s: AssignmentStrategy) {
    let all = ["topic1", "topic2"];
    let mut inp = input(
        &[("topic1", 2), ("topic2", 3)],
        vec![
            owning("consumer1", &all, &["topic1-0"], GENERATION_ID),
            owning("consumer2", &all, &["topic1-1"], GENERATION_ID),
            owning("consumer3", &all, &[], GENERATION_ID),
        ],
    );
    let a = run(s, &inp);
    assert_eq!(transferring(s, &inp), empty());
    let a = verified(s, &mut inp, a);
    assert_eq!(a["consumer1"], tps(&["topic1-0", "topic2-1"]));
    assert_eq!(a["consumer2"], tps(&["topic1-1", "topic2-2"]));
    assert_eq!(a["consumer3"], tps(&["topic2-0"]));
    assert!(is_fully_balanced(&a));
}

fn test_add_remove_consumer_one_topic(s: AssignmentStrategy) {
    let mut inp = input(&[("topic", 3)], vec![member("consumer1", &["topic"])]);
    let a = run(s, &inp);
    assert_eq!(a["consumer1"], tps(&["topic-0", "topic-1", "topic-2"]));
    let a = verified(s, &mut inp, a);
    assert!(is_fully_balanced(&a));

    put(
        &mut inp,
        after(&member("consumer1", &["topic"]), &a, GENERATION_ID),
    );
    put(
        &mut inp,
        owning("consumer2", &["topic"], &[], GENERATION_ID),
    );
    let a = run(s, &inp);
    assert_eq!(
        transferring(s, &inp),
        Some(BTreeMap::from([(
            "topic-2".parse().unwrap(),
            "consumer2".to_string()
        )]))
    );
    let a = verified(s, &mut inp, a);
    assert_eq!(a["consumer1"], tps(&["topic-0", "topic-1"]));
    assert_eq!(a["consumer2"], tps(&["topic-2"]));
    assert!(is_fully_balanced(&a));

    remove(&mut inp, "consumer1");
    put(
        &mut inp,
        after(&member("consumer2", &["topic"]), &a, GENERATION_ID),
    );
    let a = run(s, &inp);
    assert_eq!(
        set(&a["consumer2"]),
        set(&tps(&["topic-2", "topic-1", "topic-0"]))
    );
    assert_eq!(transferring(s, &inp), empty());
    let a = verified(s, &mut inp, a);
    assert!(is_fully_balanced(&a));
}

fn test_topic_balance_after_reassignment(s: AssignmentStrategy) {
    let all = ["topic1", "topic2"];
    let count = |a: &Assignment, topic: &str, expected: usize| {
        for list in a.values() {
            assert_eq!(
                list.iter().filter(|tp| &*tp.topic == topic).count(),
                expected
            );
        }
    };
    let mut inp = input(
        &[("topic1", 12), ("topic2", 12)],
        vec![member("consumer1", &all)],
    );
    let a = run(s, &inp);
    let a = verified(s, &mut inp, a);
    count(&a, "topic1", 12);
    count(&a, "topic2", 12);
    assert_eq!(transferring(s, &inp), empty());
    assert!(is_fully_balanced(&a));

    put(
        &mut inp,
        after(&member("consumer1", &all), &a, GENERATION_ID),
    );
    put(&mut inp, owning("consumer2", &all, &[], GENERATION_ID));
    let a = run(s, &inp);
    let a = verified(s, &mut inp, a);
    count(&a, "topic1", 6);
    count(&a, "topic2", 6);
    assert!(is_fully_balanced(&a));

    put(
        &mut inp,
        after(&member("consumer1", &all), &a, GENERATION_ID),
    );
    put(
        &mut inp,
        after(&member("consumer2", &all), &a, GENERATION_ID),
    );
    put(&mut inp, owning("consumer3", &all, &[], GENERATION_ID));
    put(&mut inp, owning("consumer4", &all, &[], GENERATION_ID));
    let a = run(s, &inp);
    let a = verified(s, &mut inp, a);
    count(&a, "topic1", 3);
    count(&a, "topic2", 3);
    assert!(is_fully_balanced(&a));

    remove(&mut inp, "consumer1");
    remove(&mut inp, "consumer2");
    put(
        &mut inp,
        after(&member("consumer3", &all), &a, GENERATION_ID),
    );
    put(
        &mut inp,
        after(&member("consumer4", &all), &a, GENERATION_ID),
    );
    let a = run(s, &inp);
    let a = verified(s, &mut inp, a);
    count(&a, "topic1", 6);
    count(&a, "topic2", 6);
    assert_eq!(transferring(s, &inp), empty());
    assert!(is_fully_balanced(&a));
}

fn test_add_remove_two_consumers_two_topics(s: AssignmentStrategy) {
    let all = ["topic1", "topic2"];
    let mut inp = input(
        &[("topic1", 3), ("topic2", 4)],
        vec![member("consumer1", &all), member("consumer2", &all)],
    );
    let a = run(s, &inp);
    assert_eq!(
        a["consumer1"],
        tps(&["topic1-0", "topic1-2", "topic2-1", "topic2-3"])
    );
    assert_eq!(a["consumer2"], tps(&["topic1-1", "topic2-0", "topic2-2"]));
    assert_eq!(transferring(s, &inp), empty());
    let a = verified(s, &mut inp, a);
    assert!(is_fully_balanced(&a));

    put(
        &mut inp,
        after(&member("consumer1", &all), &a, GENERATION_ID),
    );
    put(
        &mut inp,
        after(&member("consumer2", &all), &a, GENERATION_ID),
    );
    put(&mut inp, owning("consumer3", &all, &[], GENERATION_ID));
    put(&mut inp, owning("consumer4", &all, &[], GENERATION_ID));
    let a = run(s, &inp);
    let expected: BTreeMap<TopicPartition, String> = [
        ("topic1-2", "consumer3"),
        ("topic2-3", "consumer3"),
        ("topic2-2", "consumer4"),
    ]
    .into_iter()
    .map(|(tp, c)| (tp.parse().unwrap(), c.to_string()))
    .collect();
    assert_eq!(transferring(s, &inp), Some(expected));
    let a = verified(s, &mut inp, a);
    assert_eq!(a["consumer1"], tps(&["topic1-0", "topic2-1"]));
    assert_eq!(a["consumer2"], tps(&["topic2-0", "topic1-1"]));
    assert_eq!(a["consumer3"], tps(&["topic1-2", "topic2-3"]));
    assert_eq!(a["consumer4"], tps(&["topic2-2"]));
    assert!(is_fully_balanced(&a));

    remove(&mut inp, "consumer1");
    remove(&mut inp, "consumer2");
    put(
        &mut inp,
        after(&member("consumer3", &all), &a, GENERATION_ID),
    );
    put(
        &mut inp,
        after(&member("consumer4", &all), &a, GENERATION_ID),
    );
    let a = run(s, &inp);
    assert_eq!(
        a["consumer3"],
        tps(&["topic1-2", "topic2-3", "topic1-0", "topic2-1"])
    );
    assert_eq!(a["consumer4"], tps(&["topic2-2", "topic1-1", "topic2-0"]));
    assert_eq!(transferring(s, &inp), empty());
    let a = verified(s, &mut inp, a);
    assert!(is_fully_balanced(&a));
}

fn test_poor_round_robin_assignment_scenario(s: AssignmentStrategy) {
    let topics: Vec<(String, u32)> = (1..=5).map(|i| (format!("topic{i}"), i % 2 + 1)).collect();
    let topics: Vec<(&str, u32)> = topics.iter().map(|(t, n)| (t.as_str(), *n)).collect();
    let five = ["topic1", "topic2", "topic3", "topic4", "topic5"];
    let three = ["topic1", "topic3", "topic5"];
    let mut inp = input(
        &topics,
        vec![
            member("consumer1", &five),
            member("consumer2", &three),
            member("consumer3", &three),
            member("consumer4", &five),
        ],
    );
    let a = run(s, &inp);
    verified(s, &mut inp, a);
}

fn test_add_remove_topic_two_consumers(s: AssignmentStrategy) {
    let mut inp = input(
        &[("topic", 3)],
        vec![
            member("consumer1", &["topic"]),
            member("consumer2", &["topic"]),
        ],
    );
    let a = run(s, &inp);
    assert_eq!(transferring(s, &inp), empty());
    assert!(is_fully_balanced(&a));
    let a = verified(s, &mut inp, a);
    let c1_first = a["consumer1"].clone();
    let c2_first = a["consumer2"].clone();
    assert_eq!(c1_first.len() + c2_first.len(), 3);
    assert!(c1_first.len().abs_diff(c2_first.len()) == 1);

    inp.topics.insert("topic2".into(), 3);
    let both = ["topic", "topic2"];
    put(
        &mut inp,
        after(&member("consumer1", &both), &a, GENERATION_ID),
    );
    put(
        &mut inp,
        after(&member("consumer2", &both), &a, GENERATION_ID),
    );
    let a = run(s, &inp);
    assert_eq!(transferring(s, &inp), empty());
    let a = verified(s, &mut inp, a);
    assert!(is_fully_balanced(&a));
    let c1 = a["consumer1"].clone();
    let c2 = a["consumer2"].clone();
    assert!(c1.len() == 3 && c2.len() == 3);
    assert!(c1_first.iter().all(|tp| c1.contains(tp)));
    assert!(c2_first.iter().all(|tp| c2.contains(tp)));

    inp.topics.remove("topic");
    put(
        &mut inp,
        after(&member("consumer1", &["topic2"]), &a, GENERATION_ID),
    );
    put(
        &mut inp,
        after(&member("consumer2", &["topic2"]), &a, GENERATION_ID),
    );
    let a = run(s, &inp);
    assert_eq!(transferring(s, &inp), empty());
    let a = verified(s, &mut inp, a);
    assert!(is_fully_balanced(&a));
    let c1_third = &a["consumer1"];
    let c2_third = &a["consumer2"];
    assert!(c1_third.len().abs_diff(c2_third.len()) == 1);
    assert!(c1_third.iter().all(|tp| c1.contains(tp)));
    assert!(c2_third.iter().all(|tp| c2.contains(tp)));
}

fn test_reassignment_after_one_consumer_leaves(s: AssignmentStrategy) {
    let topics: Vec<(String, u32)> = (1..20).map(|i| (names("t", i, 20), i as u32)).collect();
    let topics: Vec<(&str, u32)> = topics.iter().map(|(t, n)| (t.as_str(), *n)).collect();
    let members: Vec<MemberSubscription> = (1..20)
        .map(|i| {
            let subscribed: Vec<String> = (1..=i).map(|j| names("t", j, 20)).collect();
            let subscribed: Vec<&str> = subscribed.iter().map(String::as_str).collect();
            member(&names("c", i, 20), &subscribed)
        })
        .collect();
    let mut inp = input(&topics, members);
    let a = run(s, &inp);
    let a = verified(s, &mut inp, a);

    for m in &mut inp.members {
        m.owned_partitions = a[&m.member_id].clone();
        m.generation = GENERATION_ID;
    }
    remove(&mut inp, "c10");
    let a = run(s, &inp);
    assert!(is_sticky(s, &inp));
    verified(s, &mut inp, a);
}

fn test_reassignment_after_one_consumer_added(s: AssignmentStrategy) {
    let mut inp = input(
        &[("topic", 20)],
        (1..10)
            .map(|i| member(&names("c", i, 10), &["topic"]))
            .collect(),
    );
    let a = run(s, &inp);
    assert_eq!(transferring(s, &inp), empty());
    verified(s, &mut inp, a);

    put(&mut inp, member(&names("c", 10, 10), &["topic"]));
    let a = run(s, &inp);
    assert_eq!(transferring(s, &inp), empty());
    verified(s, &mut inp, a);
}

fn test_same_subscriptions(s: AssignmentStrategy) {
    let topics: Vec<(String, u32)> = (1..15).map(|i| (names("t", i, 15), i as u32)).collect();
    let all: Vec<&str> = topics.iter().map(|(t, _)| t.as_str()).collect();
    let counts: Vec<(&str, u32)> = topics.iter().map(|(t, n)| (t.as_str(), *n)).collect();
    let mut inp = input(
        &counts,
        (1..9).map(|i| member(&names("c", i, 9), &all)).collect(),
    );
    let a = run(s, &inp);
    assert_eq!(transferring(s, &inp), empty());
    let a = verified(s, &mut inp, a);

    for m in &mut inp.members {
        m.owned_partitions = a[&m.member_id].clone();
        m.generation = GENERATION_ID;
    }
    remove(&mut inp, &names("c", 5, 9));
    let a = run(s, &inp);
    assert_eq!(transferring(s, &inp), empty());
    verified(s, &mut inp, a);
}

/// Kafka's version uses 500 topics x 2,000 partitions and 2,000 consumers (a million
/// partitions, 30 s timeout on the JVM); this is the same shape, scaled to what a debug-build
/// unit test should take.
fn test_large_assignment_and_group_with_uniform_subscription(s: AssignmentStrategy) {
    let (topic_count, partition_count, consumer_count) = (20, 100, 200);
    let topics: Vec<String> = (0..topic_count)
        .map(|i| names("t", i, topic_count))
        .collect();
    let all: Vec<&str> = topics.iter().map(String::as_str).collect();
    let counts: Vec<(&str, u32)> = all.iter().map(|t| (*t, partition_count)).collect();
    let mut inp = input(
        &counts,
        (0..consumer_count)
            .map(|i| member(&names("c", i, consumer_count), &all))
            .collect(),
    );
    let a = run(s, &inp);
    for m in inp.members.iter_mut().skip(1) {
        m.owned_partitions = a[&m.member_id].clone();
        m.generation = GENERATION_ID;
    }
    let a = run(s, &inp);
    assert_complete(&inp, &a);
    assert!(is_fully_balanced(&a));
}

fn test_subscription_not_equal_and_assign_same_partition_with3_generation(s: AssignmentStrategy) {
    for g in [
        [1, 2, 3],
        [1, 3, 2],
        [2, 1, 3],
        [2, 3, 1],
        [3, 1, 2],
        [3, 2, 1],
    ] {
        let inp = input(
            &[("topic", 6), ("topic1", 1)],
            vec![
                owning("consumer1", &["topic"], &["topic-0", "topic-2"], g[0]),
                owning(
                    "consumer2",
                    &["topic"],
                    &["topic-1", "topic-2", "topic-3"],
                    g[1],
                ),
                owning(
                    "consumer3",
                    &["topic"],
                    &["topic-2", "topic-4", "topic-5"],
                    g[2],
                ),
                owning("consumer4", &["topic1"], &["topic1-0"], 2),
            ],
        );
        let a = run(s, &inp);
        let all: Vec<&TopicPartition> = a.values().flatten().collect();
        let distinct: BTreeSet<&TopicPartition> = all.iter().copied().collect();
        assert_eq!(all.len(), distinct.len());
        for list in a.values() {
            assert!((1..=2).contains(&list.len()), "{g:?}: {a:?}");
        }
    }
}

fn test_new_subscription(s: AssignmentStrategy) {
    let topics: Vec<(String, u32)> = (1..5).map(|i| (names("t", i, 5), 1)).collect();
    let counts: Vec<(&str, u32)> = topics.iter().map(|(t, n)| (t.as_str(), *n)).collect();
    let members = (0..3usize)
        .map(|i| {
            let subscribed: Vec<String> = (i..=(3 * i).saturating_sub(2).max(i))
                .filter(|&j| j >= i && j + 2 <= 3 * i)
                .map(|j| names("t", j, 5))
                .collect();
            let subscribed: Vec<&str> = subscribed.iter().map(String::as_str).collect();
            member(&names("c", i, 3), &subscribed)
        })
        .collect();
    let mut inp = input(&counts, members);
    let a = run(s, &inp);
    verified(s, &mut inp, a);

    inp.members[0].topics.push(names("t", 1, 5));
    let a = run(s, &inp);
    assert!(is_sticky(s, &inp));
    verified(s, &mut inp, a);
}

fn test_move_existing_assignments(s: AssignmentStrategy) {
    let topics: Vec<(String, u32)> = (1..=6).map(|i| (format!("topic{i}"), 1)).collect();
    let counts: Vec<(&str, u32)> = topics.iter().map(|(t, n)| (t.as_str(), *n)).collect();
    let mut inp = input(
        &counts,
        vec![
            owning(
                "consumer1",
                &["topic1", "topic2"],
                &["topic1-0"],
                GENERATION_ID,
            ),
            owning(
                "consumer2",
                &["topic1", "topic2", "topic3", "topic4"],
                &["topic2-0", "topic3-0"],
                GENERATION_ID,
            ),
            owning(
                "consumer3",
                &["topic2", "topic3", "topic4", "topic5", "topic6"],
                &["topic4-0", "topic5-0", "topic6-0"],
                GENERATION_ID,
            ),
        ],
    );
    let a = run(s, &inp);
    assert_eq!(transferring(s, &inp), None);
    verified(s, &mut inp, a);
}

fn test_stickiness(s: AssignmentStrategy) {
    let mut inp = input(
        &[("topic1", 3)],
        (1..=4)
            .map(|i| member(&format!("consumer{i}"), &["topic1"]))
            .collect(),
    );
    let a = run(s, &inp);
    assert_eq!(transferring(s, &inp), empty());
    let a = verified(s, &mut inp, a);
    let mut first: BTreeMap<String, TopicPartition> = BTreeMap::new();
    for (consumer, list) in &a {
        assert!(
            list.len() <= 1,
            "{consumer} has more partitions than expected"
        );
        if let Some(tp) = list.first() {
            first.insert(consumer.clone(), tp.clone());
        }
    }

    // Remove the potential group leader.
    remove(&mut inp, "consumer1");
    for i in 2..=4 {
        put(
            &mut inp,
            after(
                &member(&format!("consumer{i}"), &["topic1"]),
                &a,
                GENERATION_ID,
            ),
        );
    }
    let a = run(s, &inp);
    assert_eq!(transferring(s, &inp), empty());
    let a = verified(s, &mut inp, a);
    for (consumer, list) in &a {
        assert_eq!(list.len(), 1, "{consumer}");
        if let Some(tp) = first.get(consumer) {
            assert!(list.contains(tp), "stickiness not honoured for {consumer}");
        }
    }
}

fn test_assignment_updated_for_deleted_topic(s: AssignmentStrategy) {
    let inp = input(
        &[("topic1", 1), ("topic3", 100)],
        vec![member("consumer", &["topic1", "topic2", "topic3"])],
    );
    let a = run(s, &inp);
    assert_eq!(transferring(s, &inp), empty());
    assert_eq!(a.values().map(Vec::len).sum::<usize>(), 101);
    assert_eq!(a.keys().collect::<Vec<_>>(), vec!["consumer"]);
    assert!(is_fully_balanced(&a));
}

fn test_no_exception_thrown_when_only_subscribed_topic_deleted(s: AssignmentStrategy) {
    let mut inp = input(&[("topic", 3)], vec![member("consumer", &["topic"])]);
    let a = run(s, &inp);
    assert_eq!(transferring(s, &inp), empty());
    put(
        &mut inp,
        after(&member("consumer", &["topic"]), &a, GENERATION_ID),
    );
    inp.topics.clear();
    let a = run(s, &inp);
    assert_eq!(transferring(s, &inp), empty());
    assert_eq!(a.len(), 1);
    assert!(a["consumer"].is_empty());
}

fn test_all_consumers_reach_expected_quota_and_are_considered_filled(s: AssignmentStrategy) {
    let mut inp = input(
        &[("topic", 4)],
        vec![
            owning(
                "consumer1",
                &["topic"],
                &["topic-0", "topic-1"],
                GENERATION_ID,
            ),
            owning("consumer2", &["topic"], &["topic-2"], GENERATION_ID),
            owning("consumer3", &["topic"], &[], GENERATION_ID),
        ],
    );
    let a = run(s, &inp);
    assert_eq!(a["consumer1"], tps(&["topic-0", "topic-1"]));
    assert_eq!(a["consumer2"], tps(&["topic-2"]));
    assert_eq!(a["consumer3"], tps(&["topic-3"]));
    assert_eq!(transferring(s, &inp), empty());
    let a = verified(s, &mut inp, a);
    assert!(is_fully_balanced(&a));
}

fn test_owned_partitions_are_invalidated_for_consumer_with_stale_generation(s: AssignmentStrategy) {
    let both = ["topic", "topic2"];
    let owned = ["topic-0", "topic-2", "topic2-1"];
    let mut inp = input(
        &[("topic", 3), ("topic2", 3)],
        vec![
            owning("consumer1", &both, &owned, 10),
            owning("consumer2", &both, &owned, 9),
        ],
    );
    let a = run(s, &inp);
    assert_eq!(set(&a["consumer1"]), set(&tps(&owned)));
    assert_eq!(
        set(&a["consumer2"]),
        set(&tps(&["topic-1", "topic2-0", "topic2-2"]))
    );
    assert_eq!(transferring(s, &inp), empty());
    let a = verified(s, &mut inp, a);
    assert!(is_fully_balanced(&a));
}

fn test_owned_partitions_are_invalidated_for_consumer_with_no_generation(s: AssignmentStrategy) {
    let both = ["topic", "topic2"];
    let owned = ["topic-0", "topic-2", "topic2-1"];
    let mut inp = input(
        &[("topic", 3), ("topic2", 3)],
        vec![
            owning("consumer1", &both, &owned, 10),
            owning("consumer2", &both, &owned, NO_GENERATION),
        ],
    );
    let a = run(s, &inp);
    assert_eq!(set(&a["consumer1"]), set(&tps(&owned)));
    assert_eq!(
        set(&a["consumer2"]),
        set(&tps(&["topic-1", "topic2-0", "topic2-2"]))
    );
    assert_eq!(transferring(s, &inp), empty());
    let a = verified(s, &mut inp, a);
    assert!(is_fully_balanced(&a));
}

fn test_partitions_transferring_ownership_include_the_partition_claimed_by_multiple_consumers_in_same_generation(
    s: AssignmentStrategy,
) {
    let mut inp = input(
        &[("topic", 3)],
        vec![
            owning(
                "consumer1",
                &["topic"],
                &["topic-0", "topic-1"],
                GENERATION_ID,
            ),
            owning(
                "consumer2",
                &["topic"],
                &["topic-0", "topic-2"],
                GENERATION_ID,
            ),
            owning("consumer3", &["topic"], &[], GENERATION_ID),
        ],
    );
    let a = run(s, &inp);
    assert_eq!(
        transferring(s, &inp),
        Some(BTreeMap::from([(
            "topic-0".parse().unwrap(),
            "consumer3".to_string()
        )]))
    );
    let a = verified(s, &mut inp, a);
    assert_eq!(a["consumer1"], tps(&["topic-1"]));
    assert_eq!(a["consumer2"], tps(&["topic-2"]));
    assert_eq!(a["consumer3"], tps(&["topic-0"]));
    assert!(is_fully_balanced(&a));
}

fn test_ensure_partitions_assigned_to_highest_generation(s: AssignmentStrategy) {
    let all = ["topic", "topic2", "topic3"];
    let mut inp = input(
        &[("topic", 3), ("topic2", 3), ("topic3", 3)],
        vec![
            owning("consumer1", &all, &["topic-0", "topic2-0", "topic3-0"], 10),
            owning("consumer2", &all, &["topic-1", "topic2-1", "topic3-1"], 9),
            owning("consumer3", &all, &["topic2-1", "topic3-0", "topic3-2"], 8),
        ],
    );
    let a = run(s, &inp);
    assert_eq!(
        set(&a["consumer1"]),
        set(&tps(&["topic-0", "topic2-0", "topic3-0"]))
    );
    assert_eq!(
        set(&a["consumer2"]),
        set(&tps(&["topic-1", "topic2-1", "topic3-1"]))
    );
    assert_eq!(
        set(&a["consumer3"]),
        set(&tps(&["topic-2", "topic2-2", "topic3-2"]))
    );
    assert_eq!(transferring(s, &inp), empty());
    let a = verified(s, &mut inp, a);
    assert!(is_fully_balanced(&a));
}

fn test_no_reassignment_on_current_members(s: AssignmentStrategy) {
    let all = ["topic", "topic2", "topic3", "topic1"];
    let mut inp = input(
        &[("topic", 3), ("topic1", 3), ("topic2", 3), ("topic3", 3)],
        vec![
            owning("consumer1", &all, &[], NO_GENERATION),
            owning("consumer2", &all, &["topic-0", "topic2-0", "topic1-0"], 9),
            owning("consumer3", &all, &["topic3-2", "topic2-2", "topic1-1"], 8),
            owning("consumer4", &all, &["topic3-1", "topic-1", "topic-2"], 7),
        ],
    );
    let a = run(s, &inp);
    assert_eq!(
        set(&a["consumer1"]),
        set(&tps(&["topic1-2", "topic2-1", "topic3-0"]))
    );
    assert_eq!(transferring(s, &inp), empty());
    let a = verified(s, &mut inp, a);
    assert!(is_fully_balanced(&a));
}

fn test_owned_partitions_are_invalidated_for_consumer_with_multiple_generation(
    s: AssignmentStrategy,
) {
    let both = ["topic", "topic2"];
    let mut inp = input(
        &[("topic", 3), ("topic2", 3)],
        vec![
            owning("consumer1", &both, &["topic-0", "topic2-1", "topic-1"], 10),
            owning("consumer2", &both, &["topic-0", "topic2-1", "topic2-2"], 8),
        ],
    );
    let a = run(s, &inp);
    assert_eq!(
        set(&a["consumer1"]),
        set(&tps(&["topic-0", "topic2-1", "topic-1"]))
    );
    assert_eq!(
        set(&a["consumer2"]),
        set(&tps(&["topic-2", "topic2-2", "topic2-0"]))
    );
    assert_eq!(transferring(s, &inp), empty());
    let a = verified(s, &mut inp, a);
    assert!(is_fully_balanced(&a));
}

const RACK_TOPICS: [(&str, u32); 3] = [("t1", 6), ("t2", 7), ("t3", 2)];
const ALL_T: [&str; 3] = ["t1", "t2", "t3"];

/// `testRackAwareAssignmentWithUniformSubscription`, its non-rack-aware expectation (Kafka
/// checks it with no broker racks and with no consumer racks), fresh and with the expected
/// assignment already owned.
fn test_rack_aware_assignment_with_uniform_subscription_without_racks(s: AssignmentStrategy) {
    let expected = [
        "t1-0, t1-3, t2-0, t2-3, t2-6",
        "t1-1, t1-4, t2-1, t2-4, t3-0",
        "t1-2, t1-5, t2-2, t2-5, t3-1",
    ];
    let topics: [&[&str]; 3] = [&ALL_T, &ALL_T, &ALL_T];
    verify_assignment(s, &RACK_TOPICS, &topics, &[], &expected);
    verify_assignment(s, &RACK_TOPICS, &topics, &expected, &expected);
}

/// `testRackAwareAssignmentWithNonEqualSubscription`, its non-rack-aware expectation, fresh and
/// with the expected assignment already owned.
fn test_rack_aware_assignment_with_non_equal_subscription_without_racks(s: AssignmentStrategy) {
    let expected = [
        "t1-5, t2-0, t2-2, t2-4, t2-6",
        "t1-3, t2-1, t2-3, t2-5, t3-0",
        "t1-0, t1-1, t1-2, t1-4, t3-1",
    ];
    let topics: [&[&str]; 3] = [&ALL_T, &ALL_T, &["t1", "t3"]];
    verify_assignment(s, &RACK_TOPICS, &topics, &[], &expected);
    verify_assignment(s, &RACK_TOPICS, &topics, &expected, &expected);
}

macro_rules! shared_tests {
    ($strategy:expr, $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                super::$name($strategy);
            }
        )*
    };
}

macro_rules! abstract_sticky_assignor_tests {
    ($strategy:expr) => {
        shared_tests!(
            $strategy,
            test_one_consumer_no_topic,
            test_one_consumer_nonexistent_topic,
            test_one_consumer_one_topic,
            test_only_assigns_partitions_from_subscribed_topics,
            test_one_consumer_multiple_topics,
            test_two_consumers_one_topic_one_partition,
            test_two_consumers_one_topic_two_partitions,
            test_multiple_consumers_mixed_topic_subscriptions,
            test_two_consumers_two_topics_six_partitions,
            test_consumer_owning_min_quota_expected_max_quota,
            test_max_quota_consumer_more_than_num_expected_max_capacity_members,
            test_all_consumers_are_under_min_quota,
            test_add_remove_consumer_one_topic,
            test_topic_balance_after_reassignment,
            test_add_remove_two_consumers_two_topics,
            test_poor_round_robin_assignment_scenario,
            test_add_remove_topic_two_consumers,
            test_reassignment_after_one_consumer_leaves,
            test_reassignment_after_one_consumer_added,
            test_same_subscriptions,
            test_large_assignment_and_group_with_uniform_subscription,
            test_subscription_not_equal_and_assign_same_partition_with3_generation,
            test_new_subscription,
            test_move_existing_assignments,
            test_stickiness,
            test_assignment_updated_for_deleted_topic,
            test_no_exception_thrown_when_only_subscribed_topic_deleted,
            test_all_consumers_reach_expected_quota_and_are_considered_filled,
            test_owned_partitions_are_invalidated_for_consumer_with_stale_generation,
            test_owned_partitions_are_invalidated_for_consumer_with_no_generation,
            test_partitions_transferring_ownership_include_the_partition_claimed_by_multiple_consumers_in_same_generation,
            test_ensure_partitions_assigned_to_highest_generation,
            test_no_reassignment_on_current_members,
            test_owned_partitions_are_invalidated_for_consumer_with_multiple_generation,
            test_rack_aware_assignment_with_uniform_subscription_without_racks,
            test_rack_aware_assignment_with_non_equal_subscription_without_racks,
        );
    };
}

/// `AbstractStickyAssignorTest` run as `StickyAssignorTest`, plus `StickyAssignorTest`'s own.
mod sticky_assignor {
    use super::*;
    abstract_sticky_assignor_tests!(AssignmentStrategy::Sticky);

    const S: AssignmentStrategy = AssignmentStrategy::Sticky;

    #[test]
    fn test_all_consumers_have_owned_partition_invalidated_when_claimed_by_multiple_consumers_in_same_generation_with_equal_partitions_per_consumer(
    ) {
        let mut inp = input(
            &[("topic", 3)],
            vec![
                owning(
                    "consumer1",
                    &["topic"],
                    &["topic-0", "topic-1"],
                    GENERATION_ID,
                ),
                owning(
                    "consumer2",
                    &["topic"],
                    &["topic-0", "topic-2"],
                    GENERATION_ID,
                ),
                owning("consumer3", &["topic"], &[], GENERATION_ID),
            ],
        );
        let a = run(S, &inp);
        assert_eq!(a["consumer1"], tps(&["topic-1"]));
        assert_eq!(a["consumer2"], tps(&["topic-2"]));
        assert_eq!(a["consumer3"], tps(&["topic-0"]));
        let a = verified(S, &mut inp, a);
        assert!(is_fully_balanced(&a));
    }

    #[test]
    fn test_all_consumers_have_owned_partition_invalidated_when_claimed_by_multiple_consumers_in_same_generation_with_unequal_partitions_per_consumer(
    ) {
        let mut inp = input(
            &[("topic", 4)],
            vec![
                owning(
                    "consumer1",
                    &["topic"],
                    &["topic-0", "topic-1"],
                    GENERATION_ID,
                ),
                owning(
                    "consumer2",
                    &["topic"],
                    &["topic-0", "topic-2"],
                    GENERATION_ID,
                ),
                owning("consumer3", &["topic"], &[], GENERATION_ID),
            ],
        );
        let a = run(S, &inp);
        assert_eq!(a["consumer1"], tps(&["topic-1", "topic-3"]));
        assert_eq!(a["consumer2"], tps(&["topic-2"]));
        assert_eq!(a["consumer3"], tps(&["topic-0"]));
        let a = verified(S, &mut inp, a);
        assert!(is_fully_balanced(&a));
    }

    fn multiple_generations1(equal: bool) {
        let all = ["topic", "topic2"];
        let c2_topics: &[&str] = if equal { &all } else { &["topic"] };
        let mut inp = input(
            &[("topic", 6), ("topic2", 6)],
            vec![
                member("consumer1", &all),
                member("consumer2", c2_topics),
                member("consumer3", &all),
            ],
        );
        let a = run(S, &inp);
        let (r1p1, r1p2, r1p3) = (
            a["consumer1"].clone(),
            a["consumer2"].clone(),
            a["consumer3"].clone(),
        );
        assert!(r1p1.len() == 4 && r1p2.len() == 4 && r1p3.len() == 4);
        let a = verified(S, &mut inp, a);
        assert!(is_fully_balanced(&a));

        put(
            &mut inp,
            owning_list("consumer1", &all, &r1p1, GENERATION_ID),
        );
        put(
            &mut inp,
            owning_list("consumer2", c2_topics, &r1p2, GENERATION_ID),
        );
        remove(&mut inp, "consumer3");
        let a = run(S, &inp);
        let (r2p1, r2p2) = (a["consumer1"].clone(), a["consumer2"].clone());
        assert!(r2p1.len() == 6 && r2p2.len() == 6);
        if equal {
            assert!(r1p1.iter().all(|tp| r2p1.contains(tp)));
        }
        assert!(r1p2.iter().all(|tp| r2p2.contains(tp)));
        let a = verified(S, &mut inp, a);
        assert!(is_fully_balanced(&a));
        assert!(r2p2.iter().any(|tp| r1p3.contains(tp)));

        remove(&mut inp, "consumer1");
        put(&mut inp, owning_list("consumer2", c2_topics, &r2p2, 2));
        put(&mut inp, owning_list("consumer3", &all, &r1p3, 1));
        let a = run(S, &inp);
        let (r3p2, r3p3) = (a["consumer2"].clone(), a["consumer3"].clone());
        assert!(r3p2.len() == 6 && r3p3.len() == 6);
        assert!(r3p2.iter().all(|tp| !r3p3.contains(tp)));
        let a = verified(S, &mut inp, a);
        assert!(is_fully_balanced(&a));
    }

    #[test]
    fn test_assignment_with_multiple_generations1() {
        multiple_generations1(true);
        multiple_generations1(false);
    }

    fn multiple_generations2(equal: bool) {
        let all = ["topic", "topic2", "topic3"];
        let c1_topics: &[&str] = if equal { &all } else { &["topic"] };
        let c3_topics: &[&str] = if equal { &all } else { &["topic", "topic2"] };
        let mut inp = input(
            &[("topic", 4), ("topic2", 4), ("topic3", 4)],
            vec![
                member("consumer1", c1_topics),
                member("consumer2", &all),
                member("consumer3", c3_topics),
            ],
        );
        let a = run(S, &inp);
        let (r1p1, r1p2, r1p3) = (
            a["consumer1"].clone(),
            a["consumer2"].clone(),
            a["consumer3"].clone(),
        );
        assert!(r1p1.len() == 4 && r1p2.len() == 4 && r1p3.len() == 4);
        let a = verified(S, &mut inp, a);
        assert!(is_fully_balanced(&a));

        remove(&mut inp, "consumer1");
        put(&mut inp, owning_list("consumer2", &all, &r1p2, 1));
        remove(&mut inp, "consumer3");
        let a = run(S, &inp);
        let r2p2 = a["consumer2"].clone();
        assert_eq!(r2p2.len(), 12);
        assert!(r1p2.iter().all(|tp| r2p2.contains(tp)));
        let a = verified(S, &mut inp, a);
        assert!(is_fully_balanced(&a));

        put(&mut inp, owning_list("consumer1", c1_topics, &r1p1, 1));
        put(&mut inp, owning_list("consumer2", &all, &r2p2, 2));
        put(&mut inp, owning_list("consumer3", c3_topics, &r1p3, 1));
        let a = run(S, &inp);
        assert!(a.values().all(|l| l.len() == 4), "{a:?}");
        let a = verified(S, &mut inp, a);
        assert!(is_fully_balanced(&a));
    }

    #[test]
    fn test_assignment_with_multiple_generations2() {
        multiple_generations2(true);
        multiple_generations2(false);
    }

    fn conflicting_previous_generations(equal: bool) {
        let all = ["topic", "topic2", "topic3"];
        let c1_topics: &[&str] = if equal { &all } else { &["topic"] };
        let c2_topics: &[&str] = if equal { &all } else { &["topic", "topic2"] };
        let c1p0: &[&str] = if equal {
            &[
                "topic-0", "topic-1", "topic-2", "topic2-2", "topic2-3", "topic3-0",
            ]
        } else {
            &["topic-0", "topic-1", "topic-2", "topic-3"]
        };
        let c2p0 = [
            "topic-0", "topic-1", "topic2-0", "topic2-1", "topic2-2", "topic2-3",
        ];
        let c3p0 = [
            "topic-2", "topic-3", "topic3-0", "topic3-1", "topic3-2", "topic3-3",
        ];
        let mut inp = input(
            &[("topic", 4), ("topic2", 4), ("topic3", 4)],
            vec![
                owning("consumer1", c1_topics, c1p0, 1),
                owning("consumer2", c2_topics, &c2p0, 2),
                owning("consumer3", &all, &c3p0, 2),
            ],
        );
        let a = run(S, &inp);
        assert!(a.values().all(|l| l.len() == 4), "{a:?}");
        assert!(a["consumer2"].iter().all(|tp| tps(&c2p0).contains(tp)));
        assert!(a["consumer3"].iter().all(|tp| tps(&c3p0).contains(tp)));
        let a = verified(S, &mut inp, a);
        assert!(is_fully_balanced(&a));
    }

    #[test]
    fn test_assignment_with_conflicting_previous_generations() {
        conflicting_previous_generations(true);
        conflicting_previous_generations(false);
    }

    /// consumer2 reports its partitions in the old user-data schema, without a generation.
    #[test]
    fn test_schema_backward_compatibility() {
        let mut inp = input(
            &[("topic", 3)],
            vec![
                owning("consumer1", &["topic"], &["topic-0", "topic-2"], 1),
                owning("consumer2", &["topic"], &["topic-1"], NO_GENERATION),
                member("consumer3", &["topic"]),
            ],
        );
        let a = run(S, &inp);
        assert!(a.values().all(|l| l.len() == 1), "{a:?}");
        assert!(tps(&["topic-0", "topic-2"]).contains(&a["consumer1"][0]));
        assert_eq!(a["consumer2"], tps(&["topic-1"]));
        let a = verified(S, &mut inp, a);
        assert!(is_fully_balanced(&a));
    }

    #[test]
    fn test_assignor_with_old_version_subscriptions() {
        let mut inp = input(
            &[("topic1", 3)],
            vec![
                owning("consumer1", &["topic1"], &["topic1-0"], GENERATION_ID),
                owning("consumer2", &["topic1"], &["topic1-1"], GENERATION_ID),
                owning("consumer3", &["topic1"], &[], GENERATION_ID),
            ],
        );
        let a = run(S, &inp);
        assert_eq!(a["consumer1"], tps(&["topic1-0"]));
        assert_eq!(a["consumer2"], tps(&["topic1-1"]));
        assert_eq!(a["consumer3"], tps(&["topic1-2"]));
        let a = verified(S, &mut inp, a);
        assert!(is_fully_balanced(&a));
    }
}

/// `AbstractStickyAssignorTest` run as `CooperativeStickyAssignorTest`, plus its own cases.
mod cooperative_sticky_assignor {
    use super::*;
    abstract_sticky_assignor_tests!(AssignmentStrategy::CooperativeSticky);

    const S: AssignmentStrategy = AssignmentStrategy::CooperativeSticky;

    /// topic-0 is claimed by two members of one generation: it counts as owned, so nobody may
    /// get it until both have revoked it.
    #[test]
    fn test_all_consumers_have_owned_partition_invalidated_when_claimed_by_multiple_consumers_in_same_generation_with_equal_partitions_per_consumer(
    ) {
        let mut inp = input(
            &[("topic", 3)],
            vec![
                owning(
                    "consumer1",
                    &["topic"],
                    &["topic-0", "topic-1"],
                    GENERATION_ID,
                ),
                owning(
                    "consumer2",
                    &["topic"],
                    &["topic-0", "topic-2"],
                    GENERATION_ID,
                ),
                owning("consumer3", &["topic"], &[], GENERATION_ID),
            ],
        );
        let a = run(S, &inp);
        assert_eq!(a["consumer1"], tps(&["topic-1"]));
        assert_eq!(a["consumer2"], tps(&["topic-2"]));
        assert!(a["consumer3"].is_empty());
        let a = verified(S, &mut inp, a);
        assert!(is_fully_balanced(&a));
    }

    #[test]
    fn test_all_consumers_have_owned_partition_invalidated_when_claimed_by_multiple_consumers_in_same_generation_with_unequal_partitions_per_consumer(
    ) {
        let mut inp = input(
            &[("topic", 4)],
            vec![
                owning(
                    "consumer1",
                    &["topic"],
                    &["topic-0", "topic-1"],
                    GENERATION_ID,
                ),
                owning(
                    "consumer2",
                    &["topic"],
                    &["topic-0", "topic-2"],
                    GENERATION_ID,
                ),
                owning("consumer3", &["topic"], &[], GENERATION_ID),
            ],
        );
        let a = run(S, &inp);
        assert_eq!(a["consumer1"], tps(&["topic-1", "topic-3"]));
        assert_eq!(a["consumer2"], tps(&["topic-2"]));
        assert!(a["consumer3"].is_empty());
        let a = verified(S, &mut inp, a);
        assert!(is_fully_balanced(&a));
    }

    #[test]
    fn test_assignor_with_old_version_subscriptions() {
        let mut inp = input(
            &[("topic1", 3)],
            vec![
                owning("consumer1", &["topic1"], &["topic1-0"], GENERATION_ID),
                owning("consumer2", &["topic1"], &["topic1-1"], GENERATION_ID),
                owning("consumer3", &["topic1"], &[], GENERATION_ID),
            ],
        );
        let a = run(S, &inp);
        assert_eq!(a["consumer1"], tps(&["topic1-0"]));
        assert_eq!(a["consumer2"], tps(&["topic1-1"]));
        assert_eq!(a["consumer3"], tps(&["topic1-2"]));
        let a = verified(S, &mut inp, a);
        assert!(is_fully_balanced(&a));
    }

    /// The cooperative half of `testRackAwareAssignmentWithNonEqualSubscription` whose racks
    /// all match (so Kafka does not use rack-aware assignment): from a misaligned owned
    /// assignment, first an intermediate round with the moving partitions withheld, then the
    /// final one.
    #[test]
    fn test_rack_aware_assignment_with_non_equal_subscription_owned_without_racks() {
        let topics: [&[&str]; 3] = [&ALL_T, &ALL_T, &["t1", "t3"]];
        let owned = [
            "t1-0, t1-1, t1-2, t1-3, t1-4",
            "t1-5, t2-0, t2-1, t2-2, t2-3",
            "t2-4, t2-5, t2-6, t3-0, t3-1",
        ];
        let intermediate = ["t1-2, t1-3, t1-4", "t2-0, t2-1, t2-2, t2-3", "t3-0, t3-1"];
        let assignment = [
            "t1-2, t1-3, t1-4, t2-4, t2-5",
            "t2-0, t2-1, t2-2, t2-3, t2-6",
            "t1-0, t1-1, t1-5, t3-0, t3-1",
        ];
        verify_assignment(S, &RACK_TOPICS, &topics, &owned, &intermediate);
        verify_assignment(S, &RACK_TOPICS, &topics, &intermediate, &assignment);
    }
}

fn owning_list(
    id: &str,
    topics: &[&str],
    owned: &[TopicPartition],
    generation: i32,
) -> MemberSubscription {
    MemberSubscription {
        owned_partitions: owned.to_vec(),
        ..owning(id, topics, &[], generation)
    }
}

/// Kafka's quirk: `performReassignments` gives a partition back to its owner in an older
/// generation (`prevAssignment`) without checking that this member still subscribes to the
/// topic. Here "b" (generation 1) once owned t-0 and now subscribes only to u; "a" (generation
/// 2) owns all of t; balancing hands t-0 back to "b". Real clients reach this only when a
/// member's subscription changed while it missed a generation.
#[test]
fn previous_generation_owner_gets_a_partition_back_without_subscribing_like_kafka() {
    for strategy in [
        AssignmentStrategy::Sticky,
        AssignmentStrategy::CooperativeSticky,
    ] {
        let inp = input(
            &[("t", 4), ("u", 1)],
            vec![
                owning("a", &["t"], &["t-0", "t-1", "t-2", "t-3"], 2),
                owning("c", &["t"], &[], 2),
                owning("b", &["u"], &["t-0"], 1),
                owning("d", &["u"], &[], 2),
            ],
        );
        let a = run(strategy, &inp);
        assert!(
            a["b"].contains(&"t-0".parse().unwrap()),
            "{strategy}: {a:?}"
        );
    }
}

/// The same situation when "b"'s own assignment cannot change (it is the only subscriber of
/// u and has all of it): Kafka looks up "b" among the reassignable members and throws a
/// `NullPointerException`; we return the matching error.
#[test]
fn previous_generation_owner_with_a_fixed_assignment_fails_like_kafka() {
    let inp = input(
        &[("t", 4), ("u", 1)],
        vec![
            owning("a", &["t"], &["t-0", "t-1", "t-2", "t-3"], 2),
            owning("c", &["t"], &[], 2),
            owning("b", &["u"], &["t-0"], 1),
        ],
    );
    assert!(matches!(
        assign(AssignmentStrategy::Sticky, &inp),
        Err(crate::assignor::AssignorError::KafkaAssignorFails {
            strategy: "sticky",
            ..
        })
    ));
}
