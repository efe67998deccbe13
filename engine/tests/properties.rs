//! Property tests over random command sequences and seeds: the streaming invariants of
//! issue 3, checked from the public API (snapshots every tick, the trace at the end).
//!
//! More cases: `PROPTEST_CASES=500 cargo test -p orderflow-engine --test properties`.
//! A failure prints the seed and the command sequence (proptest shrinks it first).

use orderflow_engine::assignor::{AssignmentStrategy, TopicPartition};
use orderflow_engine::command::Command;
use orderflow_engine::generator::KeySpace;
use orderflow_engine::group::{AutoOffsetReset, CommitPolicy, GroupConfig, OffsetResetSpec};
use orderflow_engine::ids::{MemberId, Offset, PartitionId, Tick};
use orderflow_engine::log::{OrderEvent, Payload, Retention};
use orderflow_engine::partitioner::Partitioner;
use orderflow_engine::process::{Delivery, NoProcessors, ProcessOutcome, Processor, Processors};
use orderflow_engine::producer::{Acks, ProducerConfig};
use orderflow_engine::rng::SimRng;
use orderflow_engine::sim::Sim;
use orderflow_engine::topic::TopicSpec;
use orderflow_engine::trace::TraceEvent;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

const GROUPS: [&str; 2] = ["g0", "g1"];

#[derive(Clone, Debug)]
struct GroupSetup {
    strategy: AssignmentStrategy,
    policy: CommitPolicy,
    max_poll_records: u32,
    processing_ticks_per_record: u64,
    session_timeout_ticks: u64,
    rebalance_ticks: u64,
}

#[derive(Clone, Debug)]
enum Op {
    Generate {
        count: u32,
        keys: u32,
    },
    ProduceUnkeyed,
    Send {
        lose_ack: bool,
    },
    Join {
        group: usize,
        member: u8,
    },
    Leave {
        group: usize,
        member: u8,
    },
    Kill {
        group: usize,
        member: u8,
    },
    Reset {
        group: usize,
        spec: OffsetResetSpec,
    },
    /// Grow the topic (refused unless `to` is more than it has).
    Grow {
        to: u32,
    },
}

#[derive(Clone, Debug)]
struct Case {
    seed: u64,
    partitions: u32,
    groups: Vec<GroupSetup>,
    idempotent: bool,
    /// (ticks to wait before, operation)
    ops: Vec<(u64, Op)>,
}

fn policy() -> impl Strategy<Value = CommitPolicy> {
    prop_oneof![
        (1u64..6).prop_map(|interval_ticks| CommitPolicy::AutoCommit { interval_ticks }),
        Just(CommitPolicy::AfterProcessing),
        Just(CommitPolicy::BeforeProcessing),
    ]
}

/// Every assignor this build knows (by Kafka name, so the test runs whichever are in).
fn strategies() -> Vec<AssignmentStrategy> {
    ["range", "roundrobin", "sticky", "cooperative-sticky"]
        .iter()
        .filter_map(|name| serde_json::from_str(&format!("\"{name}\"")).ok())
        .collect()
}

fn group_setup() -> impl Strategy<Value = GroupSetup> {
    (
        proptest::sample::select(strategies()),
        policy(),
        1u32..8,
        0u64..3,
        1u64..8,
        0u64..4,
    )
        .prop_map(
            |(strategy, policy, max_poll, processing, session_timeout, rebalance)| GroupSetup {
                strategy,
                policy,
                max_poll_records: max_poll,
                processing_ticks_per_record: processing,
                session_timeout_ticks: session_timeout,
                rebalance_ticks: rebalance,
            },
        )
}

