//! The Payment service: charges and refunds. Charging is deliberately not idempotent by
//! itself: a redelivered ProcessPayment charges again unless the inbox absorbs it.

use super::super::message::{CustomerId, Envelope, OrderId, SagaMessage};
use super::{Injected, Reaction, SagaMode, SagaTraceEvent, ServiceName};
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
///
/// The totals (all, per order, per customer) are kept as movements are appended, so reading
/// a balance costs a lookup, not a walk over every movement; deserialising rebuilds them
/// from the movements.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "PaymentLedger")]
pub struct PaymentService {
    /// Every charge, in order.
    charges: Vec<Movement>,
    /// Every refund, in order.
    refunds: Vec<Movement>,
    /// Orders refunded (or voided) for good: a later charge is refused.
    pub closed: BTreeMap<OrderId, Tick>,
    #[serde(skip)]
    sums: PaymentSums,
}

/// The movements as stored: what a [`PaymentService`] is read back from.
#[derive(Deserialize)]
struct PaymentLedger {
    charges: Vec<Movement>,
    refunds: Vec<Movement>,
    closed: BTreeMap<OrderId, Tick>,
}

impl From<PaymentLedger> for PaymentService {
    fn from(ledger: PaymentLedger) -> Self {
        let mut service = Self {
            closed: ledger.closed,
            ..Self::default()
        };
        for m in ledger.charges {
            service.push_charge(m);
        }
        for m in ledger.refunds {
            service.push_refund(m);
        }
        service
    }
}

/// Running totals of the charges and refunds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct PaymentSums {
    charged_cents: u64,
    refunded_cents: u64,
    /// Per order: charged, refunded, and the customer of its first charge.
    by_order: BTreeMap<OrderId, OrderMoney>,
    /// Charged minus refunded per customer.
    by_customer: BTreeMap<CustomerId, i128>,
}

impl PaymentSums {
    /// Counts movement `m` in its customer's balance (`sign` 1: a charge, -1: a refund)
    /// and returns its order's money, for the caller to add it to charged or refunded.
    fn count(&mut self, m: &Movement, sign: i128) -> &mut OrderMoney {
        *self.by_customer.entry(m.customer_id.clone()).or_insert(0) +=
            sign * i128::from(m.amount_cents);
        self.by_order
            .entry(m.order_id.clone())
            .or_insert_with(|| OrderMoney {
                charged_cents: 0,
                refunded_cents: 0,
                customer_id: m.customer_id.clone(),
            })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct OrderMoney {
    charged_cents: u64,
    refunded_cents: u64,
    customer_id: CustomerId,
}

impl PaymentService {
    /// Every charge, in order.
    pub fn charges(&self) -> &[Movement] {
        &self.charges
    }

    /// Every refund, in order.
    pub fn refunds(&self) -> &[Movement] {
        &self.refunds
    }

    /// Charged minus refunded for one order.
    pub fn net_for_order(&self, order_id: &OrderId) -> i128 {
        self.sums.by_order.get(order_id).map_or(0, |m| {
            i128::from(m.charged_cents) - i128::from(m.refunded_cents)
        })
    }

    /// Total charged.
    pub fn charged_cents(&self) -> u64 {
        self.sums.charged_cents
    }

    /// Total refunded.
    pub fn refunded_cents(&self) -> u64 {
        self.sums.refunded_cents
    }

    /// Charged minus refunded per customer.
    pub fn balances(&self) -> BTreeMap<CustomerId, i128> {
        self.sums.by_customer.clone()
    }

    fn push_charge(&mut self, m: Movement) {
        let order = self.sums.count(&m, 1);
        order.charged_cents += m.amount_cents;
        self.sums.charged_cents += m.amount_cents;
        self.charges.push(m);
    }

    fn push_refund(&mut self, m: Movement) {
        let order = self.sums.count(&m, -1);
        order.refunded_cents += m.amount_cents;
        self.sums.refunded_cents += m.amount_cents;
        self.refunds.push(m);
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
                notes: vec![SagaTraceEvent::refused(
                    now,
                    ServiceName::Payment,
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
        self.push_charge(Movement {
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
            notes: vec![SagaTraceEvent::Charged {
                tick: now,
                order_id: order_id.clone(),
                amount_cents,
            }],
        }
    }

    fn refund(&mut self, now: Tick, order_id: &OrderId) -> Reaction {
        let outstanding = self.net_for_order(order_id).max(0) as u64;
        self.closed.entry(order_id.clone()).or_insert(now);
        let mut notes = Vec::new();
        if outstanding > 0 {
            let customer_id = (self.sums.by_order.get(order_id))
                .map_or_else(CustomerId::default, |m| m.customer_id.clone());
            self.push_refund(Movement {
                order_id: order_id.clone(),
                customer_id,
                amount_cents: outstanding,
                tick: now,
            });
            notes.push(SagaTraceEvent::Refunded {
                tick: now,
                order_id: order_id.clone(),
                amount_cents: outstanding,
            });
        }
        let publish = vec![SagaMessage::PaymentRefunded {
            order_id: order_id.clone(),
            amount_cents: outstanding,
        }];
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
            M::RefundPayment { order_id } if !choreo => self.refund(now, order_id),
            M::OrderCancelled { order_id, .. } if choreo => self.refund(now, order_id),
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
