//! Reading engine commands back from a saved session, without the saga's message types.
//!
//! Why: a session holds engine [`Command`]s, and deriving `Deserialize` for `Command` pulls
//! in the deserialisers of every record value the engine knows, including the saga's
//! messages and dead letters (about 75 KB of the release wasm, 6 % of it), although the
//! playground only ever writes order events. This module reads the same JSON through a
//! mirror of `Command` whose record values can only be order events. Writing still uses the
//! engine's own `Serialize`, so the format is the engine's.
//!
//! Drift is caught at compile time: [`to_mirror`] destructures every variant and every field
//! of `Command` without `..`, so a new variant or field in the engine stops the build until
//! the mirror follows; the tests round-trip one command of each variant.

use orderflow_engine::group::{GroupConfig, OffsetResetSpec};
use orderflow_engine::ids::MemberId;
use orderflow_engine::log::{Headers, OrderEvent, Payload, Retention};
use orderflow_engine::partitioner::{Partitioner, UnkeyedStrategy};
use orderflow_engine::producer::ProducerConfig;
use orderflow_engine::sim::Command;
use serde::{Deserialize, Deserializer};

/// A record value a session may hold: an order event (serialised like [`Payload::Order`]).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum OrderPayload {
    Order(OrderEvent),
}

fn default_key_prefix() -> String {
    "U".into()
}

/// [`Command`] with the same serde shape, record values restricted to order events.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum MirrorCommand {
    CreateTopic {
        name: String,
        partitions: u32,
        #[serde(default)]
        partitioner: Partitioner,
    },
    ConfigureTopic {
        topic: String,
        #[serde(default)]
        segment_records: Option<u64>,
        #[serde(default)]
        retention: Option<Retention>,
        #[serde(default)]
        unkeyed: Option<UnkeyedStrategy>,
    },
    AddPartitions {
        topic: String,
        partitions: u32,
    },
    Produce {
        topic: String,
        #[serde(default)]
        key: Option<String>,
        value: OrderPayload,
    },
    ProduceWithHeaders {
        topic: String,
        #[serde(default)]
        key: Option<String>,
        value: OrderPayload,
        headers: Headers,
    },
    CreateProducer {
        config: ProducerConfig,
    },
    Send {
        producer: String,
        topic: String,
        #[serde(default)]
        key: Option<String>,
        value: OrderPayload,
    },
    LoseNextAcks {
        producer: String,
        count: u32,
    },
    CreateGroup {
        config: GroupConfig,
    },
    ConfigureGroup {
        group: String,
        #[serde(default)]
        processing_ticks_per_record: Option<u64>,
        #[serde(default)]
        max_poll_records: Option<u32>,
    },
    ConfigureMember {
        group: String,
        member: MemberId,
        #[serde(default)]
        processing_ticks_per_record: Option<u64>,
    },
    JoinGroup {
        group: String,
        member: MemberId,
    },
    LeaveGroup {
        group: String,
        member: MemberId,
    },
    KillMember {
        group: String,
        member: MemberId,
    },
    ResetOffsets {
        group: String,
        #[serde(default)]
        topic: Option<String>,
        spec: OffsetResetSpec,
    },
    Generate {
        topic: String,
        count: u32,
        #[serde(default = "default_key_prefix")]
        key_prefix: String,
        keys: u32,
    },
    SetGenerator {
        topic: String,
        records_per_tick: u32,
        #[serde(default = "default_key_prefix")]
        key_prefix: String,
        keys: u32,
    },
}

fn order(value: OrderPayload) -> Payload {
    match value {
        OrderPayload::Order(event) => Payload::Order(event),
    }
}

