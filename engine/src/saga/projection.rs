//! CQRS read models fed from the events topic.
//!
//! Each projection is a fold over events; it is fed by its own consumer (so it lags behind
//! the log by however many records it has not read yet) and it can be rebuilt from scratch
//! by replaying the topic. All of one order's events share a partition (the key is the order
//! id), so a projection whose per-order logic only depends on that order's events gives the
//! same result whatever the interleaving of partitions: the rebuild equals the incremental
//! model.

use super::event_store::OrderStatus;
use super::message::{Envelope, NotificationKind, OrderId, OrderLine, ProductId, SagaMessage};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Which read model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProjectionKind {
    /// Orders per status.
    OrderSummary,
    /// Units and revenue per product.
    SalesPerProduct,
    /// Notifications per kind and order.
    NotificationsSent,
}

crate::unit_enum_reader!(ProjectionKind {
    "order-summary" => OrderSummary,
    "sales-per-product" => SalesPerProduct,
    "notifications-sent" => NotificationsSent,
});

impl ProjectionKind {
    /// All projections, in a fixed order.
    pub const ALL: [ProjectionKind; 3] = [
        ProjectionKind::OrderSummary,
        ProjectionKind::SalesPerProduct,
        ProjectionKind::NotificationsSent,
    ];

    /// The consumer group name the projection reads with.
    pub fn group(self) -> &'static str {
        match self {
            ProjectionKind::OrderSummary => "projection-order-summary",
            ProjectionKind::SalesPerProduct => "projection-sales-per-product",
            ProjectionKind::NotificationsSent => "projection-notifications-sent",
        }
    }
}

/// Orders by status.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderSummary {
    /// The current status of every order.
    pub status_by_order: BTreeMap<OrderId, OrderStatus>,
}

impl OrderSummary {
    /// Applies one event; transitions the Order aggregate would refuse are ignored.
    pub fn apply(&mut self, envelope: &Envelope) {
        use OrderStatus as S;
        use SagaMessage as M;
        let order_id = envelope.message.order_id();
        let current = self.status_by_order.get(order_id).copied();
        let next = match (&envelope.message, current) {
            (M::OrderCreated { .. }, None) => S::Created,
            (M::PaymentProcessed { .. }, Some(S::Created)) => S::Paid,
            (M::OrderShipped { .. }, Some(S::Paid)) => S::Shipped,
            (M::OrderDelivered { .. }, Some(S::Shipped)) => S::Delivered,
            (M::OrderCancelled { .. }, Some(S::Created | S::Paid | S::Shipped | S::Delivered)) => {
                S::Cancelled
            }
            _ => return,
        };
        self.status_by_order.insert(order_id.clone(), next);
    }

    /// Number of orders per status.
    pub fn count_by_status(&self) -> BTreeMap<OrderStatus, u64> {
        let mut counts = BTreeMap::new();
        for status in self.status_by_order.values() {
            *counts.entry(*status).or_insert(0) += 1;
        }
        counts
    }
}

/// Units and revenue per product, counting shipped orders (a recalled shipment is taken off).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalesPerProduct {
    /// Units sold per product.
    pub units: BTreeMap<ProductId, u64>,
    /// Revenue per product, in cents.
    pub revenue_cents: BTreeMap<ProductId, u64>,
    lines_by_order: BTreeMap<OrderId, Vec<OrderLine>>,
    counted: BTreeSet<OrderId>,
}

