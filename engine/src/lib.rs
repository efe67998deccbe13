//! # orderflow-engine
//!
//! A deterministic simulation of the parts of an event-driven order system that people
//! usually only read about: partitioned append-only logs, keyed routing, consumer groups and
//! (later) sagas. The browser playground and the command-line tool both drive this crate.
//!
//! ## Map of the crate
//! - [`ids`]: newtypes for the vocabulary (`PartitionId`, `Offset`, `Tick`, ...).
//! - [`partitioner`]: how a record's key picks its partition, bit-for-bit like the real
//!   clients (Kafka's murmur2, librdkafka's crc32, Azure Event Hubs' lookup3), and how
//!   records without a key are spread (round-robin, Kafka's sticky batches).
//! - [`log`]: one partition's append-only log of [`log::Record`]s.
//! - [`topic`]: a named set of partition logs plus its partitioner.
//! - [`assignor`]: which member of a group consumes which partition, like Kafka's assignors.
//! - [`rng`]: the one seeded random generator the simulation owns.
//! - [`sim`]: the simulation you drive with [`sim::Command`]s; it owns the logical clock
//!   and emits [`sim::TraceEvent`]s that the UI animates and the tests read.
//!
//! ## Rules (see ARCHITECTURE.md for why)
//! - No wall clock and no OS randomness: time is [`ids::Tick`], randomness comes from one
//!   seeded generator owned by the simulation.
//! - Ordered collections wherever iteration order reaches output, so the same seed and
//!   commands always give the same trace.
//! - Operating errors are typed `Result`s carrying their numbers; broken invariants are
//!   assertions.

pub mod assignor;
pub mod group;
pub mod ids;
pub mod lag;
pub mod log;
pub mod partitioner;
pub mod process;
pub mod producer;
pub mod rng;
pub mod saga;
pub mod sim;
pub mod topic;
pub mod trace;
