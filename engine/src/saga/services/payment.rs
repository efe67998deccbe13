//! The Payment service: charges and refunds. Charging is deliberately not idempotent by
//! itself: a redelivered ProcessPayment charges again unless the inbox absorbs it.

use super::super::message::{CustomerId, Envelope, OrderId, SagaMessage};
use super::{Injected, Reaction, SagaMode, ServiceNote};
use crate::ids::Tick;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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
                notes: vec![ServiceNote::refused(
                    order_id,
                    "charge for a refunded order",
                )],
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

#[cfg(test)]
mod tests {
    use super::super::testing::{env, oid, ORCH};
    use super::*;

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
}
