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

use crate::assignor::AssignmentStrategy;
use crate::group::{AutoOffsetReset, CommitPolicy, GroupConfig};
use crate::ids::{MemberId, Tick};
use crate::log::Retention;
use crate::partitioner::{Partitioner, UnkeyedStrategy};
use crate::process::Processor;
use crate::producer::ProducerConfig;
use crate::sim::{Command, Sim, SimError};
#[cfg(test)]
use crate::trace::TraceEvent;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use thiserror::Error;

/// A topic to create.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TopicSpec {
    /// The topic name.
    pub name: String,
    /// Its partition count.
    pub partitions: u32,
    #[serde(default)]
    /// How keys map to partitions.
    pub partitioner: Partitioner,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// Records per segment (`None`: the default).
    pub segment_records: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// Retention (`None`: keep everything).
    pub retention: Option<Retention>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// How records without a key are spread (`None`: round-robin).
    pub unkeyed: Option<UnkeyedStrategy>,
}

impl TopicSpec {
    /// A topic with the given partitioner and default log settings.
    pub fn new(name: &str, partitions: u32, partitioner: Partitioner) -> Self {
        Self {
            name: name.into(),
            partitions,
            partitioner,
            segment_records: None,
            retention: None,
            unkeyed: None,
        }
    }
}

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

/// A command and the tick it applies at (0 when omitted).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimedCommand {
    #[serde(default)]
    /// The tick it applies at.
    pub at: Tick,
    #[serde(flatten)]
    /// The command.
    pub command: Command,
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

/// Builds a processor from its name (`None`: unknown name). A plain function, so the
/// simulation can keep it and build processors for groups created later by commands.
pub type ProcessorFactory = fn(&str) -> Option<Box<dyn Processor>>;

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
        let invalid = |what: String| {
            let scenario = scenario.name.clone();
            move |source: SimError| ScenarioError::Invalid {
                scenario,
                what,
                source: Box::new(source),
            }
        };
        // Which group runs which processor, wherever the group is created.
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
        let mut sim = Sim::new(scenario.seed);
        sim.set_processor_factory(processors, names);
        for t in &scenario.topics {
            sim.apply(Command::CreateTopic {
                name: t.name.clone(),
                partitions: t.partitions,
                partitioner: t.partitioner,
            })
            .map_err(invalid(format!("topic {:?}", t.name)))?;
            if t.segment_records.is_some() || t.retention.is_some() || t.unkeyed.is_some() {
                sim.apply(Command::ConfigureTopic {
                    topic: t.name.clone(),
                    segment_records: t.segment_records,
                    retention: t.retention,
                    unkeyed: t.unkeyed,
                })
                .map_err(invalid(format!("topic {:?}", t.name)))?;
            }
        }
        for p in &scenario.producers {
            sim.apply(Command::CreateProducer { config: p.clone() })
                .map_err(invalid(format!("producer {:?}", p.name)))?;
        }
        for g in &scenario.groups {
            let name = g.config.name.clone();
            sim.apply(Command::CreateGroup {
                config: g.config.clone(),
            })
            .map_err(invalid(format!("group {name:?}")))?;
            for m in &g.members {
                sim.apply(Command::JoinGroup {
                    group: name.clone(),
                    member: m.clone(),
                })
                .map_err(invalid(format!("group {name:?} member {m}")))?;
            }
        }
        for (i, c) in scenario.commands.iter().enumerate() {
            if c.at == Tick(0) {
                sim.apply(c.command.clone())
                    .map_err(invalid(format!("command {i} (at tick 0)")))?;
            } else {
                sim.schedule(c.at, c.command.clone())
                    .map_err(invalid(format!("command {i} (at tick {})", c.at)))?;
            }
        }
        Ok(sim)
    }
}

fn group(name: &str, topics: &[&str], members: &[&str]) -> GroupSpec {
    GroupSpec {
        config: GroupConfig::new(name, topics.iter().map(|t| t.to_string()).collect()),
        members: members.iter().map(|m| MemberId::from(*m)).collect(),
        processor: None,
    }
}

