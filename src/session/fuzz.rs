//! Fuzzing by proptest (cargo-fuzz needs a nightly toolchain): whatever arrives from a
//! stranger (a link, a file, a localStorage entry) and whatever command sequence reaches the
//! engine, nothing panics and the work stays bounded.
//!
//! - arbitrary bytes and strings into the share-link decoder, the session JSON parser and
//!   the saved-session reader;
//! - valid sessions (the default start and every preset) with their JSON leaves mutated to
//!   edge values (0, 1, `u32::MAX`, `u64::MAX`, negative, empty and odd names) or truncated:
//!   parsed, and when they validate, replayed;
//! - sequences of engine commands (one of each kind, leaves mutated the same way) applied to
//!   a `Sim` with ticks in between: every refusal is a typed error.
//!
//! A short run is part of `cargo test` (32 cases per property); `PROPTEST_CASES=N` runs N
//! (see the README).

use crate::playground::Playground;
use crate::saved::Saved;
use crate::session::Session;
use crate::share;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use orderflow_engine::generator::KeySpace;
use orderflow_engine::group::{CommitPolicy, GroupConfig, OffsetResetSpec};
use orderflow_engine::ids::{MemberId, Offset};
use orderflow_engine::log::{OrderEvent, Payload, Retention};
use orderflow_engine::partitioner::{Partitioner, UnkeyedStrategy};
use orderflow_engine::producer::ProducerConfig;
use orderflow_engine::sim::{Command, Sim, MAX_RESIDENT_RECORDS};
use orderflow_engine::topic::TopicSpec;
use proptest::prelude::*;
use serde_json::Value;

/// Cases per property: `PROPTEST_CASES`, or a short run by default.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(32)
}

/// Numbers a mutated leaf may become: the edges where arithmetic overflows or loops run long.
const NUMBERS: [i128; 12] = [
    0,
    1,
    2,
    3,
    1_024,
    1_025,
    1_000_000,
    i32::MAX as i128,
    u32::MAX as i128,
    u64::MAX as i128,
    -1,
    i64::MIN as i128,
];

/// Strings a mutated leaf may become: names that exist, do not, are empty, long or odd.
fn odd_strings() -> Vec<String> {
    vec![
        String::new(),
        "orders".into(),
        "payments".into(),
        "g".into(),
        "c1".into(),
        "p".into(),
        "<img src=x onerror=alert(1)>".into(),
        "🦀".repeat(300),
        "orders.DLQ".into(),
        "x".repeat(2_000),
    ]
}

/// SplitMix64: the mutation choices, derived from one proptest-chosen number.
fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Replaces about one leaf in `rate` with an edge number or an odd string.
fn mutate(value: &mut Value, state: &mut u64, rate: u64) {
    match value {
        Value::Array(items) => items.iter_mut().for_each(|v| mutate(v, state, rate)),
        Value::Object(map) => map.values_mut().for_each(|v| mutate(v, state, rate)),
        leaf => {
            if next(state) % rate != 0 {
                return;
            }
            let pick = next(state);
            *leaf = match (&*leaf, pick % 3) {
                (Value::String(_), 0) | (Value::Null, 0) => {
                    Value::from(NUMBERS[(pick / 3) as usize % NUMBERS.len()] as i64)
                }
                (Value::String(_), _) | (Value::Bool(_), 0) => {
                    let strings = odd_strings();
                    Value::from(strings[(pick / 3) as usize % strings.len()].clone())
                }
                (Value::Bool(b), _) => Value::Bool(!b),
                _ => {
                    let n = NUMBERS[(pick / 3) as usize % NUMBERS.len()];
                    serde_json::from_str(&n.to_string()).unwrap_or(Value::Null)
                }
            };
        }
    }
}

/// The sessions mutations start from: the default start and every preset.
fn seed_sessions() -> Vec<Session> {
    let mut sessions = vec![Session::default()];
    sessions.extend(
        orderflow_engine::scenario::presets()
            .iter()
            .map(crate::presets::session_from_scenario),
    );
    sessions
}

/// Work a validated session asks for on replay, roughly in records: bursts plus what the
/// generators may publish over its ticks (the user's and the scenario's). Only cheap
/// sessions are replayed in the fuzz.
fn replay_cost(session: &Session) -> u64 {
    let logged = session.actions.iter().filter_map(|a| a.command.as_sim());
    let timed = session
        .scenario
        .commands
        .iter()
        .filter_map(|c| c.command.as_sim());
    let mut cost = session.ticks;
    for command in logged.chain(timed) {
        cost = cost.saturating_add(match command {
            Command::Generate { count, .. } => u64::from(*count),
            Command::SetGenerator {
                records_per_tick, ..
            } => u64::from(*records_per_tick).saturating_mul(session.ticks),
            _ => 1,
        });
    }
    cost
}

