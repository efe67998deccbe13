//! The seed documents' order flows as named scenarios, in the order the UI lists them.
//! Every one runs on the streaming engine's consumer groups, so a crash is a member dying
//! mid-record and an outage a member killed, each followed by the group's session timeout,
//! a rebalance and redelivery.

use super::super::command::{OrderRequest, ResubmitRequest};
use super::super::config::{SagaConfig, SagaSetup};
use super::super::faults::{
    Crash, CrashPoint, FaultEffect, FaultPlan, FaultRule, Outage, RelayCrash, Slowdown,
};
use super::super::message::{topics, CustomerId, OrderId, OrderLine, ProductId};
use super::super::orchestrator::{Compensation, SagaStep, StepTimeouts};
use super::super::services::{CallTarget, SagaMode, ServiceName};
use super::SagaScenario;
use crate::group::CommitPolicy;
use crate::ids::Tick;

/// Every named scenario, in the order the UI lists them.
pub fn named_scenarios() -> Vec<SagaScenario> {
    vec![
        happy_path(),
        payment_fails_compensation(),
        insufficient_stock(),
        shipping_timeout(),
        duplicate_delivery(false),
        duplicate_delivery(true),
        crash(false),
        crash(true),
        poison_message_dlq_resubmit(),
        payment_outage_redelivery(),
        slow_shipping_timeout(),
        mixed_failures(SagaMode::Orchestration),
        mixed_failures(SagaMode::Choreography),
        event_sourced_order(),
    ]
}

/// The named scenario `name`.
pub fn named_scenario(name: &str) -> Option<SagaScenario> {
    named_scenarios().into_iter().find(|s| s.name == name)
}

/// Names scenarios had before every scenario ran on consumer groups: the two crash
/// scenarios were the same on both drivers, and the prefix no longer tells anything apart.
pub(super) const RENAMED: [(&str, &str); 4] = [
    (
        "consumer-groups-crash-without-outbox",
        "crash-without-outbox",
    ),
    ("consumer-groups-crash-with-outbox", "crash-with-outbox"),
    (
        "consumer-groups-payment-outage",
        "payment-outage-redelivery",
    ),
    ("consumer-groups-shipping-timeout", "slow-shipping-timeout"),
];

/// The current name of a scenario that was renamed, for a helpful error.
pub fn renamed(old: &str) -> Option<&'static str> {
    RENAMED.iter().find(|(o, _)| *o == old).map(|(_, new)| *new)
}

