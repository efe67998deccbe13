//! The saga on consumer groups: both styles, compensation, dead letters, member deaths,
//! projections as groups, slow services.

use super::super::command::OrderRequest;
use super::super::faults::{FaultEffect, FaultPlan, FaultRule};
use super::super::message::OrderId;
use super::super::orchestrator::{Compensation, SagaState, SagaStep};
use super::super::projection::ReadModel;
use super::super::services::CallTarget;
use super::*;
use crate::group::CommitPolicy;
use crate::ids::PartitionId;
use crate::scenario::System;

/// The saga of `setup` on a new simulation, `customize` changing its services' groups.
fn system(
    setup: SagaSetup,
    seed: u64,
    customize: impl Fn(ServiceName, &mut GroupConfig),
) -> System {
    let mut sim = Sim::new(seed);
    let saga = Saga::with_groups(setup, &mut sim, customize).unwrap();
    System::new(sim, Some(saga))
}

fn view(system: &System) -> SagaView<'_> {
    system.saga().expect("a saga")
}

fn setup(mode: SagaMode, inbox: bool, faults: FaultPlan) -> SagaSetup {
    SagaSetup {
        config: SagaConfig {
            mode,
            inbox,
            ..SagaConfig::default()
        },
        orders: vec![
            OrderRequest::one_line(1, "order-1", "customer-1", "P1", 2),
            OrderRequest::one_line(3, "order-2", "customer-2", "P2", 1),
        ],
        faults,
        ..SagaSetup::default()
    }
}

/// A payment member dies with processed but uncommitted records; after the session
/// timeout its partitions go to a new member, which gets them again. Without an inbox
/// the customer pays twice; with one the duplicate is absorbed.
#[test]
fn member_death_redelivers_and_only_the_inbox_prevents_a_double_charge() {
    for inbox in [false, true] {
        let mut s = system(
            SagaSetup {
                orders: vec![OrderRequest::one_line(1, "order-1", "customer-1", "P1", 1)],
                ..setup(SagaMode::Orchestration, inbox, FaultPlan::default())
            },
            5,
            |service, g| {
                if service == ServiceName::Payment {
                    g.commit_policy = CommitPolicy::AutoCommit {
                        interval_ticks: 100_000,
                    };
                }
            },
        );
        s.run(60);
        assert_eq!(view(&s).summaries()[0].state, SagaState::Completed);
        let (saga, sim) = s.saga_mut().unwrap();
        saga.kill_service(sim, ServiceName::Payment).unwrap();
        saga.start_member(sim, ServiceName::Payment).unwrap();
        s.run(80);
        let charges = view(&s).balances().charges;
        let absorbed = view(&s).world().trace.iter().any(
            |e| matches!(e, T::DuplicateAbsorbed { message, .. } if message == "ProcessPayment"),
        );
        assert!(
            s.sim()
                .group("payment-service")
                .unwrap()
                .counters()
                .duplicates
                > 0
        );
        if inbox {
            assert_eq!(charges, 1);
            assert!(absorbed);
            assert_eq!(view(&s).check_invariants(), Vec::<String>::new());
        } else {
            assert_eq!(charges, 2);
            assert!(!absorbed);
        }
        // The saga outcome is unchanged: the orchestrator refuses the duplicate reply.
        assert_eq!(view(&s).summaries()[0].state, SagaState::Completed);
        assert_eq!(
            view(&s)
                .world()
                .services
                .order
                .status(&OrderId("order-1".into())),
            Some(super::super::event_store::OrderStatus::Delivered)
        );
    }
}

