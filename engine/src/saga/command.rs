//! What is asked of a running saga from outside: orders and dead-letter resubmissions a
//! scenario schedules by tick, and the commands a person gives at the current tick (the
//! UI's buttons, the CLI).

use super::faults::{FaultEffect, FaultRule};
use super::message::{CustomerId, OrderId, OrderLine, ProductId, SagaMessage};
use super::projection::ProjectionKind;
use super::services::{CallTarget, ServiceName};
use crate::ids::{Offset, PartitionId, Tick};
use serde::{Deserialize, Serialize};

mod wire;

/// An order the scenario places at a tick.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRequest {
    /// The tick it happens at.
    pub at_tick: Tick,
    /// The order.
    pub order_id: OrderId,
    /// The customer.
    pub customer_id: CustomerId,
    /// The order's lines.
    pub lines: Vec<OrderLine>,
    /// `None`: a version 1 client (no currency), upcast to USD.
    pub currency: Option<String>,
}

impl OrderRequest {
    /// A one-line order of `quantity` units of `product` at 25.00 EUR each, at `at_tick`.
    pub fn one_line(at_tick: u64, id: &str, customer: &str, product: &str, quantity: u32) -> Self {
        OrderRequest {
            at_tick: Tick(at_tick),
            order_id: OrderId(id.into()),
            customer_id: CustomerId(customer.into()),
            lines: vec![OrderLine {
                product_id: ProductId(product.into()),
                quantity,
                unit_price_cents: 2500,
            }],
            currency: Some("EUR".into()),
        }
    }

    /// The `PlaceOrder` command the customer's client sends.
    pub fn place_order(self) -> SagaMessage {
        SagaMessage::PlaceOrder {
            order_id: self.order_id,
            customer_id: self.customer_id,
            lines: self.lines,
            currency: self.currency,
        }
    }
}

/// Moves every record of `<topic>.DLQ` back to `topic` at a tick.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResubmitRequest {
    /// The tick it happens at.
    pub at_tick: Tick,
    /// The topic.
    pub topic: String,
}

/// Most extra ticks per record a `set_slowdown` may ask for.
pub const MAX_SLOWDOWN_TICKS: u64 = 1_000_000;

/// A command to a running saga (the UI's buttons).
///
/// Read through one flat struct (`wire`), not serde's derived reader for tagged enums;
/// the format is the same.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", try_from = "wire::Wire")]
pub enum SagaCommand {
    /// A customer places an order now.
    PlaceOrder {
        /// The order.
        order_id: OrderId,
        /// The customer.
        customer_id: CustomerId,
        /// The order's lines.
        lines: Vec<OrderLine>,
        /// The currency (ISO code).
        currency: Option<String>,
    },
    /// Kills the service's member (its group notices after the session timeout).
    TakeDown {
        /// The service.
        service: ServiceName,
    },
    /// Starts a new member for a taken-down service (its group rebalances).
    BringUp {
        /// The service.
        service: ServiceName,
    },
    /// Moves every dead letter of `<topic>.DLQ` back to `topic`.
    ResubmitDeadLetters {
        /// The topic.
        topic: String,
    },
    /// Makes the service take `extra_ticks` longer per record from the current tick until
    /// set again (0: its own speed back); a slow service's steps time out (the page's "Slow
    /// NAME"). Refused above [`MAX_SLOWDOWN_TICKS`].
    SetSlowdown {
        /// The service.
        service: ServiceName,
        /// Extra ticks per record.
        extra_ticks: u64,
    },
    /// Sets the chance that each call of `target` fails with `effect` from the current tick:
    /// the probability rules of `target` in force end now, and a new one starts unless
    /// `probability` is 0 (the page's "Fail payment with probability P%"). Each call draws
    /// from the simulation's one RNG, so a seed replays the same failures.
    SetFaultChance {
        /// The step or compensation.
        target: CallTarget,
        /// What a failure does.
        effect: FaultEffect,
        /// From 0 to 1.
        probability: f64,
    },
    /// Moves one dead letter back to `topic`: the record at `partition`, `offset` of
    /// `<topic>.DLQ` (refused if there is none there or it was resubmitted already).
    ResubmitDeadLetter {
        /// The topic the record failed on.
        topic: String,
        /// Its partition on the DLQ.
        partition: PartitionId,
        /// Its offset on the DLQ.
        offset: Offset,
    },
    /// Snapshots the order's event-sourced aggregate at its current version now, so
    /// loading it replays only the events after (the page's "Snapshot"); nothing when its
    /// latest snapshot is at that version already, refused (typed) when it has no events.
    TakeSnapshot {
        /// The order.
        order_id: OrderId,
    },
    /// Places `orders_per_tick` orders every tick from the next on, each with a customer of
    /// `customer-1..=customer-N` (N = `customers`), a stocked product and a quantity drawn
    /// from the simulation's RNG ([`OrderStream`](super::order_stream::OrderStream)); 0
    /// stops the stream. Refused above
    /// [`MAX_STREAM_ORDERS_PER_TICK`](super::order_stream::MAX_STREAM_ORDERS_PER_TICK) or
    /// with customers out of the generator's bounds.
    SetOrderStream {
        /// Orders per tick (0: stop).
        orders_per_tick: u32,
        /// How many customers the orders are drawn from.
        customers: u32,
    },
    /// Rebuilds a projection by replay.
    RebuildProjection {
        /// The projection.
        projection: ProjectionKind,
    },
    /// Adds a rule to the running saga's fault plan, active from the current tick (a rule
    /// whose `from_tick` is later keeps it): e.g. `FaultRule::next_calls(target, effect, 1)`
    /// fails the next call of a step, so the next order fails there.
    InjectFault {
        /// The rule.
        rule: FaultRule,
    },
    /// Disarms the "next N calls" rules of a step or compensation that have calls left:
    /// each keeps the calls it already failed and fails no more (the page's toggles off).
    DisarmFaults {
        /// The step or compensation.
        target: CallTarget,
    },
}

impl SagaCommand {
    /// The `type` tags of the saga's commands: what tells one from a simulation command in
    /// a scenario's list.
    pub const TYPES: [&'static str; 12] = [
        "place_order",
        "take_down",
        "bring_up",
        "resubmit_dead_letters",
        "rebuild_projection",
        "inject_fault",
        "disarm_faults",
        "resubmit_dead_letter",
        "set_fault_chance",
        "set_slowdown",
        "take_snapshot",
        "set_order_stream",
    ];
}
