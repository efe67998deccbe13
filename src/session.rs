//! A session in plain Rust (no Leptos): an engine scenario plus what the user did in it. The
//! scenario (topics, producers, groups, seed and timed commands: the same JSON the CLI runs),
//! the engine commands the user logged with the tick each happened at, and the page's extras
//! (the selected topic, the preset it started from); the playground
//! ([`crate::playground::Playground`]) replays it into one engine `Sim`.
//!
//! Why a log of commands and not a copy of the state: the engine is deterministic, so the
//! same scenario and commands always rebuild the same state. That one fact gives the share
//! link, the saved state in localStorage, the timeline (rewind = replay up to a tick) and the
//! "change the partition count and see what moves" replay.
//!
//! - this file: the format ([`Session`], [`LoggedAction`]), the page's models of a topic's
//!   setup ([`Setup`]) and of the generator's fields ([`GeneratorConfig`]), the default start;
//! - `legacy.rs`: [`migrate`], formats 1 and 2 (the page's own schema of topics and actions)
//!   turned into this one, so old links, files and saved sessions still open;
//! - `validate.rs`: [`Session::validate`], the bounds an untrusted session (a link, a file,
//!   localStorage) must respect, and why one is refused ([`SessionError`]);
//! - its tests: `tests.rs`, `props.rs` (property tests: whatever a person does, the logged
//!   session replays to what they saw) and `fixtures.rs` (real old links and files under
//!   `tests/fixtures/sessions/`, which every later format must keep opening); `fuzz.rs`
//!   (arbitrary and mutated input into the link, file and storage parsers, arbitrary
//!   command sequences into the engine: no panic).

mod legacy;
mod validate;

#[cfg(all(test, not(target_arch = "wasm32")))]
mod fixtures;
#[cfg(all(test, not(target_arch = "wasm32")))]
mod fuzz;
#[cfg(all(test, not(target_arch = "wasm32")))]
mod props;
#[cfg(test)]
mod tests;

pub use legacy::migrate;
pub use validate::{check_event_fields, check_key_space, check_topic, ActionError, SessionError};

use orderflow_engine::assignor::AssignmentStrategy;
use orderflow_engine::group::{CommitPolicy, GroupConfig};
use orderflow_engine::ids::MemberId;
use orderflow_engine::log::{OrderEvent, Retention, DEFAULT_SEGMENT_RECORDS};
use orderflow_engine::partitioner::{Partitioner, UnkeyedStrategy};
use orderflow_engine::scenario::{GroupSpec, Scenario, ScenarioCommand, TopicSpec};
use orderflow_engine::sim::{Command, Generator, KeySpace};
use orderflow_engine::topic::KeyField as EngineKeyField;
use serde::{Deserialize, Serialize};

/// The topic the playground publishes to.
pub const ORDERS_TOPIC: &str = "orders";

/// Most records one burst may publish (bounds the work an imported link can ask for): the
/// engine's bound on one `generate` command.
pub const MAX_BURST: u32 = orderflow_engine::sim::MAX_GENERATED_RECORDS;
/// Most actions a session may hold (bounds imported files and links); the scenario's
/// producers, groups, members and commands count too.
pub const MAX_ACTIONS: usize = 100_000;
/// Most ticks a session may span (rewind replays them all).
pub const MAX_TICKS: u64 = 1_000_000;

/// Longest user id, order id or status of one event, in characters (the key and the value
/// of a record: a classroom tool shows them, so they stay readable).
pub const MAX_FIELD_CHARS: usize = 1_024;

/// Most users a generator may simulate: the engine generator's most keys.
pub const MAX_USERS: u32 = orderflow_engine::generator::MAX_GENERATOR_KEYS;
/// Most orders the generator may publish per tick.
pub const MAX_ORDERS_PER_TICK: u32 = 1_000;

/// Which field of the order event is the record key, as the topic forms offer it (the
/// engine's [`EngineKeyField`] also has "no key", which the forms offer as a partitioner).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyField {
    /// Key by user: all of one user's events stay in order on one partition.
    #[default]
    UserId,
    /// Key by order: one order's lifecycle stays in order, a user's orders spread out.
    OrderId,
}

orderflow_engine::unit_enum_reader!(KeyField {
    "user_id" => UserId,
    "order_id" => OrderId,
});

