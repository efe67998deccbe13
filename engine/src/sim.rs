//! The simulation: a logical clock, the topics, producers, consumer groups, one seeded
//! random generator, and the trace.
//!
//! Drive it with [`Command`]s through [`Sim::apply`] (they act at the current tick) and
//! advance time with [`Sim::step`]. Everything observable comes out as
//! [`TraceEvent`]s; read-only snapshots ([`Sim::group_snapshot`], [`Sim::topic`]) show the
//! state. The same seed and the same commands at the same ticks always give the same trace.
//!
//! One tick of [`Sim::step`], in order: the clock advances; generators produce; time-based
//! retention runs; every group (in name order) checks session timeouts, lets each member
//! (in id order) process, poll and commit, and advances its rebalance; lag is sampled.

use crate::assignor::TopicPartition;
use crate::group::{ConsumerGroup, GroupConfig, GroupError, GroupSnapshot, OffsetResetSpec};
use crate::ids::{EventId, MemberId, Offset, PartitionId, ProducerId, Tick};
use crate::log::SequenceCheck;
use crate::log::{Headers, LogConfig, OrderEvent, Payload, Retention};
use crate::partitioner::{Partitioner, UnkeyedStrategy};
use crate::process::{OutgoingRecord, Processor};
use crate::producer::{Acks, Producer, ProducerConfig, ProducerError};
use crate::rng::SimRng;
use crate::scenario::{Scenario, TimedCommand};
use crate::topic::{Produced, Topic, TopicError};
use crate::trace::Trace;
pub use crate::trace::TraceEvent;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};
use thiserror::Error;

/// The most records one `Generate` command (or a generator, per tick) may produce: bad
/// input must not be able to hang a tick.
pub const MAX_GENERATED_RECORDS: u32 = 1_000_000;

/// Order statuses in lifecycle order, as the generator emits them per key.
pub const ORDER_LIFECYCLE: [&str; 4] = ["Created", "Paid", "Shipped", "Delivered"];

