//! The playground's model in plain Rust (no Leptos): a [`Session`] is what the user set up and
//! did (topic setup, seed, the logged actions with the tick they happened at), and a
//! [`Playground`] is that session replayed into one engine [`Sim`].
//!
//! Why a log of actions and not a copy of the state: the engine is deterministic, so the same
//! setup, seed and actions always rebuild the same state. That one fact gives the share link,
//! the saved state in localStorage, the timeline (rewind = replay up to a tick) and the
//! "change the partition count and see what moves" replay.

use orderflow_engine::assignor::{AssignmentStrategy, TopicPartition};
use orderflow_engine::group::{CommitPolicy, GroupConfig, GroupSnapshot};
use orderflow_engine::ids::{MemberId, Offset, PartitionId};
use orderflow_engine::log::{OrderEvent, Payload, Retention, DEFAULT_SEGMENT_RECORDS};
use orderflow_engine::partitioner::{Partitioner, Routing, UnkeyedStrategy};
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
}

/// The topic as the user set it up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Setup {
    pub partitions: u32,
    pub partitioner: Partitioner,
    /// False: records are published without a key (the topic spreads them round-robin).
    #[serde(default = "yes")]
    pub keyed: bool,
    pub key_field: KeyField,
    /// Records per segment.
    #[serde(default = "default_segment_records")]
    pub segment_records: u64,
    /// Retention by records (`None`: keep everything).
    #[serde(default)]
    pub retention_records: Option<u64>,
}

fn yes() -> bool {
    true
}

fn default_segment_records() -> u64 {
    DEFAULT_SEGMENT_RECORDS
}

impl Default for Setup {
    fn default() -> Self {
        // The Event Hubs order example: 4 partitions keyed by UserId.
        Self {
            partitions: 4,
            partitioner: Partitioner::Murmur2,
            keyed: true,
            key_field: KeyField::UserId,
            segment_records: DEFAULT_SEGMENT_RECORDS,
            retention_records: None,
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
}

impl Default for GeneratorConfig {
    fn default() -> Self {
        Self {
            users: 20,
            orders_per_tick: 2,
            hot_key_percent: 0,
        }
    }
}

/// Something the user did. Logged with its tick, replayed to rebuild the state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    /// One event published by hand.
    Publish { event: OrderEvent },
    /// `count` generated events published at once (executed in chunks live).
    Burst {
        count: u32,
        generator: GeneratorConfig,
    },
    /// Starts (`Some`) or stops (`None`) the generator; it publishes on every tick.
    SetGenerator { generator: Option<GeneratorConfig> },
    /// An engine command (consumer groups: create, join, kill, reset offsets).
    Command { command: Command },
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
    /// Format version, so old links can be recognised.
    pub format: u32,
    pub setup: Setup,
    pub seed: u64,
    /// The last tick the run reached.
    pub ticks: u64,
    pub actions: Vec<LoggedAction>,
}

/// The session format this build writes.
pub const SESSION_FORMAT: u32 = 1;

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
            setup: Setup::default(),
            seed: 42,
            ticks: 0,
            actions,
        }
    }
}

