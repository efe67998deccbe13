//! Port of Kafka's `RoundRobinAssignor`.
//!
//! All partitions of all subscribed topics are laid out sorted (topics in name order, then by
//! partition number) and handed out one by one to the members in Kafka's `MemberInfo` order
//! (static members first, by `group.instance.id`, then dynamic ones by member id), wrapping
//! around (Kafka's `CircularIterator`). A member not subscribed to a partition's topic is
//! skipped. With identical subscriptions the counts differ by at most one; with different
//! subscriptions the result can be unbalanced, exactly as in Kafka.

use super::{java, Prepared, TopicPartition};

pub(super) fn assign(input: &Prepared) -> Vec<Vec<TopicPartition>> {
    let mut result: Vec<Vec<TopicPartition>> = vec![Vec::new(); input.members.len()];
    let members = input.members_in_member_info_order();

    // `allPartitionsSorted`: a TreeSet of every subscribed topic, then its partitions.
    let mut topics: Vec<&String> = input.partitions_per_topic.keys().collect();
    crate::sort::sort_by(&mut topics, |a, b| java::compare_strings(a, b));

    let mut next = 0usize; // the circular iterator's position in `members`
    for topic in topics {
        for partition in 0..input.partitions_per_topic[topic] {
            // Some member subscribes to `topic` (it is in `partitions_per_topic` because of
            // that), so this loop ends within one turn.
            while !input.members[members[next]].topics.contains(topic) {
                next = (next + 1) % members.len();
            }
            result[members[next]].push(TopicPartition::new(topic.clone(), partition));
            next = (next + 1) % members.len();
        }
    }
    result
}

#[cfg(test)]
mod tests {
    //! Ported from Kafka's `clients/src/test/java/org/apache/kafka/clients/consumer/RoundRobinAssignorTest.java`
    //! (the static-membership cases are vectors in
    //! `engine/tests/data/kafka_assignor_vectors.txt`), plus the examples in
    //! `RoundRobinAssignor`'s Javadoc.
    use super::super::test_support::*;
    use super::super::{assign, Assignment, AssignmentStrategy, MemberSubscription};
    use std::collections::BTreeMap;

    fn round_robin(topics: &[(&str, u32)], members: Vec<MemberSubscription>) -> Assignment {
        assign(AssignmentStrategy::RoundRobin, &input(topics, members)).unwrap()
    }

    #[test]
    fn test_one_consumer_no_topic() {
        let a = round_robin(&[], vec![member("consumer", &[])]);
        assert_eq!(a, BTreeMap::from([("consumer".to_string(), vec![])]));
    }

    #[test]
    fn test_one_consumer_nonexistent_topic() {
        let a = round_robin(&[], vec![member("consumer", &["topic"])]);
        assert_eq!(a, BTreeMap::from([("consumer".to_string(), vec![])]));
    }

    #[test]
    fn test_one_consumer_one_topic() {
        let a = round_robin(&[("topic", 3)], vec![member("consumer", &["topic"])]);
        assert_eq!(a["consumer"], tps(&["topic-0", "topic-1", "topic-2"]));
    }

    #[test]
    fn test_only_assigns_partitions_from_subscribed_topics() {
        let a = round_robin(
            &[("topic", 3), ("other", 3)],
            vec![member("consumer", &["topic"])],
        );
        assert_eq!(a["consumer"], tps(&["topic-0", "topic-1", "topic-2"]));
    }

    #[test]
    fn test_one_consumer_multiple_topics() {
        let a = round_robin(
            &[("topic1", 1), ("topic2", 2)],
            vec![member("consumer", &["topic1", "topic2"])],
        );
        assert_eq!(a["consumer"], tps(&["topic1-0", "topic2-0", "topic2-1"]));
    }

    #[test]
    fn test_two_consumers_one_topic_one_partition() {
        let a = round_robin(
            &[("topic", 1)],
            vec![
                member("consumer1", &["topic"]),
                member("consumer2", &["topic"]),
            ],
        );
        assert_eq!(a["consumer1"], tps(&["topic-0"]));
        assert!(a["consumer2"].is_empty());
    }

    #[test]
    fn test_two_consumers_one_topic_two_partitions() {
        let a = round_robin(
            &[("topic", 2)],
            vec![
                member("consumer1", &["topic"]),
                member("consumer2", &["topic"]),
            ],
        );
        assert_eq!(a["consumer1"], tps(&["topic-0"]));
        assert_eq!(a["consumer2"], tps(&["topic-1"]));
    }

    #[test]
    fn test_multiple_consumers_mixed_topics() {
        let a = round_robin(
            &[("topic1", 3), ("topic2", 2)],
            vec![
                member("consumer1", &["topic1"]),
                member("consumer2", &["topic1", "topic2"]),
                member("consumer3", &["topic1"]),
            ],
        );
        assert_eq!(a["consumer1"], tps(&["topic1-0"]));
        assert_eq!(a["consumer2"], tps(&["topic1-1", "topic2-0", "topic2-1"]));
        assert_eq!(a["consumer3"], tps(&["topic1-2"]));
    }

    #[test]
    fn test_two_dynamic_consumers_two_topics_six_partitions() {
        let a = round_robin(
            &[("topic1", 3), ("topic2", 3)],
            vec![
                member("consumer1", &["topic1", "topic2"]),
                member("consumer2", &["topic1", "topic2"]),
            ],
        );
        assert_eq!(a["consumer1"], tps(&["topic1-0", "topic1-2", "topic2-1"]));
        assert_eq!(a["consumer2"], tps(&["topic1-1", "topic2-0", "topic2-2"]));
    }

    /// `RoundRobinAssignor` Javadoc, identical subscriptions.
    #[test]
    fn kafka_javadoc_example_identical_subscriptions() {
        let a = round_robin(
            &[("t0", 3), ("t1", 3)],
            vec![member("C0", &["t0", "t1"]), member("C1", &["t0", "t1"])],
        );
        assert_eq!(a["C0"], tps(&["t0-0", "t0-2", "t1-1"]));
        assert_eq!(a["C1"], tps(&["t0-1", "t1-0", "t1-2"]));
    }

    /// `RoundRobinAssignor` Javadoc, different subscriptions (the unbalanced case).
    #[test]
    fn kafka_javadoc_example_different_subscriptions() {
        let a = round_robin(
            &[("t0", 1), ("t1", 2), ("t2", 3)],
            vec![
                member("C0", &["t0"]),
                member("C1", &["t0", "t1"]),
                member("C2", &["t0", "t1", "t2"]),
            ],
        );
        assert_eq!(a["C0"], tps(&["t0-0"]));
        assert_eq!(a["C1"], tps(&["t1-0"]));
        assert_eq!(a["C2"], tps(&["t1-1", "t2-0", "t2-1", "t2-2"]));
    }

    /// The idle seventh consumer from the seed documents: 6 partitions, 7 consumers.
    #[test]
    fn members_beyond_partition_count_stay_idle() {
        let a = round_robin(
            &[("t", 6)],
            (1..=7).map(|i| member(&format!("c{i}"), &["t"])).collect(),
        );
        assert!(a["c7"].is_empty());
        assert!(is_fully_balanced(&a));
    }
}
