//! The order flow's services as pure reactors: each `handle(now, mode, envelope, injected)`
//! changes the service's own state and returns the messages to publish. No I/O inside; the
//! driver owns topics, retries, inboxes, outboxes and crashes.
//!
//! The same services run both saga styles ([`SagaMode`]): under orchestration they obey
//! commands from the orchestrator; under choreography they react to each other's events and
//! compensate when they see `OrderCancelled`.
//!
//! Under choreography every service answers `OrderCancelled` with its compensation event
//! even when it had nothing to undo: nobody else can know when the saga is over, so those
//! answers are how an observer tells.
//!
//! Every compensation is safe on nothing: releasing, refunding or cancelling a shipment for
//! an order that never got that far leaves a tombstone, so a late (or resubmitted) command
//! for a cancelled order is refused instead of charging or reserving after the fact.

use super::event_store::{EventStore, EventStoreError, OrderDomainEvent, OrderStatus};
use super::message::{
    total_cents, CustomerId, Envelope, NotificationKind, OrderId, OrderLine, ProductId,
    SagaMessage, DEFAULT_CURRENCY,
};
use super::orchestrator::{Compensation, SagaStep};
use super::projection::{OrderSummary, SalesPerProduct};
use crate::ids::Tick;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Orchestrated (one orchestrator sends commands) or choreographed (services react to
/// events).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SagaMode {
    #[default]
    /// One orchestrator sends commands and folds replies into a saga log.
    Orchestration,
    /// Services react to each other's events; no orchestrator.
    Choreography,
}

/// The participants of the order flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceName {
    /// Orders and their event-sourced status.
    Order,
    /// Stock per product.
    Inventory,
    /// Charges and refunds.
    Payment,
    /// Shipments.
    Shipping,
    /// Messages to customers.
    Notification,
    /// Orders per status and sales per product.
    Analytics,
    /// The orchestrated saga's coordinator.
    Orchestrator,
}

impl ServiceName {
    /// All services, in processing order.
    pub const ALL: [ServiceName; 7] = [
        ServiceName::Order,
        ServiceName::Inventory,
        ServiceName::Payment,
        ServiceName::Shipping,
        ServiceName::Notification,
        ServiceName::Analytics,
        ServiceName::Orchestrator,
    ];

    /// The consumer group the service reads with (also its inbox handler name).
    pub fn group(self) -> &'static str {
        match self {
            ServiceName::Order => "order-service",
            ServiceName::Inventory => "inventory-service",
            ServiceName::Payment => "payment-service",
            ServiceName::Shipping => "shipping-service",
            ServiceName::Notification => "notification-service",
            ServiceName::Analytics => "analytics-service",
            ServiceName::Orchestrator => "saga-orchestrator",
        }
    }

    /// The topics the service consumes.
    pub fn topics(self) -> &'static [&'static str] {
        use super::message::topics::*;
        match self {
            ServiceName::Order => &[ORDER_COMMANDS, ORDER_EVENTS],
            ServiceName::Inventory => &[INVENTORY_COMMANDS, ORDER_EVENTS],
            ServiceName::Payment => &[PAYMENT_COMMANDS, ORDER_EVENTS],
            ServiceName::Shipping => &[SHIPPING_COMMANDS, ORDER_EVENTS],
            ServiceName::Notification | ServiceName::Analytics | ServiceName::Orchestrator => {
                &[ORDER_EVENTS]
            }
        }
    }
}

impl fmt::Display for ServiceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.group())
    }
}

/// Which saga step or compensation a message performs at a service (fault injection counts
/// calls per target). `None` when the service ignores the message in this mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
pub enum CallTarget {
    /// A saga step.
    Step(SagaStep),
    /// A compensation.
    Compensation(Compensation),
    /// Handled, but neither a step nor a compensation (status updates, notifications).
    Other,
}

/// Whether `service` handles `message` in `mode`, and as what.
pub fn call_target(
    service: ServiceName,
    mode: SagaMode,
    message: &SagaMessage,
) -> Option<CallTarget> {
    use CallTarget as T;
    use SagaMessage as M;
    use SagaMode::*;
    use ServiceName as S;
    let choreo = mode == Choreography;
    Some(match (service, message) {
        (S::Order, M::PlaceOrder { .. }) => T::Step(SagaStep::CreateOrder),
        (S::Order, M::CancelOrder { .. }) if !choreo => T::Compensation(Compensation::CancelOrder),
        (
            S::Order,
            M::PaymentProcessed { .. } | M::OrderShipped { .. } | M::OrderDelivered { .. },
        ) => T::Other,
        (
            S::Order,
            M::InventoryReservationFailed { .. }
            | M::PaymentFailed { .. }
            | M::ShippingFailed { .. },
        ) if choreo => T::Compensation(Compensation::CancelOrder),
        (S::Inventory, M::ReserveInventory { .. }) if !choreo => {
            T::Step(SagaStep::ReserveInventory)
        }
        (S::Inventory, M::OrderCreated { .. }) if choreo => T::Step(SagaStep::ReserveInventory),
        (S::Inventory, M::ReleaseInventory { .. }) if !choreo => {
            T::Compensation(Compensation::ReleaseInventory)
        }
        (S::Inventory, M::OrderCancelled { .. }) if choreo => {
            T::Compensation(Compensation::ReleaseInventory)
        }
        (S::Inventory, M::OrderShipped { .. }) => T::Other,
        (S::Payment, M::ProcessPayment { .. }) if !choreo => T::Step(SagaStep::ProcessPayment),
        (S::Payment, M::InventoryReserved { .. }) if choreo => T::Step(SagaStep::ProcessPayment),
        (S::Payment, M::RefundPayment { .. }) if !choreo => {
            T::Compensation(Compensation::RefundPayment)
        }
        (S::Payment, M::OrderCancelled { .. }) if choreo => {
            T::Compensation(Compensation::RefundPayment)
        }
        (S::Shipping, M::ShipOrder { .. }) if !choreo => T::Step(SagaStep::ShipOrder),
        (S::Shipping, M::PaymentProcessed { .. }) if choreo => T::Step(SagaStep::ShipOrder),
        (S::Shipping, M::CancelShipment { .. }) if !choreo => {
            T::Compensation(Compensation::CancelShipment)
        }
        (S::Shipping, M::OrderCancelled { .. }) if choreo => {
            T::Compensation(Compensation::CancelShipment)
        }
        (
            S::Notification,
            M::OrderCreated { .. } | M::OrderShipped { .. } | M::OrderCancelled { .. },
        ) => T::Other,
        (S::Analytics, m) if !m.is_command() => T::Other,
        (S::Orchestrator, m)
            if !choreo
                && !m.is_command()
                && !matches!(m, M::NotificationSent { .. } | M::OrderDelivered { .. }) =>
        {
            T::Other
        }
        _ => return None,
    })
}

