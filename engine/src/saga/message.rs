//! The order domain's messages: commands sent to a service and the events services publish.
//!
//! Every message travels inside an [`Envelope`] whose [`EventMeta`] carries the headers a
//! real event carries (event id, correlation id, causation id, schema version), so one
//! order's path across services can be listed in causal order.

use serde::{Deserialize, Serialize};
use std::fmt;

mod wire;

/// An order's id. It is also the saga's id, the correlation id of every message the order
/// causes and the record key (so all of one order's records stay in one partition, in order).
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OrderId(pub String);

/// A product's id (stock is kept per product).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ProductId(pub String);

/// A customer's id (payments are charged per customer).
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CustomerId(pub String);

/// The event id header (the engine's [`crate::ids::EventId`]). Ids grow with production
/// order, so sorting by id lists an order's path in causal order.
pub use crate::ids::EventId;

/// The id shared by every message caused (directly or not) by one order: the order id.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CorrelationId(pub String);

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for ProductId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One line of an order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    /// The product.
    pub product_id: ProductId,
    /// Units ordered.
    pub quantity: u32,
    /// Price of one unit, in cents.
    pub unit_price_cents: u64,
}

/// Total of some order lines, in cents.
pub fn total_cents(lines: &[OrderLine]) -> u64 {
    lines
        .iter()
        .map(|l| u64::from(l.quantity) * l.unit_price_cents)
        .sum()
}

/// What a notification told the customer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// The order was accepted.
    OrderConfirmed,
    /// The order is on its way.
    OrderShipped,
    /// The order was cancelled.
    OrderCancelled,
}

crate::unit_enum_reader!(NotificationKind {
    "order_confirmed" => OrderConfirmed,
    "order_shipped" => OrderShipped,
    "order_cancelled" => OrderCancelled,
});

/// Every command and event of the order flow.
///
/// Commands (imperative names) go to one service's command topic; events (past tense) go to
/// the shared events topic. All carry the order id.
///
/// Read through one flat struct (`wire`), not serde's derived reader for tagged enums,
/// which was one of the biggest functions of the release wasm; the format is the same.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", try_from = "wire::Wire")]
pub enum SagaMessage {
    // ---- Order service ----
    /// Command from the customer: place an order.
    PlaceOrder {
        /// The order (one saga per order).
        order_id: OrderId,
        /// The customer.
        customer_id: CustomerId,
        /// The order's lines.
        lines: Vec<OrderLine>,
        /// `None` when the client speaks schema version 1 (no currency).
        currency: Option<String>,
    },
    /// Event: the order exists (status Created). Starts the saga.
    OrderCreated {
        /// The order (one saga per order).
        order_id: OrderId,
        /// The customer.
        customer_id: CustomerId,
        /// The order's lines.
        lines: Vec<OrderLine>,
        /// The order total, in cents.
        total_cents: u64,
        /// The currency (ISO code).
        currency: String,
    },
    /// Compensation command: cancel the order.
    CancelOrder {
        /// The order (one saga per order).
        order_id: OrderId,
        /// Why, in words.
        reason: String,
    },
    /// Event: the order is cancelled (choreography: this triggers every compensation).
    OrderCancelled {
        /// The order (one saga per order).
        order_id: OrderId,
        /// Why, in words.
        reason: String,
    },

    // ---- Inventory service ----
    /// Command: reserve the order's lines.
    ReserveInventory {
        /// The order (one saga per order).
        order_id: OrderId,
        /// The order's lines.
        lines: Vec<OrderLine>,
    },
    /// The stock is reserved.
    InventoryReserved {
        /// The order (one saga per order).
        order_id: OrderId,
        /// The customer.
        customer_id: CustomerId,
        /// The order total, in cents.
        total_cents: u64,
        /// The order's lines.
        lines: Vec<OrderLine>,
    },
    /// The stock could not be reserved (insufficient stock, or declined).
    InventoryReservationFailed {
        /// The order (one saga per order).
        order_id: OrderId,
        /// Why, in words.
        reason: String,
    },
    /// Compensation command: give the reserved (or recalled) stock back.
    ReleaseInventory {
        /// The order (one saga per order).
        order_id: OrderId,
    },
    /// The reservation was given back.
    InventoryReleased {
        /// The order (one saga per order).
        order_id: OrderId,
    },

    // ---- Payment service ----
    /// Command: charge the customer.
    ProcessPayment {
        /// The order (one saga per order).
        order_id: OrderId,
        /// The customer.
        customer_id: CustomerId,
        /// The amount, in cents.
        amount_cents: u64,
    },
    /// The customer was charged.
    PaymentProcessed {
        /// The order (one saga per order).
        order_id: OrderId,
        /// The amount, in cents.
        amount_cents: u64,
    },
    /// The charge was declined.
    PaymentFailed {
        /// The order (one saga per order).
        order_id: OrderId,
        /// Why, in words.
        reason: String,
    },
    /// Compensation command: refund what was charged for the order (maybe nothing).
    RefundPayment {
        /// The order (one saga per order).
        order_id: OrderId,
    },
    /// The charge was refunded (`amount_cents` 0 if nothing was charged).
    PaymentRefunded {
        /// The order (one saga per order).
        order_id: OrderId,
        /// The amount, in cents.
        amount_cents: u64,
    },

