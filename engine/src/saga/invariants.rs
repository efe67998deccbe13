//! Property tests: the saga invariants over random seeds, orders and fault schedules.
//!
//! Faults stop at tick `FAULTS_STOP`; after that every saga must end (completed or failed)
//! within `SETTLE_BOUND_TICKS`, and then: exactly the completed steps were compensated, in
//! reverse order; stock is conserved; money is conserved when the inbox is on; with the
//! outbox on every state change's event was published; the DLQs hold every dead letter; the
//! projections equal their replay. Case counts are modest so the debug suite stays fast;
//! raise them with `PROPTEST_CASES`.

use super::driver::{SagaConfig, SagaSetup, SagaSim};
use super::faults::{
    Crash, CrashPoint, FaultEffect, FaultPlan, FaultRule, Outage, RelayCrash, Slowdown,
};
use super::message::ProductId;
use super::orchestrator::{Compensation, SagaStep};
use super::scenario::order;
use super::services::{CallTarget, SagaMode, ServiceName};
use super::streaming::StreamingSaga;
use crate::ids::Tick;
use proptest::prelude::*;

const FAULTS_STOP: u64 = 200;
/// Saga timeout (240) + the longest retry wait (120) + processing backlog, with margin.
const SETTLE_BOUND_TICKS: u64 = 1200;

const STEPS: [SagaStep; 3] = [
    SagaStep::ReserveInventory,
    SagaStep::ProcessPayment,
    SagaStep::ShipOrder,
];
const COMPENSATIONS: [Compensation; 4] = [
    Compensation::CancelOrder,
    Compensation::ReleaseInventory,
    Compensation::RefundPayment,
    Compensation::CancelShipment,
];
const SERVICES: [ServiceName; 5] = [
    ServiceName::Order,
    ServiceName::Inventory,
    ServiceName::Payment,
    ServiceName::Shipping,
    ServiceName::Orchestrator,
];
const MESSAGES: [&str; 9] = [
    "PlaceOrder",
    "OrderCreated",
    "ReserveInventory",
    "InventoryReserved",
    "ProcessPayment",
    "PaymentProcessed",
    "RefundPayment",
    "ShipOrder",
    "OrderCancelled",
];

#[derive(Clone, Debug)]
struct Case {
    seed: u64,
    mode: SagaMode,
    inbox: bool,
    outbox: bool,
    partitions: u32,
    stock: [u64; 3],
    orders: Vec<(u64, usize, usize, u32)>,
    declines: [f64; 3],
    step_errors: (usize, u32),
    compensation_errors: (usize, u32),
    outage: Option<(usize, u64, u64)>,
    slowdown: Option<(usize, u64, u64, u64)>,
    crash: Option<(usize, usize, u32, bool, u64)>,
    relay_crash: Option<(usize, u32)>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        (
            any::<u64>(),
            prop_oneof![Just(SagaMode::Orchestration), Just(SagaMode::Choreography)],
            prop::bool::weighted(0.8),
            any::<bool>(),
            1u32..=4,
            [2u64..10, 2u64..10, 2u64..10],
            prop::collection::vec((1u64..120, 0usize..3, 0usize..3, 1u32..4), 1..7),
        ),
        (
            [0.0f64..0.3, 0.0f64..0.3, 0.0f64..0.3],
            (0usize..3, 0u32..10),
            (0usize..4, 0u32..4),
            prop::option::weighted(0.7, (0usize..5, 0u64..120, 20u64..150)),
            prop::option::of((0usize..5, 0u64..FAULTS_STOP, 1u64..120, 1u64..20)),
            prop::option::weighted(
                0.8,
                (0usize..5, 0usize..9, 1u32..3, any::<bool>(), 1u64..30),
            ),
            prop::option::of((0usize..5, 1u32..6)),
        ),
    )
        .prop_map(
            |(
                (seed, mode, inbox, outbox, partitions, stock, orders),
                (declines, step_errors, compensation_errors, outage, slowdown, crash, relay_crash),
            )| Case {
                seed,
                mode,
                inbox,
                outbox,
                partitions,
                stock,
                orders,
                declines,
                step_errors,
                compensation_errors,
                outage,
                slowdown,
                crash,
                relay_crash,
            },
        )
}

fn build(c: &Case) -> SagaSim {
    SagaSim::new(setup(c), c.seed).expect("generated setups are valid")
}

