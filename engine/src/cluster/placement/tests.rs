//! Kafka's own placement tests, ported:
//! - `AdminRackAwareTest` (apache/kafka `server-common/src/test/java/org/apache/kafka/admin/
//!   AdminRackAwareTest.java`, formerly `core/src/test/scala/unit/kafka/admin/
//!   AdminRackAwareTest.scala`) with its `checkReplicaDistribution` helper (`RackAwareTest`,
//!   now `assertReplicaDistribution`), and its `testReplicaAssignment` and
//!   `testAssignReplicasToBrokersWithInvalidParameters` (formerly `AdminTest` /
//!   `AdminZkClientTest.testReplicaAssignment`).
//! - `AddPartitionsTest` (`core/src/test/scala/unit/kafka/admin/AddPartitionsTest.scala`):
//!   `testReplicaPlacementAllServers` and `testReplicaPlacementPartialServers`, where
//!   `addPartitions` places the new partitions from `startPartitionId` = the existing count
//!   with `fixedStartIndex` = the position of partition 0's leader in the broker list.
//!
//! Where Kafka's test leaves the start index random, the test here runs every start index
//! and follower shift that `RAND.nextInt(brokers)` could draw, so it holds for all of them.
//! Then the properties those tests check, over random clusters (proptest).

use super::*;
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

type Placement = BTreeMap<u32, Vec<i32>>;

fn racked(map: &[(i32, &str)]) -> Vec<BrokerMetadata> {
    // Kafka's `toBrokerMetadata`: sorted by id.
    let mut brokers: Vec<BrokerMetadata> = map
        .iter()
        .map(|&(id, rack)| BrokerMetadata::on_rack(id, rack))
        .collect();
    brokers.sort_by_key(|b| b.id);
    brokers
}

fn unracked(ids: impl IntoIterator<Item = i32>) -> Vec<BrokerMetadata> {
    ids.into_iter().map(BrokerMetadata::new).collect()
}

fn collect(assignment: ReplicaAssignment) -> Placement {
    assignment
        .map(|(p, replicas)| (p.0, replicas.into_iter().map(|b| b.0).collect()))
        .collect()
}

fn place(brokers: &[BrokerMetadata], partitions: i32, factor: i32, start: i32) -> Placement {
    collect(assign_replicas_to_brokers(brokers, partitions, factor, start, -1).unwrap())
}

/// Kafka's placement with the two numbers `RAND.nextInt` would draw given explicitly.
fn place_drawn(
    brokers: &[BrokerMetadata],
    partitions: i32,
    factor: i32,
    start_partition: i32,
    start_index: i64,
    replica_shift: i64,
) -> Placement {
    let layout = Layout::new(brokers, partitions, factor).unwrap();
    collect(
        layout
            .assignment(partitions, start_partition, start_index, replica_shift)
            .unwrap(),
    )
}

/// Every placement Kafka's random start could produce.
fn every_draw(
    brokers: &[BrokerMetadata],
    partitions: i32,
    factor: i32,
    start_partition: i32,
) -> Vec<Placement> {
    let n = brokers.len() as i64;
    (0..n)
        .flat_map(|start| (0..n).map(move |shift| (start, shift)))
        .map(|(start, shift)| {
            place_drawn(brokers, partitions, factor, start_partition, start, shift)
        })
        .collect()
}

fn expected(rows: &[(u32, &[i32])]) -> Placement {
    rows.iter().map(|&(p, r)| (p, r.to_vec())).collect()
}

/// Kafka's `getReplicaDistribution`: racks per partition, leaders and replicas per broker.
struct Distribution {
    partition_racks: BTreeMap<u32, Vec<String>>,
    broker_leader_count: BTreeMap<i32, usize>,
    broker_replicas_count: BTreeMap<i32, usize>,
}