impl From<MirrorCommand> for Command {
    fn from(c: MirrorCommand) -> Self {
        use MirrorCommand as M;
        match c {
            M::CreateTopic {
                name,
                partitions,
                partitioner,
            } => Command::CreateTopic {
                name,
                partitions,
                partitioner,
            },
            M::ConfigureTopic {
                topic,
                segment_records,
                retention,
                unkeyed,
            } => Command::ConfigureTopic {
                topic,
                segment_records,
                retention,
                unkeyed,
            },
            M::AddPartitions { topic, partitions } => Command::AddPartitions { topic, partitions },
            M::Produce { topic, key, value } => Command::Produce {
                topic,
                key,
                value: order(value),
            },
            M::ProduceWithHeaders {
                topic,
                key,
                value,
                headers,
            } => Command::ProduceWithHeaders {
                topic,
                key,
                value: order(value),
                headers,
            },
            M::CreateProducer { config } => Command::CreateProducer { config },
            M::Send {
                producer,
                topic,
                key,
                value,
            } => Command::Send {
                producer,
                topic,
                key,
                value: order(value),
            },
            M::LoseNextAcks { producer, count } => Command::LoseNextAcks { producer, count },
            M::CreateGroup { config } => Command::CreateGroup { config },
            M::ConfigureGroup {
                group,
                processing_ticks_per_record,
                max_poll_records,
            } => Command::ConfigureGroup {
                group,
                processing_ticks_per_record,
                max_poll_records,
            },
            M::ConfigureMember {
                group,
                member,
                processing_ticks_per_record,
            } => Command::ConfigureMember {
                group,
                member,
                processing_ticks_per_record,
            },
            M::JoinGroup { group, member } => Command::JoinGroup { group, member },
            M::LeaveGroup { group, member } => Command::LeaveGroup { group, member },
            M::KillMember { group, member } => Command::KillMember { group, member },
            M::ResetOffsets { group, topic, spec } => Command::ResetOffsets { group, topic, spec },
            M::Generate {
                topic,
                count,
                key_prefix,
                keys,
            } => Command::Generate {
                topic,
                count,
                key_prefix,
                keys,
            },
            M::SetGenerator {
                topic,
                records_per_tick,
                key_prefix,
                keys,
            } => Command::SetGenerator {
                topic,
                records_per_tick,
                key_prefix,
                keys,
            },
        }
    }
}

/// The compile-time guard: every variant and field of [`Command`], named without `..`. A
/// record value other than an order event has no mirror (`None`).
#[allow(dead_code)] // Only its exhaustiveness matters outside the tests.
fn to_mirror(c: &Command) -> Option<MirrorCommand> {
    let value = |v: &Payload| v.as_order().cloned().map(OrderPayload::Order);
    Some(match c.clone() {
        Command::CreateTopic {
            name,
            partitions,
            partitioner,
        } => MirrorCommand::CreateTopic {
            name,
            partitions,
            partitioner,
        },
        Command::ConfigureTopic {
            topic,
            segment_records,
            retention,
            unkeyed,
        } => MirrorCommand::ConfigureTopic {
            topic,
            segment_records,
            retention,
            unkeyed,
        },
        Command::AddPartitions { topic, partitions } => {
            MirrorCommand::AddPartitions { topic, partitions }
        }
        Command::Produce {
            topic,
            key,
            value: v,
        } => MirrorCommand::Produce {
            topic,
            key,
            value: value(&v)?,
        },
        Command::ProduceWithHeaders {
            topic,
            key,
            value: v,
            headers,
        } => MirrorCommand::ProduceWithHeaders {
            topic,
            key,
            value: value(&v)?,
            headers,
        },
        Command::CreateProducer { config } => MirrorCommand::CreateProducer { config },
        Command::Send {
            producer,
            topic,
            key,
            value: v,
        } => MirrorCommand::Send {
            producer,
            topic,
            key,
            value: value(&v)?,
        },
        Command::LoseNextAcks { producer, count } => {
            MirrorCommand::LoseNextAcks { producer, count }
        }
        Command::CreateGroup { config } => MirrorCommand::CreateGroup { config },
        Command::ConfigureGroup {
            group,
            processing_ticks_per_record,
            max_poll_records,
        } => MirrorCommand::ConfigureGroup {
            group,
            processing_ticks_per_record,
            max_poll_records,
        },
        Command::ConfigureMember {
            group,
            member,
            processing_ticks_per_record,
        } => MirrorCommand::ConfigureMember {
            group,
            member,
            processing_ticks_per_record,
        },
        Command::JoinGroup { group, member } => MirrorCommand::JoinGroup { group, member },
        Command::LeaveGroup { group, member } => MirrorCommand::LeaveGroup { group, member },
        Command::KillMember { group, member } => MirrorCommand::KillMember { group, member },
        Command::ResetOffsets { group, topic, spec } => {
            MirrorCommand::ResetOffsets { group, topic, spec }
        }
        Command::Generate {
            topic,
            count,
            key_prefix,
            keys,
        } => MirrorCommand::Generate {
            topic,
            count,
            key_prefix,
            keys,
        },
        Command::SetGenerator {
            topic,
            records_per_tick,
            key_prefix,
            keys,
        } => MirrorCommand::SetGenerator {
            topic,
            records_per_tick,
            key_prefix,
            keys,
        },
    })
}

