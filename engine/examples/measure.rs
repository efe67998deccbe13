//! Rough timings for the hot paths: `cargo run -p orderflow-engine --release --example measure`.
//!
//! Prints, for a million records: plain `Vec` pushes of the same records (the baseline),
//! `PartitionLog::append`, `Sim` produce commands (routing + trace, with the trace capped and
//! uncapped), and a consumer group working through them.

use orderflow_engine::command::Command;
use orderflow_engine::group::GroupConfig;
use orderflow_engine::ids::{Offset, Tick};
use orderflow_engine::log::{Headers, OrderEvent, PartitionLog, Payload, Record};
use orderflow_engine::partitioner::Partitioner;
use orderflow_engine::sim::Sim;
use orderflow_engine::topic::TopicSpec;
use std::time::Instant;

const N: u64 = 1_000_000;

fn event(i: u64) -> Payload {
    Payload::Order(OrderEvent {
        user_id: format!("U{}", i % 1000),
        order_id: format!("O{i}"),
        status: "Created".into(),
    })
}

fn main() {
    // Inputs are built outside the timed sections: we time the engine, not format!.
    let inputs: Vec<(String, Payload)> = (0..N)
        .map(|i| (format!("U{}", i % 1000), event(i)))
        .collect();

    let mut vec = Vec::new();
    let data = inputs.clone();
    let t = Instant::now();
    for (i, (key, value)) in data.into_iter().enumerate() {
        vec.push(Record {
            offset: Offset(i as u64),
            key: Some(key),
            value,
            tick: Tick(0),
            headers: Headers::default(),
        });
    }
    let baseline = t.elapsed();
    println!("Vec::push of 1M records:            {baseline:?}");
    drop(vec);

    let mut log = PartitionLog::default();
    let data = inputs.clone();
    let t = Instant::now();
    for (key, value) in data {
        log.append(Some(&key), value, Tick(0), Headers::default());
    }
    println!("PartitionLog::append of 1M records: {:?}", t.elapsed());
    drop(log);

    for limit in [Some(10_000), None] {
        let mut sim = Sim::new(1);
        sim.set_trace_limit(limit);
        // Headless (capped trace): no command history either. Uncapped: keep everything,
        // as an interactive session that can export itself would.
        sim.set_record_history(limit.is_none());
        sim.apply(Command::CreateTopic(TopicSpec::new(
            "orders",
            12,
            Partitioner::Murmur2,
        )))
        .unwrap();
        let data = inputs.clone();
        let t = Instant::now();
        for (key, value) in data {
            sim.apply(Command::Produce {
                topic: "orders".into(),
                key: Some(key),
                value,
            })
            .unwrap();
        }
        println!(
            "Sim produce of 1M records (murmur2, 12 partitions, trace limit {limit:?}, history {}): {:?}",
            limit.is_none(),
            t.elapsed()
        );
        if limit.is_some() {
            let mut config = GroupConfig::new("g", vec!["orders".into()]);
            config.max_poll_records = 500;
            config.processing_ticks_per_record = 0;
            sim.apply(Command::CreateGroup { config }).unwrap();
            for m in ["c1", "c2", "c3"] {
                sim.apply(Command::JoinGroup {
                    group: "g".into(),
                    member: m.into(),
                })
                .unwrap();
            }
            let t = Instant::now();
            let mut ticks = 0;
            while sim.group_snapshot("g").unwrap().counters.processed < N && ticks < 100_000 {
                sim.step();
                ticks += 1;
            }
            println!(
                "Group of 3 consuming 1M records (500 per poll, 0 ticks each): {:?} over {ticks} ticks",
                t.elapsed()
            );
        }
    }
}
