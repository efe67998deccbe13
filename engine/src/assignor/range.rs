//! Port of Kafka's `RangeAssignor` (without rack awareness, which this engine does not model).
//!
//! Per topic, the subscribed members are sorted like Kafka's `MemberInfo` (static members
//! first, by `group.instance.id`, then dynamic members by member id) and the partitions are split
//! into contiguous ranges: each member gets `partitions / members`, and the first
//! `partitions % members` members get one more. Kafka's current implementation
//! (`assignRanges` over a `TopicAssignmentState`) hands each member, in that order, the first
//! `maxAssignable` still-unassigned partitions, which is the same split. Topics are visited
//! in the iteration order of Kafka's `partitionsPerTopic` hash map, which only decides the
//! order of each member's list.

use super::{Prepared, TopicPartition};

pub(super) fn assign(input: &Prepared) -> Vec<Vec<TopicPartition>> {
    let mut result: Vec<Vec<TopicPartition>> = vec![Vec::new(); input.members.len()];
    let sorted = input.members_in_member_info_order();
    for topic in input.partitions_per_topic_order() {
        let partitions = input.partitions_per_topic[&topic];
        let consumers: Vec<usize> = sorted
            .iter()
            .copied()
            .filter(|&m| input.members[m].topics.contains(&topic))
            .collect();
        if consumers.is_empty() {
            continue;
        }
        let n = consumers.len() as u32;
        let per_consumer = partitions / n;
        let with_extra = partitions % n;
        for (i, &member) in consumers.iter().enumerate() {
            let i = i as u32;
            let start = per_consumer * i + i.min(with_extra);
            let length = per_consumer + u32::from(i < with_extra);
            result[member]
                .extend((start..start + length).map(|p| TopicPartition::new(topic.clone(), p)));
        }
    }
    result
}

#[cfg(test)]
mod tests {
    //! Ported from Kafka's `clients/src/test/java/org/apache/kafka/clients/consumer/RangeAssignorTest.java`
    //! (the cases without racks, which this engine does not model; the static-membership
    //! cases are vectors in `engine/tests/data/kafka_assignor_vectors.txt`).
    use super::super::test_support::*;
    use super::super::{assign, AssignmentInput, AssignmentStrategy};
    use std::collections::BTreeMap;

    fn range(
        topics: &[(&str, u32)],
        members: Vec<super::super::MemberSubscription>,
    ) -> super::super::Assignment {
        let input = AssignmentInput {
            topics: topics.iter().map(|(t, n)| (t.to_string(), *n)).collect(),
            members,
        };
        assign(AssignmentStrategy::Range, &input).unwrap()
    }

    /// The example in `RangeAssignor`'s Javadoc: two consumers, two topics of 3 partitions.
    #[test]
    fn kafka_javadoc_example_two_consumers_two_topics() {
        let a = range(
            &[("t0", 3), ("t1", 3)],
            vec![member("C0", &["t0", "t1"]), member("C1", &["t0", "t1"])],
        );
        assert_eq!(sorted(&a["C0"]), tps(&["t0-0", "t0-1", "t1-0", "t1-1"]));
        assert_eq!(sorted(&a["C1"]), tps(&["t0-2", "t1-2"]));
    }

    #[test]
    fn test_one_consumer_no_topic() {
        let a = range(&[], vec![member("consumer1", &[])]);
        assert_eq!(a, BTreeMap::from([("consumer1".to_string(), vec![])]));
    }

    #[test]
    fn test_one_consumer_nonexistent_topic() {
        let a = range(&[], vec![member("consumer1", &["topic1"])]);
        assert_eq!(a, BTreeMap::from([("consumer1".to_string(), vec![])]));
    }

    #[test]
    fn test_one_consumer_one_topic() {
        let a = range(&[("topic1", 3)], vec![member("consumer1", &["topic1"])]);
        assert_eq!(a["consumer1"], tps(&["topic1-0", "topic1-1", "topic1-2"]));
    }

    #[test]
    fn test_only_assigns_partitions_from_subscribed_topics() {
        let a = range(
            &[("topic1", 3), ("other", 3)],
            vec![member("consumer1", &["topic1"])],
        );
        assert_eq!(a["consumer1"], tps(&["topic1-0", "topic1-1", "topic1-2"]));
    }

    #[test]
    fn test_one_consumer_multiple_topics() {
        let a = range(
            &[("topic1", 1), ("topic2", 2)],
            vec![member("consumer1", &["topic1", "topic2"])],
        );
        assert_eq!(
            sorted(&a["consumer1"]),
            tps(&["topic1-0", "topic2-0", "topic2-1"])
        );
    }

    #[test]
    fn test_two_consumers_one_topic_one_partition() {
        let a = range(
            &[("topic1", 1)],
            vec![
                member("consumer1", &["topic1"]),
                member("consumer2", &["topic1"]),
            ],
        );
        assert_eq!(a["consumer1"], tps(&["topic1-0"]));
        assert!(a["consumer2"].is_empty());
    }

    #[test]
    fn test_two_consumers_one_topic_two_partitions() {
        let a = range(
            &[("topic1", 2)],
            vec![
                member("consumer1", &["topic1"]),
                member("consumer2", &["topic1"]),
            ],
        );
        assert_eq!(a["consumer1"], tps(&["topic1-0"]));
        assert_eq!(a["consumer2"], tps(&["topic1-1"]));
    }

    #[test]
    fn test_multiple_consumers_mixed_topics() {
        let a = range(
            &[("topic1", 3), ("topic2", 2)],
            vec![
                member("consumer1", &["topic1"]),
                member("consumer2", &["topic1", "topic2"]),
                member("consumer3", &["topic1"]),
            ],
        );
        assert_eq!(a["consumer1"], tps(&["topic1-0"]));
        assert_eq!(
            sorted(&a["consumer2"]),
            tps(&["topic1-1", "topic2-0", "topic2-1"])
        );
        assert_eq!(a["consumer3"], tps(&["topic1-2"]));
    }

    #[test]
    fn test_two_consumers_two_topics_six_partitions() {
        let a = range(
            &[("topic1", 3), ("topic2", 3)],
            vec![
                member("consumer1", &["topic1", "topic2"]),
                member("consumer2", &["topic1", "topic2"]),
            ],
        );
        assert_eq!(
            sorted(&a["consumer1"]),
            tps(&["topic1-0", "topic1-1", "topic2-0", "topic2-1"])
        );
        assert_eq!(sorted(&a["consumer2"]), tps(&["topic1-2", "topic2-2"]));
    }

    #[test]
    fn members_beyond_partition_count_stay_idle() {
        let a = range(
            &[("t", 6)],
            (1..=7).map(|i| member(&format!("c{i}"), &["t"])).collect(),
        );
        assert_eq!(a.len(), 7);
        assert!(a["c7"].is_empty());
        assert_eq!(a.values().map(Vec::len).sum::<usize>(), 6);
    }

    /// Kafka's `partitionsPerTopic` is a `HashMap`: "payments" (hashCode 1382682413) lands in
    /// bucket 7 of 16 and "orders" (hashCode -1008770331) in bucket 10, so a member of both
    /// lists the payments partitions first.
    #[test]
    fn each_members_list_follows_kafkas_topic_iteration_order() {
        let a = range(
            &[("orders", 1), ("payments", 1)],
            vec![member("consumer1", &["orders", "payments"])],
        );
        assert_eq!(a["consumer1"], tps(&["payments-0", "orders-0"]));
    }
}