/// Something a user (or a scenario) asks the simulation to do.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Command {
    /// Creates a topic.
    CreateTopic {
        /// The topic name.
        name: String,
        /// The partition count.
        partitions: u32,
        #[serde(default)]
        /// How keys map to partitions.
        partitioner: Partitioner,
    },
    /// Changes a topic's segment size, retention or unkeyed routing (`None`: unchanged).
    ConfigureTopic {
        /// The topic.
        topic: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        /// Records per log segment.
        segment_records: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        /// When old segments are deleted.
        retention: Option<Retention>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        /// How records without a key are spread.
        unkeyed: Option<UnkeyedStrategy>,
    },
    /// Grows a topic to `partitions` partitions; subscribed groups rebalance.
    AddPartitions {
        /// The topic.
        topic: String,
        /// The partition count.
        partitions: u32,
    },
    /// Appends one record directly (no producer: no acks, no retries).
    Produce {
        /// The topic.
        topic: String,
        /// `None`: no key, round-robin.
        #[serde(default)]
        key: Option<String>,
        /// The record's value.
        value: Payload,
    },
    /// Appends one record directly under headers the caller chooses: an outbox relay
    /// publishing a row whose event id was issued when the row was written
    /// ([`crate::process::Delivery::issue_event_id`]), possibly for the second time. The
    /// event id must be one this simulation issued
    /// ([`SimError::EventIdNotIssued`] otherwise), so fresh ids stay unique.
    ProduceWithHeaders {
        /// The topic.
        topic: String,
        #[serde(default)]
        /// The record key (`None`: no key).
        key: Option<String>,
        /// The record's value.
        value: Payload,
        /// The headers, event id included.
        headers: Headers,
    },
    /// Registers a producer with acks, retries and idempotence settings.
    CreateProducer {
        /// The settings.
        config: ProducerConfig,
    },
    /// Sends one record through a named producer.
    Send {
        /// The producer's name.
        producer: String,
        /// The topic.
        topic: String,
        #[serde(default)]
        /// The record key (`None`: no key).
        key: Option<String>,
        /// The record's value.
        value: Payload,
    },
    /// The next `count` acknowledgements to this producer get lost.
    LoseNextAcks {
        /// The producer's name.
        producer: String,
        /// Acknowledgements to lose.
        count: u32,
    },
    /// Creates a consumer group (no members yet).
    CreateGroup {
        /// The settings.
        config: GroupConfig,
    },
    /// Changes a group's speed settings while it runs (`None`: unchanged).
    ConfigureGroup {
        /// The group.
        group: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        /// Ticks spent per record (`None`: unchanged).
        processing_ticks_per_record: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        /// Records one poll returns at most (`None`: unchanged).
        max_poll_records: Option<u32>,
    },
    /// Gives one member its own processing time (`None`: back to the group's).
    ConfigureMember {
        /// The group.
        group: String,
        /// The member.
        member: MemberId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        /// Ticks spent per record (`None`: unchanged).
        processing_ticks_per_record: Option<u64>,
    },
    /// A member joins a group (starts a rebalance).
    JoinGroup {
        /// The group.
        group: String,
        /// The member.
        member: MemberId,
    },
    /// A member leaves gracefully (finishes its batch, commits, leaves; rebalance at once).
    LeaveGroup {
        /// The group.
        group: String,
        /// The member.
        member: MemberId,
    },
    /// A member crashes (noticed after the session timeout).
    KillMember {
        /// The group.
        group: String,
        /// The member.
        member: MemberId,
    },
    /// Resets a group's committed offsets (only while it has no members).
    ResetOffsets {
        /// The group.
        group: String,
        /// `None`: every subscribed topic.
        #[serde(default)]
        topic: Option<String>,
        /// Where to.
        spec: OffsetResetSpec,
    },
    /// Produces `count` order events keyed `{key_prefix}1..={keys}`, keys drawn from the
    /// simulation's RNG; each key walks through the order lifecycle.
    Generate {
        /// The topic.
        topic: String,
        /// Records to produce.
        count: u32,
        #[serde(default = "default_key_prefix")]
        /// Prefix of the generated keys.
        key_prefix: String,
        /// Keys are `{key_prefix}1` to `{key_prefix}{keys}`.
        keys: u32,
    },
    /// Produces `records_per_tick` such events every tick from now on (0 stops it).
    SetGenerator {
        /// The topic.
        topic: String,
        /// Records produced every tick.
        records_per_tick: u32,
        #[serde(default = "default_key_prefix")]
        /// Prefix of the generated keys.
        key_prefix: String,
        /// Keys are `{key_prefix}1` to `{key_prefix}{keys}`.
        keys: u32,
    },
}

fn default_key_prefix() -> String {
    "U".into()
}

/// Errors from applying a command.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum SimError {
    #[error("topic {0:?} does not exist")]
    /// No topic of that name.
    UnknownTopic(String),
    #[error("topic {0:?} already exists")]
    /// A topic of that name exists.
    TopicExists(String),
    #[error(transparent)]
    /// The topic refused it.
    Topic(#[from] TopicError),
    #[error("consumer group {0:?} does not exist")]
    /// No group of that name.
    UnknownGroup(String),
    #[error("consumer group {0:?} already exists")]
    /// A group of that name exists.
    GroupExists(String),
    #[error(transparent)]
    /// The group refused it.
    Group(#[from] GroupError),
    #[error("producer {0:?} does not exist")]
    /// No producer of that name.
    UnknownProducer(String),
    #[error("producer {0:?} already exists")]
    /// A producer of that name exists.
    ProducerExists(String),
    #[error(transparent)]
    /// The producer refused it.
    Producer(#[from] ProducerError),
    #[error("a generator needs at least 1 key, not {keys}")]
    /// A generator needs at least one key.
    NoKeys {
        /// Keys are `{key_prefix}1` to `{key_prefix}{keys}`.
        keys: u32,
    },
    #[error("at most {max} records per generate command or per tick, not {requested}")]
    /// More records than one command (or tick) may produce.
    TooManyRecords {
        /// What was asked for.
        requested: u32,
        /// The most allowed.
        max: u32,
    },
    #[error("event id {event_id} was never issued (the next one is {next_event_id})")]
    /// A record may only carry an event id the simulation issued.
    EventIdNotIssued {
        /// The id given.
        event_id: u64,
        /// The next id the simulation would issue.
        next_event_id: u64,
    },
}

/// A generator producing order events every tick.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Generator {
    /// Records produced every tick.
    pub records_per_tick: u32,
    /// Prefix of the generated keys.
    pub key_prefix: String,
    /// Keys are `{key_prefix}1` to `{key_prefix}{keys}`.
    pub keys: u32,
}

/// The parts of the simulation a group needs while it ticks (everything but the groups).
pub(crate) struct World<'a> {
    pub(crate) now: Tick,
    pub(crate) topics: &'a mut BTreeMap<String, Topic>,
    pub(crate) trace: &'a mut Trace,
    pub(crate) rng: &'a mut SimRng,
    pub(crate) next_event_id: &'a mut u64,
}

