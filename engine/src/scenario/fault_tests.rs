//! The saga commands behind the page's "Break things": `inject_fault` (a fault armed by a
//! command and the same fault in a scenario file's timed commands give the same run),
//! `set_fault_chance`, `set_slowdown`, `resubmit_dead_letter` and `take_snapshot`.

use super::*;
use crate::ids::Tick;
use crate::saga::command::{OrderRequest, SagaCommand};
use crate::saga::config::{SagaSetup, SagaSetupError};
use crate::saga::faults::{FaultEffect, FaultRule};
use crate::saga::orchestrator::{Compensation, SagaState, SagaStep};
use crate::saga::services::CallTarget;

const FILE: &str = r#"{
  "name": "inject-fault",
  "seed": 3,
  "ticks": 100,
  "saga": {},
  "commands": [
    {"at": 2, "type": "inject_fault", "rule": {"target": {"kind": "step", "name": "ProcessPayment"},
      "effect": "decline", "trigger": {"trigger": "next_calls", "count": 1}}},
    {"at": 3, "type": "place_order", "order_id": "order-1", "customer_id": "c-1",
      "lines": [{"product_id": "P1", "quantity": 2, "unit_price_cents": 2500}], "currency": "EUR"},
    {"at": 4, "type": "place_order", "order_id": "order-2", "customer_id": "c-2",
      "lines": [{"product_id": "P1", "quantity": 1, "unit_price_cents": 2500}], "currency": "EUR"}
  ]
}"#;

fn fail_payment_once() -> SagaCommand {
    SagaCommand::InjectFault {
        rule: FaultRule::next_calls(
            CallTarget::Step(SagaStep::ProcessPayment),
            FaultEffect::Decline,
            1,
        ),
    }
}

fn place(order: &str, customer: &str, quantity: u32) -> SagaCommand {
    let o = OrderRequest::one_line(0, order, customer, "P1", quantity);
    SagaCommand::PlaceOrder {
        order_id: o.order_id,
        customer_id: o.customer_id,
        lines: o.lines,
        currency: o.currency,
    }
}

/// The file's commands given by hand at their ticks (what the page and the CLI do).
fn by_hand() -> System {
    let mut file = Scenario::from_json(FILE).unwrap();
    file.commands.clear();
    let mut system = System::from_scenario(&file).unwrap();
    let timed = [
        (2, fail_payment_once()),
        (3, place("order-1", "c-1", 2)),
        (4, place("order-2", "c-2", 1)),
    ];
    for (at, command) in timed {
        system.run_until(Tick(at));
        system.apply(command.into()).unwrap();
    }
    system.run_until(Tick(100));
    system
}

#[test]
fn an_injected_fault_fails_the_next_order_only_and_file_and_hand_agree() {
    let file = Scenario::from_json(FILE).unwrap();
    let mut from_file = System::from_scenario(&file).unwrap();
    from_file.run_until(Tick(100));
    let hand = by_hand();
    assert_eq!(from_file.summary(), hand.summary());
    assert_eq!(from_file.sim().trace(), hand.sim().trace());
    let saga = hand.saga().unwrap();
    assert_eq!(saga.world().trace, from_file.saga().unwrap().world().trace);
    let summary = saga.summary();
    let first = &summary.sagas[0];
    assert_eq!(first.state, SagaState::Failed);
    assert_eq!(
        first.compensations,
        [Compensation::ReleaseInventory, Compensation::CancelOrder]
    );
    // The rule fired once: the second order completes and is the only charge.
    assert_eq!(summary.sagas[1].state, SagaState::Completed);
    assert_eq!(summary.balances.charged_cents, 2500);
    assert_eq!(
        summary.balances.stock[&crate::saga::message::ProductId("P1".into())].available,
        9
    );
    assert_eq!(saga.world().faults.rules[0].fired, 1);
    assert_eq!(saga.world().faults.rules[0].from_tick, Tick(2));
    assert_eq!(summary.invariant_violations, Vec::<String>::new());
}

