//! Reading a [`Scenario`]: its fields, with the cluster's (`brokers`, `replication`) beside
//! them as the scenario writes them. A flat struct instead of serde's derived reader, whose
//! `#[serde(flatten)]` buffered every scenario in serde's `Content` tree and read every
//! field a second way (BENCHMARKS.md, "The bundle"). Everything but `name` may be left out.

use super::{ClusterSetup, GroupSpec, Scenario, TimedCommand, TopicSpec};
use crate::cluster::placement::BrokerMetadata;
use crate::cluster::replication::ReplicationConfig;
use crate::producer::ProducerConfig;
use crate::saga::config::SagaSetup;
use serde::Deserialize;

/// A scenario's fields as read.
#[derive(Deserialize)]
pub(super) struct Wire {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    seed: u64,
    #[serde(default)]
    ticks: Option<u64>,
    #[serde(default)]
    topics: Vec<TopicSpec>,
    #[serde(default)]
    producers: Vec<ProducerConfig>,
    #[serde(default)]
    groups: Vec<GroupSpec>,
    #[serde(default)]
    commands: Vec<TimedCommand>,
    #[serde(default)]
    saga: Option<SagaSetup>,
    #[serde(default)]
    brokers: Vec<BrokerMetadata>,
    #[serde(default)]
    replication: Option<ReplicationConfig>,
}

impl From<Wire> for Scenario {
    fn from(w: Wire) -> Self {
        Scenario {
            name: w.name,
            description: w.description,
            seed: w.seed,
            ticks: w.ticks,
            topics: w.topics,
            producers: w.producers,
            groups: w.groups,
            commands: w.commands,
            saga: w.saga,
            cluster: ClusterSetup {
                brokers: w.brokers,
                replication: w.replication,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::BrokerId;
    use crate::command::Command;
    use crate::group::GroupConfig;
    use crate::ids::{MemberId, Tick};
    use crate::partitioner::Partitioner;
    use crate::scenario::{cluster_presets, presets, saga_presets, ScenarioCommand};

    /// A scenario with every part: brokers and their settings (flattened beside the other
    /// fields), groups with and without members, commands at tick 0 and later.
    fn everything() -> Scenario {
        let kill = |at| TimedCommand {
            at: Tick(at),
            command: ScenarioCommand::Sim(Command::KillBroker {
                broker: BrokerId(2),
            }),
        };
        Scenario {
            name: "all".into(),
            description: "every part".into(),
            seed: 9,
            ticks: Some(40),
            topics: vec![TopicSpec::new("orders", 3, Partitioner::Crc32).with_replication(2, 1)],
            producers: vec![ProducerConfig::new("p1")],
            groups: vec![
                GroupSpec {
                    config: GroupConfig::new("g", vec!["orders".into()]),
                    members: vec![MemberId("c1".into())],
                },
                GroupSpec {
                    config: GroupConfig::new("h", vec!["orders".into()]),
                    members: Vec::new(),
                },
            ],
            commands: vec![kill(0), kill(5)],
            saga: None,
            cluster: ClusterSetup {
                brokers: vec![BrokerMetadata::new(1), BrokerMetadata::on_rack(2, "r2")],
                replication: Some(ReplicationConfig {
                    request_timeout_ticks: 4,
                    ..ReplicationConfig::default()
                }),
            },
        }
    }

    #[test]
    fn every_scenario_reads_back_what_it_writes() {
        let all = [
            vec![everything()],
            presets(),
            cluster_presets(),
            saga_presets(),
        ];
        for scenario in all.into_iter().flatten() {
            let json = serde_json::to_string(&scenario).unwrap();
            assert_eq!(Scenario::from_json(&json).unwrap(), scenario, "{json}");
            let from_str: Scenario = serde_json::from_str(&json).unwrap();
            assert_eq!(from_str, scenario, "{json}");
        }
    }

    #[test]
    fn flattened_fields_read_where_they_are_written() {
        let json = serde_json::to_value(everything()).unwrap();
        assert_eq!(json["brokers"][1]["rack"], "r2");
        assert_eq!(json["groups"][0]["name"], "g");
        assert_eq!(json["groups"][0]["members"][0], "c1");
        assert_eq!(json["commands"][1]["at"], 5);
        assert_eq!(json["commands"][1]["type"], "kill_broker");
        let minimal = r#"{"name":"m","groups":[{"name":"g","topics":["t"]}],
            "commands":[{"type":"elect_preferred_leaders"}],"unknown":1}"#;
        let scenario = Scenario::from_json(minimal).unwrap();
        assert!(scenario.groups[0].members.is_empty());
        assert_eq!(scenario.commands[0].at, Tick(0));
        assert_eq!(scenario.cluster, ClusterSetup::default());
    }

    #[test]
    fn a_bad_field_is_an_error_that_names_it() {
        for (bad, names) in [
            (r#"{"description":"no name"}"#, "name"),
            (
                r#"{"name":"m","commands":[{"at":"soon","type":"elect_preferred_leaders"}]}"#,
                "at",
            ),
            (
                r#"{"name":"m","groups":[{"name":"g","topics":["t"],"members":[1]}]}"#,
                "members",
            ),
            (r#"{"name":"m","groups":[{"name":"g"}]}"#, "topics"),
            (r#"{"name":"m","brokers":{"id":1}}"#, ""),
        ] {
            let err = Scenario::from_json(bad).unwrap_err().to_string();
            assert!(err.contains(names), "{bad}: {err}");
        }
    }
}