fn distribution(placement: &Placement, racks: &BTreeMap<i32, String>) -> Distribution {
    let mut d = Distribution {
        partition_racks: BTreeMap::new(),
        broker_leader_count: BTreeMap::new(),
        broker_replicas_count: BTreeMap::new(),
    };
    for (&partition, replicas) in placement {
        *d.broker_leader_count.entry(replicas[0]).or_default() += 1;
        for broker in replicas {
            *d.broker_replicas_count.entry(*broker).or_default() += 1;
            d.partition_racks
                .entry(partition)
                .or_default()
                .push(racks[broker].clone());
        }
    }
    d
}

#[derive(Clone, Copy)]
struct Verify {
    rack_aware: bool,
    leader_distribution: bool,
    replicas_distribution: bool,
}

const VERIFY_ALL: Verify = Verify {
    rack_aware: true,
    leader_distribution: true,
    replicas_distribution: true,
};

/// Kafka's `checkReplicaDistribution` / `assertReplicaDistribution`.
fn check_replica_distribution(
    placement: &Placement,
    rack_map: &[(i32, &str)],
    partitions: usize,
    factor: usize,
    verify: Verify,
) {
    let racks: BTreeMap<i32, String> = rack_map.iter().map(|&(b, r)| (b, r.into())).collect();
    let brokers = racks.len();
    for replicas in placement.values() {
        let distinct: BTreeSet<_> = replicas.iter().collect();
        assert_eq!(distinct.len(), replicas.len(), "two replicas on one broker");
    }
    let d = distribution(placement, &racks);
    if verify.rack_aware {
        assert_eq!(
            distinct_racks_per_partition(placement, rack_map),
            vec![factor; partitions],
            "rack awareness"
        );
    }
    if verify.leader_distribution {
        let counts: Vec<usize> = d.broker_leader_count.values().copied().collect();
        assert_eq!(counts, vec![partitions / brokers; brokers], "leader counts");
    }
    if verify.replicas_distribution {
        let counts: Vec<usize> = d.broker_replicas_count.values().copied().collect();
        assert_eq!(
            counts,
            vec![partitions * factor / brokers; brokers],
            "replica counts"
        );
    }
}

/// `testRackAwareExpansion`'s cluster: brokers 6..11, two per rack.
const RACKS_2_2_2_FROM_6: [(i32, &str); 6] = [
    (6, "rack1"),
    (7, "rack2"),
    (8, "rack2"),
    (9, "rack3"),
    (10, "rack3"),
    (11, "rack1"),
];

/// `testMoreReplicasThanRacks`' cluster: one broker on rack1, three on rack2, two on rack3.
const RACKS_1_3_2: [(i32, &str); 6] = [
    (0, "rack1"),
    (1, "rack2"),
    (2, "rack2"),
    (3, "rack3"),
    (4, "rack3"),
    (5, "rack2"),
];

const RACKS_2_2_2: [(i32, &str); 6] = [
    (0, "rack1"),
    (1, "rack2"),
    (2, "rack2"),
    (3, "rack3"),
    (4, "rack3"),
    (5, "rack1"),
];

#[test]
fn test_get_rack_alternated_broker_list_and_assign_replicas_to_brokers() {
    let rack_map = [
        (0, "rack1"),
        (1, "rack3"),
        (2, "rack3"),
        (3, "rack2"),
        (4, "rack2"),
        (5, "rack1"),
    ];
    let as_map = |entries: &[(i32, &str)]| -> BTreeMap<BrokerId, String> {
        entries
            .iter()
            .map(|&(b, r)| (BrokerId(b), r.to_string()))
            .collect()
    };
    let ids = |list: Vec<BrokerId>| list.into_iter().map(|b| b.0).collect::<Vec<_>>();
    assert_eq!(
        ids(rack_alternated_broker_list(&as_map(&rack_map))),
        vec![0, 3, 1, 5, 4, 2]
    );
    assert_eq!(
        ids(rack_alternated_broker_list(&as_map(&rack_map[..5]))),
        vec![0, 3, 1, 4, 2]
    );
    let assignment = collect(assign_replicas_to_brokers(&racked(&rack_map), 7, 3, 0, 0).unwrap());
    assert_eq!(
        assignment,
        expected(&[
            (0, &[0, 3, 1]),
            (1, &[3, 1, 5]),
            (2, &[1, 5, 4]),
            (3, &[5, 4, 2]),
            (4, &[4, 2, 0]),
            (5, &[2, 0, 3]),
            (6, &[0, 4, 2]),
        ])
    );
}

