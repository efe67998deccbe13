//! The choreographed saga as an observer sees it. A choreographed saga has no log of its
//! own: what happened is what the services published on the events topic, so its state is
//! folded from those events, one order at a time (all of an order's events share one
//! partition, in order).

use super::message::{OrderId, SagaMessage};
use super::orchestrator::{Compensation, SagaState, SagaStep};
use super::trace::SagaTraceEvent as T;
use crate::ids::Tick;
use serde::{Deserialize, Serialize};

/// The choreographed saga of one order as seen on the events topic.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChoreographyView {
    /// The saga's state.
    pub state: SagaState,
    /// The steps that succeeded, in order.
    pub executed_steps: Vec<SagaStep>,
    /// Compensations that undid something, in the order their events appeared.
    pub compensations_done: Vec<Compensation>,
    /// Services that answered the cancellation (with or without something to undo).
    #[serde(default)]
    pub acknowledged: Vec<Compensation>,
    /// Why the saga failed, if it did.
    pub failure: Option<String>,
    /// The tick the saga ended, if it has.
    pub finished_at: Option<Tick>,
    /// The tick `OrderCancelled` appeared (compensation began).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled_at: Option<Tick>,
}

/// The services that answer `OrderCancelled`: the saga is over once all of them have.
const ANSWERS_TO_CANCELLATION: [Compensation; 3] = [
    Compensation::ReleaseInventory,
    Compensation::RefundPayment,
    Compensation::CancelShipment,
];

impl ChoreographyView {
    /// A saga whose order was placed, before any of its events.
    pub fn pending() -> Self {
        Self::default()
    }

    /// Once `buffer` ticks passed since the cancellation with a compensating service not
    /// answered, the saga is failed with its compensation incomplete (a late answer still
    /// finishes it). Returns the trace event when that happens now.
    pub fn time_out_compensation(
        &mut self,
        now: Tick,
        buffer: u64,
        order_id: &OrderId,
    ) -> Option<T> {
        let due = self
            .cancelled_at
            .is_some_and(|t| now.0 >= t.0.saturating_add(buffer));
        if self.state != SagaState::Compensating || !due {
            return None;
        }
        self.state = SagaState::CompensationIncomplete;
        self.finished_at = Some(now);
        let outstanding = ANSWERS_TO_CANCELLATION
            .into_iter()
            .filter(|c| !self.acknowledged.contains(c))
            .collect();
        Some(T::CompensationIncomplete {
            tick: now,
            order_id: order_id.clone(),
            outstanding,
        })
    }

    /// Folds one event of this order into the view; returns the trace events it implies.
    pub fn observe(&mut self, tick: Tick, message: &SagaMessage) -> Vec<T> {
        use SagaMessage as M;
        use SagaState as S;
        use SagaStep as Step;
        let at = (tick, message.order_id());
        let seen = match message {
            M::OrderCreated { .. } => self.step_done(Step::CreateOrder, S::ReservingInventory, at),
            M::InventoryReserved { .. } => {
                self.step_done(Step::ReserveInventory, S::ProcessingPayment, at)
            }
            M::PaymentProcessed { .. } => self.step_done(Step::ProcessPayment, S::Shipping, at),
            M::OrderShipped { .. } => self.step_done(Step::ShipOrder, S::Completed, at),
            M::InventoryReservationFailed { reason, .. } => {
                Some(self.step_failed(Step::ReserveInventory, reason, at))
            }
            M::PaymentFailed { reason, .. } => {
                Some(self.step_failed(Step::ProcessPayment, reason, at))
            }
            M::ShippingFailed { reason, .. } => Some(self.step_failed(Step::ShipOrder, reason, at)),
            M::OrderCancelled { reason, .. } => Some(self.cancelled(reason, at)),
            // Inventory reserves (OrderCreated) before it sees OrderCancelled in the same
            // partition, so a reservation it released was already announced.
            M::InventoryReleased { .. } => {
                let reserved = self.executed_steps.contains(&Step::ReserveInventory);
                self.answered(Compensation::ReleaseInventory, reserved, at)
            }
            M::PaymentRefunded { amount_cents, .. } => {
                self.answered(Compensation::RefundPayment, *amount_cents > 0, at)
            }
            M::ShipmentCancelled { recalled, .. } => {
                self.answered(Compensation::CancelShipment, *recalled, at)
            }
            _ => None,
        };
        seen.into_iter().chain(self.finish(at)).collect()
    }

