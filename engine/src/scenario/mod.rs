//! Scenarios: a whole session as data — setup, seed and timed commands.
//!
//! A [`Scenario`] is what a share link, an exported file and the CLI's `run` consume:
//! topics, producers, consumer groups (with their members and, by name, their processors),
//! and [`TimedCommand`]s. [`Sim::from_scenario`] builds the simulation; commands at tick 0
//! apply at once, later ones are scheduled and apply when the clock reaches their tick.
//!
//! [`presets`] holds the seed documents' streaming scenarios; they are also stored as JSON
//! under `scenarios/` at the repository root (a test keeps the two in sync).
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

mod presets;

pub use presets::presets;
// Defined where they belong (a topic's spec in `topic`, a timed command in `command`, the
// processor factory in `process`); re-exported here because a scenario is made of them.
pub use crate::command::TimedCommand;
pub use crate::process::ProcessorFactory;
pub use crate::topic::TopicSpec;

use crate::command::{Command, SimError};
use crate::group::GroupConfig;
use crate::ids::{MemberId, Tick};
use crate::process::Processor;
use crate::producer::ProducerConfig;
use crate::sim::Sim;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use thiserror::Error;

/// A consumer group to create, with the members that join at tick 0.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupSpec {
    #[serde(flatten)]
    /// The group's settings.
    pub config: GroupConfig,
    #[serde(default)]
    /// Members that join at tick 0.
    pub members: Vec<MemberId>,
    /// Name of the processor the group runs (see [`Sim::from_scenario_with`]); `None`: the
    /// group only counts what it processes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processor: Option<String>,
}

/// A whole session: setup, seed and commands.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scenario {
    /// Stable identifier (kebab-case).
    pub name: String,
    #[serde(default)]
    /// What it shows.
    pub description: String,
    #[serde(default)]
    /// The seed all randomness derives from.
    pub seed: u64,
    /// How many ticks a headless run lasts by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticks: Option<u64>,
    #[serde(default)]
    /// Topics created first.
    pub topics: Vec<TopicSpec>,
    #[serde(default)]
    /// Producers created next.
    pub producers: Vec<ProducerConfig>,
    #[serde(default)]
    /// Groups created next, with their first members.
    pub groups: Vec<GroupSpec>,
    #[serde(default)]
    /// Commands, each at its tick.
    pub commands: Vec<TimedCommand>,
    /// Processors for groups created by commands: group name -> processor name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub processors: BTreeMap<String, String>,
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

    /// Parses a scenario from JSON.
    pub fn from_json(json: &str) -> Result<Self, ScenarioError> {
        serde_json::from_str(json).map_err(|e| ScenarioError::Json(e.to_string()))
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
    /// A part of the scenario is refused by the simulation.
    Invalid {
        /// The scenario's name.
        scenario: String,
        /// Which part.
        what: String,
        /// The simulation's error.
        source: Box<SimError>,
    },
    #[error(
        "scenario {scenario:?}: group {group:?} names processor {processor:?}, which is not known"
    )]
    /// A group names a processor the factory does not know.
    UnknownProcessor {
        /// The scenario's name.
        scenario: String,
        /// The group.
        group: String,
        /// The processor name.
        processor: String,
    },
}

/// The processors the engine itself knows by name (none yet; the saga module adds its
/// services here).
pub fn builtin_processor(_name: &str) -> Option<Box<dyn Processor>> {
    None
}

impl Sim {
    /// Builds a simulation from a scenario, with processors from [`builtin_processor`].
    pub fn from_scenario(scenario: &Scenario) -> Result<Sim, ScenarioError> {
        Self::from_scenario_with(scenario, builtin_processor)
    }

    /// Builds a simulation from a scenario; `processors` turns a processor name into a
    /// processor.
    pub fn from_scenario_with(
        scenario: &Scenario,
        processors: ProcessorFactory,
    ) -> Result<Sim, ScenarioError> {
        Self::from_scenario_limited(scenario, processors, crate::sim::MAX_RESIDENT_RECORDS)
    }

    /// Like [`Sim::from_scenario_with`], holding at most `record_limit` records at once
    /// (see [`Sim::set_record_limit`]) from the first command on.
    pub fn from_scenario_limited(
        scenario: &Scenario,
        processors: ProcessorFactory,
        record_limit: u64,
    ) -> Result<Sim, ScenarioError> {
        let names = processor_names(scenario, processors)?;
        let mut sim = Sim::new(scenario.seed);
        sim.set_record_limit(record_limit);
        sim.set_processor_factory(processors, names);
        set_up(&mut sim, scenario)?;
        for (i, c) in scenario.commands.iter().enumerate() {
            if c.at == Tick(0) {
                sim.apply(c.command.clone())
                    .map_err(invalid(scenario, format!("command {i} (at tick 0)")))?;
            } else {
                sim.schedule(c.at, c.command.clone())
                    .map_err(invalid(scenario, format!("command {i} (at tick {})", c.at)))?;
            }
        }
        Ok(sim)
    }

    /// This session as a scenario: the seed, the history, and the processors registered
    /// through a scenario (by name). Running it for [`Sim::now`] ticks reproduces the trace.
    pub fn to_scenario(&self, name: &str, description: &str) -> Scenario {
        Scenario {
            name: name.to_string(),
            description: description.to_string(),
            seed: self.seed(),
            ticks: Some(self.now().0),
            topics: Vec::new(),
            producers: Vec::new(),
            groups: Vec::new(),
            commands: self.history().to_vec(),
            processors: self.processor_names().clone(),
        }
    }
}

/// Which group runs which processor, wherever the group is created; every name must be
/// one the factory knows.
fn processor_names(
    scenario: &Scenario,
    processors: ProcessorFactory,
) -> Result<BTreeMap<String, String>, ScenarioError> {
    let mut names = scenario.processors.clone();
    for g in &scenario.groups {
        if let Some(p) = &g.processor {
            names.insert(g.config.name.clone(), p.clone());
        }
    }
    for (group, processor) in &names {
        if processors(processor).is_none() {
            return Err(ScenarioError::UnknownProcessor {
                scenario: scenario.name.clone(),
                group: group.clone(),
                processor: processor.clone(),
            });
        }
    }
    Ok(names)
}

/// Creates the scenario's topics, producers and groups (with their first members).
fn set_up(sim: &mut Sim, scenario: &Scenario) -> Result<(), ScenarioError> {
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

/// Names the part of the scenario the simulation refused.
fn invalid(scenario: &Scenario, what: String) -> impl FnOnce(SimError) -> ScenarioError {
    let scenario = scenario.name.clone();
    move |source| ScenarioError::Invalid {
        scenario,
        what,
        source: Box::new(source),
    }
}

#[cfg(test)]
mod tests;
