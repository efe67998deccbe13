//! The transition table read back as data, for drawing it: every `(state, kind of event) ->
//! state` that [`SagaStatus::apply`] allows, found by applying every kind of event to every
//! state, and the transitions one saga's log took. Why probe `apply` rather than list the
//! edges by hand: a drawing read from a second list would drift from the table the
//! moment one of them changed.

use super::{Compensation, SagaLogEntry, SagaLogEvent, SagaState, SagaStatus, SagaStep};
use crate::saga::message::OrderId;
use serde::{Deserialize, Serialize};

impl SagaState {
    /// Every state, forward states first, in the table's order.
    pub const ALL: [SagaState; 8] = [
        SagaState::Pending,
        SagaState::ReservingInventory,
        SagaState::ProcessingPayment,
        SagaState::Shipping,
        SagaState::Completed,
        SagaState::Compensating,
        SagaState::Failed,
        SagaState::CompensationIncomplete,
    ];
}

impl SagaLogEvent {
    /// The kind of event, without its data: what labels an arrow of the drawing.
    pub fn kind(&self) -> &'static str {
        match self {
            SagaLogEvent::Started => "started",
            SagaLogEvent::StepSucceeded { .. } => "step succeeded",
            SagaLogEvent::StepFailed { .. } => "step failed",
            SagaLogEvent::StepTimedOut { .. } => "step timed out",
            SagaLogEvent::CompensationSucceeded { .. } => "compensation succeeded",
            SagaLogEvent::CompensationTimedOut => "compensation timed out",
        }
    }
}

/// One arrow of the saga's state machine: from a state, on a kind of log event, to a state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Transition {
    /// The state before.
    pub from: SagaState,
    /// The kind of log event ([`SagaLogEvent::kind`]).
    pub on: &'static str,
    /// The state after.
    pub to: SagaState,
}

/// Every kind of log event, with each step and each compensation that can be on top of
/// the stack, as probes for the table.
fn probes(top: Compensation) -> Vec<SagaLogEvent> {
    let steps = [
        SagaStep::ReserveInventory,
        SagaStep::ProcessPayment,
        SagaStep::ShipOrder,
    ];
    let mut events = vec![
        SagaLogEvent::Started,
        SagaLogEvent::CompensationSucceeded { compensation: top },
        SagaLogEvent::CompensationTimedOut,
    ];
    for step in steps {
        events.push(SagaLogEvent::StepSucceeded { step });
        events.push(SagaLogEvent::StepFailed {
            step,
            reason: String::new(),
        });
        events.push(SagaLogEvent::StepTimedOut { step });
    }
    events
}

/// Every transition [`SagaStatus::apply`] allows, each once, sorted: every kind of event
/// applied to every state, with a compensation stack of one (the last compensation) and
/// of two (more to run), since where a compensation leads depends on what is left.
pub fn transitions() -> Vec<Transition> {
    let order_id = OrderId("probe".into());
    let stacks = [
        vec![Compensation::CancelOrder],
        vec![Compensation::CancelOrder, Compensation::ReleaseInventory],
    ];
    let mut found = Vec::new();
    for from in SagaState::ALL {
        for stack in &stacks {
            let top = *stack.last().expect("a stack of one or two");
            for event in probes(top) {
                let mut status = SagaStatus {
                    state: from,
                    compensation_stack: stack.clone(),
                    ..SagaStatus::default()
                };
                if status.apply(&order_id, &event).is_ok() {
                    found.push(Transition {
                        from,
                        on: event.kind(),
                        to: status.state,
                    });
                }
            }
        }
    }
    crate::sort::sort(&mut found);
    found.dedup();
    found
}

impl SagaStatus {
    /// The transitions a saga's log took, in order (folding it as [`SagaStatus::fold`]
    /// does); stops at the first entry the table refuses.
    pub fn path<'a>(
        order_id: &OrderId,
        log: impl IntoIterator<Item = &'a SagaLogEntry>,
    ) -> Vec<Transition> {
        let mut status = Self::default();
        let mut taken = Vec::new();
        for entry in log {
            let from = status.state;
            if status.apply(order_id, &entry.event).is_err() {
                break;
            }
            taken.push(Transition {
                from,
                on: entry.event.kind(),
                to: status.state,
            });
        }
        taken
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::Tick;
    use SagaState as S;

    fn t(from: S, on: &'static str, to: S) -> Transition {
        Transition { from, on, to }
    }

    /// The table as the orchestrator's comment tells it: forward through the steps, any
    /// awaited step failing or timing out to compensating, compensations down to failed,
    /// the buffer running out to incomplete, and a late reply resuming it.
    #[test]
    fn the_table_read_back_is_the_orchestrators() {
        let all = transitions();
        let expected = [
            t(S::Pending, "started", S::ReservingInventory),
            t(
                S::ReservingInventory,
                "step succeeded",
                S::ProcessingPayment,
            ),
            t(S::ProcessingPayment, "step succeeded", S::Shipping),
            t(S::Shipping, "step succeeded", S::Completed),
            t(S::Shipping, "step failed", S::Compensating),
            t(S::ReservingInventory, "step timed out", S::Compensating),
            t(S::Compensating, "compensation succeeded", S::Compensating),
            t(S::Compensating, "compensation succeeded", S::Failed),
            t(
                S::Compensating,
                "compensation timed out",
                S::CompensationIncomplete,
            ),
            t(
                S::CompensationIncomplete,
                "compensation succeeded",
                S::Compensating,
            ),
            t(
                S::CompensationIncomplete,
                "compensation succeeded",
                S::Failed,
            ),
        ];
        for e in expected {
            assert!(all.contains(&e), "{e:?} missing from {all:#?}");
        }
        // Three states x (failed, timed out), three forward, one start, four compensating.
        assert_eq!(all.len(), 6 + 3 + 1 + 5, "{all:#?}");
        assert!(all
            .iter()
            .all(|t| !t.from.is_final() || t.from == S::CompensationIncomplete));
    }

    #[test]
    fn a_compensated_sagas_path_is_its_log_folded() {
        let order_id = OrderId("o".into());
        let log: Vec<SagaLogEntry> = [
            SagaLogEvent::Started,
            SagaLogEvent::StepSucceeded {
                step: SagaStep::ReserveInventory,
            },
            SagaLogEvent::StepFailed {
                step: SagaStep::ProcessPayment,
                reason: "declined".into(),
            },
            SagaLogEvent::CompensationSucceeded {
                compensation: Compensation::ReleaseInventory,
            },
            SagaLogEvent::CompensationSucceeded {
                compensation: Compensation::CancelOrder,
            },
        ]
        .into_iter()
        .map(|event| SagaLogEntry {
            tick: Tick(1),
            event,
        })
        .collect();
        let path = SagaStatus::path(&order_id, &log);
        let states: Vec<S> = path.iter().map(|t| t.to).collect();
        assert_eq!(
            states,
            [
                S::ReservingInventory,
                S::ProcessingPayment,
                S::Compensating,
                S::Compensating,
                S::Failed
            ]
        );
        assert!(path.iter().all(|t| transitions().contains(t)));
        assert_eq!(
            path.last().unwrap().to,
            SagaStatus::fold(&order_id, &log).unwrap().state
        );
    }
}