fn reset_spec() -> impl Strategy<Value = OffsetResetSpec> {
    prop_oneof![
        Just(OffsetResetSpec::ToEarliest),
        Just(OffsetResetSpec::ToLatest),
        (0u64..40).prop_map(|o| OffsetResetSpec::ToOffset { offset: Offset(o) }),
        (-20i64..20).prop_map(|by| OffsetResetSpec::ShiftBy { by }),
        (0u64..100).prop_map(|t| OffsetResetSpec::ToTick { tick: Tick(t) }),
        (0u64..50).prop_map(|ticks| OffsetResetSpec::ByDuration { ticks }),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let member = || (0usize..2, 0u8..4);
    prop_oneof![
        3 => (0u32..15, 1u32..6).prop_map(|(count, keys)| Op::Generate { count, keys }),
        1 => Just(Op::ProduceUnkeyed),
        1 => any::<bool>().prop_map(|lose_ack| Op::Send { lose_ack }),
        3 => member().prop_map(|(group, member)| Op::Join { group, member }),
        1 => member().prop_map(|(group, member)| Op::Leave { group, member }),
        2 => member().prop_map(|(group, member)| Op::Kill { group, member }),
        1 => ((0usize..2), reset_spec()).prop_map(|(group, spec)| Op::Reset { group, spec }),
        1 => (2u32..8).prop_map(|to| Op::Grow { to }),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    (
        any::<u64>(),
        1u32..6,
        proptest::collection::vec(group_setup(), 2),
        any::<bool>(),
        proptest::collection::vec((0u64..6, op()), 1..40),
    )
        .prop_map(|(seed, partitions, groups, idempotent, ops)| Case {
            seed,
            partitions,
            groups,
            idempotent,
            ops,
        })
}

fn setup(case: &Case) -> Sim {
    setup_with(case, None)
}

/// The case's topic, groups and producer; the topic with `retention` if given.
fn setup_with(case: &Case, retention: Option<Retention>) -> Sim {
    let mut sim = Sim::new(case.seed);
    let mut topic = TopicSpec::new("orders", case.partitions, Partitioner::Murmur2);
    if retention.is_some() {
        topic.segment_records = Some(2);
        topic.retention = retention;
    }
    sim.apply(Command::CreateTopic(topic)).unwrap();
    for (name, g) in GROUPS.iter().zip(&case.groups) {
        let mut config = GroupConfig::new(*name, vec!["orders".into()]);
        config.strategy = g.strategy;
        config.commit_policy = g.policy;
        config.max_poll_records = g.max_poll_records;
        config.processing_ticks_per_record = g.processing_ticks_per_record;
        config.session_timeout_ticks = g.session_timeout_ticks;
        config.rebalance_ticks = g.rebalance_ticks;
        config.auto_offset_reset = AutoOffsetReset::Earliest;
        sim.apply(Command::CreateGroup { config }).unwrap();
    }
    let mut producer = ProducerConfig::new("p");
    producer.acks = Acks::All;
    producer.retries = 2;
    producer.idempotent = case.idempotent;
    sim.apply(Command::CreateProducer { config: producer })
        .unwrap();
    sim
}

fn command(op: &Op) -> Vec<Command> {
    let member = |m: u8| MemberId(format!("m{m}"));
    let order = |n: u32| {
        Payload::Order(OrderEvent {
            user_id: format!("U{n}"),
            order_id: format!("O{n}"),
            status: "Created".into(),
        })
    };
    match op {
        Op::Generate { count, keys } => vec![Command::Generate {
            topic: "orders".into(),
            count: *count,
            key_space: KeySpace::new("U", *keys),
        }],
        Op::ProduceUnkeyed => vec![Command::Produce {
            topic: "orders".into(),
            key: None,
            value: order(0),
        }],
        Op::Send { lose_ack } => {
            let mut out = Vec::new();
            if *lose_ack {
                out.push(Command::LoseNextAcks {
                    producer: "p".into(),
                    count: 1,
                });
            }
            out.push(Command::Send {
                producer: "p".into(),
                topic: "orders".into(),
                key: Some("U1".into()),
                value: order(1),
            });
            out
        }
        Op::Join { group, member: m } => vec![Command::JoinGroup {
            group: GROUPS[*group].into(),
            member: member(*m),
        }],
        Op::Leave { group, member: m } => vec![Command::LeaveGroup {
            group: GROUPS[*group].into(),
            member: member(*m),
        }],
        Op::Kill { group, member: m } => vec![Command::KillMember {
            group: GROUPS[*group].into(),
            member: member(*m),
        }],
        Op::Reset { group, spec } => vec![Command::ResetOffsets {
            group: GROUPS[*group].into(),
            topic: None,
            spec: spec.clone(),
        }],
        Op::Grow { to } => vec![Command::AddPartitions {
            topic: "orders".into(),
            partitions: *to,
        }],
    }
}

/// Checks what must hold at every tick: one owner per partition per group, committed
/// offsets within the log (so lag is never negative).
fn check_tick(sim: &Sim, seed: u64) {
    for g in sim.groups() {
        let s = sim.group_snapshot(g.name()).unwrap();
        let mut owners: BTreeMap<TopicPartition, MemberId> = BTreeMap::new();
        for m in &s.members {
            for tp in &m.owned {
                if let Some(other) = owners.insert(tp.clone(), m.id.clone()) {
                    panic!(
                        "seed {seed} tick {}: {tp} owned by {other} and {} in group {}",
                        sim.now(),
                        m.id,
                        s.name
                    );
                }
            }
        }
        for p in &s.partitions {
            if let Some(c) = p.committed {
                assert!(
                    c <= p.high_watermark && c >= p.log_start_offset,
                    "seed {seed}: committed {c} outside the log of {} ({} to {})",
                    p.partition,
                    p.log_start_offset,
                    p.high_watermark
                );
            }
            assert_eq!(
                p.lag,
                p.high_watermark.0 - p.committed.unwrap_or(p.log_start_offset).0,
                "seed {seed}"
            );
        }
    }
}

/// Runs the case; returns the simulation after a quiet tail so everything settles.
fn run_case(case: &Case, check: bool) -> Sim {
    run_from(setup(case), case, check, &mut NoProcessors)
}

/// Runs the case's operations on `sim`, the groups running `processors`.
fn run_from(mut sim: Sim, case: &Case, check: bool, processors: &mut dyn Processors) -> Sim {
    for (wait, op) in &case.ops {
        for _ in 0..*wait {
            sim.step_with(processors);
            if check {
                check_tick(&sim, case.seed);
            }
        }
        for c in command(op) {
            // Refusals (unknown member, reset of an active group, ...) are part of the game.
            let _ = sim.apply(c);
        }
        if check {
            check_tick(&sim, case.seed);
        }
    }
    for _ in 0..60 {
        sim.step_with(processors);
        if check {
            check_tick(&sim, case.seed);
        }
    }
    sim
}

/// Checks the invariants that need the whole history, from the trace.
fn check_trace(sim: &Sim, case: &Case) {
    let seed = case.seed;
    let topic = sim.topic("orders").unwrap();
    // Offsets contiguous per partition; every produced record in exactly one partition.
    let mut produced: BTreeMap<PartitionId, Vec<u64>> = BTreeMap::new();
    let mut produced_count = 0u64;
    for e in sim.trace() {
        if let TraceEvent::Produced {
            partition,
            offset,
            event_id,
            ..
        } = e
        {
            produced.entry(*partition).or_default().push(offset.0);
            produced_count += 1;
            let record = topic.partition(*partition).unwrap().get(*offset).unwrap();
            assert_eq!(record.event_id(), *event_id, "seed {seed}");
        }
    }
    assert_eq!(
        produced_count,
        topic.len(),
        "seed {seed}: records vs produced events"
    );
    for (i, log) in topic.partitions().iter().enumerate() {
        let offsets: Vec<u64> = log.records().map(|r| r.offset().0).collect();
        let expected: Vec<u64> = (0..log.high_watermark().0).collect();
        assert_eq!(offsets, expected, "seed {seed}: partition {i} offsets");
        assert_eq!(
            produced
                .get(&PartitionId(i as u32))
                .cloned()
                .unwrap_or_default(),
            expected,
            "seed {seed}: partition {i} produced in offset order"
        );
    }

    let policy: BTreeMap<&str, CommitPolicy> = GROUPS
        .iter()
        .copied()
        .zip(case.groups.iter().map(|g| g.policy))
        .collect();
    // Per (group, partition): offsets processed since the last reset, the reset base, the
    // last committed offset; per (group, key): last first-time offset.
    let mut processed: BTreeMap<(String, TopicPartition), BTreeSet<u64>> = BTreeMap::new();
    let mut base: BTreeMap<(String, TopicPartition), u64> = BTreeMap::new();
    let mut committed: BTreeMap<(String, TopicPartition), u64> = BTreeMap::new();
    // Offsets order records within a partition; a key stays on one partition until the
    // topic grows (then, as in Kafka, its new records go elsewhere and there is no order
    // between the old and the new partition). So the order is checked per key and partition.
    let mut key_order: BTreeMap<(String, String, PartitionId), u64> = BTreeMap::new();
    for e in sim.trace() {
        match e {
            TraceEvent::OffsetsReset { group, changes, .. } => {
                for c in changes {
                    let k = (group.clone(), c.partition.clone());
                    processed.remove(&k);
                    base.insert(k.clone(), c.to.0);
                    committed.insert(k, c.to.0);
                }
                key_order.retain(|(g, _, _), _| g != group);
            }
            TraceEvent::Processed {
                group,
                topic,
                partition,
                offset,
                key,
                redelivered,
                ..
            } => {
                let tp = TopicPartition {
                    topic: Arc::clone(topic),
                    partition: *partition,
                };
                let k = (group.to_string(), tp);
                let seen = processed.entry(k).or_default();
                let again = !seen.insert(offset.0);
                assert_eq!(
                    *redelivered, again,
                    "seed {seed}: redelivered flag of {group} {topic}-{partition}@{offset}"
                );
                if again {
                    assert_ne!(
                        policy[&**group],
                        CommitPolicy::BeforeProcessing,
                        "seed {seed}: at-most-once group {group} processed {offset} twice"
                    );
                } else if let Some(key) = key {
                    let last = key_order
                        .insert((group.to_string(), key.to_string(), *partition), offset.0);
                    assert!(
                        last.is_none_or(|l| l < offset.0),
                        "seed {seed}: key {key} in {group}: offset {offset} after {last:?}"
                    );
                }
            }
            TraceEvent::Committed { group, offsets, .. } => {
                for c in offsets {
                    let k = (group.clone(), c.partition.clone());
                    let previous = committed.insert(k.clone(), c.offset.0);
                    assert!(
                        previous.is_none_or(|p| p < c.offset.0),
                        "seed {seed}: {group} committed {} after {previous:?} without reset",
                        c.offset
                    );
                    if policy[group.as_str()] != CommitPolicy::BeforeProcessing {
                        let from = base.get(&k).copied().unwrap_or(0);
                        let seen = processed.get(&k).cloned().unwrap_or_default();
                        for o in from..c.offset.0 {
                            assert!(
                                seen.contains(&o),
                                "seed {seed}: {group} committed {} but {} offset {o} was never processed",
                                c.offset,
                                c.partition
                            );
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

/// Succeeds on every record and produces nothing: what a group without a processor does,
/// but through the per-record path (`process_head`) instead of the run at a time.
struct AlwaysDone;

impl Processor for AlwaysDone {
    fn process(&mut self, _: &Delivery<'_>, _: &mut SimRng) -> ProcessOutcome {
        ProcessOutcome::done()
    }
}

fn trace_json(sim: &Sim) -> Vec<String> {
    sim.trace()
        .iter()
        .map(|e| serde_json::to_string(e).unwrap())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// A group without a processor processes a run at a time; one whose processor always
    /// succeeds goes record by record. Same trace, counters and offsets, also when
    /// retention deletes records a member holds (segments of 2, 3 or 5 records kept).
    #[test]
    fn no_processor_traces_like_a_processor_that_always_succeeds(
        case in case(),
        kept in prop_oneof![Just(None), (3u64..6).prop_map(Some)],
    ) {
        let retention = kept.map(|records| Retention { records: Some(records), ticks: None });
        let plain = run_from(setup_with(&case, retention), &case, false, &mut NoProcessors);
        let mut each: BTreeMap<String, Box<dyn Processor>> = GROUPS
            .iter()
            .map(|g| (g.to_string(), Box::new(AlwaysDone) as Box<dyn Processor>))
            .collect();
        let by_record = run_from(setup_with(&case, retention), &case, false, &mut each);
        prop_assert_eq!(trace_json(&plain), trace_json(&by_record), "seed {}", case.seed);
        for g in GROUPS {
            prop_assert_eq!(plain.group(g).unwrap().counters(), by_record.group(g).unwrap().counters());
            prop_assert_eq!(
                serde_json::to_string(&plain.group_snapshot(g)).unwrap(),
                serde_json::to_string(&by_record.group_snapshot(g)).unwrap()
            );
        }
    }

    #[test]
    fn streaming_invariants_hold(case in case()) {
        let sim = run_case(&case, true);
        check_trace(&sim, &case);
    }

    #[test]
    fn same_seed_and_commands_give_the_same_trace(case in case()) {
        let a = run_case(&case, false);
        let b = run_case(&case, false);
        let ja: Vec<String> = a.trace().iter().map(|e| serde_json::to_string(e).unwrap()).collect();
        let jb: Vec<String> = b.trace().iter().map(|e| serde_json::to_string(e).unwrap()).collect();
        prop_assert_eq!(ja, jb, "seed {}", case.seed);
    }
}

/// FNV-1a, so the golden value below does not depend on std's hasher.
fn fnv1a(bytes: &[u8], mut h: u64) -> u64 {
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn trace_hash(sim: &Sim) -> u64 {
    sim.trace().iter().fold(0xcbf2_9ce4_8422_2325, |h, e| {
        fnv1a(serde_json::to_string(e).unwrap().as_bytes(), h)
    })
}

#[test]
fn a_long_random_run_hashes_the_same_twice() {
    let runner_case = |seed: u64| {
        let mut runner = proptest::test_runner::TestRunner::new_with_rng(
            ProptestConfig::default(),
            proptest::test_runner::TestRng::from_seed(
                proptest::test_runner::RngAlgorithm::ChaCha,
                &[seed as u8; 32],
            ),
        );
        let mut c = proptest::collection::vec((0u64..6, op()), 300)
            .new_tree(&mut runner)
            .unwrap()
            .current();
        c.push((
            0,
            Op::Join {
                group: 0,
                member: 0,
            },
        ));
        Case {
            seed,
            partitions: 5,
            groups: vec![
                GroupSetup {
                    strategy: AssignmentStrategy::Range,
                    policy: CommitPolicy::AutoCommit { interval_ticks: 3 },
                    max_poll_records: 5,
                    processing_ticks_per_record: 1,
                    session_timeout_ticks: 6,
                    rebalance_ticks: 2,
                },
                GroupSetup {
                    strategy: AssignmentStrategy::Range,
                    policy: CommitPolicy::AfterProcessing,
                    max_poll_records: 3,
                    processing_ticks_per_record: 0,
                    session_timeout_ticks: 4,
                    rebalance_ticks: 1,
                },
            ],
            idempotent: false,
            ops: c,
        }
    };
    let case = runner_case(17);
    let a = run_case(&case, false);
    let b = run_case(&case, false);
    assert!(a.trace_len() > 1000, "a long run: {} events", a.trace_len());
    assert_eq!(trace_hash(&a), trace_hash(&b));
    check_trace(&a, &case);
    let other = run_case(&Case { seed: 18, ..case }, false);
    assert_ne!(trace_hash(&a), trace_hash(&other), "the seed matters");
}