    // ---- Shipping service ----
    /// Command: ship the order.
    ShipOrder {
        /// The order (one saga per order).
        order_id: OrderId,
    },
    /// The order is on its way.
    OrderShipped {
        /// The order (one saga per order).
        order_id: OrderId,
        /// The carrier's tracking number.
        tracking_number: String,
    },
    /// The carrier delivered the shipment (Shipping publishes it `delivery_ticks` after
    /// shipping; the saga is already over, this only moves the order to Delivered).
    OrderDelivered {
        /// The order (one saga per order).
        order_id: OrderId,
        /// The carrier's tracking number.
        tracking_number: String,
    },
    /// The carrier refused the shipment.
    ShippingFailed {
        /// The order (one saga per order).
        order_id: OrderId,
        /// Why, in words.
        reason: String,
    },
    /// Compensation command (only after a shipping timeout): recall the shipment if it left.
    CancelShipment {
        /// The order (one saga per order).
        order_id: OrderId,
    },
    /// The shipment was cancelled (recalled if it had left).
    ShipmentCancelled {
        /// The order (one saga per order).
        order_id: OrderId,
        /// True if a shipment had left and was taken back.
        recalled: bool,
    },

    // ---- Notification service ----
    /// Notification told the customer something.
    NotificationSent {
        /// The order (one saga per order).
        order_id: OrderId,
        /// What the customer was told.
        kind: NotificationKind,
    },
}

impl SagaMessage {
    /// The order this message belongs to.
    pub fn order_id(&self) -> &OrderId {
        use SagaMessage::*;
        match self {
            PlaceOrder { order_id, .. }
            | OrderCreated { order_id, .. }
            | CancelOrder { order_id, .. }
            | OrderCancelled { order_id, .. }
            | ReserveInventory { order_id, .. }
            | InventoryReserved { order_id, .. }
            | InventoryReservationFailed { order_id, .. }
            | ReleaseInventory { order_id }
            | InventoryReleased { order_id }
            | ProcessPayment { order_id, .. }
            | PaymentProcessed { order_id, .. }
            | PaymentFailed { order_id, .. }
            | RefundPayment { order_id }
            | PaymentRefunded { order_id, .. }
            | ShipOrder { order_id }
            | OrderShipped { order_id, .. }
            | OrderDelivered { order_id, .. }
            | ShippingFailed { order_id, .. }
            | CancelShipment { order_id }
            | ShipmentCancelled { order_id, .. }
            | NotificationSent { order_id, .. } => order_id,
        }
    }

    /// The message's type name, as shown in traces.
    pub fn name(&self) -> &'static str {
        use SagaMessage::*;
        match self {
            PlaceOrder { .. } => "PlaceOrder",
            OrderCreated { .. } => "OrderCreated",
            CancelOrder { .. } => "CancelOrder",
            OrderCancelled { .. } => "OrderCancelled",
            ReserveInventory { .. } => "ReserveInventory",
            InventoryReserved { .. } => "InventoryReserved",
            InventoryReservationFailed { .. } => "InventoryReservationFailed",
            ReleaseInventory { .. } => "ReleaseInventory",
            InventoryReleased { .. } => "InventoryReleased",
            ProcessPayment { .. } => "ProcessPayment",
            PaymentProcessed { .. } => "PaymentProcessed",
            PaymentFailed { .. } => "PaymentFailed",
            RefundPayment { .. } => "RefundPayment",
            PaymentRefunded { .. } => "PaymentRefunded",
            ShipOrder { .. } => "ShipOrder",
            OrderShipped { .. } => "OrderShipped",
            OrderDelivered { .. } => "OrderDelivered",
            ShippingFailed { .. } => "ShippingFailed",
            CancelShipment { .. } => "CancelShipment",
            ShipmentCancelled { .. } => "ShipmentCancelled",
            NotificationSent { .. } => "NotificationSent",
        }
    }

    /// True for commands (addressed to one service), false for events.
    pub fn is_command(&self) -> bool {
        use SagaMessage::*;
        matches!(
            self,
            PlaceOrder { .. }
                | CancelOrder { .. }
                | ReserveInventory { .. }
                | ReleaseInventory { .. }
                | ProcessPayment { .. }
                | RefundPayment { .. }
                | ShipOrder { .. }
                | CancelShipment { .. }
        )
    }

    /// The topic a message is published to.
    pub fn topic(&self) -> &'static str {
        use SagaMessage::*;
        match self {
            PlaceOrder { .. } | CancelOrder { .. } => topics::ORDER_COMMANDS,
            ReserveInventory { .. } | ReleaseInventory { .. } => topics::INVENTORY_COMMANDS,
            ProcessPayment { .. } | RefundPayment { .. } => topics::PAYMENT_COMMANDS,
            ShipOrder { .. } | CancelShipment { .. } => topics::SHIPPING_COMMANDS,
            _ => topics::ORDER_EVENTS,
        }
    }
}

