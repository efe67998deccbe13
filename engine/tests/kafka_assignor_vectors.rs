//! Differential vectors: random groups (topics, subscriptions, owned partitions with
//! conflicting claims and mixed generations) assigned by Apache Kafka's own assignor source
//! (`RangeAssignor`, `RoundRobinAssignor`, `AbstractStickyAssignor` with `StickyAssignor` and
//! `CooperativeStickyAssignor`), compiled and run on a JVM through
//! `AbstractPartitionAssignor.assign(Cluster, GroupSubscription)` with a `HashMap` of
//! subscriptions filled in member order, no racks. The data file's header says exactly how.
//! Each `EXPECT` line is one member's list exactly as Kafka returned it, in Kafka's order;
//! `ERROR` means Kafka threw.
//!
//! The `k*` cases are Kafka's own static-membership tests (`RangeAssignorTest`,
//! `RoundRobinAssignorTest`), transcribed by hand (see the data file's header).
//!
//! File format, one case per `CASE id strategy` ... `END` block:
//! `TOPIC name partitions`, `MEMBER id generation topic,topic|- owned,owned|- [instance]`
//! (the optional last field is the member's `group.instance.id`),
//! `EXPECT id partition,partition|-`.

use orderflow_engine::assignor::{
    assign, AssignmentInput, AssignmentStrategy, AssignorError, MemberSubscription,
};
use std::collections::BTreeMap;

const VECTORS: &str = include_str!("data/kafka_assignor_vectors.txt");

fn list(field: &str) -> Vec<String> {
    if field == "-" {
        vec![]
    } else {
        field.split(',').map(str::to_string).collect()
    }
}

struct Case {
    id: String,
    strategy: AssignmentStrategy,
    input: AssignmentInput,
    /// `None`: Kafka throws.
    expected: Option<BTreeMap<String, Vec<String>>>,
}

fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    let mut current: Option<Case> = None;
    for line in VECTORS
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let f: Vec<&str> = line.split(' ').collect();
        match f[0] {
            "CASE" => {
                current = Some(Case {
                    id: f[1].to_string(),
                    strategy: f[2].parse().unwrap(),
                    input: AssignmentInput {
                        topics: BTreeMap::new(),
                        members: vec![],
                    },
                    expected: Some(BTreeMap::new()),
                })
            }
            "TOPIC" => {
                let case = current.as_mut().unwrap();
                case.input.topics.insert(f[1].into(), f[2].parse().unwrap());
            }
            "MEMBER" => {
                let case = current.as_mut().unwrap();
                case.input.members.push(MemberSubscription {
                    member_id: f[1].into(),
                    generation: f[2].parse().unwrap(),
                    topics: list(f[3]),
                    owned_partitions: list(f[4]).iter().map(|s| s.parse().unwrap()).collect(),
                    group_instance_id: f.get(5).map(|id| id.to_string()),
                });
            }
            "EXPECT" => {
                let case = current.as_mut().unwrap();
                case.expected
                    .as_mut()
                    .unwrap()
                    .insert(f[1].into(), list(f[2]));
            }
            "ERROR" => current.as_mut().unwrap().expected = None,
            "END" => cases.push(current.take().unwrap()),
            other => panic!("unexpected line kind {other:?}"),
        }
    }
    cases
}

#[test]
fn assignors_match_kafkas_own_code_on_random_groups() {
    let cases = cases();
    assert!(cases.len() >= 5000, "{} cases", cases.len());
    let mut mismatches = Vec::new();
    for case in &cases {
        let actual = assign(case.strategy, &case.input);
        let matches = match (&case.expected, &actual) {
            (Some(expected), Ok(assignment)) => {
                let actual: BTreeMap<String, Vec<String>> = assignment
                    .iter()
                    .map(|(m, l)| (m.clone(), l.iter().map(ToString::to_string).collect()))
                    .collect();
                &actual == expected
            }
            (None, Err(AssignorError::KafkaAssignorFails { .. })) => true,
            _ => false,
        };
        if !matches {
            mismatches.push(format!(
                "case {} ({}): Kafka {:?}, ours {:?}",
                case.id, case.strategy, case.expected, actual
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} cases differ from Kafka:\n{}",
        mismatches.len(),
        cases.len(),
        mismatches[..mismatches.len().min(5)].join("\n")
    );
}

/// Kafka's static-membership cases are among the vectors (and pass with the rest above); the
/// member-id-change pairs really change member ids and keep instance ids.
#[test]
fn kafkas_static_member_cases_are_present() {
    let cases = cases();
    let static_cases: Vec<&Case> = cases.iter().filter(|c| c.id.starts_with("k-")).collect();
    assert_eq!(static_cases.len(), 12);
    assert!(static_cases.iter().all(|c| c
        .input
        .members
        .iter()
        .any(|m| m.group_instance_id.is_some())));
    for strategy in ["range", "roundrobin"] {
        let run = |suffix: &str| {
            let id = format!("k-{strategy}-member-ids-change-{suffix}");
            let case = cases.iter().find(|c| c.id == id).expect("case exists");
            let by_instance: BTreeMap<String, Vec<String>> = case
                .input
                .members
                .iter()
                .map(|m| {
                    let expected = case.expected.as_ref().unwrap()[&m.member_id].clone();
                    (m.group_instance_id.clone().unwrap(), expected)
                })
                .collect();
            let ids: Vec<String> = case
                .input
                .members
                .iter()
                .map(|m| m.member_id.clone())
                .collect();
            (by_instance, ids)
        };
        let (before, ids_before) = run("a");
        let (after, ids_after) = run("b");
        assert_ne!(ids_before, ids_after);
        assert_eq!(before, after, "{strategy}: same partitions per instance");
    }
}