/// A fault the driver injects into one handler call.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Injected {
    #[default]
    /// The call runs normally.
    Nothing,
    /// The step fails as a business outcome (card declined, carrier refused): a failure
    /// event is published and the saga compensates.
    Decline {
        /// Why, in words.
        reason: String,
    },
    /// Another writer appends to the order's stream between load and append.
    ConcurrentWriter,
}

/// Something a service noticed while handling, for the trace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServiceNote {
    /// An append met a concurrent writer; the service reloaded and retried.
    ConcurrencyConflict {
        /// The order (one saga per order).
        order_id: OrderId,
        /// The stream version the writer loaded.
        expected_version: u64,
        /// The stream version it found when appending.
        actual_version: u64,
    },
    /// The event store snapshotted an aggregate.
    SnapshotTaken {
        /// The order (one saga per order).
        order_id: OrderId,
        /// The stream version.
        version: u64,
    },
    /// The aggregate or a tombstone refused the message (late, duplicate or cancelled).
    Refused {
        /// The order (one saga per order).
        order_id: OrderId,
        /// Why, in words.
        reason: String,
    },
    /// A customer was charged.
    Charged {
        /// The order (one saga per order).
        order_id: OrderId,
        /// The amount, in cents.
        amount_cents: u64,
    },
    /// A customer was refunded.
    Refunded {
        /// The order (one saga per order).
        order_id: OrderId,
        /// The amount, in cents.
        amount_cents: u64,
    },
}

/// What one handler call produced.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reaction {
    /// Messages to publish.
    pub publish: Vec<SagaMessage>,
    /// What happened, for the trace.
    pub notes: Vec<ServiceNote>,
}

impl Reaction {
    fn publish(message: SagaMessage) -> Self {
        Self {
            publish: vec![message],
            notes: Vec::new(),
        }
    }

    fn refused(order_id: &OrderId, reason: impl Into<String>) -> Self {
        Self {
            publish: Vec::new(),
            notes: vec![ServiceNote::Refused {
                order_id: order_id.clone(),
                reason: reason.into(),
            }],
        }
    }
}

// ---------------------------------------------------------------------------------------
// Order service
// ---------------------------------------------------------------------------------------

/// The Order service: an event-sourced Order aggregate per order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderService {
    /// The Order aggregates' event store.
    pub store: EventStore,
    /// Choreography only: when an order that is neither shipped nor cancelled is cancelled
    /// by the Order service (saga timeout).
    pub saga_deadlines: BTreeMap<OrderId, Tick>,
    /// Saga timeout in ticks (choreography deadline).
    pub saga_timeout_ticks: u64,
}

impl OrderService {
    /// An Order service snapshotting every `snapshot_every` events.
    pub fn new(snapshot_every: u64, saga_timeout_ticks: u64) -> Self {
        Self {
            store: EventStore::new(snapshot_every),
            saga_deadlines: BTreeMap::new(),
            saga_timeout_ticks,
        }
    }

    /// The current status of an order.
    pub fn status(&self, order_id: &OrderId) -> Option<OrderStatus> {
        self.store.load(order_id).ok().and_then(|r| r.state.status)
    }

    /// Every order's status.
    pub fn statuses(&self) -> BTreeMap<OrderId, OrderStatus> {
        self.store
            .order_ids()
            .filter_map(|id| self.status(id).map(|s| (id.clone(), s)))
            .collect()
    }

    /// Appends with optimistic concurrency; on a conflict, reloads and retries once more
    /// than there are writers (here: one retry), noting the conflict.
    fn append(
        &mut self,
        now: Tick,
        order_id: &OrderId,
        event: OrderDomainEvent,
        schema_version: u32,
        injected: &Injected,
        notes: &mut Vec<ServiceNote>,
    ) -> Result<(), EventStoreError> {
        let mut expected = self.store.version(order_id);
        if *injected == Injected::ConcurrentWriter && expected > 0 {
            // Another writer (support adding a note) wins the race after our load.
            self.store.append(
                order_id,
                expected,
                OrderDomainEvent::NoteAdded {
                    text: "concurrent writer".into(),
                },
                2,
                now,
            )?;
        }
        for _ in 0..2 {
            match self
                .store
                .append(order_id, expected, event.clone(), schema_version, now)
            {
                Ok(appended) => {
                    if let Some(version) = appended.snapshot_taken {
                        notes.push(ServiceNote::SnapshotTaken {
                            order_id: order_id.clone(),
                            version,
                        });
                    }
                    return Ok(());
                }
                Err(EventStoreError::ConcurrencyConflict {
                    order_id,
                    expected_version,
                    actual_version,
                }) => {
                    notes.push(ServiceNote::ConcurrencyConflict {
                        order_id,
                        expected_version,
                        actual_version,
                    });
                    expected = actual_version;
                }
                Err(e) => return Err(e),
            }
        }
        Err(EventStoreError::ConcurrencyConflict {
            order_id: order_id.clone(),
            expected_version: expected,
            actual_version: self.store.version(order_id),
        })
    }

