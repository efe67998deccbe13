//! The playground's model in plain Rust (no Leptos): a [`Session`] is what the user set up and
//! did (topic setup, seed, the logged actions with the tick they happened at), and a
//! [`Playground`] is that session replayed into one engine [`Sim`].
//!
//! Why a log of actions and not a copy of the state: the engine is deterministic, so the same
//! setup, seed and actions always rebuild the same state. That one fact gives the share link,
//! the saved state in localStorage, the timeline (rewind = replay up to a tick) and the
//! "change the partition count and see what moves" replay.

use crate::producers::{ProducerFormError, ProducerView, SendReport};
use orderflow_engine::assignor::{AssignmentStrategy, TopicPartition};
use orderflow_engine::group::{CommitPolicy, GroupConfig, GroupSnapshot};
use orderflow_engine::ids::{MemberId, Offset, PartitionId, Tick};
use orderflow_engine::log::{OrderEvent, Payload, Retention, DEFAULT_SEGMENT_RECORDS};
use orderflow_engine::partitioner::{Partitioner, Routing, UnkeyedStrategy};
use orderflow_engine::producer::ProducerConfig;
use orderflow_engine::rng::SimRng;
use orderflow_engine::sim::{Command, Sim, TraceEvent};
use orderflow_engine::topic::MAX_PARTITIONS;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// The topic the playground publishes to.
pub const ORDERS_TOPIC: &str = "orders";

/// Order statuses in their lifecycle order.
pub const STATUSES: [&str; 4] = ["Created", "Paid", "Shipped", "Delivered"];

/// Most records one burst may publish (bounds the work an imported link can ask for).
pub const MAX_BURST: u32 = 1_000_000;
/// Most actions a session may hold (bounds imported files and links).
pub const MAX_ACTIONS: usize = 100_000;
/// Most ticks a session may span (rewind replays them all).
pub const MAX_TICKS: u64 = 1_000_000;
/// Most orders the generator keeps open at once (each advances through the lifecycle).
const MAX_OPEN_ORDERS: usize = 1_000;
/// Most distinct keys remembered for the "which keys move" preview.
pub const MAX_KEYS_TRACKED: usize = 10_000;
/// How many recent routings the routing view can show.
pub const RECENT_ROUTINGS: usize = 8;
/// Trace events kept in memory (the UI reads recent ones; older ones are dropped).
pub const TRACE_LIMIT: usize = 20_000;
/// Most redelivered records remembered for marking rows.
pub const MAX_REDELIVERIES_TRACKED: usize = 10_000;
/// Most users a generator may simulate.
pub const MAX_USERS: u32 = 100_000;
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
/// Most consumers a group created from the form starts with ("Add consumer" adds more).
pub const MAX_NEW_GROUP_CONSUMERS: u32 = 32;
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

/// Why a session cannot be loaded. The message is shown to people.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    #[error(
        "this session was written in format {found}; this playground reads formats 1 to {expected}"
    )]
    Format { found: u32, expected: u32 },
    #[error("a session needs 1 to {max} topics, not {count}")]
    TopicCount { count: usize, max: usize },
    #[error("topic {index} needs a name of 1 to {max} characters")]
    TopicName { index: usize, max: usize },
    #[error("topic {name:?} appears twice")]
    DuplicateTopic { name: String },
    #[error("topic name {name:?} may only use letters, digits, '.', '_' and '-' (Kafka's rule)")]
    TopicChars { name: String },
    #[error("a topic needs 1 to {max} partitions, not {requested}")]
    Partitions { requested: u32, max: u32 },
    #[error("the preset name has at most {max} characters")]
    PresetName { max: usize },
    #[error("a segment holds at least 1 record")]
    Segment,
    #[error("retention keeps at least 1 record or 1 tick")]
    Retention,
    #[error("the session holds {count} actions; at most {max} are accepted")]
    TooManyActions { count: usize, max: usize },
    #[error("the session spans {ticks} ticks; at most {max} are accepted")]
    TooManyTicks { ticks: u64, max: u64 },
    #[error("action {index} happens at tick {tick}, before the previous action's tick {previous}")]
    OutOfOrder {
        index: usize,
        tick: u64,
        previous: u64,
    },
    #[error("action {index} happens at tick {tick}, after the session's last tick {ticks}")]
    AfterEnd { index: usize, tick: u64, ticks: u64 },
    #[error("action {index} is invalid: {reason}")]
    InvalidAction { index: usize, reason: String },
}

fn check_generator(g: &GeneratorConfig) -> Result<(), String> {
    if g.users == 0 || g.users > MAX_USERS {
        return Err(format!("users must be 1 to {MAX_USERS}, not {}", g.users));
    }
    if g.orders_per_tick > MAX_ORDERS_PER_TICK {
        return Err(format!(
            "orders per tick must be at most {MAX_ORDERS_PER_TICK}, not {}",
            g.orders_per_tick
        ));
    }
    if g.hot_key_percent > 100 {
        return Err(format!(
            "hot-key skew must be 0 to 100 %, not {}",
            g.hot_key_percent
        ));
    }
    if g.user_prefix.len() > MAX_TOPIC_NAME {
        return Err(format!(
            "the user id prefix has at most {MAX_TOPIC_NAME} characters"
        ));
    }
    Ok(())
}

/// Checks one topic's setup.
pub fn check_setup(index: usize, setup: &Setup) -> Result<(), SessionError> {
    if setup.name.is_empty() || setup.name.len() > MAX_TOPIC_NAME {
        return Err(SessionError::TopicName {
            index,
            max: MAX_TOPIC_NAME,
        });
    }
    if !setup
        .name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(SessionError::TopicChars {
            name: setup.name.clone(),
        });
    }
    if setup.segment_records == 0 {
        return Err(SessionError::Segment);
    }
    if setup.retention_records == Some(0) || setup.retention_ticks == Some(0) {
        return Err(SessionError::Retention);
    }
    if setup.partitions == 0 || setup.partitions > MAX_PARTITIONS {
        return Err(SessionError::Partitions {
            requested: setup.partitions,
            max: MAX_PARTITIONS,
        });
    }
    Ok(())
}

