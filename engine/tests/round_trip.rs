//! Every command and scenario survives JSON: what a share link and a scenario file carry.

use orderflow_engine::command::{Command, TimedCommand};
use orderflow_engine::generator::KeySpace;
use orderflow_engine::group::{AutoOffsetReset, CommitPolicy, GroupConfig, OffsetResetSpec};
use orderflow_engine::ids::{EventId, MemberId, Offset, Tick};
use orderflow_engine::log::{Headers, OrderEvent, Payload, Retention};
use orderflow_engine::partitioner::{Partitioner, UnkeyedStrategy};
use orderflow_engine::producer::{Acks, ProducerConfig};
use orderflow_engine::scenario::{presets, Scenario};
use orderflow_engine::topic::{KeyField, TopicSpec};
use proptest::prelude::*;

fn name() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9._-]{1,12}"
}

fn payload() -> impl Strategy<Value = Payload> {
    (name(), name(), name()).prop_map(|(user_id, order_id, status)| {
        Payload::Order(OrderEvent {
            user_id,
            order_id,
            status,
        })
    })
}

fn partitioner() -> impl Strategy<Value = Partitioner> {
    prop_oneof![
        Just(Partitioner::Murmur2),
        Just(Partitioner::Crc32),
        Just(Partitioner::EventHubs)
    ]
}

fn reset_spec() -> impl Strategy<Value = OffsetResetSpec> {
    prop_oneof![
        Just(OffsetResetSpec::ToEarliest),
        Just(OffsetResetSpec::ToLatest),
        any::<u64>().prop_map(|o| OffsetResetSpec::ToOffset { offset: Offset(o) }),
        any::<i64>().prop_map(|by| OffsetResetSpec::ShiftBy { by }),
        any::<u64>().prop_map(|t| OffsetResetSpec::ToTick { tick: Tick(t) }),
        any::<u64>().prop_map(|ticks| OffsetResetSpec::ByDuration { ticks }),
    ]
}

fn group_config() -> impl Strategy<Value = GroupConfig> {
    (
        name(),
        proptest::collection::vec(name(), 1..3),
        prop_oneof![
            (1u64..100).prop_map(|interval_ticks| CommitPolicy::AutoCommit { interval_ticks }),
            Just(CommitPolicy::AfterProcessing),
            Just(CommitPolicy::BeforeProcessing),
        ],
        any::<bool>(),
        (1u32..1000, any::<u64>(), 1u64..100, any::<u64>()),
    )
        .prop_map(|(name, topics, commit_policy, latest, numbers)| {
            let mut c = GroupConfig::new(name, topics);
            c.commit_policy = commit_policy;
            c.auto_offset_reset = if latest {
                AutoOffsetReset::Latest
            } else {
                AutoOffsetReset::Earliest
            };
            c.max_poll_records = numbers.0;
            c.processing_ticks_per_record = numbers.1;
            c.session_timeout_ticks = numbers.2;
            c.rebalance_ticks = numbers.3;
            c
        })
}

fn key_field() -> impl Strategy<Value = KeyField> {
    prop_oneof![
        Just(KeyField::UserId),
        Just(KeyField::OrderId),
        Just(KeyField::NoKey)
    ]
}

fn unkeyed() -> impl Strategy<Value = UnkeyedStrategy> {
    prop_oneof![
        Just(UnkeyedStrategy::RoundRobin),
        (0u32..100).prop_map(|batch_records| UnkeyedStrategy::Sticky { batch_records })
    ]
}

fn topic_spec() -> impl Strategy<Value = TopicSpec> {
    (
        (name(), 1u32..1025, partitioner(), key_field()),
        proptest::option::of(1u64..10_000),
        proptest::option::of((
            proptest::option::of(any::<u64>()),
            proptest::option::of(any::<u64>()),
        )),
        proptest::option::of(unkeyed()),
    )
        .prop_map(
            |((name, partitions, partitioner, key_field), segment_records, retention, unkeyed)| {
                TopicSpec {
                    segment_records,
                    retention: retention.map(|(records, ticks)| Retention { records, ticks }),
                    unkeyed,
                    ..TopicSpec::new(&name, partitions, partitioner).with_key_field(key_field)
                }
            },
        )
}

