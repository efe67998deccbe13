//! Named scenarios for the seed documents' order flows; the UI offers them as presets and
//! the CLI runs them. Each is plain data (serde), so it can be shared as JSON.

use super::driver::{
    OrderRequest, ResubmitRequest, SagaConfig, SagaRunSummary, SagaSetup, SagaSim, SagaSimError,
};
use super::faults::{Crash, CrashPoint, FaultEffect, FaultPlan, FaultRule, Outage, Slowdown};
use super::message::{topics, CustomerId, OrderId, OrderLine, ProductId};
use super::orchestrator::{Compensation, SagaStep};
use super::services::{CallTarget, SagaMode, ServiceName};
use super::streaming::StreamingSaga;
use crate::ids::Tick;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Which driver runs a saga scenario.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SagaEngine {
    /// [`SagaSim`]: every pattern (outbox, crash points, slowdowns, projections) on the saga's
    /// own partitioned topics.
    #[default]
    Standalone,
    /// [`StreamingSaga`]: services as consumer groups of the streaming engine (rebalances,
    /// commit policies, redelivery), with the outbox, crash points and slowdowns acting
    /// through the engine.
    ConsumerGroups,
}

/// Errors from reading a saga scenario.
#[derive(Debug, Error)]
pub enum SagaScenarioError {
    #[error("not a saga scenario: {0}")]
    /// The JSON is not a saga scenario.
    Json(#[from] serde_json::Error),
    #[error(transparent)]
    /// The scenario does not build.
    Setup(#[from] SagaSimError),
}

/// A named, runnable saga scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SagaScenario {
    /// Stable identifier (kebab-case), e.g. `payment-fails-compensation`.
    pub name: String,
    /// What the scenario shows, in one or two sentences.
    pub description: String,
    /// The seed all randomness derives from.
    pub seed: u64,
    /// How many ticks to run.
    pub ticks: u64,
    /// Which driver runs it.
    #[serde(default)]
    pub engine: SagaEngine,
    /// The system, orders, faults and resubmissions.
    pub setup: SagaSetup,
}

/// True when a JSON document looks like a saga scenario (an object with a `setup`), so a
/// tool can tell it from a streaming scenario before parsing.
pub fn is_saga_scenario(json: &serde_json::Value) -> bool {
    json.get("setup").is_some_and(serde_json::Value::is_object)
}

/// A saga scenario running on either driver, for tools that print its trace.
#[derive(Debug)]
pub enum SagaRun {
    /// On [`SagaSim`].
    Standalone {
        /// The standalone simulation.
        sim: Box<SagaSim>,
        /// Trace events already returned.
        printed: usize,
    },
    /// On [`StreamingSaga`].
    ConsumerGroups {
        /// The saga on consumer groups.
        saga: Box<StreamingSaga>,
        /// Engine trace events already returned (absolute index).
        engine_printed: u64,
        /// Saga trace events already returned.
        saga_printed: usize,
    },
}

impl SagaRun {
    /// Builds the scenario's driver.
    pub fn start(scenario: &SagaScenario) -> Result<Self, SagaSimError> {
        Ok(match scenario.engine {
            SagaEngine::Standalone => SagaRun::Standalone {
                sim: Box::new(scenario.build()?),
                printed: 0,
            },
            SagaEngine::ConsumerGroups => SagaRun::ConsumerGroups {
                saga: Box::new(StreamingSaga::new(scenario.setup.clone(), scenario.seed)?),
                engine_printed: 0,
                saga_printed: 0,
            },
        })
    }

    /// Applies a command (place an order, take a service down or bring it back, resubmit
    /// dead letters, rebuild a projection) at the current tick, on either driver.
    pub fn apply(&mut self, command: super::driver::SagaCommand) -> Result<(), SagaSimError> {
        match self {
            SagaRun::Standalone { sim, .. } => sim.apply(command),
            SagaRun::ConsumerGroups { saga, .. } => saga.apply(command),
        }
    }

    /// The current tick.
    pub fn now(&self) -> Tick {
        match self {
            SagaRun::Standalone { sim, .. } => sim.now(),
            SagaRun::ConsumerGroups { saga, .. } => saga.now(),
        }
    }

    /// Advances one tick.
    pub fn step(&mut self) {
        match self {
            SagaRun::Standalone { sim, .. } => sim.step(),
            SagaRun::ConsumerGroups { saga, .. } => saga.step(),
        }
    }

    /// The trace events not returned before, as JSON lines: the streaming engine's events
    /// as they are, the saga's as `{"type":"saga","event":{...}}`.
    pub fn new_trace_lines(&mut self) -> Vec<String> {
        let saga_line = |e: &super::trace::SagaTraceEvent| {
            serde_json::json!({ "type": "saga", "event": e }).to_string()
        };
        match self {
            SagaRun::Standalone { sim, printed } => {
                let lines = sim.trace()[*printed..].iter().map(saga_line).collect();
                *printed = sim.trace().len();
                lines
            }
            SagaRun::ConsumerGroups {
                saga,
                engine_printed,
                saga_printed,
            } => {
                let mut lines: Vec<String> = saga
                    .sim()
                    .trace_since(*engine_printed)
                    .map(|(_, e)| serde_json::to_string(e).expect("trace events serialise"))
                    .collect();
                *engine_printed = saga.sim().trace_len();
                let world = saga.world();
                lines.extend(world.trace[*saga_printed..].iter().map(saga_line));
                *saga_printed = world.trace.len();
                lines
            }
        }
    }

    /// The run's summary.
    pub fn summary(&self) -> SagaRunSummary {
        match self {
            SagaRun::Standalone { sim, .. } => sim.summary(),
            SagaRun::ConsumerGroups { saga, .. } => saga.summary(),
        }
    }
}

impl SagaScenario {
    /// Parses a scenario from JSON and checks that it builds.
    pub fn from_json(json: &str) -> Result<Self, SagaScenarioError> {
        let scenario: Self = serde_json::from_str(json)?;
        SagaSim::new(scenario.setup.clone(), scenario.seed)?;
        Ok(scenario)
    }

