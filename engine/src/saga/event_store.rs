//! The event-sourced Order aggregate: one stream of events per order, appended with an
//! expected version (optimistic concurrency), snapshots every N events, rebuild by replay.
//!
//! Current state = fold(initial state, all events). Schema evolution: `OrderPlaced` was
//! written in version 1 without a currency and in version 2 with one; the upcaster turns
//! version 1 into version 2 on every read, so the fold only knows the current shape.

use super::message::{CustomerId, OrderId, OrderLine, DEFAULT_CURRENCY};
use crate::ids::Tick;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use thiserror::Error;

/// An order's lifecycle status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum OrderStatus {
    /// Placed and accepted.
    Created,
    /// Charged.
    Paid,
    /// On its way.
    Shipped,
    /// Delivered by the carrier.
    Delivered,
    /// Cancelled (compensated).
    Cancelled,
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}

/// The events of the Order aggregate's own stream.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum OrderDomainEvent {
    /// Version 1 has `currency: None`; version 2 always has one.
    OrderPlaced {
        /// The order (one saga per order).
        order_id: OrderId,
        /// The customer.
        customer_id: CustomerId,
        /// The order's lines.
        lines: Vec<OrderLine>,
        /// The order total, in cents.
        total_cents: u64,
        /// The currency (`None` in version 1 events: upcast to USD).
        currency: Option<String>,
    },
    /// Payment charged the order.
    OrderPaid {
        /// The amount, in cents.
        amount_cents: u64,
    },
    /// Shipping shipped the order.
    OrderShipped {
        /// The carrier's tracking number.
        tracking_number: String,
    },
    /// The carrier delivered the order.
    OrderDelivered,
    /// The order was cancelled.
    OrderCancelled {
        /// Why, in words.
        reason: String,
    },
    /// A note from another writer (e.g. customer support); it changes no status.
    NoteAdded {
        /// The note.
        text: String,
    },
}

impl OrderDomainEvent {
    /// The event's type name.
    pub fn name(&self) -> &'static str {
        match self {
            OrderDomainEvent::OrderPlaced { .. } => "OrderPlaced",
            OrderDomainEvent::OrderPaid { .. } => "OrderPaid",
            OrderDomainEvent::OrderShipped { .. } => "OrderShipped",
            OrderDomainEvent::OrderDelivered => "OrderDelivered",
            OrderDomainEvent::OrderCancelled { .. } => "OrderCancelled",
            OrderDomainEvent::NoteAdded { .. } => "NoteAdded",
        }
    }
}

/// One event as stored: its position in the stream and its schema version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredEvent {
    /// 1-based position in the order's stream.
    pub version: u64,
    /// Schema version of the event as written.
    pub schema_version: u32,
    /// The event (as written: upcast when read).
    pub event: OrderDomainEvent,
    /// The tick it happened at.
    pub tick: Tick,
}

/// Turns a stored event into the current schema (version 2): a version 1 `OrderPlaced`
/// gets the default currency.
pub fn upcast(stored: &StoredEvent) -> OrderDomainEvent {
    let mut event = stored.event.clone();
    if let OrderDomainEvent::OrderPlaced { currency, .. } = &mut event {
        if currency.is_none() && stored.schema_version < 2 {
            *currency = Some(DEFAULT_CURRENCY.to_string());
        }
    }
    event
}

/// Errors of the event store and the aggregate's rules.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum EventStoreError {
    #[error("optimistic concurrency conflict on order {order_id}: expected version {expected_version}, the stream is at version {actual_version}")]
    /// The stream moved on since the writer loaded it (optimistic concurrency).
    ConcurrencyConflict {
        /// The order (one saga per order).
        order_id: OrderId,
        /// The stream version the writer loaded.
        expected_version: u64,
        /// The stream version it found when appending.
        actual_version: u64,
    },
    #[error("order {order_id} cannot take {event} while {status:?}")]
    /// The aggregate's rules refuse the event in its status.
    IllegalTransition {
        /// The order (one saga per order).
        order_id: OrderId,
        /// The aggregate's status (`None` before OrderPlaced).
        status: Option<OrderStatus>,
        /// The event (as written: upcast when read).
        event: &'static str,
    },
    #[error("order {0} has no events")]
    /// No stream exists for the order.
    UnknownOrder(OrderId),
}

