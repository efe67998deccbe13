//! Reading a [`SagaMessage`] from its serialised form, `{"type": "PlaceOrder", ...}`.
//!
//! The derived reader of an internally tagged enum buffers the whole map in serde's
//! `Content` tree and then runs one struct reader per variant over it: 21 variants made it
//! one of the biggest functions of the release wasm (BENCHMARKS.md, "The bundle"). Every
//! variant's fields have one meaning and one type across the enum, so one flat struct with
//! every field optional reads them all, and the variant picks the fields it needs. The
//! format is unchanged: what `Serialize` writes reads back the same (tests below), and a
//! message without a field its variant needs is still an error.

use super::{CustomerId, NotificationKind, OrderId, OrderLine, SagaMessage};
use crate::wire::{need, MissingField};
use serde::Deserialize;

/// The variant names, as the `type` field spells them.
#[derive(Clone, Copy, Debug)]
enum Tag {
    PlaceOrder,
    OrderCreated,
    CancelOrder,
    OrderCancelled,
    ReserveInventory,
    InventoryReserved,
    InventoryReservationFailed,
    ReleaseInventory,
    InventoryReleased,
    ProcessPayment,
    PaymentProcessed,
    PaymentFailed,
    RefundPayment,
    PaymentRefunded,
    ShipOrder,
    OrderShipped,
    OrderDelivered,
    ShippingFailed,
    CancelShipment,
    ShipmentCancelled,
    NotificationSent,
}

crate::unit_enum_reader!(Tag {
    "PlaceOrder" => PlaceOrder,
    "OrderCreated" => OrderCreated,
    "CancelOrder" => CancelOrder,
    "OrderCancelled" => OrderCancelled,
    "ReserveInventory" => ReserveInventory,
    "InventoryReserved" => InventoryReserved,
    "InventoryReservationFailed" => InventoryReservationFailed,
    "ReleaseInventory" => ReleaseInventory,
    "InventoryReleased" => InventoryReleased,
    "ProcessPayment" => ProcessPayment,
    "PaymentProcessed" => PaymentProcessed,
    "PaymentFailed" => PaymentFailed,
    "RefundPayment" => RefundPayment,
    "PaymentRefunded" => PaymentRefunded,
    "ShipOrder" => ShipOrder,
    "OrderShipped" => OrderShipped,
    "OrderDelivered" => OrderDelivered,
    "ShippingFailed" => ShippingFailed,
    "CancelShipment" => CancelShipment,
    "ShipmentCancelled" => ShipmentCancelled,
    "NotificationSent" => NotificationSent,
});

/// Every field any variant has, as read; which are required depends on `type`.
#[derive(Deserialize)]
pub(super) struct Wire {
    #[serde(rename = "type")]
    tag: Tag,
    order_id: OrderId,
    customer_id: Option<CustomerId>,
    lines: Option<Vec<OrderLine>>,
    currency: Option<String>,
    total_cents: Option<u64>,
    reason: Option<String>,
    amount_cents: Option<u64>,
    tracking_number: Option<String>,
    recalled: Option<bool>,
    kind: Option<NotificationKind>,
}

impl TryFrom<Wire> for SagaMessage {
    type Error = MissingField;