    /// Builds the simulation of this scenario with its own seed.
    pub fn build(&self) -> Result<SagaSim, SagaSimError> {
        SagaSim::new(self.setup.clone(), self.seed)
    }

    /// Builds and runs the scenario for its ticks.
    pub fn run(&self) -> Result<SagaSim, SagaSimError> {
        let mut sim = self.build()?;
        sim.run(self.ticks);
        Ok(sim)
    }

    /// The same scenario in the other saga style (for side-by-side comparison).
    pub fn with_mode(&self, mode: SagaMode) -> Self {
        let mut s = self.clone();
        s.setup.config.mode = mode;
        s.name = format!(
            "{}-{}",
            self.name,
            match mode {
                SagaMode::Orchestration => "orchestration",
                SagaMode::Choreography => "choreography",
            }
        );
        s
    }
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
        engine: SagaEngine::Standalone,
        setup,
    }
}

fn two_orders() -> Vec<OrderRequest> {
    vec![
        order(1, "order-1", "customer-1", "P1", 2),
        order(3, "order-2", "customer-2", "P2", 1),
    ]
}

/// Every named scenario, in the order the UI lists them.
pub fn named_scenarios() -> Vec<SagaScenario> {
    let base = SagaConfig::default();
    let payment = CallTarget::Step(SagaStep::ProcessPayment);
    vec![
        scenario(
            "happy-path",
            "Two orders walk through Order, Inventory, Payment and Shipping; both sagas complete.",
            100,
            SagaSetup {
                config: base.clone(),
                orders: two_orders(),
                ..SagaSetup::default()
            },
        ),
        scenario(
            "payment-fails-compensation",
            "The card of order-1 is declined: the orchestrator releases the reserved stock and cancels the order, in reverse order.",
            100,
            SagaSetup {
                config: base.clone(),
                orders: two_orders(),
                faults: FaultPlan {
                    rules: vec![FaultRule::next_calls(payment, FaultEffect::Decline, 1)],
                    ..FaultPlan::default()
                },
                ..SagaSetup::default()
            },
        ),
        scenario(
            "insufficient-stock",
            "Only 3 units of P1 exist; order-2 asks for 2 after order-1 took 2, so its reservation fails from the real stock level and the order is cancelled.",
            100,
            SagaSetup {
                config: SagaConfig {
                    initial_stock: [(ProductId("P1".into()), 3)].into_iter().collect(),
                    ..base.clone()
                },
                orders: vec![
                    order(1, "order-1", "customer-1", "P1", 2),
                    // Late enough that order-1 has reserved: across partitions there is no
                    // order, so two orders placed a tick apart may reserve either way round.
                    order(30, "order-2", "customer-2", "P1", 2),
                ],
                ..SagaSetup::default()
            },
        ),
        scenario(
            "shipping-timeout",
            "Shipping is down from tick 1 to 150; the ShipOrder step times out after 60 ticks, the saga cancels the shipment, refunds, releases stock and cancels the order. When Shipping returns it ships, then recalls.",
            300,
            SagaSetup {
                config: base.clone(),
                orders: vec![order(1, "order-1", "customer-1", "P1", 1)],
                faults: FaultPlan {
                    outages: vec![Outage {
                        service: ServiceName::Shipping,
                        from_tick: Tick(1),
                        until_tick: Tick(150),
                    }],
                    ..FaultPlan::default()
                },
                ..SagaSetup::default()
            },
        ),
        scenario(
            "duplicate-delivery-without-inbox",
            "Payment crashes after publishing but before committing its offset; the redelivered ProcessPayment charges the customer a second time (see the balances).",
            120,
            SagaSetup {
                config: SagaConfig {
                    inbox: false,
                    outbox: false,
                    ..base.clone()
                },
                orders: vec![order(1, "order-1", "customer-1", "P1", 1)],
                faults: FaultPlan {
                    crashes: vec![Crash {
                        service: ServiceName::Payment,
                        message: "ProcessPayment".into(),
                        nth: 1,
                        point: CrashPoint::AfterPublish,
                        down_ticks: 5,
                    }],
                    ..FaultPlan::default()
                },
                ..SagaSetup::default()
            },
        ),
        scenario(
            "duplicate-delivery-with-inbox",
            "The same crash and redelivery, with an inbox: the duplicate is absorbed and the customer is charged once.",
            120,
            SagaSetup {
                config: SagaConfig {
                    inbox: true,
                    outbox: false,
                    ..base.clone()
                },
                orders: vec![order(1, "order-1", "customer-1", "P1", 1)],
                faults: FaultPlan {
                    crashes: vec![Crash {
                        service: ServiceName::Payment,
                        message: "ProcessPayment".into(),
                        nth: 1,
                        point: CrashPoint::AfterPublish,
                        down_ticks: 5,
                    }],
                    ..FaultPlan::default()
                },
                ..SagaSetup::default()
            },
        ),
        scenario(
            "crash-without-outbox",
            "Payment charges, then crashes before publishing PaymentProcessed. The event is lost; the saga times out and refunds.",
            250,
            SagaSetup {
                config: SagaConfig {
                    inbox: true,
                    outbox: false,
                    ..base.clone()
                },
                orders: vec![order(1, "order-1", "customer-1", "P1", 1)],
                faults: FaultPlan {
                    crashes: vec![Crash {
                        service: ServiceName::Payment,
                        message: "ProcessPayment".into(),
                        nth: 1,
                        point: CrashPoint::AfterStateChange,
                        down_ticks: 5,
                    }],
                    ..FaultPlan::default()
                },
                ..SagaSetup::default()
            },
        ),
        scenario(
            "crash-with-outbox",
            "The same crash with an outbox: the event was stored with the charge, the relay publishes it after the restart and the saga completes.",
            250,
            SagaSetup {
                config: SagaConfig {
                    inbox: true,
                    outbox: true,
                    ..base.clone()
                },
                orders: vec![order(1, "order-1", "customer-1", "P1", 1)],
                faults: FaultPlan {
                    crashes: vec![Crash {
                        service: ServiceName::Payment,
                        message: "ProcessPayment".into(),
                        nth: 1,
                        point: CrashPoint::AfterStateChange,
                        down_ticks: 5,
                    }],
                    relay_crashes: vec![super::faults::RelayCrash {
                        service: ServiceName::Payment,
                        nth: 1,
                    }],
                    ..FaultPlan::default()
                },
                ..SagaSetup::default()
            },
        ),
        scenario(
            "poison-message-dlq-resubmit",
            "ProcessPayment for order-1 throws on every attempt: retried immediately, after 1 s, 5 s, 30 s and 2 min, then moved to payment-commands.DLQ with its error and attempt count. At tick 220 it is resubmitted and succeeds.",
            400,
            SagaSetup {
                config: SagaConfig {
                    timeouts: super::orchestrator::StepTimeouts {
                        process_payment_ticks: 400,
                        ..Default::default()
                    },
                    ..base.clone()
                },
                orders: vec![order(1, "order-1", "customer-1", "P1", 1)],
                faults: FaultPlan {
                    rules: vec![FaultRule::next_calls(payment, FaultEffect::Error, 6)],
                    ..FaultPlan::default()
                },
                resubmits: vec![ResubmitRequest {
                    at_tick: Tick(220),
                    topic: topics::PAYMENT_COMMANDS.into(),
                }],
            },
        ),
        SagaScenario {
            engine: SagaEngine::ConsumerGroups,
            ..scenario(
                "consumer-groups-payment-outage",
                "On the streaming engine's consumer groups: the payment-service member dies at tick 20 with processed but uncommitted records (auto-commit every 50 ticks); a new member joins at tick 45, the group rebalances and the records are delivered again. The inbox absorbs the duplicates: each customer pays once.",
                150,
                SagaSetup {
                    config: SagaConfig {
                        commit_policy: Some(crate::group::CommitPolicy::AutoCommit {
                            interval_ticks: 50,
                        }),
                        ..base.clone()
                    },
                    orders: two_orders(),
                    faults: FaultPlan {
                        outages: vec![Outage {
                            service: ServiceName::Payment,
                            from_tick: Tick(20),
                            until_tick: Tick(45),
                        }],
                        ..FaultPlan::default()
                    },
                    ..SagaSetup::default()
                },
            )
        },
        on_consumer_groups(
            "consumer-groups-crash-without-outbox",
            "On consumer groups: the payment-service member charges order-1, then crashes before publishing PaymentProcessed. The event is lost; the group redelivers ProcessPayment to the replacement member, whose inbox absorbs it; the ProcessPayment step times out and the saga refunds, releases the stock and cancels the order.",
            300,
            crash_setup(false),
        ),
        on_consumer_groups(
            "consumer-groups-crash-with-outbox",
            "The same crash on consumer groups with an outbox: PaymentProcessed was written to Payment's outbox with the charge; the relay publishes it once the replacement member runs, crashes before marking it and publishes it again; the orchestrator's inbox absorbs the second copy and the saga completes.",
            300,
            crash_setup(true),
        ),
        on_consumer_groups(
            "consumer-groups-shipping-timeout",
            "On consumer groups, Shipping is slow: its group spends 40 ticks on every record it consumes, so ShipOrder waits behind the order's events and misses its 60-tick timeout. The saga cancels the shipment, refunds, releases the stock and cancels the order; the late OrderShipped is refused and the shipment is recalled.",
            600,
            SagaSetup {
                config: SagaConfig {
                    processing_ticks: [(ServiceName::Shipping, 40)].into_iter().collect(),
                    ..base.clone()
                },
                orders: vec![order(1, "order-1", "customer-1", "P1", 1)],
                ..SagaSetup::default()
            },
        ),
        mixed_failures(SagaMode::Orchestration),
        mixed_failures(SagaMode::Choreography),
        scenario(
            "event-sourced-order",
            "A version 1 client places order-1 (no currency: upcast to USD); a support agent writes to the order while Payment's update is in flight (optimistic concurrency conflict, reload, retry); snapshots every 2 events.",
            100,
            SagaSetup {
                config: SagaConfig {
                    snapshot_every: 2,
                    ..base
                },
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
        ),
    ]
}

/// A scenario that runs on the streaming engine's consumer groups.
fn on_consumer_groups(name: &str, description: &str, ticks: u64, setup: SagaSetup) -> SagaScenario {
    SagaScenario {
        engine: SagaEngine::ConsumerGroups,
        ..scenario(name, description, ticks, setup)
    }
}

/// One order; Payment crashes after charging it, before publishing (down for 5 ticks); with
/// the outbox, its relay also crashes after its first send.
fn crash_setup(outbox: bool) -> SagaSetup {
    SagaSetup {
        config: SagaConfig {
            inbox: true,
            outbox,
            ..SagaConfig::default()
        },
        orders: vec![order(1, "order-1", "customer-1", "P1", 1)],
        faults: FaultPlan {
            crashes: vec![Crash {
                service: ServiceName::Payment,
                message: "ProcessPayment".into(),
                nth: 1,
                point: CrashPoint::AfterStateChange,
                down_ticks: 5,
            }],
            relay_crashes: if outbox {
                vec![super::faults::RelayCrash {
                    service: ServiceName::Payment,
                    nth: 1,
                }]
            } else {
                Vec::new()
            },
            ..FaultPlan::default()
        },
        ..SagaSetup::default()
    }
}

/// Six orders, declined payments, a slow and flaky refund and limited stock: the same
/// scenario runs orchestrated and choreographed for comparison.
fn mixed_failures(mode: SagaMode) -> SagaScenario {
    let mut orders = Vec::new();
    for i in 1..=6u64 {
        let product = ["P1", "P2", "P3"][(i % 3) as usize];
        orders.push(order(
            i * 2,
            &format!("order-{i}"),
            &format!("customer-{}", i % 3),
            product,
            2,
        ));
    }
    let s = scenario(
        "mixed-failures",
        "Six orders against limited stock: one payment in three is declined, the carrier refuses the first shipment (so its payment is refunded; the refund fails twice and is retried), and Payment is slow for a while.",
        400,
        SagaSetup {
            config: SagaConfig {
                initial_stock: [("P1", 3), ("P2", 6), ("P3", 6)]
                    .into_iter()
                    .map(|(p, n)| (ProductId(p.into()), n))
                    .collect(),
                ..SagaConfig::default()
            },
            orders,
            faults: FaultPlan {
                rules: vec![
                    FaultRule::probability(CallTarget::Step(SagaStep::ProcessPayment), FaultEffect::Decline, 0.34),
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
                ],
                slowdowns: vec![Slowdown {
                    service: ServiceName::Payment,
                    from_tick: Tick(0),
                    until_tick: Tick(40),
                    extra_ticks: 3,
                }],
                ..FaultPlan::default()
            },
            ..SagaSetup::default()
        },
    );
    s.with_mode(mode)
}

/// The named scenario `name`.
pub fn named_scenario(name: &str) -> Option<SagaScenario> {
    named_scenarios().into_iter().find(|s| s.name == name)
}

#[cfg(test)]
mod tests {
    use super::super::driver::SagaSummary;
    use super::super::event_store::OrderStatus;
    use super::super::orchestrator::SagaState;
    use super::super::trace::SagaTraceEvent as T;
    use super::*;

    fn run(name: &str) -> SagaSim {
        let s = named_scenario(name).unwrap_or_else(|| panic!("no scenario {name}"));
        s.run().unwrap()
    }

    fn saga<'a>(sums: &'a [SagaSummary], id: &str) -> &'a SagaSummary {
        sums.iter().find(|s| s.order_id.0 == id).unwrap()
    }

    fn assert_clean(sim: &SagaSim) {
        assert!(sim.is_quiescent(), "not quiescent at tick {}", sim.now());
        assert_eq!(sim.check_invariants(), Vec::<String>::new());
    }

    #[test]
    fn scenario_names_are_unique_and_round_trip_through_json() {
        let all = named_scenarios();
        let mut names: Vec<_> = all.iter().map(|s| s.name.clone()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), all.len());
        for s in all {
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(serde_json::from_str::<SagaScenario>(&json).unwrap(), s);
        }
    }

    #[test]
    fn happy_path_completes_every_saga_with_all_steps() {
        let sim = run("happy-path");
        let sums = sim.summaries();
        for s in &sums {
            assert_eq!(s.state, SagaState::Completed, "{s:?}");
            assert_eq!(
                s.executed_steps,
                [
                    SagaStep::CreateOrder,
                    SagaStep::ReserveInventory,
                    SagaStep::ProcessPayment,
                    SagaStep::ShipOrder
                ]
            );
            assert!(s.compensations.is_empty());
        }
        let b = sim.balances();
        assert_eq!(b.charged_cents, 3 * 2500);
        assert_eq!(b.stock[&ProductId("P1".into())].shipped, 2);
        // Shipped, then delivered `delivery_ticks` later.
        assert_eq!(
            b.orders_by_status.into_iter().collect::<Vec<_>>(),
            [(OrderStatus::Delivered, 2)]
        );
        // Every order gets a confirmation and a shipping notification.
        assert_eq!(b.notifications_sent, 4);
        assert_clean(&sim);
    }

    /// Shipping publishes OrderDelivered `delivery_ticks` after OrderShipped, in both saga
    /// styles and on both drivers; the order, analytics and the order-summary projection
    /// move to Delivered.
    #[test]
    fn completed_orders_are_delivered_after_the_delivery_delay() {
        for mode in [SagaMode::Orchestration, SagaMode::Choreography] {
            let mut s = named_scenario("happy-path").unwrap().with_mode(mode);
            s.setup.config.delivery_ticks = 30;
            let sim = s.run().unwrap();
            let ticks_of = |name: &str| -> Vec<u64> {
                sim.trace()
                    .iter()
                    .filter_map(|e| match e {
                        T::Produced { tick, message, .. } if message == name => Some(tick.0),
                        _ => None,
                    })
                    .collect()
            };
            let shipped = ticks_of("OrderShipped");
            let delivered = ticks_of("OrderDelivered");
            assert_eq!(shipped.len(), 2, "{mode:?}");
            assert_eq!(delivered.len(), 2, "{mode:?}");
            for (s, d) in shipped.iter().zip(&delivered) {
                // Shipped at s, due at s + 30; the relay or timer publishes it that tick.
                assert!((s + 30..=s + 31).contains(d), "{mode:?}: {s} -> {d}");
            }
            assert!(sim.trace().iter().any(|e| matches!(
                e,
                T::OrderStatusChanged {
                    status: OrderStatus::Delivered,
                    ..
                }
            )));
            assert_eq!(
                sim.services.analytics.events_by_type.get("OrderDelivered"),
                Some(&2),
                "{mode:?}"
            );
            assert_eq!(
                sim.services.analytics.orders.count_by_status()[&OrderStatus::Delivered],
                2
            );
            let Some(super::super::projection::ReadModel::OrderSummary(summary)) = sim
                .projections()
                .iter()
                .find(|p| p.kind == super::super::projection::ProjectionKind::OrderSummary)
                .map(|p| p.model.clone())
            else {
                panic!("order summary projection")
            };
            assert_eq!(summary.count_by_status()[&OrderStatus::Delivered], 2);
            assert_clean(&sim);

            let mut groups = StreamingSaga::new(s.setup.clone(), s.seed).unwrap();
            groups.run(s.ticks);
            assert!(groups.is_settled(), "{mode:?}");
            assert_eq!(
                groups.balances().orders_by_status[&OrderStatus::Delivered],
                2,
                "{mode:?}"
            );
            assert_eq!(groups.check_invariants(), Vec::<String>::new());
        }
    }

    /// A shipment recalled before its delivery tick is never delivered, and a delivered
    /// order whose saga still compensates is collected back and cancelled.
    #[test]
    fn recalled_shipments_are_not_delivered_and_delivered_ones_are_returned() {
        use super::super::services::{ShipmentState, ShippingService};
        let mut shipping = ShippingService::new(5);
        let env = |m: super::super::message::SagaMessage| super::super::message::Envelope {
            meta: super::super::message::EventMeta {
                event_id: super::super::message::EventId(1),
                correlation_id: super::super::message::CorrelationId("o".into()),
                causation_id: None,
                schema_version: 2,
            },
            message: m,
        };
        let ship = |id: &str| {
            env(super::super::message::SagaMessage::ShipOrder {
                order_id: OrderId(id.into()),
            })
        };
        let cancel = |id: &str| {
            env(super::super::message::SagaMessage::CancelShipment {
                order_id: OrderId(id.into()),
            })
        };
        let none = super::super::services::Injected::Nothing;
        let o = SagaMode::Orchestration;
        shipping.handle(Tick(1), o, &ship("a"), &none);
        shipping.handle(Tick(1), o, &ship("b"), &none);
        assert!(shipping.tick(Tick(5)).publish.is_empty());
        shipping.handle(Tick(3), o, &cancel("a"), &none);
        let delivered = shipping.tick(Tick(6)).publish;
        assert_eq!(
            delivered
                .iter()
                .map(|m| m.order_id().0.as_str())
                .collect::<Vec<_>>(),
            ["b"]
        );
        assert!(matches!(
            shipping.shipments[&OrderId("b".into())],
            ShipmentState::Delivered { .. }
        ));
        assert!(shipping.deliveries.is_empty());
        let returned = shipping.handle(Tick(7), o, &cancel("b"), &none).publish;
        assert!(matches!(
            returned[..],
            [super::super::message::SagaMessage::ShipmentCancelled { recalled: true, .. }]
        ));
        assert!(matches!(
            shipping.shipments[&OrderId("b".into())],
            ShipmentState::Recalled { .. }
        ));
    }

    #[test]
    fn payment_failure_compensates_in_reverse_and_refunds_nothing() {
        let sim = run("payment-fails-compensation");
        let sums = sim.summaries();
        let s = saga(&sums, "order-1");
        assert_eq!(s.state, SagaState::Failed);
        assert_eq!(
            s.executed_steps,
            [SagaStep::CreateOrder, SagaStep::ReserveInventory]
        );
        assert_eq!(
            s.compensations,
            [Compensation::ReleaseInventory, Compensation::CancelOrder]
        );
        assert_eq!(saga(&sums, "order-2").state, SagaState::Completed);
        assert_eq!(sim.balances().stock[&ProductId("P1".into())].available, 10);
        assert_clean(&sim);
    }

    #[test]
    fn insufficient_stock_cancels_the_second_order() {
        let sim = run("insufficient-stock");
        let sums = sim.summaries();
        assert_eq!(saga(&sums, "order-1").state, SagaState::Completed);
        let s = saga(&sums, "order-2");
        assert_eq!(s.state, SagaState::Failed);
        assert!(
            s.failure
                .as_deref()
                .unwrap()
                .contains("insufficient stock for P1: 1 available, 2 requested"),
            "{s:?}"
        );
        assert_eq!(s.compensations, [Compensation::CancelOrder]);
        assert_clean(&sim);
    }

    #[test]
    fn shipping_timeout_compensates_shipment_payment_inventory_order() {
        let sim = run("shipping-timeout");
        let sums = sim.summaries();
        let s = saga(&sums, "order-1");
        assert_eq!(s.state, SagaState::Failed);
        assert_eq!(
            s.compensations,
            [
                Compensation::CancelShipment,
                Compensation::RefundPayment,
                Compensation::ReleaseInventory,
                Compensation::CancelOrder
            ]
        );
        assert!(sim.trace().iter().any(|e| matches!(
            e,
            T::StepTimedOut {
                step: SagaStep::ShipOrder,
                ..
            }
        )));
        // The late OrderShipped is refused by the state machine.
        assert!(sim.trace().iter().any(|e| matches!(e, T::TransitionRefused { error, .. } if error.contains("StepSucceeded(ShipOrder)"))));
        let stock = sim.balances().stock[&ProductId("P1".into())];
        assert_eq!((stock.available, stock.reserved, stock.shipped), (10, 0, 0));
        assert_clean(&sim);
    }

    #[test]
    fn duplicate_delivery_charges_twice_without_inbox_and_once_with_it() {
        let without = run("duplicate-delivery-without-inbox");
        assert_eq!(without.balances().charges, 2);
        assert_eq!(without.balances().charged_cents, 5000);
        let with = run("duplicate-delivery-with-inbox");
        assert_eq!(with.balances().charges, 1);
        assert!(with.trace().iter().any(
            |e| matches!(e, T::DuplicateAbsorbed { message, .. } if message == "ProcessPayment")
        ));
        assert_eq!(
            saga(&with.summaries(), "order-1").state,
            SagaState::Completed
        );
        assert_clean(&with);
    }

    #[test]
    fn crash_loses_the_event_without_outbox_and_relays_it_with_outbox() {
        let without = run("crash-without-outbox");
        assert!(without
            .trace()
            .iter()
            .any(|e| matches!(e, T::EventLost { message, .. } if message == "PaymentProcessed")));
        let s = saga(&without.summaries(), "order-1").clone();
        assert_eq!(s.state, SagaState::Failed);
        assert_eq!(without.balances().refunded_cents, 2500);
        assert_clean(&without);

        let with = run("crash-with-outbox");
        assert!(!with
            .trace()
            .iter()
            .any(|e| matches!(e, T::EventLost { .. })));
        assert!(with
            .trace()
            .iter()
            .any(|e| matches!(e, T::RelayCrashed { .. })));
        assert!(with.trace().iter().any(|e| matches!(
            e,
            T::OutboxRelayed {
                publish_count: 2,
                ..
            }
        )));
        assert_eq!(
            saga(&with.summaries(), "order-1").state,
            SagaState::Completed
        );
        assert_eq!(with.balances().charges, 1);
        assert_clean(&with);
    }

    #[test]
    fn poison_message_is_dead_lettered_after_the_schedule_and_resubmitted() {
        let sim = run("poison-message-dlq-resubmit");
        let retries: Vec<u64> = sim
            .trace()
            .iter()
            .filter_map(|e| match e {
                T::RetryScheduled { tick, retry_at, .. } => Some(retry_at.0 - tick.0),
                _ => None,
            })
            .collect();
        assert_eq!(retries, [0, 1, 5, 30, 120]);
        let dl = &sim.dead_letters()["payment-commands.DLQ"];
        let letters: Vec<_> = dl.iter().flatten().collect();
        assert_eq!(letters.len(), 1);
        assert_eq!(letters[0].attempts, 6);
        assert_eq!(letters[0].error, "injected error");
        assert_eq!(letters[0].original.message.name(), "ProcessPayment");
        assert!(sim
            .trace()
            .iter()
            .any(|e| matches!(e, T::Resubmitted { .. })));
        assert_eq!(
            saga(&sim.summaries(), "order-1").state,
            SagaState::Completed
        );
        assert_clean(&sim);
    }

    #[test]
    fn orchestration_and_choreography_reach_the_same_outcomes() {
        let orch = named_scenario("mixed-failures-orchestration")
            .unwrap()
            .run()
            .unwrap();
        let chor = named_scenario("mixed-failures-choreography")
            .unwrap()
            .run()
            .unwrap();
        assert_clean(&orch);
        assert_clean(&chor);
        let outcome = |sim: &SagaSim| {
            sim.summaries()
                .iter()
                .map(|s| (s.order_id.clone(), s.state))
                .collect::<Vec<_>>()
        };
        // Both styles end every saga; money and stock balance in both.
        assert!(outcome(&orch).iter().all(|(_, s)| s.is_final()));
        assert!(outcome(&chor).iter().all(|(_, s)| s.is_final()));
        assert!(outcome(&orch).iter().any(|(_, s)| *s == SagaState::Failed));
        assert!(outcome(&orch)
            .iter()
            .any(|(_, s)| *s == SagaState::Completed));
        // Choreography has no orchestrator: no commands on the command topics but PlaceOrder.
        assert!(chor.topics()["payment-commands"].records().next().is_none());
    }

    #[test]
    fn event_sourced_order_shows_conflict_snapshot_and_upcast() {
        let sim = run("event-sourced-order");
        let t = sim.trace();
        assert!(t.iter().any(|e| matches!(
            e,
            T::ConcurrencyConflict {
                expected_version: 1,
                actual_version: 2,
                ..
            }
        )));
        assert!(t.iter().any(|e| matches!(e, T::SnapshotTaken { .. })));
        let oid = OrderId("order-1".into());
        let store = &sim.services.order.store;
        assert_eq!(store.stream(&oid)[0].schema_version, 1);
        let with = store.load(&oid).unwrap();
        let without = store.load_without_snapshot(&oid).unwrap();
        assert_eq!(with.state, without.state);
        assert_eq!(with.state.currency.as_deref(), Some("USD"));
        assert!(with.applied_with_snapshot < without.applied_with_snapshot);
        assert_clean(&sim);
    }

    #[test]
    fn order_path_lists_every_record_in_causal_order() {
        let sim = run("happy-path");
        let path = sim.order_path(&OrderId("order-1".into()));
        let names: Vec<&str> = path.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(names[0], "PlaceOrder");
        assert_eq!(names[1], "OrderCreated");
        let pos = |n: &str| names.iter().position(|x| *x == n).unwrap();
        assert!(pos("ReserveInventory") < pos("InventoryReserved"));
        assert!(pos("InventoryReserved") < pos("ProcessPayment"));
        assert!(pos("PaymentProcessed") < pos("ShipOrder"));
        assert!(pos("ShipOrder") < pos("OrderShipped"));
        // Causation ids point backwards.
        for p in &path[1..] {
            assert!(p.causation_id.is_none_or(|c| c < p.event_id), "{p:?}");
        }
    }

    #[test]
    fn consumer_groups_scenario_redelivers_and_the_inbox_absorbs() {
        let s = named_scenario("consumer-groups-payment-outage").unwrap();
        assert_eq!(s.engine, SagaEngine::ConsumerGroups);
        let mut run = SagaRun::start(&s).unwrap();
        let mut lines = Vec::new();
        while run.now() < Tick(s.ticks) {
            run.step();
            lines.extend(run.new_trace_lines());
        }
        let summary = run.summary();
        assert!(
            summary
                .sagas
                .iter()
                .all(|x| x.state == SagaState::Completed),
            "{summary:?}"
        );
        assert_eq!(summary.balances.charges, 2);
        assert_eq!(summary.invariant_violations, Vec::<String>::new());
        assert!(summary.engine.is_some());
        // Engine events and saga events both reach the trace lines.
        assert!(
            lines
                .iter()
                .any(|l| l.contains(r#""type":"rebalance_completed""#)),
            "{}",
            lines.len()
        );
        assert!(lines
            .iter()
            .any(|l| l.contains(r#""type":"duplicate_absorbed""#)));
    }

    fn run_on_groups(name: &str) -> (SagaRunSummary, Vec<String>) {
        let s = named_scenario(name).unwrap_or_else(|| panic!("no scenario {name}"));
        assert_eq!(s.engine, SagaEngine::ConsumerGroups, "{name}");
        let mut run = SagaRun::start(&s).unwrap();
        let mut lines = Vec::new();
        while run.now() < Tick(s.ticks) {
            run.step();
            lines.extend(run.new_trace_lines());
        }
        let SagaRun::ConsumerGroups { saga, .. } = &run else {
            panic!("{name} runs on consumer groups")
        };
        assert!(saga.is_settled(), "{name} not settled");
        (run.summary(), lines)
    }

    fn has(lines: &[String], fragment: &str) -> bool {
        lines.iter().any(|l| l.contains(fragment))
    }

    #[test]
    fn consumer_groups_crash_without_outbox_loses_the_event_and_the_saga_refunds() {
        let (summary, lines) = run_on_groups("consumer-groups-crash-without-outbox");
        assert_eq!(summary.invariant_violations, Vec::<String>::new());
        let s = &summary.sagas[0];
        assert_eq!(s.state, SagaState::Failed);
        assert_eq!(
            s.compensations,
            [
                Compensation::RefundPayment,
                Compensation::ReleaseInventory,
                Compensation::CancelOrder
            ]
        );
        assert_eq!(summary.balances.charges, 1);
        assert_eq!(summary.balances.refunded_cents, 2500);
        // The engine killed the member mid-record and redelivered the record to its
        // replacement, whose inbox absorbed it; the event never reached a topic.
        assert!(has(&lines, r#""type":"processing_crashed""#));
        assert!(has(&lines, r#""type":"member_killed","tick":"#));
        assert!(has(&lines, r#""type":"member_timed_out""#));
        assert!(has(&lines, r#""type":"event_lost""#));
        assert!(has(&lines, r#""message":"PaymentProcessed""#));
        assert!(has(&lines, r#""type":"duplicate_absorbed""#));
        assert!(has(&lines, r#""type":"step_timed_out""#));
        assert!(!has(&lines, r#""type":"outbox_relayed""#));
    }

    #[test]
    fn consumer_groups_crash_with_outbox_relays_twice_and_the_saga_completes() {
        let (summary, lines) = run_on_groups("consumer-groups-crash-with-outbox");
        assert_eq!(summary.invariant_violations, Vec::<String>::new());
        assert_eq!(summary.sagas[0].state, SagaState::Completed);
        assert_eq!(summary.balances.charges, 1);
        assert!(has(&lines, r#""type":"processing_crashed""#));
        assert!(!has(&lines, r#""type":"event_lost""#));
        assert!(has(&lines, r#""type":"relay_crashed""#));
        assert!(has(&lines, r#""publish_count":2"#));
        // The relayed PaymentProcessed went to the events topic twice under one event id.
        let parsed: Vec<serde_json::Value> = lines
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let relayed = parsed
            .iter()
            .find(|v| v["event"]["type"] == "relay_crashed")
            .map(|v| v["event"]["event_id"].clone())
            .unwrap();
        let produced = parsed
            .iter()
            .filter(|v| v["type"] == "produced" && v["event_id"] == relayed)
            .count();
        assert_eq!(produced, 2);
        assert!(lines.iter().any(
            |l| l.contains(r#""type":"duplicate_absorbed""#) && l.contains("PaymentProcessed")
        ));
    }

    #[test]
    fn consumer_groups_slow_shipping_times_the_step_out_and_compensates() {
        let (summary, lines) = run_on_groups("consumer-groups-shipping-timeout");
        assert_eq!(summary.invariant_violations, Vec::<String>::new());
        let s = &summary.sagas[0];
        assert_eq!(s.state, SagaState::Failed);
        assert_eq!(
            s.compensations,
            [
                Compensation::CancelShipment,
                Compensation::RefundPayment,
                Compensation::ReleaseInventory,
                Compensation::CancelOrder
            ]
        );
        assert!(has(&lines, r#""step":"ShipOrder""#));
        assert!(has(&lines, r#""type":"step_timed_out""#));
        assert!(has(&lines, r#""type":"transition_refused""#));
        let stock = summary.balances.stock[&ProductId("P1".into())];
        assert_eq!((stock.available, stock.reserved, stock.shipped), (10, 0, 0));
    }

    #[test]
    fn scenario_json_is_recognised_and_bad_setups_are_refused() {
        let s = named_scenario("happy-path").unwrap();
        let json = serde_json::to_string(&s).unwrap();
        assert!(is_saga_scenario(&serde_json::from_str(&json).unwrap()));
        assert!(!is_saga_scenario(&serde_json::json!({"topics": []})));
        assert_eq!(SagaScenario::from_json(&json).unwrap(), s);
        let mut bad = s.clone();
        bad.setup.config.partitions = 0;
        let err = SagaScenario::from_json(&serde_json::to_string(&bad).unwrap()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "a saga topic needs 1 to 64 partitions, not 0"
        );
        assert!(SagaScenario::from_json("{").is_err());
    }

    /// The preset files under `scenarios/` are exactly the named scenarios (regenerate with
    /// `UPDATE_SCENARIOS=1 cargo test -p orderflow-engine preset_files`).
    #[test]
    fn preset_files_match_the_named_scenarios() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
        for s in named_scenarios() {
            let path = dir.join(format!("saga-{}.json", s.name));
            let json = serde_json::to_string_pretty(&s).unwrap() + "\n";
            if std::env::var_os("UPDATE_SCENARIOS").is_some() {
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(&path, &json).unwrap();
            }
            let on_disk = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(on_disk, json, "{} is stale", path.display());
        }
    }

    #[test]
    fn taking_payment_down_times_the_step_out_and_bringing_it_back_compensates() {
        use super::super::driver::SagaCommand;
        let mut sim = SagaSim::new(SagaSetup::default(), 1).unwrap();
        sim.apply(SagaCommand::TakeDown {
            service: ServiceName::Payment,
        })
        .unwrap();
        let o = order(0, "order-9", "customer-9", "P2", 3);
        sim.apply(SagaCommand::PlaceOrder {
            order_id: o.order_id.clone(),
            customer_id: o.customer_id,
            lines: o.lines,
            currency: None,
        })
        .unwrap();
        sim.run(120);
        let s = sim.summaries()[0].clone();
        // Timed out and waiting for the refund, which Payment cannot do while it is down.
        assert_eq!(s.state, SagaState::Compensating);
        assert!(!sim.is_up(ServiceName::Payment));
        sim.apply(SagaCommand::BringUp {
            service: ServiceName::Payment,
        })
        .unwrap();
        sim.run(60);
        let s = sim.summaries()[0].clone();
        assert_eq!(s.state, SagaState::Failed);
        assert_eq!(
            s.compensations,
            [
                Compensation::RefundPayment,
                Compensation::ReleaseInventory,
                Compensation::CancelOrder
            ]
        );
        // The queued ProcessPayment ran first (charge), then the refund: money is back.
        assert_eq!(sim.balances().charged_cents, sim.balances().refunded_cents);
        assert!(sim
            .trace()
            .iter()
            .any(|e| matches!(e, T::ServiceDown { .. })));
        assert!(sim.trace().iter().any(|e| matches!(e, T::ServiceUp { .. })));
        assert!(sim
            .apply(SagaCommand::PlaceOrder {
                order_id: OrderId("empty".into()),
                customer_id: CustomerId("c".into()),
                lines: vec![],
                currency: None,
            })
            .is_err());
        assert!(sim
            .apply(SagaCommand::ResubmitDeadLetters {
                topic: "nope".into()
            })
            .is_err());
    }

    /// The UI's commands act the same on both drivers: Payment taken down, an order placed,
    /// the step times out, Payment brought back, the charge is refunded.
    #[test]
    fn commands_act_alike_on_both_drivers() {
        use super::super::driver::SagaCommand;
        for engine in [SagaEngine::Standalone, SagaEngine::ConsumerGroups] {
            let scenario = SagaScenario {
                engine,
                ..scenario("commands", "", 0, SagaSetup::default())
            };
            let mut run = SagaRun::start(&scenario).unwrap();
            run.apply(SagaCommand::TakeDown {
                service: ServiceName::Payment,
            })
            .unwrap();
            let o = order(0, "order-9", "customer-9", "P2", 3);
            run.apply(SagaCommand::PlaceOrder {
                order_id: o.order_id.clone(),
                customer_id: o.customer_id,
                lines: o.lines,
                currency: None,
            })
            .unwrap();
            for _ in 0..120 {
                run.step();
            }
            assert_eq!(
                run.summary().sagas[0].state,
                SagaState::Compensating,
                "{engine:?}"
            );
            run.apply(SagaCommand::BringUp {
                service: ServiceName::Payment,
            })
            .unwrap();
            for _ in 0..80 {
                run.step();
            }
            let summary = run.summary();
            assert_eq!(summary.sagas[0].state, SagaState::Failed, "{engine:?}");
            assert_eq!(
                summary.sagas[0].compensations,
                [
                    Compensation::RefundPayment,
                    Compensation::ReleaseInventory,
                    Compensation::CancelOrder
                ],
                "{engine:?}"
            );
            assert_eq!(
                summary.balances.charged_cents, summary.balances.refunded_cents,
                "{engine:?}"
            );
            assert_eq!(summary.invariant_violations, Vec::<String>::new());
            assert!(run
                .apply(SagaCommand::ResubmitDeadLetters {
                    topic: "nope".into()
                })
                .is_err());
            assert!(run
                .apply(SagaCommand::PlaceOrder {
                    order_id: OrderId("empty".into()),
                    customer_id: CustomerId("c".into()),
                    lines: vec![],
                    currency: None,
                })
                .is_err());
        }
    }

    /// Golden summaries of every named scenario: final states, steps, compensations, saga
    /// logs, balances, offsets (regenerate with `UPDATE_GOLDEN=1 cargo test -p
    /// orderflow-engine golden_summaries`, and read the diff).
    #[test]
    fn golden_summaries_of_the_named_scenarios() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
        for s in named_scenarios() {
            let mut run = SagaRun::start(&s).unwrap();
            while run.now() < Tick(s.ticks) {
                run.step();
            }
            let mut summary = run.summary();
            // The streaming engine's own summary has its own golden files.
            summary.engine = None;
            assert_eq!(
                summary.invariant_violations,
                Vec::<String>::new(),
                "{}",
                s.name
            );
            let json = serde_json::to_string_pretty(&summary).unwrap() + "\n";
            let path = dir.join(format!("saga-{}.summary.json", s.name));
            if std::env::var_os("UPDATE_GOLDEN").is_some() {
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(&path, &json).unwrap();
            }
            let on_disk = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(on_disk, json, "{} changed", path.display());
        }
    }

    #[test]
    fn same_seed_same_trace() {
        let s = named_scenario("mixed-failures-choreography").unwrap();
        let a = s.run().unwrap();
        let b = s.run().unwrap();
        assert_eq!(a.trace(), b.trace());
        let mut other = s.clone();
        other.seed = 7;
        let c = other.run().unwrap();
        assert_eq!(c.check_invariants(), Vec::<String>::new());
    }

    #[test]
    fn projections_lag_then_catch_up_and_rebuild_equal() {
        let mut s = named_scenario("happy-path").unwrap();
        s.setup.config.projection_ticks_per_record = 3;
        let mut sim = s.build().unwrap();
        sim.run(15);
        let lag = sim.projection_lag(super::super::projection::ProjectionKind::OrderSummary);
        assert!(
            lag > 0,
            "projection should lag while events arrive faster than it reads"
        );
        sim.run(300);
        for k in super::super::projection::ProjectionKind::ALL {
            assert_eq!(sim.projection_lag(k), 0);
            assert!(sim.rebuild_projection(k));
        }
    }
}