/// The Order aggregate's state, folded from its events.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderAggregate {
    /// The order (one saga per order).
    pub order_id: Option<OrderId>,
    /// The customer.
    pub customer_id: Option<CustomerId>,
    /// The order's lines.
    pub lines: Vec<OrderLine>,
    /// The order total, in cents.
    pub total_cents: u64,
    /// The currency (`None` in version 1 events: upcast to USD).
    pub currency: Option<String>,
    /// `None` before `OrderPlaced`.
    pub status: Option<OrderStatus>,
    /// Stream version this state reflects (number of events applied).
    pub version: u64,
    /// Notes added by other writers.
    pub notes: u32,
}

impl OrderAggregate {
    /// Checks that `event` is allowed now (the aggregate's rules), without applying it.
    pub fn check(
        &self,
        order_id: &OrderId,
        event: &OrderDomainEvent,
    ) -> Result<(), EventStoreError> {
        use OrderDomainEvent as E;
        use OrderStatus as S;
        let ok = matches!(
            (self.status, event),
            (None, E::OrderPlaced { .. })
                | (Some(S::Created), E::OrderPaid { .. })
                | (Some(S::Paid), E::OrderShipped { .. })
                | (Some(S::Shipped), E::OrderDelivered)
                // A saga that timed out compensates even a delivered order (a return).
                | (
                    Some(S::Created | S::Paid | S::Shipped | S::Delivered),
                    E::OrderCancelled { .. }
                )
                | (Some(_), E::NoteAdded { .. })
        );
        if ok {
            Ok(())
        } else {
            Err(EventStoreError::IllegalTransition {
                order_id: order_id.clone(),
                status: self.status,
                event: event.name(),
            })
        }
    }

    /// Applies an (upcast) event. Events in a stream were checked when appended.
    pub fn apply(&mut self, event: &OrderDomainEvent) {
        use OrderDomainEvent as E;
        match event {
            E::OrderPlaced {
                order_id,
                customer_id,
                lines,
                total_cents,
                currency,
            } => {
                self.order_id = Some(order_id.clone());
                self.customer_id = Some(customer_id.clone());
                self.lines = lines.clone();
                self.total_cents = *total_cents;
                self.currency = currency.clone();
                self.status = Some(OrderStatus::Created);
            }
            E::OrderPaid { .. } => self.status = Some(OrderStatus::Paid),
            E::OrderShipped { .. } => self.status = Some(OrderStatus::Shipped),
            E::OrderDelivered => self.status = Some(OrderStatus::Delivered),
            E::OrderCancelled { .. } => self.status = Some(OrderStatus::Cancelled),
            E::NoteAdded { .. } => self.notes += 1,
        }
        self.version += 1;
    }
}

/// A snapshot of an aggregate at some version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The stream version it reflects.
    pub version: u64,
    /// The aggregate.
    pub state: OrderAggregate,
}

/// What appending did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Appended {
    /// The stream version after the append.
    pub new_version: u64,
    /// `Some(version)` when the append crossed a snapshot boundary.
    pub snapshot_taken: Option<u64>,
}

/// A rebuilt aggregate and the cost of rebuilding it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rebuilt {
    /// The aggregate.
    pub state: OrderAggregate,
    /// Version of the snapshot the rebuild started from (0: none).
    pub snapshot_version: u64,
    /// Events replayed on top of the snapshot.
    pub applied_with_snapshot: u64,
    /// Events a rebuild from scratch replays (the whole stream).
    pub applied_without_snapshot: u64,
}

/// Per-order event streams with snapshots.
///
/// Beside the streams it keeps each order's current status and total and the number of
/// orders per status, updated as events are appended, so reading them costs a lookup, not
/// a replay (deserialising rebuilds them from the streams). Loading an order still
/// replays its stream, from the latest snapshot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "StoredStreams")]
pub struct EventStore {
    streams: BTreeMap<OrderId, Vec<StoredEvent>>,
    snapshots: BTreeMap<OrderId, Snapshot>,
    /// Take a snapshot every this many events (0: never).
    pub snapshot_every: u64,
    #[serde(skip)]
    heads: BTreeMap<OrderId, OrderHead>,
    #[serde(skip)]
    by_status: BTreeMap<OrderStatus, u64>,
}

/// An order's status and total as its whole stream folds them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct OrderHead {
    status: Option<OrderStatus>,
    total_cents: u64,
}

