//! The simulation's cap on resident records (issue 15): every way records get in stops at
//! the limit with a typed error, retention makes room again, and no command sequence ever
//! leaves more records held than the limit.

use orderflow_engine::command::{Command, SimError};
use orderflow_engine::generator::KeySpace;
use orderflow_engine::ids::Tick;
use orderflow_engine::log::{OrderEvent, Payload, Retention};
use orderflow_engine::partitioner::Partitioner;
use orderflow_engine::producer::{Acks, ProducerConfig};
use orderflow_engine::sim::{RecordLimitError, Sim, MAX_RESIDENT_RECORDS};
use orderflow_engine::topic::TopicSpec;
use orderflow_engine::trace::TraceEvent;
use proptest::prelude::*;

fn order(n: u32) -> Payload {
    Payload::Order(OrderEvent {
        user_id: format!("U{n}"),
        order_id: format!("O{n}"),
        status: "Created".into(),
    })
}

fn sim_with_topics(seed: u64, limit: u64) -> Sim {
    let mut sim = Sim::new(seed);
    sim.set_record_limit(limit);
    for name in ["orders", "payments"] {
        sim.apply(Command::CreateTopic(TopicSpec::new(
            name,
            3,
            Partitioner::Murmur2,
        )))
        .unwrap();
    }
    let mut producer = ProducerConfig::new("p");
    producer.acks = Acks::All;
    producer.retries = 2;
    sim.apply(Command::CreateProducer { config: producer })
        .unwrap();
    sim
}

fn produce(sim: &mut Sim, topic: &str, n: u32) -> Result<(), SimError> {
    sim.apply(Command::Produce {
        topic: topic.into(),
        key: Some(format!("U{n}")),
        value: order(n),
    })
}

fn held(sim: &Sim) -> u64 {
    sim.topics().map(|t| t.len()).sum()
}

#[test]
fn the_default_limit_is_documented_and_counts_nothing_at_first() {
    let sim = Sim::new(1);
    assert_eq!(sim.record_limit(), MAX_RESIDENT_RECORDS);
    assert_eq!(MAX_RESIDENT_RECORDS, 2_000_000);
    assert_eq!(sim.resident_records(), 0);
    assert_eq!(sim.record_limit_refusals(), (0, None));
}

#[test]
fn appends_over_all_topics_stop_at_the_limit_with_the_numbers() {
    let mut sim = sim_with_topics(7, 5);
    for n in 0..3 {
        produce(&mut sim, "orders", n).unwrap();
    }
    for n in 0..2 {
        produce(&mut sim, "payments", n).unwrap();
    }
    let trace_before = sim.trace_len();
    let refused = produce(&mut sim, "orders", 9).unwrap_err();
    let expected = RecordLimitError {
        resident: 5,
        limit: 5,
    };
    assert_eq!(refused, SimError::RecordLimit(expected));
    assert!(refused.to_string().contains("limit of 5 resident records"));
    assert_eq!(
        sim.trace_len(),
        trace_before,
        "a refused append leaves no trace"
    );
    assert_eq!(held(&sim), 5);
    // A named producer's send is refused the same way, before it counts as a send.
    let send = sim.apply(Command::Send {
        producer: "p".into(),
        topic: "payments".into(),
        key: None,
        value: order(1),
    });
    assert_eq!(send, Err(SimError::RecordLimit(expected)));
    assert_eq!(sim.producer("p").unwrap().counters.sends, 0);
    assert_eq!(sim.record_limit_refusals(), (2, Some(expected)));
}

#[test]
fn retention_keeps_a_long_run_under_the_limit() {
    // Retention runs as a segment fills, so a partition holds up to retention + one
    // segment: here 3 partitions × (2 + 2) = 12 records at most, under the limit of 20.
    let mut sim = sim_with_topics(7, 20);
    sim.apply(Command::ConfigureTopic {
        topic: "orders".into(),
        segment_records: Some(2),
        retention: Some(Retention {
            records: Some(2),
            ticks: None,
        }),
        unkeyed: None,
    })
    .unwrap();
    // With retention the topic holds a few records however many are produced.
    for n in 0..1_000 {
        produce(&mut sim, "orders", n).unwrap();
    }
    assert!(sim.resident_records() <= 12);
    assert_eq!(sim.resident_records(), held(&sim));
    assert_eq!(sim.record_limit_refusals().0, 0);
}

