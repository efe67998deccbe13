//! Reading a [`SagaCommand`] from its serialised form, `{"type": "take_down", ...}`: one
//! flat struct with every field optional, as for `SagaMessage` (see
//! `saga::message::wire`), instead of serde's derived reader for tagged enums (30 KB of
//! the release wasm). Every field has one meaning and one type across the variants; the
//! format is unchanged.

use super::super::faults::{FaultEffect, FaultRule};
use super::super::message::{CustomerId, OrderId, OrderLine};
use super::super::projection::ProjectionKind;
use super::super::services::{CallTarget, ServiceName};
use super::SagaCommand;
use crate::ids::{Offset, PartitionId};
use crate::wire::{need, MissingField};
use serde::Deserialize;

/// The variant names, as the `type` field spells them.
#[derive(Clone, Copy, Debug)]
enum Tag {
    PlaceOrder,
    TakeDown,
    BringUp,
    ResubmitDeadLetters,
    SetSlowdown,
    SetFaultChance,
    ResubmitDeadLetter,
    TakeSnapshot,
    SetOrderStream,
    RebuildProjection,
    InjectFault,
    DisarmFaults,
}

crate::unit_enum_reader!(Tag {
    "place_order" => PlaceOrder,
    "take_down" => TakeDown,
    "bring_up" => BringUp,
    "resubmit_dead_letters" => ResubmitDeadLetters,
    "set_slowdown" => SetSlowdown,
    "set_fault_chance" => SetFaultChance,
    "resubmit_dead_letter" => ResubmitDeadLetter,
    "take_snapshot" => TakeSnapshot,
    "set_order_stream" => SetOrderStream,
    "rebuild_projection" => RebuildProjection,
    "inject_fault" => InjectFault,
    "disarm_faults" => DisarmFaults,
});

/// Every field any variant has, as read; which are required depends on `type`.
#[derive(Deserialize)]
pub(super) struct Wire {
    #[serde(rename = "type")]
    tag: Tag,
    order_id: Option<OrderId>,
    customer_id: Option<CustomerId>,
    lines: Option<Vec<OrderLine>>,
    currency: Option<String>,
    service: Option<ServiceName>,
    topic: Option<String>,
    extra_ticks: Option<u64>,
    target: Option<CallTarget>,
    effect: Option<FaultEffect>,
    probability: Option<f64>,
    partition: Option<PartitionId>,
    offset: Option<Offset>,
    orders_per_tick: Option<u32>,
    customers: Option<u32>,
    projection: Option<ProjectionKind>,
    rule: Option<FaultRule>,
}

impl TryFrom<Wire> for SagaCommand {
    type Error = MissingField;

    fn try_from(w: Wire) -> Result<Self, MissingField> {
        use SagaCommand as C;
        Ok(match w.tag {
            Tag::PlaceOrder => C::PlaceOrder {
                order_id: need!(w.order_id),
                customer_id: need!(w.customer_id),
                lines: need!(w.lines),
                currency: w.currency,
            },
            Tag::TakeDown => C::TakeDown {
                service: need!(w.service),
            },
            Tag::BringUp => C::BringUp {
                service: need!(w.service),
            },
            Tag::ResubmitDeadLetters => C::ResubmitDeadLetters {
                topic: need!(w.topic),
            },
            Tag::SetSlowdown => C::SetSlowdown {
                service: need!(w.service),
                extra_ticks: need!(w.extra_ticks),
            },
            Tag::SetFaultChance => C::SetFaultChance {
                target: need!(w.target),
                effect: need!(w.effect),
                probability: need!(w.probability),
            },
            Tag::ResubmitDeadLetter => C::ResubmitDeadLetter {
                topic: need!(w.topic),
                partition: need!(w.partition),
                offset: need!(w.offset),
            },
            Tag::TakeSnapshot => C::TakeSnapshot {
                order_id: need!(w.order_id),
            },
            Tag::SetOrderStream => C::SetOrderStream {
                orders_per_tick: need!(w.orders_per_tick),
                customers: need!(w.customers),
            },
            Tag::RebuildProjection => C::RebuildProjection {
                projection: need!(w.projection),
            },
            Tag::InjectFault => C::InjectFault {
                rule: need!(w.rule),
            },
            Tag::DisarmFaults => C::DisarmFaults {
                target: need!(w.target),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::saga::message::ProductId;

    /// One command of every variant.
    fn every_variant() -> Vec<SagaCommand> {
        use SagaCommand as C;
        let target = CallTarget::Other;
        let place = |currency: Option<&str>| C::PlaceOrder {
            order_id: OrderId("O1".into()),
            customer_id: CustomerId("C1".into()),
            lines: vec![OrderLine {
                product_id: ProductId("P1".into()),
                quantity: 1,
                unit_price_cents: 2500,
            }],
            currency: currency.map(str::to_string),
        };
        vec![
            place(None),
            place(Some("EUR")),
            C::TakeDown {
                service: ServiceName::Payment,
            },
            C::BringUp {
                service: ServiceName::Payment,
            },
            C::ResubmitDeadLetters {
                topic: "payment-commands".into(),
            },
            C::SetSlowdown {
                service: ServiceName::Inventory,
                extra_ticks: 7,
            },
            C::SetFaultChance {
                target,
                effect: FaultEffect::Decline,
                probability: 0.25,
            },
            C::ResubmitDeadLetter {
                topic: "payment-commands".into(),
                partition: PartitionId(2),
                offset: Offset(9),
            },
            C::TakeSnapshot {
                order_id: OrderId("O1".into()),
            },
            C::SetOrderStream {
                orders_per_tick: 3,
                customers: 20,
            },
            C::RebuildProjection {
                projection: ProjectionKind::SalesPerProduct,
            },
            C::InjectFault {
                rule: FaultRule::next_calls(target, FaultEffect::Decline, 1),
            },
            C::DisarmFaults { target },
        ]
    }

    #[test]
    fn every_variant_reads_back_what_it_writes() {
        let all = every_variant();
        let tags: std::collections::BTreeSet<String> = all
            .iter()
            .map(|c| {
                serde_json::to_value(c).unwrap()["type"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        let types = SagaCommand::TYPES.iter().map(|t| t.to_string()).collect();
        assert_eq!(tags, types, "every variant is covered");
        for c in all {
            crate::wire::assert_reads_back(&c);
        }
    }

    #[test]
    fn a_missing_field_or_unknown_type_is_an_error() {
        let err =
            serde_json::from_str::<SagaCommand>(r#"{"type":"set_slowdown","service":"payment"}"#)
                .unwrap_err();
        assert!(
            err.to_string().contains("missing field `extra_ticks`"),
            "{err}"
        );
        for bad in [
            r#"{"service":"payment"}"#,
            r#"{"type":"take_down"}"#,
            r#"{"type":"TakeDown","service":"payment"}"#,
            r#"{"type":"take_down","service":"nobody"}"#,
        ] {
            assert!(serde_json::from_str::<SagaCommand>(bad).is_err(), "{bad}");
        }
    }
}