    fn cancel(
        &mut self,
        now: Tick,
        order_id: &OrderId,
        reason: &str,
        injected: &Injected,
        always_reply: bool,
    ) -> Reaction {
        let mut notes = Vec::new();
        let cancelled = OrderDomainEvent::OrderCancelled {
            reason: reason.to_string(),
        };
        let reply = SagaMessage::OrderCancelled {
            order_id: order_id.clone(),
            reason: reason.to_string(),
        };
        self.saga_deadlines.remove(order_id);
        match self.append(now, order_id, cancelled, 2, injected, &mut notes) {
            Ok(()) => Reaction {
                publish: vec![reply],
                notes,
            },
            Err(e) => {
                notes.push(ServiceNote::Refused {
                    order_id: order_id.clone(),
                    reason: e.to_string(),
                });
                // Cancelling a cancelled order is done: acknowledge so the saga can finish.
                let publish =
                    if always_reply && self.status(order_id) == Some(OrderStatus::Cancelled) {
                        vec![reply]
                    } else {
                        Vec::new()
                    };
                Reaction { publish, notes }
            }
        }
    }

    /// Handles one message.
    pub fn handle(
        &mut self,
        now: Tick,
        mode: SagaMode,
        envelope: &Envelope,
        injected: &Injected,
    ) -> Reaction {
        use SagaMessage as M;
        let mut notes = Vec::new();
        match &envelope.message {
            M::PlaceOrder {
                order_id,
                customer_id,
                lines,
                currency,
            } => {
                let total = total_cents(lines);
                let placed = OrderDomainEvent::OrderPlaced {
                    order_id: order_id.clone(),
                    customer_id: customer_id.clone(),
                    lines: lines.clone(),
                    total_cents: total,
                    currency: currency.clone(),
                };
                let schema_version = if currency.is_some() { 2 } else { 1 };
                if let Err(e) = self.append(
                    now,
                    order_id,
                    placed,
                    schema_version,
                    &Injected::Nothing,
                    &mut notes,
                ) {
                    notes.push(ServiceNote::Refused {
                        order_id: order_id.clone(),
                        reason: e.to_string(),
                    });
                    return Reaction {
                        publish: Vec::new(),
                        notes,
                    };
                }
                if mode == SagaMode::Choreography {
                    self.saga_deadlines
                        .insert(order_id.clone(), Tick(now.0 + self.saga_timeout_ticks));
                }
                Reaction {
                    publish: vec![M::OrderCreated {
                        order_id: order_id.clone(),
                        customer_id: customer_id.clone(),
                        lines: lines.clone(),
                        total_cents: total,
                        currency: currency
                            .clone()
                            .unwrap_or_else(|| DEFAULT_CURRENCY.to_string()),
                    }],
                    notes,
                }
            }
            M::PaymentProcessed {
                order_id,
                amount_cents,
            } => {
                let paid = OrderDomainEvent::OrderPaid {
                    amount_cents: *amount_cents,
                };
                if let Err(e) = self.append(now, order_id, paid, 2, injected, &mut notes) {
                    notes.push(ServiceNote::Refused {
                        order_id: order_id.clone(),
                        reason: e.to_string(),
                    });
                }
                Reaction {
                    publish: Vec::new(),
                    notes,
                }
            }
            M::OrderShipped {
                order_id,
                tracking_number,
            } => {
                let shipped = OrderDomainEvent::OrderShipped {
                    tracking_number: tracking_number.clone(),
                };
                match self.append(now, order_id, shipped, 2, injected, &mut notes) {
                    Ok(()) => {
                        self.saga_deadlines.remove(order_id);
                    }
                    Err(e) => notes.push(ServiceNote::Refused {
                        order_id: order_id.clone(),
                        reason: e.to_string(),
                    }),
                }
                Reaction {
                    publish: Vec::new(),
                    notes,
                }
            }
            M::OrderDelivered { order_id, .. } => {
                if let Err(e) = self.append(
                    now,
                    order_id,
                    OrderDomainEvent::OrderDelivered,
                    2,
                    injected,
                    &mut notes,
                ) {
                    notes.push(ServiceNote::Refused {
                        order_id: order_id.clone(),
                        reason: e.to_string(),
                    });
                }
                Reaction {
                    publish: Vec::new(),
                    notes,
                }
            }
            M::CancelOrder { order_id, reason } => {
                self.cancel(now, order_id, reason, injected, true)
            }
            M::InventoryReservationFailed { order_id, reason }
            | M::PaymentFailed { order_id, reason }
            | M::ShippingFailed { order_id, reason }
                if mode == SagaMode::Choreography =>
            {
                let reason = format!("{}: {reason}", envelope.message.name());
                self.cancel(now, order_id, &reason, injected, false)
            }
            _ => Reaction::default(),
        }
    }

    /// Choreography: cancels orders whose saga deadline passed (nobody else would).
    pub fn tick(&mut self, now: Tick) -> Reaction {
        let due: Vec<OrderId> = self
            .saga_deadlines
            .iter()
            .filter(|(_, d)| **d <= now)
            .map(|(id, _)| id.clone())
            .collect();
        let mut out = Reaction::default();
        for order_id in due {
            let r = self.cancel(now, &order_id, "saga timed out", &Injected::Nothing, false);
            out.publish.extend(r.publish);
            out.notes.extend(r.notes);
        }
        out
    }
}

// ---------------------------------------------------------------------------------------
// Inventory service
// ---------------------------------------------------------------------------------------

/// Stock of one product. `available + reserved + shipped` never changes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stock {
    /// Units that can be reserved.
    pub available: u64,
    /// Units held for orders not shipped yet.
    pub reserved: u64,
    /// Units that left the warehouse.
    pub shipped: u64,
}

impl Stock {
    /// All units of the product, wherever they are.
    pub fn total(&self) -> u64 {
        self.available + self.reserved + self.shipped
    }
}