fn key_space() -> impl Strategy<Value = KeySpace> {
    (name(), any::<u32>(), any::<u8>()).prop_map(|(key_prefix, keys, hot)| {
        KeySpace::new(key_prefix, keys).with_hot_key_percent(hot)
    })
}

fn command() -> impl Strategy<Value = Command> {
    let key = || proptest::option::of(name());
    prop_oneof![
        topic_spec().prop_map(Command::CreateTopic),
        (
            name(),
            proptest::option::of(1u64..10_000),
            proptest::option::of((
                proptest::option::of(any::<u64>()),
                proptest::option::of(any::<u64>())
            )),
            proptest::option::of(prop_oneof![
                Just(UnkeyedStrategy::RoundRobin),
                (0u32..100).prop_map(|batch_records| UnkeyedStrategy::Sticky { batch_records })
            ])
        )
            .prop_map(|(topic, segment_records, retention, unkeyed)| {
                Command::ConfigureTopic {
                    topic,
                    segment_records,
                    retention: retention.map(|(records, ticks)| Retention { records, ticks }),
                    unkeyed,
                }
            }),
        (name(), 1u32..1025)
            .prop_map(|(topic, partitions)| Command::AddPartitions { topic, partitions }),
        (name(), key(), payload()).prop_map(|(topic, key, value)| Command::Produce {
            topic: topic.into(),
            key,
            value
        }),
        (
            name(),
            key(),
            payload(),
            any::<u64>(),
            proptest::option::of(name()),
            proptest::option::of(any::<u64>()),
            any::<u16>()
        )
            .prop_map(
                |(topic, key, value, event_id, correlation_id, causation_id, schema_version)| {
                    Command::ProduceWithHeaders {
                        topic,
                        key,
                        value,
                        headers: Headers {
                            event_id: EventId(event_id),
                            correlation_id,
                            causation_id: causation_id.map(EventId),
                            schema_version,
                        },
                    }
                }
            ),
        (
            name(),
            any::<bool>(),
            0u32..10,
            any::<bool>(),
            0u32..=16,
            0u64..5
        )
            .prop_map(
                |(name, leader, retries, idempotent, sixteenths, retry_backoff_ticks)| {
                    Command::CreateProducer {
                        config: ProducerConfig {
                            name,
                            acks: if leader { Acks::Leader } else { Acks::None },
                            retries,
                            idempotent,
                            // Sixteenths are exact in binary, so the float round-trips exactly.
                            ack_loss_probability: f64::from(sixteenths) / 16.0,
                            retry_backoff_ticks,
                        },
                    }
                }
            ),
        (name(), name(), key(), payload()).prop_map(|(producer, topic, key, value)| {
            Command::Send {
                producer,
                topic,
                key,
                value,
            }
        }),
        (name(), any::<u32>())
            .prop_map(|(producer, count)| Command::LoseNextAcks { producer, count }),
        group_config().prop_map(|config| Command::CreateGroup { config }),
        (
            name(),
            proptest::option::of(any::<u64>()),
            proptest::option::of(any::<u32>())
        )
            .prop_map(|(group, processing_ticks_per_record, max_poll_records)| {
                Command::ConfigureGroup {
                    group,
                    processing_ticks_per_record,
                    max_poll_records,
                }
            }),
        (name(), name(), proptest::option::of(any::<u64>())).prop_map(
            |(group, m, processing_ticks_per_record)| Command::ConfigureMember {
                group,
                member: MemberId(m),
                processing_ticks_per_record,
            }
        ),
        (name(), name()).prop_map(|(group, m)| Command::JoinGroup {
            group,
            member: MemberId(m)
        }),
        (name(), name()).prop_map(|(group, m)| Command::LeaveGroup {
            group,
            member: MemberId(m)
        }),
        (name(), name()).prop_map(|(group, m)| Command::KillMember {
            group,
            member: MemberId(m)
        }),
        (name(), proptest::option::of(name()), reset_spec())
            .prop_map(|(group, topic, spec)| Command::ResetOffsets { group, topic, spec }),
        (name(), any::<u32>(), key_space()).prop_map(|(topic, count, key_space)| {
            Command::Generate {
                topic,
                count,
                key_space,
            }
        }),
        (name(), any::<u32>(), key_space()).prop_map(|(topic, records_per_tick, key_space)| {
            Command::SetGenerator {
                topic,
                records_per_tick,
                key_space,
            }
        }),
        (name(), payload()).prop_map(|(topic, value)| Command::PublishOrder {
            topic,
            event: value.as_order().cloned().expect("an order payload"),
        }),
    ]
}