impl KeyField {
    /// The key this field selects from an event.
    pub fn key_of(self, event: &OrderEvent) -> &str {
        match self {
            KeyField::UserId => &event.user_id,
            KeyField::OrderId => &event.order_id,
        }
    }

    /// The label shown to people.
    pub fn label(self) -> &'static str {
        match self {
            KeyField::UserId => "User ID",
            KeyField::OrderId => "Order ID",
        }
    }

    /// The value of this field in a "Key field" select (as in scenarios).
    pub fn value(self) -> &'static str {
        match self {
            KeyField::UserId => "user_id",
            KeyField::OrderId => "order_id",
        }
    }

    /// The field a "Key field" select's value names (anything else keys by user).
    pub fn from_value(value: &str) -> Self {
        if value == KeyField::OrderId.value() {
            KeyField::OrderId
        } else {
            KeyField::UserId
        }
    }
}

/// Most topics a session may hold.
pub const MAX_TOPICS: usize = 16;
/// Longest topic name (Kafka's limit is 249 characters).
pub const MAX_TOPIC_NAME: usize = 249;

/// One topic as the page's topic forms show and edit it: an engine [`TopicSpec`] with every
/// setting spelled out (the spec's "no key" split into `keyed` and the key field the forms
/// keep), read with [`Setup::from`] and written back with [`Setup::topic_spec`]. Format-2
/// sessions stored topics in this shape, so it also reads them (see `legacy.rs`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Setup {
    /// The topic's name (format-1 sessions had one topic, `orders`).
    #[serde(default = "orders_topic")]
    pub name: String,
    pub partitions: u32,
    pub partitioner: Partitioner,
    /// False: records are published without a key (spread by [`Setup::unkeyed`]).
    #[serde(default = "yes")]
    pub keyed: bool,
    pub key_field: KeyField,
    /// How records without a key are spread: round-robin (the playground's default) or
    /// Kafka's sticky partitioner.
    #[serde(default = "round_robin")]
    pub unkeyed: UnkeyedStrategy,
    /// Records per segment.
    #[serde(default = "default_segment_records")]
    pub segment_records: u64,
    /// Retention by records (`None`: keep everything).
    #[serde(default)]
    pub retention_records: Option<u64>,
    /// Retention by age in ticks (`None`: no age limit).
    #[serde(default)]
    pub retention_ticks: Option<u64>,
    /// Replicas per partition (only with the session's brokers; default 1).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub replication_factor: u32,
    /// `min.insync.replicas` (default 1).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub min_insync_replicas: u32,
}

fn one() -> u32 {
    1
}

fn is_one(n: &u32) -> bool {
    *n == 1
}

fn yes() -> bool {
    true
}

fn orders_topic() -> String {
    ORDERS_TOPIC.to_string()
}

fn round_robin() -> UnkeyedStrategy {
    UnkeyedStrategy::RoundRobin
}

fn default_segment_records() -> u64 {
    DEFAULT_SEGMENT_RECORDS
}

impl Default for Setup {
    fn default() -> Self {
        // The Event Hubs order example: 4 partitions keyed by UserId.
        Self {
            name: orders_topic(),
            partitions: 4,
            partitioner: Partitioner::Murmur2,
            keyed: true,
            key_field: KeyField::UserId,
            unkeyed: UnkeyedStrategy::RoundRobin,
            segment_records: DEFAULT_SEGMENT_RECORDS,
            retention_records: None,
            retention_ticks: None,
            replication_factor: 1,
            min_insync_replicas: 1,
        }
    }
}

impl From<&TopicSpec> for Setup {
    /// The spec's settings spelled out (an omitted one is the engine's default).
    fn from(spec: &TopicSpec) -> Self {
        let retention = spec.retention.unwrap_or_default();
        Self {
            name: spec.name.clone(),
            partitions: spec.partitions,
            partitioner: spec.partitioner,
            keyed: spec.key_field != EngineKeyField::NoKey,
            key_field: match spec.key_field {
                EngineKeyField::OrderId => KeyField::OrderId,
                EngineKeyField::UserId | EngineKeyField::NoKey => KeyField::UserId,
            },
            unkeyed: spec.unkeyed.unwrap_or_default(),
            segment_records: spec.segment_records.unwrap_or(DEFAULT_SEGMENT_RECORDS),
            retention_records: retention.records,
            retention_ticks: retention.ticks,
            replication_factor: spec.replication_factor,
            min_insync_replicas: spec.min_insync_replicas,
        }
    }
}