/// Where one order's reservation is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReservationState {
    /// Its stock is held.
    Reserved,
    /// Its stock moved from reserved to shipped.
    Shipped,
    /// Given back (released, or recalled and given back).
    Released,
    /// Refused for lack of stock (or declined).
    Rejected,
    /// Released before it was ever reserved: a later reservation is refused.
    Voided,
}

/// One order's reservation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reservation {
    /// The order's lines.
    pub lines: Vec<OrderLine>,
    /// Where it is.
    pub state: ReservationState,
}

/// The Inventory service: stock per product and reservations per order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventoryService {
    /// Stock per product.
    pub stock: BTreeMap<ProductId, Stock>,
    /// Units per product at the start (for the conservation check).
    pub initial: BTreeMap<ProductId, u64>,
    /// Reservations per order.
    pub reservations: BTreeMap<OrderId, Reservation>,
}

impl InventoryService {
    /// Inventory holding `initial` units available per product.
    pub fn new(initial: BTreeMap<ProductId, u64>) -> Self {
        Self {
            stock: initial
                .iter()
                .map(|(p, n)| {
                    (
                        p.clone(),
                        Stock {
                            available: *n,
                            ..Stock::default()
                        },
                    )
                })
                .collect(),
            initial,
            reservations: BTreeMap::new(),
        }
    }

    fn reserve(
        &mut self,
        order_id: &OrderId,
        customer_id: Option<&CustomerId>,
        lines: &[OrderLine],
        injected: &Injected,
    ) -> Reaction {
        let reply_ok = || SagaMessage::InventoryReserved {
            order_id: order_id.clone(),
            customer_id: customer_id.cloned().unwrap_or(CustomerId(String::new())),
            total_cents: total_cents(lines),
            lines: lines.to_vec(),
        };
        let fail = |reason: String| SagaMessage::InventoryReservationFailed {
            order_id: order_id.clone(),
            reason,
        };
        if let Some(existing) = self.reservations.get(order_id) {
            return match existing.state {
                // Redelivered: the reservation is keyed by order, so it is not taken twice.
                ReservationState::Reserved | ReservationState::Shipped => {
                    Reaction::publish(reply_ok())
                }
                ReservationState::Voided | ReservationState::Released => Reaction {
                    publish: vec![fail("order was cancelled".into())],
                    notes: vec![ServiceNote::Refused {
                        order_id: order_id.clone(),
                        reason: "reservation for a cancelled order".into(),
                    }],
                },
                ReservationState::Rejected => Reaction::publish(fail("already refused".into())),
            };
        }
        if let Injected::Decline { reason } = injected {
            self.reservations.insert(
                order_id.clone(),
                Reservation {
                    lines: lines.to_vec(),
                    state: ReservationState::Rejected,
                },
            );
            return Reaction::publish(fail(reason.clone()));
        }
        // Insufficient stock is decided from the real stock levels.
        let mut needed: BTreeMap<&ProductId, u64> = BTreeMap::new();
        for l in lines {
            *needed.entry(&l.product_id).or_insert(0) += u64::from(l.quantity);
        }
        for (product, quantity) in &needed {
            let available = self.stock.get(*product).map_or(0, |s| s.available);
            if available < *quantity {
                self.reservations.insert(
                    order_id.clone(),
                    Reservation {
                        lines: lines.to_vec(),
                        state: ReservationState::Rejected,
                    },
                );
                return Reaction::publish(fail(format!(
                    "insufficient stock for {product}: {available} available, {quantity} requested"
                )));
            }
        }
        for (product, quantity) in needed {
            let s = self.stock.entry(product.clone()).or_default();
            s.available -= quantity;
            s.reserved += quantity;
        }
        self.reservations.insert(
            order_id.clone(),
            Reservation {
                lines: lines.to_vec(),
                state: ReservationState::Reserved,
            },
        );
        Reaction::publish(reply_ok())
    }

    fn release(&mut self, order_id: &OrderId, always_reply: bool) -> Reaction {
        let reply = SagaMessage::InventoryReleased {
            order_id: order_id.clone(),
        };
        let Some(r) = self.reservations.get_mut(order_id) else {
            self.reservations.insert(
                order_id.clone(),
                Reservation {
                    lines: Vec::new(),
                    state: ReservationState::Voided,
                },
            );
            return if always_reply {
                Reaction::publish(reply)
            } else {
                Reaction::default()
            };
        };
        let from_shipped = match r.state {
            ReservationState::Reserved => false,
            ReservationState::Shipped => true,
            _ => {
                return if always_reply {
                    Reaction::publish(reply)
                } else {
                    Reaction::default()
                }
            }
        };
        for l in &r.lines {
            let s = self.stock.entry(l.product_id.clone()).or_default();
            let q = u64::from(l.quantity);
            if from_shipped {
                s.shipped -= q;
            } else {
                s.reserved -= q;
            }
            s.available += q;
        }
        r.state = ReservationState::Released;
        Reaction::publish(reply)
    }

    fn shipped(&mut self, order_id: &OrderId) -> Reaction {
        match self.reservations.get_mut(order_id) {
            Some(r) if r.state == ReservationState::Reserved => {
                for l in &r.lines {
                    let s = self.stock.entry(l.product_id.clone()).or_default();
                    s.reserved -= u64::from(l.quantity);
                    s.shipped += u64::from(l.quantity);
                }
                r.state = ReservationState::Shipped;
                Reaction::default()
            }
            // Released before the shipment was seen: the shipment was recalled.
            _ => Reaction::refused(order_id, "shipment of a released reservation (recalled)"),
        }
    }

