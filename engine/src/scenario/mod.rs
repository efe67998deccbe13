//! Scenarios: a whole session as data — setup, seed and timed commands.
//!
//! A [`Scenario`] is the one format a share link, an exported file, the CLI's `run` and the
//! tests consume: topics, producers, consumer groups with their members, optionally the
//! order saga (its services, faults and orders: [`SagaSetup`]), and [`TimedCommand`]s, each
//! the simulation's or the saga's ([`ScenarioCommand`]). [`System::from_scenario`] builds
//! the running system; commands at tick 0 apply at once, later ones when the clock
//! reaches their tick. [`Sim::from_scenario`] builds a scenario without a saga as a bare
//! simulation.
//!
//! [`presets`] and [`saga_presets`] are the files under `scenarios/` at the repository
//! root, compiled in: the page, the CLI and the tests read the same files. Saga files of
//! the older shape (`{"setup": ...}`) still load ([`legacy`]).
//!
//! A small scenario as JSON: one topic, one group of two, a burst of events, and a crash.
//! Omitted fields take their defaults (partitioner `murmur2`, strategy `range`, commit
//! policy `after_processing`, `auto_offset_reset` `earliest`, ...).
//!
//! ```
//! use orderflow_engine::ids::Tick;
//! use orderflow_engine::scenario::Scenario;
//! use orderflow_engine::sim::Sim;
//!
//! let scenario = Scenario::from_json(r#"{
//!   "name": "crash",
//!   "seed": 1,
//!   "topics": [{"name": "orders", "partitions": 3}],
//!   "groups": [{"name": "billing", "topics": ["orders"], "members": ["c1", "c2"],
//!               "commit_policy": {"type": "auto_commit", "interval_ticks": 5}}],
//!   "commands": [
//!     {"type": "generate", "topic": "orders", "count": 30, "keys": 5},
//!     {"at": 4, "type": "kill_member", "group": "billing", "member": "c1"}
//!   ]
//! }"#).unwrap();
//! let mut sim = Sim::from_scenario(&scenario).unwrap();
//! sim.run_until(Tick(scenario.run_ticks()));
//! let billing = sim.group_snapshot("billing").unwrap();
//! assert_eq!(billing.members.len(), 1); // c1 timed out
//! assert_eq!(billing.total_lag, 0);
//! assert!(billing.counters.processed >= 30);
//! ```

mod command;
#[cfg(test)]
mod fault_tests;
pub mod legacy;
mod presets;
#[cfg(test)]
mod saga_tests;
mod system;
#[cfg(test)]
mod tests;
mod wire;

pub use command::{ScenarioCommand, TimedCommand};
pub use presets::{cluster_presets, presets, renamed, saga_preset, saga_presets};
pub use system::{System, SystemError, SystemSummary};
// Defined where they belong (a topic's spec in `topic`, the saga's setup in `saga`);
// re-exported here because a scenario is made of them.
pub use crate::saga::config::SagaSetup;
pub use crate::topic::TopicSpec;

use crate::cluster::placement::BrokerMetadata;
use crate::cluster::replication::ReplicationConfig;
use crate::command::Command;
use crate::group::GroupConfig;
use crate::ids::MemberId;
use crate::producer::ProducerConfig;
use crate::sim::Sim;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A consumer group to create, with the members that join at tick 0.
///
/// As JSON the settings' fields sit beside `members`. Written with `#[serde(flatten)]`; read
/// by taking `members` out and reading the rest as the settings (`crate::wire`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GroupSpec {
    #[serde(flatten)]
    /// The group's settings.
    pub config: GroupConfig,
    /// Members that join at tick 0.
    pub members: Vec<MemberId>,
}

impl<'de> Deserialize<'de> for GroupSpec {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut map = crate::wire::object(deserializer)?;
        let members = crate::wire::take(&mut map, "members")?.unwrap_or_default();
        let config = crate::wire::rest(map)?;
        Ok(GroupSpec { config, members })
    }
}

/// A whole session: setup, seed and commands.
///
/// Read through `wire::Wire`, whose fields are the same but for `cluster`'s, which sit
/// beside them (written with `#[serde(flatten)]`, read without serde's buffering).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(from = "wire::Wire")]
pub struct Scenario {
    /// Stable identifier (kebab-case).
    pub name: String,
    /// What it shows.
    pub description: String,
    /// The seed all randomness derives from.
    pub seed: u64,
    /// How many ticks a headless run lasts by default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticks: Option<u64>,
    /// Topics created first.
    pub topics: Vec<TopicSpec>,
    /// Producers created next.
    pub producers: Vec<ProducerConfig>,
    /// Groups created next, with their first members.
    pub groups: Vec<GroupSpec>,
    /// Commands, each at its tick.
    pub commands: Vec<TimedCommand>,
    /// The order saga, set up after the rest: its topics, its services as consumer groups,
    /// its faults and orders. Written without the settings that hold their defaults.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "compact_saga"
    )]
    pub saga: Option<SagaSetup>,
    /// Brokers and replication settings, set before the topics (none: one implicit
    /// broker, replication factor 1).
    #[serde(flatten)]
    pub cluster: ClusterSetup,
}

