//! The simulation: a logical clock, the topics, producers, consumer groups, the order
//! generator, one seeded random generator, and the trace.
//!
//! Drive it with [`Command`]s through [`Sim::apply`] (they act at the current tick) and
//! advance time with [`Sim::step`], or [`Sim::step_with`] lending it the groups'
//! [`Processors`] for the step. Everything observable comes out as
//! [`TraceEvent`]s; read-only snapshots ([`Sim::group_snapshot`], [`Sim::topic`]) show the
//! state. The same seed and the same commands at the same ticks always give the same trace.
//!
//! One tick of [`Sim::step`], in order: the clock advances; followers fetch from their
//! leaders and committed records enter the topics (only with brokers, see
//! [`Sim::cluster`]); generators produce; time-based
//! retention runs; every group (in name order) checks session timeouts, lets each member
//! (in id order) process, poll and commit, and advances its rebalance; lag is sampled;
//! commands scheduled for the tick apply.

mod apply;
mod cluster;
mod summary;

// Commands and their errors live in `command`, the generator's limits in `generator` and
// the events in `trace`; re-exported here, where callers driving a `Sim` look for them.
pub use crate::command::{Command, SimError, TimedCommand};
pub use crate::generator::{Generator, KeySpace, MAX_GENERATED_RECORDS, ORDER_LIFECYCLE};
pub use crate::trace::TraceEvent;
pub use crate::world::{RecordLimitError, MAX_RESIDENT_RECORDS};
pub use summary::{ClusterSummary, GroupSummary, ProducerSummary, Summary, TopicSummary};

use crate::generator::OrderGenerator;
use crate::group::{ConsumerGroup, GroupSnapshot};
use crate::ids::Tick;
use crate::lag::LagHistory;
use crate::process::{NoProcessors, Processors};
use crate::producer::Producer;
use crate::rng::SimRng;
use crate::topic::Topic;
use crate::trace::Trace;
use crate::world::{Brokers, RecordBudget, World};
use std::collections::{BTreeMap, VecDeque};

/// The simulation's actors, borrowed beside the [`World`] they act in.
struct Actors<'a> {
    groups: &'a mut BTreeMap<String, ConsumerGroup>,
    producers: &'a mut BTreeMap<String, Producer>,
    generator: &'a mut OrderGenerator,
}

/// A deterministic simulation instance.
pub struct Sim {
    seed: u64,
    now: Tick,
    rng: SimRng,
    topics: BTreeMap<String, Topic>,
    groups: BTreeMap<String, ConsumerGroup>,
    producers: BTreeMap<String, Producer>,
    generator: OrderGenerator,
    next_event_id: u64,
    next_producer_id: u64,
    /// Commands waiting for their tick.
    scheduled: BTreeMap<Tick, Vec<Command>>,
    record_history: bool,
    history: Vec<TimedCommand>,
    trace: Trace,
    /// The brokers under the topics (none set: one implicit broker, replication factor 1).
    brokers: Brokers,
    /// Records held over all topics, against the limit.
    records: RecordBudget,
}

impl std::fmt::Debug for Sim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sim")
            .field("seed", &self.seed)
            .field("now", &self.now)
            .field("topics", &self.topics.keys().collect::<Vec<_>>())
            .field("groups", &self.groups.keys().collect::<Vec<_>>())
            .field("trace_events", &self.trace.end_index())
            .finish()
    }
}

impl Sim {
    /// A new, empty simulation. All randomness derives from `seed`.
    pub fn new(seed: u64) -> Self {
        Self {
            seed,
            now: Tick(0),
            rng: SimRng::new(seed),
            topics: BTreeMap::new(),
            groups: BTreeMap::new(),
            producers: BTreeMap::new(),
            generator: OrderGenerator::default(),
            next_event_id: 1,
            next_producer_id: 1000,
            scheduled: BTreeMap::new(),
            record_history: true,
            history: Vec::new(),
            trace: Trace::default(),
            brokers: Brokers::default(),
            records: RecordBudget::default(),
        }
    }