    /// Handles one message.
    pub fn handle(
        &mut self,
        _now: Tick,
        mode: SagaMode,
        envelope: &Envelope,
        injected: &Injected,
    ) -> Reaction {
        use SagaMessage as M;
        let choreo = mode == SagaMode::Choreography;
        match &envelope.message {
            M::ReserveInventory { order_id, lines } if !choreo => {
                self.reserve(order_id, None, lines, injected)
            }
            M::OrderCreated {
                order_id,
                customer_id,
                lines,
                ..
            } if choreo => self.reserve(order_id, Some(customer_id), lines, injected),
            M::ReleaseInventory { order_id } if !choreo => self.release(order_id, true),
            M::OrderCancelled { order_id, .. } if choreo => self.release(order_id, true),
            M::OrderShipped { order_id, .. } => self.shipped(order_id),
            _ => Reaction::default(),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Payment service
// ---------------------------------------------------------------------------------------

/// One charge or refund.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Movement {
    /// The order (one saga per order).
    pub order_id: OrderId,
    /// The customer.
    pub customer_id: CustomerId,
    /// The amount, in cents.
    pub amount_cents: u64,
    /// The tick it happened at.
    pub tick: Tick,
}

/// The Payment service: charges and refunds. Charging is deliberately not idempotent by
/// itself: a redelivered ProcessPayment charges again unless the inbox absorbs it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentService {
    /// Every charge, in order.
    pub charges: Vec<Movement>,
    /// Every refund, in order.
    pub refunds: Vec<Movement>,
    /// Orders refunded (or voided) for good: a later charge is refused.
    pub closed: BTreeMap<OrderId, Tick>,
}

impl PaymentService {
    /// Charged minus refunded for one order.
    pub fn net_for_order(&self, order_id: &OrderId) -> i128 {
        let c: u64 = self
            .charges
            .iter()
            .filter(|m| &m.order_id == order_id)
            .map(|m| m.amount_cents)
            .sum();
        let r: u64 = self
            .refunds
            .iter()
            .filter(|m| &m.order_id == order_id)
            .map(|m| m.amount_cents)
            .sum();
        i128::from(c) - i128::from(r)
    }

    /// Total charged.
    pub fn charged_cents(&self) -> u64 {
        self.charges.iter().map(|m| m.amount_cents).sum()
    }

    /// Total refunded.
    pub fn refunded_cents(&self) -> u64 {
        self.refunds.iter().map(|m| m.amount_cents).sum()
    }

    /// Charged minus refunded per customer.
    pub fn balances(&self) -> BTreeMap<CustomerId, i128> {
        let mut b = BTreeMap::new();
        for m in &self.charges {
            *b.entry(m.customer_id.clone()).or_insert(0) += i128::from(m.amount_cents);
        }
        for m in &self.refunds {
            *b.entry(m.customer_id.clone()).or_insert(0) -= i128::from(m.amount_cents);
        }
        b
    }

    fn charge(
        &mut self,
        now: Tick,
        order_id: &OrderId,
        customer_id: &CustomerId,
        amount_cents: u64,
        injected: &Injected,
    ) -> Reaction {
        if self.closed.contains_key(order_id) {
            return Reaction {
                publish: vec![SagaMessage::PaymentFailed {
                    order_id: order_id.clone(),
                    reason: "order was cancelled".into(),
                }],
                notes: vec![ServiceNote::Refused {
                    order_id: order_id.clone(),
                    reason: "charge for a refunded order".into(),
                }],
            };
        }
        if let Injected::Decline { reason } = injected {
            return Reaction::publish(SagaMessage::PaymentFailed {
                order_id: order_id.clone(),
                reason: reason.clone(),
            });
        }
        self.charges.push(Movement {
            order_id: order_id.clone(),
            customer_id: customer_id.clone(),
            amount_cents,
            tick: now,
        });
        Reaction {
            publish: vec![SagaMessage::PaymentProcessed {
                order_id: order_id.clone(),
                amount_cents,
            }],
            notes: vec![ServiceNote::Charged {
                order_id: order_id.clone(),
                amount_cents,
            }],
        }
    }

    fn refund(&mut self, now: Tick, order_id: &OrderId, always_reply: bool) -> Reaction {
        let outstanding = self.net_for_order(order_id).max(0) as u64;
        self.closed.entry(order_id.clone()).or_insert(now);
        let mut notes = Vec::new();
        if outstanding > 0 {
            let customer_id = self
                .charges
                .iter()
                .find(|m| &m.order_id == order_id)
                .map(|m| m.customer_id.clone())
                .unwrap_or(CustomerId(String::new()));
            self.refunds.push(Movement {
                order_id: order_id.clone(),
                customer_id,
                amount_cents: outstanding,
                tick: now,
            });
            notes.push(ServiceNote::Refunded {
                order_id: order_id.clone(),
                amount_cents: outstanding,
            });
        }
        let publish = if always_reply || outstanding > 0 {
            vec![SagaMessage::PaymentRefunded {
                order_id: order_id.clone(),
                amount_cents: outstanding,
            }]
        } else {
            Vec::new()
        };
        Reaction { publish, notes }
    }

