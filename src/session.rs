//! A session in plain Rust (no Leptos): what the user set up and did. The topics with their
//! setups, the seed, and the logged actions with the tick each happened at; the playground
//! ([`crate::playground::Playground`]) replays it into one engine `Sim`.
//!
//! Why a log of actions and not a copy of the state: the engine is deterministic, so the same
//! setup, seed and actions always rebuild the same state. That one fact gives the share link,
//! the saved state in localStorage, the timeline (rewind = replay up to a tick) and the
//! "change the partition count and see what moves" replay.
//!
//! - this file: the format ([`Session`], [`LoggedAction`], [`Action`], [`Setup`],
//!   [`GeneratorConfig`]), [`migrate`] from older formats, and the default start;
//! - `validate.rs`: [`Session::validate`], the bounds an untrusted session (a link, a file,
//!   localStorage) must respect, and why one is refused ([`SessionError`]);
//! - its tests: `tests.rs`, `props.rs` (property tests: whatever a person does, the logged
//!   session replays to what they saw) and `fixtures.rs` (real old links and files under
//!   `tests/fixtures/sessions/`, which every later format must keep opening); `fuzz.rs`
//!   (arbitrary and mutated input into the link, file and storage parsers, arbitrary
//!   command sequences into the engine: no panic).

mod validate;

#[cfg(all(test, not(target_arch = "wasm32")))]
mod fixtures;
#[cfg(all(test, not(target_arch = "wasm32")))]
mod fuzz;
#[cfg(all(test, not(target_arch = "wasm32")))]
mod props;
#[cfg(test)]
mod tests;

pub use validate::{check_event_fields, check_setup, ActionError, SessionError};

use orderflow_engine::assignor::AssignmentStrategy;
use orderflow_engine::group::{CommitPolicy, GroupConfig};
use orderflow_engine::ids::MemberId;
use orderflow_engine::log::{OrderEvent, DEFAULT_SEGMENT_RECORDS};
use orderflow_engine::partitioner::{Partitioner, UnkeyedStrategy};
use orderflow_engine::sim::{Command, Generator, KeySpace};
use orderflow_engine::topic::{KeyField as EngineKeyField, TopicSpec};
use serde::{Deserialize, Serialize};

/// The topic the playground publishes to.
pub const ORDERS_TOPIC: &str = "orders";

/// Most records one burst may publish (bounds the work an imported link can ask for): the
/// engine's bound on one `generate` command.
pub const MAX_BURST: u32 = orderflow_engine::sim::MAX_GENERATED_RECORDS;
/// Most actions a session may hold (bounds imported files and links).
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

/// Which field of the order event is the record key.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyField {
    /// Key by user: all of one user's events stay in order on one partition.
    #[default]
    UserId,
    /// Key by order: one order's lifecycle stays in order, a user's orders spread out.
    OrderId,
}

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

    /// The value of this field in a "Key field" select (as in sessions).
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

/// One topic as the user set it up.
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

    /// The engine's spec of this topic: created with it, then configured with the segments,
    /// retention and unkeyed routing (a topic without a key publishes with no key field).
    pub fn topic_spec(&self) -> TopicSpec {
        let key_field = match (self.keyed, self.key_field) {
            (false, _) => EngineKeyField::NoKey,
            (true, KeyField::UserId) => EngineKeyField::UserId,
            (true, KeyField::OrderId) => EngineKeyField::OrderId,
        };
        TopicSpec::new(&self.name, self.partitions, self.partitioner).with_key_field(key_field)
    }

    /// How a record without a key is spread, in words.
    pub fn unkeyed_label(&self) -> &'static str {
        match self.unkeyed {
            UnkeyedStrategy::RoundRobin => "no key (round-robin)",
            UnkeyedStrategy::Sticky { .. } => "no key (sticky)",
        }
    }
}

/// The order generator's knobs.
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