/// The `rackAlternatedBrokerList` Javadoc example: three racks of three.
#[test]
fn rack_alternated_list_matches_kafkas_javadoc_example() {
    let racks: BTreeMap<BrokerId, String> = (0..9)
        .map(|b| (BrokerId(b), format!("rack{}", b / 3 + 1)))
        .collect();
    let list: Vec<i32> = rack_alternated_broker_list(&racks)
        .into_iter()
        .map(|b| b.0)
        .collect();
    assert_eq!(list, vec![0, 3, 6, 1, 4, 7, 2, 5, 8]);
}

#[test]
fn test_assignment_with_rack_aware() {
    let a = place(&racked(&RACKS_2_2_2), 6, 3, 2);
    check_replica_distribution(&a, &RACKS_2_2_2, 6, 3, VERIFY_ALL);
}

#[test]
fn test_assignment_with_rack_aware_with_random_start_index() {
    for a in every_draw(&racked(&RACKS_2_2_2), 6, 3, -1) {
        check_replica_distribution(&a, &RACKS_2_2_2, 6, 3, VERIFY_ALL);
    }
}

#[test]
fn test_assignment_with_rack_aware_with_uneven_replicas() {
    let a = place(&racked(&RACKS_2_2_2), 13, 3, 0);
    let verify = Verify {
        rack_aware: true,
        leader_distribution: false,
        replicas_distribution: false,
    };
    check_replica_distribution(&a, &RACKS_2_2_2, 13, 3, verify);
}

#[test]
fn test_assignment_with_rack_aware_with_uneven_racks() {
    let rack_map = [
        (0, "rack1"),
        (1, "rack1"),
        (2, "rack2"),
        (3, "rack3"),
        (4, "rack3"),
        (5, "rack1"),
    ];
    let verify = Verify {
        replicas_distribution: false,
        ..VERIFY_ALL
    };
    for a in every_draw(&racked(&rack_map), 12, 3, -1) {
        check_replica_distribution(&a, &rack_map, 12, 3, verify);
    }
}

#[test]
fn test_assignment_with_2_replicas_rack_aware() {
    for a in every_draw(&racked(&RACKS_2_2_2), 12, 2, -1) {
        check_replica_distribution(&a, &RACKS_2_2_2, 12, 2, VERIFY_ALL);
    }
}

#[test]
fn test_rack_aware_expansion() {
    let rack_map = RACKS_2_2_2_FROM_6;
    for a in every_draw(&racked(&rack_map), 12, 2, 12) {
        assert_eq!(
            a.keys().copied().collect::<Vec<_>>(),
            (12..24).collect::<Vec<_>>()
        );
        check_replica_distribution(&a, &rack_map, 12, 2, VERIFY_ALL);
    }
}

#[test]
fn test_assignment_with_2_replicas_rack_aware_with_6_partitions() {
    let rack_map = RACKS_2_2_2_FROM_6;
    for a in every_draw(&racked(&rack_map), 6, 2, -1) {
        check_replica_distribution(&a, &rack_map, 6, 2, VERIFY_ALL);
    }
}

#[test]
fn test_assignment_with_2_replicas_rack_aware_with_6_partitions_and_3_brokers() {
    let rack_map = [(0, "rack1"), (1, "rack2"), (4, "rack3")];
    for a in every_draw(&racked(&rack_map), 3, 2, -1) {
        check_replica_distribution(&a, &rack_map, 3, 2, VERIFY_ALL);
    }
}

