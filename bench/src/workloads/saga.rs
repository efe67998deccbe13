//! S: orders through the order saga on consumer groups (`Saga`), orchestrated or
//! choreographed, with 10% of payments declined (so about a tenth of the sagas compensate).
//!
//! The services spend no ticks per record and poll up to 500 records, and orders arrive at
//! [`ORDERS_PER_TICK`]: the services keep up, so no step times out. The CQRS projections
//! are groups with the engine's default poll of 10 records (the saga gives no way to
//! change theirs), so they lag behind and the run ends when they have caught up: about 0.7
//! ticks per order.

use crate::harness::{measure, Outcome, Prepared, Run};
use orderflow_engine::ids::Tick;
use orderflow_engine::saga::command::{OrderRequest, SagaCommand};
use orderflow_engine::saga::config::{SagaConfig, SagaSetup};
use orderflow_engine::saga::faults::{FaultEffect, FaultPlan, FaultRule};
use orderflow_engine::saga::message::{CustomerId, OrderId, OrderLine, ProductId};
use orderflow_engine::saga::orchestrator::{SagaState, SagaStep};
use orderflow_engine::saga::services::{CallTarget, SagaMode, ServiceName};
use orderflow_engine::saga::streaming::Saga;
use orderflow_engine::scenario::System;
use orderflow_engine::sim::Sim;

/// Orders placed per tick.
pub const ORDERS_PER_TICK: u64 = 100;
/// Share of payment calls declined.
pub const PAYMENT_FAILURE: f64 = 0.1;
/// Records one poll of a service returns at most.
const MAX_POLL_RECORDS: u32 = 500;

/// How the orders reach the saga.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// A `PlaceOrder` command per order at its tick, as a user's clicks or a scenario's
    /// timed commands arrive.
    Commands,
    /// Every order listed up front in the setup (`SagaSetup::orders`), the saga scenario
    /// files' way.
    Setup,
}

/// Orchestrated or choreographed, by the ids the report uses.
pub fn modes() -> [(&'static str, SagaMode); 2] {
    [
        ("orchestrated", SagaMode::Orchestration),
        ("choreographed", SagaMode::Choreography),
    ]
}

fn order_tick(i: u64) -> Tick {
    Tick(1 + i / ORDERS_PER_TICK)
}

fn order(i: u64) -> OrderRequest {
    OrderRequest {
        at_tick: order_tick(i),
        order_id: OrderId(format!("order-{i}")),
        customer_id: CustomerId(format!("customer-{}", i % 1000)),
        lines: vec![OrderLine {
            product_id: ProductId(format!("P{}", 1 + i % 3)),
            quantity: 1,
            unit_price_cents: 2500,
        }],
        currency: Some("EUR".into()),
    }
}

fn place(order: OrderRequest) -> SagaCommand {
    SagaCommand::PlaceOrder {
        order_id: order.order_id,
        customer_id: order.customer_id,
        lines: order.lines,
        currency: order.currency,
    }
}

fn setup(mode: SagaMode, n: u64, placement: Placement) -> SagaSetup {
    let config = SagaConfig {
        mode,
        processing_ticks: ServiceName::ALL.iter().map(|s| (*s, 0)).collect(),
        projection_ticks_per_record: 0,
        // Enough stock that no order fails for want of it: only payments fail.
        initial_stock: (1..=3)
            .map(|p| (ProductId(format!("P{p}")), n + 1))
            .collect(),
        ..SagaConfig::default()
    };
    let faults = FaultPlan {
        rules: vec![FaultRule::probability(
            CallTarget::Step(SagaStep::ProcessPayment),
            FaultEffect::Decline,
            PAYMENT_FAILURE,
        )],
        ..FaultPlan::default()
    };
    let orders = match placement {
        Placement::Commands => Vec::new(),
        Placement::Setup => (0..n).map(order).collect(),
    };
    SagaSetup {
        config,
        orders,
        faults,
        resubmits: Vec::new(),
    }
}

/// S: `n` orders through the saga in `mode`, placed as `placement` says, until every saga
/// is final and every group has committed everything.
pub fn saga(mode: SagaMode, n: u64, placement: Placement) -> Run {
    measure(
        || Prepared {
            input: Some(setup(mode, n, placement)),
            harness_bytes: 0,
        },
        |setup| {
            let setup = setup.take().expect("one run per setup");
            let mut sim = Sim::new(7);
            let saga = Saga::with_groups(setup, &mut sim, |_, group| {
                group.max_poll_records = MAX_POLL_RECORDS;
            })
            .expect("the benchmark's setup is valid");
            let mut saga = System::new(sim, Some(saga));
            let mut placed = if placement == Placement::Setup { n } else { 0 };
            // The projections poll 10 records a tick (the engine's default) and an order
            // puts about 7 on the events topic: about 0.7 ticks per order. Far more means a
            // stall.
            let tick_bound = 2 * n + 1000;
            loop {
                let now = saga.now().0;
                assert!(now < tick_bound, "the sagas did not settle in {now} ticks");
                saga.step();
                while placed < n && order_tick(placed) <= saga.now() {
                    saga.apply(place(order(placed)).into())
                        .expect("a valid order");
                    placed += 1;
                }
                // `is_settled` folds every saga: ask only once the groups have caught up.
                if placed == n && caught_up(&saga) && view(&saga).is_settled() {
                    break;
                }
            }
            let summaries = view(&saga).summaries();
            assert_eq!(summaries.len() as u64, n, "one saga per order");
            let completed = summaries
                .iter()
                .filter(|s| s.state == SagaState::Completed)
                .count();
            let failed = summaries
                .iter()
                .filter(|s| s.state == SagaState::Failed)
                .count();
            assert_eq!((completed + failed) as u64, n, "every saga is final");
            let mut outcome = Outcome {
                items: n,
                ..Outcome::default()
            };
            let extra = &mut outcome.extra;
            extra.insert("ticks".into(), saga.now().0.into());
            extra.insert("completed".into(), completed.into());
            extra.insert("compensated".into(), failed.into());
            (outcome, saga)
        },
    )
}

/// True when every consumer group (services and projections) has no lag.
fn caught_up(saga: &System) -> bool {
    let sim = saga.sim();
    sim.groups().all(|g| {
        sim.group_snapshot(g.name())
            .is_some_and(|snapshot| snapshot.total_lag == 0)
    })
}

fn view(system: &System) -> orderflow_engine::saga::streaming::SagaView<'_> {
    system.saga().expect("a saga")
}