    /// Handles one message.
    pub fn handle(
        &mut self,
        now: Tick,
        mode: SagaMode,
        envelope: &Envelope,
        injected: &Injected,
    ) -> Reaction {
        use SagaMessage as M;
        let choreo = mode == SagaMode::Choreography;
        match &envelope.message {
            M::ProcessPayment {
                order_id,
                customer_id,
                amount_cents,
            } if !choreo => self.charge(now, order_id, customer_id, *amount_cents, injected),
            M::InventoryReserved {
                order_id,
                customer_id,
                total_cents,
                ..
            } if choreo => self.charge(now, order_id, customer_id, *total_cents, injected),
            M::RefundPayment { order_id } if !choreo => self.refund(now, order_id, true),
            M::OrderCancelled { order_id, .. } if choreo => self.refund(now, order_id, true),
            _ => Reaction::default(),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Shipping service
// ---------------------------------------------------------------------------------------

/// Where one order's shipment is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ShipmentState {
    /// On its way.
    Shipped {
        /// The carrier's tracking number.
        tracking_number: String,
    },
    /// The carrier delivered it ([`SagaMessage::OrderDelivered`]).
    Delivered {
        /// The carrier's tracking number.
        tracking_number: String,
    },
    /// Taken back: recalled on the way, or returned after delivery.
    Recalled {
        /// The carrier's tracking number.
        tracking_number: String,
    },
    /// Cancelled before it left: a later ShipOrder is refused.
    Voided,
    /// The aggregate or a tombstone refused the message.
    Refused {
        /// Why, in words.
        reason: String,
    },
}

/// The Shipping service.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippingService {
    /// Shipments per order.
    pub shipments: BTreeMap<OrderId, ShipmentState>,
    next_tracking_number: u64,
    /// Ticks from shipping to delivery.
    #[serde(default)]
    pub delivery_ticks: u64,
    /// Shipments on their way, with the tick the carrier delivers them.
    #[serde(default)]
    pub deliveries: BTreeMap<OrderId, Tick>,
}

impl ShippingService {
    /// A Shipping service whose shipments arrive `delivery_ticks` after they leave.
    pub fn new(delivery_ticks: u64) -> Self {
        Self {
            delivery_ticks,
            ..Self::default()
        }
    }

    /// Delivers the shipments due at `now` that are still on their way (a recalled one is
    /// not delivered): each becomes [`ShipmentState::Delivered`] and an
    /// [`SagaMessage::OrderDelivered`] is published.
    pub fn tick(&mut self, now: Tick) -> Reaction {
        let due: Vec<OrderId> = self
            .deliveries
            .iter()
            .filter(|(_, at)| **at <= now)
            .map(|(id, _)| id.clone())
            .collect();
        let mut out = Reaction::default();
        for order_id in due {
            self.deliveries.remove(&order_id);
            if let Some(ShipmentState::Shipped { tracking_number }) =
                self.shipments.get(&order_id).cloned()
            {
                self.shipments.insert(
                    order_id.clone(),
                    ShipmentState::Delivered {
                        tracking_number: tracking_number.clone(),
                    },
                );
                out.publish.push(SagaMessage::OrderDelivered {
                    order_id,
                    tracking_number,
                });
            }
        }
        out
    }

    fn ship(&mut self, now: Tick, order_id: &OrderId, injected: &Injected) -> Reaction {
        match self.shipments.get(order_id) {
            Some(
                ShipmentState::Shipped { tracking_number }
                | ShipmentState::Delivered { tracking_number },
            ) => {
                return Reaction::publish(SagaMessage::OrderShipped {
                    order_id: order_id.clone(),
                    tracking_number: tracking_number.clone(),
                })
            }
            // Refused before (a redelivered ShipOrder): the answer stays no.
            Some(ShipmentState::Refused { reason }) => {
                return Reaction::publish(SagaMessage::ShippingFailed {
                    order_id: order_id.clone(),
                    reason: reason.clone(),
                })
            }
            Some(ShipmentState::Voided | ShipmentState::Recalled { .. }) => {
                return Reaction {
                    publish: vec![SagaMessage::ShippingFailed {
                        order_id: order_id.clone(),
                        reason: "order was cancelled".into(),
                    }],
                    notes: vec![ServiceNote::Refused {
                        order_id: order_id.clone(),
                        reason: "shipment for a cancelled order".into(),
                    }],
                }
            }
            _ => {}
        }
        if let Injected::Decline { reason } = injected {
            self.shipments.insert(
                order_id.clone(),
                ShipmentState::Refused {
                    reason: reason.clone(),
                },
            );
            return Reaction::publish(SagaMessage::ShippingFailed {
                order_id: order_id.clone(),
                reason: reason.clone(),
            });
        }
        self.next_tracking_number += 1;
        let tracking_number = format!("TRK-{:05}", self.next_tracking_number);
        self.shipments.insert(
            order_id.clone(),
            ShipmentState::Shipped {
                tracking_number: tracking_number.clone(),
            },
        );
        self.deliveries
            .insert(order_id.clone(), Tick(now.0 + self.delivery_ticks));
        Reaction::publish(SagaMessage::OrderShipped {
            order_id: order_id.clone(),
            tracking_number,
        })
    }

    fn cancel(&mut self, order_id: &OrderId, always_reply: bool) -> Reaction {
        let recalled = match self.shipments.get(order_id) {
            // On its way: recalled. Delivered already: the carrier collects it back.
            Some(
                ShipmentState::Shipped { tracking_number }
                | ShipmentState::Delivered { tracking_number },
            ) => {
                let tracking_number = tracking_number.clone();
                self.deliveries.remove(order_id);
                self.shipments.insert(
                    order_id.clone(),
                    ShipmentState::Recalled { tracking_number },
                );
                true
            }
            Some(ShipmentState::Recalled { .. }) => false,
            _ => {
                self.shipments
                    .insert(order_id.clone(), ShipmentState::Voided);
                false
            }
        };
        if always_reply || recalled {
            Reaction::publish(SagaMessage::ShipmentCancelled {
                order_id: order_id.clone(),
                recalled,
            })
        } else {
            Reaction::default()
        }
    }