#[test]
fn test_large_number_partitions_assignment() {
    let rack_map = [
        (0, "rack1"),
        (1, "rack2"),
        (2, "rack2"),
        (3, "rack3"),
        (4, "rack3"),
        (5, "rack1"),
        (6, "rack1"),
        (7, "rack2"),
        (8, "rack2"),
        (9, "rack3"),
        (10, "rack1"),
        (11, "rack3"),
    ];
    for a in every_draw(&racked(&rack_map), 96, 3, -1) {
        check_replica_distribution(&a, &rack_map, 96, 3, VERIFY_ALL);
    }
}

fn distinct_racks_per_partition(placement: &Placement, rack_map: &[(i32, &str)]) -> Vec<usize> {
    let racks: BTreeMap<i32, String> = rack_map.iter().map(|&(b, r)| (b, r.into())).collect();
    distribution(placement, &racks)
        .partition_racks
        .values()
        .map(|r| r.iter().collect::<BTreeSet<_>>().len())
        .collect()
}

#[test]
fn test_more_replicas_than_racks() {
    let rack_map = RACKS_1_3_2;
    for a in every_draw(&racked(&rack_map), 6, 5, -1) {
        assert!(a.values().all(|r| r.len() == 5));
        assert_eq!(distinct_racks_per_partition(&a, &rack_map), vec![3; 6]);
    }
}

#[test]
fn test_less_replicas_than_racks() {
    let rack_map = RACKS_1_3_2;
    for a in every_draw(&racked(&rack_map), 6, 2, -1) {
        assert!(a.values().all(|r| r.len() == 2));
        assert_eq!(distinct_racks_per_partition(&a, &rack_map), vec![2; 6]);
    }
}

#[test]
fn test_single_rack() {
    let rack_map: Vec<(i32, &str)> = (0..6).map(|b| (b, "rack1")).collect();
    for a in every_draw(&racked(&rack_map), 6, 3, -1) {
        assert!(a.values().all(|r| r.len() == 3));
        assert_eq!(distinct_racks_per_partition(&a, &rack_map), vec![1; 6]);
        let racks = rack_map.iter().map(|&(b, r)| (b, r.to_string())).collect();
        let leaders = distribution(&a, &racks).broker_leader_count;
        assert!((0..6).all(|b| leaders.get(&b) == Some(&1)));
    }
}

#[test]
fn test_skip_broker_with_replica_already_assigned() {
    let rack_info = [(0, "a"), (1, "b"), (2, "c"), (3, "a"), (4, "a")];
    let brokers = racked(&rack_info);
    assert_eq!(
        brokers.iter().map(|b| b.id.0).collect::<Vec<_>>(),
        vec![0, 1, 2, 3, 4]
    );
    let a = place(&brokers, 6, 4, 2);
    let verify = Verify {
        rack_aware: false,
        leader_distribution: false,
        replicas_distribution: false,
    };
    check_replica_distribution(&a, &rack_info, 6, 4, verify);
}

#[test]
fn test_replica_assignment() {
    let brokers = unracked(0..=4);
    assert_eq!(
        assign_replicas_to_brokers(&brokers, 10, 0, 0, -1).err(),
        Some(PlacementError::NoReplicas {
            replication_factor: 0
        })
    );
    assert_eq!(
        assign_replicas_to_brokers(&brokers, 10, 6, 0, -1).err(),
        Some(PlacementError::ReplicationFactorTooLarge {
            replication_factor: 6,
            brokers: 5
        })
    );
    assert_eq!(
        place(&brokers, 10, 3, 0),
        expected(&[
            (0, &[0, 1, 2]),
            (1, &[1, 2, 3]),
            (2, &[2, 3, 4]),
            (3, &[3, 4, 0]),
            (4, &[4, 0, 1]),
            (5, &[0, 2, 3]),
            (6, &[1, 3, 4]),
            (7, &[2, 4, 0]),
            (8, &[3, 0, 1]),
            (9, &[4, 1, 2]),
        ])
    );
}

