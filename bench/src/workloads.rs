//! The workloads of BENCHMARKS.md, on the engine's public API only. This is the one file
//! that names engine types (the saga's are in [`saga`]), so following an API move means
//! editing here and nowhere else.
//!
//! Every workload checks what it did (records in the logs, records consumed, sagas
//! settled) and panics if the engine did less: a benchmark of a run that silently did
//! nothing would be the fastest of all.

use crate::harness::{measure, Outcome, Prepared, Run};
use orderflow_engine::group::GroupConfig;
use orderflow_engine::ids::{MemberId, Tick};
use orderflow_engine::log::{Headers, OrderEvent, PartitionLog, Payload, KEPT_RECORD_BYTES};
use orderflow_engine::partitioner::Partitioner;
use orderflow_engine::sim::{Command, Sim, TraceEvent, ORDER_LIFECYCLE};
use orderflow_engine::topic::TopicSpec;
use std::hint::black_box;
use std::sync::Arc;

pub mod saga;

/// Partitions of the `orders` topic in P and W.
pub const PARTITIONS: u32 = 12;
/// Distinct users (record keys) among P's events.
pub const USERS: u64 = 1_000;
/// The page's trace cap (`src/playground.rs` `TRACE_LIMIT`), so P and W keep the trace the
/// way the page does.
pub const TRACE_LIMIT: usize = 20_000;
/// The consumer groups of W: name and members (the Event Hubs example's three groups).
pub const GROUPS: [(&str, u32); 3] = [("OrderProcessor", 2), ("Notifier", 3), ("Analytics", 1)];
/// Records one poll returns at most in W (Kafka's `max.poll.records` default).
pub const MAX_POLL_RECORDS: u32 = 500;

const TOPIC: &str = "orders";

/// F, the floor: `n` records of 64 bytes pushed onto a `Vec`, grown as a log grows (no
/// reservation). No in-memory log can append faster.
pub fn floor(n: u64) -> Run {
    measure(
        || Prepared {
            input: (),
            harness_bytes: 0,
        },
        |_| {
            let mut log: Vec<[u8; 64]> = Vec::new();
            for i in 0..n {
                let mut record = [0u8; 64];
                record[..8].copy_from_slice(&i.to_le_bytes());
                log.push(black_box(record));
            }
            let outcome = Outcome {
                items: log.len() as u64,
                key_value_bytes: 64 * log.len() as u64,
                ..Outcome::default()
            };
            (outcome, log)
        },
    )
}

/// `n` distinct keys of 8 to 16 bytes: `k` and the number zero-padded to the length.
pub fn route_keys(n: u64) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| {
            let digits = 7 + (i % 9) as usize;
            format!("k{i:0digits$}").into_bytes()
        })
        .collect()
}

/// R: routes `n` distinct keys with `partitioner` to one of [`PARTITIONS`] partitions.
pub fn route(partitioner: Partitioner, n: u64) -> Run {
    measure(
        || {
            let keys = route_keys(n);
            let harness_bytes = keys.capacity() * size_of::<Vec<u8>>()
                + keys.iter().map(|k| k.capacity()).sum::<usize>();
            Prepared {
                input: keys,
                harness_bytes,
            }
        },
        |keys| {
            let mut spread = vec![0u64; PARTITIONS as usize];
            for key in keys.iter() {
                let routing = partitioner.route(black_box(key), PARTITIONS);
                spread[routing.partition.0 as usize] += 1;
            }
            assert_eq!(spread.iter().sum::<u64>(), n);
            let key_value_bytes = keys.iter().map(|k| k.len() as u64).sum();
            let mut outcome = Outcome {
                items: n,
                key_value_bytes,
                ..Outcome::default()
            };
            outcome.extra.insert(
                "busiest_partition_keys".into(),
                spread.iter().max().copied().into(),
            );
            (outcome, spread)
        },
    )
}

/// One order event of P and W: user `U{i % USERS}` (also the key), order `O{i}`, the
/// statuses in lifecycle order.
fn order_event(i: u64) -> (Option<String>, Payload) {
    let user = format!("U{}", i % USERS);
    let event = OrderEvent {
        user_id: user.clone(),
        order_id: format!("O{i}"),
        status: ORDER_LIFECYCLE[(i / USERS) as usize % ORDER_LIFECYCLE.len()].to_string(),
    };
    (Some(user), Payload::Order(event))
}

/// The input of P and W: `n` events; each is taken (moved into the engine) once.
type Events = Vec<Option<(Option<String>, Payload)>>;

fn prepare_events(n: u64) -> Prepared<Events> {
    let events: Events = (0..n).map(|i| Some(order_event(i))).collect();
    let harness_bytes = events.capacity() * size_of::<Option<(Option<String>, Payload)>>();
    Prepared {
        input: events,
        harness_bytes,
    }
}

fn key_value_bytes(key: &Option<String>, value: &Payload) -> u64 {
    let key = key.as_ref().map_or(0, |k| k.len());
    let value = match value {
        Payload::Order(o) => o.user_id.len() + o.order_id.len() + o.status.len(),
        _ => 0,
    };
    (key + value) as u64
}