impl SalesPerProduct {
    /// Applies one event.
    pub fn apply(&mut self, envelope: &Envelope) {
        use SagaMessage as M;
        match &envelope.message {
            M::OrderCreated {
                order_id, lines, ..
            } => {
                self.lines_by_order
                    .entry(order_id.clone())
                    .or_insert_with(|| lines.clone());
            }
            M::OrderShipped { order_id, .. } => {
                if self.counted.contains(order_id) {
                    return;
                }
                let Some(lines) = self.lines_by_order.get(order_id) else {
                    return;
                };
                for l in lines {
                    *self.units.entry(l.product_id.clone()).or_insert(0) += u64::from(l.quantity);
                    *self.revenue_cents.entry(l.product_id.clone()).or_insert(0) +=
                        u64::from(l.quantity) * l.unit_price_cents;
                }
                self.counted.insert(order_id.clone());
            }
            M::ShipmentCancelled {
                order_id,
                recalled: true,
            } => {
                if !self.counted.remove(order_id) {
                    return;
                }
                if let Some(lines) = self.lines_by_order.get(order_id) {
                    for l in lines {
                        if let Some(u) = self.units.get_mut(&l.product_id) {
                            *u -= u64::from(l.quantity);
                        }
                        if let Some(r) = self.revenue_cents.get_mut(&l.product_id) {
                            *r -= u64::from(l.quantity) * l.unit_price_cents;
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

/// Notifications sent, per kind and per order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationsSent {
    /// Notifications per kind.
    pub by_kind: BTreeMap<NotificationKind, u64>,
    /// Notifications per order.
    pub by_order: BTreeMap<OrderId, Vec<NotificationKind>>,
}

impl NotificationsSent {
    /// Applies one event.
    pub fn apply(&mut self, envelope: &Envelope) {
        if let SagaMessage::NotificationSent { order_id, kind } = &envelope.message {
            *self.by_kind.entry(*kind).or_insert(0) += 1;
            self.by_order
                .entry(order_id.clone())
                .or_default()
                .push(*kind);
        }
    }
}

/// One read model's state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ReadModel {
    /// Orders per status.
    OrderSummary(OrderSummary),
    /// Units and revenue per product.
    SalesPerProduct(SalesPerProduct),
    /// Notifications per kind and order.
    NotificationsSent(NotificationsSent),
}

impl ReadModel {
    /// An empty read model of `kind`.
    pub fn empty(kind: ProjectionKind) -> Self {
        match kind {
            ProjectionKind::OrderSummary => ReadModel::OrderSummary(OrderSummary::default()),
            ProjectionKind::SalesPerProduct => {
                ReadModel::SalesPerProduct(SalesPerProduct::default())
            }
            ProjectionKind::NotificationsSent => {
                ReadModel::NotificationsSent(NotificationsSent::default())
            }
        }
    }

    /// Applies one event.
    pub fn apply(&mut self, envelope: &Envelope) {
        match self {
            ReadModel::OrderSummary(m) => m.apply(envelope),
            ReadModel::SalesPerProduct(m) => m.apply(envelope),
            ReadModel::NotificationsSent(m) => m.apply(envelope),
        }
    }

    /// Builds a read model from scratch by replaying `events` in order.
    pub fn rebuild<'a>(
        kind: ProjectionKind,
        events: impl IntoIterator<Item = &'a Envelope>,
    ) -> Self {
        let mut model = Self::empty(kind);
        for e in events {
            model.apply(e);
        }
        model
    }
}

#[cfg(test)]
mod tests {
    use super::super::message::*;
    use super::*;

    fn env(id: u64, message: SagaMessage) -> Envelope {
        Envelope {
            meta: EventMeta {
                event_id: EventId(id),
                correlation_id: CorrelationId(message.order_id().0.clone()),
                causation_id: None,
                schema_version: 2,
            },
            message,
        }
    }

    fn created(order: &str, qty: u32) -> SagaMessage {
        SagaMessage::OrderCreated {
            order_id: OrderId(order.into()),
            customer_id: CustomerId("C".into()),
            lines: vec![OrderLine {
                product_id: ProductId("P1".into()),
                quantity: qty,
                unit_price_cents: 100,
            }],
            total_cents: 100 * u64::from(qty),
            currency: "USD".into(),
        }
    }

    #[test]
    fn summary_follows_order_rules_and_ignores_late_payment_after_cancel() {
        let mut m = OrderSummary::default();
        let o = OrderId("O1".into());
        m.apply(&env(1, created("O1", 1)));
        m.apply(&env(
            2,
            SagaMessage::OrderCancelled {
                order_id: o.clone(),
                reason: "t".into(),
            },
        ));
        m.apply(&env(
            3,
            SagaMessage::PaymentProcessed {
                order_id: o.clone(),
                amount_cents: 100,
            },
        ));
        assert_eq!(m.status_by_order[&o], OrderStatus::Cancelled);
        assert_eq!(m.count_by_status()[&OrderStatus::Cancelled], 1);
    }

    #[test]
    fn sales_count_shipped_orders_once_and_recall_takes_them_off() {
        let events = vec![
            env(1, created("O1", 2)),
            env(2, created("O2", 3)),
            env(
                3,
                SagaMessage::OrderShipped {
                    order_id: OrderId("O1".into()),
                    tracking_number: "T".into(),
                },
            ),
            env(
                4,
                SagaMessage::OrderShipped {
                    order_id: OrderId("O1".into()),
                    tracking_number: "T".into(),
                },
            ),
            env(
                5,
                SagaMessage::OrderShipped {
                    order_id: OrderId("O2".into()),
                    tracking_number: "T".into(),
                },
            ),
            env(
                6,
                SagaMessage::ShipmentCancelled {
                    order_id: OrderId("O2".into()),
                    recalled: true,
                },
            ),
        ];
        let ReadModel::SalesPerProduct(m) =
            ReadModel::rebuild(ProjectionKind::SalesPerProduct, &events)
        else {
            unreachable!()
        };
        assert_eq!(m.units[&ProductId("P1".into())], 2);
        assert_eq!(m.revenue_cents[&ProductId("P1".into())], 200);
    }
}
