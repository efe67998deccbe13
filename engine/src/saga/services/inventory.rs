//! The Inventory service: stock per product and a reservation per order. Insufficient
//! stock is decided from the real stock levels; `available + reserved + shipped` never
//! changes.

use super::super::message::{
    total_cents, CustomerId, Envelope, OrderId, OrderLine, ProductId, SagaMessage,
};
use super::{Injected, Reaction, SagaMode, SagaTraceEvent, ServiceName};
use crate::ids::Tick;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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
            stock: crate::sort::map_of(initial.iter().map(|(p, n)| {
                let available = *n;
                (
                    p.clone(),
                    Stock {
                        available,
                        ..Stock::default()
                    },
                )
            })),
            initial,
            reservations: BTreeMap::new(),
        }
    }

    fn reserve(
        &mut self,
        now: Tick,
        order_id: &OrderId,
        customer_id: Option<&CustomerId>,
        lines: &[OrderLine],
        injected: &Injected,
    ) -> Reaction {
        let reply_ok = || SagaMessage::InventoryReserved {
            order_id: order_id.clone(),
            customer_id: customer_id.cloned().unwrap_or_default(),
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
                    notes: vec![SagaTraceEvent::refused(
                        now,
                        ServiceName::Inventory,
                        order_id,
                        "reservation for a cancelled order",
                    )],
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

    fn release(&mut self, order_id: &OrderId) -> Reaction {
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
            return Reaction::publish(reply);
        };
        let from_shipped = match r.state {
            ReservationState::Reserved => false,
            ReservationState::Shipped => true,
            _ => return Reaction::publish(reply),
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

    fn shipped(&mut self, now: Tick, order_id: &OrderId) -> Reaction {
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
            _ => Reaction::noted(vec![SagaTraceEvent::refused(
                now,
                ServiceName::Inventory,
                order_id,
                "shipment of a released reservation (recalled)",
            )]),
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
            M::ReserveInventory { order_id, lines } if !choreo => {
                self.reserve(now, order_id, None, lines, injected)
            }
            M::OrderCreated {
                order_id,
                customer_id,
                lines,
                ..
            } if choreo => self.reserve(now, order_id, Some(customer_id), lines, injected),
            M::ReleaseInventory { order_id } if !choreo => self.release(order_id),
            M::OrderCancelled { order_id, .. } if choreo => self.release(order_id),
            M::OrderShipped { order_id, .. } => self.shipped(now, order_id),
            _ => Reaction::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{env, lines, oid, ORCH};
    use super::*;

    fn inventory(n: u64) -> InventoryService {
        InventoryService::new([(ProductId("P1".into()), n)].into_iter().collect())
    }

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
}