#[test]
fn projections_are_consumer_groups_that_lag_catch_up_and_rebuild_equal() {
    let mut config = setup(SagaMode::Orchestration, true, FaultPlan::default());
    config.config.projection_ticks_per_record = 4;
    let mut s = system(config, 2, |_, _| {});
    s.run(20);
    assert!(view(&s).projection_lag(ProjectionKind::OrderSummary) > 0);
    s.run(200);
    for kind in ProjectionKind::ALL {
        assert_eq!(view(&s).projection_lag(kind), 0, "{kind:?}");
        let (saga, sim) = s.saga_mut().unwrap();
        assert!(saga.rebuild_projection(sim, kind), "{kind:?}");
    }
    let Some(ReadModel::OrderSummary(summary)) = view(&s).projection(ProjectionKind::OrderSummary)
    else {
        panic!("order summary projection")
    };
    assert_eq!(
        summary.count_by_status()[&super::super::event_store::OrderStatus::Delivered],
        2
    );
}

/// A slowdown makes Payment's group spend 80 ticks per record for a while: the
/// ProcessPayment step times out and the saga compensates; afterwards the group is back
/// to its configured speed.
#[test]
fn a_slowdown_on_consumer_groups_times_a_step_out_then_ends() {
    let faults = FaultPlan {
        slowdowns: vec![super::super::faults::Slowdown {
            service: ServiceName::Payment,
            from_tick: Tick(0),
            until_tick: Tick(100),
            extra_ticks: 80,
        }],
        ..FaultPlan::default()
    };
    let mut config = setup(SagaMode::Orchestration, true, faults);
    config.orders.truncate(1);
    let mut s = system(config, 4, |_, _| {});
    s.run(5);
    let group = |s: &System| {
        s.sim()
            .group("payment-service")
            .unwrap()
            .config()
            .processing_ticks_per_record
    };
    assert_eq!(group(&s), 81);
    s.run(400);
    assert_eq!(group(&s), 1);
    assert!(view(&s).is_settled());
    let sums = view(&s).summaries();
    assert_eq!(sums[0].state, SagaState::Failed, "{sums:?}");
    assert_eq!(
        sums[0].compensations,
        [
            Compensation::RefundPayment,
            Compensation::ReleaseInventory,
            Compensation::CancelOrder
        ]
    );
    let w = view(&s).world();
    let speeds: Vec<u64> = w
        .trace
        .iter()
        .filter_map(|e| match e {
            T::ServiceSpeedChanged {
                service: ServiceName::Payment,
                processing_ticks_per_record,
                ..
            } => Some(*processing_ticks_per_record),
            _ => None,
        })
        .collect();
    assert_eq!(speeds, [81, 1]);
    assert!(w.trace.iter().any(|e| matches!(
        e,
        T::StepTimedOut {
            step: SagaStep::ProcessPayment,
            ..
        }
    )));
    assert_eq!(view(&s).check_invariants(), Vec::<String>::new());
}

/// Shipping made slow while the saga runs: its group takes the new time at the next
/// step, ShipOrder misses its timeout and the saga compensates; groups customised at
/// creation keep their own time until changed.
#[test]
fn a_service_made_slow_at_runtime_times_its_step_out() {
    let mut config = setup(SagaMode::Orchestration, true, FaultPlan::default());
    config.orders.truncate(1);
    let mut s = system(config, 2, |service, g| {
        if service == ServiceName::Notification {
            g.processing_ticks_per_record = 3;
        }
    });
    let ticks = |s: &System, group: &str| {
        s.sim()
            .group(group)
            .unwrap()
            .config()
            .processing_ticks_per_record
    };
    s.run(2);
    assert_eq!(ticks(&s, "notification-service"), 3);
    s.saga_mut()
        .unwrap()
        .0
        .set_processing_ticks(ServiceName::Shipping, 70)
        .unwrap();
    assert!(s
        .saga_mut()
        .unwrap()
        .0
        .set_processing_ticks(ServiceName::Orchestrator, 1)
        .is_ok());
    s.step();
    assert_eq!(ticks(&s, "shipping-service"), 70);
    // Shipping spends 70 ticks on each of the order's events too: it settles late.
    while !view(&s).is_settled() && s.now() < Tick(3000) {
        s.step();
    }
    assert!(view(&s).is_settled());
    let sums = view(&s).summaries();
    assert_eq!(sums[0].state, SagaState::Failed, "{sums:?}");
    assert_eq!(sums[0].compensations[0], Compensation::CancelShipment);
    assert_eq!(ticks(&s, "notification-service"), 3);
    assert_eq!(view(&s).check_invariants(), Vec::<String>::new());
    let mut chor = system(
        setup(SagaMode::Choreography, true, FaultPlan::default()),
        2,
        |_, _| {},
    );
    assert!(chor
        .saga_mut()
        .unwrap()
        .0
        .set_processing_ticks(ServiceName::Orchestrator, 5)
        .is_err());
}

