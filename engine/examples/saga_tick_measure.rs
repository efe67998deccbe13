//! Measures the per-tick reads that walk every saga, at a given number of sagas:
//! `cargo run --release -p orderflow-engine --example saga_tick_measure [ORDERS]`.
//! Orchestrated, ORDERS orders (four a tick, one line each, no faults) with one consumer
//! for each service's partition; once every order is placed it times, over repeated
//! calls, `Orchestrator::tick` at the run's tick (on a copy: the due timeouts fire on the
//! first call, the timed calls find none, as most ticks do), `check_conservation` and
//! `summaries()` (every saga's summary, what the check built before it borrowed).
//! Wall-clock time is read here, in the example, never in the engine.

use orderflow_engine::saga::command::OrderRequest;
use orderflow_engine::saga::config::{SagaConfig, SagaSetup};
use orderflow_engine::saga::message::ProductId;
use orderflow_engine::saga::services::{SagaMode, ServiceName};
use orderflow_engine::saga::streaming::Saga;
use orderflow_engine::scenario::System;
use orderflow_engine::sim::Sim;
use std::time::Instant;

fn setup(orders: u64) -> SagaSetup {
    let products = ["P1", "P2", "P3", "P4", "P5"];
    SagaSetup {
        config: SagaConfig {
            mode: SagaMode::Orchestration,
            partitions: 6,
            initial_stock: products
                .iter()
                .map(|p| (ProductId((*p).into()), orders * 3))
                .collect(),
            ..SagaConfig::default()
        },
        orders: (0..orders)
            .map(|i| {
                OrderRequest::one_line(
                    1 + i / 4,
                    &format!("order-{i}"),
                    &format!("customer-{}", i % 50),
                    products[(i % 5) as usize],
                    1 + (i % 3) as u32,
                )
            })
            .collect(),
        ..SagaSetup::default()
    }
}

/// Mean microseconds of `f` over `n` calls.
fn time_us(n: u32, mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    for _ in 0..n {
        f();
    }
    start.elapsed().as_secs_f64() * 1e6 / f64::from(n)
}

fn main() {
    let orders = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1200u64);
    let mut sim = Sim::new(7);
    let mut saga = Saga::new(setup(orders), &mut sim).expect("valid setup");
    for _ in 1..6 {
        for service in ServiceName::ALL {
            saga.start_member(&mut sim, service).expect("group exists");
        }
    }
    let mut system = System::new(sim, Some(saga));
    system.run(orders / 4 + 200);
    let view = system.saga().expect("a saga");
    let now = view.sim().now();
    let mut orchestrator = view.world().services.orchestrator.clone();
    orchestrator.tick(now);
    let tick_us = time_us(2000, || {
        std::hint::black_box(orchestrator.tick(now));
    });
    let conservation_us = time_us(200, || {
        std::hint::black_box(view.check_conservation());
    });
    let summaries_us = time_us(200, || {
        std::hint::black_box(view.summaries());
    });
    let final_sagas = view
        .summaries()
        .iter()
        .filter(|s| s.state.is_final())
        .count();
    println!(
        "{} sagas ({final_sagas} final) at tick {}: Orchestrator::tick {tick_us:.1} µs, check_conservation {conservation_us:.0} µs, summaries() {summaries_us:.0} µs",
        view.saga_count(),
        now.0
    );
}
