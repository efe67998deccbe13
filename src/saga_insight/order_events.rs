//! Event sourcing: one order's stream in the Order service's event store, as stored (with
//! versions and schema versions) and as read (upcast), its snapshots and the
//! optimistic-concurrency conflicts its writers met, and its state replayed event by event.

use super::cents;
use orderflow_engine::saga::event_store::{upcast, OrderAggregate, OrderDomainEvent, StoredEvent};
use orderflow_engine::saga::message::OrderId;
use orderflow_engine::saga::streaming::SagaView;
use orderflow_engine::saga::trace::SagaTraceEvent;
use std::collections::BTreeSet;

/// One stored event as its row shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamRow {
    /// 1-based position in the stream.
    pub version: u64,
    pub tick: u64,
    /// The event's type name.
    pub event: &'static str,
    /// What it says ("25.00", the reason, the note).
    pub detail: String,
    /// "v2", or "v1, read as v2 (currency USD)" when the upcaster changes it.
    pub schema: String,
    /// The event store snapshotted the aggregate at this version.
    pub snapshot: bool,
}

/// One order's stream and what the store did with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderStream {
    pub rows: Vec<StreamRow>,
    /// Each optimistic-concurrency conflict, in words (the writer reloaded and retried).
    pub conflicts: Vec<String>,
    /// How loading the order runs now: from the latest snapshot, or the whole stream.
    pub load: String,
    /// The version of the store's latest snapshot of the order, if it has one.
    pub snapshot: Option<u64>,
}

/// The orders with a stream in the event store, in the order they arrived (the tick of
/// their first event, then their id): a new order comes last, so a list of them (the
/// order selects) grows at its end instead of being reshuffled.
pub fn order_ids(saga: &SagaView<'_>) -> Vec<String> {
    let store = &saga.world().services.order.store;
    let mut ids: Vec<(u64, &OrderId)> = store
        .order_ids()
        .map(|id| (store.stream(id).first().map_or(u64::MAX, |e| e.tick.0), id))
        .collect();
    orderflow_engine::sort::sort(&mut ids);
    ids.into_iter().map(|(_, id)| id.0.clone()).collect()
}

/// What tells the run's order ids apart without listing them: how many there are, the
/// first and the last. Orders only gain a stream while a run goes on (none is dropped), so
/// within one rebuild of the run (the playground's epoch) the same count is the same ids.
pub fn order_ids_key(saga: &SagaView<'_>) -> (usize, Option<String>, Option<String>) {
    let store = &saga.world().services.order.store;
    let mut ids = store.order_ids();
    let first = ids.next().map(|id| id.0.clone());
    let last = ids
        .next_back()
        .map(|id| id.0.clone())
        .or_else(|| first.clone());
    (store.order_count(), first, last)
}

/// `order_id`'s stream, or `None` when it has none.
pub fn order_stream(saga: &SagaView<'_>, order_id: &str) -> Option<OrderStream> {
    let id = OrderId(order_id.to_string());
    let store = &saga.world().services.order.store;
    let loaded = store.load(&id).ok()?;
    let mut snapshots = BTreeSet::new();
    let mut conflicts = Vec::new();
    for event in saga.order_trace(&id) {
        match event {
            SagaTraceEvent::SnapshotTaken {
                order_id, version, ..
            } if *order_id == id => {
                snapshots.insert(*version);
            }
            SagaTraceEvent::ConcurrencyConflict {
                tick,
                order_id,
                expected_version,
                actual_version,
            } if *order_id == id => conflicts.push(format!(
                "Tick {}: a write expected version {expected_version} but the stream was at version {actual_version}; the writer reloaded and retried.",
                tick.0
            )),
            _ => {}
        }
    }
    let rows = store
        .stream(&id)
        .iter()
        .map(|stored| stream_row(stored, snapshots.contains(&stored.version)))
        .collect();
    let load = if loaded.snapshot_version > 0 {
        format!(
            "Loading starts from the snapshot at version {} and replays {} of {} events.",
            loaded.snapshot_version, loaded.applied_with_snapshot, loaded.applied_without_snapshot
        )
    } else {
        format!(
            "No snapshot yet: loading replays all {} events.",
            loaded.applied_without_snapshot
        )
    };
    Some(OrderStream {
        rows,
        conflicts,
        load,
        snapshot: store.snapshot(&id).map(|s| s.version),
    })
}