#[test]
fn test_assign_replicas_to_brokers_with_invalid_parameters() {
    let mut brokers = racked(&[(0, "rack1"), (1, "rack3"), (2, "rack3"), (3, "rack2")]);
    brokers.push(BrokerMetadata::new(4));
    let error = |partitions, factor| {
        assign_replicas_to_brokers(&brokers, partitions, factor, 0, -1)
            .err()
            .unwrap()
    };
    assert_eq!(error(0, 0), PlacementError::NoPartitions { partitions: 0 });
    assert_eq!(
        error(10, 0),
        PlacementError::NoReplicas {
            replication_factor: 0
        }
    );
    assert_eq!(
        error(10, 6),
        PlacementError::ReplicationFactorTooLarge {
            replication_factor: 6,
            brokers: 5
        }
    );
    assert_eq!(
        error(10, 5),
        PlacementError::IncompleteRackInformation {
            broker: BrokerId(4)
        }
    );
}

/// `addPartitions` from 1 to 7 partitions of a topic whose partition 0 is on `[2, 3, 0, 1]`,
/// brokers 0..3: start index 2 (the position of broker 2), start partition 1, factor 4.
/// Kafka's test checks each new partition's leader and replica set.
#[test]
fn test_replica_placement_all_servers() {
    let a = collect(assign_replicas_to_brokers(&unracked(0..4), 6, 4, 2, 1).unwrap());
    let leaders_and_sets: Vec<(u32, i32, BTreeSet<i32>)> = a
        .iter()
        .map(|(&p, r)| (p, r[0], r.iter().copied().collect()))
        .collect();
    let all: BTreeSet<i32> = (0..4).collect();
    assert_eq!(
        leaders_and_sets,
        vec![
            (1, 3, all.clone()),
            (2, 0, all.clone()),
            (3, 1, all.clone()),
            (4, 2, all.clone()),
            (5, 3, all.clone()),
            (6, 0, all.clone()),
        ]
    );
}

/// `addPartitions` from 1 to 3 partitions of a topic whose partition 0 is on `[1, 2]`,
/// brokers 0..3: start index 1, start partition 1, factor 2.
#[test]
fn test_replica_placement_partial_servers() {
    let a = collect(assign_replicas_to_brokers(&unracked(0..4), 2, 2, 1, 1).unwrap());
    let leaders_and_sets: Vec<(u32, i32, BTreeSet<i32>)> = a
        .iter()
        .map(|(&p, r)| (p, r[0], r.iter().copied().collect()))
        .collect();
    assert_eq!(
        leaders_and_sets,
        vec![
            (1, 2, BTreeSet::from([0, 2])),
            (2, 3, BTreeSet::from([1, 3]))
        ]
    );
}

/// The table in `assignReplicasToBrokers`' Javadoc: 5 brokers, 10 partitions, 3 replicas;
/// row by row, which partition's replica each broker holds.
#[test]
fn kafkas_javadoc_table() {
    let a = place(&unracked(0..5), 10, 3, 0);
    let row = |replica: usize, partitions: std::ops::Range<u32>| -> Vec<u32> {
        (0..5)
            .map(|broker| {
                partitions
                    .clone()
                    .find(|p| a[p][replica] == broker)
                    .expect("every broker holds one")
            })
            .collect()
    };
    assert_eq!(row(0, 0..5), vec![0, 1, 2, 3, 4]);
    assert_eq!(row(0, 5..10), vec![5, 6, 7, 8, 9]);
    assert_eq!(row(1, 0..5), vec![4, 0, 1, 2, 3]);
    assert_eq!(row(1, 5..10), vec![8, 9, 5, 6, 7]);
    assert_eq!(row(2, 0..5), vec![3, 4, 0, 1, 2]);
    assert_eq!(row(2, 5..10), vec![7, 8, 9, 5, 6]);
}

#[test]
fn duplicate_brokers_and_negative_start_indexes_are_refused() {
    assert_eq!(
        assign_replicas_to_brokers(&unracked([0, 1, 0]), 3, 1, 0, 0).err(),
        Some(PlacementError::DuplicateBroker {
            broker: BrokerId(0)
        })
    );
    assert_eq!(
        assign_replicas_to_brokers(&unracked(0..3), 3, 1, -1, 0).err(),
        Some(PlacementError::NegativeStartIndex { start_index: -1 })
    );
}

