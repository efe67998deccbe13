//! The orchestrated saga's transition table, compensation order and timeouts.

use super::super::message::*;
use super::*;

fn oid() -> OrderId {
    OrderId("O1".into())
}

fn env(message: SagaMessage) -> Envelope {
    Envelope {
        meta: EventMeta {
            event_id: EventId(0),
            correlation_id: CorrelationId("O1".into()),
            causation_id: None,
            schema_version: 2,
        },
        message,
    }
}

fn created() -> SagaMessage {
    SagaMessage::OrderCreated {
        order_id: oid(),
        customer_id: CustomerId("C1".into()),
        lines: vec![OrderLine {
            product_id: ProductId("P1".into()),
            quantity: 1,
            unit_price_cents: 1000,
        }],
        total_cents: 1000,
        currency: "USD".into(),
    }
}

fn names(r: &OrchestratorReaction) -> Vec<&'static str> {
    r.commands.iter().map(SagaMessage::name).collect()
}

#[test]
fn happy_path_walks_pending_reserving_paying_shipping_completed() {
    let mut o = Orchestrator::default();
    assert_eq!(
        names(&o.handle(Tick(1), &env(created()))),
        ["ReserveInventory"]
    );
    assert_eq!(
        o.sagas()[&oid()].status.state,
        SagaState::ReservingInventory
    );
    let r = o.handle(
        Tick(2),
        &env(SagaMessage::InventoryReserved {
            order_id: oid(),
            customer_id: CustomerId("C1".into()),
            total_cents: 1000,
            lines: vec![],
        }),
    );
    assert_eq!(names(&r), ["ProcessPayment"]);
    let r = o.handle(
        Tick(3),
        &env(SagaMessage::PaymentProcessed {
            order_id: oid(),
            amount_cents: 1000,
        }),
    );
    assert_eq!(names(&r), ["ShipOrder"]);
    let r = o.handle(
        Tick(4),
        &env(SagaMessage::OrderShipped {
            order_id: oid(),
            tracking_number: "T".into(),
        }),
    );
    assert!(r.commands.is_empty());
    let saga = &o.sagas()[&oid()];
    assert_eq!(saga.status.state, SagaState::Completed);
    assert_eq!(
        saga.status.executed_steps,
        [
            SagaStep::CreateOrder,
            SagaStep::ReserveInventory,
            SagaStep::ProcessPayment,
            SagaStep::ShipOrder
        ]
    );
    // The status is exactly the fold of the log.
    assert_eq!(SagaStatus::fold(&oid(), &saga.log).unwrap(), saga.status);
}

#[test]
fn payment_failure_compensates_release_then_cancel_in_reverse() {
    let mut o = Orchestrator::default();
    o.handle(Tick(1), &env(created()));
    o.handle(
        Tick(2),
        &env(SagaMessage::InventoryReserved {
            order_id: oid(),
            customer_id: CustomerId("C1".into()),
            total_cents: 1000,
            lines: vec![],
        }),
    );
    let r = o.handle(
        Tick(3),
        &env(SagaMessage::PaymentFailed {
            order_id: oid(),
            reason: "declined".into(),
        }),
    );
    assert_eq!(names(&r), ["ReleaseInventory"]);
    assert_eq!(
        o.sagas()[&oid()].status.compensation_stack,
        [Compensation::CancelOrder, Compensation::ReleaseInventory]
    );
    let r = o.handle(
        Tick(4),
        &env(SagaMessage::InventoryReleased { order_id: oid() }),
    );
    assert_eq!(names(&r), ["CancelOrder"]);
    o.handle(
        Tick(5),
        &env(SagaMessage::OrderCancelled {
            order_id: oid(),
            reason: "x".into(),
        }),
    );
    let s = &o.sagas()[&oid()].status;
    assert_eq!(s.state, SagaState::Failed);
    assert_eq!(
        s.compensations_done,
        [Compensation::ReleaseInventory, Compensation::CancelOrder]
    );
}