impl World<'_> {
    fn next_event_id(&mut self) -> EventId {
        let id = EventId(*self.next_event_id);
        *self.next_event_id += 1;
        id
    }

    /// Appends to a chosen partition, traces it and applies record-count retention when a
    /// new segment opens.
    #[allow(clippy::too_many_arguments)]
    fn append(
        &mut self,
        topic: &str,
        partition: PartitionId,
        routing: Option<crate::partitioner::Routing>,
        key: Option<String>,
        value: Payload,
        headers: Headers,
        producer: Option<&str>,
        attempt: u32,
        duplicate_of: Option<Offset>,
    ) -> Result<Offset, SimError> {
        let now = self.now;
        let t = self
            .topics
            .get_mut(topic)
            .ok_or_else(|| SimError::UnknownTopic(topic.to_string()))?;
        let event_id = headers.event_id;
        let offset = t.append_to(partition, key.clone(), value, now, headers)?;
        self.trace.push(TraceEvent::Produced {
            tick: now,
            topic: topic.to_string(),
            key,
            routing,
            partition,
            offset,
            event_id,
            producer: producer.map(str::to_string),
            attempt,
            duplicate_of,
        });
        let config = t.config();
        if offset.0 % config.segment_records == 0 && config.retention.records.is_some() {
            let log = t.partition_mut(partition).expect("partition exists");
            let deleted = log.apply_retention(now);
            if deleted > 0 {
                self.trace.push(TraceEvent::SegmentsDeleted {
                    tick: now,
                    topic: topic.to_string(),
                    partition,
                    segments: deleted,
                    log_start_offset: log.log_start_offset(),
                });
            }
        }
        Ok(offset)
    }

    /// Routes and appends a record with fresh headers.
    pub(crate) fn produce(
        &mut self,
        topic: &str,
        key: Option<String>,
        value: Payload,
        correlation_id: Option<String>,
        causation_id: Option<EventId>,
        schema_version: u16,
    ) -> Result<Produced, SimError> {
        self.produce_with(
            topic,
            key,
            value,
            None,
            correlation_id,
            causation_id,
            schema_version,
        )
    }

    /// Routes and appends a record under `event_id` (`None`: a fresh one). A given id must
    /// have been issued already, so it can never collide with a later fresh id.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn produce_with(
        &mut self,
        topic: &str,
        key: Option<String>,
        value: Payload,
        event_id: Option<EventId>,
        correlation_id: Option<String>,
        causation_id: Option<EventId>,
        schema_version: u16,
    ) -> Result<Produced, SimError> {
        if let Some(id) = event_id {
            if id.0 == 0 || id.0 >= *self.next_event_id {
                return Err(SimError::EventIdNotIssued {
                    event_id: id.0,
                    next_event_id: *self.next_event_id,
                });
            }
        }
        let t = self
            .topics
            .get_mut(topic)
            .ok_or_else(|| SimError::UnknownTopic(topic.to_string()))?;
        let (routing, partition) = t.route(key.as_deref(), self.rng);
        let headers = Headers {
            event_id: event_id.unwrap_or_else(|| self.next_event_id()),
            correlation_id,
            causation_id,
            schema_version,
        };
        let offset = self.append(
            topic,
            partition,
            routing.clone(),
            key,
            value,
            headers,
            None,
            1,
            None,
        )?;
        Ok(Produced {
            routing,
            partition,
            offset,
        })
    }

    /// Produces what a processor asked for.
    pub(crate) fn produce_outgoing(&mut self, out: OutgoingRecord) -> Result<Produced, SimError> {
        self.produce_with(
            &out.topic,
            out.key,
            out.payload,
            out.event_id,
            out.correlation_id,
            out.causation_id,
            out.schema_version,
        )
    }
}