    fn try_from(w: Wire) -> Result<Self, MissingField> {
        use SagaMessage as M;
        let order_id = w.order_id;
        Ok(match w.tag {
            Tag::PlaceOrder => M::PlaceOrder {
                order_id,
                customer_id: need!(w.customer_id),
                lines: need!(w.lines),
                currency: w.currency,
            },
            Tag::OrderCreated => M::OrderCreated {
                order_id,
                customer_id: need!(w.customer_id),
                lines: need!(w.lines),
                total_cents: need!(w.total_cents),
                currency: need!(w.currency),
            },
            Tag::CancelOrder => M::CancelOrder {
                order_id,
                reason: need!(w.reason),
            },
            Tag::OrderCancelled => M::OrderCancelled {
                order_id,
                reason: need!(w.reason),
            },
            Tag::ReserveInventory => M::ReserveInventory {
                order_id,
                lines: need!(w.lines),
            },
            Tag::InventoryReserved => M::InventoryReserved {
                order_id,
                customer_id: need!(w.customer_id),
                total_cents: need!(w.total_cents),
                lines: need!(w.lines),
            },
            Tag::InventoryReservationFailed => M::InventoryReservationFailed {
                order_id,
                reason: need!(w.reason),
            },
            Tag::ReleaseInventory => M::ReleaseInventory { order_id },
            Tag::InventoryReleased => M::InventoryReleased { order_id },
            Tag::ProcessPayment => M::ProcessPayment {
                order_id,
                customer_id: need!(w.customer_id),
                amount_cents: need!(w.amount_cents),
            },
            Tag::PaymentProcessed => M::PaymentProcessed {
                order_id,
                amount_cents: need!(w.amount_cents),
            },
            Tag::PaymentFailed => M::PaymentFailed {
                order_id,
                reason: need!(w.reason),
            },
            Tag::RefundPayment => M::RefundPayment { order_id },
            Tag::PaymentRefunded => M::PaymentRefunded {
                order_id,
                amount_cents: need!(w.amount_cents),
            },
            Tag::ShipOrder => M::ShipOrder { order_id },
            Tag::OrderShipped => M::OrderShipped {
                order_id,
                tracking_number: need!(w.tracking_number),
            },
            Tag::OrderDelivered => M::OrderDelivered {
                order_id,
                tracking_number: need!(w.tracking_number),
            },
            Tag::ShippingFailed => M::ShippingFailed {
                order_id,
                reason: need!(w.reason),
            },
            Tag::CancelShipment => M::CancelShipment { order_id },
            Tag::ShipmentCancelled => M::ShipmentCancelled {
                order_id,
                recalled: need!(w.recalled),
            },
            Tag::NotificationSent => M::NotificationSent {
                order_id,
                kind: need!(w.kind),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::{CustomerId, NotificationKind, OrderId, OrderLine, ProductId};
    use super::*;

    /// One message of every variant.
    fn every_variant() -> Vec<SagaMessage> {
        use SagaMessage as M;
        let o = || OrderId("O1".into());
        let c = || CustomerId("C1".into());
        let lines = || {
            vec![OrderLine {
                product_id: ProductId("P1".into()),
                quantity: 2,
                unit_price_cents: 2999,
            }]
        };
        let why = || "no stock".to_string();
        vec![
            M::PlaceOrder {
                order_id: o(),
                customer_id: c(),
                lines: lines(),
                currency: None,
            },
            M::PlaceOrder {
                order_id: o(),
                customer_id: c(),
                lines: lines(),
                currency: Some("EUR".into()),
            },
            M::OrderCreated {
                order_id: o(),
                customer_id: c(),
                lines: lines(),
                total_cents: 5998,
                currency: "USD".into(),
            },
            M::CancelOrder {
                order_id: o(),
                reason: why(),
            },
            M::OrderCancelled {
                order_id: o(),
                reason: why(),
            },
            M::ReserveInventory {
                order_id: o(),
                lines: lines(),
            },
            M::InventoryReserved {
                order_id: o(),
                customer_id: c(),
                total_cents: 5998,
                lines: lines(),
            },
            M::InventoryReservationFailed {
                order_id: o(),
                reason: why(),
            },
            M::ReleaseInventory { order_id: o() },
            M::InventoryReleased { order_id: o() },
            M::ProcessPayment {
                order_id: o(),
                customer_id: c(),
                amount_cents: 5998,
            },
            M::PaymentProcessed {
                order_id: o(),
                amount_cents: 5998,
            },
            M::PaymentFailed {
                order_id: o(),
                reason: why(),
            },
            M::RefundPayment { order_id: o() },
            M::PaymentRefunded {
                order_id: o(),
                amount_cents: 0,
            },
            M::ShipOrder { order_id: o() },
            M::OrderShipped {
                order_id: o(),
                tracking_number: "T1".into(),
            },
            M::OrderDelivered {
                order_id: o(),
                tracking_number: "T1".into(),
            },
            M::ShippingFailed {
                order_id: o(),
                reason: why(),
            },
            M::CancelShipment { order_id: o() },
            M::ShipmentCancelled {
                order_id: o(),
                recalled: true,
            },
            M::NotificationSent {
                order_id: o(),
                kind: NotificationKind::OrderShipped,
            },
        ]
    }

    #[test]
    fn every_variant_reads_back_what_it_writes() {
        let all = every_variant();
        let names: std::collections::BTreeSet<_> = all.iter().map(SagaMessage::name).collect();
        assert_eq!(names.len(), 21, "every variant is covered");
        for m in all {
            crate::wire::assert_reads_back(&m);
        }
    }

    #[test]
    fn the_type_may_come_anywhere_and_unknown_fields_are_ignored() {
        let json = r#"{"order_id":"O1","extra":[1,2],"type":"ShipOrder"}"#;
        let m: SagaMessage = serde_json::from_str(json).unwrap();
        assert_eq!(
            m,
            SagaMessage::ShipOrder {
                order_id: OrderId("O1".into())
            }
        );
        let v1 = r#"{"type":"PlaceOrder","order_id":"O1","customer_id":"C1","lines":[]}"#;
        let m: SagaMessage = serde_json::from_str(v1).unwrap();
        assert!(matches!(m, SagaMessage::PlaceOrder { currency: None, .. }));
    }

    #[test]
    fn a_missing_field_or_type_is_an_error_not_a_default() {
        let no_reason = r#"{"type":"PaymentFailed","order_id":"O1"}"#;
        let err = serde_json::from_str::<SagaMessage>(no_reason).unwrap_err();
        assert!(err.to_string().contains("missing field `reason`"), "{err}");
        let null_currency = r#"{"type":"OrderCreated","order_id":"O1","customer_id":"C1","lines":[],"total_cents":0,"currency":null}"#;
        assert!(serde_json::from_str::<SagaMessage>(null_currency).is_err());
        for bad in [
            r#"{"order_id":"O1"}"#,
            r#"{"type":"ShipOrder"}"#,
            r#"{"type":"Teleport","order_id":"O1"}"#,
            r#"{"type":"ShipOrder","order_id":7}"#,
            r#"[]"#,
        ] {
            assert!(serde_json::from_str::<SagaMessage>(bad).is_err(), "{bad}");
        }
    }
}
