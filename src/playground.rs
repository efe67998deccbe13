//! The playground's model in plain Rust (no Leptos): a [`Playground`] is a [`Session`]
//! replayed into one engine [`Sim`], plus what is still being executed (a burst published in
//! chunks, running generators). See [`crate::session`] for why a session is a log of actions.
//!
//! The model is one type with its methods grouped by concept, one file each:
//! - this file: replay, acting (logging an action and executing it), stepping, bursts, the
//!   topics' setups, and the scan of the engine's trace that the views fold;
//! - `topic_view.rs`: partitions, record rows, recent routings, keys that would move;
//! - `group_view.rs`: consumer groups, lag, rebalances, throughput, creating a group;
//! - `producers.rs`: producers, lost acknowledgements and sends;
//! - `announcements.rs`: important changes as sentences for the live region.
//!
//! Each sits in `playground/` beside its tests, and may use the model's private fields: the
//! fields stay private to this module tree.

mod announcements;
pub mod cluster;
mod group_view;
mod producers;
mod replay;
mod saga_setup;
mod topic_view;

#[cfg(test)]
pub(crate) mod tests;

pub use cluster::UncommittedRecord;
pub use group_view::{GroupError, MAX_NEW_GROUP_CONSUMERS};
pub use saga_setup::{parse_stock, SagaSafeguard, StockError, MAX_INITIAL_STOCK};
#[cfg(test)]
pub(crate) use topic_view::records_without_epoch;
pub use topic_view::{
    key_hue, MovedKey, RecordRow, RoutedEvent, MAX_KEYS_TRACKED, RECENT_ROUTINGS,
};

use crate::session::{
    check_key_space, check_topic, ActionError, GeneratorConfig, LoggedAction, Session,
    SessionError, Setup, MAX_TOPICS,
};
use litemap::LiteMap;
use orderflow_engine::log::OrderEvent;
use orderflow_engine::saga::command::SagaCommand;
use orderflow_engine::saga::streaming::SagaView;
use orderflow_engine::scenario::{ScenarioCommand, System, SystemError, TopicSpec};
use orderflow_engine::sim::{Command, KeySpace, Sim, SimError, TraceEvent};
use std::collections::{BTreeMap, BTreeSet};

/// Trace events kept in memory (the UI reads recent ones; older ones are dropped).
pub const TRACE_LIMIT: usize = 20_000;
/// Most redelivered records remembered for marking rows.
pub const MAX_REDELIVERIES_TRACKED: usize = 10_000;