impl Setup {
    /// A topic named `name` with `partitions` partitions and the default settings.
    pub fn named(name: &str, partitions: u32) -> Self {
        Self {
            name: name.to_string(),
            partitions,
            ..Self::default()
        }
    }

    /// The engine's spec of this topic (a topic without a key publishes with no key field).
    pub fn topic_spec(&self) -> TopicSpec {
        let key_field = match (self.keyed, self.key_field) {
            (false, _) => EngineKeyField::NoKey,
            (true, KeyField::UserId) => EngineKeyField::UserId,
            (true, KeyField::OrderId) => EngineKeyField::OrderId,
        };
        let retention = Retention {
            records: self.retention_records,
            ticks: self.retention_ticks,
        };
        TopicSpec {
            segment_records: Some(self.segment_records),
            retention: (retention != Retention::default()).then_some(retention),
            unkeyed: Some(self.unkeyed),
            replication_factor: self.replication_factor,
            min_insync_replicas: self.min_insync_replicas,
            ..TopicSpec::new(&self.name, self.partitions, self.partitioner)
                .with_key_field(key_field)
        }
    }

    /// How a record without a key is spread, in words.
    pub fn unkeyed_label(&self) -> &'static str {
        match self.unkeyed {
            UnkeyedStrategy::RoundRobin => "no key (round-robin)",
            UnkeyedStrategy::Sticky { .. } => "no key (sticky)",
        }
    }
}

/// The generator form's fields, parsed: users, rate, skew and user prefix. Bursts log the
/// engine's `generate` command and "Start generator" its `set_generator`
/// ([`GeneratorConfig::key_space`], [`GeneratorConfig::set_command`]). Format-2 sessions
/// stored generators in this shape (see `legacy.rs`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeneratorConfig {
    /// How many distinct users place orders (keys `U1`..`Un`).
    pub users: u32,
    /// Events published per tick while the generator runs.
    pub orders_per_tick: u32,
    /// Percent of events that go to the hot user `U1` (0 = uniform).
    pub hot_key_percent: u8,
    /// Prefix of the generated user ids (`U` gives `U1`..`Un`).
    #[serde(default = "default_user_prefix")]
    pub user_prefix: String,
}

fn default_user_prefix() -> String {
    "U".to_string()
}

impl Default for GeneratorConfig {
    fn default() -> Self {
        Self {
            users: 20,
            orders_per_tick: 2,
            hot_key_percent: 0,
            user_prefix: default_user_prefix(),
        }
    }
}

impl GeneratorConfig {
    /// The engine's key space these settings draw from: users `{user_prefix}1..`, with the
    /// hot-key skew.
    pub fn key_space(&self) -> KeySpace {
        KeySpace::new(self.user_prefix.clone(), self.users)
            .with_hot_key_percent(self.hot_key_percent)
    }

    /// The engine command for a burst of `count` events to `topic`.
    pub fn generate_command(&self, topic: &str, count: u32) -> Command {
        Command::Generate {
            topic: topic.to_string(),
            count,
            key_space: self.key_space(),
        }
    }

    /// The engine command that starts (`Some`) or stops (`None`) `topic`'s generator.
    pub fn set_command(topic: &str, generator: Option<&GeneratorConfig>) -> Command {
        let (records_per_tick, key_space) = match generator {
            Some(g) => (g.orders_per_tick, g.key_space()),
            None => (0, KeySpace::new(default_user_prefix(), 1)),
        };
        Command::SetGenerator {
            topic: topic.to_string(),
            records_per_tick,
            key_space,
        }
    }

    /// The settings a logged generator command shows in the form (a burst keeps the form's
    /// default rate), if `command` is one for `topic`.
    pub fn of_command(command: &Command, topic: &str) -> Option<Self> {
        let (rate, key_space) = match command {
            Command::Generate {
                topic: t,
                key_space,
                ..
            } if t == topic => (Self::default().orders_per_tick, key_space),
            Command::SetGenerator {
                topic: t,
                records_per_tick,
                key_space,
            } if t == topic && *records_per_tick > 0 => (*records_per_tick, key_space),
            _ => return None,
        };
        Some(Self::from(&Generator {
            records_per_tick: rate,
            key_space: key_space.clone(),
        }))
    }
}

