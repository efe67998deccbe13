//! # orderflow-engine
//!
//! A deterministic simulation of the parts of an event-driven order system that people
//! usually only read about: partitioned append-only logs, keyed routing, consumer groups and
//! sagas. The browser playground and the command-line tool both drive this crate.
//!
//! ## Map of the crate, bottom-up
//! Each layer uses only the layers below it, never one above (ARCHITECTURE.md, "Layers",
//! says why; `scripts/module_layers.py` checks it).
//!
//! 0. Words and chance:
//!    - [`ids`]: newtypes for the vocabulary (`PartitionId`, `Offset`, `Tick`, `MemberId`,
//!      `EventId`, `ProducerId`).
//!    - [`rng`]: the one seeded random generator the simulation owns.
//! 1. Pure building blocks:
//!    - [`log`]: one partition's append-only log of [`log::Record`]s (offset, key,
//!      [`log::Payload`], timestamp tick, [`log::Headers`] with event, correlation and
//!      causation ids and schema version); high watermark, log start offset, segments and
//!      retention.
//!    - [`partitioner`]: how a record's key picks its partition, bit-for-bit like the real
//!      clients (Kafka's murmur2, librdkafka's crc32, Azure Event Hubs' lookup3), and how
//!      records without a key are spread (round-robin, Kafka's sticky batches).
//!    - [`assignor`]: which member of a group consumes which partition, like Kafka's
//!      assignors (a pure function of the members and topics; static members,
//!      `group.instance.id`, ordered by their instance id).
//!    - [`group_protocol`]: the consumer-group protocol's words the trace and the groups
//!      share (eager or cooperative, why a rebalance or a commit happened, offset resets).
//!    - [`lag`]: lag sampled every tick into a bounded, downsampling history for charts.
//! 2. Topics, brokers and the processing hook:
//!    - [`topic`]: a named set of partition logs with its partitioner, unkeyed router and
//!      record key field; [`topic::TopicSpec`] describes one.
//!    - [`cluster`]: the brokers under the topics: [`cluster::placement`], which brokers
//!      hold each partition's replicas (leader first), exactly as Kafka's
//!      `AdminUtils.assignReplicasToBrokers` places them, with or without racks; and
//!      [`cluster::replication`], brokers dying and restarting, leader elections, the ISR,
//!      high watermarks, `acks` and `min.insync.replicas`, and the records a failover
//!      loses (driven by [`sim`] once brokers are set; without them one implicit broker).
//!    - [`process`]: the hook that makes a group a service: a [`process::Processor`] gets
//!      each record and returns the records to produce; a [`process::Processors`] set,
//!      lent to a step, gives each group its processor.
//! 3. [`trace`]: the typed events (the cluster's among them) and the bounded buffer the UI
//!    reads with [`sim::Sim::trace_since`].
//! 4. The tick context (`world`, crate-private): what a group, a producer or the generator
//!    may touch while it acts (clock, topics, trace, RNG, event ids, the brokers), and the
//!    one way records are appended and traced: with brokers, a record enters its topic's
//!    log only once committed (below the high watermark).
//! 5. The actors:
//!    - [`producer`]: acks, retries after lost acknowledgements, and idempotence (producer
//!      id and sequence numbers) that stops retries from duplicating records.
//!    - [`group`]: consumer groups: members joining (static ones with a
//!      `group.instance.id`), leaving and dying, rebalances with
//!      generations (eager or cooperative), polls, processing time, commit policies
//!      (auto-commit, at-least-once, at-most-once), redelivery and loss, lag, offset resets.
//!    - [`generator`]: order events for many keys, each key walking the order lifecycle,
//!      with hot-key skew, keyed by the topic's key field; chunk-invariant.
//! 6. [`command`]: what a user or a scenario asks for ([`command::Command`]), at a tick
//!    ([`command::TimedCommand`]), and why it is refused ([`command::SimError`]).
//! 7. [`sim`]: the simulation you drive with commands and [`sim::Sim::step`]; it owns the
//!    logical clock, the RNG and every actor, and emits [`trace::TraceEvent`]s.
//! 8. [`saga`]: Order, Inventory, Payment, Shipping, Notification and Analytics services
//!    as pure reactors; the orchestrated saga (state machine folded from a saga log) and
//!    the choreographed one; retries, dead letters, inbox, outbox, the event-sourced Order
//!    aggregate, CQRS projections and fault injection. [`saga::streaming`] runs the
//!    services as consumer groups of a [`sim::Sim`] it is handed.
//! 9. [`scenario`]: a whole session as one JSON document (setup, the saga if any, seed,
//!    timed commands), the [`scenario::System`] that runs it, and the scenarios under
//!    `scenarios/` compiled in.
//!
//! One edge still points up: [`log::Payload`] carries the saga's messages
//! ([`saga::message`], [`saga::retry::DeadLetter`]), which use only [`ids`]; file by file
//! there is no circle, and those types belong below the log once the saga's vocabulary
//! moves out of `saga/`.
//!
//! ## Rules (see ARCHITECTURE.md for why)
//! - No wall clock and no OS randomness: time is [`ids::Tick`], randomness comes from one
//!   seeded generator owned by the simulation.
//! - Ordered collections wherever iteration order reaches output, so the same seed and
//!   commands always give the same trace.
//! - Operating errors are typed `Result`s carrying their numbers; broken invariants are
//!   assertions.

// Every public item is documented, so `cargo doc` reads as a map of the concepts; CI's
// `-D warnings` keeps it so.
#![warn(missing_docs)]

pub mod assignor;
pub mod cluster;
pub mod command;
pub mod generator;
pub mod group;
pub mod group_protocol;
pub mod ids;
pub mod lag;
pub mod log;
pub mod partitioner;
pub mod process;
pub mod producer;
pub mod rng;
pub mod saga;
pub mod scenario;
pub mod sim;
pub mod sort;
pub mod topic;
pub mod trace;
pub mod wire;
pub(crate) mod world;