/// Why an action was refused (nothing was logged). The message is shown to people.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum PlaygroundError {
    /// The engine refused the command, in its own words (Kafka's rule for offset resets,
    /// partitions that only grow, ...).
    #[error(transparent)]
    Engine(#[from] SimError),
    #[error("topic {topic:?} does not exist")]
    UnknownTopic { topic: String },
    /// A new topic's setup breaks a session rule (its name, partitions, segments, retention).
    #[error(transparent)]
    Setup(#[from] SessionError),
    /// A generator command asks for more than a session may hold.
    #[error(transparent)]
    Action(#[from] ActionError),
    #[error("topic {name:?} already exists")]
    TopicExists { name: String },
    #[error("a session holds at most {max} topics; remove one by loading another preset")]
    TooManyTopics { max: usize },
    /// The saga refused the command (no saga in this scenario, an order without lines...).
    #[error(transparent)]
    Saga(SystemError),
}

impl From<SystemError> for PlaygroundError {
    fn from(error: SystemError) -> Self {
        match error {
            SystemError::Sim(e) => PlaygroundError::Engine(e),
            other => PlaygroundError::Saga(other),
        }
    }
}

/// Records of a burst the engine generates between two scans of its trace while replaying
/// (half the trace kept, so a scan sees every record's key).
const REPLAY_CHUNK: u32 = (TRACE_LIMIT / 2) as u32;

/// A burst still being published, a chunk per frame: one logged engine `generate` command
/// executed as `generate` commands of a chunk each, which append the same records (the
/// engine's generation is chunk-invariant).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BurstProgress {
    pub done: u32,
    pub total: u32,
    /// The topic the burst publishes to.
    pub topic: String,
    key_space: KeySpace,
}

/// A session replayed into the scenario's system (the simulation, and the saga on it when
/// the scenario has one), plus what is still being executed.
#[derive(Debug)]
pub struct Playground {
    session: Session,
    system: System,
    /// Most records the engine holds at once (the engine's default; tests lower it).
    record_limit: u64,
    /// The topics that exist now: the scenario's, then those created by actions so far.
    topics: Vec<TopicSpec>,
    burst: Option<BurstProgress>,
    /// A rebuild by replay still under way (see `replay`).
    replay: Option<replay::ReplayProgress>,
    /// Keys seen per topic (at most [`MAX_KEYS_TRACKED`] each), for the "which keys move"
    /// preview. One entry per topic, so a sorted vector: one B-tree type fewer in the wasm.
    keys_seen: LiteMap<String, BTreeSet<String>>,
    /// Errors the engine returned while replaying (a valid session has none).
    replay_errors: usize,
    /// Counts rebuilds: offsets restart after a replay, so views key rows by (epoch, offset).
    epoch: u64,
    /// Trace index up to which important events were announced.
    announced: u64,
    /// Saga trace index up to which compensations and dead letters were announced, and
    /// the failed conservation checks announced (see `sagas::saga_announcements`).
    saga_announced: (usize, BTreeSet<String>),
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
    /// The saga's conservation checks as last run, with the state they were run on (see
    /// [`Playground::conservation`]): the Balances region and the live region share one run.
    conservation: std::cell::RefCell<Option<(ConservationKey, Vec<String>)>>,
}

/// What the saga's conservation facts (stock, money, saga states) follow: they change only
/// in a step (the tick moves), by a logged action, or in a rebuild (the epoch moves); the
/// saga trace's length is kept as well.
type ConservationKey = (u64, u64, usize, usize);

impl Default for Playground {
    fn default() -> Self {
        Self::new(Session::default())
    }
}

impl Playground {
    /// Replays `session` to its last tick. Call [`Session::validate`] first on untrusted input.
    pub fn new(session: Session) -> Self {
        Self::with_record_limit(session, orderflow_engine::sim::MAX_RESIDENT_RECORDS)
    }

    /// Like [`Playground::new`], the engine holding at most `record_limit` records at once.
    pub fn with_record_limit(session: Session, record_limit: u64) -> Self {
        let ticks = session.ticks;
        let mut pg = Self::empty(session, record_limit);
        pg.replay_to(ticks);
        pg
    }

    /// The scenario built as the CLI builds it (`System::from_scenario`: topics, producers,
    /// groups, the saga with its topics and service groups, commands at tick 0, later ones
    /// scheduled), nothing of the log replayed yet.
    fn empty(session: Session, record_limit: u64) -> Self {
        let built = System::from_scenario_limited(&session.scenario, record_limit);
        let (mut system, replay_errors) = match built {
            Ok(system) => (system, 0),
            Err(_) => (System::new(Sim::new(session.seed()), None), 1),
        };
        system.set_trace_limit(Some(TRACE_LIMIT));
        // The scenario's topics, then those its saga created (each read back as a spec).
        let mut topics = session.topics().to_vec();
        for topic in system.sim().topics() {
            if !topics.iter().any(|t| t.name == topic.name()) {
                topics.push(
                    TopicSpec::new(topic.name(), topic.partition_count(), topic.partitioner())
                        .with_key_field(topic.key_field()),
                );
            }
        }
        Self {
            topics,
            session,
            system,
            record_limit,
            burst: None,
            replay: None,
            keys_seen: LiteMap::new(),
            replay_errors,
            epoch: 0,
            announced: 0,
            saga_announced: (0, BTreeSet::new()),
            scanned: 0,
            redelivered: BTreeMap::new(),
            rebalances: Default::default(),
            throughput: Default::default(),
            duplicates: Default::default(),
            conservation: Default::default(),
        }
    }

    /// Rebuilds the simulation from scratch and replays the log up to `target` (clamped to
    /// the session's last tick), all at once. The log itself is kept, so the user can go
    /// forward again. The page replays a slice per frame instead: see `replay`.
    pub fn replay_to(&mut self, target: u64) {
        self.begin_replay(target);
        self.finish_replay();
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
        self.system.sim()
    }

    /// The saga's conservation violations (`SagaView::check_conservation`; empty: they
    /// hold, `None`: no saga), run once per state of the run: asked again before a step, an
    /// action or a rebuild, it answers from the last run.
    pub fn conservation(&self) -> Option<Vec<String>> {
        let saga = self.saga()?;
        let key = (
            self.epoch,
            self.now(),
            self.session.actions.len(),
            saga.world().trace.len(),
        );
        let mut cached = self.conservation.borrow_mut();
        match cached.as_ref() {
            Some((at, checks)) if *at == key => Some(checks.clone()),
            _ => {
                let checks = saga.check_conservation();
                *cached = Some((key, checks.clone()));
                Some(checks)
            }
        }
    }

    /// The "Balances" region's lines, with [`Playground::conservation`]'s checks.
    pub fn balance_lines(&self) -> Option<crate::sagas::BalanceLines> {
        let violations = self.conservation()?;
        Some(crate::sagas::balance_lines(&self.saga()?, violations))
    }

    /// The scenario's saga read with its simulation, if the scenario has one.
    pub fn saga(&self) -> Option<SagaView<'_>> {
        self.system.saga()
    }

    /// The current tick of the simulation.
    pub fn now(&self) -> u64 {
        self.sim().now().0
    }

    /// True when the simulation shows the session's last tick (not a rewound view).
    pub fn is_live(&self) -> bool {
        self.now() == self.session.ticks
    }

    /// The burst being published, if any.
    pub fn burst(&self) -> Option<&BurstProgress> {
        self.burst.as_ref()
    }

    /// A topic's generator settings while it runs (the engine's generator).
    pub fn running_generator(&self, topic: &str) -> Option<GeneratorConfig> {
        self.sim()
            .generators()
            .get(topic)
            .map(GeneratorConfig::from)
    }

    /// The generator settings a form for `topic` starts from: the running generator's, else
    /// the last ones logged for the topic, else the scenario's (a preset's burst), else the
    /// defaults.
    pub fn generator_settings(&self, topic: &str) -> GeneratorConfig {
        if let Some(running) = self.running_generator(topic) {
            return running;
        }
        self.session
            .actions
            .iter()
            .rev()
            .filter_map(|a| a.command.as_sim())
            .chain(
                self.session
                    .scenario
                    .commands
                    .iter()
                    .rev()
                    .filter_map(|c| c.command.as_sim()),
            )
            .find_map(|c| GeneratorConfig::of_command(c, topic))
            .unwrap_or_default()
    }

    /// Engine errors seen while replaying.
    pub fn replay_errors(&self) -> usize {
        self.replay_errors
    }

    /// Logs an engine command at the current tick and executes it. Acting on a rewound view
    /// drops the recorded future (the run branches from here). A burst (`generate`) runs in
    /// chunks: see [`Playground::run_burst`].
    pub fn act(&mut self, command: Command) {
        let _ = self.try_act(command);
    }

    /// Like [`Playground::act`], but a command that is refused (one the engine refuses, e.g.
    /// an offset reset while the group has members; an unknown topic; a topic that cannot be
    /// created; a burst too big) is not logged and says why.
    pub fn try_act(&mut self, command: Command) -> Result<(), PlaygroundError> {
        self.finish_replay();
        self.finish_burst();
        match &command {
            Command::Generate {
                topic,
                count,
                key_space,
            } => {
                if self.topic_spec(topic).is_none() {
                    return Err(PlaygroundError::UnknownTopic {
                        topic: topic.clone(),
                    });
                }
                check_key_space(key_space, *count)?;
                // Logged as one command; executed in chunks by `run_burst`.
                self.log(command.clone().into());
                self.execute(&command.into(), false);
                return Ok(());
            }
            Command::CreateTopic(spec) => self.check_new_topic(spec)?,
            _ => {}
        }
        // Try it first: a refused command changes nothing and is not logged.
        self.apply_sim(command.clone())?;
        if let Command::CreateTopic(spec) = &command {
            self.topics.push(spec.clone());
        }
        self.log(command.into());
        Ok(())
    }

    /// Logs a saga command at the current tick and applies it (placing an order, taking a
    /// service down...); one the saga refuses is not logged and says why.
    pub fn try_saga(&mut self, command: SagaCommand) -> Result<(), PlaygroundError> {
        self.finish_replay();
        self.finish_burst();
        let command = ScenarioCommand::Saga(command);
        self.system.apply(command.clone())?;
        self.log(command);
        Ok(())
    }

    /// Why a topic cannot be created now, if it cannot.
    fn check_new_topic(&self, spec: &TopicSpec) -> Result<(), PlaygroundError> {
        check_topic(self.topics.len(), spec)?;
        if self.topic_spec(&spec.name).is_some() {
            return Err(PlaygroundError::TopicExists {
                name: spec.name.clone(),
            });
        }
        if self.topics.len() >= MAX_TOPICS {
            return Err(PlaygroundError::TooManyTopics { max: MAX_TOPICS });
        }
        Ok(())
    }

    /// Logs an accepted command at the current tick (dropping the recorded future on a
    /// rewound view); it was executed when it was tried.
    fn log(&mut self, command: ScenarioCommand) {
        if !self.is_live() {
            let now = self.now();
            self.session.actions.retain(|a| a.tick <= now);
            self.session.ticks = now;
        }
        self.session.actions.push(LoggedAction {
            tick: self.now(),
            command,
        });
        // A command's trace events (a join's rebalance) show at once, not after the next tick.
        self.collect();
    }

    /// Publishes one event by hand to the first topic, keyed by its key field.
    pub fn publish(&mut self, event: OrderEvent) {
        let topic = self.topic_names()[0].clone();
        self.publish_to(&topic, event);
    }

    /// Publishes one event by hand to `topic`, keyed by the topic's key field (the
    /// engine's `publish_order`).
    pub fn publish_to(&mut self, topic: &str, event: OrderEvent) {
        self.act(Command::PublishOrder {
            topic: topic.to_string(),
            event,
        });
    }

    /// Executes a logged command while replaying (or a burst when it is logged): a burst
    /// starts (and, replaying, finishes) in chunks, a topic joins the topics, anything else
    /// goes to the engine.
    fn execute(&mut self, command: &ScenarioCommand, replaying: bool) {
        let command = match command {
            ScenarioCommand::Sim(command) => command,
            saga => {
                if self.system.apply(saga.clone()).is_err() {
                    self.replay_errors += 1;
                }
                self.collect();
                return;
            }
        };
        match command {
            Command::Generate {
                topic,
                count,
                key_space,
            } => {
                self.burst = Some(BurstProgress {
                    done: 0,
                    total: *count,
                    topic: topic.clone(),
                    key_space: key_space.clone(),
                });
                if replaying {
                    self.finish_burst();
                }
            }
            Command::CreateTopic(spec) => {
                if self.system.apply(command.clone().into()).is_err() {
                    self.replay_errors += 1;
                } else {
                    self.topics.push(spec.clone());
                }
            }
            command => self.apply_logged(command.clone()),
        }
    }

    /// Applies a logged command to the engine (counting a refusal as a replay error) and
    /// folds its trace events.
    fn apply_logged(&mut self, command: Command) {
        if self.system.apply(command.into()).is_err() {
            self.replay_errors += 1;
        }
        self.collect();
    }

    /// Why publishing stopped, once the engine refused a record at its limit of resident
    /// records in this run (shown as an alert).
    pub fn record_limit_notice(&self) -> Option<String> {
        let (_, last) = self.sim().record_limit_refusals();
        last.map(|e| format!("Publishing stopped: {e}."))
    }

    /// Publishes up to `max_records` of the pending burst (the engine generates them);
    /// returns true while some remain.
    pub fn run_burst(&mut self, max_records: u32) -> bool {
        let Some(mut burst) = self.burst.take() else {
            return false;
        };
        let chunk = max_records.min(burst.total - burst.done);
        let (refused_before, _) = self.sim().record_limit_refusals();
        self.apply_logged(Command::Generate {
            topic: burst.topic.clone(),
            count: chunk,
            key_space: burst.key_space.clone(),
        });
        // At the engine's record limit the generation stopped (traced, and the alert says
        // why): the rest of the burst is dropped.
        let at_limit = self.sim().record_limit_refusals().0 > refused_before;
        burst.done += chunk;
        if burst.done < burst.total && !at_limit {
            self.burst = Some(burst);
            true
        } else {
            false
        }
    }

    fn finish_burst(&mut self) {
        while self.run_burst(REPLAY_CHUNK) {}
    }

    /// Advances one tick: the clock moves and the engine's running generators publish. On a rewound
    /// view this walks forward along the recorded log instead.
    pub fn step(&mut self) {
        self.finish_replay();
        self.finish_burst();
        if self.is_live() {
            self.advance();
            self.session.ticks = self.now();
        } else {
            let target = self.now() + 1;
            self.advance();
            let now = self.now();
            let commands: Vec<ScenarioCommand> = self
                .session
                .actions
                .iter()
                .filter(|a| a.tick == now)
                .map(|a| a.command.clone())
                .collect();
            for command in &commands {
                self.execute(command, true);
            }
            debug_assert_eq!(self.now(), target);
        }
    }

    fn advance(&mut self) {
        self.system.step();
        self.collect();
    }

    /// Scans the trace since the last scan (bounded by the trace limit): remembers records a
    /// group processed again and records a producer's retry appended again, so their rows can
    /// be marked, and the keys of records produced by engine commands (producers, scheduled
    /// sends), for the "which keys move" preview.
    fn collect(&mut self) {
        let mut keys = Vec::new();
        for (_, event) in self.system.sim().trace_since(self.scanned) {
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
                    let key = (topic.to_string(), partition.0, offset.0);
                    if self.redelivered.len() >= MAX_REDELIVERIES_TRACKED
                        && !self.redelivered.contains_key(&key)
                    {
                        continue;
                    }
                    let groups = self.redelivered.entry(key).or_default();
                    if !groups.iter().any(|g| **g == **group) {
                        groups.push(group.to_string());
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
        self.scanned = self.sim().trace_len();
    }

    /// Replaces the setup of the topic with the same name (partition count, partitioner, key
    /// field, retention) and replays the whole log under it, so the same events show where
    /// they land now.
    pub fn change_setup(&mut self, setup: Setup) {
        self.finish_burst();
        let spec = setup.topic_spec();
        // "Always set up this way": partitions added later up to the new count never happened
        // (replaying them would be refused, the topic already has that many).
        self.session.actions.retain(|a| {
            !matches!(&a.command, ScenarioCommand::Sim(Command::AddPartitions { topic, partitions })
                if *topic == spec.name && *partitions <= spec.partitions)
        });
        // A topic of the scenario's, or one an action created later.
        let initial = self
            .session
            .scenario
            .topics
            .iter_mut()
            .find(|t| t.name == spec.name);
        let created = self
            .session
            .actions
            .iter_mut()
            .find_map(|a| match &mut a.command {
                ScenarioCommand::Sim(Command::CreateTopic(t)) if t.name == spec.name => Some(t),
                _ => None,
            });
        if let Some(slot) = initial.or(created) {
            *slot = spec;
        }
        let ticks = self.session.ticks;
        self.replay_to(ticks);
    }

    /// Adds partitions to a live topic (Kafka's `kafka-topics --alter --partitions`): a logged
    /// engine command, so records already written stay where they are and only new records
    /// route by the new count. The engine refuses a count that does not grow the topic.
    pub fn add_partitions(&mut self, topic: &str, partitions: u32) -> Result<(), SimError> {
        self.try_command(Command::AddPartitions {
            topic: topic.to_string(),
            partitions,
        })
    }

    /// Applies an engine command now and logs it; a command the engine refuses changes
    /// nothing, is not logged, and its error comes back.
    fn try_command(&mut self, command: Command) -> Result<(), SimError> {
        self.finish_burst();
        self.apply_sim(command.clone())?;
        self.log(command.into());
        Ok(())
    }

    /// Applies a simulation command through the system (a simulation command meets only
    /// the simulation's refusals).
    fn apply_sim(&mut self, command: Command) -> Result<(), SimError> {
        match self.system.apply(command.into()) {
            Err(SystemError::Sim(e)) => Err(e),
            Ok(()) | Err(_) => Ok(()),
        }
    }

    /// Replays the whole log under another seed.
    pub fn change_seed(&mut self, seed: u64) {
        self.finish_burst();
        self.session.scenario.seed = seed;
        let ticks = self.session.ticks;
        self.replay_to(ticks);
    }

    /// The names of the topics that exist now, the session's first, then those created
    /// later in creation order (never empty for a valid session).
    pub fn topic_names(&self) -> Vec<String> {
        self.topics.iter().map(|t| t.name.clone()).collect()
    }

    /// The topics that exist now, as the engine was given them, in
    /// [`Playground::topic_names`] order.
    pub fn topics(&self) -> &[TopicSpec] {
        &self.topics
    }

    /// The spec of `topic`, if it exists now.
    pub fn topic_spec(&self, topic: &str) -> Option<&TopicSpec> {
        self.topics.iter().find(|t| t.name == topic)
    }

    /// The setup of `topic` as the topic forms show it, if it exists now.
    pub fn setup(&self, topic: &str) -> Option<Setup> {
        self.topic_spec(topic).map(Setup::from)
    }

    /// Remembers the topic the page shows, with the session (none for the first topic, the
    /// page's default; an unknown topic changes nothing).
    pub fn select_topic(&mut self, topic: &str) {
        let names = self.topic_names();
        if names.iter().any(|t| t == topic) {
            self.session.selected_topic = (names[0] != topic).then(|| topic.to_string());
        }
    }

    /// Creates a topic now (a logged `create_topic` command, so it replays and is shared).
    pub fn create_topic(&mut self, setup: Setup) -> Result<(), PlaygroundError> {
        self.try_act(Command::CreateTopic(setup.topic_spec()))
    }
}