/// A scenario's brokers: as JSON `"brokers": [{"id": 1, "rack": "r1"}, ...]` and
/// optionally `"replication": {"replica_lag_time_max_ticks": 10, ...}`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ClusterSetup {
    /// The brokers (empty: one implicit broker).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub brokers: Vec<BrokerMetadata>,
    /// The cluster's settings (`None`: the defaults).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replication: Option<ReplicationConfig>,
}

fn compact_saga<S: serde::Serializer>(
    saga: &Option<SagaSetup>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    saga.as_ref()
        .map(SagaSetup::to_compact_json)
        .serialize(serializer)
}

/// Extra ticks a run lasts after the last command when a scenario names no length.
pub const DEFAULT_TAIL_TICKS: u64 = 100;

impl Scenario {
    /// How long a headless run lasts: `ticks`, or the last command plus
    /// [`DEFAULT_TAIL_TICKS`].
    pub fn run_ticks(&self) -> u64 {
        self.ticks.unwrap_or_else(|| {
            self.commands.iter().map(|c| c.at.0).max().unwrap_or(0) + DEFAULT_TAIL_TICKS
        })
    }

    /// Parses a scenario from JSON, the older saga shape too ([`legacy`]).
    ///
    /// Read as a JSON value first (which tells the shapes apart), then from that value: a
    /// scenario is read one way only, as sessions read theirs (BENCHMARKS.md, "The bundle").
    pub fn from_json(json: &str) -> Result<Self, ScenarioError> {
        let value: serde_json::Value =
            serde_json::from_str(json).map_err(|e| ScenarioError::Json(e.to_string()))?;
        if legacy::is_legacy(&value) {
            return legacy::parse(value);
        }
        serde_json::from_value(value).map_err(|e| ScenarioError::Json(e.to_string()))
    }

    /// The scenario as pretty JSON (what `scenarios/*.json` hold).
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).expect("a scenario always serialises")
    }
}

/// Why a scenario cannot be built.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum ScenarioError {
    #[error("scenario is not valid JSON: {0}")]
    /// The JSON is not a scenario.
    Json(String),
    #[error("scenario {scenario:?}, {what}: {source}")]
    /// A part of the scenario is refused by the simulation or the saga.
    Invalid {
        /// The scenario's name.
        scenario: String,
        /// Which part.
        what: String,
        /// The refusal.
        source: Box<SystemError>,
    },
    #[error("scenario {scenario:?} has a saga; a bare simulation cannot run it (use a System)")]
    /// [`Sim::from_scenario`] was given a scenario with a saga.
    NotStreaming {
        /// The scenario's name.
        scenario: String,
    },
}

impl Sim {
    /// Builds a simulation from a scenario without a saga (neither a `saga` section nor
    /// saga commands); [`System::from_scenario`] builds any scenario.
    pub fn from_scenario(scenario: &Scenario) -> Result<Sim, ScenarioError> {
        let system = System::from_scenario(scenario)?;
        if system.saga().is_some() {
            return Err(ScenarioError::NotStreaming {
                scenario: scenario.name.clone(),
            });
        }
        Ok(system.into_sim())
    }

    /// This session as a scenario: the seed and the history. Running it for [`Sim::now`]
    /// ticks (with the same processors) reproduces the trace.
    pub fn to_scenario(&self, name: &str, description: &str) -> Scenario {
        Scenario {
            name: name.to_string(),
            description: description.to_string(),
            seed: self.seed(),
            ticks: Some(self.now().0),
            topics: Vec::new(),
            producers: Vec::new(),
            groups: Vec::new(),
            commands: self
                .history()
                .iter()
                .map(|c| TimedCommand {
                    at: c.at,
                    command: c.command.clone().into(),
                })
                .collect(),
            saga: None,
            cluster: ClusterSetup::default(),
        }
    }
}

/// Creates the scenario's topics, producers and groups (with their first members).
fn set_up(sim: &mut Sim, scenario: &Scenario) -> Result<(), ScenarioError> {
    let cluster = &scenario.cluster;
    if !cluster.brokers.is_empty() {
        let brokers = Command::SetBrokers {
            brokers: cluster.brokers.clone(),
            config: cluster.replication.clone().unwrap_or_default(),
        };
        sim.apply(brokers)
            .map_err(invalid(scenario, "brokers".to_string()))?;
    }
    for t in &scenario.topics {
        sim.apply(Command::CreateTopic(t.clone()))
            .map_err(invalid(scenario, format!("topic {:?}", t.name)))?;
    }
    for p in &scenario.producers {
        sim.apply(Command::CreateProducer { config: p.clone() })
            .map_err(invalid(scenario, format!("producer {:?}", p.name)))?;
    }
    for g in &scenario.groups {
        let name = g.config.name.clone();
        let config = g.config.clone();
        sim.apply(Command::CreateGroup { config })
            .map_err(invalid(scenario, format!("group {name:?}")))?;
        for m in &g.members {
            let join = Command::JoinGroup {
                group: name.clone(),
                member: m.clone(),
            };
            sim.apply(join)
                .map_err(invalid(scenario, format!("group {name:?} member {m}")))?;
        }
    }
    Ok(())
}

/// Names the part of the scenario the simulation or the saga refused.
fn invalid<E: Into<SystemError>>(
    scenario: &Scenario,
    what: String,
) -> impl FnOnce(E) -> ScenarioError {
    let scenario = scenario.name.clone();
    move |source| ScenarioError::Invalid {
        scenario,
        what,
        source: Box::new(source.into()),
    }
}