/// A one-line order of `quantity` units of `product` at 25.00 each.
pub fn order(at_tick: u64, id: &str, customer: &str, product: &str, quantity: u32) -> OrderRequest {
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

fn scenario(name: &str, description: &str, ticks: u64, setup: SagaSetup) -> SagaScenario {
    SagaScenario {
        name: name.into(),
        description: description.into(),
        seed: 42,
        ticks,
        setup,
    }
}

fn two_orders() -> Vec<OrderRequest> {
    vec![
        order(1, "order-1", "customer-1", "P1", 2),
        order(3, "order-2", "customer-2", "P2", 1),
    ]
}

fn one_order(config: SagaConfig, faults: FaultPlan) -> SagaSetup {
    SagaSetup {
        config,
        orders: vec![order(1, "order-1", "customer-1", "P1", 1)],
        faults,
        ..SagaSetup::default()
    }
}

fn happy_path() -> SagaScenario {
    scenario(
        "happy-path",
        "Two orders walk through Order, Inventory, Payment and Shipping, each service a consumer group; both sagas complete and the orders are delivered.",
        100,
        SagaSetup {
            orders: two_orders(),
            ..SagaSetup::default()
        },
    )
}

fn payment_fails_compensation() -> SagaScenario {
    let decline = FaultRule::next_calls(
        CallTarget::Step(SagaStep::ProcessPayment),
        FaultEffect::Decline,
        1,
    );
    scenario(
        "payment-fails-compensation",
        "The card of order-1 is declined: the orchestrator releases the reserved stock and cancels the order, in reverse order.",
        100,
        SagaSetup {
            orders: two_orders(),
            faults: FaultPlan {
                rules: vec![decline],
                ..FaultPlan::default()
            },
            ..SagaSetup::default()
        },
    )
}

fn insufficient_stock() -> SagaScenario {
    scenario(
        "insufficient-stock",
        "Only 3 units of P1 exist; order-2 asks for 2 after order-1 took 2, so its reservation fails from the real stock level and the order is cancelled.",
        100,
        SagaSetup {
            config: SagaConfig {
                initial_stock: [(ProductId("P1".into()), 3)].into_iter().collect(),
                ..SagaConfig::default()
            },
            orders: vec![
                order(1, "order-1", "customer-1", "P1", 2),
                // Late enough that order-1 has reserved: across partitions there is no
                // order, so two orders placed a tick apart may reserve either way round.
                order(30, "order-2", "customer-2", "P1", 2),
            ],
            ..SagaSetup::default()
        },
    )
}

fn shipping_timeout() -> SagaScenario {
    let outage = Outage {
        service: ServiceName::Shipping,
        from_tick: Tick(1),
        until_tick: Tick(150),
    };
    scenario(
        "shipping-timeout",
        "Shipping's member is killed at tick 1 and none runs until tick 150; the ShipOrder step times out after 60 ticks and the saga cancels the shipment, refunds, releases the stock and cancels the order. At tick 150 a new member joins, the group rebalances and it gets the waiting commands: it ships, then recalls.",
        300,
        one_order(
            SagaConfig::default(),
            FaultPlan {
                outages: vec![outage],
                ..FaultPlan::default()
            },
        ),
    )
}

/// Payment crashes on its first ProcessPayment, down for 5 ticks, at `point`.
fn payment_crash(point: CrashPoint) -> Crash {
    Crash {
        service: ServiceName::Payment,
        message: "ProcessPayment".into(),
        nth: 1,
        point,
        down_ticks: 5,
    }
}

fn duplicate_delivery(inbox: bool) -> SagaScenario {
    let (name, description) = if inbox {
        (
            "duplicate-delivery-with-inbox",
            "The same crash and redelivery, with an inbox: the replacement member's inbox absorbs the redelivered ProcessPayment and the customer is charged once.",
        )
    } else {
        (
            "duplicate-delivery-without-inbox",
            "Payment's member crashes after publishing PaymentProcessed but before committing its offset; the group notices after its session timeout, rebalances, and the replacement member gets ProcessPayment again: the customer is charged a second time (see the balances).",
        )
    };
    let config = SagaConfig {
        inbox,
        outbox: false,
        ..SagaConfig::default()
    };
    let faults = FaultPlan {
        crashes: vec![payment_crash(CrashPoint::AfterPublish)],
        ..FaultPlan::default()
    };
    scenario(name, description, 120, one_order(config, faults))
}

/// Payment charges, then crashes before publishing; with the outbox, its relay also
/// crashes after its first send.
fn crash(outbox: bool) -> SagaScenario {
    let (name, description) = if outbox {
        (
            "crash-with-outbox",
            "The same crash with an outbox: PaymentProcessed was written to Payment's outbox with the charge; the relay publishes it once the replacement member runs, crashes before marking it and publishes it again; the orchestrator's inbox absorbs the second copy and the saga completes.",
        )
    } else {
        (
            "crash-without-outbox",
            "Payment's member charges order-1, then crashes before publishing PaymentProcessed. The event is lost; the group redelivers ProcessPayment to the replacement member, whose inbox absorbs it; the ProcessPayment step times out and the saga refunds, releases the stock and cancels the order.",
        )
    };
    let config = SagaConfig {
        inbox: true,
        outbox,
        ..SagaConfig::default()
    };
    let relay_crashes = if outbox {
        vec![RelayCrash {
            service: ServiceName::Payment,
            nth: 1,
        }]
    } else {
        Vec::new()
    };
    let faults = FaultPlan {
        crashes: vec![payment_crash(CrashPoint::AfterStateChange)],
        relay_crashes,
        ..FaultPlan::default()
    };
    scenario(name, description, 250, one_order(config, faults))
}

fn poison_message_dlq_resubmit() -> SagaScenario {
    let config = SagaConfig {
        timeouts: StepTimeouts {
            process_payment_ticks: 400,
            ..StepTimeouts::default()
        },
        ..SagaConfig::default()
    };
    let poison = FaultRule::next_calls(
        CallTarget::Step(SagaStep::ProcessPayment),
        FaultEffect::Error,
        6,
    );
    let faults = FaultPlan {
        rules: vec![poison],
        ..FaultPlan::default()
    };
    scenario(
        "poison-message-dlq-resubmit",
        "ProcessPayment for order-1 throws on every attempt: retried immediately, after 1 s, 5 s, 30 s and 2 min while its partition waits, then moved to payment-commands.DLQ with its error and attempt count. At tick 220 it is resubmitted and succeeds.",
        400,
        SagaSetup {
            resubmits: vec![ResubmitRequest {
                at_tick: Tick(220),
                topic: topics::PAYMENT_COMMANDS.into(),
            }],
            ..one_order(config, faults)
        },
    )
}

fn payment_outage_redelivery() -> SagaScenario {
    let outage = Outage {
        service: ServiceName::Payment,
        from_tick: Tick(20),
        until_tick: Tick(45),
    };
    scenario(
        "payment-outage-redelivery",
        "The payment-service member dies at tick 20 with processed but uncommitted records (auto-commit every 50 ticks); a new member joins at tick 45, the group rebalances and the records are delivered again. The inbox absorbs the duplicates: each customer pays once.",
        150,
        SagaSetup {
            config: SagaConfig {
                commit_policy: Some(CommitPolicy::AutoCommit { interval_ticks: 50 }),
                ..SagaConfig::default()
            },
            orders: two_orders(),
            faults: FaultPlan {
                outages: vec![outage],
                ..FaultPlan::default()
            },
            ..SagaSetup::default()
        },
    )
}

fn slow_shipping_timeout() -> SagaScenario {
    let config = SagaConfig {
        processing_ticks: [(ServiceName::Shipping, 40)].into_iter().collect(),
        ..SagaConfig::default()
    };
    scenario(
        "slow-shipping-timeout",
        "Shipping is slow: its group spends 40 ticks on every record it consumes, so ShipOrder waits behind the order's events and misses its 60-tick timeout. The saga cancels the shipment, refunds, releases the stock and cancels the order; the late OrderShipped is refused and the shipment is recalled.",
        600,
        one_order(config, FaultPlan::default()),
    )
}

/// Six orders, declined payments, a slow and flaky refund and limited stock: the same
/// scenario runs orchestrated and choreographed for comparison.
fn mixed_failures(mode: SagaMode) -> SagaScenario {
    let orders = (1..=6u64)
        .map(|i| {
            let product = ["P1", "P2", "P3"][(i % 3) as usize];
            let customer = format!("customer-{}", i % 3);
            order(i * 2, &format!("order-{i}"), &customer, product, 2)
        })
        .collect();
    let rules = vec![
        FaultRule::probability(
            CallTarget::Step(SagaStep::ProcessPayment),
            FaultEffect::Decline,
            0.34,
        ),
        FaultRule::next_calls(
            CallTarget::Step(SagaStep::ShipOrder),
            FaultEffect::Decline,
            1,
        ),
        FaultRule::next_calls(
            CallTarget::Compensation(Compensation::RefundPayment),
            FaultEffect::Error,
            2,
        ),
    ];
    let slow_payment = Slowdown {
        service: ServiceName::Payment,
        from_tick: Tick(0),
        until_tick: Tick(40),
        extra_ticks: 3,
    };
    let setup = SagaSetup {
        config: SagaConfig {
            initial_stock: [("P1", 3), ("P2", 6), ("P3", 6)]
                .into_iter()
                .map(|(p, n)| (ProductId(p.into()), n))
                .collect(),
            ..SagaConfig::default()
        },
        orders,
        faults: FaultPlan {
            rules,
            slowdowns: vec![slow_payment],
            ..FaultPlan::default()
        },
        ..SagaSetup::default()
    };
    scenario(
        "mixed-failures",
        "Six orders against limited stock: one payment in three is declined, the carrier refuses the first shipment (so its payment is refunded; the refund fails twice and is retried), and Payment is slow for a while.",
        400,
        setup,
    )
    .with_mode(mode)
}

fn event_sourced_order() -> SagaScenario {
    let config = SagaConfig {
        snapshot_every: 2,
        ..SagaConfig::default()
    };
    scenario(
        "event-sourced-order",
        "A version 1 client places order-1 (no currency: upcast to USD); a support agent writes to the order while Payment's update is in flight (optimistic concurrency conflict, reload, retry); snapshots every 2 events.",
        100,
        SagaSetup {
            config,
            orders: vec![OrderRequest {
                currency: None,
                ..order(1, "order-1", "customer-1", "P1", 1)
            }],
            faults: FaultPlan {
                concurrent_writers: vec!["order-1".into()],
                ..FaultPlan::default()
            },
            ..SagaSetup::default()
        },
    )
}
