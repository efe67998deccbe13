//! The Order service: an event-sourced Order aggregate per order. Under choreography it
//! also cancels an order whose saga failed somewhere else, or ran past its deadline.

use super::super::event_store::{EventStore, EventStoreError, OrderDomainEvent, OrderStatus};
use super::super::message::{total_cents, Envelope, OrderId, SagaMessage, DEFAULT_CURRENCY};
use super::{Injected, Reaction, SagaMode, SagaTraceEvent, ServiceName};
use crate::ids::Tick;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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
        self.store.status(order_id)
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
        notes: &mut Vec<SagaTraceEvent>,
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
                        notes.push(SagaTraceEvent::SnapshotTaken {
                            tick: now,
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
                    notes.push(SagaTraceEvent::ConcurrencyConflict {
                        tick: now,
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
                notes.push(SagaTraceEvent::refused(
                    now,
                    ServiceName::Order,
                    order_id,
                    e,
                ));
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
        use OrderDomainEvent as E;
        use SagaMessage as M;
        match &envelope.message {
            M::PlaceOrder { .. } => self.place(now, mode, &envelope.message),
            M::PaymentProcessed {
                order_id,
                amount_cents,
            } => {
                let paid = E::OrderPaid {
                    amount_cents: *amount_cents,
                };
                self.update(now, order_id, paid, injected).0
            }
            M::OrderShipped {
                order_id,
                tracking_number,
            } => {
                let tracking_number = tracking_number.clone();
                let (reaction, shipped) =
                    self.update(now, order_id, E::OrderShipped { tracking_number }, injected);
                if shipped {
                    self.saga_deadlines.remove(order_id);
                }
                reaction
            }
            M::OrderDelivered { order_id, .. } => {
                self.update(now, order_id, E::OrderDelivered, injected).0
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

    /// `PlaceOrder`: the aggregate's first event, then `OrderCreated` (upcast to the
    /// default currency for a version 1 client). Under choreography the saga's deadline
    /// starts now.
    fn place(&mut self, now: Tick, mode: SagaMode, place: &SagaMessage) -> Reaction {
        let SagaMessage::PlaceOrder {
            order_id,
            customer_id,
            lines,
            currency,
        } = place
        else {
            return Reaction::default();
        };
        let total = total_cents(lines);
        let placed = OrderDomainEvent::OrderPlaced {
            order_id: order_id.clone(),
            customer_id: customer_id.clone(),
            lines: lines.clone(),
            total_cents: total,
            currency: currency.clone(),
        };
        let schema_version = if currency.is_some() { 2 } else { 1 };
        let mut notes = Vec::new();
        let appended = self.append(
            now,
            order_id,
            placed,
            schema_version,
            &Injected::Nothing,
            &mut notes,
        );
        if let Err(e) = appended {
            notes.push(SagaTraceEvent::refused(
                now,
                ServiceName::Order,
                order_id,
                e,
            ));
            return Reaction::noted(notes);
        }
        if mode == SagaMode::Choreography {
            let deadline = Tick(now.0 + self.saga_timeout_ticks);
            self.saga_deadlines.insert(order_id.clone(), deadline);
        }
        let created = SagaMessage::OrderCreated {
            order_id: order_id.clone(),
            customer_id: customer_id.clone(),
            lines: lines.clone(),
            total_cents: total,
            currency: currency
                .clone()
                .unwrap_or_else(|| DEFAULT_CURRENCY.to_string()),
        };
        Reaction {
            publish: vec![created],
            notes,
        }
    }

    /// A status update from another service's event; refused (and noted) when the
    /// aggregate does not allow it. Also says whether it was appended.
    fn update(
        &mut self,
        now: Tick,
        order_id: &OrderId,
        event: OrderDomainEvent,
        injected: &Injected,
    ) -> (Reaction, bool) {
        let mut notes = Vec::new();
        let appended = self.append(now, order_id, event, 2, injected, &mut notes);
        if let Err(e) = &appended {
            notes.push(SagaTraceEvent::refused(
                now,
                ServiceName::Order,
                order_id,
                e,
            ));
        }
        (Reaction::noted(notes), appended.is_ok())
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

#[cfg(test)]
mod tests {
    use super::super::super::message::{CustomerId, SagaMessage};
    use super::super::testing::{env, lines, oid, ORCH};
    use super::*;

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
        assert!(r.notes.contains(&SagaTraceEvent::ConcurrencyConflict {
            tick: Tick(1),
            order_id: oid("A"),
            expected_version: 1,
            actual_version: 2
        }));
        assert!(r.notes.contains(&SagaTraceEvent::SnapshotTaken {
            tick: Tick(1),
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
}
