//! Reading a [`Command`] from its serialised form, `{"type": "kill_member", ...}`: one flat
//! struct with every field optional, as for `SagaMessage` (see `crate::wire`), instead of
//! serde's derived reader for tagged enums, which buffered the map in serde's `Content` tree
//! and ran one struct reader per variant (22 of them, 72.5 KB of the release wasm before
//! wasm-opt; BENCHMARKS.md, "The bundle"). The format is unchanged.
//!
//! Two things the derived reader did differently, done here per variant:
//! - `config` is a `ProducerConfig`, a `GroupConfig` or a `ReplicationConfig` depending on
//!   the variant, so it is read as a JSON value first and then as the variant's config
//!   (by that config's own derived reader: its defaults and errors are unchanged);
//! - `create_topic`'s `TopicSpec` and the generators' `KeySpace` sit flattened beside the
//!   other fields, so their fields are fields of the flat struct too, and the spec is built
//!   with the defaults its own reader gives (`TopicSpec::new`, `KeySpace::new`).

use super::Command;
use crate::cluster::placement::BrokerMetadata;
use crate::cluster::replication::ReplicationConfig;
use crate::cluster::BrokerId;
use crate::generator::{default_key_prefix, KeySpace};
use crate::group::OffsetResetSpec;
use crate::ids::MemberId;
use crate::log::{Headers, OrderEvent, Payload, Retention};
use crate::partitioner::{Partitioner, UnkeyedStrategy};
use crate::topic::{KeyField, TopicSpec};
use crate::wire::{need, MissingField};
use serde::de::DeserializeOwned;
use serde::Deserialize;

/// The variant names, as the `type` field spells them.
#[derive(Clone, Copy, Debug)]
enum Tag {
    CreateTopic,
    ConfigureTopic,
    AddPartitions,
    Produce,
    ProduceWithHeaders,
    CreateProducer,
    Send,
    LoseNextAcks,
    CreateGroup,
    ConfigureGroup,
    ConfigureMember,
    JoinGroup,
    JoinStaticMember,
    LeaveGroup,
    KillMember,
    ResetOffsets,
    PublishOrder,
    Generate,
    SetGenerator,
    SetBrokers,
    KillBroker,
    RestartBroker,
    ElectPreferredLeaders,
    SetUncleanLeaderElection,
}

crate::unit_enum_reader!(Tag {
    "create_topic" => CreateTopic,
    "configure_topic" => ConfigureTopic,
    "add_partitions" => AddPartitions,
    "produce" => Produce,
    "produce_with_headers" => ProduceWithHeaders,
    "create_producer" => CreateProducer,
    "send" => Send,
    "lose_next_acks" => LoseNextAcks,
    "create_group" => CreateGroup,
    "configure_group" => ConfigureGroup,
    "configure_member" => ConfigureMember,
    "join_group" => JoinGroup,
    "join_static_member" => JoinStaticMember,
    "leave_group" => LeaveGroup,
    "kill_member" => KillMember,
    "reset_offsets" => ResetOffsets,
    "publish_order" => PublishOrder,
    "generate" => Generate,
    "set_generator" => SetGenerator,
    "set_brokers" => SetBrokers,
    "kill_broker" => KillBroker,
    "restart_broker" => RestartBroker,
    "elect_preferred_leaders" => ElectPreferredLeaders,
    "set_unclean_leader_election" => SetUncleanLeaderElection,
});

/// Every field any variant has (a flattened `TopicSpec`'s and `KeySpace`'s included), as
/// read; which are required depends on `type`.
#[derive(Deserialize)]
pub(super) struct Wire {
    #[serde(rename = "type")]
    tag: Tag,
    topic: Option<String>,
    partitions: Option<u32>,
    segment_records: Option<u64>,
    retention: Option<Retention>,
    unkeyed: Option<UnkeyedStrategy>,
    key: Option<String>,
    value: Option<Payload>,
    headers: Option<Headers>,
    /// A producer's, group's or cluster's settings, read as such once the tag is known.
    config: Option<serde_json::Value>,
    producer: Option<String>,
    count: Option<u32>,
    group: Option<String>,
    processing_ticks_per_record: Option<u64>,
    max_poll_records: Option<u32>,
    member: Option<MemberId>,
    instance_id: Option<String>,
    spec: Option<OffsetResetSpec>,
    event: Option<OrderEvent>,
    records_per_tick: Option<u32>,
    brokers: Option<Vec<BrokerMetadata>>,
    broker: Option<BrokerId>,
    enable: Option<bool>,
    // `TopicSpec`'s own fields (with `partitions`, `segment_records`, `retention`, `unkeyed`).
    name: Option<String>,
    partitioner: Option<Partitioner>,
    key_field: Option<KeyField>,
    replication_factor: Option<u32>,
    min_insync_replicas: Option<u32>,
    unclean_leader_election_enable: Option<bool>,
    // `KeySpace`'s fields.
    key_prefix: Option<String>,
    keys: Option<u32>,
    hot_key_percent: Option<u8>,
}

