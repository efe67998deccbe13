//! The saga scenarios (`scenarios/saga-*.json`) run through [`System`]: what each shows,
//! their files and goldens.

use super::presets::RENAMED;
use super::*;
use crate::ids::Tick;
use crate::saga::command::{OrderRequest, SagaCommand};
use crate::saga::event_store::OrderStatus;
use crate::saga::message::{topics, CustomerId, OrderId, ProductId};
use crate::saga::orchestrator::{Compensation, SagaState, SagaStep};
use crate::saga::projection::{ProjectionKind, ReadModel};
use crate::saga::services::{SagaMode, ServiceName, ShipmentState};
use crate::saga::streaming::SagaView;
use crate::saga::summary::{SagaRunSummary, SagaSummary};
use crate::saga::trace::SagaTraceEvent as T;

fn scenario(name: &str) -> Scenario {
    saga_preset(name).unwrap_or_else(|| panic!("no scenario {name}"))
}

/// The scenario's system after its ticks.
fn run_scenario(s: &Scenario) -> System {
    let mut system = System::from_scenario(s).unwrap();
    system.run_until(Tick(s.run_ticks()));
    system
}

fn run(name: &str) -> System {
    run_scenario(&scenario(name))
}

fn view(system: &System) -> SagaView<'_> {
    system.saga().expect("a saga scenario")
}

/// The same scenario in the other saga style (for side-by-side comparison).
fn with_mode(mut s: Scenario, mode: SagaMode) -> Scenario {
    s.saga.as_mut().unwrap().config.mode = mode;
    s.name = format!("{}-{mode:?}", s.name);
    s
}

fn saga<'a>(sums: &'a [SagaSummary], id: &str) -> &'a SagaSummary {
    sums.iter().find(|s| s.order_id.0 == id).unwrap()
}

fn assert_clean(system: &System) {
    let saga = view(system);
    assert!(saga.is_settled(), "not settled at tick {}", saga.now());
    assert_eq!(saga.check_invariants(), Vec::<String>::new());
}

fn saga_trace_has(system: &System, is: impl Fn(&T) -> bool) -> bool {
    view(system).world().trace.iter().any(is)
}

/// Runs a saga scenario for its ticks and returns its summary and trace lines (engine and
/// saga events) after checking it settled.
fn run_lines(name: &str) -> (SagaRunSummary, Vec<String>) {
    let s = scenario(name);
    let mut system = System::from_scenario(&s).unwrap();
    let mut lines = system.trace_lines();
    while system.now() < Tick(s.run_ticks()) {
        system.step();
        lines.extend(system.trace_lines());
    }
    assert!(view(&system).is_settled(), "{name} not settled");
    (view(&system).summary(), lines)
}

fn has(lines: &[String], fragment: &str) -> bool {
    lines.iter().any(|l| l.contains(fragment))
}

/// Every saga file is compiled in, under its scenario's name, in canonical form (as the
/// engine writes it), and names no scenario twice; renamed scenarios are gone.
#[test]
fn saga_files_are_the_saga_presets() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let all = saga_presets();
    for s in &all {
        let path = dir.join(format!("saga-{}.json", s.name));
        let on_disk = std::fs::read_to_string(&path).unwrap();
        assert_eq!(on_disk, s.to_json_pretty() + "\n", "{}", path.display());
        assert!(s.saga.is_some(), "{}", s.name);
        assert_eq!(renamed(&s.name), None, "{} is a current name", s.name);
    }
    assert_eq!(
        saga_files(&dir, ".json"),
        sorted_names(&all),
        "a saga-*.json file that is not compiled in"
    );
    for (old, new) in RENAMED {
        assert!(saga_preset(old).is_none(), "{old}");
        assert!(saga_preset(new).is_some(), "{new}");
    }
}

/// A saga section that does not build is refused with the scenario's name and its number.
#[test]
fn bad_saga_setups_are_refused() {
    let mut bad = scenario("happy-path");
    bad.saga.as_mut().unwrap().config.partitions = 0;
    let err = System::from_scenario(&bad).unwrap_err();
    assert_eq!(
        err.to_string(),
        "scenario \"happy-path\", saga: a saga topic needs 1 to 64 partitions, not 0"
    );
    let json = bad.to_json_pretty();
    assert_eq!(Scenario::from_json(&json).unwrap(), bad);
    assert!(Sim::from_scenario(&scenario("happy-path")).is_err());
}

