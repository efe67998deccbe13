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
mod group_view;
mod producers;
mod topic_view;

#[cfg(test)]
pub(crate) mod tests;

pub use group_view::{GroupError, MAX_NEW_GROUP_CONSUMERS};
#[cfg(test)]
pub(crate) use topic_view::records_without_epoch;
pub use topic_view::{
    key_hue, MovedKey, RecordRow, RoutedEvent, MAX_KEYS_TRACKED, RECENT_ROUTINGS,
};

use crate::session::{
    check_setup, Action, GeneratorConfig, LoggedAction, Session, SessionError, Setup, MAX_TOPICS,
};
use orderflow_engine::ids::Tick;
use orderflow_engine::log::{OrderEvent, Retention};
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
    #[error("topic {name:?} already exists")]
    TopicExists { name: String },
    #[error("a session holds at most {max} topics; remove one by loading another preset")]
    TooManyTopics { max: usize },
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

/// Creates `setup`'s topic in `sim` and configures its segments, retention and unkeyed
/// routing.
fn create_topic(sim: &mut Sim, setup: &Setup) -> Result<(), SimError> {
    sim.apply(Command::CreateTopic(setup.topic_spec()))?;
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
        Self {
            topics: session.topics.clone(),
            session,
            sim,
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

    /// A topic's generator settings while it runs (the engine's generator).
    pub fn running_generator(&self, topic: &str) -> Option<GeneratorConfig> {
        self.sim.generators().get(topic).map(GeneratorConfig::from)
    }

    /// The generator settings a form for `topic` starts from: the running generator's, else
    /// the last ones logged for the topic (a preset's burst), else the defaults.
    pub fn generator_settings(&self, topic: &str) -> GeneratorConfig {
        if let Some(running) = self.running_generator(topic) {
            return running;
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

    /// Like [`Playground::act`], but an action that is refused (an engine command the engine
    /// refuses, e.g. an offset reset while the group has members; an unknown topic; a topic
    /// that cannot be created) is not logged and says why.
    pub fn try_act(&mut self, action: Action) -> Result<(), PlaygroundError> {
        self.finish_burst();
        match action {
            Action::Command { command } => return Ok(self.try_command(command)?),
            Action::Schedule { at, command } => {
                self.sim.schedule(Tick(at), command.clone())?;
                self.log(Action::Schedule { at, command });
                return Ok(());
            }
            Action::Publish { ref topic, .. }
            | Action::Burst { ref topic, .. }
            | Action::SetGenerator { ref topic, .. } => {
                if self.setup(topic).is_none() {
                    return Err(PlaygroundError::UnknownTopic {
                        topic: topic.clone(),
                    });
                }
            }
            Action::CreateTopic { ref setup } => self.check_new_topic(setup)?,
        }
        self.log(action);
        Ok(())
    }

    /// Applies an engine command now and logs it; a command the engine refuses changes
    /// nothing, is not logged, and its error comes back.
    fn try_command(&mut self, command: Command) -> Result<(), SimError> {
        self.finish_burst();
        // Try it first: a refused command changes nothing and is not logged.
        self.sim.apply(command.clone())?;
        self.collect();
        self.log(Action::Command { command });
        Ok(())
    }

    /// Why a topic cannot be created now, if it cannot.
    fn check_new_topic(&self, setup: &Setup) -> Result<(), PlaygroundError> {
        check_setup(self.topics.len(), setup)?;
        if self.setup(&setup.name).is_some() {
            return Err(PlaygroundError::TopicExists {
                name: setup.name.clone(),
            });
        }
        if self.topics.len() >= MAX_TOPICS {
            return Err(PlaygroundError::TooManyTopics { max: MAX_TOPICS });
        }
        Ok(())
    }

    /// Logs an accepted action at the current tick (dropping the recorded future on a
    /// rewound view) and executes it; engine commands were applied when they were tried.
    fn log(&mut self, action: Action) {
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
            Action::Publish { topic, event } => {
                self.apply_logged(Command::PublishOrder {
                    topic: topic.clone(),
                    event: event.clone(),
                });
            }
            Action::Burst {
                topic,
                count,
                generator,
            } => {
                self.burst = Some(BurstProgress {
                    done: 0,
                    total: *count,
                    topic: topic.clone(),
                    key_space: generator.key_space(),
                });
                if replaying {
                    self.finish_burst();
                }
            }
            Action::SetGenerator { topic, generator } => {
                self.apply_logged(GeneratorConfig::set_command(topic, generator.as_ref()));
            }
            Action::Command { command } => self.apply_logged(command.clone()),
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

    /// Applies a logged command to the engine (counting a refusal as a replay error) and
    /// folds its trace events.
    fn apply_logged(&mut self, command: Command) {
        if self.sim.apply(command).is_err() {
            self.replay_errors += 1;
        }
        self.collect();
    }

    /// Publishes up to `max_records` of the pending burst (the engine generates them);
    /// returns true while some remain.
    pub fn run_burst(&mut self, max_records: u32) -> bool {
        let Some(mut burst) = self.burst.take() else {
            return false;
        };
        let chunk = max_records.min(burst.total - burst.done);
        self.apply_logged(Command::Generate {
            topic: burst.topic.clone(),
            count: chunk,
            key_space: burst.key_space.clone(),
        });
        burst.done += chunk;
        if burst.done < burst.total {
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
    /// route by the new count. The engine refuses a count that does not grow the topic.
    pub fn add_partitions(&mut self, topic: &str, partitions: u32) -> Result<(), SimError> {
        self.try_command(Command::AddPartitions {
            topic: topic.to_string(),
            partitions,
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
    pub fn create_topic(&mut self, setup: Setup) -> Result<(), PlaygroundError> {
        self.try_act(Action::CreateTopic { setup })
    }
}