/// A choreographed saga has no log: the driver folds the events topic as records arrive
/// and traces what they tell, each at the tick of the record that told it.
#[test]
fn choreographed_sagas_are_traced_as_their_events_arrive() {
    let faults = FaultPlan {
        rules: vec![FaultRule::next_calls(
            CallTarget::Step(SagaStep::ProcessPayment),
            FaultEffect::Decline,
            1,
        )],
        ..FaultPlan::default()
    };
    let mut s = system(setup(SagaMode::Choreography, true, faults), 1, |_, _| {});
    s.run(150);
    let sums = view(&s).summaries();
    let w = view(&s).world();
    let of = |id: &str| -> Vec<&T> {
        w.trace
            .iter()
            .filter(|e| match e {
                T::StepSucceeded { order_id, .. }
                | T::StepFailed { order_id, .. }
                | T::CompensationDone { order_id, .. }
                | T::SagaCompleted { order_id, .. }
                | T::SagaFailed { order_id, .. } => order_id.0 == id,
                _ => false,
            })
            .collect()
    };
    let failed = of("order-1");
    assert!(matches!(
        failed[..],
        [
            T::StepSucceeded {
                step: SagaStep::CreateOrder,
                ..
            },
            T::StepSucceeded {
                step: SagaStep::ReserveInventory,
                ..
            },
            T::StepFailed {
                step: SagaStep::ProcessPayment,
                ..
            },
            T::CompensationDone {
                compensation: Compensation::CancelOrder,
                ..
            },
            T::CompensationDone {
                compensation: Compensation::ReleaseInventory,
                ..
            },
            T::SagaFailed { .. },
        ]
    ));
    let completed = of("order-2");
    assert_eq!(completed.len(), 5, "{completed:?}");
    let Some(T::SagaCompleted { tick, .. }) = completed.last() else {
        panic!("{completed:?}")
    };
    let summary = sums.iter().find(|x| x.order_id.0 == "order-2").unwrap();
    assert_eq!(summary.finished_at, Some(*tick));
    // Every event was observed once: no step is traced twice.
    let steps = w
        .trace
        .iter()
        .filter(|e| matches!(e, T::StepSucceeded { .. }))
        .count();
    assert_eq!(steps, 2 + 4);
}

/// Every record of an order's path reads back as the envelope the services handled: its
/// event id and causation are the path's, and its correlation id is the order's.
#[test]
fn every_record_of_an_orders_path_reads_back_as_its_envelope() {
    let mut s = system(
        setup(SagaMode::Orchestration, true, FaultPlan::default()),
        3,
        |_, _| {},
    );
    s.run(60);
    let v = view(&s);
    let order = OrderId("order-1".into());
    let path = v.order_path(&order);
    assert!(path.len() > 5, "{path:?}");
    for entry in &path {
        let envelope = v
            .envelope_at(&entry.topic, entry.partition, entry.offset)
            .expect("a saga record");
        assert_eq!(envelope.meta.event_id, entry.event_id);
        assert_eq!(envelope.meta.causation_id, entry.causation_id);
        assert_eq!(envelope.meta.correlation_id.0, "order-1");
        assert_eq!(envelope.message.order_id(), &order);
    }
    let first = &path[0];
    assert_eq!(
        v.envelope_at("no-such-topic", first.partition, first.offset),
        None
    );
    assert_eq!(
        v.envelope_at(&first.topic, PartitionId(99), first.offset),
        None
    );
    assert_eq!(
        v.envelope_at(&first.topic, first.partition, Offset(1_000_000)),
        None
    );
}