fn setup(c: &Case) -> SagaSetup {
    let stop = Tick(FAULTS_STOP);
    let mut rules: Vec<FaultRule> = STEPS
        .iter()
        .zip(c.declines)
        .map(|(step, p)| {
            let mut r = FaultRule::probability(CallTarget::Step(*step), FaultEffect::Decline, p);
            r.until_tick = Some(stop);
            r
        })
        .collect();
    rules.push(FaultRule::next_calls(
        CallTarget::Step(STEPS[c.step_errors.0]),
        FaultEffect::Error,
        c.step_errors.1,
    ));
    rules.push(FaultRule::next_calls(
        CallTarget::Compensation(COMPENSATIONS[c.compensation_errors.0]),
        FaultEffect::Error,
        c.compensation_errors.1,
    ));
    let faults = FaultPlan {
        rules,
        outages: c
            .outage
            .iter()
            .map(|(s, from, len)| Outage {
                service: SERVICES[*s],
                from_tick: Tick(*from),
                until_tick: Tick((from + len).min(FAULTS_STOP)),
            })
            .collect(),
        slowdowns: c
            .slowdown
            .iter()
            .map(|(s, from, len, extra)| Slowdown {
                service: SERVICES[*s],
                from_tick: Tick(*from),
                until_tick: Tick((from + len).min(FAULTS_STOP)),
                extra_ticks: *extra,
            })
            .collect(),
        // Without an outbox a crash after the state change loses the event for good; an
        // orchestrated saga whose OrderCreated is lost never starts. That is the point of
        // the outbox, so such crashes are only generated with the outbox on.
        crashes: c
            .crash
            .iter()
            .filter(|(_, _, _, after_state_change, _)| c.outbox || !after_state_change)
            .map(|(s, m, nth, after_state_change, down)| Crash {
                service: SERVICES[*s],
                message: MESSAGES[*m].into(),
                nth: *nth,
                point: if *after_state_change {
                    CrashPoint::AfterStateChange
                } else {
                    CrashPoint::AfterPublish
                },
                down_ticks: *down,
            })
            .collect(),
        relay_crashes: c
            .relay_crash
            .iter()
            .map(|(s, nth)| RelayCrash {
                service: SERVICES[*s],
                nth: *nth,
            })
            .collect(),
        concurrent_writers: vec!["order-0".into()],
    };
    let products = ["P1", "P2", "P3"];
    let config = SagaConfig {
        mode: c.mode,
        inbox: c.inbox,
        outbox: c.outbox,
        partitions: c.partitions,
        initial_stock: products
            .iter()
            .zip(c.stock)
            .map(|(p, n)| (ProductId((*p).into()), n))
            .collect(),
        ..SagaConfig::default()
    };
    let orders = c
        .orders
        .iter()
        .enumerate()
        .map(|(i, (at, customer, product, quantity))| {
            order(
                *at,
                &format!("order-{i}"),
                &format!("customer-{customer}"),
                products[*product],
                *quantity,
            )
        })
        .collect();
    SagaSetup {
        config,
        orders,
        faults,
        resubmits: Vec::new(),
    }
}

/// The same case on the streaming engine's consumer groups.
fn build_on_groups(c: &Case) -> StreamingSaga {
    StreamingSaga::new(setup(c), c.seed).expect("generated setups are valid")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(24)
    ))]

    #[test]
    fn sagas_settle_and_every_invariant_holds(c in case()) {
        let mut sim = build(&c);
        let mut ticks = 0;
        // Stock is conserved at every tick, not only at the end.
        while ticks < FAULTS_STOP + SETTLE_BOUND_TICKS {
            sim.step();
            ticks += 1;
            for (p, s) in &sim.services.inventory.stock {
                prop_assert_eq!(s.total(), sim.services.inventory.initial[p], "seed {}", c.seed);
            }
            if ticks > FAULTS_STOP && sim.is_quiescent() {
                break;
            }
        }
        prop_assert!(sim.is_quiescent(), "seed {}: not settled by tick {}: {:?}", c.seed, sim.now(), sim.summaries());
        let violations = sim.check_invariants();
        prop_assert!(violations.is_empty(), "seed {}: {:?}", c.seed, violations);
        prop_assert_eq!(sim.summaries().len(), c.orders.len());
    }

    /// The same cases on consumer groups: crashes kill the service's member mid-record
    /// (session timeout, rebalance, redelivery to a replacement), the outbox relay re-sends
    /// after relay crashes, slowdowns change the group's processing time. Once faults stop
    /// every saga ends and every invariant holds; in particular, with the outbox on, every
    /// committed state change's event is on a topic.
    #[test]
    fn sagas_on_consumer_groups_settle_and_every_invariant_holds(c in case()) {
        let mut saga = build_on_groups(&c);
        let mut ticks = 0;
        while ticks < FAULTS_STOP + SETTLE_BOUND_TICKS {
            saga.step();
            ticks += 1;
            {
                let w = saga.world();
                for (p, s) in &w.services.inventory.stock {
                    prop_assert_eq!(s.total(), w.services.inventory.initial[p], "seed {}", c.seed);
                }
            }
            if ticks > FAULTS_STOP && saga.is_settled() {
                break;
            }
        }
        prop_assert!(saga.is_settled(), "seed {}: not settled by tick {}: {:?}", c.seed, saga.now(), saga.summaries());
        let violations = saga.check_invariants();
        prop_assert!(violations.is_empty(), "seed {}: {:?}", c.seed, violations);
        prop_assert_eq!(saga.summaries().len(), c.orders.len());
    }

    #[test]
    fn dead_letters_resubmitted_reach_the_source_topic(c in case()) {
        let mut sim = build(&c);
        sim.run(FAULTS_STOP + SETTLE_BOUND_TICKS / 2);
        let held: usize = sim.dead_letters().values().flatten().map(Vec::len).sum();
        let before: usize = sim.topics().values().map(|t| t.records().count()).sum();
        for topic in super::message::topics::ALL {
            sim.apply(super::driver::SagaCommand::ResubmitDeadLetters { topic: topic.into() }).unwrap();
        }
        let after: usize = sim.topics().values().map(|t| t.records().count()).sum();
        prop_assert_eq!(after - before, held);
        // Resubmitting again copies nothing twice.
        for topic in super::message::topics::ALL {
            sim.apply(super::driver::SagaCommand::ResubmitDeadLetters { topic: topic.into() }).unwrap();
        }
        let again: usize = sim.topics().values().map(|t| t.records().count()).sum();
        prop_assert_eq!(again, after);
        sim.run(SETTLE_BOUND_TICKS);
        let v = sim.check_invariants();
        prop_assert!(v.is_empty(), "seed {}: {:?}", c.seed, v);
    }
}