/// One command of each kind, on the names the odd strings also use.
fn seed_commands() -> Vec<Command> {
    let order = OrderEvent {
        user_id: "U1".into(),
        order_id: "O1".into(),
        status: "Created".into(),
    };
    let mut group = GroupConfig::new("g", vec!["orders".into()]);
    group.commit_policy = CommitPolicy::AutoCommit { interval_ticks: 5 };
    vec![
        Command::CreateTopic(TopicSpec::new("orders", 4, Partitioner::Murmur2)),
        Command::ConfigureTopic {
            topic: "orders".into(),
            segment_records: Some(10),
            retention: Some(Retention {
                records: Some(20),
                ticks: Some(5),
            }),
            unkeyed: Some(UnkeyedStrategy::Sticky { batch_records: 3 }),
        },
        Command::AddPartitions {
            topic: "orders".into(),
            partitions: 6,
        },
        Command::Produce {
            topic: "orders".into(),
            key: Some("U1".into()),
            value: Payload::Order(order.clone()),
        },
        Command::CreateProducer {
            config: ProducerConfig::new("p"),
        },
        Command::Send {
            producer: "p".into(),
            topic: "orders".into(),
            key: None,
            value: Payload::Order(order),
        },
        Command::LoseNextAcks {
            producer: "p".into(),
            count: 2,
        },
        Command::CreateGroup { config: group },
        Command::ConfigureGroup {
            group: "g".into(),
            processing_ticks_per_record: Some(2),
            max_poll_records: Some(5),
        },
        Command::ConfigureMember {
            group: "g".into(),
            member: MemberId("c1".into()),
            processing_ticks_per_record: Some(3),
        },
        Command::JoinGroup {
            group: "g".into(),
            member: MemberId("c1".into()),
        },
        Command::LeaveGroup {
            group: "g".into(),
            member: MemberId("c1".into()),
        },
        Command::KillMember {
            group: "g".into(),
            member: MemberId("c1".into()),
        },
        Command::ResetOffsets {
            group: "g".into(),
            topic: None,
            spec: OffsetResetSpec::ShiftBy { by: -3 },
        },
        Command::ResetOffsets {
            group: "g".into(),
            topic: Some("orders".into()),
            spec: OffsetResetSpec::ToOffset { offset: Offset(7) },
        },
        Command::Generate {
            topic: "orders".into(),
            count: 50,
            key_space: KeySpace {
                key_prefix: "U".into(),
                keys: 5,
                hot_key_percent: 0,
            },
        },
        Command::SetGenerator {
            topic: "orders".into(),
            records_per_tick: 3,
            key_space: KeySpace {
                key_prefix: "U".into(),
                keys: 5,
                hot_key_percent: 0,
            },
        },
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    /// Arbitrary bytes as a link, as deflated link data and as JSON: an error, never a panic.
    #[test]
    fn arbitrary_bytes_never_panic_the_decoders(bytes in proptest::collection::vec(any::<u8>(), 0..4_096)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = share::decode(&text);
        let _ = share::from_fragment(&format!("{}{text}", share::FRAGMENT_PREFIX));
        let _ = share::decode(&URL_SAFE_NO_PAD.encode(&bytes));
        let deflated = miniz_oxide::deflate::compress_to_vec(&bytes, 6);
        let _ = share::decode(&URL_SAFE_NO_PAD.encode(deflated));
        let _ = share::from_json(&text);
        let _ = Saved::read(Some(&text));
    }

    /// Arbitrary strings, including JSON-looking ones: an error or a valid session.
    #[test]
    fn arbitrary_strings_never_panic_the_session_parser(text in "\\PC{0,512}|\\{\"format\":[0-9]{1,12}[^}]{0,256}\\}") {
        if let Ok(session) = share::from_json(&text) {
            prop_assert!(session.validate().is_ok());
        }
        let _ = Saved::read(Some(&text));
    }

    /// Valid sessions with mutated or cut JSON: refused with a reason, or valid and replayed
    /// without a panic.
    #[test]
    fn mutated_sessions_are_refused_or_replay(
        index in 0usize..64,
        mutation in any::<u64>(),
        rate in 2u64..40,
        cut in proptest::option::of(0usize..100_000),
    ) {
        let sessions = seed_sessions();
        let session = &sessions[index % sessions.len()];
        let mut value = serde_json::to_value(session).unwrap();
        let mut state = mutation;
        mutate(&mut value, &mut state, rate);
        let mut text = value.to_string();
        if let Some(cut) = cut {
            let mut at = cut % (text.len() + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            text.truncate(at);
        }
        if let Ok(session) = share::from_json(&text) {
            if replay_cost(&session) <= 50_000 {
                let _ = Playground::new(session.clone());
            }
            let link = share::encode(&session);
            prop_assert_eq!(share::decode(&link).unwrap(), session);
        }
    }

    /// Sequences of engine commands with mutated fields, with ticks between them: every
    /// refusal is a typed error, never a panic.
    #[test]
    fn command_sequences_never_panic_the_engine(
        steps in proptest::collection::vec((0usize..64, any::<u64>(), 0u8..4), 1..40),
        seed in any::<u64>(),
    ) {
        let commands = seed_commands();
        let mut sim = Sim::new(seed);
        for (index, mutation, ticks) in steps {
            let mut value = serde_json::to_value(&commands[index % commands.len()]).unwrap();
            let mut state = mutation;
            // Half unchanged (so names meet and groups form), half mutated.
            if mutation % 2 == 1 {
                mutate(&mut value, &mut state, 3);
            }
            if let Ok(command) = serde_json::from_value::<Command>(value) {
                let _ = sim.apply(command);
            }
            for _ in 0..ticks {
                sim.step();
            }
            // The engine's own limit bounds the records a case can pile up.
            prop_assert!(sim.resident_records() <= MAX_RESIDENT_RECORDS);
        }
    }
}

#[test]
fn the_mutations_reach_every_seed_and_produce_commands() {
    // The fuzz is only as good as its seeds: every seed command is a command the engine
    // accepts in order, and mutated ones still deserialise often enough to matter.
    let mut sim = Sim::new(1);
    let mut accepted = 0;
    for command in seed_commands() {
        if sim.apply(command).is_ok() {
            accepted += 1;
        }
    }
    assert!(accepted >= 15, "only {accepted} seed commands accepted");
    let mut parsed = 0;
    for m in 0..200u64 {
        let mut value = serde_json::to_value(&seed_commands()[(m % 17) as usize]).unwrap();
        let mut state = m;
        mutate(&mut value, &mut state, 3);
        parsed += usize::from(serde_json::from_value::<Command>(value).is_ok());
    }
    assert!(parsed > 40, "only {parsed} of 200 mutated commands parse");
}

/// Regression (found by `command_sequences_never_panic_the_engine`): a group whose durations
/// are `u64::MAX` overflowed its rebalance deadline when a member joined. Every deadline of
/// a group (rebalance, session timeout, processing, auto-commit) now saturates.
#[test]
fn group_durations_of_u64_max_never_overflow_a_deadline() {
    let mut sim = Sim::new(7);
    sim.apply(Command::CreateTopic(TopicSpec::new(
        "orders",
        2,
        Partitioner::Murmur2,
    )))
    .unwrap();
    let mut config = GroupConfig::new("g", vec!["orders".into()]);
    config.rebalance_ticks = u64::MAX;
    config.session_timeout_ticks = u64::MAX;
    config.processing_ticks_per_record = u64::MAX;
    config.commit_policy = CommitPolicy::AutoCommit {
        interval_ticks: u64::MAX,
    };
    sim.apply(Command::CreateGroup { config }).unwrap();
    for member in ["c1", "c2"] {
        sim.apply(Command::JoinGroup {
            group: "g".into(),
            member: MemberId(member.into()),
        })
        .unwrap();
    }
    sim.apply(Command::Generate {
        topic: "orders".into(),
        count: 10,
        key_space: KeySpace {
            key_prefix: "U".into(),
            keys: 3,
            hot_key_percent: 0,
        },
    })
    .unwrap();
    sim.apply(Command::ConfigureMember {
        group: "g".into(),
        member: MemberId("c2".into()),
        processing_ticks_per_record: Some(u64::MAX),
    })
    .unwrap();
    for _ in 0..5 {
        sim.step();
    }
    sim.apply(Command::KillMember {
        group: "g".into(),
        member: MemberId("c1".into()),
    })
    .unwrap();
    for _ in 0..5 {
        sim.step();
    }
}