    /// The seed all randomness derives from.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The simulation's one RNG, for the saga's order stream (drawn from in tick order, so
    /// a seed replays the same orders).
    pub(crate) fn rng_mut(&mut self) -> &mut SimRng {
        &mut self.rng
    }

    /// The current logical time.
    pub fn now(&self) -> Tick {
        self.now
    }

    /// A topic, if it exists.
    pub fn topic(&self, name: &str) -> Option<&Topic> {
        self.topics.get(name)
    }

    /// All topics, ordered by name.
    pub fn topics(&self) -> impl Iterator<Item = &Topic> {
        self.topics.values()
    }

    /// A consumer group, if it exists.
    pub fn group(&self, name: &str) -> Option<&ConsumerGroup> {
        self.groups.get(name)
    }

    /// All groups, ordered by name.
    pub fn groups(&self) -> impl Iterator<Item = &ConsumerGroup> {
        self.groups.values()
    }

    /// A read-only view of a group: members, state, owned partitions, generation,
    /// committed offsets, lag.
    pub fn group_snapshot(&self, name: &str) -> Option<GroupSnapshot> {
        self.groups.get(name).map(|g| g.snapshot(&self.topics))
    }

    /// A group's lag history (lag, consumption and production over time), for charts.
    pub fn lag_history(&self, group: &str) -> Option<&LagHistory> {
        self.groups.get(group).map(|g| g.lag_history())
    }

    /// A producer, if it exists.
    pub fn producer(&self, name: &str) -> Option<&Producer> {
        self.producers.get(name)
    }

    /// All producers, ordered by name.
    pub fn producers(&self) -> impl Iterator<Item = &Producer> {
        self.producers.values()
    }

    /// The active generators, by topic.
    pub fn generators(&self) -> &BTreeMap<String, Generator> {
        self.generator.running()
    }

    /// The trace events still held (all of them unless a limit is set), oldest first.
    pub fn trace(&self) -> &VecDeque<TraceEvent> {
        self.trace.events()
    }

    /// The trace buffer itself (absolute indices, limit).
    pub fn trace_buffer(&self) -> &Trace {
        &self.trace
    }