/// Why a command's fields do not make its variant.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    /// A field the variant needs is missing.
    #[error(transparent)]
    Missing(#[from] MissingField),
    /// The `config` is not the variant's kind of settings.
    #[error("config: {0}")]
    Config(#[from] serde_json::Error),
}

/// The variant's settings from the `config` value.
fn config<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, WireError> {
    Ok(T::deserialize(value)?)
}

impl TryFrom<Wire> for Command {
    type Error = WireError;

    fn try_from(mut w: Wire) -> Result<Self, WireError> {
        use Command as C;
        Ok(match w.tag {
            Tag::CreateTopic => C::CreateTopic(w.topic_spec()?),
            Tag::ConfigureTopic => C::ConfigureTopic {
                topic: need!(w.topic),
                segment_records: w.segment_records,
                retention: w.retention,
                unkeyed: w.unkeyed,
            },
            Tag::AddPartitions => C::AddPartitions {
                topic: need!(w.topic),
                partitions: need!(w.partitions),
            },
            Tag::Produce => C::Produce {
                topic: need!(w.topic).into(),
                key: w.key,
                value: need!(w.value),
            },
            Tag::ProduceWithHeaders => C::ProduceWithHeaders {
                topic: need!(w.topic),
                key: w.key,
                value: need!(w.value),
                headers: need!(w.headers),
            },
            Tag::Send => C::Send {
                producer: need!(w.producer),
                topic: need!(w.topic),
                key: w.key,
                value: need!(w.value),
            },
            Tag::PublishOrder => C::PublishOrder {
                topic: need!(w.topic),
                event: need!(w.event),
            },
            Tag::Generate => C::Generate {
                key_space: w.key_space()?,
                count: need!(w.count),
                topic: need!(w.topic),
            },
            Tag::SetGenerator => C::SetGenerator {
                key_space: w.key_space()?,
                records_per_tick: need!(w.records_per_tick),
                topic: need!(w.topic),
            },
            _ => return w.producer_group_or_cluster(),
        })
    }
}

impl Wire {
    /// `create_topic`'s spec, with `TopicSpec::new`'s defaults for what is left out.
    fn topic_spec(self) -> Result<TopicSpec, WireError> {
        let w = self;
        let name = need!(w.name);
        let mut spec = TopicSpec::new(
            &name,
            need!(w.partitions),
            w.partitioner.unwrap_or_default(),
        );
        spec.key_field = w.key_field.unwrap_or_default();
        spec.segment_records = w.segment_records;
        spec.retention = w.retention;
        spec.unkeyed = w.unkeyed;
        if let Some(factor) = w.replication_factor {
            spec.replication_factor = factor;
        }
        if let Some(min) = w.min_insync_replicas {
            spec.min_insync_replicas = min;
        }
        spec.unclean_leader_election_enable = w.unclean_leader_election_enable.unwrap_or(false);
        Ok(spec)
    }

    /// A generator's keys: `key_prefix` defaults to `U` and `hot_key_percent` to 0.
    /// Read before the variant's other fields are moved out.
    fn key_space(&mut self) -> Result<KeySpace, WireError> {
        let w = &mut *self;
        let prefix = w.key_prefix.take().unwrap_or_else(default_key_prefix);
        Ok(KeySpace::new(prefix, need!(w.keys))
            .with_hot_key_percent(w.hot_key_percent.unwrap_or(0)))
    }

    /// The producer, group and broker commands.
    fn producer_group_or_cluster(self) -> Result<Command, WireError> {
        use Command as C;
        let w = self;
        Ok(match w.tag {
            Tag::CreateProducer => C::CreateProducer {
                config: config(need!(w.config))?,
            },
            Tag::LoseNextAcks => C::LoseNextAcks {
                producer: need!(w.producer),
                count: need!(w.count),
            },
            Tag::CreateGroup => C::CreateGroup {
                config: config(need!(w.config))?,
            },
            Tag::ConfigureGroup => C::ConfigureGroup {
                group: need!(w.group),
                processing_ticks_per_record: w.processing_ticks_per_record,
                max_poll_records: w.max_poll_records,
            },
            Tag::ConfigureMember => C::ConfigureMember {
                group: need!(w.group),
                member: need!(w.member),
                processing_ticks_per_record: w.processing_ticks_per_record,
            },
            Tag::JoinGroup => C::JoinGroup {
                group: need!(w.group),
                member: need!(w.member),
            },
            Tag::JoinStaticMember => C::JoinStaticMember {
                group: need!(w.group),
                member: need!(w.member),
                instance_id: need!(w.instance_id),
            },
            Tag::LeaveGroup => C::LeaveGroup {
                group: need!(w.group),
                member: need!(w.member),
            },
            Tag::KillMember => C::KillMember {
                group: need!(w.group),
                member: need!(w.member),
            },
            Tag::ResetOffsets => C::ResetOffsets {
                group: need!(w.group),
                topic: w.topic,
                spec: need!(w.spec),
            },
            Tag::SetBrokers => C::SetBrokers {
                brokers: need!(w.brokers),
                config: match w.config {
                    Some(value) => config(value)?,
                    None => ReplicationConfig::default(),
                },
            },
            Tag::KillBroker => C::KillBroker {
                broker: need!(w.broker),
            },
            Tag::RestartBroker => C::RestartBroker {
                broker: need!(w.broker),
            },
            Tag::ElectPreferredLeaders => C::ElectPreferredLeaders,
            Tag::SetUncleanLeaderElection => C::SetUncleanLeaderElection {
                topic: need!(w.topic),
                enable: need!(w.enable),
            },
            tag => unreachable!("{tag:?} is read by Command::try_from"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::replication::Acks;
    use crate::group::GroupConfig;
    use crate::ids::{EventId, Offset, Tick};
    use crate::producer::ProducerConfig;

    fn event() -> OrderEvent {
        OrderEvent {
            user_id: "U1".into(),
            order_id: "O1".into(),
            status: "Created".into(),
        }
    }

    /// Every variant, and the ways a variant's optional parts are written (present and
    /// left out), including the flattened topic spec and key space.
    fn every_variant() -> Vec<Command> {
        use Command as C;
        let topic = || "orders".to_string();
        let member = || MemberId("c1".into());
        let mut full_spec = TopicSpec::new("t", 6, Partitioner::EventHubs).with_replication(3, 2);
        full_spec.key_field = KeyField::OrderId;
        full_spec.segment_records = Some(100);
        full_spec.retention = Some(Retention {
            records: Some(10),
            ticks: None,
        });
        full_spec.unkeyed = Some(UnkeyedStrategy::Sticky { batch_records: 4 });
        full_spec.unclean_leader_election_enable = true;
        let mut producer = ProducerConfig::new("p1");
        producer.acks = Acks::Leader;
        producer.retries = 3;
        producer.ack_loss_probability = 0.25;
        producer.retry_backoff_ticks = 2;
        let mut group = GroupConfig::new("g", vec![topic()]);
        group.max_poll_records = 3;
        let replication = ReplicationConfig {
            request_timeout_ticks: 7,
            ..ReplicationConfig::default()
        };
        let headers = Headers {
            event_id: EventId(4),
            correlation_id: Some("O1".into()),
            causation_id: Some(EventId(2)),
            schema_version: 2,
        };
        vec![
            C::CreateTopic(TopicSpec::new("orders", 4, Partitioner::Murmur2)),
            C::CreateTopic(full_spec),
            C::ConfigureTopic {
                topic: topic(),
                segment_records: None,
                retention: None,
                unkeyed: None,
            },
            C::ConfigureTopic {
                topic: topic(),
                segment_records: Some(5),
                retention: Some(Retention {
                    records: None,
                    ticks: Some(9),
                }),
                unkeyed: Some(UnkeyedStrategy::RoundRobin),
            },
            C::AddPartitions {
                topic: topic(),
                partitions: 8,
            },
            C::Produce {
                topic: topic().into(),
                key: None,
                value: event().into(),
            },
            C::Produce {
                topic: topic().into(),
                key: Some("U1".into()),
                value: event().into(),
            },
            C::ProduceWithHeaders {
                topic: topic(),
                key: Some("U1".into()),
                value: event().into(),
                headers,
            },
            C::CreateProducer {
                config: ProducerConfig::new("p0"),
            },
            C::CreateProducer { config: producer },
            C::Send {
                producer: "p1".into(),
                topic: topic(),
                key: Some("U2".into()),
                value: event().into(),
            },
            C::LoseNextAcks {
                producer: "p1".into(),
                count: 2,
            },
            C::CreateGroup {
                config: GroupConfig::new("g0", vec![topic()]),
            },
            C::CreateGroup { config: group },
            C::ConfigureGroup {
                group: "g".into(),
                processing_ticks_per_record: Some(2),
                max_poll_records: None,
            },
            C::ConfigureGroup {
                group: "g".into(),
                processing_ticks_per_record: None,
                max_poll_records: Some(5),
            },
            C::ConfigureMember {
                group: "g".into(),
                member: member(),
                processing_ticks_per_record: Some(3),
            },
            C::JoinGroup {
                group: "g".into(),
                member: member(),
            },
            C::JoinStaticMember {
                group: "g".into(),
                member: member(),
                instance_id: "i1".into(),
            },
            C::LeaveGroup {
                group: "g".into(),
                member: member(),
            },
            C::KillMember {
                group: "g".into(),
                member: member(),
            },
            C::ResetOffsets {
                group: "g".into(),
                topic: None,
                spec: OffsetResetSpec::ToEarliest,
            },
            C::ResetOffsets {
                group: "g".into(),
                topic: Some(topic()),
                spec: OffsetResetSpec::ToOffset { offset: Offset(3) },
            },
            C::ResetOffsets {
                group: "g".into(),
                topic: None,
                spec: OffsetResetSpec::ToTick { tick: Tick(4) },
            },
            C::PublishOrder {
                topic: topic(),
                event: event(),
            },
            C::Generate {
                topic: topic(),
                count: 50,
                key_space: KeySpace::new("U", 20),
            },
            C::SetGenerator {
                topic: topic(),
                records_per_tick: 3,
                key_space: KeySpace::new("K", 7).with_hot_key_percent(30),
            },
            C::SetBrokers {
                brokers: vec![BrokerMetadata::new(1), BrokerMetadata::on_rack(2, "r2")],
                config: ReplicationConfig::default(),
            },
            C::SetBrokers {
                brokers: vec![BrokerMetadata::new(1)],
                config: replication,
            },
            C::KillBroker {
                broker: BrokerId(1),
            },
            C::RestartBroker {
                broker: BrokerId(1),
            },
            C::ElectPreferredLeaders,
            C::SetUncleanLeaderElection {
                topic: topic(),
                enable: true,
            },
        ]
    }

    fn tag(command: &Command) -> String {
        serde_json::to_value(command).unwrap()["type"]
            .as_str()
            .unwrap()
            .to_string()
    }

    #[test]
    fn every_variant_reads_back_what_it_writes() {
        let all = every_variant();
        let tags: std::collections::BTreeSet<String> = all.iter().map(tag).collect();
        assert_eq!(tags.len(), 24, "every variant is covered: {tags:?}");
        for c in all {
            let json = serde_json::to_string(&c).unwrap();
            assert!(json.starts_with(r#"{"type":""#), "{json}");
            crate::wire::assert_reads_back(&c);
        }
    }

    #[test]
    fn the_type_may_come_anywhere_and_defaults_are_the_specs() {
        let json = r#"{"name":"t","partitions":2,"extra":[1],"type":"create_topic"}"#;
        let c: Command = serde_json::from_str(json).unwrap();
        assert_eq!(
            c,
            Command::CreateTopic(TopicSpec::new("t", 2, Partitioner::Murmur2))
        );
        let json = r#"{"type":"generate","topic":"orders","count":5,"keys":3}"#;
        let c: Command = serde_json::from_str(json).unwrap();
        assert_eq!(
            c,
            Command::Generate {
                topic: "orders".into(),
                count: 5,
                key_space: KeySpace::new("U", 3),
            }
        );
        let json = r#"{"type":"create_producer","config":{"name":"p"}}"#;
        let c: Command = serde_json::from_str(json).unwrap();
        assert_eq!(
            c,
            Command::CreateProducer {
                config: ProducerConfig::new("p")
            }
        );
    }

    #[test]
    fn a_missing_field_a_wrong_config_or_an_unknown_type_is_an_error() {
        let err =
            serde_json::from_str::<Command>(r#"{"type":"kill_member","group":"g"}"#).unwrap_err();
        assert!(err.to_string().contains("missing field `member`"), "{err}");
        let err =
            serde_json::from_str::<Command>(r#"{"type":"create_group","config":{"name":"g"}}"#)
                .unwrap_err();
        assert!(err.to_string().contains("missing field `topics`"), "{err}");
        for bad in [
            r#"{"group":"g","member":"c1"}"#,
            r#"{"type":"teleport"}"#,
            r#"{"type":"KillMember","group":"g","member":"c1"}"#,
            r#"{"type":"create_topic","name":"t"}"#,
            r#"{"type":"generate","topic":"orders","count":5}"#,
            r#"{"type":"create_producer"}"#,
            r#"{"type":"set_brokers","brokers":[],"config":{"request_timeout_ticks":"x"}}"#,
            r#"{"type":"kill_broker","broker":"one"}"#,
            r#"[]"#,
        ] {
            assert!(serde_json::from_str::<Command>(bad).is_err(), "{bad}");
        }
    }
}
