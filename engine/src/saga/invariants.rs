//! The saga invariants, checked against a run's state: stock conserved; completed sagas
//! shipped and charged, failed ones cancelled with nothing left charged, reserved or
//! shipped; exactly the completed steps compensated, in reverse order (orchestration);
//! money conserved when the inbox is on; with the outbox on, every state change's event
//! published; every dead-lettered record kept on its DLQ topic. Each check returns what it
//! finds violated, in words with the numbers.

use super::event_store::OrderStatus;
use super::message::EventId;
use super::orchestrator::{Compensation, SagaLogEvent, SagaState, SagaStep};
use super::outbox::Outbox;
use super::react::Services;
use super::services::{ReservationState, SagaMode, ServiceName, ShipmentState};
use super::summary::SagaFacts;
use super::trace::SagaTraceEvent as T;
use std::collections::BTreeSet;

/// The invariants between sagas and the services' state once everything settled (stock
/// conservation holds at every tick). Returns what is violated.
pub fn check_services<'a>(
    mode: SagaMode,
    inbox: bool,
    services: &Services,
    sagas: impl IntoIterator<Item = SagaFacts<'a>>,
) -> Vec<String> {
    let mut v = stock_conserved(services);
    let mut completed_total = 0u64;
    for s in sagas {
        match s.state {
            SagaState::Completed => {
                completed_total += services.order.store.total_cents(s.order_id);
                v.extend(completed_saga(services, &s));
            }
            SagaState::Failed => v.extend(failed_saga(mode, inbox, services, &s)),
            SagaState::CompensationIncomplete => v.push(format!(
                "saga {} failed and its compensation is incomplete",
                s.order_id
            )),
            state => v.push(format!("saga {} is not final: {state}", s.order_id)),
        }
    }
    if inbox {
        v.extend(money_conserved(services, completed_total));
    }
    v
}

/// Stock conserved and never negative (u64 cannot be; an underflow would panic).
fn stock_conserved(services: &Services) -> Vec<String> {
    let inv = &services.inventory;
    inv.initial
        .iter()
        .filter_map(|(product, initial)| {
            let s = inv.stock.get(product).copied().unwrap_or_default();
            (s.total() != *initial).then(|| {
                format!(
                    "stock of {product} not conserved: initial {initial}, available {} + reserved {} + shipped {}",
                    s.available, s.reserved, s.shipped
                )
            })
        })
        .collect()
}

fn completed_saga(services: &Services, s: &SagaFacts<'_>) -> Option<String> {
    let shipped = matches!(
        services.order.status(s.order_id),
        Some(OrderStatus::Shipped | OrderStatus::Delivered)
    );
    (!shipped).then(|| {
        format!(
            "saga {} completed but the order is not Shipped or Delivered",
            s.order_id
        )
    })
}

fn failed_saga(mode: SagaMode, inbox: bool, services: &Services, s: &SagaFacts<'_>) -> Vec<String> {
    let id = s.order_id;
    let mut v = Vec::new();
    if services.order.status(id) != Some(OrderStatus::Cancelled) {
        v.push(format!("saga {id} failed but the order is not Cancelled"));
    }
    let charged = services.payment.net_for_order(id);
    if inbox && charged != 0 {
        v.push(format!("saga {id} failed but {charged} cents stay charged"));
    }
    if let Some(r) = services.inventory.reservations.get(id) {
        if matches!(
            r.state,
            ReservationState::Reserved | ReservationState::Shipped
        ) {
            v.push(format!(
                "saga {id} failed but its stock is still {:?}",
                r.state
            ));
        }
    }
    if let Some(ShipmentState::Shipped { .. } | ShipmentState::Delivered { .. }) =
        services.shipping.shipments.get(id)
    {
        v.push(format!("saga {id} failed but its shipment is out"));
    }
    if mode == SagaMode::Orchestration {
        let expected = compensations_owed(s);
        if expected != s.compensations {
            v.push(format!(
                "saga {id} compensated {:?}, expected {expected:?}",
                s.compensations
            ));
        }
    }
    v
}

/// Exactly the completed (or timed-out) steps, in reverse order, as the saga log says.
fn compensations_owed(s: &SagaFacts<'_>) -> Vec<Compensation> {
    let mut owed: Vec<Compensation> = s
        .log
        .iter()
        .filter_map(|e| match &e.event {
            SagaLogEvent::Started => Some(Compensation::CancelOrder),
            SagaLogEvent::StepSucceeded { step } if *step != SagaStep::ShipOrder => {
                Some(step.compensation())
            }
            SagaLogEvent::StepTimedOut { step } => Some(step.compensation()),
            _ => None,
        })
        .collect();
    owed.reverse();
    owed
}

/// Charged minus refunded equals `completed_total`, the totals of the completed orders.
fn money_conserved(services: &Services, completed_total: u64) -> Option<String> {
    let p = &services.payment;
    let net = i128::from(p.charged_cents()) - i128::from(p.refunded_cents());
    (net != i128::from(completed_total)).then(|| {
        format!(
            "money not conserved: charged {} - refunded {} != {completed_total} of completed orders",
            p.charged_cents(),
            p.refunded_cents(),
        )
    })
}

/// With the outbox on, no state change is without its published event, and no event was
/// lost.
pub fn outbox_complete<'a>(
    outboxes: impl IntoIterator<Item = (&'a ServiceName, &'a Outbox)>,
    published: &BTreeSet<EventId>,
    trace: &[T],
) -> Vec<String> {
    let mut v: Vec<String> = outboxes
        .into_iter()
        .flat_map(|(service, outbox)| {
            outbox
                .entries()
                .iter()
                .filter(|e| !published.contains(&e.envelope.meta.event_id))
                .map(move |e| {
                    format!(
                        "{service}: state change with unpublished event {} ({})",
                        e.envelope.meta.event_id,
                        e.envelope.message.name()
                    )
                })
        })
        .collect();
    if trace.iter().any(|e| matches!(e, T::EventLost { .. })) {
        v.push("an event was lost although the outbox is on".into());
    }
    v
}

/// Every record the trace says was dead-lettered is held by a DLQ topic.
pub fn dead_letters_kept(trace: &[T], held: usize) -> Option<String> {
    let dead_lettered = trace
        .iter()
        .filter(|e| matches!(e, T::DeadLettered { .. }))
        .count();
    (dead_lettered != held).then(|| {
        format!("{dead_lettered} records were dead-lettered but the DLQ topics hold {held}")
    })
}