    /// Events with absolute index `>= index`, with their indices. Cheap.
    pub fn trace_since(
        &self,
        index: u64,
    ) -> impl DoubleEndedIterator<Item = (u64, &TraceEvent)> + '_ {
        self.trace.since(index)
    }

    /// Number of trace events ever emitted (the index the next one gets).
    pub fn trace_len(&self) -> u64 {
        self.trace.end_index()
    }

    /// Caps the trace to the newest `limit` events (`None`: unbounded).
    pub fn set_trace_limit(&mut self, limit: Option<usize>) {
        self.trace.set_limit(limit);
    }

    /// Takes the held trace events out (indices keep counting).
    pub fn drain_trace(&mut self) -> Vec<TraceEvent> {
        self.trace.drain()
    }

    /// Sets the most records the simulation holds at once over all topics (default
    /// [`MAX_RESIDENT_RECORDS`]); records removed by retention no longer count. An append
    /// beyond it is refused with a [`RecordLimitError`]; a generator stops there. A limit
    /// below what is held already refuses every append until retention makes room.
    pub fn set_record_limit(&mut self, limit: u64) {
        self.records.limit = limit;
    }

    /// The most records the simulation holds at once.
    pub fn record_limit(&self) -> u64 {
        self.records.limit
    }

    /// Records held now over all topics (appended minus removed by retention).
    pub fn resident_records(&self) -> u64 {
        self.records.resident
    }

    /// Appends refused at the record limit so far, and the latest refusal.
    pub fn record_limit_refusals(&self) -> (u64, Option<RecordLimitError>) {
        (self.records.refused, self.records.last_refusal)
    }

    /// The tick context, and the actors beside it that act in it.
    fn split(&mut self) -> (World<'_>, Actors<'_>) {
        let world = World {
            now: self.now,
            topics: &mut self.topics,
            trace: &mut self.trace,
            rng: &mut self.rng,
            next_event_id: &mut self.next_event_id,
            brokers: &mut self.brokers,
            records: &mut self.records,
        };
        let actors = Actors {
            groups: &mut self.groups,
            producers: &mut self.producers,
            generator: &mut self.generator,
        };
        (world, actors)
    }

    /// Applies one command at the current tick. Successful commands are kept in the
    /// [`Sim::history`].
    pub fn apply(&mut self, command: Command) -> Result<(), SimError> {
        if !self.record_history {
            return self.apply_unrecorded(command);
        }
        let copy = command.clone();
        self.apply_unrecorded(command)?;
        self.history.push(TimedCommand {
            at: self.now,
            command: copy,
        });
        Ok(())
    }

    /// Every command applied so far with its tick (scheduled ones even if they failed):
    /// a scenario made of these replays this session exactly.
    pub fn history(&self) -> &[TimedCommand] {
        &self.history
    }

    /// Turns the command history on (the default) or off (saves a clone per command on
    /// very long headless runs).
    pub fn set_record_history(&mut self, on: bool) {
        self.record_history = on;
    }

    /// Schedules a command for the end of tick `at`; a tick not in the future applies it
    /// now.
    pub fn schedule(&mut self, at: Tick, command: Command) -> Result<(), SimError> {
        if at <= self.now {
            return self.apply(command);
        }
        self.scheduled.entry(at).or_default().push(command);
        Ok(())
    }

    /// Commands scheduled for later ticks, in order.
    pub fn scheduled(&self) -> impl Iterator<Item = (Tick, &Command)> {
        self.scheduled
            .iter()
            .flat_map(|(t, cs)| cs.iter().map(move |c| (*t, c)))
    }

    /// Advances the logical clock by one tick and runs everything due; no group has a
    /// processor.
    pub fn step(&mut self) {
        self.step_with(&mut NoProcessors);
    }

    /// Like [`step`](Self::step), each group running the processor `processors` gives it.
    pub fn step_with(&mut self, processors: &mut dyn Processors) {
        self.now = Tick(self.now.0 + 1);
        self.tick_cluster();
        self.retry_producers();
        self.run_generators();
        self.apply_time_retention();
        self.tick_groups(processors);
        self.apply_scheduled();
    }

    /// Steps until the clock reads `tick`.
    pub fn run_until(&mut self, tick: Tick) {
        while self.now < tick {
            self.step();
        }
    }

    /// Producers retry the sends whose backoff ended, in name order.
    fn retry_producers(&mut self) {
        let (mut world, actors) = self.split();
        for producer in actors.producers.values_mut() {
            producer.retry_due(&mut world);
        }
    }

    fn run_generators(&mut self) {
        let (mut world, actors) = self.split();
        actors.generator.tick(&mut world);
    }

    /// Deletes segments older than their topic's retention by ticks.
    fn apply_time_retention(&mut self) {
        let timed: Vec<String> = self
            .topics
            .values()
            .filter(|t| t.config().retention.ticks.is_some())
            .map(|t| t.name().to_string())
            .collect();
        let (mut world, _) = self.split();
        for topic in timed {
            world.apply_retention(&topic);
        }
    }

    /// Every group, in name order, runs its tick with its processor.
    fn tick_groups(&mut self, processors: &mut dyn Processors) {
        let (mut world, actors) = self.split();
        for (name, group) in actors.groups.iter_mut() {
            group.tick(&mut world, processors.processor(name));
        }
    }

    /// Scheduled commands act at the end of their tick, exactly like a command a user
    /// applies between two steps, so replaying the history reproduces the trace. One that
    /// fails is traced, not returned: nobody is there to receive the error.
    fn apply_scheduled(&mut self) {
        let now = self.now;
        let Some(commands) = self.scheduled.remove(&now) else {
            return;
        };
        for command in commands {
            if self.record_history {
                self.history.push(TimedCommand {
                    at: now,
                    command: command.clone(),
                });
            }
            if let Err(e) = self.apply_unrecorded(command) {
                self.trace.push(TraceEvent::CommandRejected {
                    tick: now,
                    error: e.to_string(),
                });
            }
        }
    }
}

#[cfg(test)]
mod cluster_properties;
#[cfg(test)]
mod tests;