proptest! {
    #[test]
    fn every_command_round_trips_through_json(c in command()) {
        let json = serde_json::to_string(&c).unwrap();
        let back: Command = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back, c, "{}", json);
    }

    #[test]
    fn timed_commands_round_trip_through_json(c in command(), at in any::<u64>()) {
        let timed = TimedCommand { at: Tick(at), command: c };
        let json = serde_json::to_string(&timed).unwrap();
        let back: TimedCommand = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back, timed, "{}", json);
    }

    #[test]
    fn scenarios_with_random_commands_round_trip(
        commands in proptest::collection::vec((any::<u64>(), command()), 0..8),
        seed in any::<u64>(),
    ) {
        let mut scenario = presets().remove(0);
        scenario.seed = seed;
        scenario.commands = commands
            .into_iter()
            .map(|(at, command)| TimedCommand { at: Tick(at), command: command.into() })
            .collect();
        let back = Scenario::from_json(&scenario.to_json_pretty()).unwrap();
        prop_assert_eq!(back, scenario);
    }
}

#[test]
fn a_command_without_a_tick_applies_at_tick_zero() {
    let timed: TimedCommand =
        serde_json::from_str(r#"{"type": "join_group", "group": "g", "member": "c1"}"#).unwrap();
    assert_eq!(timed.at, Tick(0));
    assert_eq!(
        timed.command,
        Command::JoinGroup {
            group: "g".into(),
            member: "c1".into()
        }
    );
}

/// Today's JSON keeps parsing: a topic without `key_field` is keyed by user id, a generator
/// without `hot_key_percent` draws keys uniformly, and both are left out when they hold
/// their defaults, so scenario files and share links written before them stay the same.
#[test]
fn key_field_and_hot_key_percent_are_optional_and_omitted_at_their_defaults() {
    let create = r#"{"type":"create_topic","name":"orders","partitions":3}"#;
    let command: Command = serde_json::from_str(create).unwrap();
    let Command::CreateTopic(spec) = &command else {
        panic!("{command:?}")
    };
    assert_eq!(spec.key_field, KeyField::UserId);
    assert_eq!(
        serde_json::to_string(&command).unwrap(),
        r#"{"type":"create_topic","name":"orders","partitions":3,"partitioner":"murmur2"}"#
    );
    let generate = r#"{"type":"generate","topic":"orders","count":5,"keys":3}"#;
    let command: Command = serde_json::from_str(generate).unwrap();
    assert_eq!(
        command,
        Command::Generate {
            topic: "orders".into(),
            count: 5,
            key_space: KeySpace::new("U", 3),
        }
    );
    assert_eq!(
        serde_json::to_string(&command).unwrap(),
        r#"{"type":"generate","topic":"orders","count":5,"key_prefix":"U","keys":3}"#
    );
}

#[test]
fn key_field_and_hot_key_percent_read_from_json() {
    let create = r#"{"type":"create_topic","name":"orders","partitions":3,"key_field":"order_id"}"#;
    let Command::CreateTopic(spec) = serde_json::from_str(create).unwrap() else {
        panic!("not create_topic")
    };
    assert_eq!(spec.key_field, KeyField::OrderId);
    let unkeyed = r#"{"name":"orders","partitions":3,"key_field":"none"}"#;
    let spec: TopicSpec = serde_json::from_str(unkeyed).unwrap();
    assert_eq!(spec.key_field, KeyField::NoKey);
    let generator = r#"{"type":"set_generator","topic":"orders","records_per_tick":2,"keys":20,"hot_key_percent":30}"#;
    assert_eq!(
        serde_json::from_str::<Command>(generator).unwrap(),
        Command::SetGenerator {
            topic: "orders".into(),
            records_per_tick: 2,
            key_space: KeySpace::new("U", 20).with_hot_key_percent(30),
        }
    );
}
