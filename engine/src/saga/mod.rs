//! The order saga and the event-driven patterns around it.
//!
//! Services of an e-commerce order flow (Order, Inventory, Payment, Shipping, Notification,
//! Analytics) are pure reactors (`handle(now, mode, envelope, injected) -> Reaction`) over
//! records of partitioned topics, keyed by order id. Two drivers run them:
//!
//! - [`streaming::StreamingSaga`]: each service (and each CQRS projection) is a consumer
//!   group of the streaming engine's [`crate::sim::Sim`], running as the group's
//!   [`crate::process::Processor`]; saga messages are [`crate::log::Payload::Saga`] records,
//!   so they are subject to assignment, rebalances, commit policies and redelivery. Crashes
//!   kill a member mid-record, the outbox relay re-publishes under the original event id,
//!   and slow services are slow groups.
//! - [`driver::SagaSim`]: the saga's own partitioned topics (Kafka's murmur2 routing) with a
//!   consumer cursor per service and partition, no rebalances: the same patterns (outbox
//!   with its relay, crashes between state change and publish or between publish and
//!   commit, slow services) in a smaller model that is quicker to follow.
//!
//! The building blocks:
//!
//! - [`message`]: the domain's commands and events, with their headers (event id,
//!   correlation id, causation id, schema version) and the v1 → v2 upcaster.
//! - [`services`]: the services' state and handlers, for orchestration and choreography.
//! - [`orchestrator`]: the orchestrated saga, a state machine folded from an append-only saga
//!   log (`match (state, event)`), compensating completed steps in reverse; illegal
//!   transitions are typed errors carrying the state and the event.
//! - [`retry`]: the retry schedule (immediately, 1 s, 5 s, 30 s, 2 min) and dead letters for
//!   `<topic>.DLQ`.
//! - [`inbox`] and [`outbox`]: idempotent consumers and the transactional outbox.
//! - [`event_store`]: the event-sourced Order aggregate with optimistic concurrency,
//!   snapshots and upcasting.
//! - [`projection`]: CQRS read models fed from the log, rebuildable by replay.
//! - [`faults`]: failure injection, deterministic from the seed.
//! - [`trace`]: the typed saga trace events.
//! - [`scenario`]: the seed documents' order flows as named, serialisable scenarios (the UI
//!   presets and `orderflow-cli saga`), and [`scenario::SagaRun`] to run either driver.
//!
//! The invariants (settling after faults stop, reverse compensation, stock and money
//! conservation, outbox completeness, no lost dead letters, projections equal to their
//! replay) are property tests over random seeds and fault schedules, on both drivers.

pub mod driver;
pub mod event_store;
pub mod faults;
pub mod inbox;
#[cfg(test)]
mod invariants;
pub mod message;
pub mod orchestrator;
pub mod outbox;
pub mod projection;
pub mod retry;
pub mod scenario;
pub mod services;
pub mod streaming;
pub mod trace;