/// The store as serialised: what an [`EventStore`] is read back from.
#[derive(Deserialize)]
struct StoredStreams {
    streams: BTreeMap<OrderId, Vec<StoredEvent>>,
    snapshots: BTreeMap<OrderId, Snapshot>,
    snapshot_every: u64,
}

impl From<StoredStreams> for EventStore {
    fn from(stored: StoredStreams) -> Self {
        let mut store = Self::new(stored.snapshot_every);
        store.streams = stored.streams;
        store.snapshots = stored.snapshots;
        let ids: Vec<OrderId> = store.streams.keys().cloned().collect();
        for id in ids {
            let state = store.replay(&id, None).state;
            store.set_head(&id, &state);
        }
        store
    }
}

impl Default for EventStore {
    fn default() -> Self {
        Self::new(3)
    }
}

impl EventStore {
    /// An empty store snapshotting every `snapshot_every` events (0: never).
    pub fn new(snapshot_every: u64) -> Self {
        Self {
            streams: BTreeMap::new(),
            snapshots: BTreeMap::new(),
            snapshot_every,
            heads: BTreeMap::new(),
            by_status: BTreeMap::new(),
        }
    }

    /// How many orders have a stream.
    pub fn order_count(&self) -> usize {
        self.streams.len()
    }

    /// The order's current status (`None`: no stream, or nothing placed yet), as a replay
    /// of its whole stream gives it.
    pub fn status(&self, order_id: &OrderId) -> Option<OrderStatus> {
        self.heads.get(order_id).and_then(|h| h.status)
    }

    /// The order's total in cents (0 when it has no stream).
    pub fn total_cents(&self, order_id: &OrderId) -> u64 {
        self.heads.get(order_id).map_or(0, |h| h.total_cents)
    }

    /// Orders per current status.
    pub fn orders_by_status(&self) -> &BTreeMap<OrderStatus, u64> {
        &self.by_status
    }

    /// Records `state` as the order's head, moving it from its old status's count.
    fn set_head(&mut self, order_id: &OrderId, state: &OrderAggregate) {
        let head = OrderHead {
            status: state.status,
            total_cents: state.total_cents,
        };
        let old = self.heads.insert(order_id.clone(), head);
        if let Some(status) = old.and_then(|h| h.status) {
            if let Some(n) = self.by_status.get_mut(&status) {
                *n -= 1;
                if *n == 0 {
                    self.by_status.remove(&status);
                }
            }
        }
        if let Some(status) = head.status {
            *self.by_status.entry(status).or_insert(0) += 1;
        }
    }

    /// The stream's current version (0 when it has no events).
    pub fn version(&self, order_id: &OrderId) -> u64 {
        self.streams.get(order_id).map_or(0, |s| s.len() as u64)
    }

    /// The stored events of one order.
    pub fn stream(&self, order_id: &OrderId) -> &[StoredEvent] {
        self.streams.get(order_id).map_or(&[], Vec::as_slice)
    }

    /// All order ids with a stream, in order (from either end).
    pub fn order_ids(&self) -> impl DoubleEndedIterator<Item = &OrderId> {
        self.streams.keys()
    }

    /// The latest snapshot of an order, if any.
    pub fn snapshot(&self, order_id: &OrderId) -> Option<&Snapshot> {
        self.snapshots.get(order_id)
    }

    /// Appends `event` if the stream is still at `expected_version` and the aggregate's
    /// rules allow it; otherwise a typed error with the numbers.
    pub fn append(
        &mut self,
        order_id: &OrderId,
        expected_version: u64,
        event: OrderDomainEvent,
        schema_version: u32,
        tick: Tick,
    ) -> Result<Appended, EventStoreError> {
        let actual_version = self.version(order_id);
        if actual_version != expected_version {
            return Err(EventStoreError::ConcurrencyConflict {
                order_id: order_id.clone(),
                expected_version,
                actual_version,
            });
        }
        let mut state = self.load(order_id).map(|r| r.state).unwrap_or_default();
        state.check(order_id, &event)?;
        let stream = self.streams.entry(order_id.clone()).or_default();
        let new_version = actual_version + 1;
        let stored = StoredEvent {
            version: new_version,
            schema_version,
            event,
            tick,
        };
        state.apply(&upcast(&stored));
        stream.push(stored);
        self.set_head(order_id, &state);
        let mut snapshot_taken = None;
        if self.snapshot_every > 0 && new_version % self.snapshot_every == 0 {
            let state = self.replay(order_id, None).state;
            self.snapshots.insert(
                order_id.clone(),
                Snapshot {
                    version: new_version,
                    state,
                },
            );
            snapshot_taken = Some(new_version);
        }
        Ok(Appended {
            new_version,
            snapshot_taken,
        })
    }