impl Session {
    /// Checks the bounds an untrusted session (link, file, storage) must respect.
    pub fn validate(&self) -> Result<(), SessionError> {
        if self.format != SESSION_FORMAT {
            return Err(SessionError::Format {
                found: self.format,
                expected: SESSION_FORMAT,
            });
        }
        if self.topics.is_empty() || self.topics.len() > MAX_TOPICS {
            return Err(SessionError::TopicCount {
                count: self.topics.len(),
                max: MAX_TOPICS,
            });
        }
        let mut names = BTreeSet::new();
        for (index, setup) in self.topics.iter().enumerate() {
            check_setup(index, setup)?;
            if !names.insert(setup.name.as_str()) {
                return Err(SessionError::DuplicateTopic {
                    name: setup.name.clone(),
                });
            }
        }
        if self
            .preset
            .as_ref()
            .is_some_and(|p| p.len() > MAX_TOPIC_NAME)
        {
            return Err(SessionError::PresetName {
                max: MAX_TOPIC_NAME,
            });
        }
        if self.actions.len() > MAX_ACTIONS {
            return Err(SessionError::TooManyActions {
                count: self.actions.len(),
                max: MAX_ACTIONS,
            });
        }
        if self.ticks > MAX_TICKS {
            return Err(SessionError::TooManyTicks {
                ticks: self.ticks,
                max: MAX_TICKS,
            });
        }
        let mut previous = 0;
        // The topics that exist so far: the initial ones, then those created by actions.
        let mut topics: Vec<&Setup> = self.topics.iter().collect();
        for (index, logged) in self.actions.iter().enumerate() {
            if logged.tick < previous {
                return Err(SessionError::OutOfOrder {
                    index,
                    tick: logged.tick,
                    previous,
                });
            }
            if logged.tick > self.ticks {
                return Err(SessionError::AfterEnd {
                    index,
                    tick: logged.tick,
                    ticks: self.ticks,
                });
            }
            previous = logged.tick;
            let invalid = |reason: String| SessionError::InvalidAction { index, reason };
            if let Action::CreateTopic { setup } = &logged.action {
                check_setup(topics.len(), setup)?;
                if topics.iter().any(|t| t.name == setup.name) {
                    return Err(SessionError::DuplicateTopic {
                        name: setup.name.clone(),
                    });
                }
                if topics.len() >= MAX_TOPICS {
                    return Err(SessionError::TopicCount {
                        count: topics.len() + 1,
                        max: MAX_TOPICS,
                    });
                }
                topics.push(setup);
                continue;
            }
            let known = |topic: &str| -> Result<&Setup, SessionError> {
                topics
                    .iter()
                    .copied()
                    .find(|t| t.name == topic)
                    .ok_or_else(|| {
                        invalid(format!(
                            "topic {topic:?} is not in the session at tick {}",
                            logged.tick
                        ))
                    })
            };
            match &logged.action {
                Action::CreateTopic { .. } => {}
                Action::Command { .. } => {}
                Action::Schedule { at, .. } => {
                    if *at > MAX_TICKS {
                        return Err(invalid(format!(
                            "a command is scheduled at tick {at}, after tick {MAX_TICKS}"
                        )));
                    }
                }
                Action::Publish { topic, event } => {
                    let setup = known(topic)?;
                    if setup.keyed && setup.key_field.key_of(event).is_empty() {
                        return Err(invalid(format!(
                            "the {} (the key) is empty",
                            setup.key_field.label()
                        )));
                    }
                }
                Action::Burst {
                    topic,
                    count,
                    generator,
                } => {
                    known(topic)?;
                    if *count > MAX_BURST {
                        return Err(invalid(format!(
                            "a burst publishes at most {MAX_BURST} events, not {count}"
                        )));
                    }
                    check_generator(generator).map_err(invalid)?;
                }
                Action::SetGenerator { topic, generator } => {
                    known(topic)?;
                    if let Some(g) = generator {
                        check_generator(g).map_err(invalid)?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// One open order the generator will move along its lifecycle.
#[derive(Clone, Debug)]
struct OpenOrder {
    user: u32,
    order: u64,
    status: usize,
}

/// The generator's deterministic state: its own seeded stream (derived from the session
/// seed), the orders it has opened and the next order number.
#[derive(Clone, Debug)]
struct GeneratorState {
    rng: SimRng,
    open: VecDeque<OpenOrder>,
    next_order: u64,
}

/// Distinguishes the generator's stream from any other stream derived from the same seed.
const GENERATOR_STREAM: u64 = 0x6f72_6465_7266_6c6f; // "orderflo"

impl GeneratorState {
    fn new(seed: u64) -> Self {
        Self {
            rng: SimRng::new(seed ^ GENERATOR_STREAM),
            open: VecDeque::new(),
            next_order: 1,
        }
    }

    /// The next generated event: either a new order (status Created) for a user picked with
    /// the hot-key skew, or the next status of an open order.
    fn next_event(&mut self, config: &GeneratorConfig) -> OrderEvent {
        let advance =
            !self.open.is_empty() && (self.open.len() >= MAX_OPEN_ORDERS || self.rng.chance(0.6));
        let order = if advance {
            let index = self.rng.below(self.open.len() as u64) as usize;
            let mut order = self.open[index].clone();
            order.status += 1;
            if order.status + 1 >= STATUSES.len() {
                self.open.remove(index);
            } else {
                self.open[index].status = order.status;
            }
            order
        } else {
            let users = u64::from(config.users.max(1));
            let hot = self.rng.chance(f64::from(config.hot_key_percent) / 100.0);
            let user = if hot {
                1
            } else {
                self.rng.below(users) as u32 + 1
            };
            let order = OpenOrder {
                user,
                order: self.next_order,
                status: 0,
            };
            self.next_order += 1;
            self.open.push_back(order.clone());
            order
        };
        OrderEvent {
            user_id: format!("{}{}", config.user_prefix, order.user),
            order_id: format!("O{}", order.order),
            status: STATUSES[order.status].to_string(),
        }
    }
}

/// A burst still being published, a chunk per frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BurstProgress {
    pub done: u32,
    pub total: u32,
    /// The topic the burst publishes to.
    pub topic: String,
    generator: GeneratorConfig,
}

/// One produced record's routing, for the routing view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoutedEvent {
    /// The playground's replay epoch (see [`Playground::epoch`]).
    pub epoch: u64,
    /// Position in the trace: with the epoch, a stable key for animations.
    pub sequence: u64,
    /// The topic the record went to.
    pub topic: String,
    /// `None`: published without a key (round-robin or sticky).
    pub key: Option<String>,
    /// The hashing, for a keyed record.
    pub routing: Option<Routing>,
    pub partition: PartitionId,
    pub offset: Offset,
}

/// One record row as the partition view shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordRow {
    /// The playground's replay epoch: with the offset, a stable and unique row key.
    pub epoch: u64,
    pub offset: u64,
    pub key: String,
    pub order_id: String,
    pub user_id: String,
    pub status: String,
    pub tick: u64,
    /// The first record of a segment (not the log's first).
    pub segment_start: bool,
    /// Groups that processed this record again after a redelivery (duplicates).
    pub redelivered_to: Vec<String>,
    /// A producer's retry appended this record again after a lost acknowledgement: the
    /// offset of the first copy (a duplicate in the log, not a redelivery).
    pub duplicate_of: Option<u64>,
}

/// A key whose partition differs between two partition counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MovedKey {
    pub key: String,
    pub from: u32,
    pub to: u32,
}

/// Creates `setup`'s topic in `sim` and configures its segments, retention and unkeyed
/// routing.
fn create_topic(sim: &mut Sim, setup: &Setup) -> Result<(), orderflow_engine::sim::SimError> {
    sim.apply(Command::CreateTopic(
        orderflow_engine::topic::TopicSpec::new(&setup.name, setup.partitions, setup.partitioner),
    ))?;
    sim.apply(Command::ConfigureTopic {
        topic: setup.name.clone(),
        segment_records: Some(setup.segment_records),
        retention: Some(Retention {
            records: setup.retention_records,
            ticks: setup.retention_ticks,
        }),
        unkeyed: Some(setup.unkeyed),
    })
}

/// A session replayed into a simulation, plus what is still being executed.
#[derive(Debug)]
pub struct Playground {
    session: Session,
    sim: Sim,
    /// The topics that exist now: the session's, then those created by actions so far.
    topics: Vec<Setup>,
    generator: GeneratorState,
    /// Running generators by topic (name order, so every tick publishes in the same order).
    running_generators: BTreeMap<String, GeneratorConfig>,
    burst: Option<BurstProgress>,
    /// Keys seen per topic (at most [`MAX_KEYS_TRACKED`] each), for the "which keys move"
    /// preview.
    keys_seen: BTreeMap<String, BTreeSet<String>>,
    /// Errors the engine returned while replaying (a valid session has none).
    replay_errors: usize,
    /// Counts rebuilds: offsets restart after a replay, so views key rows by (epoch, offset).
    epoch: u64,
    /// Trace index up to which important events were announced.
    announced: u64,
    /// Trace index up to which redeliveries and keys were collected.
    scanned: u64,
    /// Records processed again after a redelivery: (topic, partition, offset) -> groups.
    redelivered: BTreeMap<(String, u32, u64), Vec<String>>,
    /// Recent rebalances as partition moves, folded from the trace.
    rebalances: crate::rebalance::RebalanceLog,
    /// Recent throughput per group and member, folded from the trace.
    throughput: crate::metrics::Throughput,
    /// Records producers' retries appended again, folded from the trace.
    duplicates: crate::producers::DuplicateLog,
}

impl Default for Playground {
    fn default() -> Self {
        Self::new(Session::default())
    }
}

impl Playground {
    /// Replays `session` to its last tick. Call [`Session::validate`] first on untrusted input.
    pub fn new(session: Session) -> Self {
        let ticks = session.ticks;
        let mut pg = Self::empty(session);
        pg.replay_to(ticks);
        pg
    }

    fn empty(session: Session) -> Self {
        let mut sim = Sim::new(session.seed);
        sim.set_trace_limit(Some(TRACE_LIMIT));
        let mut replay_errors = 0;
        for setup in &session.topics {
            if create_topic(&mut sim, setup).is_err() {
                replay_errors += 1;
            }
        }
        let generator = GeneratorState::new(session.seed);
        Self {
            topics: session.topics.clone(),
            session,
            sim,
            generator,
            running_generators: BTreeMap::new(),
            burst: None,
            keys_seen: BTreeMap::new(),
            replay_errors,
            epoch: 0,
            announced: 0,
            scanned: 0,
            redelivered: BTreeMap::new(),
            rebalances: Default::default(),
            throughput: Default::default(),
            duplicates: Default::default(),
        }
    }

    /// Rebuilds the simulation from scratch and replays the log up to `target` (clamped to
    /// the session's last tick). The log itself is kept, so the user can go forward again.
    pub fn replay_to(&mut self, target: u64) {
        let session = std::mem::take(&mut self.session);
        let target = target.min(session.ticks);
        let epoch = self.epoch + 1;
        *self = Self::empty(session);
        self.epoch = epoch;
        let actions = std::mem::take(&mut self.session.actions);
        let mut next = 0;
        loop {
            while next < actions.len() && actions[next].tick == self.now() {
                self.execute(&actions[next].action, true);
                next += 1;
            }
            if self.now() >= target {
                break;
            }
            self.advance();
        }
        self.session.actions = actions;
        // What a replay rebuilds is not news: announce only what happens from here on.
        self.announced = self.sim.trace_len();
    }

    /// How many times the state was rebuilt by replay (row keys include it).
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// The session as logged so far.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The engine instance (read-only).
    pub fn sim(&self) -> &Sim {
        &self.sim
    }

    /// The current tick of the simulation.
    pub fn now(&self) -> u64 {
        self.sim.now().0
    }

    /// True when the simulation shows the session's last tick (not a rewound view).
    pub fn is_live(&self) -> bool {
        self.now() == self.session.ticks
    }

    /// The burst being published, if any.
    pub fn burst(&self) -> Option<&BurstProgress> {
        self.burst.as_ref()
    }

    /// A topic's generator settings while it runs.
    pub fn running_generator(&self, topic: &str) -> Option<&GeneratorConfig> {
        self.running_generators.get(topic)
    }

    /// The generator settings a form for `topic` starts from: the running generator's, else
    /// the last ones logged for the topic (a preset's burst), else the defaults.
    pub fn generator_settings(&self, topic: &str) -> GeneratorConfig {
        if let Some(running) = self.running_generator(topic) {
            return running.clone();
        }
        self.session
            .actions
            .iter()
            .rev()
            .find_map(|a| match &a.action {
                Action::Burst {
                    topic: t,
                    generator,
                    ..
                }
                | Action::SetGenerator {
                    topic: t,
                    generator: Some(generator),
                } if t == topic => Some(generator.clone()),
                _ => None,
            })
            .unwrap_or_default()
    }

    /// Engine errors seen while replaying.
    pub fn replay_errors(&self) -> usize {
        self.replay_errors
    }

    /// Logs an action at the current tick and executes it. Acting on a rewound view drops the
    /// recorded future (the run branches from here). Bursts run in chunks: see
    /// [`Playground::run_burst`].
    pub fn act(&mut self, action: Action) {
        let _ = self.try_act(action);
    }

    /// Like [`Playground::act`], but an engine command the engine refuses (for example an
    /// offset reset while the group has members) is not logged and its error comes back.
    pub fn try_act(&mut self, action: Action) -> Result<(), String> {
        self.finish_burst();
        match &action {
            // Try it first: a refused command changes nothing and is not logged.
            Action::Command { command } => {
                self.sim.apply(command.clone()).map_err(|e| e.to_string())?;
                self.collect();
            }
            Action::Schedule { at, command } => {
                self.sim
                    .schedule(Tick(*at), command.clone())
                    .map_err(|e| e.to_string())?;
            }
            Action::Publish { topic, .. }
            | Action::Burst { topic, .. }
            | Action::SetGenerator { topic, .. } => {
                if self.setup(topic).is_none() {
                    return Err(format!("topic {topic:?} does not exist"));
                }
            }
            Action::CreateTopic { setup } => {
                check_setup(self.topics.len(), setup).map_err(|e| e.to_string())?;
                if self.setup(&setup.name).is_some() {
                    return Err(format!("topic {:?} already exists", setup.name));
                }
                if self.topics.len() >= MAX_TOPICS {
                    return Err(format!(
                        "a session holds at most {MAX_TOPICS} topics; remove one by loading another preset"
                    ));
                }
            }
        }
        if !self.is_live() {
            let now = self.now();
            self.session.actions.retain(|a| a.tick <= now);
            self.session.ticks = now;
        }
        self.session.actions.push(LoggedAction {
            tick: self.now(),
            action: action.clone(),
        });
        if !matches!(action, Action::Command { .. } | Action::Schedule { .. }) {
            self.execute(&action, false);
        }
        // A command's trace events (a join's rebalance) show at once, not after the next tick.
        self.collect();
        Ok(())
    }

    /// Publishes one event by hand to the first topic, keyed by its key field.
    pub fn publish(&mut self, event: OrderEvent) {
        let topic = self.topic_names()[0].clone();
        self.publish_to(&topic, event);
    }

    /// Publishes one event by hand to `topic`, keyed by the topic's key field.
    pub fn publish_to(&mut self, topic: &str, event: OrderEvent) {
        self.act(Action::Publish {
            topic: topic.to_string(),
            event,
        });
    }

    fn execute(&mut self, action: &Action, replaying: bool) {
        match action {
            Action::Publish { topic, event } => self.produce(topic, event.clone()),
            Action::Burst {
                topic,
                count,
                generator,
            } => {
                self.burst = Some(BurstProgress {
                    done: 0,
                    total: *count,
                    topic: topic.clone(),
                    generator: generator.clone(),
                });
                if replaying {
                    self.finish_burst();
                }
            }
            Action::SetGenerator { topic, generator } => match generator {
                Some(g) => {
                    self.running_generators.insert(topic.clone(), g.clone());
                }
                None => {
                    self.running_generators.remove(topic);
                }
            },
            Action::Command { command } => {
                if self.sim.apply(command.clone()).is_err() {
                    self.replay_errors += 1;
                }
                self.collect();
            }
            Action::Schedule { at, command } => {
                if self.sim.schedule(Tick(*at), command.clone()).is_err() {
                    self.replay_errors += 1;
                }
            }
            Action::CreateTopic { setup } => {
                if create_topic(&mut self.sim, setup).is_err() {
                    self.replay_errors += 1;
                } else {
                    self.topics.push(setup.clone());
                }
            }
        }
    }

    fn remember_key(&mut self, topic: &str, key: &str) {
        let keys = match self.keys_seen.get_mut(topic) {
            Some(keys) => keys,
            None => self.keys_seen.entry(topic.to_string()).or_default(),
        };
        if keys.len() < MAX_KEYS_TRACKED && !keys.contains(key) {
            keys.insert(key.to_string());
        }
    }

    fn produce(&mut self, topic: &str, event: OrderEvent) {
        let Some(setup) = self.setup(topic) else {
            self.replay_errors += 1;
            return;
        };
        let key = setup
            .keyed
            .then(|| setup.key_field.key_of(&event).to_string());
        if let Some(key) = &key {
            self.remember_key(topic, key);
        }
        let result = self.sim.apply(Command::Produce {
            topic: topic.to_string(),
            key,
            value: Payload::Order(event),
        });
        if result.is_err() {
            self.replay_errors += 1;
        }
    }

    /// Publishes up to `max_records` of the pending burst; returns true while some remain.
    pub fn run_burst(&mut self, max_records: u32) -> bool {
        let Some(mut burst) = self.burst.take() else {
            return false;
        };
        let chunk = max_records.min(burst.total - burst.done);
        for _ in 0..chunk {
            let event = self.generator.next_event(&burst.generator);
            self.produce(&burst.topic, event);
        }
        burst.done += chunk;
        if burst.done < burst.total {
            self.burst = Some(burst);
            true
        } else {
            // Produced records of a burst are already tracked; skip them in the trace scan.
            self.scanned = self.sim.trace_len();
            false
        }
    }

    fn finish_burst(&mut self) {
        while self.run_burst(u32::MAX) {}
    }

    /// Advances one tick: the running generators publish, then the clock moves. On a rewound
    /// view this walks forward along the recorded log instead.
    pub fn step(&mut self) {
        self.finish_burst();
        if self.is_live() {
            self.advance();
            self.session.ticks = self.now();
        } else {
            let target = self.now() + 1;
            self.advance();
            let now = self.now();
            let actions: Vec<Action> = self
                .session
                .actions
                .iter()
                .filter(|a| a.tick == now)
                .map(|a| a.action.clone())
                .collect();
            for action in &actions {
                self.execute(action, true);
            }
            debug_assert_eq!(self.now(), target);
        }
    }

    fn advance(&mut self) {
        let generators: Vec<(String, GeneratorConfig)> = self
            .running_generators
            .iter()
            .map(|(t, g)| (t.clone(), g.clone()))
            .collect();
        for (topic, config) in generators {
            for _ in 0..config.orders_per_tick {
                let event = self.generator.next_event(&config);
                self.produce(&topic, event);
            }
        }
        self.sim.step();
        self.collect();
    }

    /// Scans the trace since the last scan (bounded by the trace limit): remembers records a
    /// group processed again and records a producer's retry appended again, so their rows can
    /// be marked, and the keys of records produced by engine commands (producers, scheduled
    /// sends), for the "which keys move" preview.
    fn collect(&mut self) {
        let mut keys = Vec::new();
        for (_, event) in self.sim.trace_since(self.scanned) {
            self.rebalances.observe(event);
            self.throughput.observe(event);
            self.duplicates.observe(event);
            match event {
                TraceEvent::Processed {
                    group,
                    topic,
                    partition,
                    offset,
                    redelivered: true,
                    ..
                } => {
                    let key = (topic.clone(), partition.0, offset.0);
                    if self.redelivered.len() >= MAX_REDELIVERIES_TRACKED
                        && !self.redelivered.contains_key(&key)
                    {
                        continue;
                    }
                    let groups = self.redelivered.entry(key).or_default();
                    if !groups.contains(group) {
                        groups.push(group.clone());
                    }
                }
                TraceEvent::Produced {
                    topic,
                    key: Some(key),
                    ..
                } => keys.push((topic.clone(), key.clone())),
                _ => {}
            }
        }
        for (topic, key) in keys {
            self.remember_key(&topic, &key);
        }
        self.scanned = self.sim.trace_len();
    }

    /// Replaces the setup of the topic with the same name (partition count, partitioner, key
    /// field, retention) and replays the whole log under it, so the same events show where
    /// they land now.
    pub fn change_setup(&mut self, setup: Setup) {
        self.finish_burst();
        // "Always set up this way": partitions added later up to the new count never happened
        // (replaying them would be refused, the topic already has that many).
        self.session.actions.retain(|a| {
            !matches!(&a.action, Action::Command {
                command: Command::AddPartitions { topic, partitions },
            } if *topic == setup.name && *partitions <= setup.partitions)
        });
        // A topic of the session's, or one an action created later.
        let initial = self
            .session
            .topics
            .iter_mut()
            .find(|t| t.name == setup.name);
        let created = self
            .session
            .actions
            .iter_mut()
            .find_map(|a| match &mut a.action {
                Action::CreateTopic { setup: s } if s.name == setup.name => Some(s),
                _ => None,
            });
        if let Some(slot) = initial.or(created) {
            *slot = setup;
        }
        let ticks = self.session.ticks;
        self.replay_to(ticks);
    }

    /// Adds partitions to a live topic (Kafka's `kafka-topics --alter --partitions`): a logged
    /// engine command, so records already written stay where they are and only new records
    /// route by the new count.
    pub fn add_partitions(&mut self, topic: &str, partitions: u32) -> Result<(), String> {
        self.try_act(Action::Command {
            command: Command::AddPartitions {
                topic: topic.to_string(),
                partitions,
            },
        })
    }

    /// Replays the whole log under another seed.
    pub fn change_seed(&mut self, seed: u64) {
        self.finish_burst();
        self.session.seed = seed;
        let ticks = self.session.ticks;
        self.replay_to(ticks);
    }

    /// The names of the topics that exist now, the session's first, then those created
    /// later in creation order (never empty for a valid session).
    pub fn topic_names(&self) -> Vec<String> {
        self.topics.iter().map(|t| t.name.clone()).collect()
    }

    /// The topics that exist now, with their setups, in [`Playground::topic_names`] order.
    pub fn topics(&self) -> &[Setup] {
        &self.topics
    }

    /// The setup of `topic`, if it exists now.
    pub fn setup(&self, topic: &str) -> Option<&Setup> {
        self.topics.iter().find(|t| t.name == topic)
    }

    /// Creates a topic now (a logged action, so it replays and is shared).
    pub fn create_topic(&mut self, setup: Setup) -> Result<(), String> {
        self.try_act(Action::CreateTopic { setup })
    }

    /// Number of partitions of `topic` now (after any partitions were added).
    pub fn partition_count(&self, topic: &str) -> u32 {
        self.sim.topic(topic).map_or(0, |t| t.partition_count())
    }

    /// `(log_start_offset, high_watermark)` of a partition.
    pub fn partition_bounds(&self, topic: &str, partition: u32) -> (u64, u64) {
        self.sim
            .topic(topic)
            .and_then(|t| t.partition(PartitionId(partition)))
            .map_or((0, 0), |log| {
                (log.log_start_offset().0, log.high_watermark().0)
            })
    }

    /// Records of a partition whose offsets fall in `from..to` (clamped to the log).
    pub fn rows(&self, topic: &str, partition: u32, from: u64, to: u64) -> Vec<RecordRow> {
        let Some(log) = self
            .sim
            .topic(topic)
            .and_then(|t| t.partition(PartitionId(partition)))
        else {
            return Vec::new();
        };
        let start = log.log_start_offset().0;
        let records = log.records();
        let lo = (from.max(start) - start) as usize;
        let hi = (to.saturating_sub(start) as usize).min(records.len());
        if lo >= hi {
            return Vec::new();
        }
        let segment = self
            .setup(topic)
            .map_or(DEFAULT_SEGMENT_RECORDS, |s| s.segment_records)
            .max(1);
        records[lo..hi]
            .iter()
            .map(|r| {
                let order = r.value.as_order();
                RecordRow {
                    epoch: self.epoch,
                    offset: r.offset.0,
                    key: r.key.clone().unwrap_or_default(),
                    order_id: order.map(|o| o.order_id.clone()).unwrap_or_default(),
                    user_id: order.map(|o| o.user_id.clone()).unwrap_or_default(),
                    status: order.map(|o| o.status.clone()).unwrap_or_default(),
                    tick: r.tick.0,
                    segment_start: r.offset.0 > 0 && r.offset.0 % segment == 0,
                    redelivered_to: self
                        .redelivered
                        .get(&(topic.to_string(), partition, r.offset.0))
                        .cloned()
                        .unwrap_or_default(),
                    duplicate_of: self
                        .duplicates
                        .get(topic, partition, r.offset.0)
                        .map(|d| d.original_offset),
                }
            })
            .collect()
    }

    /// Records per partition of `topic`, in partition order.
    pub fn partition_sizes(&self, topic: &str) -> Vec<u64> {
        (0..self.partition_count(topic))
            .map(|p| {
                let (start, end) = self.partition_bounds(topic, p);
                end - start
            })
            .collect()
    }

    /// Records in `topic`.
    pub fn topic_records(&self, topic: &str) -> u64 {
        self.partition_sizes(topic).iter().sum()
    }

    /// Records in every topic.
    pub fn total_records(&self) -> u64 {
        self.topics
            .iter()
            .map(|t| self.topic_records(&t.name))
            .sum()
    }

    /// The last `limit` records produced to `topic` with their routing, newest first.
    pub fn recent_routings(&self, topic: &str, limit: usize) -> Vec<RoutedEvent> {
        let first = self.sim.trace_buffer().first_index();
        self.sim
            .trace()
            .iter()
            .enumerate()
            .rev()
            .filter_map(|(i, e)| match e {
                TraceEvent::Produced {
                    topic: t,
                    key,
                    routing,
                    partition,
                    offset,
                    ..
                } if t == topic => Some(RoutedEvent {
                    epoch: self.epoch,
                    sequence: first + i as u64,
                    topic: t.clone(),
                    key: key.clone(),
                    routing: routing.clone(),
                    partition: *partition,
                    offset: *offset,
                }),
                _ => None,
            })
            .take(limit)
            .collect()
    }

    /// Keys seen so far in `topic` (at most [`MAX_KEYS_TRACKED`]), in key order.
    pub fn keys_seen(&self, topic: &str) -> usize {
        self.keys_seen.get(topic).map_or(0, BTreeSet::len)
    }

    /// Which of the keys seen in `topic` would land on another partition with `partitions`
    /// partitions (and `partitioner`) than with the topic's partitioner and its partition
    /// count now, computed with the engine's partitioner.
    pub fn moved_keys(
        &self,
        topic: &str,
        partitioner: Partitioner,
        partitions: u32,
    ) -> Vec<MovedKey> {
        let Some(setup) = self.setup(topic) else {
            return Vec::new();
        };
        let current = setup.partitioner;
        let now = self.partition_count(topic);
        if partitions == 0 || partitions > MAX_PARTITIONS || now == 0 || !setup.keyed {
            return Vec::new();
        }
        self.keys_seen
            .get(topic)
            .into_iter()
            .flatten()
            .filter_map(|key| {
                let from = current.route(key.as_bytes(), now).partition.0;
                let to = partitioner.route(key.as_bytes(), partitions).partition.0;
                (from != to).then(|| MovedKey {
                    key: key.clone(),
                    from,
                    to,
                })
            })
            .collect()
    }

    /// Records per key across `topic` (for skew).
    pub fn key_counts(&self, topic: &str) -> BTreeMap<String, u64> {
        let mut counts = BTreeMap::new();
        if let Some(topic) = self.sim.topic(topic) {
            for log in topic.partitions() {
                for r in log.records() {
                    *counts.entry(r.key.clone().unwrap_or_default()).or_insert(0) += 1;
                }
            }
        }
        counts
    }
}

impl Playground {
    /// Names of the consumer groups, in name order.
    pub fn group_names(&self) -> Vec<String> {
        self.sim.groups().map(|g| g.name().to_string()).collect()
    }

    /// A read-only snapshot of a group (members, owned partitions, committed offsets, lag).
    pub fn group_snapshot(&self, name: &str) -> Option<GroupSnapshot> {
        self.sim.group_snapshot(name)
    }

    /// A group's settings.
    pub fn group_config(&self, name: &str) -> Option<GroupConfig> {
        self.sim.group(name).map(|g| g.config().clone())
    }

    /// A group's total lag over time: `(tick, lag)` samples, oldest first (bounded history).
    pub fn lag_history(&self, name: &str) -> Vec<(u64, u64)> {
        self.sim
            .group(name)
            .map(|g| {
                g.lag_history()
                    .samples()
                    .iter()
                    .map(|s| (s.tick.0, s.total))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A group's recent rebalances as partition moves, oldest first.
    pub fn rebalances(&self, group: &str) -> Vec<crate::rebalance::RebalanceEpisode> {
        self.rebalances.episodes(group)
    }

    /// Records `group` processed per tick over the last
    /// [`crate::metrics::THROUGHPUT_WINDOW_TICKS`] ticks.
    pub fn group_throughput(&self, group: &str) -> f64 {
        self.throughput.group_rate(group, self.now())
    }

    /// Records a member processed per tick over the recent window.
    pub fn member_throughput(&self, group: &str, member: &MemberId) -> f64 {
        self.throughput.member_rate(group, member, self.now())
    }

    /// A member id not used before in `group` (`c1`, `c2`, ...): the first one no logged or
    /// scheduled join of the group used and no current member has.
    pub fn next_member_id(&self, group: &str) -> MemberId {
        let mut used: BTreeSet<&str> = BTreeSet::new();
        for a in &self.session.actions {
            if let Action::Command {
                command: Command::JoinGroup { group: g, member },
            }
            | Action::Schedule {
                command: Command::JoinGroup { group: g, member },
                ..
            } = &a.action
            {
                if g == group {
                    used.insert(member.0.as_str());
                }
            }
        }
        let members: Vec<String> = self
            .sim
            .group_snapshot(group)
            .map(|s| s.members.iter().map(|m| m.id.0.clone()).collect())
            .unwrap_or_default();
        let mut n = 1;
        loop {
            let id = format!("c{n}");
            if !used.contains(id.as_str()) && !members.contains(&id) {
                return MemberId(id);
            }
            n += 1;
        }
    }

    /// Creates a consumer group subscribed to `config.topics` and joins `consumers` members
    /// (`c1`, `c2`, ...), all as logged engine commands. Refused, with nothing logged, when
    /// the name is empty or taken, no topic is picked, a topic does not exist, or
    /// `consumers` is above [`MAX_NEW_GROUP_CONSUMERS`].
    pub fn create_group(&mut self, config: GroupConfig, consumers: u32) -> Result<(), String> {
        let name = config.name.trim().to_string();
        if name.is_empty() || name.len() > MAX_TOPIC_NAME {
            return Err(format!(
                "a group needs a name of 1 to {MAX_TOPIC_NAME} characters"
            ));
        }
        if self.sim.group(&name).is_some() {
            return Err(format!("consumer group {name:?} already exists"));
        }
        if config.topics.is_empty() {
            return Err(format!(
                "group {name:?} needs at least one topic to subscribe to"
            ));
        }
        if let Some(missing) = config.topics.iter().find(|t| self.setup(t).is_none()) {
            return Err(format!("topic {missing:?} does not exist"));
        }
        if consumers > MAX_NEW_GROUP_CONSUMERS {
            return Err(format!(
                "a new group starts with at most {MAX_NEW_GROUP_CONSUMERS} consumers, not {consumers}"
            ));
        }
        let config = GroupConfig {
            name: name.clone(),
            ..config
        };
        self.try_act(Action::Command {
            command: Command::CreateGroup { config },
        })?;
        for _ in 0..consumers {
            let member = self.next_member_id(&name);
            self.try_act(Action::Command {
                command: Command::JoinGroup {
                    group: name.clone(),
                    member,
                },
            })?;
        }
        Ok(())
    }

    /// Per group, the committed offset of a partition of `topic` (the next offset the group
    /// reads).
    pub fn committed_markers(&self, topic: &str, partition: u32) -> Vec<(String, u64)> {
        let tp = TopicPartition {
            topic: topic.to_string(),
            partition: PartitionId(partition),
        };
        self.sim
            .groups()
            .filter_map(|g| g.committed(&tp).map(|o| (g.name().to_string(), o.0)))
            .collect()
    }

    /// Number of segments of a partition.
    pub fn segment_count(&self, topic: &str, partition: u32) -> usize {
        self.sim
            .topic(topic)
            .and_then(|t| t.partition(PartitionId(partition)))
            .map_or(0, |log| log.segments().len())
    }

    /// True when trace events arrived since the last announcement check.
    pub fn announcements_pending(&self) -> bool {
        self.sim.trace_len() > self.announced
    }

    /// Important changes since the last call, as sentences for the live region: members
    /// killed or timed out, rebalances completed, offsets reset, partitions added, producer
    /// retries that appended a duplicate or were dropped, sends given up.
    pub fn take_announcements(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        for (_, event) in self.sim.trace_since(self.announced) {
            match event {
                TraceEvent::MemberKilled { group, member, .. } => out.push(format!(
                    "Consumer {} of group {group} died; the group notices after its session timeout.",
                    member.0
                )),
                TraceEvent::MemberTimedOut { group, member, .. } => out.push(format!(
                    "Group {group}: consumer {} timed out; rebalancing.",
                    member.0
                )),
                TraceEvent::RebalanceCompleted {
                    group, generation, ..
                } => out.push(format!(
                    "Group {group} rebalanced: generation {generation}.{}",
                    crate::rebalance::moves_announcement(&self.rebalances, group, *generation)
                )),
                TraceEvent::OffsetsReset { group, .. } => {
                    out.push(format!("Group {group}: offsets reset."))
                }
                TraceEvent::PartitionsAdded { topic, to, .. } => {
                    out.push(format!("Topic {topic} now has {to} partitions."))
                }
                TraceEvent::Produced {
                    producer: Some(producer),
                    topic,
                    partition,
                    offset,
                    duplicate_of: Some(original),
                    ..
                } => out.push(format!(
                    "Producer {producer} lost an acknowledgement; the retry appended a duplicate at {topic} partition {} offset {} (duplicate of offset {}).",
                    partition.0, offset.0, original.0
                )),
                TraceEvent::DuplicateDropped {
                    producer,
                    topic,
                    partition,
                    offset,
                    ..
                } => out.push(format!(
                    "Producer {producer} lost an acknowledgement; the broker dropped the idempotent retry, so the record stays once at {topic} partition {} offset {}.",
                    partition.0, offset.0
                )),
                TraceEvent::SendFailed {
                    producer, attempts, ..
                } => out.push(format!(
                    "Producer {producer} gave up after {attempts} attempt(s); the record may still be in the log."
                )),
                _ => {}
            }
        }
        self.announced = self.sim.trace_len();
        out
    }
}

impl Playground {
    /// Every producer of the run, in name order, as the Producers panel shows it.
    pub fn producers(&self) -> Vec<ProducerView> {
        self.sim
            .producers()
            .filter_map(|p| self.producer_view(&p.config.name))
            .collect()
    }

    /// One producer as the Producers panel shows it.
    pub fn producer_view(&self, name: &str) -> Option<ProducerView> {
        self.sim.producer(name).map(|p| ProducerView {
            config: p.config.clone(),
            counters: p.counters,
            acks_to_lose: p.acks_to_lose(),
            duplicates_appended: self.duplicates.appended_by(&p.config.name),
        })
    }

    /// The producers' names, in name order.
    pub fn producer_names(&self) -> Vec<String> {
        self.sim
            .producers()
            .map(|p| p.config.name.clone())
            .collect()
    }

    /// Records producers' retries appended again, as `(topic, partition, offset, offset of
    /// the first copy)` in order (at most [`crate::producers::MAX_DUPLICATES_TRACKED`]).
    pub fn producer_duplicates(&self) -> Vec<(String, u32, u64, u64)> {
        self.duplicates.all()
    }

    /// Registers a producer (a logged engine command). Refuses an empty or taken name.
    pub fn add_producer(&mut self, config: ProducerConfig) -> Result<(), ProducerFormError> {
        crate::producers::check_name(&config.name, &self.producer_names())?;
        self.try_act(Action::Command {
            command: Command::CreateProducer { config },
        })
        .map_err(|reason| ProducerFormError::Refused { reason })
    }

    /// The next `count` acknowledgements to `producer` get lost (a logged engine command).
    pub fn lose_next_acks(&mut self, producer: &str, count: u32) -> Result<(), ProducerFormError> {
        if self.sim.producer(producer).is_none() {
            return Err(ProducerFormError::UnknownProducer {
                name: producer.to_string(),
            });
        }
        self.try_act(Action::Command {
            command: Command::LoseNextAcks {
                producer: producer.to_string(),
                count,
            },
        })
        .map_err(|reason| ProducerFormError::Refused { reason })
    }

    /// Sends one order event through `producer` to `topic` (a logged engine command: acks,
    /// retries and idempotence apply) and says what happened.
    pub fn send(
        &mut self,
        producer: &str,
        topic: &str,
        key: Option<String>,
        event: OrderEvent,
    ) -> Result<SendReport, ProducerFormError> {
        if self.sim.producer(producer).is_none() {
            return Err(ProducerFormError::UnknownProducer {
                name: producer.to_string(),
            });
        }
        if self.setup(topic).is_none() {
            return Err(ProducerFormError::UnknownTopic {
                name: topic.to_string(),
            });
        }
        // A pending burst is published first: its records are not this send's.
        self.finish_burst();
        let before = self.sim.trace_len();
        self.try_act(Action::Command {
            command: Command::Send {
                producer: producer.to_string(),
                topic: topic.to_string(),
                key,
                value: Payload::Order(event),
            },
        })
        .map_err(|reason| ProducerFormError::Refused { reason })?;
        Ok(SendReport::fold(
            producer,
            topic,
            self.sim.trace_since(before).map(|(_, e)| e),
        ))
    }
}

/// A stable hue (0..360) for a key, so one key has one colour everywhere.
pub fn key_hue(key: &str) -> u32 {
    orderflow_engine::partitioner::to_positive(orderflow_engine::partitioner::murmur2(
        key.as_bytes(),
    )) % 360
}

/// Every record of every partition of `topic`, without the view-only replay epoch: what a
/// replay must reproduce (tests compare runs with it).
#[cfg(test)]
pub(crate) fn records_without_epoch(pg: &Playground, topic: &str) -> Vec<Vec<RecordRow>> {
    (0..pg.partition_count(topic))
        .map(|p| {
            pg.rows(topic, p, 0, u64::MAX)
                .into_iter()
                .map(|r| RecordRow { epoch: 0, ..r })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(user: &str, order: &str, status: &str) -> OrderEvent {
        OrderEvent {
            user_id: user.into(),
            order_id: order.into(),
            status: status.into(),
        }
    }

    fn generator(users: u32, hot: u8) -> GeneratorConfig {
        GeneratorConfig {
            users,
            orders_per_tick: 3,
            hot_key_percent: hot,
            ..GeneratorConfig::default()
        }
    }

    fn fingerprint(pg: &Playground) -> Vec<Vec<RecordRow>> {
        super::records_without_epoch(pg, ORDERS_TOPIC)
    }

    #[test]
    fn published_record_lands_where_the_engine_routes_its_key() {
        let mut pg = Playground::default();
        pg.publish(event("U123", "O456", "Created"));
        let expected = Partitioner::Murmur2.route(b"U123", 4).partition.0;
        let rows = pg.rows(ORDERS_TOPIC, expected, 0, 10);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].key, "U123");
        assert_eq!(pg.recent_routings(ORDERS_TOPIC, 1)[0].partition.0, expected);
    }

    #[test]
    fn key_field_order_id_keys_by_order() {
        let mut pg = Playground::new(Session {
            topics: vec![Setup {
                key_field: KeyField::OrderId,
                ..Setup::default()
            }],
            ..Session::default()
        });
        pg.publish(event("U1", "O99", "Created"));
        assert_eq!(
            pg.recent_routings(ORDERS_TOPIC, 1)[0].key.as_deref(),
            Some("O99")
        );
    }

    #[test]
    fn burst_runs_in_chunks_and_reports_progress() {
        let mut pg = Playground::default();
        pg.act(Action::Burst {
            topic: ORDERS_TOPIC.into(),
            count: 2_500,
            generator: generator(10, 0),
        });
        assert!(pg.run_burst(1_000));
        assert_eq!(pg.burst().unwrap().done, 1_000);
        assert!(pg.run_burst(1_000));
        assert!(!pg.run_burst(1_000));
        assert!(pg.burst().is_none());
        assert_eq!(pg.topic_records(ORDERS_TOPIC), 2_500);
    }

    #[test]
    fn generated_orders_follow_the_lifecycle_per_order_key() {
        let mut pg = Playground::new(Session {
            topics: vec![Setup {
                key_field: KeyField::OrderId,
                ..Setup::default()
            }],
            ..Session::default()
        });
        pg.act(Action::Burst {
            topic: ORDERS_TOPIC.into(),
            count: 3_000,
            generator: generator(5, 0),
        });
        pg.run_burst(u32::MAX);
        // Per order key, statuses appear in lifecycle order within its partition.
        let mut last: BTreeMap<String, usize> = BTreeMap::new();
        for p in 0..pg.partition_count(ORDERS_TOPIC) {
            for row in pg.rows(ORDERS_TOPIC, p, 0, u64::MAX) {
                let index = STATUSES.iter().position(|s| *s == row.status).unwrap();
                let previous = last.insert(row.key.clone(), index);
                assert_eq!(index, previous.map_or(0, |i| i + 1), "order {}", row.key);
            }
        }
    }

    #[test]
    fn hot_key_skew_concentrates_events_on_user_one() {
        let mut pg = Playground::default();
        pg.act(Action::Burst {
            topic: ORDERS_TOPIC.into(),
            count: 2_000,
            generator: generator(50, 80),
        });
        pg.run_burst(u32::MAX);
        let counts = pg.key_counts(ORDERS_TOPIC);
        let hot = counts["U1"];
        let others_max = counts
            .iter()
            .filter(|(k, _)| *k != "U1")
            .map(|(_, c)| *c)
            .max()
            .unwrap();
        assert!(hot > 10 * others_max, "hot {hot}, others max {others_max}");
    }

    #[test]
    fn same_session_replays_to_the_same_state() {
        let mut pg = Playground::default();
        pg.publish(event("U1", "O1", "Created"));
        pg.act(Action::SetGenerator {
            topic: ORDERS_TOPIC.into(),
            generator: Some(generator(7, 30)),
        });
        for _ in 0..5 {
            pg.step();
        }
        pg.act(Action::Burst {
            topic: ORDERS_TOPIC.into(),
            count: 500,
            generator: generator(7, 30),
        });
        pg.run_burst(100);
        pg.step();
        pg.publish(event("U2", "O2", "Paid"));
        let replayed = Playground::new(pg.session().clone());
        assert_eq!(fingerprint(&replayed), fingerprint(&pg));
        assert_eq!(replayed.now(), pg.now());
    }

    #[test]
    fn rewind_shows_the_earlier_tick_and_forward_again_restores() {
        let mut pg = Playground::default();
        pg.act(Action::SetGenerator {
            topic: ORDERS_TOPIC.into(),
            generator: Some(generator(7, 0)),
        });
        for _ in 0..10 {
            pg.step();
        }
        let at_end = fingerprint(&pg);
        pg.replay_to(4);
        assert_eq!(pg.now(), 4);
        assert!(!pg.is_live());
        assert_eq!(pg.topic_records(ORDERS_TOPIC), 4 * 3);
        for _ in 0..6 {
            pg.step();
        }
        assert!(pg.is_live());
        assert_eq!(fingerprint(&pg), at_end);
    }

    #[test]
    fn acting_on_a_rewound_view_branches_the_log() {
        let mut pg = Playground::default();
        pg.act(Action::SetGenerator {
            topic: ORDERS_TOPIC.into(),
            generator: Some(generator(7, 0)),
        });
        for _ in 0..10 {
            pg.step();
        }
        pg.replay_to(3);
        pg.publish(event("U9", "O9", "Created"));
        assert!(pg.is_live());
        assert_eq!(pg.session().ticks, 3);
        assert_eq!(pg.topic_records(ORDERS_TOPIC), 3 * 3 + 1);
    }

    #[test]
    fn changing_partition_count_replays_and_moved_keys_match_the_new_routing() {
        let mut pg = Playground::default();
        for u in 1..=30 {
            pg.publish(event(&format!("U{u}"), "O1", "Created"));
        }
        let moved = pg.moved_keys(ORDERS_TOPIC, Partitioner::Murmur2, 6);
        assert!(!moved.is_empty() && moved.len() < 30);
        pg.change_setup(Setup {
            partitions: 6,
            ..Setup::default()
        });
        assert_eq!(pg.partition_count(ORDERS_TOPIC), 6);
        for m in &moved {
            let rows = pg.rows(ORDERS_TOPIC, m.to, 0, u64::MAX);
            assert!(
                rows.iter().any(|r| r.key == m.key),
                "{} not on {}",
                m.key,
                m.to
            );
        }
        assert_eq!(pg.topic_records(ORDERS_TOPIC), 30);
    }

    #[test]
    fn added_partitions_keep_old_records_and_a_later_setup_change_replays_cleanly() {
        let mut pg = Playground::default();
        let keys: Vec<String> = (1..=30).map(|u| format!("U{u}")).collect();
        for k in &keys {
            pg.publish(event(k, "O1", "Created"));
        }
        pg.add_partitions(ORDERS_TOPIC, 6).unwrap();
        assert_eq!(pg.partition_count(ORDERS_TOPIC), 6);
        for k in &keys {
            let old = Partitioner::Murmur2.route(k.as_bytes(), 4).partition.0;
            assert!(pg
                .rows(ORDERS_TOPIC, old, 0, u64::MAX)
                .iter()
                .any(|r| &r.key == k));
        }
        // Only new records route by 6; and nothing moves back.
        let moved = pg.moved_keys(ORDERS_TOPIC, Partitioner::Murmur2, 6);
        assert!(moved.is_empty(), "compared with the live count: {moved:?}");
        assert!(
            pg.add_partitions(ORDERS_TOPIC, 5).is_err(),
            "partitions only grow"
        );
        // Replaying the run (it holds the logged AddPartitions) gives the same topic.
        let replayed = Playground::new(pg.session().clone());
        assert_eq!(replayed.partition_count(ORDERS_TOPIC), 6);
        assert_eq!(replayed.replay_errors(), 0);
        // Applying a setup of 6 partitions rewrites history without the refused command.
        pg.change_setup(Setup {
            partitions: 6,
            partitioner: Partitioner::Crc32,
            ..Setup::default()
        });
        assert_eq!(pg.replay_errors(), 0);
        assert_eq!(pg.partition_count(ORDERS_TOPIC), 6);
    }

    #[test]
    fn a_group_subscribed_to_two_topics_owns_partitions_of_both() {
        let mut session = Session::default();
        session.topics.push(Setup::named("payments", 2));
        session.actions.clear();
        let config = GroupConfig::new("audit", vec!["orders".into(), "payments".into()]);
        session.actions.push(LoggedAction {
            tick: 0,
            action: Action::Command {
                command: Command::CreateGroup { config },
            },
        });
        session.actions.push(LoggedAction {
            tick: 0,
            action: Action::Command {
                command: Command::JoinGroup {
                    group: "audit".into(),
                    member: MemberId("c1".into()),
                },
            },
        });
        session.validate().unwrap();
        let mut pg = Playground::new(session);
        pg.publish_to("payments", event("U7", "O7", "Paid"));
        pg.publish_to(ORDERS_TOPIC, event("U7", "O7", "Created"));
        for _ in 0..10 {
            pg.step();
        }
        let snapshot = pg.group_snapshot("audit").unwrap();
        let owned: BTreeSet<String> = snapshot.members[0]
            .owned
            .iter()
            .map(|tp| format!("{}-{}", tp.topic, tp.partition.0))
            .collect();
        assert_eq!(owned.len(), 6, "{owned:?}");
        assert!(owned.contains("payments-1") && owned.contains("orders-3"));
        assert_eq!(snapshot.total_lag, 0);
        assert_eq!(snapshot.counters.processed, 2);
        // Each topic routes with its own partition count.
        let p = Partitioner::Murmur2.route(b"U7", 2).partition.0;
        assert_eq!(pg.rows("payments", p, 0, 9)[0].status, "Paid");
    }

    #[test]
    fn validate_rejects_unknown_and_duplicate_topics() {
        let mut s = Session::default();
        s.topics.push(Setup::default());
        assert!(matches!(
            s.validate(),
            Err(SessionError::DuplicateTopic { .. })
        ));
        let mut s = Session::default();
        s.actions.push(LoggedAction {
            tick: 0,
            action: Action::Publish {
                topic: "nope".into(),
                event: event("U1", "O1", "Created"),
            },
        });
        assert!(matches!(
            s.validate(),
            Err(SessionError::InvalidAction { .. })
        ));
        let s = Session {
            topics: Vec::new(),
            ..Session::default()
        };
        assert!(matches!(s.validate(), Err(SessionError::TopicCount { .. })));
    }

    #[test]
    fn validate_rejects_out_of_order_and_oversized_sessions() {
        let s = Session {
            ticks: 5,
            actions: vec![
                LoggedAction {
                    tick: 3,
                    action: Action::SetGenerator {
                        topic: ORDERS_TOPIC.into(),
                        generator: None,
                    },
                },
                LoggedAction {
                    tick: 2,
                    action: Action::SetGenerator {
                        topic: ORDERS_TOPIC.into(),
                        generator: None,
                    },
                },
            ],
            ..Session::default()
        };
        assert!(matches!(
            s.validate(),
            Err(SessionError::OutOfOrder { index: 1, .. })
        ));
        let s = Session {
            topics: vec![Setup {
                partitions: 0,
                ..Setup::default()
            }],
            ..Session::default()
        };
        assert!(matches!(s.validate(), Err(SessionError::Partitions { .. })));
        let s = Session {
            ticks: 1,
            actions: vec![LoggedAction {
                tick: 0,
                action: Action::Burst {
                    topic: ORDERS_TOPIC.into(),
                    count: MAX_BURST + 1,
                    generator: GeneratorConfig::default(),
                },
            }],
            ..Session::default()
        };
        assert!(matches!(
            s.validate(),
            Err(SessionError::InvalidAction { index: 0, .. })
        ));
    }
}

#[cfg(test)]
mod group_tests {
    use super::*;
    use orderflow_engine::group::{MemberStatus, OffsetResetSpec};

    fn burst(pg: &mut Playground, count: u32) {
        pg.act(Action::Burst {
            topic: ORDERS_TOPIC.into(),
            count,
            generator: GeneratorConfig::default(),
        });
        pg.run_burst(u32::MAX);
    }

    #[test]
    fn default_session_is_the_event_hubs_example() {
        let pg = Playground::default();
        assert_eq!(pg.partition_count(ORDERS_TOPIC), 4);
        assert_eq!(
            pg.group_names(),
            ["Analytics", "Notifier", "OrderProcessor"]
        );
        let members = |g: &str| pg.group_snapshot(g).unwrap().members.len();
        assert_eq!(members("OrderProcessor"), 2);
        assert_eq!(members("Notifier"), 3);
        assert_eq!(members("Analytics"), 1);
        assert_eq!(pg.replay_errors(), 0);
    }

    #[test]
    fn killed_member_is_dead_until_the_session_timeout_then_its_partitions_move() {
        let mut pg = Playground::default();
        for _ in 0..5 {
            pg.step();
        }
        let group = "OrderProcessor";
        pg.act(Action::Command {
            command: Command::KillMember {
                group: group.into(),
                member: MemberId("c1".into()),
            },
        });
        let snap = pg.group_snapshot(group).unwrap();
        let c1 = snap.members.iter().find(|m| m.id.0 == "c1").unwrap();
        assert!(matches!(c1.status, MemberStatus::Dead { .. }));
        let timeout = pg.group_config(group).unwrap().session_timeout_ticks;
        for _ in 0..timeout + 10 {
            pg.step();
        }
        let snap = pg.group_snapshot(group).unwrap();
        assert_eq!(snap.members.len(), 1);
        assert_eq!(snap.members[0].owned.len(), 4, "c2 owns every partition");
        let news = pg.take_announcements();
        assert!(news.iter().any(|n| n.contains("died")), "{news:?}");
        assert!(news.iter().any(|n| n.contains("rebalanced")), "{news:?}");
    }

    #[test]
    fn reset_is_refused_with_kafkas_message_and_not_logged_while_members_are_active() {
        let mut pg = Playground::default();
        let before = pg.session().actions.len();
        let err = pg
            .try_act(Action::Command {
                command: Command::ResetOffsets {
                    group: "Analytics".into(),
                    topic: None,
                    spec: OffsetResetSpec::ToEarliest,
                },
            })
            .unwrap_err();
        assert!(err.contains("can only be reset if the group"), "{err}");
        assert_eq!(pg.session().actions.len(), before);
    }

    #[test]
    fn reset_to_earliest_after_the_group_empties_brings_lag_back_to_the_log_size() {
        let mut pg = Playground::default();
        burst(&mut pg, 200);
        for _ in 0..40 {
            pg.step();
        }
        let lag_before = pg.group_snapshot("Analytics").unwrap().total_lag;
        assert!(
            lag_before < 200,
            "Analytics consumed something ({lag_before})"
        );
        pg.act(Action::Command {
            command: Command::KillMember {
                group: "Analytics".into(),
                member: MemberId("c1".into()),
            },
        });
        for _ in 0..15 {
            pg.step();
        }
        pg.try_act(Action::Command {
            command: Command::ResetOffsets {
                group: "Analytics".into(),
                topic: None,
                spec: OffsetResetSpec::ToEarliest,
            },
        })
        .unwrap();
        assert_eq!(pg.group_snapshot("Analytics").unwrap().total_lag, 200);
        // And the whole run, reset included, replays identically.
        let replayed = Playground::new(pg.session().clone());
        assert_eq!(
            replayed.group_snapshot("Analytics"),
            pg.group_snapshot("Analytics")
        );
    }

    #[test]
    fn records_processed_again_after_a_crash_are_marked_redelivered() {
        let mut pg = Playground::default();
        burst(&mut pg, 300);
        for _ in 0..6 {
            pg.step();
        }
        // c1 of OrderProcessor dies mid-batch: processed but uncommitted records come back.
        pg.act(Action::Command {
            command: Command::KillMember {
                group: "OrderProcessor".into(),
                member: MemberId("c1".into()),
            },
        });
        for _ in 0..40 {
            pg.step();
        }
        let duplicates = pg
            .group_snapshot("OrderProcessor")
            .unwrap()
            .counters
            .duplicates;
        assert!(duplicates > 0, "at-least-once redelivers after a crash");
        let marked: usize = (0..4)
            .map(|p| {
                pg.rows(ORDERS_TOPIC, p, 0, u64::MAX)
                    .iter()
                    .filter(|r| r.redelivered_to.iter().any(|g| g == "OrderProcessor"))
                    .count()
            })
            .sum();
        assert_eq!(marked as u64, duplicates);
    }

    #[test]
    fn no_key_setup_spreads_records_round_robin() {
        let mut pg = Playground::new(Session {
            topics: vec![Setup {
                keyed: false,
                ..Setup::default()
            }],
            ..Session::default()
        });
        burst(&mut pg, 400);
        assert_eq!(pg.partition_sizes(ORDERS_TOPIC), vec![100, 100, 100, 100]);
        assert!(pg.recent_routings(ORDERS_TOPIC, 1)[0].routing.is_none());
    }

    #[test]
    fn retention_by_records_moves_the_log_start_up() {
        let mut pg = Playground::new(Session {
            topics: vec![Setup {
                segment_records: 10,
                retention_records: Some(20),
                keyed: false,
                partitions: 1,
                ..Setup::default()
            }],
            ..Session::default()
        });
        burst(&mut pg, 100);
        pg.step();
        let (start, end) = pg.partition_bounds(ORDERS_TOPIC, 0);
        assert_eq!(end, 100);
        assert!(start > 0 && end - start >= 20, "log {start}..{end}");
        assert!(
            pg.rows(ORDERS_TOPIC, 0, 0, 5).is_empty(),
            "rows below the log start are gone"
        );
    }
}

#[cfg(test)]
mod created_later_tests {
    use super::*;
    use orderflow_engine::group::Protocol;

    fn event(user: &str, order: &str) -> OrderEvent {
        OrderEvent {
            user_id: user.into(),
            order_id: order.into(),
            status: "Created".into(),
        }
    }

    fn steps(pg: &mut Playground, n: u32) {
        for _ in 0..n {
            pg.step();
        }
    }

    #[test]
    fn a_topic_created_at_a_later_tick_exists_from_then_on_and_replays() {
        let mut pg = Playground::default();
        steps(&mut pg, 5);
        pg.create_topic(Setup::named("refunds", 2)).unwrap();
        assert_eq!(pg.topic_names(), vec!["orders", "refunds"]);
        pg.publish_to("refunds", event("U7", "O1"));
        let partition = Partitioner::Murmur2.route(b"U7", 2).partition.0;
        assert_eq!(pg.rows("refunds", partition, 0, u64::MAX).len(), 1);
        steps(&mut pg, 3);
        // The session's own topics are unchanged; the new one is a logged action at tick 5.
        assert_eq!(pg.session().topics.len(), 1);
        assert!(pg.session().validate().is_ok());

        // Rewound to before its tick, the topic does not exist; forward again, it does.
        pg.replay_to(4);
        assert_eq!(pg.topic_names(), vec!["orders"]);
        assert!(pg.sim().topic("refunds").is_none());
        pg.replay_to(8);
        assert_eq!(pg.topic_names(), vec!["orders", "refunds"]);
        assert_eq!(pg.rows("refunds", partition, 0, u64::MAX).len(), 1);

        // Through JSON (a share link) it replays to the same records, without errors.
        let json = serde_json::to_string(pg.session()).unwrap();
        let session: Session = serde_json::from_str(&json).unwrap();
        session.validate().unwrap();
        let replayed = Playground::new(session);
        assert_eq!(replayed.replay_errors(), 0);
        assert_eq!(replayed.topic_names(), pg.topic_names());
        assert_eq!(
            records_without_epoch(&replayed, "refunds"),
            records_without_epoch(&pg, "refunds")
        );
    }

    #[test]
    fn refused_topics_say_why_and_log_nothing() {
        let mut pg = Playground::default();
        let logged = pg.session().actions.len();
        let duplicate = pg.create_topic(Setup::named("orders", 3)).unwrap_err();
        assert!(duplicate.contains("already exists"), "{duplicate}");
        let chars = pg.create_topic(Setup::named("my topic", 3)).unwrap_err();
        assert!(chars.contains("letters, digits"), "{chars}");
        let empty = pg.create_topic(Setup::named("", 3)).unwrap_err();
        assert!(empty.contains("name of 1 to"), "{empty}");
        let zero = pg.create_topic(Setup::named("zero", 0)).unwrap_err();
        assert!(zero.contains("partitions"), "{zero}");
        assert_eq!(pg.session().actions.len(), logged);
        for i in 1..MAX_TOPICS {
            pg.create_topic(Setup::named(&format!("t{i}"), 1)).unwrap();
        }
        let full = pg
            .create_topic(Setup::named("one-too-many", 1))
            .unwrap_err();
        assert!(full.contains("at most 16 topics"), "{full}");
    }

    #[test]
    fn validate_rejects_publishing_to_a_topic_before_it_is_created() {
        let mut pg = Playground::default();
        pg.step();
        pg.create_topic(Setup::named("refunds", 2)).unwrap();
        pg.publish_to("refunds", event("U1", "O1"));
        let mut session = pg.session().clone();
        // Move the publish before the creation: the topic does not exist yet then.
        let publish = session.actions.pop().unwrap();
        let at = session
            .actions
            .iter()
            .position(|a| matches!(a.action, Action::CreateTopic { .. }))
            .unwrap();
        session.actions.insert(at, publish);
        assert!(matches!(
            session.validate(),
            Err(SessionError::InvalidAction { .. })
        ));
        // A duplicate created topic is refused as well.
        let mut twice = pg.session().clone();
        twice.actions.push(LoggedAction {
            tick: twice.ticks,
            action: Action::CreateTopic {
                setup: Setup::named("refunds", 1),
            },
        });
        assert_eq!(
            twice.validate(),
            Err(SessionError::DuplicateTopic {
                name: "refunds".into()
            })
        );
    }

    #[test]
    fn changing_the_setup_of_a_created_topic_rewrites_its_creation() {
        let mut pg = Playground::default();
        pg.step();
        pg.create_topic(Setup::named("refunds", 2)).unwrap();
        for u in 1..=20 {
            pg.publish_to("refunds", event(&format!("U{u}"), "O1"));
        }
        pg.change_setup(Setup {
            partitioner: Partitioner::Crc32,
            ..Setup::named("refunds", 5)
        });
        assert_eq!(pg.replay_errors(), 0);
        assert_eq!(pg.partition_count("refunds"), 5);
        assert_eq!(pg.topic_records("refunds"), 20);
        let p = Partitioner::Crc32.route(b"U3", 5).partition.0;
        assert!(pg
            .rows("refunds", p, 0, u64::MAX)
            .iter()
            .any(|r| r.key == "U3"));
    }

    #[test]
    fn rows_of_a_created_topic_mark_segments_by_its_own_segment_size() {
        let mut pg = Playground::default();
        pg.create_topic(Setup::named("refunds", 1)).unwrap();
        pg.change_setup(Setup {
            segment_records: 3,
            ..Setup::named("refunds", 1)
        });
        for o in 1..=7 {
            pg.publish_to("refunds", event("U1", &format!("O{o}")));
        }
        let starts: Vec<u64> = pg
            .rows("refunds", 0, 0, u64::MAX)
            .iter()
            .filter(|r| r.segment_start)
            .map(|r| r.offset)
            .collect();
        assert_eq!(starts, vec![3, 6]);
    }

    #[test]
    fn a_group_created_with_consumers_owns_partitions_of_every_topic_it_reads() {
        let mut pg = Playground::default();
        pg.create_topic(Setup::named("refunds", 2)).unwrap();
        let mut config = GroupConfig::new("auditors", vec!["orders".into(), "refunds".into()]);
        config.strategy = AssignmentStrategy::CooperativeSticky;
        pg.create_group(config, 2).unwrap();
        steps(&mut pg, 4);
        let snapshot = pg.group_snapshot("auditors").unwrap();
        assert_eq!(snapshot.protocol, Protocol::Cooperative);
        let ids: Vec<&str> = snapshot.members.iter().map(|m| m.id.0.as_str()).collect();
        assert_eq!(ids, vec!["c1", "c2"]);
        let mut owned: Vec<(String, u32)> = snapshot
            .members
            .iter()
            .flat_map(|m| m.owned.iter().map(|tp| (tp.topic.clone(), tp.partition.0)))
            .collect();
        owned.sort();
        let mut all: Vec<(String, u32)> = (0..4).map(|p| ("orders".to_string(), p)).collect();
        all.extend((0..2).map(|p| ("refunds".to_string(), p)));
        assert_eq!(owned, all, "every partition of both topics has an owner");
        // It replays from the log.
        let replayed = Playground::new(pg.session().clone());
        assert_eq!(replayed.group_snapshot("auditors"), Some(snapshot));
    }

    #[test]
    fn refused_groups_say_why_and_log_nothing() {
        let mut pg = Playground::default();
        let logged = pg.session().actions.len();
        let taken = pg
            .create_group(GroupConfig::new("Notifier", vec!["orders".into()]), 1)
            .unwrap_err();
        assert!(taken.contains("already exists"), "{taken}");
        let blank = pg
            .create_group(GroupConfig::new("  ", vec!["orders".into()]), 1)
            .unwrap_err();
        assert!(blank.contains("needs a name"), "{blank}");
        let none = pg
            .create_group(GroupConfig::new("g", vec![]), 1)
            .unwrap_err();
        assert!(none.contains("at least one topic"), "{none}");
        let missing = pg
            .create_group(GroupConfig::new("g", vec!["nope".into()]), 1)
            .unwrap_err();
        assert!(missing.contains("does not exist"), "{missing}");
        let many = pg
            .create_group(GroupConfig::new("g", vec!["orders".into()]), 33)
            .unwrap_err();
        assert!(many.contains("at most 32"), "{many}");
        assert_eq!(pg.session().actions.len(), logged);
        // Zero consumers is allowed: an empty group, for "Add consumer" later.
        pg.create_group(GroupConfig::new("later", vec!["orders".into()]), 0)
            .unwrap();
        assert!(pg.group_snapshot("later").unwrap().members.is_empty());
    }
}

#[cfg(test)]
mod producer_tests {
    use super::*;

    fn event(user: &str, order: &str, status: &str) -> OrderEvent {
        OrderEvent {
            user_id: user.into(),
            order_id: order.into(),
            status: status.into(),
        }
    }

    fn fingerprint(pg: &Playground) -> Vec<Vec<RecordRow>> {
        super::records_without_epoch(pg, ORDERS_TOPIC)
    }

    /// A one-partition topic `orders` (no groups) with producer `p`: 3 retries, idempotent
    /// or not.
    fn producer_playground(idempotent: bool) -> Playground {
        let mut pg = Playground::new(Session {
            topics: vec![Setup::named(ORDERS_TOPIC, 1)],
            actions: Vec::new(),
            ..Session::default()
        });
        let mut config = ProducerConfig::new("p");
        config.retries = 3;
        config.idempotent = idempotent;
        pg.add_producer(config).unwrap();
        pg
    }

    fn send_one(pg: &mut Playground, order: &str) -> SendReport {
        pg.send(
            "p",
            ORDERS_TOPIC,
            Some("U1".into()),
            event("U1", order, "Created"),
        )
        .unwrap()
    }

    #[test]
    fn a_lost_ack_makes_the_retry_a_duplicate_of_the_first_offset() {
        let mut pg = producer_playground(false);
        send_one(&mut pg, "O1");
        send_one(&mut pg, "O2");
        pg.lose_next_acks("p", 1).unwrap();
        assert_eq!(pg.producers()[0].acks_to_lose, 1);
        let report = send_one(&mut pg, "O3");
        assert_eq!(report.partition, Some(0));
        assert_eq!(report.offset, Some(2));
        assert_eq!(report.duplicates, vec![(3, 2)]);
        assert!(report.sentence().contains("duplicate of offset 2"));
        let rows = pg.rows(ORDERS_TOPIC, 0, 0, u64::MAX);
        let marks: Vec<(u64, Option<u64>)> =
            rows.iter().map(|r| (r.offset, r.duplicate_of)).collect();
        assert_eq!(marks, [(0, None), (1, None), (2, None), (3, Some(2))]);
        assert_eq!(
            rows[3].order_id, "O3",
            "the duplicate is the same record again"
        );
        let view = &pg.producers()[0];
        assert_eq!(
            (
                view.counters.sends,
                view.counters.appended,
                view.counters.acks_lost
            ),
            (3, 4, 1)
        );
        assert_eq!((view.duplicates_appended, view.acks_to_lose), (1, 0));
        let said = pg.take_announcements().join(" ");
        assert!(
            said.contains("Producer p lost an acknowledgement; the retry appended a duplicate at orders partition 0 offset 3 (duplicate of offset 2)"),
            "{said}"
        );
    }

    #[test]
    fn an_idempotent_producer_drops_the_retry_and_leaves_no_duplicate() {
        let mut pg = producer_playground(true);
        pg.lose_next_acks("p", 1).unwrap();
        let report = send_one(&mut pg, "O1");
        assert_eq!((report.offset, report.dropped), (Some(0), 1));
        assert!(report.duplicates.is_empty());
        assert_eq!(pg.topic_records(ORDERS_TOPIC), 1);
        assert!(pg.rows(ORDERS_TOPIC, 0, 0, u64::MAX)[0]
            .duplicate_of
            .is_none());
        let view = &pg.producers()[0];
        assert_eq!(view.counters.duplicates_dropped, 1);
        assert_eq!(view.duplicates_appended, 0);
        assert!(pg.producer_duplicates().is_empty());
        assert!(pg
            .take_announcements()
            .join(" ")
            .contains("the broker dropped the idempotent retry"));
    }

    #[test]
    fn producer_actions_are_logged_and_replay_to_the_same_duplicates() {
        let mut pg = producer_playground(false);
        send_one(&mut pg, "O1");
        pg.step();
        pg.lose_next_acks("p", 2).unwrap();
        send_one(&mut pg, "O2");
        pg.step();
        assert_eq!(
            pg.producer_duplicates(),
            [
                (ORDERS_TOPIC.to_string(), 0, 2, 1),
                (ORDERS_TOPIC.to_string(), 0, 3, 1)
            ]
        );
        let replayed = Playground::new(pg.session().clone());
        assert_eq!(replayed.producer_duplicates(), pg.producer_duplicates());
        assert_eq!(fingerprint(&replayed), fingerprint(&pg));
        assert_eq!(replayed.producers(), pg.producers());
        // Through a share link too.
        let link = crate::share::encode(pg.session());
        let decoded = crate::share::decode(&link).unwrap();
        assert_eq!(
            Playground::new(decoded).producer_duplicates(),
            pg.producer_duplicates()
        );
        // Rewinding to tick 0 (before the second send, at tick 1) forgets its duplicates;
        // going forward again restores them.
        pg.replay_to(0);
        assert!(pg.producer_duplicates().is_empty());
        pg.replay_to(2);
        assert_eq!(pg.producer_duplicates().len(), 2);
    }

    #[test]
    fn refused_producer_actions_say_why_and_log_nothing() {
        let mut pg = producer_playground(false);
        let logged = pg.session().actions.len();
        assert_eq!(
            pg.add_producer(ProducerConfig::new("p")),
            Err(ProducerFormError::DuplicateName { name: "p".into() })
        );
        assert_eq!(
            pg.add_producer(ProducerConfig::new("")),
            Err(ProducerFormError::EmptyName)
        );
        assert!(matches!(
            pg.send("nobody", ORDERS_TOPIC, None, event("U1", "O1", "Created")),
            Err(ProducerFormError::UnknownProducer { .. })
        ));
        assert!(matches!(
            pg.send("p", "nowhere", None, event("U1", "O1", "Created")),
            Err(ProducerFormError::UnknownTopic { .. })
        ));
        let mut bad = ProducerConfig::new("q");
        bad.retries = orderflow_engine::producer::MAX_RETRIES + 1;
        assert!(matches!(
            pg.add_producer(bad),
            Err(ProducerFormError::Refused { .. })
        ));
        assert_eq!(pg.session().actions.len(), logged);
    }
}