/// Each named scenario ends as it did when 12 of them ran on a driver of their own, before
/// there was one driver (the outcomes below are that driver's): same final states,
/// steps and compensations, stock and money. Only `mixed-failures-orchestration` differs:
/// its declines are random draws, and on consumer groups the payments are drawn in another
/// order, so order-5 completes instead of order-4 (the totals stay the same).
type Shipped = &'static [(&'static str, u64)];

#[test]
fn named_scenarios_end_as_they_did_on_their_own_driver() {
    const DONE: &str = "Completed [CreateOrder, ReserveInventory, ProcessPayment, ShipOrder] []";
    // Name, per saga its state, steps and compensations, money charged and refunded, and
    // units shipped per product.
    let expected: [(&str, &[&str], u64, u64, Shipped); 10] = [
        ("happy-path", &[DONE, DONE], 7500, 0, &[("P1", 2), ("P2", 1)]),
        (
            "payment-fails-compensation",
            &[
                "Failed [CreateOrder, ReserveInventory] [ReleaseInventory, CancelOrder]",
                DONE,
            ],
            2500,
            0,
            &[("P2", 1)],
        ),
        (
            "insufficient-stock",
            &[DONE, "Failed [CreateOrder] [CancelOrder]"],
            5000,
            0,
            &[("P1", 2)],
        ),
        (
            "shipping-timeout",
            &["Failed [CreateOrder, ReserveInventory, ProcessPayment] [CancelShipment, RefundPayment, ReleaseInventory, CancelOrder]"],
            2500,
            2500,
            &[],
        ),
        ("duplicate-delivery-without-inbox", &[DONE], 5000, 0, &[("P1", 1)]),
        ("duplicate-delivery-with-inbox", &[DONE], 2500, 0, &[("P1", 1)]),
        (
            "crash-without-outbox",
            &["Failed [CreateOrder, ReserveInventory] [RefundPayment, ReleaseInventory, CancelOrder]"],
            2500,
            2500,
            &[],
        ),
        ("crash-with-outbox", &[DONE], 2500, 0, &[("P1", 1)]),
        ("poison-message-dlq-resubmit", &[DONE], 2500, 0, &[("P1", 1)]),
        ("event-sourced-order", &[DONE], 2500, 0, &[("P1", 1)]),
    ];
    for (name, sagas, charged, refunded, shipped) in expected {
        let summary = view(&run(name)).summary();
        let outcome: Vec<String> = summary
            .sagas
            .iter()
            .map(|s| format!("{:?} {:?} {:?}", s.state, s.executed_steps, s.compensations))
            .collect();
        assert_eq!(outcome, sagas, "{name}");
        let b = &summary.balances;
        assert_eq!(
            (b.charged_cents, b.refunded_cents),
            (charged, refunded),
            "{name}"
        );
        let out: Vec<(&str, u64)> = b
            .stock
            .iter()
            .filter(|(_, s)| s.shipped > 0)
            .map(|(p, s)| (p.0.as_str(), s.shipped))
            .collect();
        assert_eq!(out, shipped, "{name}");
        assert!(b.stock.values().all(|s| s.reserved == 0), "{name}");
        assert_eq!(summary.invariant_violations, Vec::<String>::new(), "{name}");
    }
}

/// The mixed failures end with their own driver's totals in both styles; which order
/// completes under orchestration changed (see above).
#[test]
fn mixed_failures_end_with_the_same_totals() {
    for style in ["orchestration", "choreography"] {
        let summary = view(&run(&format!("mixed-failures-{style}"))).summary();
        let b = &summary.balances;
        assert_eq!(
            (b.charges, b.charged_cents, b.refunded_cents),
            (2, 10000, 5000)
        );
        assert_eq!(
            b.orders_by_status.clone().into_iter().collect::<Vec<_>>(),
            [(OrderStatus::Delivered, 1), (OrderStatus::Cancelled, 5)],
            "{style}"
        );
        let completed: Vec<&str> = summary
            .sagas
            .iter()
            .filter(|s| s.state == SagaState::Completed)
            .map(|s| s.order_id.0.as_str())
            .collect();
        let expected = if style == "orchestration" {
            "order-5"
        } else {
            "order-4"
        };
        assert_eq!(completed, [expected], "{style}");
    }
}

