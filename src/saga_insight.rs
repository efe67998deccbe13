//! What the page shows of the inside of the order saga, in plain Rust (no Leptos), read
//! from the engine's [`SagaView`](orderflow_engine::saga::streaming::SagaView) and never
//! worked out here:
//! - `read_models.rs`: the CQRS projections with their lag behind the events topic and their
//!   last rebuild;
//! - `order_events.rs`: one order's event-sourced stream with versions, schema versions and
//!   upcasts, snapshots and optimistic-concurrency retries, and its state replayed up to a
//!   version, from scratch or from its latest snapshot;
//! - `correlation.rs`: one order's records across every topic, in the order they were
//!   written, with their correlation id, what caused each and the groups that have read it;
//! - `styles.rs`: the same run orchestrated and choreographed, the messages each sent;
//! - `state_machine.rs`: the orchestrator's state machine drawn from the engine's table,
//!   with one saga's state and path on it (for choreography, the events that drove it).

mod correlation;
mod order_events;
mod read_models;
mod state_machine;
mod styles;

pub use correlation::{correlation_rows, CorrelationRow};
pub use order_events::{
    order_ids, order_ids_key, order_stream, replay_progress, replayed_from_snapshot,
    replayed_state, OrderStream, StreamRow,
};
pub use read_models::{projection_label, read_model_rows, ReadModelRow};
pub use state_machine::{
    driving_events, state_machine, Arrow, StateBox, StateMachine, BOX_HEIGHT, BOX_WIDTH, HEIGHT,
    WIDTH,
};
pub use styles::{compare_styles, StyleComparison, StyleRow};

/// Cents as people read money: `2500` is "25.00".
pub fn cents(amount: u64) -> String {
    format!("{}.{:02}", amount / 100, amount % 100)
}

#[cfg(test)]
mod tests;