#[test]
fn a_rule_that_could_never_fire_or_has_a_bad_probability_is_refused() {
    let mut system = System::from_scenario(&Scenario::from_json(FILE).unwrap()).unwrap();
    let other = SagaCommand::InjectFault {
        rule: FaultRule::next_calls(CallTarget::Other, FaultEffect::Error, 1),
    };
    assert!(matches!(
        system.apply(other.into()),
        Err(SystemError::Saga(SagaSetupError::FaultTarget))
    ));
    let mut file = Scenario::from_json(FILE).unwrap();
    let rule = FaultRule::probability(
        CallTarget::Step(SagaStep::ShipOrder),
        FaultEffect::Error,
        1.5,
    );
    file.saga = Some(SagaSetup::default());
    file.saga.as_mut().unwrap().faults.rules.push(rule);
    let e = System::from_scenario(&file).unwrap_err();
    assert!(e.to_string().contains("not 1.5"), "{e}");
}

fn payment_chance(probability: f64) -> SagaCommand {
    SagaCommand::SetFaultChance {
        target: CallTarget::Step(SagaStep::ProcessPayment),
        effect: FaultEffect::Decline,
        probability,
    }
}

/// Twenty orders (of a product with stock for all) with payment failing at 50%, then at 0% (the rule ends) for twenty more:
/// some of the first fail and none of the rest; the same seed and commands fail the same
/// orders; a probability outside 0..1 is refused.
#[test]
fn a_fault_chance_fails_some_orders_the_same_way_each_run_until_set_to_zero() {
    let run = || {
        let mut file = Scenario::from_json(FILE).unwrap();
        file.commands.clear();
        let stock = &mut file.saga.as_mut().unwrap().config.initial_stock;
        stock.insert(crate::saga::message::ProductId("P1".into()), 100);
        let mut system = System::from_scenario(&file).unwrap();
        system.apply(payment_chance(0.5).into()).unwrap();
        assert_eq!(
            system
                .saga()
                .unwrap()
                .world()
                .faults
                .chance(CallTarget::Step(SagaStep::ProcessPayment), Tick(0)),
            Some(0.5)
        );
        for i in 0..40 {
            if i == 20 {
                system.run_until(Tick(200));
                system.apply(payment_chance(0.0).into()).unwrap();
            }
            system
                .apply(place(&format!("order-{i:02}"), "c", 1).into())
                .unwrap();
            system.step();
        }
        system.run_until(Tick(400));
        system
    };
    let (a, b) = (run(), run());
    assert_eq!(a.summary(), b.summary());
    let summary = a.saga().unwrap().summary();
    let failed: Vec<bool> = summary
        .sagas
        .iter()
        .map(|s| s.state == SagaState::Failed)
        .collect();
    let first = failed[..20].iter().filter(|f| **f).count();
    assert!((3..=17).contains(&first), "{failed:?}");
    assert!(failed[20..].iter().all(|f| !f), "{failed:?}");
    let faults = &a.saga().unwrap().world().faults;
    assert_eq!(
        faults.chance(CallTarget::Step(SagaStep::ProcessPayment), a.now()),
        None
    );
    assert_eq!(summary.invariant_violations, Vec::<String>::new());
    let mut c = run();
    assert!(matches!(
        c.apply(payment_chance(1.5).into()),
        Err(SystemError::Saga(SagaSetupError::FaultProbability { .. }))
    ));
}

/// Payment slowed by 100 ticks a record (longer than the step's 60-tick timeout): the
/// order's payment times out and the saga compensates; set back to 0, the group runs at
/// its own speed again and the next order completes; too big a slowdown is refused.
#[test]
fn a_slow_service_times_its_step_out_until_set_back() {
    use crate::saga::services::ServiceName;
    let mut file = Scenario::from_json(FILE).unwrap();
    file.commands.clear();
    let mut system = System::from_scenario(&file).unwrap();
    let slow = |extra_ticks| SagaCommand::SetSlowdown {
        service: ServiceName::Payment,
        extra_ticks,
    };
    system.apply(slow(100).into()).unwrap();
    let extra = |s: &System| {
        let saga = s.saga().unwrap();
        saga.world()
            .faults
            .extra_ticks(ServiceName::Payment, s.now())
    };
    assert_eq!(extra(&system), 100);
    system.apply(place("order-1", "c-1", 1).into()).unwrap();
    system.run_until(Tick(400));
    system.apply(slow(0).into()).unwrap();
    assert_eq!(extra(&system), 0);
    system.apply(place("order-2", "c-2", 1).into()).unwrap();
    system.run_until(Tick(600));
    let summary = system.saga().unwrap().summary();
    assert_eq!(summary.sagas[0].state, SagaState::Failed);
    assert_eq!(
        summary.sagas[0].failure.as_deref(),
        Some("ProcessPayment timed out")
    );
    assert_eq!(summary.sagas[1].state, SagaState::Completed);
    assert_eq!(summary.invariant_violations, Vec::<String>::new());
    assert!(matches!(
        system.apply(slow(u64::MAX).into()),
        Err(SystemError::Saga(SagaSetupError::Slowdown { .. }))
    ));
}

