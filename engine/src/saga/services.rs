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

mod analytics;
mod inventory;
mod notification;
mod order;
mod payment;
mod shipping;

pub use analytics::AnalyticsService;
pub use inventory::{InventoryService, Reservation, ReservationState, Stock};
pub use notification::{NotificationService, SentNotification};
pub use order::OrderService;
pub use payment::{Movement, PaymentService};
pub use shipping::{ShipmentState, ShippingService};

use super::message::SagaMessage;
use super::orchestrator::{Compensation, SagaStep};
use super::trace::SagaTraceEvent;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Orchestrated (one orchestrator sends commands) or choreographed (services react to
/// events).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SagaMode {
    #[default]
    /// One orchestrator sends commands and folds replies into a saga log.
    Orchestration,
    /// Services react to each other's events; no orchestrator.
    Choreography,
}

crate::unit_enum_reader!(SagaMode {
    "orchestration" => Orchestration,
    "choreography" => Choreography,
});

/// The participants of the order flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
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

crate::unit_enum_reader!(ServiceName {
    "order" => Order,
    "inventory" => Inventory,
    "payment" => Payment,
    "shipping" => Shipping,
    "notification" => Notification,
    "analytics" => Analytics,
    "orchestrator" => Orchestrator,
});

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

/// What one handler call produced.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reaction {
    /// Messages to publish.
    pub publish: Vec<SagaMessage>,
    /// What happened, for the trace.
    pub notes: Vec<SagaTraceEvent>,
}

impl Reaction {
    fn publish(message: SagaMessage) -> Self {
        Self {
            publish: vec![message],
            notes: Vec::new(),
        }
    }

    fn noted(notes: Vec<SagaTraceEvent>) -> Self {
        Self {
            publish: Vec::new(),
            notes,
        }
    }
}

#[cfg(test)]
mod testing {
    use super::super::message::{
        CorrelationId, Envelope, EventId, EventMeta, OrderId, OrderLine, ProductId,
    };
    use super::*;

    pub const ORCH: SagaMode = SagaMode::Orchestration;

    pub fn env(message: SagaMessage) -> Envelope {
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

    pub fn oid(s: &str) -> OrderId {
        OrderId(s.into())
    }

    pub fn lines(q: u32) -> Vec<OrderLine> {
        vec![OrderLine {
            product_id: ProductId("P1".into()),
            quantity: q,
            unit_price_cents: 100,
        }]
    }
}

#[cfg(test)]
mod tests {
    use super::super::message::CustomerId;
    use super::testing::{lines, oid};
    use super::*;

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
