//! # orderflow-engine
//!
//! A deterministic simulation of the parts of an event-driven order system that people
//! usually only read about: partitioned append-only logs, keyed routing, consumer groups and
//! sagas. The browser playground and the command-line tool both drive this crate.
//!
//! ## Map of the crate
//! Data, from the bottom up:
//! - [`ids`]: newtypes for the vocabulary (`PartitionId`, `Offset`, `Tick`, `MemberId`,
//!   `EventId`, `ProducerId`).
//! - [`log`]: one partition's append-only log of [`log::Record`]s (offset, key,
//!   [`log::Payload`], timestamp tick, [`log::Headers`] with event, correlation and causation
//!   ids and schema version); high watermark, log start offset, segments and retention.
//! - [`partitioner`]: how a record's key picks its partition, bit-for-bit like the real
//!   clients (Kafka's murmur2, librdkafka's crc32, Azure Event Hubs' lookup3), and how
//!   records without a key are spread (round-robin, Kafka's sticky batches).
//! - [`topic`]: a named set of partition logs plus its partitioner and unkeyed router.
//! - [`cluster`]: the brokers under the topics: [`cluster::placement`], which brokers hold
//!   each partition's replicas (leader first), exactly as Kafka's
//!   `AdminUtils.assignReplicasToBrokers` places them, with or without racks; and
//!   [`cluster::replication`], brokers dying and restarting, leader elections, the ISR,
//!   high watermarks, `acks` and `min.insync.replicas`, and the records a failover loses
//!   (not yet driven by [`sim`]).
//!
//! Who writes and who reads:
//! - [`producer`]: acks, retries after lost acknowledgements, and idempotence (producer id
//!   and sequence numbers) that stops retries from duplicating records.
//! - [`group`]: consumer groups: members joining, leaving and dying, rebalances with
//!   generations (eager or cooperative), polls, processing time, commit policies
//!   (auto-commit, at-least-once, at-most-once), redelivery and loss, lag, offset resets.
//! - [`assignor`]: which member of a group consumes which partition, like Kafka's assignors
//!   (static members, `group.instance.id`, ordered by their instance id).
//! - [`process`]: the hook that makes a group a service: a [`process::Processor`] gets each
//!   record and returns the records to produce.
//!
//! Running it:
//! - [`sim`]: the simulation you drive with [`sim::Command`]s and [`sim::Sim::step`]; it owns
//!   the logical clock and the RNG and emits [`trace::TraceEvent`]s.
//! - [`trace`]: the typed events and the bounded buffer the UI reads with
//!   [`sim::Sim::trace_since`].
//! - [`lag`]: lag sampled every tick into a bounded, downsampling history for charts.
//! - [`scenario`]: a whole session as JSON (setup, seed, timed commands) and the presets from
//!   the seed documents.
//! - [`rng`]: the one seeded random generator the simulation owns.
//!
//! The order saga on top:
//! - [`saga`]: Order, Inventory, Payment, Shipping, Notification and Analytics services as
//!   pure reactors; the orchestrated saga (state machine folded from a saga log) and the
//!   choreographed one; retries, dead letters, inbox, outbox, the event-sourced Order
//!   aggregate, CQRS projections, fault injection and the seed documents' order flows as
//!   named scenarios. [`saga::streaming`] runs the services as consumer groups of a
//!   [`sim::Sim`].
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
pub mod group;
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
pub mod topic;
pub mod trace;