/// The topics of the order flow. Every record is keyed by its order id.
pub mod topics {
    /// Commands for the Order service.
    pub const ORDER_COMMANDS: &str = "order-commands";
    /// Commands for the Inventory service.
    pub const INVENTORY_COMMANDS: &str = "inventory-commands";
    /// Commands for the Payment service.
    pub const PAYMENT_COMMANDS: &str = "payment-commands";
    /// Commands for the Shipping service.
    pub const SHIPPING_COMMANDS: &str = "shipping-commands";
    /// Every domain event of every service (one order's events share one partition).
    pub const ORDER_EVENTS: &str = "order-events";
    /// All source topics, in a fixed order.
    pub const ALL: [&str; 5] = [
        ORDER_COMMANDS,
        INVENTORY_COMMANDS,
        PAYMENT_COMMANDS,
        SHIPPING_COMMANDS,
        ORDER_EVENTS,
    ];

    /// The dead-letter topic of a source topic: `<topic>.DLQ`.
    pub fn dead_letter_topic(topic: &str) -> String {
        format!("{topic}.DLQ")
    }
}

/// The headers every record of the order flow carries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventMeta {
    /// Unique id of the message (kept by a redelivered or re-published copy).
    pub event_id: EventId,
    /// The order (saga) this message belongs to.
    pub correlation_id: CorrelationId,
    /// The event whose handling produced this one; `None` for messages from outside.
    pub causation_id: Option<EventId>,
    /// Schema version of the payload (OrderCreated/PlaceOrder: 1 without currency, 2 with).
    pub schema_version: u32,
}

/// A message with its headers: what a record of the order flow holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// The headers.
    pub meta: EventMeta,
    /// The message.
    pub message: SagaMessage,
}

/// The currency assumed for schema version 1 messages, which carry none.
pub const DEFAULT_CURRENCY: &str = "USD";

/// Upcasts a message to the current schema (version 2): a v1 `PlaceOrder` gets the
/// default currency. Other messages have one version and pass unchanged.
pub fn upcast(mut envelope: Envelope) -> Envelope {
    if envelope.meta.schema_version < 2 {
        if let SagaMessage::PlaceOrder { currency, .. } = &mut envelope.message {
            if currency.is_none() {
                *currency = Some(DEFAULT_CURRENCY.to_string());
            }
        }
        envelope.meta.schema_version = 2;
    }
    envelope
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(currency: Option<&str>) -> SagaMessage {
        SagaMessage::PlaceOrder {
            order_id: OrderId("O1".into()),
            customer_id: CustomerId("C1".into()),
            lines: vec![OrderLine {
                product_id: ProductId("P1".into()),
                quantity: 2,
                unit_price_cents: 2999,
            }],
            currency: currency.map(str::to_string),
        }
    }

    #[test]
    fn messages_round_trip_through_json_with_their_type_tag() {
        let m = place(Some("EUR"));
        let json = serde_json::to_string(&m).unwrap();
        assert!(json.starts_with(r#"{"type":"PlaceOrder""#), "{json}");
        assert_eq!(serde_json::from_str::<SagaMessage>(&json).unwrap(), m);
    }

    #[test]
    fn upcaster_fills_the_default_currency_of_version_1_only() {
        let meta = |v| EventMeta {
            event_id: EventId(1),
            correlation_id: CorrelationId("O1".into()),
            causation_id: None,
            schema_version: v,
        };
        let v1 = upcast(Envelope {
            meta: meta(1),
            message: place(None),
        });
        assert_eq!(v1.message, place(Some("USD")));
        assert_eq!(v1.meta.schema_version, 2);
        let v2 = upcast(Envelope {
            meta: meta(2),
            message: place(Some("EUR")),
        });
        assert_eq!(v2.message, place(Some("EUR")));
    }

    #[test]
    fn commands_and_events_go_to_their_topics() {
        assert_eq!(place(None).topic(), topics::ORDER_COMMANDS);
        assert!(place(None).is_command());
        let shipped = SagaMessage::OrderShipped {
            order_id: OrderId("O1".into()),
            tracking_number: "T".into(),
        };
        assert_eq!(shipped.topic(), topics::ORDER_EVENTS);
        assert!(!shipped.is_command());
        assert_eq!(
            topics::dead_letter_topic("payment-commands"),
            "payment-commands.DLQ"
        );
        assert_eq!(total_cents(&[]), 0);
    }
}