#[test]
fn timeout_compensates_the_timed_out_step_too_and_late_reply_is_refused() {
    let mut o = Orchestrator::new(StepTimeouts::default());
    o.handle(Tick(0), &env(created()));
    assert!(o.tick(Tick(59)).commands.is_empty());
    let r = o.tick(Tick(60));
    assert_eq!(names(&r), ["ReleaseInventory"]);
    // The reservation arrives late: the state machine refuses it with a typed error.
    let r = o.handle(
        Tick(61),
        &env(SagaMessage::InventoryReserved {
            order_id: oid(),
            customer_id: CustomerId("C1".into()),
            total_cents: 1000,
            lines: vec![],
        }),
    );
    assert!(r.commands.is_empty());
    assert!(matches!(
        &r.notes[..],
        [SagaTraceEvent::TransitionRefused { tick: Tick(61), error }] if error.contains("Compensating")
    ));
}

#[test]
fn illegal_transition_error_names_state_and_event() {
    let mut status = SagaStatus::default();
    let err = status
        .apply(
            &oid(),
            &SagaLogEvent::StepSucceeded {
                step: SagaStep::ShipOrder,
            },
        )
        .unwrap_err();
    assert_eq!(
        err,
        SagaError::IllegalTransition {
            order_id: oid(),
            state: SagaState::Pending,
            event: "StepSucceeded(ShipOrder)".into()
        }
    );
    assert_eq!(
        err.to_string(),
        "saga O1: StepSucceeded(ShipOrder) is not allowed in state Pending"
    );
    status.apply(&oid(), &SagaLogEvent::Started).unwrap();
    status
        .apply(
            &oid(),
            &SagaLogEvent::StepFailed {
                step: SagaStep::ReserveInventory,
                reason: "no stock".into(),
            },
        )
        .unwrap();
    let err = status
        .apply(
            &oid(),
            &SagaLogEvent::CompensationSucceeded {
                compensation: Compensation::RefundPayment,
            },
        )
        .unwrap_err();
    assert_eq!(
        err,
        SagaError::CompensationOutOfOrder {
            order_id: oid(),
            expected: Some(Compensation::CancelOrder),
            got: Compensation::RefundPayment
        }
    );
}

#[test]
fn saga_timeout_is_sum_of_step_timeouts_plus_buffer() {
    let t = StepTimeouts {
        reserve_inventory_ticks: 10,
        process_payment_ticks: 20,
        ship_order_ticks: 30,
        compensation_buffer_ticks: 5,
    };
    assert_eq!(t.saga_timeout_ticks(), 65);
}

/// A compensation that does not finish within the buffer makes the saga "failed,
/// compensation incomplete" (once); a late reply resumes the compensation to `Failed`.
#[test]
fn a_stalled_compensation_is_incomplete_and_a_late_reply_resumes_it() {
    let mut o = Orchestrator::default();
    o.handle(Tick(1), &env(created()));
    let failed = SagaMessage::InventoryReservationFailed {
        order_id: oid(),
        reason: "none left".into(),
    };
    assert_eq!(names(&o.handle(Tick(2), &env(failed))), ["CancelOrder"]);
    let buffer = o.timeouts.compensation_buffer_ticks;
    assert!(o.tick(Tick(1 + buffer)).notes.is_empty());
    let r = o.tick(Tick(2 + buffer));
    assert_eq!(
        r.notes,
        [SagaTraceEvent::CompensationIncomplete {
            tick: Tick(2 + buffer),
            order_id: oid(),
            outstanding: vec![Compensation::CancelOrder],
        }]
    );
    let saga = &o.sagas()[&oid()];
    assert_eq!(saga.status.state, SagaState::CompensationIncomplete);
    assert!(saga.status.state.is_final());
    assert_eq!(saga.finished_at, Some(Tick(2 + buffer)));
    assert!(o.tick(Tick(500)).notes.is_empty(), "once");
    let late = SagaMessage::OrderCancelled {
        order_id: oid(),
        reason: "none left".into(),
    };
    o.handle(Tick(600), &env(late));
    assert_eq!(o.sagas()[&oid()].status.state, SagaState::Failed);
    assert_eq!(o.sagas()[&oid()].finished_at, Some(Tick(600)));
    // The table refuses a compensation timeout outside compensation.
    let mut done = SagaStatus::default();
    let e = done
        .apply(&oid(), &SagaLogEvent::CompensationTimedOut)
        .unwrap_err();
    assert!(matches!(
        e,
        SagaError::IllegalTransition {
            state: SagaState::Pending,
            ..
        }
    ));
}