fn at(tick: u64, command: Command) -> TimedCommand {
    TimedCommand {
        at: Tick(tick),
        command,
    }
}

fn generator(topic: &str, records_per_tick: u32, key_prefix: &str, keys: u32) -> Command {
    Command::SetGenerator {
        topic: topic.into(),
        records_per_tick,
        key_prefix: key_prefix.into(),
        keys,
    }
}

fn generate(topic: &str, count: u32, key_prefix: &str, keys: u32) -> Command {
    Command::Generate {
        topic: topic.into(),
        count,
        key_prefix: key_prefix.into(),
        keys,
    }
}

/// The seed documents' streaming scenarios, for the playground's presets.
pub fn presets() -> Vec<Scenario> {
    let mut presets = Vec::new();

    // Event Hubs order example: 4 partitions keyed by UserId; three consumer groups.
    presets.push(Scenario {
        name: "event-hubs-orders".into(),
        processors: BTreeMap::new(),
        description: "Azure Event Hubs order example: an `orders` hub with 4 partitions, \
            partition key = UserId, so one user's order events stay in order on one \
            partition. Three consumer groups read the same stream independently: \
            OrderProcessor on 2 VMs, Notifier on 3 and Analytics on 1. At tick 60 one \
            OrderProcessor VM dies; after its session timeout its partitions move."
            .into(),
        seed: 42,
        ticks: Some(200),
        topics: vec![TopicSpec::new("orders", 4, Partitioner::EventHubs)],
        producers: vec![],
        groups: vec![
            group("OrderProcessor", &["orders"], &["vm1", "vm2"]),
            group("Notifier", &["orders"], &["vm1", "vm2", "vm3"]),
            {
                let mut g = group("Analytics", &["orders"], &["vm1"]);
                g.config.max_poll_records = 50;
                g
            },
        ],
        commands: vec![
            at(0, generator("orders", 2, "U", 8)),
            at(
                60,
                Command::KillMember {
                    group: "OrderProcessor".into(),
                    member: "vm2".into(),
                },
            ),
        ],
    });

    // user-events: 3 partitions, keys user-1..3.
    presets.push(Scenario {
        name: "user-events".into(),
        processors: BTreeMap::new(),
        description: "The `user-events` topic: 3 partitions, keys user-1, user-2, user-3. \
            Every event of a key lands on the same partition, so each user's events are \
            ordered; there is no order across partitions. Three consumers share the work, \
            one partition each."
            .into(),
        seed: 7,
        ticks: Some(120),
        topics: vec![TopicSpec::new("user-events", 3, Partitioner::Murmur2)],
        producers: vec![],
        groups: vec![group(
            "user-events-processor",
            &["user-events"],
            &["consumer-1", "consumer-2", "consumer-3"],
        )],
        commands: vec![at(0, generate("user-events", 30, "user-", 3))],
    });

    // The five demo topics of the seed's topic-creation walkthrough.
    let demo_topics = [
        ("user-events", 3),
        ("orders", 3),
        ("payments", 5),
        ("notifications", 1),
        ("order-processing.DLQ", 3),
    ];
    presets.push(Scenario {
        name: "demo-topics".into(),
        processors: BTreeMap::new(),
        description: "The five demo topics: user-events (3 partitions), orders (3), \
            payments (5), notifications (1) and order-processing.DLQ (3). Events flow into \
            the first four; the order-processing group consumes orders."
            .into(),
        seed: 11,
        ticks: Some(150),
        topics: demo_topics
            .iter()
            .map(|(name, partitions)| TopicSpec::new(name, *partitions, Partitioner::Murmur2))
            .collect(),
        producers: vec![],
        groups: vec![group(
            "order-processing",
            &["orders"],
            &["worker-1", "worker-2"],
        )],
        commands: vec![
            at(0, generate("user-events", 12, "user-", 3)),
            at(0, generator("orders", 1, "order-", 20)),
            at(0, generate("payments", 15, "order-", 20)),
            at(0, generate("notifications", 5, "user-", 3)),
        ],
    });

    // The idle seventh consumer: 6 partitions, 7 consumers.
    presets.push(Scenario {
        name: "idle-seventh-consumer".into(),
        processors: BTreeMap::new(),
        description: "Max parallelism = number of partitions. `orders` has 6 partitions; \
            group A runs 3 consumers (two partitions each), group B runs 6 (one each). At \
            tick 30 a seventh consumer C7 joins group B: after the rebalance it owns \
            nothing and sits idle."
            .into(),
        seed: 6,
        ticks: Some(120),
        topics: vec![TopicSpec::new("orders", 6, Partitioner::Murmur2)],
        producers: vec![],
        groups: vec![
            group("A", &["orders"], &["C1", "C2", "C3"]),
            group("B", &["orders"], &["C1", "C2", "C3", "C4", "C5", "C6"]),
        ],
        commands: vec![
            at(0, generator("orders", 3, "order-", 30)),
            at(
                30,
                Command::JoinGroup {
                    group: "B".into(),
                    member: "C7".into(),
                },
            ),
        ],
    });

    // Delivery semantics: the same stream into an at-least-once and an at-most-once group,
    // and a consumer of each killed mid-batch.
    let semantics_group = |name: &str, policy: CommitPolicy| {
        let mut g = group(name, &["orders"], &["c1", "c2"]);
        g.config.commit_policy = policy;
        g.config.max_poll_records = 10;
        g.config.processing_ticks_per_record = 1;
        g.config.auto_offset_reset = AutoOffsetReset::Earliest;
        g
    };
    presets.push(Scenario {
        name: "delivery-semantics".into(),
        processors: BTreeMap::new(),
        description: "The same 60 order events go to two groups. at-least-once commits \
            after processing each batch; at-most-once commits right after polling. At tick \
            6, halfway through a batch, consumer c1 of each group is killed: at-least-once \
            redelivers what c1 processed but had not committed (duplicates), at-most-once \
            never processes what c1 had committed but not processed (lost)."
            .into(),
        seed: 3,
        ticks: Some(150),
        topics: vec![TopicSpec::new("orders", 3, Partitioner::Murmur2)],
        producers: vec![],
        groups: vec![
            semantics_group("at-least-once", CommitPolicy::AfterProcessing),
            semantics_group("at-most-once", CommitPolicy::BeforeProcessing),
        ],
        commands: vec![
            at(0, generate("orders", 60, "U", 6)),
            at(
                6,
                Command::KillMember {
                    group: "at-least-once".into(),
                    member: "c1".into(),
                },
            ),
            at(
                6,
                Command::KillMember {
                    group: "at-most-once".into(),
                    member: "c1".into(),
                },
            ),
        ],
    });

    // Eager versus cooperative rebalancing: the same group twice, a third consumer joins.
    let rebalance_group = |name: &str, strategy: AssignmentStrategy| {
        let mut g = group(name, &["orders"], &["c1", "c2"]);
        g.config.strategy = strategy;
        g.config.rebalance_ticks = 4;
        g
    };
    presets.push(Scenario {
        name: "eager-vs-cooperative".into(),
        processors: BTreeMap::new(),
        description: "Two groups read the same 6-partition topic with two consumers each: \
            `eager` uses the range assignor (eager protocol), `cooperative` uses \
            cooperative-sticky. At tick 30 a third consumer joins both. The eager group \
            revokes everything and stops consuming until the new assignment; the \
            cooperative group keeps consuming, revokes only the partitions that move to c3 \
            in a first round and hands them over in a second."
            .into(),
        seed: 9,
        ticks: Some(100),
        topics: vec![TopicSpec::new("orders", 6, Partitioner::Murmur2)],
        producers: vec![],
        groups: vec![
            rebalance_group("eager", AssignmentStrategy::Range),
            rebalance_group("cooperative", AssignmentStrategy::CooperativeSticky),
        ],
        commands: vec![
            at(0, generator("orders", 2, "U", 40)),
            at(
                30,
                Command::JoinGroup {
                    group: "eager".into(),
                    member: "c3".into(),
                },
            ),
            at(
                30,
                Command::JoinGroup {
                    group: "cooperative".into(),
                    member: "c3".into(),
                },
            ),
        ],
    });

    // Producer retries: the same lost acknowledgement with and without idempotence.
    presets.push(Scenario {
        name: "producer-retries".into(),
        processors: BTreeMap::new(),
        description: "Two producers send the same events; 20% of acknowledgements are \
            lost and both retry. Without idempotence each retry after a lost ack appends \
            the record again (duplicates in the log); with idempotence the broker \
            recognises the producer id and sequence number and drops the retry."
            .into(),
        seed: 5,
        ticks: Some(30),
        topics: vec![
            TopicSpec::new("orders-plain", 3, Partitioner::Murmur2),
            TopicSpec::new("orders-idempotent", 3, Partitioner::Murmur2),
        ],
        producers: vec![
            ProducerConfig {
                name: "plain".into(),
                acks: crate::producer::Acks::All,
                retries: 3,
                idempotent: false,
                ack_loss_probability: 0.2,
            },
            ProducerConfig {
                name: "idempotent".into(),
                acks: crate::producer::Acks::All,
                retries: 3,
                idempotent: true,
                ack_loss_probability: 0.2,
            },
        ],
        groups: vec![],
        commands: (0..20u64)
            .flat_map(|i| {
                let value = crate::log::Payload::Order(crate::log::OrderEvent {
                    user_id: format!("U{}", i % 4),
                    order_id: format!("O{i}"),
                    status: "Created".into(),
                });
                ["plain", "idempotent"].map(|p| {
                    at(
                        i + 1,
                        Command::Send {
                            producer: p.into(),
                            topic: format!("orders-{p}"),
                            key: Some(format!("U{}", i % 4)),
                            value: value.clone(),
                        },
                    )
                })
            })
            .collect(),
    });
    presets
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_builds_and_runs() {
        for p in presets() {
            let mut sim = Sim::from_scenario(&p).unwrap_or_else(|e| panic!("{}: {e}", p.name));
            sim.run_until(Tick(p.run_ticks()));
            assert!(sim.trace_len() > 0, "{}", p.name);
            let json = p.to_json_pretty();
            assert_eq!(Scenario::from_json(&json).unwrap(), p, "{}", p.name);
        }
    }

    #[test]
    fn idle_seventh_consumer_owns_nothing() {
        let p = presets()
            .into_iter()
            .find(|p| p.name == "idle-seventh-consumer")
            .unwrap();
        let mut sim = Sim::from_scenario(&p).unwrap();
        sim.run_until(Tick(60));
        let b = sim.group_snapshot("B").unwrap();
        assert_eq!(b.members.len(), 7);
        let c7 = b.members.iter().find(|m| m.id.as_str() == "C7").unwrap();
        assert!(c7.owned.is_empty());
        assert!(b
            .members
            .iter()
            .filter(|m| m.id.as_str() != "C7")
            .all(|m| m.owned.len() == 1));
    }

    #[test]
    fn delivery_semantics_shows_duplicates_and_losses() {
        let p = presets()
            .into_iter()
            .find(|p| p.name == "delivery-semantics")
            .unwrap();
        let mut sim = Sim::from_scenario(&p).unwrap();
        sim.run_until(Tick(p.run_ticks()));
        let alo = sim.group_snapshot("at-least-once").unwrap().counters;
        let amo = sim.group_snapshot("at-most-once").unwrap().counters;
        assert!(alo.duplicates > 0 && alo.lost == 0, "{alo:?}");
        assert!(amo.lost > 0 && amo.duplicates == 0, "{amo:?}");
        assert_eq!(alo.processed - alo.duplicates, 60);
        assert_eq!(amo.processed + amo.lost, 60);
    }

    #[test]
    fn producer_retries_duplicate_only_without_idempotence() {
        let p = presets()
            .into_iter()
            .find(|p| p.name == "producer-retries")
            .unwrap();
        let mut sim = Sim::from_scenario(&p).unwrap();
        sim.run_until(Tick(p.run_ticks()));
        let plain = sim.topic("orders-plain").unwrap().len();
        let idempotent = sim.topic("orders-idempotent").unwrap().len();
        assert_eq!(idempotent, 20);
        assert!(plain > 20, "plain producer duplicated: {plain}");
        let dropped = sim
            .producer("idempotent")
            .unwrap()
            .counters
            .duplicates_dropped;
        assert!(dropped > 0);
    }

    #[test]
    fn unknown_processor_is_a_clear_error() {
        let mut p = presets().remove(1);
        p.groups[0].processor = Some("nope".into());
        let err = Sim::from_scenario(&p).unwrap_err();
        assert!(err.to_string().contains("\"nope\""), "{err}");
    }

    #[test]
    fn eager_group_pauses_while_cooperative_group_keeps_consuming() {
        let p = presets()
            .into_iter()
            .find(|p| p.name == "eager-vs-cooperative")
            .unwrap();
        let mut sim = Sim::from_scenario(&p).unwrap();
        // The joins are scheduled for the end of tick 30.
        sim.run_until(Tick(29));
        let start = sim.trace_len();
        sim.run_until(Tick(p.run_ticks()));
        let events: Vec<&TraceEvent> = sim.trace_since(start).map(|(_, e)| e).collect();
        let window = |group: &str| {
            let ticks: Vec<Tick> = events
                .iter()
                .filter_map(|e| match e {
                    TraceEvent::RebalanceStarted { tick, group: g, .. }
                    | TraceEvent::RebalanceCompleted { tick, group: g, .. }
                        if g == group =>
                    {
                        Some(*tick)
                    }
                    _ => None,
                })
                .collect();
            (ticks[0], *ticks.last().unwrap(), ticks.len())
        };
        let fetched_in = |group: &str, (from, to): (Tick, Tick)| {
            events
                .iter()
                .filter(|e| {
                    matches!(e, TraceEvent::Fetched { tick, group: g, .. }
                    if g == group && *tick > from && *tick < to)
                })
                .count()
        };
        let (eager_from, eager_to, eager_events) = window("eager");
        let (coop_from, coop_to, coop_events) = window("cooperative");
        assert_eq!(eager_events, 2, "one eager round");
        assert_eq!(coop_events, 4, "two cooperative rounds");
        // Eager members finish the batch in hand, revoke everything and poll nothing until
        // the new assignment; cooperative members keep polling their other partitions.
        assert_eq!(fetched_in("eager", (eager_from, eager_to)), 0);
        assert!(fetched_in("cooperative", (coop_from, coop_to)) > 0);
        for g in ["eager", "cooperative"] {
            let s = sim.group_snapshot(g).unwrap();
            assert!(s.members.iter().all(|m| m.owned.len() == 2), "{g}: {s:?}");
        }
    }

    /// The JSON files under `scenarios/` are generated from [`presets`]; regenerate with
    /// `UPDATE_SCENARIOS=1 cargo test -p orderflow-engine scenarios_dir`.
    #[test]
    fn scenarios_dir_matches_presets() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
        let update = std::env::var_os("UPDATE_SCENARIOS").is_some();
        if update {
            std::fs::create_dir_all(&dir).unwrap();
        }
        for p in presets() {
            let path = dir.join(format!("{}.json", p.name));
            let json = p.to_json_pretty() + "\n";
            if update {
                std::fs::write(&path, &json).unwrap();
            }
            let on_disk = std::fs::read_to_string(&path).unwrap_or_else(|e| {
                panic!(
                    "{}: {e}; run UPDATE_SCENARIOS=1 cargo test -p orderflow-engine scenarios_dir",
                    path.display()
                )
            });
            assert_eq!(on_disk, json, "{} is out of date; run UPDATE_SCENARIOS=1 cargo test -p orderflow-engine scenarios_dir", path.display());
        }
    }
}