#[test]
fn partition_ids_up_to_the_int_limit_work_and_beyond_it_are_refused() {
    let last = assign_replicas_to_brokers(&unracked(0..3), 1, 3, 0, i32::MAX).unwrap();
    let placed: Vec<_> = last.collect();
    assert_eq!(placed.len(), 1);
    assert_eq!(placed[0].0, PartitionId(i32::MAX as u32));
    assert_eq!(
        assign_replicas_to_brokers(&unracked(0..3), 2, 3, 0, i32::MAX).err(),
        Some(PlacementError::IntOverflow {
            first_partition: i64::from(i32::MAX),
            last_partition: i64::from(i32::MAX) + 1,
            start_index: 0
        })
    );
    // A start index that pushes `partition + startIndex` past the int range.
    assert!(matches!(
        assign_replicas_to_brokers(&unracked(0..3), 2, 1, i32::MAX, 0),
        Err(PlacementError::IntOverflow { .. })
    ));
    assert!(assign_replicas_to_brokers(&unracked(0..3), 1, 1, i32::MAX, 0).is_ok());
}

#[test]
fn a_huge_topic_is_placed_lazily() {
    let mut a = assign_replicas_to_brokers(&unracked(0..3), i32::MAX, 3, 0, 0).unwrap();
    assert_eq!(a.len(), i32::MAX as usize);
    let first: Vec<_> = a.by_ref().take(3).collect();
    assert_eq!(first[2].1, vec![BrokerId(2), BrokerId(0), BrokerId(1)]);
    assert_eq!(a.len(), i32::MAX as usize - 3);
}

#[test]
fn drawn_start_is_seeded_and_draws_nothing_on_invalid_input() {
    let brokers = racked(&RACKS_2_2_2);
    let run = |seed| {
        let mut rng = SimRng::new(seed);
        collect(assign_replicas_to_brokers_with_rng(&brokers, 12, 3, 0, &mut rng).unwrap())
    };
    assert_eq!(run(7), run(7));
    let distinct: BTreeSet<Placement> = (0..50).map(run).collect();
    assert!(distinct.len() > 1, "the seed changes the start");
    for a in (0..50).map(run) {
        check_replica_distribution(&a, &RACKS_2_2_2, 12, 3, VERIFY_ALL);
    }
    let mut rng = SimRng::new(3);
    let untouched = rng.clone();
    assert!(assign_replicas_to_brokers_with_rng(&brokers, 0, 3, 0, &mut rng).is_err());
    assert_eq!(rng, untouched);
}

#[test]
fn messages_are_kafkas() {
    let cases = [
        (
            PlacementError::NoPartitions { partitions: 0 },
            "Number of partitions must be larger than 0.",
        ),
        (
            PlacementError::NoReplicas {
                replication_factor: -1,
            },
            "Replication factor must be larger than 0.",
        ),
        (
            PlacementError::ReplicationFactorTooLarge {
                replication_factor: 4,
                brokers: 3,
            },
            "Replication factor: 4 larger than available brokers: 3.",
        ),
        (
            PlacementError::IncompleteRackInformation {
                broker: BrokerId(2),
            },
            "Not all brokers have rack information for replica rack aware assignment.",
        ),
    ];
    for (error, message) in cases {
        assert_eq!(error.to_string(), message);
    }
}

/// A random cluster: 1 to 12 brokers with distinct ids, all racked (1 to 4 racks) or none.
fn cluster() -> impl Strategy<Value = Vec<BrokerMetadata>> {
    (
        prop::collection::btree_set(-5i32..40, 1..=12),
        prop::option::of(1usize..=4),
        any::<u64>(),
    )
        .prop_map(|(ids, racks, salt)| {
            ids.into_iter()
                .enumerate()
                .map(|(i, id)| BrokerMetadata {
                    id: BrokerId(id),
                    rack: racks.map(|r| format!("r{}", (i as u64 ^ salt) % r as u64)),
                })
                .collect()
        })
}

