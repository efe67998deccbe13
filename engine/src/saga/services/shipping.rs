//! The Shipping service: ships an order, and the carrier delivers it `delivery_ticks`
//! later unless it was recalled first.

use super::super::message::{Envelope, OrderId, SagaMessage};
use super::{Injected, Reaction, SagaMode, SagaTraceEvent, ServiceName};
use crate::ids::Tick;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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
                    notes: vec![SagaTraceEvent::refused(
                        now,
                        ServiceName::Shipping,
                        order_id,
                        "shipment for a cancelled order",
                    )],
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

    fn cancel(&mut self, order_id: &OrderId) -> Reaction {
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
        Reaction::publish(SagaMessage::ShipmentCancelled {
            order_id: order_id.clone(),
            recalled,
        })
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
            M::CancelShipment { order_id } if !choreo => self.cancel(order_id),
            M::OrderCancelled { order_id, .. } if choreo => self.cancel(order_id),
            _ => Reaction::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{env, oid, ORCH};
    use super::*;

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

    /// A shipment recalled before its delivery tick is never delivered, and a delivered
    /// order whose saga still compensates is collected back.
    #[test]
    fn recalled_shipments_are_not_delivered_and_delivered_ones_are_returned() {
        let mut shipping = ShippingService::new(5);
        let ship = |id: &str| env(SagaMessage::ShipOrder { order_id: oid(id) });
        let cancel = |id: &str| env(SagaMessage::CancelShipment { order_id: oid(id) });
        let none = Injected::Nothing;
        shipping.handle(Tick(1), ORCH, &ship("a"), &none);
        shipping.handle(Tick(1), ORCH, &ship("b"), &none);
        assert!(shipping.tick(Tick(5)).publish.is_empty());
        shipping.handle(Tick(3), ORCH, &cancel("a"), &none);
        let delivered = shipping.tick(Tick(6)).publish;
        assert_eq!(
            delivered
                .iter()
                .map(|m| m.order_id().0.as_str())
                .collect::<Vec<_>>(),
            ["b"]
        );
        assert!(matches!(
            shipping.shipments[&oid("b")],
            ShipmentState::Delivered { .. }
        ));
        assert!(shipping.deliveries.is_empty());
        let returned = shipping.handle(Tick(7), ORCH, &cancel("b"), &none).publish;
        assert!(matches!(
            returned[..],
            [SagaMessage::ShipmentCancelled { recalled: true, .. }]
        ));
        assert!(matches!(
            shipping.shipments[&oid("b")],
            ShipmentState::Recalled { .. }
        ));
    }
}