impl GeneratorConfig {
    /// The engine's key space these settings draw from: users `{user_prefix}1..`, with the
    /// hot-key skew.
    pub fn key_space(&self) -> KeySpace {
        KeySpace::new(self.user_prefix.clone(), self.users)
            .with_hot_key_percent(self.hot_key_percent)
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
}

impl From<&Generator> for GeneratorConfig {
    /// The settings of an engine generator that runs.
    fn from(generator: &Generator) -> Self {
        Self {
            users: generator.key_space.keys,
            orders_per_tick: generator.records_per_tick,
            hot_key_percent: generator.key_space.hot_key_percent,
            user_prefix: generator.key_space.key_prefix.clone(),
        }
    }
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

/// Something the user did. Logged with its tick, replayed to rebuild the state.
///
/// Format-1 sessions had no `topic` fields: they default to `orders`, the one topic then.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    /// One event published by hand.
    Publish {
        #[serde(default = "orders_topic")]
        topic: String,
        event: OrderEvent,
    },
    /// `count` generated events published at once (executed in chunks live).
    Burst {
        #[serde(default = "orders_topic")]
        topic: String,
        count: u32,
        generator: GeneratorConfig,
    },
    /// Starts (`Some`) or stops (`None`) a topic's generator; it publishes on every tick.
    SetGenerator {
        #[serde(default = "orders_topic")]
        topic: String,
        generator: Option<GeneratorConfig>,
    },
    /// An engine command (consumer groups: create, join, kill, reset offsets; producers;
    /// adding partitions).
    Command { command: Command },
    /// An engine command scheduled for a later tick (a preset's scripted events: a consumer
    /// that dies at tick 60). Logged when it was scheduled, so acting before `at` keeps it.
    Schedule { at: u64, command: Command },
    /// A topic created during the run (the session's `topics` are created at tick 0). Before
    /// its tick the topic does not exist, so a rewound view does not show it.
    CreateTopic { setup: Setup },
}

/// An action and the tick it happened at.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoggedAction {
    pub tick: u64,
    #[serde(flatten)]
    pub action: Action,
}

/// Everything needed to rebuild a run: the share link, the saved state, the exported file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Session {
    /// Format version, so old links can be recognised (and migrated: see [`migrate`]).
    pub format: u32,
    /// The topics, created in this order at tick 0.
    pub topics: Vec<Setup>,
    pub seed: u64,
    /// The last tick the run reached.
    pub ticks: u64,
    pub actions: Vec<LoggedAction>,
    /// The preset the run started from (its engine scenario's name), if any; the default
    /// start has none. Shown so people know what they are looking at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset: Option<String>,
}

/// The session format this build writes. Format 1 had one `setup` (the topic `orders`);
/// format 2 has a list of `topics` and a topic on every publish, burst and generator action.
pub const SESSION_FORMAT: u32 = 2;

/// Upgrades a parsed session of any format this build knows to the current format, in
/// place. Format 1 becomes format 2 by turning its `setup` into `topics: [setup]` (named
/// `orders`); its actions need nothing, since their missing `topic` defaults to `orders`.
pub fn migrate(value: &mut serde_json::Value) -> Result<(), SessionError> {
    if !value.is_object() {
        // Not a session at all: deserialising says why.
        return Ok(());
    }
    let found = value
        .get("format")
        .and_then(serde_json::Value::as_u64)
        .unwrap_or(0);
    match found {
        1 => {
            let Some(object) = value.as_object_mut() else {
                return Err(SessionError::Format {
                    found: 1,
                    expected: SESSION_FORMAT,
                });
            };
            let setup = object
                .remove("setup")
                .unwrap_or_else(|| serde_json::json!({}));
            object.insert("topics".into(), serde_json::Value::Array(vec![setup]));
            object.insert("format".into(), serde_json::Value::from(SESSION_FORMAT));
            Ok(())
        }
        f if f == u64::from(SESSION_FORMAT) => Ok(()),
        _ => Err(SessionError::Format {
            found: u32::try_from(found).unwrap_or(u32::MAX),
            expected: SESSION_FORMAT,
        }),
    }
}

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

impl Default for Session {
    /// The Event Hubs order example: 4 partitions keyed by UserId; groups OrderProcessor,
    /// Notifier and Analytics on 2, 3 and 1 consumers.
    fn default() -> Self {
        let mut actions = Vec::new();
        for (name, consumers, strategy, commit_policy) in DEFAULT_GROUPS {
            let mut config = GroupConfig::new(name, vec![ORDERS_TOPIC.to_string()]);
            config.strategy = strategy;
            config.commit_policy = commit_policy;
            actions.push(LoggedAction {
                tick: 0,
                action: Action::Command {
                    command: Command::CreateGroup { config },
                },
            });
            for c in 1..=consumers {
                actions.push(LoggedAction {
                    tick: 0,
                    action: Action::Command {
                        command: Command::JoinGroup {
                            group: name.to_string(),
                            member: MemberId(format!("c{c}")),
                        },
                    },
                });
            }
        }
        Self {
            format: SESSION_FORMAT,
            topics: vec![Setup::default()],
            seed: 42,
            ticks: 0,
            actions,
            preset: None,
        }
    }
}