/// In both styles: every saga completes with all steps, and the messages really are
/// records on the engine's partitions, consumed by groups.
#[test]
fn happy_path_completes_every_saga_with_all_steps() {
    for mode in [SagaMode::Orchestration, SagaMode::Choreography] {
        let sim = run_scenario(&with_mode(scenario("happy-path"), mode));
        let sums = view(&sim).summaries();
        assert_eq!(sums.len(), 2, "{mode:?}");
        for s in &sums {
            assert_eq!(s.state, SagaState::Completed, "{mode:?}: {s:?}");
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
        let b = view(&sim).balances();
        assert_eq!(b.charged_cents, 3 * 2500);
        assert_eq!(b.stock[&ProductId("P1".into())].shipped, 2);
        // Shipped, then delivered `delivery_ticks` later.
        assert_eq!(
            b.orders_by_status.into_iter().collect::<Vec<_>>(),
            [(OrderStatus::Delivered, 2)]
        );
        // Every order gets a confirmation and a shipping notification.
        assert_eq!(b.notifications_sent, 4);
        let events = view(&sim).saga_records(topics::ORDER_EVENTS);
        assert!(events.iter().any(|(_, m)| m.name() == "OrderShipped"));
        let payment = sim.sim().group("payment-service").unwrap();
        assert!(payment.counters().processed > 0);
        // Only the orchestrator sends commands.
        let commands = view(&sim).saga_records(topics::PAYMENT_COMMANDS).len();
        assert_eq!(
            commands,
            if mode == SagaMode::Orchestration {
                2
            } else {
                0
            }
        );
        assert_clean(&sim);
    }
}

/// Shipping publishes OrderDelivered `delivery_ticks` after OrderShipped, in both saga
/// styles; the order, analytics and the order-summary projection move to Delivered.
#[test]
fn completed_orders_are_delivered_after_the_delivery_delay() {
    for mode in [SagaMode::Orchestration, SagaMode::Choreography] {
        let mut s = with_mode(scenario("happy-path"), mode);
        s.saga.as_mut().unwrap().config.delivery_ticks = 30;
        let sim = run_scenario(&s);
        for order in ["order-1", "order-2"] {
            let path = view(&sim).order_path(&OrderId(order.into()));
            let tick_of = |name: &str| {
                let ticks: Vec<u64> = path
                    .iter()
                    .filter(|e| e.message == name)
                    .map(|e| e.tick.0)
                    .collect();
                assert_eq!(ticks.len(), 1, "{mode:?} {order} {name}: {path:?}");
                ticks[0]
            };
            let (shipped, delivered) = (tick_of("OrderShipped"), tick_of("OrderDelivered"));
            // Due at shipped + 30; the carrier's timer fires that tick.
            assert!(
                (shipped + 30..=shipped + 31).contains(&delivered),
                "{mode:?}: {shipped} -> {delivered}"
            );
        }
        assert!(saga_trace_has(&sim, |e| matches!(
            e,
            T::OrderStatusChanged {
                status: OrderStatus::Delivered,
                ..
            }
        )));
        {
            let w = view(&sim).world();
            let analytics = &w.services.analytics;
            assert_eq!(analytics.events_by_type.get("OrderDelivered"), Some(&2));
            assert_eq!(
                analytics.orders.count_by_status()[&OrderStatus::Delivered],
                2
            );
        }
        let Some(ReadModel::OrderSummary(summary)) =
            view(&sim).projection(ProjectionKind::OrderSummary)
        else {
            panic!("order summary projection")
        };
        assert_eq!(summary.count_by_status()[&OrderStatus::Delivered], 2);
        assert_clean(&sim);
    }
}

#[test]
fn payment_failure_compensates_in_reverse_and_refunds_nothing() {
    let sim = run("payment-fails-compensation");
    let sums = view(&sim).summaries();
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
    assert_eq!(
        view(&sim).balances().stock[&ProductId("P1".into())].available,
        10
    );
    assert_clean(&sim);
}

#[test]
fn insufficient_stock_cancels_the_second_order() {
    let sim = run("insufficient-stock");
    let sums = view(&sim).summaries();
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

/// Shipping's member is killed for the outage; the step times out, and the replacement
/// member that joins at its end ships late, then recalls.
#[test]
fn shipping_timeout_compensates_shipment_payment_inventory_order() {
    let (summary, lines) = run_lines("shipping-timeout");
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
    assert!(has(&lines, r#""type":"step_timed_out""#));
    assert!(has(
        &lines,
        r#""service":"shipping","tick":1,"type":"service_down""#
    ));
    assert!(has(
        &lines,
        r#""service":"shipping","tick":150,"type":"service_up""#
    ));
    assert!(has(
        &lines,
        r#""type":"member_timed_out","tick":10,"group":"shipping-service""#
    ));
    assert!(has(&lines, r#""member":"shipping-service-2""#));
    // The late OrderShipped is refused by the state machine; the shipment is recalled.
    assert!(lines
        .iter()
        .any(|l| l.contains("transition_refused") && l.contains("StepSucceeded(ShipOrder)")));
    let shipped_then_recalled = view(&run("shipping-timeout"))
        .world()
        .services
        .shipping
        .shipments[&OrderId("order-1".into())]
        .clone();
    assert!(matches!(
        shipped_then_recalled,
        ShipmentState::Recalled { .. }
    ));
    let stock = summary.balances.stock[&ProductId("P1".into())];
    assert_eq!((stock.available, stock.reserved, stock.shipped), (10, 0, 0));
    assert_eq!(summary.invariant_violations, Vec::<String>::new());
}

/// The crashed member's ProcessPayment is redelivered to its replacement after the
/// session timeout: charged twice without an inbox, absorbed with one.
#[test]
fn duplicate_delivery_charges_twice_without_inbox_and_once_with_it() {
    let (without, lines) = run_lines("duplicate-delivery-without-inbox");
    assert_eq!(without.balances.charges, 2);
    assert_eq!(without.balances.charged_cents, 5000);
    assert!(has(&lines, r#""type":"processing_crashed""#));
    assert!(has(&lines, r#""type":"member_timed_out""#));
    assert!(lines.iter().any(|l| l
        .contains(r#""group":"payment-service","member":"payment-service-2""#)
        && l.contains(r#""redelivered":true"#)));
    let (with, lines) = run_lines("duplicate-delivery-with-inbox");
    assert_eq!(with.balances.charges, 1);
    assert!(lines
        .iter()
        .any(|l| l.contains("duplicate_absorbed") && l.contains("ProcessPayment")));
    assert_eq!(with.sagas[0].state, SagaState::Completed);
    assert_eq!(with.invariant_violations, Vec::<String>::new());
}

#[test]
fn crash_without_outbox_loses_the_event_and_the_saga_refunds() {
    let (summary, lines) = run_lines("crash-without-outbox");
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
    assert!(lines
        .iter()
        .any(|l| l.contains("event_lost") && l.contains(r#""message":"PaymentProcessed""#)));
    assert!(has(&lines, r#""type":"duplicate_absorbed""#));
    assert!(has(&lines, r#""type":"step_timed_out""#));
    assert!(!has(&lines, r#""type":"outbox_relayed""#));
}

#[test]
fn crash_with_outbox_relays_twice_and_the_saga_completes() {
    let (summary, lines) = run_lines("crash-with-outbox");
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
    assert!(lines
        .iter()
        .any(|l| l.contains(r#""type":"duplicate_absorbed""#) && l.contains("PaymentProcessed")));
}

/// Retried on the schedule while the partition waits (the engine's group counts the
/// blocking retries), dead-lettered with its error and attempts, resubmitted once at tick
/// 220: the order's path shows the dead letter, then the command again, then delivery.
#[test]
fn poison_message_is_dead_lettered_after_the_schedule_and_resubmitted() {
    let mut sim = run("poison-message-dlq-resubmit");
    let retries: Vec<u64> = view(&sim)
        .world()
        .trace
        .iter()
        .filter_map(|e| match e {
            T::RetryScheduled { tick, retry_at, .. } => Some(retry_at.0 - tick.0),
            _ => None,
        })
        .collect();
    assert_eq!(retries, [0, 1, 5, 30, 120]);
    let payment = sim.sim().group("payment-service").unwrap();
    assert_eq!(payment.counters().retries, 5);
    let letters = view(&sim).dead_letters(topics::PAYMENT_COMMANDS);
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].attempts, 6);
    assert_eq!(letters[0].error, "injected error");
    assert_eq!(letters[0].original.message.name(), "ProcessPayment");
    // The DLQ keeps it; none waits, since it was resubmitted at tick 220.
    assert_eq!(
        view(&sim).waiting_dead_letters(topics::PAYMENT_COMMANDS),
        []
    );
    let resubmitted = view(&sim)
        .world()
        .trace
        .iter()
        .filter(|e| {
            matches!(
                e,
                T::Resubmitted {
                    tick: Tick(220),
                    ..
                }
            )
        })
        .count();
    assert_eq!(resubmitted, 1);
    // Already resubmitted: nothing is copied twice.
    let (running, engine) = sim.saga_mut().unwrap();
    let again = running.resubmit_dead_letters(engine, topics::PAYMENT_COMMANDS);
    assert_eq!(again, Ok(0));
    let path: Vec<String> = view(&sim)
        .order_path(&OrderId("order-1".into()))
        .into_iter()
        .map(|e| e.message)
        .collect();
    let dl = path
        .iter()
        .position(|m| m == "DeadLetter(ProcessPayment)")
        .unwrap();
    let again = path.iter().rposition(|m| m == "ProcessPayment").unwrap();
    assert!(dl < again, "{path:?}");
    assert_eq!(path.last().map(String::as_str), Some("OrderDelivered"));
    assert_eq!(
        saga(&view(&sim).summaries(), "order-1").state,
        SagaState::Completed
    );
    assert_clean(&sim);
}

#[test]
fn payment_outage_redelivers_and_the_inbox_absorbs() {
    let (summary, lines) = run_lines("payment-outage-redelivery");
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
    assert!(has(&lines, r#""type":"rebalance_completed""#));
    assert!(has(&lines, r#""type":"redelivered""#));
    assert!(has(&lines, r#""type":"duplicate_absorbed""#));
}

#[test]
fn slow_shipping_times_the_step_out_and_compensates() {
    let (summary, lines) = run_lines("slow-shipping-timeout");
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
fn orchestration_and_choreography_reach_final_outcomes() {
    let orch = run("mixed-failures-orchestration");
    let chor = run("mixed-failures-choreography");
    assert_clean(&orch);
    assert_clean(&chor);
    let outcome = |sim: &System| {
        view(sim)
            .summaries()
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
    assert!(view(&chor)
        .saga_records(topics::PAYMENT_COMMANDS)
        .is_empty());
    assert!(orch
        .sim()
        .group(ServiceName::Orchestrator.group())
        .is_some());
    assert!(chor
        .sim()
        .group(ServiceName::Orchestrator.group())
        .is_none());
}

#[test]
fn event_sourced_order_shows_conflict_snapshot_and_upcast() {
    let sim = run("event-sourced-order");
    assert!(saga_trace_has(&sim, |e| matches!(
        e,
        T::ConcurrencyConflict {
            expected_version: 1,
            actual_version: 2,
            ..
        }
    )));
    assert!(saga_trace_has(&sim, |e| matches!(
        e,
        T::SnapshotTaken { .. }
    )));
    {
        let oid = OrderId("order-1".into());
        let w = view(&sim).world();
        let store = &w.services.order.store;
        assert_eq!(store.stream(&oid)[0].schema_version, 1);
        let with = store.load(&oid).unwrap();
        let without = store.load_without_snapshot(&oid).unwrap();
        assert_eq!(with.state, without.state);
        assert_eq!(with.state.currency.as_deref(), Some("USD"));
        assert!(with.applied_with_snapshot < without.applied_with_snapshot);
    }
    assert_clean(&sim);
}

#[test]
fn order_path_lists_every_record_in_causal_order() {
    let sim = run("happy-path");
    let path = view(&sim).order_path(&OrderId("order-1".into()));
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

/// The file holds `json` (written first when the environment variable `update` is set).
fn check_file(path: &std::path::Path, json: &str, update: &str) {
    if std::env::var_os(update).is_some() {
        std::fs::write(path, json).unwrap();
    }
    let on_disk =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(
        on_disk,
        json,
        "{} is stale (regenerate with {update}=1)",
        path.display()
    );
}

fn sorted_names(all: &[Scenario]) -> Vec<String> {
    let mut names: Vec<String> = all.iter().map(|s| s.name.clone()).collect();
    names.sort();
    names
}

/// The scenario names of the `saga-*<suffix>` files in `dir`, sorted.
fn saga_files(dir: &std::path::Path, suffix: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().ok()?;
            Some(
                name.strip_prefix("saga-")?
                    .strip_suffix(suffix)?
                    .to_string(),
            )
        })
        .collect();
    names.sort();
    names
}

/// The UI's commands: Payment taken down (its member killed), an order placed, the step
/// times out and the saga waits for a refund nobody can make; Payment brought back (a new
/// member, a rebalance): the queued charge runs, then the refund.
#[test]
fn taking_payment_down_times_the_step_out_and_bringing_it_back_compensates() {
    let mut run = System::from_scenario(&Scenario {
        name: "commands".into(),
        description: String::new(),
        seed: 1,
        ticks: Some(0),
        topics: Vec::new(),
        producers: Vec::new(),
        groups: Vec::new(),
        commands: Vec::new(),
        saga: Some(SagaSetup::default()),
        cluster: Default::default(),
    })
    .unwrap();
    let payment = ServiceName::Payment;
    run.apply(SagaCommand::TakeDown { service: payment }.into())
        .unwrap();
    let o = OrderRequest::one_line(0, "order-9", "customer-9", "P2", 3);
    run.apply(
        SagaCommand::PlaceOrder {
            order_id: o.order_id.clone(),
            customer_id: o.customer_id,
            lines: o.lines,
            currency: None,
        }
        .into(),
    )
    .unwrap();
    for _ in 0..120 {
        run.step();
    }
    // Timed out and waiting for the refund, which Payment cannot do while it is down.
    assert_eq!(view(&run).summary().sagas[0].state, SagaState::Compensating);
    // The compensation buffer (60 ticks) runs out: failed, compensation incomplete.
    for _ in 0..20 {
        run.step();
    }
    assert_eq!(
        view(&run).summary().sagas[0].state,
        SagaState::CompensationIncomplete
    );
    assert!(saga_trace_has(&run, |e| matches!(
        e,
        T::CompensationIncomplete { outstanding, .. }
            if outstanding[0] == Compensation::RefundPayment
    )));
    assert!(!view(&run).is_up(payment));
    run.apply(SagaCommand::BringUp { service: payment }.into())
        .unwrap();
    assert!(view(&run).is_up(payment));
    for _ in 0..80 {
        run.step();
    }
    let summary = view(&run).summary();
    assert_eq!(summary.sagas[0].state, SagaState::Failed);
    assert_eq!(
        summary.sagas[0].compensations,
        [
            Compensation::RefundPayment,
            Compensation::ReleaseInventory,
            Compensation::CancelOrder
        ]
    );
    // The queued ProcessPayment ran first (charge), then the refund: money is back.
    assert_eq!(
        summary.balances.charged_cents,
        summary.balances.refunded_cents
    );
    assert_eq!(summary.invariant_violations, Vec::<String>::new());
    let downs_and_ups: Vec<&str> = view(&run)
        .world()
        .trace
        .iter()
        .filter_map(|e| match e {
            T::ServiceDown { service, .. } if *service == payment => Some("down"),
            T::ServiceUp { service, .. } if *service == payment => Some("up"),
            _ => None,
        })
        .collect();
    assert_eq!(downs_and_ups, ["down", "up"]);
    assert!(run
        .apply(
            SagaCommand::ResubmitDeadLetters {
                topic: "nope".into()
            }
            .into()
        )
        .is_err());
    assert!(run
        .apply(
            SagaCommand::PlaceOrder {
                order_id: OrderId("empty".into()),
                customer_id: CustomerId("c".into()),
                lines: vec![],
                currency: None,
            }
            .into()
        )
        .is_err());
}

/// Golden summaries of every named scenario: final states, steps, compensations, saga
/// logs, balances, offsets (regenerate with `UPDATE_GOLDEN=1 cargo test -p
/// orderflow-engine golden_summaries`, and read the diff); no golden without its scenario.
#[test]
fn golden_summaries_of_the_named_scenarios() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let all = saga_presets();
    for s in &all {
        let mut summary = view(&run_scenario(s)).summary();
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
        check_file(&path, &json, "UPDATE_GOLDEN");
    }
    assert_eq!(
        saga_files(&dir, ".summary.json"),
        sorted_names(&all),
        "a saga-*.summary.json golden without its named scenario"
    );
}

/// Same seed and scenario, same engine trace, saga trace and summary; another seed still
/// ends clean.
#[test]
fn same_seed_same_traces() {
    let s = scenario("mixed-failures-choreography");
    let traces = |system: System| {
        let saga_trace = view(&system).world().trace.clone();
        (system.sim().trace().clone(), saga_trace, system.summary())
    };
    assert_eq!(traces(run_scenario(&s)), traces(run_scenario(&s)));
    let mut other = s.clone();
    other.seed = 7;
    let c = run_scenario(&other);
    assert_eq!(view(&c).check_invariants(), Vec::<String>::new());
}

/// Every record of a saga run but the customers' orders is written by a service's
/// consumer group, and the trace names it (the processor's output without an outbox, the
/// relay's send with one), so the stage can draw the writer of each topic; the orders
/// (a client's requests) and a person's resubmit name none. The topics remember their
/// writers, the same groups the trace names.
#[test]
fn saga_records_name_the_group_that_wrote_them() {
    use crate::trace::TraceEvent;
    use std::collections::{BTreeMap, BTreeSet};
    for outbox in [true, false] {
        let mut s = scenario("happy-path");
        s.saga.as_mut().unwrap().config.outbox = outbox;
        let orders = s.saga.as_ref().unwrap().orders.len();
        let system = run_scenario(&s);
        let mut traced: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        let mut unnamed = 0;
        for event in system.sim().trace().iter() {
            if let TraceEvent::Produced { topic, origin, .. } = event {
                match origin.group() {
                    Some(group) => {
                        traced.entry(topic).or_default().insert(group);
                    }
                    None => {
                        assert_eq!(&**topic, topics::ORDER_COMMANDS, "outbox {outbox}");
                        unnamed += 1;
                    }
                }
            }
        }
        assert_eq!(
            unnamed, orders,
            "outbox {outbox}: only the orders name no writer"
        );
        assert_eq!(
            traced[topics::INVENTORY_COMMANDS],
            BTreeSet::from([ServiceName::Orchestrator.group()]),
            "outbox {outbox}"
        );
        for (topic, groups) in &traced {
            let writers: BTreeSet<&str> = system.sim().topic(topic).unwrap().writers().collect();
            assert_eq!(&writers, groups, "outbox {outbox}, topic {topic}");
        }
    }
    let system = run("poison-message-dlq-resubmit");
    let resubmits: Vec<Option<&str>> = system
        .sim()
        .trace()
        .iter()
        .filter_map(|e| match e {
            TraceEvent::Produced {
                tick: Tick(220),
                topic,
                origin,
                ..
            } if &**topic == topics::PAYMENT_COMMANDS => Some(origin.group()),
            _ => None,
        })
        .collect();
    assert_eq!(resubmits, [None]);
}