/// A cluster, a factor that fits it, a partition count, a start index and start partition.
fn placement_input() -> impl Strategy<Value = (Vec<BrokerMetadata>, i32, i32, i32, i32)> {
    cluster().prop_flat_map(|brokers| {
        let n = brokers.len() as i32;
        (Just(brokers), 1..=n, 1i32..=60, 0..3 * n, -2i32..30)
    })
}

fn rack_of(brokers: &[BrokerMetadata]) -> BTreeMap<BrokerId, Option<String>> {
    brokers.iter().map(|b| (b.id, b.rack.clone())).collect()
}

proptest! {
    #[test]
    fn every_partition_gets_factor_replicas_on_distinct_brokers(
        (brokers, factor, partitions, start, start_partition) in placement_input()
    ) {
        let a: Vec<_> = assign_replicas_to_brokers(&brokers, partitions, factor, start, start_partition)
            .unwrap()
            .collect();
        let first = start_partition.max(0) as u32;
        let ids: Vec<u32> = a.iter().map(|(p, _)| p.0).collect();
        prop_assert_eq!(ids, (first..first + partitions as u32).collect::<Vec<_>>());
        let known = rack_of(&brokers);
        for (_, replicas) in &a {
            prop_assert_eq!(replicas.len(), factor as usize);
            let distinct: BTreeSet<_> = replicas.iter().collect();
            prop_assert_eq!(distinct.len(), replicas.len());
            prop_assert!(replicas.iter().all(|b| known.contains_key(b)));
        }
    }

    /// Leaders go round-robin over the broker list, so their counts differ by at most one.
    #[test]
    fn leader_counts_are_balanced(
        (brokers, factor, partitions, start, start_partition) in placement_input()
    ) {
        let mut leaders: BTreeMap<BrokerId, usize> = brokers.iter().map(|b| (b.id, 0)).collect();
        for (_, replicas) in assign_replicas_to_brokers(&brokers, partitions, factor, start, start_partition).unwrap() {
            *leaders.get_mut(&replicas[0]).unwrap() += 1;
        }
        let min = leaders.values().min().unwrap();
        let max = leaders.values().max().unwrap();
        prop_assert!(max - min <= 1, "leaders {:?}", leaders);
    }

    /// Kafka's promise: with at least as many replicas as racks every rack gets one;
    /// otherwise no rack gets two.
    #[test]
    fn rack_aware_replicas_span_as_many_racks_as_they_can(
        (brokers, factor, partitions, start, start_partition) in placement_input()
    ) {
        let racks = rack_of(&brokers);
        let rack_count = racks.values().collect::<BTreeSet<_>>().len();
        prop_assume!(racks.values().all(Option::is_some));
        for (_, replicas) in assign_replicas_to_brokers(&brokers, partitions, factor, start, start_partition).unwrap() {
            let spanned: BTreeSet<_> = replicas.iter().map(|b| &racks[b]).collect();
            prop_assert_eq!(spanned.len(), (factor as usize).min(rack_count));
        }
    }

    /// Without racks, every aligned run of `brokers` partitions puts each follower position
    /// on every broker once, so whole runs spread the replicas exactly evenly.
    #[test]
    fn rack_unaware_replicas_are_even_over_whole_rounds(
        ids in prop::collection::btree_set(0i32..40, 1..=10),
        factor_seed in any::<u32>(),
        rounds in 1i32..5,
        start in 0i32..30,
        start_round in 0i32..4,
    ) {
        let brokers = unracked(ids);
        let n = brokers.len() as i32;
        let factor = 1 + (factor_seed % n as u32) as i32;
        let a = assign_replicas_to_brokers(&brokers, rounds * n, factor, start, start_round * n).unwrap();
        let mut replicas: BTreeMap<BrokerId, i32> = BTreeMap::new();
        for (_, list) in a {
            for b in list {
                *replicas.entry(b).or_default() += 1;
            }
        }
        prop_assert_eq!(replicas.len(), brokers.len());
        prop_assert!(replicas.values().all(|&c| c == rounds * factor));
    }
}
