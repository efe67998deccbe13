//! Port of Kafka's `RangeAssignor` (without rack awareness, which this engine does not model).
//!
//! Per topic, the subscribed members are sorted by member id and the partitions are split
//! into contiguous ranges: each member gets `partitions / members`, and the first
//! `partitions % members` members get one more.

use super::{Assignment, AssignmentInput, TopicPartition};

pub(super) fn assign(input: &AssignmentInput) -> Assignment {
    let mut result: Assignment = input
        .members
        .iter()
        .map(|m| (m.member_id.clone(), Vec::new()))
        .collect();
    for (topic, &partitions) in &input.topics {
        let mut consumers: Vec<&str> = input
            .members
            .iter()
            .filter(|m| m.topics.iter().any(|t| t == topic))
            .map(|m| m.member_id.as_str())
            .collect();
        if consumers.is_empty() {
            continue;
        }
        consumers.sort_unstable();
        let n = consumers.len() as u32;
        let per = partitions / n;
        let extra = partitions % n;
        for (i, member) in consumers.iter().enumerate() {
            let i = i as u32;
            let start = per * i + i.min(extra);
            let len = per + u32::from(i < extra);
            let owned = result.get_mut(*member).expect("every member has an entry");
            owned.extend((start..start + len).map(|p| TopicPartition::new(topic.clone(), p)));
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::super::{assign, AssignmentStrategy, MemberSubscription};
    use super::*;
    use std::collections::BTreeMap;

    fn member(id: &str, topics: &[&str]) -> MemberSubscription {
        MemberSubscription {
            member_id: id.into(),
            topics: topics.iter().map(|t| t.to_string()).collect(),
            owned_partitions: vec![],
            generation: -1,
        }
    }

    fn tps(list: &[&str]) -> Vec<TopicPartition> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    /// The example in `RangeAssignor`'s Javadoc: two consumers, two topics of 3 partitions.
    #[test]
    fn kafka_javadoc_example_two_consumers_two_topics() {
        let input = AssignmentInput {
            topics: BTreeMap::from([("t0".into(), 3), ("t1".into(), 3)]),
            members: vec![member("C0", &["t0", "t1"]), member("C1", &["t0", "t1"])],
        };
        let a = assign(AssignmentStrategy::Range, &input).unwrap();
        assert_eq!(a["C0"], tps(&["t0-0", "t0-1", "t1-0", "t1-1"]));
        assert_eq!(a["C1"], tps(&["t0-2", "t1-2"]));
    }

    #[test]
    fn members_beyond_partition_count_stay_idle() {
        let input = AssignmentInput {
            topics: BTreeMap::from([("t".into(), 6)]),
            members: (1..=7).map(|i| member(&format!("c{i}"), &["t"])).collect(),
        };
        let a = assign(AssignmentStrategy::Range, &input).unwrap();
        assert_eq!(a.len(), 7);
        assert!(a["c7"].is_empty());
        assert_eq!(a.values().map(Vec::len).sum::<usize>(), 6);
    }
}
