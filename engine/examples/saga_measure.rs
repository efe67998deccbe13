//! Measures the saga on consumer groups on a larger run: `cargo run --release -p
//! orderflow-engine --example saga_measure [ORDERS] [TICKS] [TICKS_BETWEEN_ORDERS]`.
//! Wall-clock time is read here, in the example, never in the engine. Without
//! TICKS_BETWEEN_ORDERS (or with 0) four orders arrive every tick, more than the services
//! keep up with, so most sagas time out and compensate; with 2 or more they keep up.

use orderflow_engine::saga::command::OrderRequest;
use orderflow_engine::saga::config::{SagaConfig, SagaSetup};
use orderflow_engine::saga::faults::{FaultEffect, FaultPlan, FaultRule};
use orderflow_engine::saga::message::ProductId;
use orderflow_engine::saga::orchestrator::SagaStep;
use orderflow_engine::saga::services::{CallTarget, SagaMode, ServiceName};
use orderflow_engine::saga::streaming::Saga;
use orderflow_engine::scenario::System;
use orderflow_engine::sim::Sim;
use std::time::Instant;

fn setup(orders: u64, gap: u64, mode: SagaMode) -> SagaSetup {
    let products = ["P1", "P2", "P3", "P4", "P5"];
    SagaSetup {
        config: SagaConfig {
            mode,
            partitions: 6,
            initial_stock: products
                .iter()
                .map(|p| (ProductId((*p).into()), orders))
                .collect(),
            ..SagaConfig::default()
        },
        orders: (0..orders)
            .map(|i| {
                OrderRequest::one_line(
                    if gap == 0 { 1 + i / 4 } else { 1 + i * gap },
                    &format!("order-{i}"),
                    &format!("customer-{}", i % 50),
                    products[(i % 5) as usize],
                    1 + (i % 3) as u32,
                )
            })
            .collect(),
        faults: FaultPlan {
            rules: vec![FaultRule::probability(
                CallTarget::Step(SagaStep::ProcessPayment),
                FaultEffect::Decline,
                0.1,
            )],
            ..FaultPlan::default()
        },
        ..SagaSetup::default()
    }
}

fn arg(n: usize) -> Option<u64> {
    std::env::args().nth(n).and_then(|a| a.parse().ok())
}

fn main() {
    let orders = arg(1).unwrap_or(1000);
    let ticks = arg(2).unwrap_or(orders / 4 + 2000);
    let gap = arg(3).unwrap_or(0);
    let ticks = ticks.max(orders * gap + 2000);
    for mode in [SagaMode::Orchestration, SagaMode::Choreography] {
        let start = Instant::now();
        let mut sim = Sim::new(7);
        let mut saga = Saga::new(setup(orders, gap, mode), &mut sim).expect("valid setup");
        // One consumer per partition for every service: a single member processes its
        // records one at a time and would be the bottleneck.
        for _ in 1..6 {
            for service in ServiceName::ALL {
                if service != ServiceName::Orchestrator || mode == SagaMode::Orchestration {
                    saga.start_member(&mut sim, service).expect("group exists");
                }
            }
        }
        let mut system = System::new(sim, Some(saga));
        system.run(ticks);
        let saga = system.saga().expect("a saga");
        let elapsed = start.elapsed();
        let done = saga
            .summaries()
            .iter()
            .filter(|s| s.state.is_final())
            .count();
        let violations = saga.check_invariants();
        let saga_events = saga.world().trace.len();
        for v in violations
            .iter()
            .filter(|v| !v.contains("is not final"))
            .take(5)
        {
            println!("  {v}");
        }
        println!(
            "{mode:?}: {orders} orders, {ticks} ticks, {} engine trace events, {} saga trace events, {done} sagas final, orders {:?}, {} violations: {:.2?}",
            saga.sim().trace_len(),
            saga_events,
            saga.balances().orders_by_status,
            violations.len(),
            elapsed
        );
    }
}