#[test]
fn a_generator_stops_at_the_limit_with_a_traced_reason() {
    let mut sim = sim_with_topics(7, 25);
    sim.apply(Command::SetGenerator {
        topic: "orders".into(),
        records_per_tick: 10,
        key_space: KeySpace::new("U", 5),
    })
    .unwrap();
    sim.run_until(Tick(5));
    assert_eq!(held(&sim), 25);
    assert!(sim.generators().is_empty(), "the generator stopped");
    let reasons: Vec<&String> = sim
        .trace()
        .iter()
        .filter_map(|e| match e {
            TraceEvent::CommandRejected { error, .. } => Some(error),
            _ => None,
        })
        .collect();
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert!(reasons[0].contains("generator on topic \"orders\" stopped"));
    assert!(reasons[0].contains("limit of 25 resident records"));
}

#[test]
fn a_burst_at_the_limit_appends_what_fits_and_replays_the_same() {
    let mut sim = sim_with_topics(7, 30);
    let burst = Command::Generate {
        topic: "orders".into(),
        count: 100,
        key_space: KeySpace::new("U", 5),
    };
    assert_eq!(
        sim.apply(burst),
        Ok(()),
        "kept in the history, so it replays"
    );
    assert_eq!(held(&sim), 30);
    let replayed = Sim::from_scenario(&sim.to_scenario("limit", "")).map(|mut s| {
        s.set_record_limit(30);
        s
    });
    assert!(replayed.is_ok());
}

#[derive(Clone, Debug)]
enum Op {
    Produce(bool),
    Send,
    Generate(u32),
    SetGenerator(u32),
    Retention(Option<u64>, u64),
    Limit(u64),
    Step(u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        any::<bool>().prop_map(Op::Produce),
        Just(Op::Send),
        (0u32..200).prop_map(Op::Generate),
        (0u32..40).prop_map(Op::SetGenerator),
        (proptest::option::of(1u64..60), 1u64..20).prop_map(|(r, s)| Op::Retention(r, s)),
        (0u64..300).prop_map(Op::Limit),
        (1u8..6).prop_map(Op::Step),
    ]
}

fn command(op: &Op, i: u32) -> Option<Command> {
    let topic = if i % 2 == 0 { "orders" } else { "payments" };
    Some(match op {
        Op::Produce(keyed) => Command::Produce {
            topic: topic.into(),
            key: keyed.then(|| format!("U{i}")),
            value: order(i),
        },
        Op::Send => Command::Send {
            producer: "p".into(),
            topic: topic.into(),
            key: None,
            value: order(i),
        },
        Op::Generate(count) => Command::Generate {
            topic: topic.into(),
            count: *count,
            key_space: KeySpace::new("U", 9),
        },
        Op::SetGenerator(rate) => Command::SetGenerator {
            topic: topic.into(),
            records_per_tick: *rate,
            key_space: KeySpace::new("U", 9),
        },
        Op::Retention(records, segment) => Command::ConfigureTopic {
            topic: topic.into(),
            segment_records: Some(*segment),
            retention: Some(Retention {
                records: *records,
                ticks: None,
            }),
            unkeyed: None,
        },
        Op::Limit(_) | Op::Step(_) => return None,
    })
}

proptest! {
    /// Whatever the commands, the count of resident records is exact (what the logs hold)
    /// and never grows past the limit. (Lowering the limit below what is held already lets
    /// nothing more in until retention makes room.)
    #[test]
    fn resident_records_never_exceed_the_limit(
        limit in 0u64..300,
        ops in proptest::collection::vec(op(), 1..60),
        seed in any::<u64>(),
    ) {
        let mut sim = sim_with_topics(seed, limit);
        for (i, op) in ops.iter().enumerate() {
            let before = sim.resident_records();
            match op {
                Op::Limit(new) => sim.set_record_limit(*new),
                Op::Step(n) => sim.run_until(Tick(sim.now().0 + u64::from(*n))),
                _ => {
                    if let Some(c) = command(op, i as u32) {
                        let _ = sim.apply(c);
                    }
                }
            }
            let after = sim.resident_records();
            prop_assert_eq!(after, held(&sim));
            prop_assert!(after <= sim.record_limit().max(before), "{} > {}", after, sim.record_limit());
        }
    }
}