/// The poison message's dead letter resubmitted by its place on the DLQ (the page's
/// per-record "Resubmit") does what "Resubmit all" does with one waiting: the same trace,
/// the order completes; a second resubmission of it, or of a place holding none, is refused.
#[test]
fn one_dead_letter_resubmitted_by_its_place_is_resubmit_all_of_one() {
    let mut s = saga_preset("poison-message-dlq-resubmit").unwrap();
    s.saga.as_mut().unwrap().resubmits.clear();
    let at = |system: &mut System, command: SagaCommand| {
        system.run_until(Tick(220));
        system.apply(ScenarioCommand::Saga(command))
    };
    let mut all = System::from_scenario(&s).unwrap();
    let mut one = System::from_scenario(&s).unwrap();
    let all_of = SagaCommand::ResubmitDeadLetters {
        topic: crate::saga::message::topics::PAYMENT_COMMANDS.into(),
    };
    at(&mut all, all_of).unwrap();
    one.run_until(Tick(220));
    let waiting = one
        .saga()
        .unwrap()
        .waiting_dead_letters(crate::saga::message::topics::PAYMENT_COMMANDS);
    assert_eq!(waiting.len(), 1);
    let (partition, offset, _) = waiting[0].clone();
    let by_place = |offset| SagaCommand::ResubmitDeadLetter {
        topic: crate::saga::message::topics::PAYMENT_COMMANDS.into(),
        partition,
        offset,
    };
    at(&mut one, by_place(offset)).unwrap();
    assert_eq!(
        one.saga()
            .unwrap()
            .waiting_dead_letters(crate::saga::message::topics::PAYMENT_COMMANDS),
        []
    );
    let again = at(&mut one, by_place(offset)).unwrap_err().to_string();
    assert!(again.contains("was resubmitted already"), "{again}");
    let nowhere = at(&mut one, by_place(crate::ids::Offset(99)))
        .unwrap_err()
        .to_string();
    assert!(
        nowhere.contains("has no dead letter at partition"),
        "{nowhere}"
    );
    for system in [&mut all, &mut one] {
        system.run_until(Tick(s.run_ticks()));
    }
    assert_eq!(all.trace_lines(), one.trace_lines());
    let saga = one.saga().unwrap();
    let order = saga
        .summaries()
        .into_iter()
        .find(|s| s.order_id.0 == "order-1");
    assert_eq!(order.map(|s| s.state), Some(SagaState::Completed));
    assert!(saga.is_settled());
    assert_eq!(saga.check_invariants(), Vec::<String>::new());
}