impl From<&Generator> for GeneratorConfig {
    /// The settings of an engine generator.
    fn from(generator: &Generator) -> Self {
        Self {
            users: generator.key_space.keys,
            orders_per_tick: generator.records_per_tick,
            hot_key_percent: generator.key_space.hot_key_percent,
            user_prefix: generator.key_space.key_prefix.clone(),
        }
    }
}

/// An engine command the user gave (a simulation command, or a saga command when the
/// scenario has a saga), and the tick it happened at. Older sessions logged simulation
/// commands only; they read back as [`ScenarioCommand::Sim`] (the `type` tag tells).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoggedAction {
    pub tick: u64,
    pub command: ScenarioCommand,
}

/// Everything needed to rebuild a run: the share link, the saved state, the exported file.
///
/// As JSON: `{"format": 3, "scenario": {...an engine scenario...}, "ticks": 12, "actions":
/// [{"tick": 3, "command": {"type": "generate", "topic": "orders", "count": 1000, "keys":
/// 20}}], "selected_topic": "orders", "preset": "event-hubs-orders"}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Session {
    /// Format version, so old links can be recognised (and migrated: see [`migrate`]).
    pub format: u32,
    /// The scenario the run starts from (its topics exist from tick 0; its timed commands
    /// act at their ticks whatever the user does before).
    pub scenario: Scenario,
    /// The last tick the run reached.
    pub ticks: u64,
    /// What the user did, in tick order.
    pub actions: Vec<LoggedAction>,
    /// The topic the page showed (its panels follow one topic), if it was not the first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selected_topic: Option<String>,
    /// The preset the run started from (its engine scenario's name), if any; the default
    /// start has none. Shown so people know what they are looking at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset: Option<String>,
}

/// The session format this build writes: format 1 had one `setup` (the topic `orders`),
/// format 2 a list of `topics` and the page's own actions; format 3 is an engine scenario
/// and engine commands.
pub const SESSION_FORMAT: u32 = 3;

/// The Event Hubs order example's groups: name, consumers, strategy, commit policy.
const DEFAULT_GROUPS: [(&str, u32, AssignmentStrategy, CommitPolicy); 3] = [
    (
        "OrderProcessor",
        2,
        AssignmentStrategy::Range,
        CommitPolicy::AfterProcessing,
    ),
    (
        "Notifier",
        3,
        AssignmentStrategy::CooperativeSticky,
        CommitPolicy::AfterProcessing,
    ),
    (
        "Analytics",
        1,
        AssignmentStrategy::RoundRobin,
        CommitPolicy::AutoCommit { interval_ticks: 5 },
    ),
];

impl Session {
    /// A session that starts from `scenario` with nothing done yet.
    pub fn of_scenario(scenario: Scenario) -> Self {
        Self {
            format: SESSION_FORMAT,
            scenario,
            ticks: 0,
            actions: Vec::new(),
            selected_topic: None,
            preset: None,
        }
    }

    /// The same session starting from `topics` instead of the scenario's.
    pub fn with_topics(mut self, topics: Vec<Setup>) -> Self {
        self.scenario.topics = topics.iter().map(Setup::topic_spec).collect();
        self
    }

    /// The topics the scenario creates at tick 0.
    pub fn topics(&self) -> &[TopicSpec] {
        &self.scenario.topics
    }

    /// The seed all randomness derives from.
    pub fn seed(&self) -> u64 {
        self.scenario.seed
    }
}

impl Default for Session {
    /// The Event Hubs order example: 4 partitions keyed by UserId; groups OrderProcessor,
    /// Notifier and Analytics on 2, 3 and 1 consumers.
    fn default() -> Self {
        let groups = DEFAULT_GROUPS
            .into_iter()
            .map(|(name, consumers, strategy, commit_policy)| {
                let mut config = GroupConfig::new(name, vec![ORDERS_TOPIC.to_string()]);
                config.strategy = strategy;
                config.commit_policy = commit_policy;
                GroupSpec {
                    config,
                    members: (1..=consumers).map(|c| MemberId(format!("c{c}"))).collect(),
                }
            })
            .collect();
        Self::of_scenario(Scenario {
            name: "playground".into(),
            description: String::new(),
            seed: 42,
            ticks: None,
            topics: vec![Setup::default().topic_spec()],
            producers: Vec::new(),
            groups,
            commands: Vec::new(),
            saga: None,
            cluster: Default::default(),
        })
    }
}