/// `#[serde(deserialize_with = ...)]` for a session's [`Command`]: the engine's JSON shape,
/// record values limited to order events (anything else is a clear error).
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Command, D::Error> {
    MirrorCommand::deserialize(deserializer).map(Command::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use orderflow_engine::assignor::AssignmentStrategy;
    use orderflow_engine::ids::{Offset, Tick};

    fn event() -> OrderEvent {
        OrderEvent {
            user_id: "U1".into(),
            order_id: "O1".into(),
            status: "Paid".into(),
        }
    }

    /// One command of each variant, with non-default values where a field has a default.
    fn every_variant() -> Vec<Command> {
        let mut config = GroupConfig::new("g", vec!["orders".into()]);
        config.strategy = AssignmentStrategy::CooperativeSticky;
        config.session_timeout_ticks = 7;
        vec![
            Command::CreateTopic {
                name: "t".into(),
                partitions: 3,
                partitioner: Partitioner::Crc32,
            },
            Command::ConfigureTopic {
                topic: "t".into(),
                segment_records: Some(5),
                retention: Some(Retention {
                    records: Some(10),
                    ticks: Some(20),
                }),
                unkeyed: Some(UnkeyedStrategy::RoundRobin),
            },
            Command::ConfigureTopic {
                topic: "t".into(),
                segment_records: None,
                retention: None,
                unkeyed: None,
            },
            Command::AddPartitions {
                topic: "t".into(),
                partitions: 6,
            },
            Command::Produce {
                topic: "t".into(),
                key: Some("U1".into()),
                value: Payload::Order(event()),
            },
            Command::Produce {
                topic: "t".into(),
                key: None,
                value: Payload::Order(event()),
            },
            Command::ProduceWithHeaders {
                topic: "t".into(),
                key: Some("U1".into()),
                value: Payload::Order(event()),
                headers: serde_json::from_str(r#"{"event_id": 3, "correlation_id": "O1"}"#)
                    .unwrap(),
            },
            Command::CreateProducer {
                config: ProducerConfig::new("p"),
            },
            Command::Send {
                producer: "p".into(),
                topic: "t".into(),
                key: Some("k".into()),
                value: Payload::Order(event()),
            },
            Command::LoseNextAcks {
                producer: "p".into(),
                count: 2,
            },
            Command::CreateGroup { config },
            Command::ConfigureGroup {
                group: "g".into(),
                processing_ticks_per_record: Some(3),
                max_poll_records: Some(4),
            },
            Command::ConfigureMember {
                group: "g".into(),
                member: "c1".into(),
                processing_ticks_per_record: None,
            },
            Command::JoinGroup {
                group: "g".into(),
                member: "c1".into(),
            },
            Command::LeaveGroup {
                group: "g".into(),
                member: "c1".into(),
            },
            Command::KillMember {
                group: "g".into(),
                member: "c1".into(),
            },
            Command::ResetOffsets {
                group: "g".into(),
                topic: Some("t".into()),
                spec: OffsetResetSpec::ToOffset { offset: Offset(4) },
            },
            Command::ResetOffsets {
                group: "g".into(),
                topic: None,
                spec: OffsetResetSpec::ToTick { tick: Tick(9) },
            },
            Command::Generate {
                topic: "t".into(),
                count: 10,
                key_prefix: "K".into(),
                keys: 3,
            },
            Command::SetGenerator {
                topic: "t".into(),
                records_per_tick: 2,
                key_prefix: "U".into(),
                keys: 5,
            },
        ]
    }

    #[test]
    fn every_command_the_engine_writes_reads_back_through_the_mirror() {
        for command in every_variant() {
            let json = serde_json::to_string(&command).unwrap();
            let mut de = serde_json::Deserializer::from_str(&json);
            let back = deserialize(&mut de).unwrap_or_else(|e| panic!("{json}: {e}"));
            assert_eq!(back, command, "{json}");
            assert!(to_mirror(&command).is_some());
            // And the engine's own reader agrees.
            assert_eq!(serde_json::from_str::<Command>(&json).unwrap(), command);
        }
    }

    #[test]
    fn defaults_apply_like_the_engines() {
        for json in [
            r#"{"type": "create_topic", "name": "t", "partitions": 2}"#,
            r#"{"type": "generate", "topic": "t", "count": 1, "keys": 1}"#,
            r#"{"type": "produce", "topic": "t", "value": {"order": {"user_id": "U", "order_id": "O", "status": "Created"}}}"#,
        ] {
            let mut de = serde_json::Deserializer::from_str(json);
            let mirrored = deserialize(&mut de).unwrap();
            assert_eq!(mirrored, serde_json::from_str::<Command>(json).unwrap());
        }
    }

    #[test]
    fn a_saga_record_value_is_refused_with_a_message_not_a_panic() {
        let json = r#"{"type": "produce", "topic": "t", "value": {"saga": {}}}"#;
        let mut de = serde_json::Deserializer::from_str(json);
        let error = deserialize(&mut de).unwrap_err().to_string();
        assert!(error.contains("saga"), "{error}");
    }
}