/// The final state in a compact, serialisable form (the CLI's `--summary`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// The seed all randomness derives from.
    pub seed: u64,
    /// The tick the run ended at.
    pub tick: Tick,
    /// Every topic.
    pub topics: Vec<TopicSummary>,
    /// Every group.
    pub groups: Vec<GroupSummary>,
    /// Every producer.
    pub producers: Vec<ProducerSummary>,
    /// Number of trace events emitted.
    pub trace_events: u64,
}

/// A topic in a [`Summary`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopicSummary {
    /// The topic name.
    pub name: String,
    /// How keys map to partitions.
    pub partitioner: Partitioner,
    /// Per partition, the end offset (high watermark).
    pub end_offsets: Vec<u64>,
    /// Per partition, the log start offset.
    pub log_start_offsets: Vec<u64>,
}

/// A group in a [`Summary`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupSummary {
    /// The group id.
    pub name: String,
    /// Its state.
    pub state: crate::group::GroupState,
    /// Its generation.
    pub generation: i32,
    /// Member -> owned partitions.
    pub members: BTreeMap<MemberId, Vec<TopicPartition>>,
    /// Committed offset per partition.
    pub committed: BTreeMap<TopicPartition, Offset>,
    /// Per partition lag.
    pub lag: BTreeMap<TopicPartition, u64>,
    /// Lag summed over partitions.
    pub total_lag: u64,
    /// Records processed.
    pub processed: u64,
    /// Records processed again after a redelivery.
    pub duplicates: u64,
    /// Records committed but never processed.
    pub lost: u64,
    /// Records given up on.
    pub failed: u64,
    /// The processor's own snapshot, if it has one.
    #[serde(skip_serializing_if = "serde_json::Value::is_null", default)]
    pub processor: serde_json::Value,
}

/// A producer in a [`Summary`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProducerSummary {
    /// The producer's name.
    pub name: String,
    /// Whether it is idempotent.
    pub idempotent: bool,
    /// Running totals.
    pub counters: crate::producer::ProducerCounters,
}