    /// Snapshots the order's aggregate at its stream's current version now (an operator's
    /// "Snapshot"), replacing its latest snapshot: `Some(version)`, or `None` when the
    /// latest snapshot is at that version already. A typed error when it has no stream.
    pub fn take_snapshot(&mut self, order_id: &OrderId) -> Result<Option<u64>, EventStoreError> {
        let rebuilt = self.load(order_id)?;
        let version = rebuilt.state.version;
        if self.snapshots.get(order_id).map(|s| s.version) == Some(version) {
            return Ok(None);
        }
        let snapshot = Snapshot {
            version,
            state: rebuilt.state,
        };
        self.snapshots.insert(order_id.clone(), snapshot);
        Ok(Some(version))
    }

    /// Replays from `snapshot` (or from scratch) to the end of the stream.
    fn replay(&self, order_id: &OrderId, snapshot: Option<&Snapshot>) -> Rebuilt {
        let stream = self.stream(order_id);
        let (mut state, from) = match snapshot {
            Some(s) => (s.state.clone(), s.version),
            None => (OrderAggregate::default(), 0),
        };
        let mut applied = 0;
        for stored in stream.iter().skip(from as usize) {
            state.apply(&upcast(stored));
            applied += 1;
        }
        Rebuilt {
            state,
            snapshot_version: from,
            applied_with_snapshot: applied,
            applied_without_snapshot: stream.len() as u64,
        }
    }

    /// Rebuilds an order from its latest snapshot plus the events after it.
    pub fn load(&self, order_id: &OrderId) -> Result<Rebuilt, EventStoreError> {
        if self.version(order_id) == 0 {
            return Err(EventStoreError::UnknownOrder(order_id.clone()));
        }
        Ok(self.replay(order_id, self.snapshots.get(order_id)))
    }

    /// Rebuilds an order from scratch, ignoring snapshots.
    pub fn load_without_snapshot(&self, order_id: &OrderId) -> Result<Rebuilt, EventStoreError> {
        if self.version(order_id) == 0 {
            return Err(EventStoreError::UnknownOrder(order_id.clone()));
        }
        Ok(self.replay(order_id, None))
    }
}

#[cfg(test)]
mod tests {
    use super::super::message::ProductId;
    use super::*;

    fn oid() -> OrderId {
        OrderId("O1".into())
    }

    fn placed(currency: Option<&str>) -> OrderDomainEvent {
        OrderDomainEvent::OrderPlaced {
            order_id: oid(),
            customer_id: CustomerId("C1".into()),
            lines: vec![OrderLine {
                product_id: ProductId("P1".into()),
                quantity: 1,
                unit_price_cents: 500,
            }],
            total_cents: 500,
            currency: currency.map(str::to_string),
        }
    }

    #[test]
    fn concurrent_writer_gets_a_conflict_with_expected_and_actual_versions() {
        let mut store = EventStore::new(0);
        store
            .append(&oid(), 0, placed(Some("EUR")), 2, Tick(0))
            .unwrap();
        // Two writers load version 1; the first wins.
        store
            .append(
                &oid(),
                1,
                OrderDomainEvent::NoteAdded { text: "a".into() },
                2,
                Tick(1),
            )
            .unwrap();
        let err = store
            .append(
                &oid(),
                1,
                OrderDomainEvent::OrderPaid { amount_cents: 500 },
                2,
                Tick(1),
            )
            .unwrap_err();
        assert_eq!(
            err,
            EventStoreError::ConcurrencyConflict {
                order_id: oid(),
                expected_version: 1,
                actual_version: 2
            }
        );
        // Reload and retry succeeds.
        let v = store.version(&oid());
        store
            .append(
                &oid(),
                v,
                OrderDomainEvent::OrderPaid { amount_cents: 500 },
                2,
                Tick(2),
            )
            .unwrap();
        assert_eq!(
            store.load(&oid()).unwrap().state.status,
            Some(OrderStatus::Paid)
        );
    }

