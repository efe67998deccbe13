//! The order saga and the event-driven patterns around it.
//!
//! Services of an e-commerce order flow (Order, Inventory, Payment, Shipping, Notification,
//! Analytics) are pure reactors (`handle(now, mode, envelope, injected) -> Reaction`) over
//! records of partitioned topics, keyed by order id. They run on the streaming engine
//! ([`streaming::Saga`]): each service (and each CQRS projection) is a consumer
//! group of a [`crate::sim::Sim`], running as the group's [`crate::process::Processor`];
//! saga messages are [`crate::log::Payload::Saga`] records, so they are subject to
//! assignment, rebalances, commit policies and redelivery. Crashes kill a member
//! mid-record, the outbox relay re-publishes under the original event id, and slow
//! services are slow groups.
//!
//! The building blocks, bottom up:
//!
//! - [`message`]: the domain's commands and events, with their headers (event id,
//!   correlation id, causation id, schema version) and the v1 → v2 upcaster.
//! - [`event_store`]: the event-sourced Order aggregate with optimistic concurrency,
//!   snapshots and upcasting.
//! - [`orchestrator`]: the orchestrated saga, a state machine folded from an append-only saga
//!   log (`match (state, event)`), compensating completed steps in reverse; illegal
//!   transitions are typed errors carrying the state and the event.
//! - [`projection`]: CQRS read models fed from the log, rebuildable by replay.
//! - [`order_stream`]: a stream of orders every tick, customers, products and quantities
//!   drawn from the simulation's RNG (`set_order_stream`).
//! - [`services`]: the services' state and handlers, for orchestration and choreography.
//! - [`retry`]: the retry schedule (immediately, 1 s, 5 s, 30 s, 2 min) and dead letters for
//!   `<topic>.DLQ`.
//! - [`inbox`] and [`outbox`]: idempotent consumers and the transactional outbox.
//! - [`faults`]: failure injection, deterministic from the seed.
//! - [`trace`]: the typed saga trace events.
//! - [`config`] and [`command`]: how a run is set up (and the one place a setup is
//!   checked), and what is asked of it (orders, resubmissions, the UI's commands).
//! - [`react`]: every service's state and handing one record to one service.
//! - [`choreography`]: the choreographed saga as folded from the events topic.
//! - [`summary`] and [`invariants`]: what a run comes to, and the checks it must pass.
//! - [`streaming`]: the saga on consumer groups.
//!
//! A scenario with a `saga` section ([`crate::scenario::Scenario`]) sets one up; the seed
//! documents' order flows are such scenarios (`scenarios/saga-*.json`,
//! [`crate::scenario::saga_presets`]).
//!
//! The invariants (settling after faults stop, reverse compensation, stock and money
//! conservation, outbox completeness, no lost dead letters, projections equal to their
//! replay, determinism) are property tests over random seeds and fault schedules.

pub mod choreography;
pub mod command;
pub mod config;
pub mod event_store;
pub mod faults;
pub mod inbox;
pub mod invariants;
pub mod message;
pub mod orchestrator;
pub mod order_stream;
pub mod outbox;
pub mod projection;
#[cfg(test)]
mod properties;
pub mod react;
pub mod retry;
pub mod services;
pub mod streaming;
pub mod summary;
pub mod trace;
