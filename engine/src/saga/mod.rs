//! The order saga and the event-driven patterns around it.
//!
//! Services of an e-commerce order flow (Order, Inventory, Payment, Shipping, Notification,
//! Analytics) are pure reactors over records of partitioned topics. On top of them:
//!
//! - [`message`]: the domain's commands and events, with their headers (event id,
//!   correlation id, causation id, schema version) and the v1 → v2 upcaster.
//! - [`orchestrator`]: the orchestrated saga, a state machine folded from an append-only saga
//!   log, compensating completed steps in reverse; illegal transitions are typed errors.
//! - [`retry`]: the retry schedule (immediately, 1 s, 5 s, 30 s, 2 min) and dead letters.
//! - [`inbox`] and [`outbox`]: idempotent consumers and the transactional outbox.
//! - [`event_store`]: the event-sourced Order aggregate with optimistic concurrency,
//!   snapshots and upcasting.
//! - [`projection`]: CQRS read models fed from the log, rebuildable by replay.

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