/// Why a session cannot be loaded. The message is shown to people.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    #[error("this session was written in format {found}; this playground reads format {expected}")]
    Format { found: u32, expected: u32 },
    #[error("a topic needs 1 to {max} partitions, not {requested}")]
    Partitions { requested: u32, max: u32 },
    #[error("a segment holds at least 1 record")]
    Segment,
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
        if self.setup.segment_records == 0 {
            return Err(SessionError::Segment);
        }
        if self.setup.partitions == 0 || self.setup.partitions > MAX_PARTITIONS {
            return Err(SessionError::Partitions {
                requested: self.setup.partitions,
                max: MAX_PARTITIONS,
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
            match &logged.action {
                Action::Command { .. } => {}
                Action::Publish { event } => {
                    if self.setup.keyed && self.setup.key_field.key_of(event).is_empty() {
                        return Err(invalid(format!(
                            "the {} (the key) is empty",
                            self.setup.key_field.label()
                        )));
                    }
                }
                Action::Burst { count, generator } => {
                    if *count > MAX_BURST {
                        return Err(invalid(format!(
                            "a burst publishes at most {MAX_BURST} events, not {count}"
                        )));
                    }
                    check_generator(generator).map_err(invalid)?;
                }
                Action::SetGenerator { generator } => {
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
            user_id: format!("U{}", order.user),
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
    generator: GeneratorConfig,
}

/// One produced record's routing, for the routing view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoutedEvent {
    /// The playground's replay epoch (see [`Playground::epoch`]).
    pub epoch: u64,
    /// Position in the trace: with the epoch, a stable key for animations.
    pub sequence: u64,
    /// `None`: published without a key (round-robin).
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
}

/// A key whose partition differs between two partition counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MovedKey {
    pub key: String,
    pub from: u32,
    pub to: u32,
}

/// A session replayed into a simulation, plus what is still being executed.
#[derive(Debug)]
pub struct Playground {
    session: Session,
    sim: Sim,
    generator: GeneratorState,
    running_generator: Option<GeneratorConfig>,
    burst: Option<BurstProgress>,
    keys_seen: BTreeSet<String>,
    /// Errors the engine returned while replaying (a valid session has none).
    replay_errors: usize,
    /// Counts rebuilds: offsets restart after a replay, so views key rows by (epoch, offset).
    epoch: u64,
    /// Trace index up to which important events were announced.
    announced: u64,
    /// Trace index up to which redeliveries were collected.
    scanned: u64,
    /// Records processed again after a redelivery: (partition, offset) -> groups.
    redelivered: BTreeMap<(u32, u64), Vec<String>>,
    /// Recent rebalances as partition moves, folded from the trace.
    rebalances: crate::rebalance::RebalanceLog,
    /// Recent throughput per group and member, folded from the trace.
    throughput: crate::metrics::Throughput,
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
        sim.apply(Command::CreateTopic {
            name: ORDERS_TOPIC.into(),
            partitions: session.setup.partitions,
            partitioner: session.setup.partitioner,
        })
        .expect("a validated setup creates the orders topic in a fresh simulation");
        sim.apply(Command::ConfigureTopic {
            topic: ORDERS_TOPIC.into(),
            segment_records: Some(session.setup.segment_records),
            retention: Some(Retention {
                records: session.setup.retention_records,
                ticks: None,
            }),
            // The playground's "no key" option is round-robin (the engine's default is sticky).
            unkeyed: Some(UnkeyedStrategy::RoundRobin),
        })
        .expect("a validated setup configures the orders topic");
        let generator = GeneratorState::new(session.seed);
        Self {
            session,
            sim,
            generator,
            running_generator: None,
            burst: None,
            keys_seen: BTreeSet::new(),
            replay_errors: 0,
            epoch: 0,
            announced: 0,
            scanned: 0,
            redelivered: BTreeMap::new(),
            rebalances: Default::default(),
            throughput: Default::default(),
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

    /// The generator settings while it runs.
    pub fn running_generator(&self) -> Option<&GeneratorConfig> {
        self.running_generator.as_ref()
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
        if let Action::Command { command } = &action {
            // Try it first: a refused command changes nothing and is not logged.
            self.sim.apply(command.clone()).map_err(|e| e.to_string())?;
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
        if !matches!(action, Action::Command { .. }) {
            self.execute(&action, false);
        }
        // A command's trace events (a join's rebalance) show at once, not after the next tick.
        self.collect_redeliveries();
        Ok(())
    }

    /// Publishes one event by hand, keyed by the setup's key field.
    pub fn publish(&mut self, event: OrderEvent) {
        self.act(Action::Publish { event });
    }

    fn execute(&mut self, action: &Action, replaying: bool) {
        match action {
            Action::Publish { event } => self.produce(event.clone()),
            Action::Burst { count, generator } => {
                self.burst = Some(BurstProgress {
                    done: 0,
                    total: *count,
                    generator: generator.clone(),
                });
                if replaying {
                    self.finish_burst();
                }
            }
            Action::SetGenerator { generator } => self.running_generator = generator.clone(),
            Action::Command { command } => {
                if self.sim.apply(command.clone()).is_err() {
                    self.replay_errors += 1;
                }
            }
        }
    }

    fn produce(&mut self, event: OrderEvent) {
        let key = self
            .session
            .setup
            .keyed
            .then(|| self.session.setup.key_field.key_of(&event).to_string());
        if let Some(key) = &key {
            if self.keys_seen.len() < MAX_KEYS_TRACKED && !self.keys_seen.contains(key) {
                self.keys_seen.insert(key.clone());
            }
        }
        let result = self.sim.apply(Command::Produce {
            topic: ORDERS_TOPIC.into(),
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
            self.produce(event);
        }
        burst.done += chunk;
        if burst.done < burst.total {
            self.burst = Some(burst);
            true
        } else {
            false
        }
    }

    fn finish_burst(&mut self) {
        while self.run_burst(u32::MAX) {}
    }

    /// Advances one tick: the running generator publishes, then the clock moves. On a rewound
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
        if let Some(config) = self.running_generator.clone() {
            for _ in 0..config.orders_per_tick {
                let event = self.generator.next_event(&config);
                self.produce(event);
            }
        }
        self.sim.step();
        self.collect_redeliveries();
    }

    /// Remembers records a group processed again (bounded), so their rows can be marked.
    fn collect_redeliveries(&mut self) {
        for (_, event) in self.sim.trace_since(self.scanned) {
            self.rebalances.observe(event);
            self.throughput.observe(event);
            if let TraceEvent::Processed {
                group,
                topic,
                partition,
                offset,
                redelivered: true,
                ..
            } = event
            {
                if topic != ORDERS_TOPIC {
                    continue;
                }
                let key = (partition.0, offset.0);
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
        }
        self.scanned = self.sim.trace_len();
    }

    /// Replaces the setup (partition count, partitioner, key field) and replays the whole log
    /// under it, so the same events show where they land now.
    pub fn change_setup(&mut self, setup: Setup) {
        self.finish_burst();
        self.session.setup = setup;
        let ticks = self.session.ticks;
        self.replay_to(ticks);
    }

    /// Replays the whole log under another seed.
    pub fn change_seed(&mut self, seed: u64) {
        self.finish_burst();
        self.session.seed = seed;
        let ticks = self.session.ticks;
        self.replay_to(ticks);
    }

    /// Number of partitions of the orders topic.
    pub fn partition_count(&self) -> u32 {
        self.sim
            .topic(ORDERS_TOPIC)
            .map_or(0, |t| t.partition_count())
    }

    /// `(log_start_offset, high_watermark)` of a partition.
    pub fn partition_bounds(&self, partition: u32) -> (u64, u64) {
        self.sim
            .topic(ORDERS_TOPIC)
            .and_then(|t| t.partition(PartitionId(partition)))
            .map_or((0, 0), |log| {
                (log.log_start_offset().0, log.high_watermark().0)
            })
    }

    /// Records of a partition whose offsets fall in `from..to` (clamped to the log).
    pub fn rows(&self, partition: u32, from: u64, to: u64) -> Vec<RecordRow> {
        let Some(log) = self
            .sim
            .topic(ORDERS_TOPIC)
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
        let segment = self.session.setup.segment_records.max(1);
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
                        .get(&(partition, r.offset.0))
                        .cloned()
                        .unwrap_or_default(),
                }
            })
            .collect()
    }

    /// Records per partition, in partition order.
    pub fn partition_sizes(&self) -> Vec<u64> {
        (0..self.partition_count())
            .map(|p| {
                let (start, end) = self.partition_bounds(p);
                end - start
            })
            .collect()
    }

    /// Total records in the topic.
    pub fn total_records(&self) -> u64 {
        self.partition_sizes().iter().sum()
    }

    /// The last `limit` produced records with their routing, newest first.
    pub fn recent_routings(&self, limit: usize) -> Vec<RoutedEvent> {
        let first = self.sim.trace_buffer().first_index();
        self.sim
            .trace()
            .iter()
            .enumerate()
            .rev()
            .filter_map(|(i, e)| match e {
                TraceEvent::Produced {
                    key,
                    routing,
                    partition,
                    offset,
                    ..
                } => Some(RoutedEvent {
                    epoch: self.epoch,
                    sequence: first + i as u64,
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

    /// Keys seen so far (at most [`MAX_KEYS_TRACKED`]), in key order.
    pub fn keys_seen(&self) -> &BTreeSet<String> {
        &self.keys_seen
    }

    /// Which of the keys seen would land on another partition with `partitions` partitions
    /// (and `partitioner`), computed with the engine's partitioner.
    pub fn moved_keys(&self, partitioner: Partitioner, partitions: u32) -> Vec<MovedKey> {
        let current = self.session.setup.partitioner;
        let now = self.session.setup.partitions;
        if partitions == 0 || partitions > MAX_PARTITIONS || !self.session.setup.keyed {
            return Vec::new();
        }
        self.keys_seen
            .iter()
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

    /// Records per key across the topic for the keys currently shown (for skew).
    pub fn key_counts(&self) -> BTreeMap<String, u64> {
        let mut counts = BTreeMap::new();
        if let Some(topic) = self.sim.topic(ORDERS_TOPIC) {
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

    /// A member id not used before in `group` (`c1`, `c2`, ...): counts the joins logged.
    pub fn next_member_id(&self, group: &str) -> MemberId {
        let joined = self
            .session
            .actions
            .iter()
            .filter(|a| {
                matches!(&a.action, Action::Command { command: Command::JoinGroup { group: g, .. } } if g == group)
            })
            .count();
        MemberId(format!("c{}", joined + 1))
    }

    /// Per group, the committed offset of `partition` (the next offset the group reads).
    pub fn committed_markers(&self, partition: u32) -> Vec<(String, u64)> {
        let tp = TopicPartition {
            topic: ORDERS_TOPIC.to_string(),
            partition: PartitionId(partition),
        };
        self.sim
            .groups()
            .filter_map(|g| g.committed(&tp).map(|o| (g.name().to_string(), o.0)))
            .collect()
    }

    /// Number of segments of a partition.
    pub fn segment_count(&self, partition: u32) -> usize {
        self.sim
            .topic(ORDERS_TOPIC)
            .and_then(|t| t.partition(PartitionId(partition)))
            .map_or(0, |log| log.segments().len())
    }

    /// True when trace events arrived since the last announcement check.
    pub fn announcements_pending(&self) -> bool {
        self.sim.trace_len() > self.announced
    }

    /// Important changes since the last call, as sentences for the live region: members
    /// killed or timed out, rebalances completed, offsets reset.
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
                _ => {}
            }
        }
        self.announced = self.sim.trace_len();
        out
    }
}

/// A stable hue (0..360) for a key, so one key has one colour everywhere.
pub fn key_hue(key: &str) -> u32 {
    orderflow_engine::partitioner::to_positive(orderflow_engine::partitioner::murmur2(
        key.as_bytes(),
    )) % 360
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
        }
    }

    /// Every record of every partition (without the view-only replay epoch).
    fn fingerprint(pg: &Playground) -> Vec<Vec<RecordRow>> {
        (0..pg.partition_count())
            .map(|p| {
                pg.rows(p, 0, u64::MAX)
                    .into_iter()
                    .map(|r| RecordRow { epoch: 0, ..r })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn published_record_lands_where_the_engine_routes_its_key() {
        let mut pg = Playground::default();
        pg.publish(event("U123", "O456", "Created"));
        let expected = Partitioner::Murmur2.route(b"U123", 4).partition.0;
        let rows = pg.rows(expected, 0, 10);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].key, "U123");
        assert_eq!(pg.recent_routings(1)[0].partition.0, expected);
    }

    #[test]
    fn key_field_order_id_keys_by_order() {
        let mut pg = Playground::new(Session {
            setup: Setup {
                key_field: KeyField::OrderId,
                ..Setup::default()
            },
            ..Session::default()
        });
        pg.publish(event("U1", "O99", "Created"));
        assert_eq!(pg.recent_routings(1)[0].key.as_deref(), Some("O99"));
    }

    #[test]
    fn burst_runs_in_chunks_and_reports_progress() {
        let mut pg = Playground::default();
        pg.act(Action::Burst {
            count: 2_500,
            generator: generator(10, 0),
        });
        assert!(pg.run_burst(1_000));
        assert_eq!(pg.burst().unwrap().done, 1_000);
        assert!(pg.run_burst(1_000));
        assert!(!pg.run_burst(1_000));
        assert!(pg.burst().is_none());
        assert_eq!(pg.total_records(), 2_500);
    }

    #[test]
    fn generated_orders_follow_the_lifecycle_per_order_key() {
        let mut pg = Playground::new(Session {
            setup: Setup {
                key_field: KeyField::OrderId,
                ..Setup::default()
            },
            ..Session::default()
        });
        pg.act(Action::Burst {
            count: 3_000,
            generator: generator(5, 0),
        });
        pg.run_burst(u32::MAX);
        // Per order key, statuses appear in lifecycle order within its partition.
        let mut last: BTreeMap<String, usize> = BTreeMap::new();
        for p in 0..pg.partition_count() {
            for row in pg.rows(p, 0, u64::MAX) {
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
            count: 2_000,
            generator: generator(50, 80),
        });
        pg.run_burst(u32::MAX);
        let counts = pg.key_counts();
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
            generator: Some(generator(7, 30)),
        });
        for _ in 0..5 {
            pg.step();
        }
        pg.act(Action::Burst {
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
            generator: Some(generator(7, 0)),
        });
        for _ in 0..10 {
            pg.step();
        }
        let at_end = fingerprint(&pg);
        pg.replay_to(4);
        assert_eq!(pg.now(), 4);
        assert!(!pg.is_live());
        assert_eq!(pg.total_records(), 4 * 3);
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
            generator: Some(generator(7, 0)),
        });
        for _ in 0..10 {
            pg.step();
        }
        pg.replay_to(3);
        pg.publish(event("U9", "O9", "Created"));
        assert!(pg.is_live());
        assert_eq!(pg.session().ticks, 3);
        assert_eq!(pg.total_records(), 3 * 3 + 1);
    }

    #[test]
    fn changing_partition_count_replays_and_moved_keys_match_the_new_routing() {
        let mut pg = Playground::default();
        for u in 1..=30 {
            pg.publish(event(&format!("U{u}"), "O1", "Created"));
        }
        let moved = pg.moved_keys(Partitioner::Murmur2, 6);
        assert!(!moved.is_empty() && moved.len() < 30);
        pg.change_setup(Setup {
            partitions: 6,
            ..Setup::default()
        });
        assert_eq!(pg.partition_count(), 6);
        for m in &moved {
            let rows = pg.rows(m.to, 0, u64::MAX);
            assert!(
                rows.iter().any(|r| r.key == m.key),
                "{} not on {}",
                m.key,
                m.to
            );
        }
        assert_eq!(pg.total_records(), 30);
    }

    #[test]
    fn validate_rejects_out_of_order_and_oversized_sessions() {
        let s = Session {
            ticks: 5,
            actions: vec![
                LoggedAction {
                    tick: 3,
                    action: Action::SetGenerator { generator: None },
                },
                LoggedAction {
                    tick: 2,
                    action: Action::SetGenerator { generator: None },
                },
            ],
            ..Session::default()
        };
        assert!(matches!(
            s.validate(),
            Err(SessionError::OutOfOrder { index: 1, .. })
        ));
        let s = Session {
            setup: Setup {
                partitions: 0,
                ..Setup::default()
            },
            ..Session::default()
        };
        assert!(matches!(s.validate(), Err(SessionError::Partitions { .. })));
        let s = Session {
            ticks: 1,
            actions: vec![LoggedAction {
                tick: 0,
                action: Action::Burst {
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
            count,
            generator: GeneratorConfig::default(),
        });
        pg.run_burst(u32::MAX);
    }

    #[test]
    fn default_session_is_the_event_hubs_example() {
        let pg = Playground::default();
        assert_eq!(pg.partition_count(), 4);
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
                pg.rows(p, 0, u64::MAX)
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
            setup: Setup {
                keyed: false,
                ..Setup::default()
            },
            ..Session::default()
        });
        burst(&mut pg, 400);
        assert_eq!(pg.partition_sizes(), vec![100, 100, 100, 100]);
        assert!(pg.recent_routings(1)[0].routing.is_none());
    }

    #[test]
    fn retention_by_records_moves_the_log_start_up() {
        let mut pg = Playground::new(Session {
            setup: Setup {
                segment_records: 10,
                retention_records: Some(20),
                keyed: false,
                partitions: 1,
                ..Setup::default()
            },
            ..Session::default()
        });
        burst(&mut pg, 100);
        pg.step();
        let (start, end) = pg.partition_bounds(0);
        assert_eq!(end, 100);
        assert!(start > 0 && end - start >= 20, "log {start}..{end}");
        assert!(
            pg.rows(0, 0, 5).is_empty(),
            "rows below the log start are gone"
        );
    }
}