fn stream_row(stored: &StoredEvent, snapshot: bool) -> StreamRow {
    let read = upcast(stored);
    let schema = if read == stored.event {
        format!("v{}", stored.schema_version)
    } else {
        format!(
            "v{}, read as v2 ({})",
            stored.schema_version,
            currency(&read).map_or("upcast".to_string(), |c| format!("currency {c}"))
        )
    };
    StreamRow {
        version: stored.version,
        tick: stored.tick.0,
        event: stored.event.name(),
        detail: detail(&read),
        schema,
        snapshot,
    }
}

fn currency(event: &OrderDomainEvent) -> Option<&str> {
    match event {
        OrderDomainEvent::OrderPlaced { currency, .. } => currency.as_deref(),
        _ => None,
    }
}

fn detail(event: &OrderDomainEvent) -> String {
    use OrderDomainEvent as E;
    match event {
        E::OrderPlaced {
            customer_id,
            lines,
            total_cents,
            currency,
            ..
        } => format!(
            "{}, {} line{}, {} {}",
            customer_id.0,
            lines.len(),
            if lines.len() == 1 { "" } else { "s" },
            cents(*total_cents),
            currency.as_deref().unwrap_or("(no currency)")
        ),
        E::OrderPaid { amount_cents } => cents(*amount_cents),
        E::OrderShipped { tracking_number } => format!("tracking {tracking_number}"),
        E::OrderDelivered => String::new(),
        E::OrderCancelled { reason } => reason.clone(),
        E::NoteAdded { text } => format!("note: {text}"),
    }
}

/// The order's state after replaying its first `version` events (upcast, folded by the
/// engine's own `OrderAggregate::apply`), as lines; `None` when it has no stream. A
/// version past the end replays the whole stream.
pub fn replayed_state(saga: &SagaView<'_>, order_id: &str, version: u64) -> Option<Vec<String>> {
    let id = OrderId(order_id.to_string());
    let stream = saga.world().services.order.store.stream(&id);
    if stream.is_empty() {
        return None;
    }
    let mut state = OrderAggregate::default();
    for stored in stream.iter().take(version as usize) {
        state.apply(&upcast(stored));
    }
    Some(aggregate_lines(&state))
}

/// The order's state replayed from the store's latest snapshot of it (the aggregate as
/// snapshotted), applying its events after the snapshot up to `version`, as lines; `None`
/// when it has no snapshot. A version inside the snapshot applies nothing.
pub fn replayed_from_snapshot(
    saga: &SagaView<'_>,
    order_id: &str,
    version: u64,
) -> Option<Vec<String>> {
    let id = OrderId(order_id.to_string());
    let store = &saga.world().services.order.store;
    let snapshot = store.snapshot(&id)?;
    let mut state = snapshot.state.clone();
    let after = store.stream(&id).iter().skip(snapshot.version as usize);
    for stored in after.take(version.saturating_sub(snapshot.version) as usize) {
        state.apply(&upcast(stored));
    }
    Some(aggregate_lines(&state))
}

/// What the replay says: from scratch "Replayed AT of LEN events."; from a snapshot at
/// `start`, how many events there are to apply and how many are applied.
pub fn replay_progress(start: u64, at: u64, len: u64) -> String {
    if start == 0 {
        return format!("Replayed {at} of {len} events.");
    }
    let to_apply = len.saturating_sub(start);
    let plural = if to_apply == 1 { "" } else { "s" };
    format!(
        "Replay from snapshot at version {start}: {to_apply} event{plural} to apply; applied {}.",
        at.saturating_sub(start).min(to_apply)
    )
}

fn aggregate_lines(state: &OrderAggregate) -> Vec<String> {
    let status = state
        .status
        .map_or("none (before OrderPlaced)".to_string(), |s| s.to_string());
    vec![
        format!("Version: {}", state.version),
        format!("Status: {status}"),
        format!(
            "Total: {} {}",
            cents(state.total_cents),
            state.currency.as_deref().unwrap_or("")
        )
        .trim_end()
        .to_string(),
        format!("Notes: {}", state.notes),
    ]
}