/// The generator must actually reach the interesting paths, or the properties above prove
/// little: over a fixed sample, sagas complete and fail, steps time out, records are
/// dead-lettered, compensations are retried and duplicates are absorbed.
#[test]
fn generated_cases_cover_failures_timeouts_and_dead_letters() {
    use super::trace::SagaTraceEvent as T;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, TestRng, TestRunner};
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(proptest::test_runner::RngAlgorithm::ChaCha, &[7; 32]),
    );
    let mut seen = std::collections::BTreeMap::<&str, u32>::new();
    for _ in 0..40 {
        let c = case().new_tree(&mut runner).unwrap().current();
        let mut sim = build(&c);
        sim.run(FAULTS_STOP + 400);
        for s in sim.summaries() {
            *seen
                .entry(if s.state == super::orchestrator::SagaState::Completed {
                    "completed"
                } else {
                    "not completed"
                })
                .or_default() += 1;
        }
        for e in sim.trace() {
            let k = match e {
                T::StepTimedOut { .. } => "timed out",
                T::DeadLettered { .. } => "dead-lettered",
                T::RetryScheduled { .. } => "retried",
                T::DuplicateAbsorbed { .. } => "duplicate absorbed",
                T::CompensationDone { .. } => "compensated",
                T::ServiceCrashed { .. } => "crashed",
                T::OutboxRelayed { .. } => "relayed",
                _ => continue,
            };
            *seen.entry(k).or_default() += 1;
        }
    }
    for k in [
        "completed",
        "not completed",
        "timed out",
        "dead-lettered",
        "retried",
        "duplicate absorbed",
        "compensated",
        "crashed",
        "relayed",
    ] {
        assert!(seen.get(k).copied().unwrap_or(0) > 0, "never {k}: {seen:?}");
    }
}

/// The consumer-group runs of the generated cases reach the crash paths too: members crash
/// mid-record, relays publish and re-publish, events are lost without an outbox, inboxes
/// absorb the redeliveries, slowdowns change a group's speed.
#[test]
fn generated_cases_on_consumer_groups_cover_crashes_and_relays() {
    use super::trace::SagaTraceEvent as T;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, TestRng, TestRunner};
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(proptest::test_runner::RngAlgorithm::ChaCha, &[7; 32]),
    );
    let mut seen = std::collections::BTreeMap::<&str, u32>::new();
    for _ in 0..40 {
        let c = case().new_tree(&mut runner).unwrap().current();
        let mut saga = build_on_groups(&c);
        saga.run(FAULTS_STOP + 400);
        let crashed_members = saga
            .sim()
            .trace()
            .iter()
            .filter(|e| matches!(e, crate::trace::TraceEvent::ProcessingCrashed { .. }))
            .count();
        *seen.entry("member crashed mid-record").or_default() += crashed_members as u32;
        for e in saga.world().trace.iter() {
            let k = match e {
                T::ServiceCrashed { .. } => "crashed",
                T::OutboxRelayed {
                    publish_count: 2.., ..
                } => "relayed twice",
                T::OutboxRelayed { .. } => "relayed",
                T::DuplicateAbsorbed { .. } => "duplicate absorbed",
                T::ServiceSpeedChanged { .. } => "slowed",
                T::StepTimedOut { .. } => "timed out",
                _ => continue,
            };
            *seen.entry(k).or_default() += 1;
        }
    }
    for k in [
        "member crashed mid-record",
        "crashed",
        "relayed",
        "relayed twice",
        "duplicate absorbed",
        "slowed",
        "timed out",
    ] {
        assert!(seen.get(k).copied().unwrap_or(0) > 0, "never {k}: {seen:?}");
    }
}