/// "Snapshot": the order's aggregate snapshotted at its current version now, traced, so
/// loading it replays nothing, then only the events written after; the same snapshot again
/// does nothing; an order with no stream is refused.
#[test]
fn a_snapshot_taken_now_shortens_the_orders_replay() {
    use crate::saga::message::OrderId;
    use crate::saga::trace::SagaTraceEvent as T;
    let mut file = Scenario::from_json(FILE).unwrap();
    file.commands.clear();
    let mut system = System::from_scenario(&file).unwrap();
    let order = OrderId("order-1".into());
    let snapshot = || SagaCommand::TakeSnapshot {
        order_id: OrderId("order-1".into()),
    };
    assert!(matches!(
        system.apply(snapshot().into()),
        Err(SystemError::Saga(SagaSetupError::NoOrderStream { .. }))
    ));
    system.apply(place("order-1", "c-1", 1).into()).unwrap();
    let loaded = |s: &System| {
        let saga = s.saga().unwrap();
        saga.world().services.order.store.load(&order).unwrap()
    };
    system.run_until(Tick(8));
    let before = loaded(&system);
    assert_eq!(before.snapshot_version, 0, "{before:?}");
    assert!(before.applied_with_snapshot > 0);
    system.apply(snapshot().into()).unwrap();
    system.apply(snapshot().into()).unwrap();
    let now = loaded(&system);
    let at = before.state.version;
    assert_eq!((now.snapshot_version, now.applied_with_snapshot), (at, 0));
    let taken: Vec<_> = (system.saga().unwrap().world().trace.iter())
        .filter(|e| matches!(e, T::SnapshotTaken { tick: Tick(8), .. }))
        .cloned()
        .collect();
    let traced = T::SnapshotTaken {
        tick: Tick(8),
        order_id: order.clone(),
        version: at,
    };
    assert_eq!(taken, [traced], "traced once");
    system.run_until(Tick(100));
    let after = loaded(&system);
    assert!(after.state.version > at, "{after:?}");
    assert!(after.applied_with_snapshot < after.applied_without_snapshot);
}

/// "Orders per tick": `set_order_stream` places that many orders every tick from the next,
/// customers, products and quantities drawn from the seeded RNG (the same seed and commands
/// give the same orders), numbered `stream-order-N`; 0 stops it; too many are refused.
#[test]
fn an_order_stream_places_drawn_orders_every_tick_until_stopped() {
    use crate::saga::message::SagaMessage;
    let run = || {
        let mut file = Scenario::from_json(FILE).unwrap();
        file.commands.clear();
        let mut system = System::from_scenario(&file).unwrap();
        let stream = |orders_per_tick| SagaCommand::SetOrderStream {
            orders_per_tick,
            customers: 5,
        };
        system.run_until(Tick(2));
        system.apply(stream(2).into()).unwrap();
        system.run_until(Tick(5));
        system.apply(stream(0).into()).unwrap();
        assert!(system.saga().unwrap().order_stream().is_none());
        system.run_until(Tick(200));
        assert!(matches!(
            system.apply(stream(1_000).into()),
            Err(SystemError::Saga(SagaSetupError::OrderStream { .. }))
        ));
        assert!(matches!(
            system.apply(stream(1).into()).map(|_| ()).and(
                system.apply(
                    SagaCommand::SetOrderStream {
                        orders_per_tick: 1,
                        customers: 0
                    }
                    .into()
                )
            ),
            Err(SystemError::Saga(SagaSetupError::StreamCustomers { .. }))
        ));
        system
    };
    let system = run();
    let summary = system.saga().unwrap().summary();
    let ids: Vec<_> = summary.sagas.iter().map(|s| s.order_id.0.clone()).collect();
    assert_eq!(
        ids,
        (1..=6)
            .map(|n| format!("stream-order-{n}"))
            .collect::<Vec<_>>()
    );
    let placed: Vec<SagaMessage> = system
        .saga()
        .unwrap()
        .sim()
        .topic(crate::saga::message::topics::ORDER_COMMANDS)
        .unwrap()
        .partitions()
        .iter()
        .flat_map(|p| p.records())
        .filter_map(|r| match r.saga() {
            Some(m) if matches!(m, SagaMessage::PlaceOrder { .. }) => Some(m.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(placed.len(), 6);
    let customers: std::collections::BTreeSet<String> = placed
        .iter()
        .filter_map(|m| match m {
            SagaMessage::PlaceOrder {
                customer_id, lines, ..
            } => {
                assert!((1..=3).contains(&lines[0].quantity));
                Some(customer_id.0.clone())
            }
            _ => None,
        })
        .collect();
    assert!(
        customers.iter().all(|c| c.starts_with("customer-")),
        "{customers:?}"
    );
    assert!(customers.len() > 1, "drawn, not fixed: {customers:?}");
    assert_eq!(summary.invariant_violations, Vec::<String>::new());
    assert_eq!(
        summary,
        run().saga().unwrap().summary(),
        "the seed replays them"
    );
}
