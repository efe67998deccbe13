//! Differential vectors: random clusters placed by Apache Kafka's own
//! `AdminUtils.assignReplicasToBrokers` (compiled and run on a JVM; the data file's header says
//! exactly how), compared with `cluster::placement::assign_replicas_to_brokers`.
//!
//! File format, one case per `CASE id` ... `END` block:
//! `BROKERS id[:rack],...` (in the order given to Kafka),
//! `PLACE partitions replication_factor fixed_start_index start_partition`, then either one
//! `EXPECT partition broker,broker,...` per partition (leader first), `ERROR message`, or
//! `OVERFLOW`. Kafka's own refusals must come back with Kafka's message. Where Kafka's `int`
//! arithmetic wraps (Kafka then throws an index out of bounds, or places from wrapped
//! numbers), ours refuses with `PlacementError::IntOverflow`, and only there.

use orderflow_engine::cluster::placement::{
    assign_replicas_to_brokers, BrokerMetadata, PlacementError,
};
use std::collections::BTreeMap;

const VECTORS: &str = include_str!("data/kafka_placement_vectors.txt");

enum Expected {
    Placement(BTreeMap<u32, Vec<i32>>),
    Error(String),
    Overflow,
}

struct Case {
    id: String,
    brokers: Vec<BrokerMetadata>,
    /// partitions, replication factor, fixed start index, start partition.
    place: [i32; 4],
    expected: Expected,
}

fn broker(field: &str) -> BrokerMetadata {
    match field.split_once(':') {
        Some((id, rack)) => BrokerMetadata::on_rack(id.parse().unwrap(), rack),
        None => BrokerMetadata::new(field.parse().unwrap()),
    }
}

fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    let mut current: Option<Case> = None;
    for line in VECTORS.lines().filter(|l| !l.starts_with('#')) {
        let (kind, rest) = line.split_once(' ').unwrap_or((line, ""));
        match kind {
            "CASE" => {
                current = Some(Case {
                    id: rest.to_string(),
                    brokers: vec![],
                    place: [0; 4],
                    expected: Expected::Placement(BTreeMap::new()),
                })
            }
            "BROKERS" => current.as_mut().unwrap().brokers = rest.split(',').map(broker).collect(),
            "PLACE" => {
                let numbers: Vec<i32> = rest.split(' ').map(|n| n.parse().unwrap()).collect();
                current.as_mut().unwrap().place = numbers.try_into().unwrap();
            }
            "EXPECT" => {
                let (partition, replicas) = rest.split_once(' ').unwrap();
                let Expected::Placement(map) = &mut current.as_mut().unwrap().expected else {
                    panic!("EXPECT after ERROR");
                };
                map.insert(
                    partition.parse().unwrap(),
                    replicas.split(',').map(|b| b.parse().unwrap()).collect(),
                );
            }
            "ERROR" => current.as_mut().unwrap().expected = Expected::Error(rest.to_string()),
            "OVERFLOW" => current.as_mut().unwrap().expected = Expected::Overflow,
            "END" => cases.push(current.take().unwrap()),
            other => panic!("unexpected line kind {other:?}"),
        }
    }
    cases
}

fn matches(case: &Case) -> Result<(), String> {
    let [partitions, factor, start, start_partition] = case.place;
    let ours =
        assign_replicas_to_brokers(&case.brokers, partitions, factor, start, start_partition).map(
            |a| {
                a.map(|(p, replicas)| (p.0, replicas.into_iter().map(|b| b.0).collect()))
                    .collect::<BTreeMap<u32, Vec<i32>>>()
            },
        );
    let ok = match (&case.expected, &ours) {
        (Expected::Placement(kafka), Ok(ours)) => kafka == ours,
        (Expected::Overflow, Err(PlacementError::IntOverflow { .. })) => true,
        (Expected::Error(kafka), Err(ours)) => {
            !matches!(ours, PlacementError::IntOverflow { .. }) && *kafka == ours.to_string()
        }
        _ => false,
    };
    if ok {
        return Ok(());
    }
    let kafka = match &case.expected {
        Expected::Placement(p) => format!("{p:?}"),
        Expected::Error(e) => e.clone(),
        Expected::Overflow => "wraps its int arithmetic".to_string(),
    };
    Err(format!("case {}: Kafka {kafka}, ours {ours:?}", case.id))
}

#[test]
fn placement_matches_kafkas_own_code_on_random_clusters() {
    let cases = cases();
    assert_eq!(cases.len(), 2500);
    let kinds = |f: fn(&Case) -> bool| cases.iter().filter(|c| f(c)).count();
    // The vectors cover both placements, Kafka's refusals and its overflows.
    assert!(
        kinds(|c| c.brokers.iter().all(|b| b.rack.is_some())
            && matches!(c.expected, Expected::Placement(_)))
            > 800
    );
    assert!(
        kinds(|c| c.brokers.iter().all(|b| b.rack.is_none())
            && matches!(c.expected, Expected::Placement(_)))
            > 800
    );
    assert!(kinds(|c| matches!(c.expected, Expected::Error(_))) > 200);
    assert!(kinds(|c| matches!(c.expected, Expected::Overflow)) > 20);
    // Partition ids up to the int limit are placed where Kafka's arithmetic does not wrap.
    assert!(
        kinds(
            |c| matches!(&c.expected, Expected::Placement(p) if p.contains_key(&(i32::MAX as u32)))
        ) > 0
    );
    let mismatches: Vec<String> = cases.iter().filter_map(|c| matches(c).err()).collect();
    assert!(
        mismatches.is_empty(),
        "{} of {} cases differ from Kafka:\n{}",
        mismatches.len(),
        cases.len(),
        mismatches[..mismatches.len().min(5)].join("\n")
    );
}