    /// Handles one message.
    pub fn handle(
        &mut self,
        now: Tick,
        mode: SagaMode,
        envelope: &Envelope,
        injected: &Injected,
    ) -> Reaction {
        use SagaMessage as M;
        let choreo = mode == SagaMode::Choreography;
        match &envelope.message {
            M::ShipOrder { order_id } if !choreo => self.ship(now, order_id, injected),
            M::PaymentProcessed { order_id, .. } if choreo => self.ship(now, order_id, injected),
            M::CancelShipment { order_id } if !choreo => self.cancel(order_id, true),
            M::OrderCancelled { order_id, .. } if choreo => self.cancel(order_id, true),
            _ => Reaction::default(),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Notification and Analytics services
// ---------------------------------------------------------------------------------------

/// One message sent to a customer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentNotification {
    /// The order (one saga per order).
    pub order_id: OrderId,
    /// What the customer was told.
    pub kind: NotificationKind,
    /// The tick it happened at.
    pub tick: Tick,
}

/// The Notification service: tells customers what happened (twice, without an inbox, when
/// an event is redelivered).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationService {
    /// Every notification sent, in order.
    pub sent: Vec<SentNotification>,
}

impl NotificationService {
    /// Handles one message.
    pub fn handle(
        &mut self,
        now: Tick,
        _mode: SagaMode,
        envelope: &Envelope,
        _injected: &Injected,
    ) -> Reaction {
        use SagaMessage as M;
        let kind = match &envelope.message {
            M::OrderCreated { .. } => NotificationKind::OrderConfirmed,
            M::OrderShipped { .. } => NotificationKind::OrderShipped,
            M::OrderCancelled { .. } => NotificationKind::OrderCancelled,
            _ => return Reaction::default(),
        };
        let order_id = envelope.message.order_id().clone();
        self.sent.push(SentNotification {
            order_id: order_id.clone(),
            kind,
            tick: now,
        });
        Reaction::publish(SagaMessage::NotificationSent { order_id, kind })
    }
}

/// The Analytics service: orders per status and sales per product, from the events.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalyticsService {
    /// Orders per status.
    pub orders: OrderSummary,
    /// Units and revenue per product.
    pub sales: SalesPerProduct,
    /// Events seen per type.
    pub events_by_type: BTreeMap<String, u64>,
}

impl AnalyticsService {
    /// Handles one message.
    pub fn handle(
        &mut self,
        _now: Tick,
        _mode: SagaMode,
        envelope: &Envelope,
        _injected: &Injected,
    ) -> Reaction {
        *self
            .events_by_type
            .entry(envelope.message.name().to_string())
            .or_insert(0) += 1;
        self.orders.apply(envelope);
        self.sales.apply(envelope);
        Reaction::default()
    }
}

#[cfg(test)]
mod tests {
    use super::super::message::*;
    use super::*;

    fn env(message: SagaMessage) -> Envelope {
        Envelope {
            meta: EventMeta {
                event_id: EventId(1),
                correlation_id: CorrelationId(message.order_id().0.clone()),
                causation_id: None,
                schema_version: 2,
            },
            message,
        }
    }

    fn oid(s: &str) -> OrderId {
        OrderId(s.into())
    }

    /// Found by the invariant proptest (no inbox, a crash after publishing): a ShipOrder
    /// redelivered after the carrier refused must not ship a cancelled order.
    #[test]
    fn a_redelivered_ship_order_after_a_refusal_is_refused_again() {
        let mut shipping = ShippingService::new(5);
        let ship = env(SagaMessage::ShipOrder {
            order_id: oid("o1"),
        });
        let declined = Injected::Decline {
            reason: "no carrier".into(),
        };
        let mode = SagaMode::Orchestration;
        let first = shipping.handle(Tick(1), mode, &ship, &declined);
        let again = shipping.handle(Tick(2), mode, &ship, &Injected::Nothing);
        assert_eq!(first.publish, again.publish);
        assert!(matches!(
            again.publish[..],
            [SagaMessage::ShippingFailed { .. }]
        ));
        assert!(shipping.deliveries.is_empty());
        assert!(matches!(
            shipping.shipments[&oid("o1")],
            ShipmentState::Refused { .. }
        ));
    }

    fn lines(q: u32) -> Vec<OrderLine> {
        vec![OrderLine {
            product_id: ProductId("P1".into()),
            quantity: q,
            unit_price_cents: 100,
        }]
    }

    fn inventory(n: u64) -> InventoryService {
        InventoryService::new([(ProductId("P1".into()), n)].into_iter().collect())
    }

    const ORCH: SagaMode = SagaMode::Orchestration;

    #[test]
    fn insufficient_stock_comes_from_real_stock_levels() {
        let mut inv = inventory(5);
        let r = inv.handle(
            Tick(0),
            ORCH,
            &env(SagaMessage::ReserveInventory {
                order_id: oid("A"),
                lines: lines(3),
            }),
            &Injected::Nothing,
        );
        assert_eq!(r.publish[0].name(), "InventoryReserved");
        let r = inv.handle(
            Tick(0),
            ORCH,
            &env(SagaMessage::ReserveInventory {
                order_id: oid("B"),
                lines: lines(3),
            }),
            &Injected::Nothing,
        );
        assert_eq!(
            r.publish,
            vec![SagaMessage::InventoryReservationFailed {
                order_id: oid("B"),
                reason: "insufficient stock for P1: 2 available, 3 requested".into()
            }]
        );
        let s = inv.stock[&ProductId("P1".into())];
        assert_eq!((s.available, s.reserved, s.shipped), (2, 3, 0));
    }

    #[test]
    fn stock_moves_reserved_shipped_and_back_and_is_conserved() {
        let mut inv = inventory(5);
        inv.handle(
            Tick(0),
            ORCH,
            &env(SagaMessage::ReserveInventory {
                order_id: oid("A"),
                lines: lines(2),
            }),
            &Injected::Nothing,
        );
        inv.handle(
            Tick(0),
            ORCH,
            &env(SagaMessage::OrderShipped {
                order_id: oid("A"),
                tracking_number: "T".into(),
            }),
            &Injected::Nothing,
        );
        let s = inv.stock[&ProductId("P1".into())];
        assert_eq!((s.available, s.reserved, s.shipped), (3, 0, 2));
        // Recalled and released: back to available.
        inv.handle(
            Tick(0),
            ORCH,
            &env(SagaMessage::ReleaseInventory { order_id: oid("A") }),
            &Injected::Nothing,
        );
        let s = inv.stock[&ProductId("P1".into())];
        assert_eq!((s.available, s.reserved, s.shipped), (5, 0, 0));
        // Release before reserve leaves a tombstone: the late reservation is refused.
        let r = inv.handle(
            Tick(0),
            ORCH,
            &env(SagaMessage::ReleaseInventory { order_id: oid("B") }),
            &Injected::Nothing,
        );
        assert_eq!(r.publish[0].name(), "InventoryReleased");
        let r = inv.handle(
            Tick(0),
            ORCH,
            &env(SagaMessage::ReserveInventory {
                order_id: oid("B"),
                lines: lines(1),
            }),
            &Injected::Nothing,
        );
        assert_eq!(r.publish[0].name(), "InventoryReservationFailed");
        assert_eq!(inv.stock[&ProductId("P1".into())].total(), 5);
    }