/// A simulation configured as the page runs it (trace capped at [`TRACE_LIMIT`]), minus
/// the command history the page never reads, with the `orders` topic.
fn orders_sim() -> Sim {
    let mut sim = Sim::new(1);
    sim.set_trace_limit(Some(TRACE_LIMIT));
    sim.set_record_history(false);
    sim.apply(Command::CreateTopic(TopicSpec::new(
        TOPIC,
        PARTITIONS,
        Partitioner::Murmur2,
    )))
    .expect("a fresh simulation takes the topic");
    sim
}

/// Produces every event of `events` (taking each); returns their key and value bytes.
fn produce_all(sim: &mut Sim, events: &mut Events) -> u64 {
    // One name for every command, as a caller producing many records would hold it.
    let topic: Arc<str> = TOPIC.into();
    let mut bytes = 0;
    for slot in events.iter_mut() {
        let (key, value) = slot.take().expect("each event is produced once");
        bytes += key_value_bytes(&key, &value);
        sim.apply(Command::Produce {
            topic: Arc::clone(&topic),
            key,
            value,
        })
        .expect("the topic exists");
    }
    bytes
}

fn records_in(sim: &Sim) -> u64 {
    let topic = sim.topic(TOPIC).expect("the topic exists");
    topic.partitions().iter().map(|p| p.len() as u64).sum()
}

/// P/log: the events of P appended straight to one `PartitionLog` (no `Sim`: no command,
/// routing, event id or trace). Between F and P, it says how much of P's cost is the log's
/// record itself and how much the simulation around it.
pub fn append_to_log(n: u64) -> Run {
    measure(
        || prepare_events(n),
        |events| {
            let mut log = PartitionLog::default();
            let mut key_value_bytes = 0;
            for slot in events.iter_mut() {
                let (key, value) = slot.take().expect("each event is appended once");
                key_value_bytes += self::key_value_bytes(&key, &value);
                log.append(key.as_deref(), value, Tick(0), Headers::default());
            }
            assert_eq!(log.len() as u64, n, "every event is in the log");
            let outcome = Outcome {
                items: n,
                key_value_bytes,
                ..Outcome::default()
            };
            (outcome, log)
        },
    )
}

/// P: `n` keyed order events produced into [`PARTITIONS`] partitions through `Sim`.
pub fn produce(n: u64) -> Run {
    measure(
        || prepare_events(n),
        |events| {
            let mut sim = orders_sim();
            let key_value_bytes = produce_all(&mut sim, events);
            assert_eq!(records_in(&sim), n, "every event is in the log");
            let mut outcome = Outcome {
                items: n,
                key_value_bytes,
                ..Outcome::default()
            };
            // The inline sizes behind the bytes per record (pointers are 4 bytes in Wasm).
            let extra = &mut outcome.extra;
            extra.insert("record_bytes".into(), KEPT_RECORD_BYTES.into());
            extra.insert("trace_event_bytes".into(), size_of::<TraceEvent>().into());
            (outcome, sim)
        },
    )
}

/// W, the pipeline: P, then the three [`GROUPS`] (at-least-once, [`MAX_POLL_RECORDS`]
/// per poll, no processing time) step until each has consumed and committed everything.
pub fn pipeline(n: u64) -> Run {
    measure(
        || prepare_events(n),
        |events| {
            let started = crate::harness::now_ms();
            let mut sim = orders_sim();
            let key_value_bytes = produce_all(&mut sim, events);
            let produced_ms = crate::harness::now_ms() - started;
            for (name, members) in GROUPS {
                let mut config = GroupConfig::new(name, vec![TOPIC.into()]);
                config.max_poll_records = MAX_POLL_RECORDS;
                config.processing_ticks_per_record = 0;
                sim.apply(Command::CreateGroup { config })
                    .expect("a new group");
                for m in 1..=members {
                    sim.apply(Command::JoinGroup {
                        group: name.into(),
                        member: MemberId(format!("{name}-{m}")),
                    })
                    .expect("the group exists");
                }
            }
            // Every member needs ceil(records it owns / MAX_POLL_RECORDS) ticks; the busiest
            // partition bounds that, and a rebalance adds a few. Far more means a stall.
            let tick_bound = 100 + 2 * n / u64::from(MAX_POLL_RECORDS);
            let mut ticks = 0;
            while !GROUPS.iter().all(|(g, _)| drained(&sim, g, n)) {
                assert!(ticks < tick_bound, "the groups stalled after {ticks} ticks");
                sim.step();
                ticks += 1;
            }
            let mut outcome = Outcome {
                items: n,
                key_value_bytes,
                ..Outcome::default()
            };
            let extra = &mut outcome.extra;
            extra.insert("ticks".into(), ticks.into());
            extra.insert("produce_ms".into(), produced_ms.into());
            extra.insert(
                "consume_ms".into(),
                (crate::harness::now_ms() - started - produced_ms).into(),
            );
            (outcome, sim)
        },
    )
}

/// True when `group` has processed `n` records and committed up to the end of the log.
fn drained(sim: &Sim, group: &str, n: u64) -> bool {
    let processed = sim.group(group).map_or(0, |g| g.counters().processed);
    processed >= n && sim.group_snapshot(group).is_some_and(|s| s.total_lag == 0)
}

/// The partitioners of R, in a stable order, with their ids.
pub fn partitioners() -> Vec<(String, Partitioner)> {
    Partitioner::ALL
        .into_iter()
        .map(|p| (p.name().to_string(), p))
        .collect()
}