    #[test]
    fn snapshots_every_n_events_shorten_the_replay() {
        let mut store = EventStore::new(2);
        let a = store
            .append(&oid(), 0, placed(Some("EUR")), 2, Tick(0))
            .unwrap();
        assert_eq!(a.snapshot_taken, None);
        let b = store
            .append(
                &oid(),
                1,
                OrderDomainEvent::OrderPaid { amount_cents: 500 },
                2,
                Tick(1),
            )
            .unwrap();
        assert_eq!(b.snapshot_taken, Some(2));
        store
            .append(
                &oid(),
                2,
                OrderDomainEvent::OrderShipped {
                    tracking_number: "T1".into(),
                },
                2,
                Tick(2),
            )
            .unwrap();
        let with = store.load(&oid()).unwrap();
        let without = store.load_without_snapshot(&oid()).unwrap();
        assert_eq!(with.state, without.state);
        assert_eq!(with.snapshot_version, 2);
        assert_eq!(with.applied_with_snapshot, 1);
        assert_eq!(without.applied_with_snapshot, 3);
        assert_eq!(with.applied_without_snapshot, 3);
        assert_eq!(with.state.status, Some(OrderStatus::Shipped));
    }

    #[test]
    fn a_snapshot_taken_now_shortens_the_replay_to_nothing_then_to_the_events_after_it() {
        let mut store = EventStore::new(0);
        assert_eq!(
            store.take_snapshot(&oid()),
            Err(EventStoreError::UnknownOrder(oid()))
        );
        store
            .append(&oid(), 0, placed(Some("EUR")), 2, Tick(0))
            .unwrap();
        let paid = OrderDomainEvent::OrderPaid { amount_cents: 500 };
        store.append(&oid(), 1, paid, 2, Tick(1)).unwrap();
        assert_eq!(store.load(&oid()).unwrap().applied_with_snapshot, 2);
        assert_eq!(store.take_snapshot(&oid()), Ok(Some(2)));
        assert_eq!(
            store.take_snapshot(&oid()),
            Ok(None),
            "already at version 2"
        );
        let loaded = store.load(&oid()).unwrap();
        assert_eq!(
            (loaded.snapshot_version, loaded.applied_with_snapshot),
            (2, 0)
        );
        let shipped = OrderDomainEvent::OrderShipped {
            tracking_number: "T1".into(),
        };
        store.append(&oid(), 2, shipped, 2, Tick(2)).unwrap();
        let with = store.load(&oid()).unwrap();
        assert_eq!((with.snapshot_version, with.applied_with_snapshot), (2, 1));
        assert_eq!(
            with.state,
            store.load_without_snapshot(&oid()).unwrap().state
        );
        assert_eq!(
            store.snapshot(&oid()).unwrap().state.status,
            Some(OrderStatus::Paid)
        );
    }

    #[test]
    fn version_1_order_placed_is_upcast_to_the_default_currency() {
        let mut store = EventStore::new(0);
        store.append(&oid(), 0, placed(None), 1, Tick(0)).unwrap();
        let state = store.load(&oid()).unwrap().state;
        assert_eq!(state.currency.as_deref(), Some("USD"));
        // The stored event keeps its original shape.
        assert_eq!(store.stream(&oid())[0].event, placed(None));
    }

    #[test]
    fn illegal_transitions_are_typed_errors_and_append_nothing() {
        let mut store = EventStore::new(0);
        let err = store
            .append(
                &oid(),
                0,
                OrderDomainEvent::OrderShipped {
                    tracking_number: "T".into(),
                },
                2,
                Tick(0),
            )
            .unwrap_err();
        assert_eq!(
            err,
            EventStoreError::IllegalTransition {
                order_id: oid(),
                status: None,
                event: "OrderShipped"
            }
        );
        store
            .append(&oid(), 0, placed(Some("EUR")), 2, Tick(0))
            .unwrap();
        store
            .append(
                &oid(),
                1,
                OrderDomainEvent::OrderCancelled { reason: "x".into() },
                2,
                Tick(0),
            )
            .unwrap();
        assert!(store
            .append(
                &oid(),
                2,
                OrderDomainEvent::OrderPaid { amount_cents: 1 },
                2,
                Tick(0)
            )
            .is_err());
        assert_eq!(store.version(&oid()), 2);
        assert_eq!(
            store.load(&OrderId("nope".into())),
            Err(EventStoreError::UnknownOrder(OrderId("nope".into())))
        );
    }
}
