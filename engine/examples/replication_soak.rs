//! Measures the engine's tick in the page soak with brokers (`e2e/page-soak.mjs`: three
//! brokers under a 12-partition topic, replication factor 2, retention of 2,000 records a
//! partition, a generator publishing 1,000 records a tick, two consumer groups, members and
//! brokers killed and restarted on a schedule), natively:
//! `cargo run --release -p orderflow-engine --example replication_soak [TICKS] [RATE]`.
//! Prints the time per tick over each tenth of the run. Wall-clock time is read here, in
//! the example, never in the engine.

use orderflow_engine::scenario::{Scenario, System};
use serde_json::json;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::Instant;

/// The page's trace limit (`src/playground.rs`).
const TRACE_LIMIT: usize = 20_000;

fn scenario(ticks: u64, rate: u64) -> Scenario {
    let mut commands = vec![json!({
        "at": 0, "type": "set_generator", "topic": "orders", "records_per_tick": rate,
        "key_prefix": "user-", "keys": 10_000,
    })];
    let (mut at, mut n) = (150, 0);
    while at < ticks {
        let member = if n == 0 {
            "b1".to_string()
        } else {
            format!("b-new-{}", n - 1)
        };
        commands
            .push(json!({"at": at, "type": "kill_member", "group": "billing", "member": member}));
        commands.push(json!({"at": at + 40, "type": "join_group", "group": "billing", "member": format!("b-new-{n}")}));
        at += 300;
        n += 1;
    }
    let (mut at, mut n) = (400, 0);
    while at < ticks {
        let broker = 1 + (n % 3);
        commands.push(json!({"at": at, "type": "kill_broker", "broker": broker}));
        commands.push(json!({"at": at + 60, "type": "restart_broker", "broker": broker}));
        at += 700;
        n += 1;
    }
    commands.sort_by_key(|c| c["at"].as_u64());
    let group = |name: &str, members: &[&str]| {
        json!({
            "name": name, "topics": ["orders"], "strategy": "cooperative-sticky",
            "commit_policy": {"type": "after_processing"}, "auto_offset_reset": "earliest",
            "max_poll_records": 500, "processing_ticks_per_record": 0,
            "session_timeout_ticks": 20, "rebalance_ticks": 2, "members": members,
        })
    };
    let scenario = json!({
        "name": "page-soak", "description": "The page soak (e2e/page-soak.mjs).", "seed": 11,
        "ticks": ticks,
        "topics": [{
            "name": "orders", "partitions": 12, "partitioner": "murmur2", "segment_records": 1_000,
            "retention": {"records": 2_000}, "replication_factor": 2,
        }],
        "producers": [],
        "groups": [group("billing", &["b1", "b2", "b3"]), group("shipping", &["s1", "s2"])],
        "commands": commands,
        "brokers": [{"id": 1, "rack": null}, {"id": 2, "rack": null}, {"id": 3, "rack": null}],
    });
    Scenario::from_json(&scenario.to_string()).expect("the soak scenario is valid")
}

fn main() {
    let mut args = std::env::args()
        .skip(1)
        .map(|a| a.parse::<u64>().expect("a number"));
    let ticks = args.next().unwrap_or(1_000);
    let rate = args.next().unwrap_or(1_000);
    let mut system = System::from_scenario(&scenario(ticks, rate)).expect("builds");
    system.set_trace_limit(Some(TRACE_LIMIT));
    let window = (ticks / 10).max(1);
    let total = Instant::now();
    let mut start = Instant::now();
    for tick in 1..=ticks {
        system.step();
        if tick % window == 0 {
            let ms = start.elapsed().as_secs_f64() * 1e3 / window as f64;
            println!("ticks {:>6}..{tick:<6} {ms:8.3} ms/tick", tick + 1 - window);
            start = Instant::now();
        }
    }
    let secs = total.elapsed().as_secs_f64();
    let sim = system.sim();
    // The same seed and commands must give the same trace: its last events' hash.
    let mut hasher = DefaultHasher::new();
    for event in sim.trace() {
        serde_json::to_string(event)
            .expect("serialises")
            .hash(&mut hasher);
    }
    println!(
        "{ticks} ticks at {rate}/tick: {:.3} ms/tick ({secs:.2} s); brokers hold {}, trace hash {:016x}",
        secs * 1e3 / ticks as f64,
        sim.replication_held_entries(),
        hasher.finish(),
    );
}