    #[test]
    fn redelivered_charge_charges_twice_and_refund_returns_everything_then_closes() {
        let mut pay = PaymentService::default();
        let charge = env(SagaMessage::ProcessPayment {
            order_id: oid("A"),
            customer_id: CustomerId("C".into()),
            amount_cents: 700,
        });
        pay.handle(Tick(0), ORCH, &charge, &Injected::Nothing);
        pay.handle(Tick(1), ORCH, &charge, &Injected::Nothing);
        assert_eq!(pay.charged_cents(), 1400);
        let r = pay.handle(
            Tick(2),
            ORCH,
            &env(SagaMessage::RefundPayment { order_id: oid("A") }),
            &Injected::Nothing,
        );
        assert_eq!(
            r.publish,
            vec![SagaMessage::PaymentRefunded {
                order_id: oid("A"),
                amount_cents: 1400
            }]
        );
        assert_eq!(pay.net_for_order(&oid("A")), 0);
        let r = pay.handle(Tick(3), ORCH, &charge, &Injected::Nothing);
        assert_eq!(r.publish[0].name(), "PaymentFailed");
        assert_eq!(pay.balances()[&CustomerId("C".into())], 0);
    }

    #[test]
    fn declined_payment_publishes_failure_and_charges_nothing() {
        let mut pay = PaymentService::default();
        let charge = env(SagaMessage::ProcessPayment {
            order_id: oid("A"),
            customer_id: CustomerId("C".into()),
            amount_cents: 700,
        });
        let r = pay.handle(
            Tick(0),
            ORCH,
            &charge,
            &Injected::Decline {
                reason: "card declined".into(),
            },
        );
        assert_eq!(
            r.publish,
            vec![SagaMessage::PaymentFailed {
                order_id: oid("A"),
                reason: "card declined".into()
            }]
        );
        assert_eq!(pay.charged_cents(), 0);
    }

    #[test]
    fn order_service_conflict_is_noted_and_retried_and_v1_gets_usd() {
        let mut svc = OrderService::new(3, 100);
        let place = env(SagaMessage::PlaceOrder {
            order_id: oid("A"),
            customer_id: CustomerId("C".into()),
            lines: lines(1),
            currency: None,
        });
        let r = svc.handle(Tick(0), ORCH, &place, &Injected::Nothing);
        assert!(
            matches!(&r.publish[0], SagaMessage::OrderCreated { currency, .. } if currency == "USD")
        );
        assert_eq!(svc.store.stream(&oid("A"))[0].schema_version, 1);
        let paid = env(SagaMessage::PaymentProcessed {
            order_id: oid("A"),
            amount_cents: 100,
        });
        let r = svc.handle(Tick(1), ORCH, &paid, &Injected::ConcurrentWriter);
        assert!(r.notes.contains(&ServiceNote::ConcurrencyConflict {
            order_id: oid("A"),
            expected_version: 1,
            actual_version: 2
        }));
        assert!(r.notes.contains(&ServiceNote::SnapshotTaken {
            order_id: oid("A"),
            version: 3
        }));
        assert_eq!(svc.status(&oid("A")), Some(OrderStatus::Paid));
        assert_eq!(svc.store.version(&oid("A")), 3);
    }

    #[test]
    fn choreography_order_service_cancels_on_failure_events_and_on_deadline() {
        let mut svc = OrderService::new(0, 10);
        let mode = SagaMode::Choreography;
        for id in ["A", "B"] {
            svc.handle(
                Tick(0),
                mode,
                &env(SagaMessage::PlaceOrder {
                    order_id: oid(id),
                    customer_id: CustomerId("C".into()),
                    lines: lines(1),
                    currency: Some("EUR".into()),
                }),
                &Injected::Nothing,
            );
        }
        let r = svc.handle(
            Tick(1),
            mode,
            &env(SagaMessage::PaymentFailed {
                order_id: oid("A"),
                reason: "declined".into(),
            }),
            &Injected::Nothing,
        );
        assert_eq!(r.publish[0].name(), "OrderCancelled");
        assert!(svc.tick(Tick(9)).publish.is_empty());
        let r = svc.tick(Tick(10));
        assert_eq!(
            r.publish,
            vec![SagaMessage::OrderCancelled {
                order_id: oid("B"),
                reason: "saga timed out".into()
            }]
        );
        assert_eq!(svc.status(&oid("B")), Some(OrderStatus::Cancelled));
    }

    #[test]
    fn call_targets_differ_by_mode() {
        let created = SagaMessage::OrderCreated {
            order_id: oid("A"),
            customer_id: CustomerId("C".into()),
            lines: lines(1),
            total_cents: 100,
            currency: "USD".into(),
        };
        assert_eq!(
            call_target(ServiceName::Inventory, SagaMode::Orchestration, &created),
            None
        );
        assert_eq!(
            call_target(ServiceName::Inventory, SagaMode::Choreography, &created),
            Some(CallTarget::Step(SagaStep::ReserveInventory))
        );
        assert_eq!(
            call_target(ServiceName::Orchestrator, SagaMode::Choreography, &created),
            None
        );
        assert_eq!(
            call_target(ServiceName::Orchestrator, SagaMode::Orchestration, &created),
            Some(CallTarget::Other)
        );
    }
}