/// A deterministic simulation instance.
pub struct Sim {
    seed: u64,
    now: Tick,
    rng: SimRng,
    topics: BTreeMap<String, Topic>,
    groups: BTreeMap<String, ConsumerGroup>,
    processors: BTreeMap<String, Box<dyn Processor>>,
    producers: BTreeMap<String, Producer>,
    generators: BTreeMap<String, Generator>,
    /// Per generated key: current order number and lifecycle index.
    order_state: BTreeMap<String, (u64, usize)>,
    next_order: u64,
    next_event_id: u64,
    next_producer_id: u64,
    /// Commands waiting for their tick.
    scheduled: BTreeMap<Tick, Vec<Command>>,
    record_history: bool,
    history: Vec<TimedCommand>,
    /// Group -> name of the processor a scenario gave it.
    processor_names: BTreeMap<String, String>,
    processor_factory: Option<crate::scenario::ProcessorFactory>,
    trace: Trace,
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
            processors: BTreeMap::new(),
            producers: BTreeMap::new(),
            generators: BTreeMap::new(),
            order_state: BTreeMap::new(),
            next_order: 1,
            next_event_id: 1,
            next_producer_id: 1000,
            scheduled: BTreeMap::new(),
            record_history: true,
            history: Vec::new(),
            processor_names: BTreeMap::new(),
            processor_factory: None,
            trace: Trace::default(),
        }
    }

    /// The seed all randomness derives from.
    pub fn seed(&self) -> u64 {
        self.seed
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
    pub fn lag_history(&self, group: &str) -> Option<&crate::lag::LagHistory> {
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
        &self.generators
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

    /// Registers the processor that a group's members run on each record.
    pub fn set_processor(
        &mut self,
        group: &str,
        processor: Box<dyn Processor>,
    ) -> Result<(), SimError> {
        if !self.groups.contains_key(group) {
            return Err(SimError::UnknownGroup(group.to_string()));
        }
        self.processors.insert(group.to_string(), processor);
        Ok(())
    }

    /// The processor registered for a group, if any.
    pub fn processor(&self, group: &str) -> Option<&dyn Processor> {
        self.processors.get(group).map(|p| p.as_ref())
    }

    fn world(&mut self) -> (World<'_>, &mut BTreeMap<String, ConsumerGroup>) {
        (
            World {
                now: self.now,
                topics: &mut self.topics,
                trace: &mut self.trace,
                rng: &mut self.rng,
                next_event_id: &mut self.next_event_id,
            },
            &mut self.groups,
        )
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

    /// Advances the logical clock by one tick and runs everything due.
    pub fn step(&mut self) {
        self.now = Tick(self.now.0 + 1);
        let generators: Vec<(String, Generator)> = self
            .generators
            .iter()
            .map(|(t, g)| (t.clone(), g.clone()))
            .collect();
        for (topic, g) in generators {
            // The topic exists: generators are only set on existing topics and topics are
            // never deleted.
            let _ = self.generate(&topic, g.records_per_tick, &g.key_prefix, g.keys);
        }
        let now = self.now;
        for (name, topic) in self.topics.iter_mut() {
            if topic.config().retention.ticks.is_none() {
                continue;
            }
            for p in 0..topic.partition_count() {
                let log = topic
                    .partition_mut(PartitionId(p))
                    .expect("partition exists");
                let deleted = log.apply_retention(now);
                if deleted > 0 {
                    self.trace.push(TraceEvent::SegmentsDeleted {
                        tick: now,
                        topic: name.clone(),
                        partition: PartitionId(p),
                        segments: deleted,
                        log_start_offset: log.log_start_offset(),
                    });
                }
            }
        }
        let Sim {
            groups,
            processors,
            topics,
            trace,
            rng,
            next_event_id,
            ..
        } = self;
        for (name, group) in groups.iter_mut() {
            let mut world = World {
                now,
                topics,
                trace,
                rng,
                next_event_id,
            };
            let processor = processors
                .get_mut(name)
                .map(|p| p.as_mut() as &mut dyn Processor);
            group.tick(&mut world, processor);
        }
        // Scheduled commands act at the end of their tick, exactly like a command a user
        // applies between two steps, so replaying the history reproduces the trace.
        if let Some(commands) = self.scheduled.remove(&now) {
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

    /// Steps until the clock reads `tick`.
    pub fn run_until(&mut self, tick: Tick) {
        while self.now < tick {
            self.step();
        }
    }

    fn generate(
        &mut self,
        topic: &str,
        count: u32,
        key_prefix: &str,
        keys: u32,
    ) -> Result<(), SimError> {
        if keys == 0 {
            return Err(SimError::NoKeys { keys });
        }
        if count > MAX_GENERATED_RECORDS {
            return Err(SimError::TooManyRecords {
                requested: count,
                max: MAX_GENERATED_RECORDS,
            });
        }
        if !self.topics.contains_key(topic) {
            return Err(SimError::UnknownTopic(topic.to_string()));
        }
        for _ in 0..count {
            let n = self.rng.below(u64::from(keys)) + 1;
            let key = format!("{key_prefix}{n}");
            let state = self
                .order_state
                .entry(key.clone())
                .or_insert((0, ORDER_LIFECYCLE.len() - 1));
            if state.1 + 1 == ORDER_LIFECYCLE.len() {
                *state = (self.next_order, 0);
                self.next_order += 1;
            } else {
                state.1 += 1;
            }
            let value = Payload::Order(OrderEvent {
                user_id: key.clone(),
                order_id: format!("O{}", state.0),
                status: ORDER_LIFECYCLE[state.1].to_string(),
            });
            let (mut world, _) = self.world();
            world.produce(topic, Some(key), value, None, None, 1)?;
        }
        Ok(())
    }

    fn group_mut(&mut self, name: &str) -> Result<(), SimError> {
        if self.groups.contains_key(name) {
            Ok(())
        } else {
            Err(SimError::UnknownGroup(name.to_string()))
        }
    }

    fn send(
        &mut self,
        producer: &str,
        topic: &str,
        key: Option<String>,
        value: Payload,
    ) -> Result<(), SimError> {
        let now = self.now;
        let p = self
            .producers
            .get_mut(producer)
            .ok_or_else(|| SimError::UnknownProducer(producer.to_string()))?;
        let t = self
            .topics
            .get_mut(topic)
            .ok_or_else(|| SimError::UnknownTopic(topic.to_string()))?;
        let (routing, partition) = t.route(key.as_deref(), &mut self.rng);
        p.counters.sends += 1;
        let tp = TopicPartition {
            topic: topic.to_string(),
            partition,
        };
        let sequence = if p.config.idempotent {
            let s = p.sequences.entry(tp).or_insert(0);
            let v = *s;
            *s += 1;
            Some(v)
        } else {
            None
        };
        let event_id = EventId(self.next_event_id);
        self.next_event_id += 1;
        let attempts = if p.config.acks == Acks::None {
            1
        } else {
            p.config.retries + 1
        };
        // Where the first attempt landed: a later attempt appended again is its duplicate.
        let mut first_offset: Option<Offset> = None;
        for attempt in 1..=attempts {
            let p = self.producers.get_mut(producer).expect("checked above");
            let pid = p.producer_id;
            let log = self.topics[topic].partition(partition).expect("routed");
            let offset = match sequence.map(|s| (s, log.check_sequence(pid, s))) {
                Some((s, SequenceCheck::Duplicate { offset })) => {
                    p.counters.duplicates_dropped += 1;
                    self.trace.push(TraceEvent::DuplicateDropped {
                        tick: now,
                        producer: producer.to_string(),
                        producer_id: pid,
                        sequence: s,
                        topic: topic.to_string(),
                        partition,
                        offset,
                        attempt,
                    });
                    offset
                }
                _ => {
                    p.counters.appended += 1;
                    let headers = Headers {
                        event_id,
                        correlation_id: None,
                        causation_id: None,
                        schema_version: 1,
                    };
                    let (mut world, _) = self.world();
                    let offset = world.append(
                        topic,
                        partition,
                        routing.clone(),
                        key.clone(),
                        value.clone(),
                        headers,
                        Some(producer),
                        attempt,
                        first_offset,
                    )?;
                    if let Some(s) = sequence {
                        self.topics
                            .get_mut(topic)
                            .and_then(|t| t.partition_mut(partition))
                            .expect("routed")
                            .record_sequence(pid, s, offset);
                    }
                    offset
                }
            };
            first_offset.get_or_insert(offset);
            let p = self.producers.get_mut(producer).expect("checked above");
            if p.config.acks == Acks::None {
                break;
            }
            let lost = if p.lose_next_acks > 0 {
                p.lose_next_acks -= 1;
                true
            } else {
                p.config.ack_loss_probability > 0.0
                    && self.rng.chance(p.config.ack_loss_probability)
            };
            if !lost {
                break;
            }
            p.counters.acks_lost += 1;
            self.trace.push(TraceEvent::AckLost {
                tick: now,
                producer: producer.to_string(),
                topic: topic.to_string(),
                partition,
                offset,
                attempt,
            });
            if attempt == attempts {
                p.counters.failed += 1;
                self.trace.push(TraceEvent::SendFailed {
                    tick: now,
                    producer: producer.to_string(),
                    topic: topic.to_string(),
                    partition,
                    attempts,
                });
            } else {
                p.counters.retries += 1;
            }
        }
        Ok(())
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

    /// This session as a scenario: the seed, the history, and the processors registered
    /// through a scenario (by name). Running it for [`Sim::now`] ticks reproduces the trace.
    pub fn to_scenario(&self, name: &str, description: &str) -> Scenario {
        Scenario {
            name: name.to_string(),
            description: description.to_string(),
            seed: self.seed,
            ticks: Some(self.now.0),
            topics: Vec::new(),
            producers: Vec::new(),
            groups: Vec::new(),
            commands: self.history.clone(),
            processors: self.processor_names.clone(),
        }
    }

    /// Sets how processors are built by name and which group runs which; a group named
    /// here gets its processor when it is created.
    pub fn set_processor_factory(
        &mut self,
        factory: crate::scenario::ProcessorFactory,
        names: BTreeMap<String, String>,
    ) {
        self.processor_factory = Some(factory);
        self.processor_names = names;
    }

    fn apply_unrecorded(&mut self, command: Command) -> Result<(), SimError> {
        let now = self.now;
        match command {
            Command::CreateTopic {
                name,
                partitions,
                partitioner,
            } => {
                if self.topics.contains_key(&name) {
                    return Err(SimError::TopicExists(name));
                }
                let topic = Topic::new(name.clone(), partitions, partitioner)?;
                self.topics.insert(name.clone(), topic);
                self.trace.push(TraceEvent::TopicCreated {
                    tick: now,
                    topic: name.clone(),
                    partitions,
                    partitioner,
                });
                // Groups already subscribed to this name see it appear on a metadata refresh.
                let (mut world, groups) = self.world();
                for group in groups.values_mut() {
                    group.topic_metadata_changed(&mut world, &name, partitions);
                }
            }
            Command::ConfigureTopic {
                topic,
                segment_records,
                retention,
                unkeyed,
            } => {
                let t = self
                    .topics
                    .get_mut(&topic)
                    .ok_or_else(|| SimError::UnknownTopic(topic.clone()))?;
                let old = t.config();
                let config = LogConfig {
                    segment_records: segment_records.unwrap_or(old.segment_records),
                    retention: retention.unwrap_or(old.retention),
                };
                t.set_config(config)?;
                if let Some(strategy) = unkeyed {
                    t.set_unkeyed_strategy(strategy);
                }
                self.trace.push(TraceEvent::TopicConfigured {
                    tick: now,
                    topic: topic.clone(),
                    segment_records: config.segment_records,
                    retention_records: config.retention.records,
                    retention_ticks: config.retention.ticks,
                    unkeyed: t.unkeyed_router().strategy(),
                });
                let t = self.topics.get_mut(&topic).expect("exists");
                for p in 0..t.partition_count() {
                    let log = t.partition_mut(PartitionId(p)).expect("partition exists");
                    let deleted = log.apply_retention(now);
                    if deleted > 0 {
                        self.trace.push(TraceEvent::SegmentsDeleted {
                            tick: now,
                            topic: topic.clone(),
                            partition: PartitionId(p),
                            segments: deleted,
                            log_start_offset: log.log_start_offset(),
                        });
                    }
                }
            }
            Command::AddPartitions { topic, partitions } => {
                let t = self
                    .topics
                    .get_mut(&topic)
                    .ok_or_else(|| SimError::UnknownTopic(topic.clone()))?;
                let from = t.partition_count();
                t.add_partitions(partitions)?;
                self.trace.push(TraceEvent::PartitionsAdded {
                    tick: now,
                    topic: topic.clone(),
                    from,
                    to: partitions,
                });
                let (mut world, groups) = self.world();
                for group in groups.values_mut() {
                    group.topic_metadata_changed(&mut world, &topic, partitions);
                }
            }
            Command::Produce { topic, key, value } => {
                let (mut world, _) = self.world();
                world.produce(&topic, key, value, None, None, 1)?;
            }
            Command::ProduceWithHeaders {
                topic,
                key,
                value,
                headers,
            } => {
                let (mut world, _) = self.world();
                world.produce_with(
                    &topic,
                    key,
                    value,
                    Some(headers.event_id),
                    headers.correlation_id,
                    headers.causation_id,
                    headers.schema_version,
                )?;
            }
            Command::CreateProducer { config } => {
                if self.producers.contains_key(&config.name) {
                    return Err(SimError::ProducerExists(config.name));
                }
                let id = ProducerId(self.next_producer_id);
                let name = config.name.clone();
                let producer = Producer::new(config, id)?;
                self.next_producer_id += 1;
                self.producers.insert(name, producer);
            }
            Command::Send {
                producer,
                topic,
                key,
                value,
            } => self.send(&producer, &topic, key, value)?,
            Command::LoseNextAcks { producer, count } => {
                let p = self
                    .producers
                    .get_mut(&producer)
                    .ok_or(SimError::UnknownProducer(producer))?;
                p.lose_next_acks = p.lose_next_acks.saturating_add(count);
            }
            Command::CreateGroup { config } => {
                if self.groups.contains_key(&config.name) {
                    return Err(SimError::GroupExists(config.name));
                }
                let name = config.name.clone();
                let topics = config.topics.clone();
                let protocol = config.protocol();
                let group = ConsumerGroup::new(config)?;
                self.groups.insert(name.clone(), group);
                let built = self.processor_factory.zip(self.processor_names.get(&name));
                if let Some(processor) = built.and_then(|(factory, p)| factory(p)) {
                    self.processors.insert(name.clone(), processor);
                }
                self.trace.push(TraceEvent::GroupCreated {
                    tick: now,
                    group: name,
                    topics,
                    protocol,
                });
            }
            Command::ConfigureGroup {
                group,
                processing_ticks_per_record,
                max_poll_records,
            } => {
                self.group_mut(&group)?;
                self.groups
                    .get_mut(&group)
                    .expect("checked")
                    .configure(processing_ticks_per_record, max_poll_records)?;
            }
            Command::ConfigureMember {
                group,
                member,
                processing_ticks_per_record,
            } => {
                self.group_mut(&group)?;
                self.groups
                    .get_mut(&group)
                    .expect("checked")
                    .configure_member(&member, processing_ticks_per_record)?;
            }
            Command::JoinGroup { group, member } => {
                self.group_mut(&group)?;
                let (mut world, groups) = self.world();
                groups
                    .get_mut(&group)
                    .expect("checked")
                    .join(&mut world, member)?;
            }
            Command::LeaveGroup { group, member } => {
                self.group_mut(&group)?;
                let (mut world, groups) = self.world();
                groups
                    .get_mut(&group)
                    .expect("checked")
                    .leave(&mut world, &member)?;
            }
            Command::KillMember { group, member } => {
                self.group_mut(&group)?;
                let (mut world, groups) = self.world();
                groups
                    .get_mut(&group)
                    .expect("checked")
                    .kill(&mut world, &member)?;
            }
            Command::ResetOffsets { group, topic, spec } => {
                self.group_mut(&group)?;
                let (mut world, groups) = self.world();
                groups.get_mut(&group).expect("checked").reset_offsets(
                    &mut world,
                    topic.as_deref(),
                    spec,
                )?;
            }
            Command::Generate {
                topic,
                count,
                key_prefix,
                keys,
            } => self.generate(&topic, count, &key_prefix, keys)?,
            Command::SetGenerator {
                topic,
                records_per_tick,
                key_prefix,
                keys,
            } => {
                if keys == 0 {
                    return Err(SimError::NoKeys { keys });
                }
                if records_per_tick > MAX_GENERATED_RECORDS {
                    return Err(SimError::TooManyRecords {
                        requested: records_per_tick,
                        max: MAX_GENERATED_RECORDS,
                    });
                }
                if !self.topics.contains_key(&topic) {
                    return Err(SimError::UnknownTopic(topic));
                }
                if records_per_tick == 0 {
                    self.generators.remove(&topic);
                } else {
                    self.generators.insert(
                        topic,
                        Generator {
                            records_per_tick,
                            key_prefix,
                            keys,
                        },
                    );
                }
            }
        }
        Ok(())
    }

    /// The final state in compact form.
    pub fn summary(&self) -> Summary {
        let topics = self
            .topics
            .values()
            .map(|t| TopicSummary {
                name: t.name().to_string(),
                partitioner: t.partitioner(),
                end_offsets: t
                    .partitions()
                    .iter()
                    .map(|p| p.high_watermark().0)
                    .collect(),
                log_start_offsets: t
                    .partitions()
                    .iter()
                    .map(|p| p.log_start_offset().0)
                    .collect(),
            })
            .collect();
        let groups = self
            .groups
            .values()
            .map(|g| {
                let s = g.snapshot(&self.topics);
                GroupSummary {
                    name: s.name.clone(),
                    state: s.state,
                    generation: s.generation,
                    members: s
                        .members
                        .iter()
                        .map(|m| (m.id.clone(), m.owned.clone()))
                        .collect(),
                    committed: g.committed_offsets().clone(),
                    lag: s
                        .partitions
                        .iter()
                        .map(|p| (p.partition.clone(), p.lag))
                        .collect(),
                    total_lag: s.total_lag,
                    processed: s.counters.processed,
                    duplicates: s.counters.duplicates,
                    lost: s.counters.lost,
                    failed: s.counters.failed,
                    processor: self
                        .processors
                        .get(&s.name)
                        .map(|p| p.snapshot())
                        .unwrap_or(serde_json::Value::Null),
                }
            })
            .collect();
        let producers = self
            .producers
            .values()
            .map(|p| ProducerSummary {
                name: p.config.name.clone(),
                idempotent: p.config.idempotent,
                counters: p.counters,
            })
            .collect();
        Summary {
            seed: self.seed,
            tick: self.now,
            topics,
            groups,
            producers,
            trace_events: self.trace.end_index(),
        }
    }
}

#[cfg(test)]
mod tests;