    fn step_done(&mut self, step: SagaStep, next: SagaState, (tick, order_id): At) -> Option<T> {
        let compensating = self.state.is_compensating() || self.state == SagaState::Failed;
        if !compensating && !self.state.is_final() {
            self.state = next;
        }
        if self.executed_steps.contains(&step) {
            return None;
        }
        self.executed_steps.push(step);
        Some(T::StepSucceeded {
            tick,
            order_id: order_id.clone(),
            step,
        })
    }

    fn step_failed(&mut self, step: SagaStep, reason: &str, (tick, order_id): At) -> T {
        self.failure
            .get_or_insert_with(|| format!("{step:?} failed: {reason}"));
        T::StepFailed {
            tick,
            order_id: order_id.clone(),
            step,
            reason: reason.to_string(),
        }
    }

    fn cancelled(&mut self, reason: &str, at: At) -> T {
        self.failure.get_or_insert_with(|| reason.to_string());
        if self.state != SagaState::CompensationIncomplete {
            self.state = SagaState::Compensating;
        }
        self.cancelled_at.get_or_insert(at.0);
        self.compensated(Compensation::CancelOrder, at)
    }

    /// A service answered the cancellation; it counts as a compensation only when it undid
    /// something.
    fn answered(&mut self, compensation: Compensation, undid_something: bool, at: At) -> Option<T> {
        if self.acknowledged.contains(&compensation) {
            return None;
        }
        self.acknowledged.push(compensation);
        undid_something.then(|| self.compensated(compensation, at))
    }

    fn compensated(&mut self, compensation: Compensation, (tick, order_id): At) -> T {
        self.compensations_done.push(compensation);
        T::CompensationDone {
            tick,
            order_id: order_id.clone(),
            compensation,
        }
    }

    /// Failed once cancelled and every compensating service has answered; completed once
    /// shipped (noted once).
    fn finish(&mut self, (tick, order_id): At) -> Option<T> {
        let order_id = order_id.clone();
        match self.state {
            SagaState::Compensating | SagaState::CompensationIncomplete
                if ANSWERS_TO_CANCELLATION
                    .iter()
                    .all(|c| self.acknowledged.contains(c)) =>
            {
                self.state = SagaState::Failed;
                self.finished_at = Some(tick);
                let reason = self.failure.clone().unwrap_or_default();
                Some(T::SagaFailed {
                    tick,
                    order_id,
                    reason,
                })
            }
            SagaState::Completed if self.finished_at.is_none() => {
                self.finished_at = Some(tick);
                Some(T::SagaCompleted { tick, order_id })
            }
            _ => None,
        }
    }
}

/// The tick and order of the event being observed.
type At<'a> = (Tick, &'a OrderId);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unanswered_cancellation_is_incomplete_after_the_buffer_and_a_late_answer_ends_it() {
        let id = OrderId("o".into());
        let mut v = ChoreographyView::pending();
        let cancelled = SagaMessage::OrderCancelled {
            order_id: id.clone(),
            reason: "no stock".into(),
        };
        v.observe(Tick(10), &cancelled);
        for (tick, m) in [
            (
                11,
                SagaMessage::InventoryReleased {
                    order_id: id.clone(),
                },
            ),
            (
                12,
                SagaMessage::ShipmentCancelled {
                    order_id: id.clone(),
                    recalled: false,
                },
            ),
        ] {
            v.observe(Tick(tick), &m);
        }
        assert_eq!(v.time_out_compensation(Tick(69), 60, &id), None);
        let t = v.time_out_compensation(Tick(70), 60, &id);
        assert!(matches!(
            t,
            Some(T::CompensationIncomplete { ref outstanding, .. })
                if *outstanding == [Compensation::RefundPayment]
        ));
        assert_eq!(v.state, SagaState::CompensationIncomplete);
        assert_eq!(v.time_out_compensation(Tick(90), 60, &id), None, "once");
        let refunded = SagaMessage::PaymentRefunded {
            order_id: id.clone(),
            amount_cents: 0,
        };
        let trace = v.observe(Tick(100), &refunded);
        assert!(matches!(trace[..], [T::SagaFailed { .. }]), "{trace:?}");
        assert_eq!(
            (v.state, v.finished_at),
            (SagaState::Failed, Some(Tick(100)))
        );
    }
}
