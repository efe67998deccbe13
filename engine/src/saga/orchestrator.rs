//! The orchestrated saga: one orchestrator drives each order through its steps and, when a
//! step fails or times out, compensates the completed steps in reverse order.
//!
//! Like oxidecomputer/steno, a saga's status is never stored on its own: it is folded from
//! the saga's append-only log ([`SagaLogEvent`]s) by a `match (state, event)` table, and an
//! event the table does not allow is a typed [`SagaError::IllegalTransition`] that carries
//! the state and the event. The compensation stack is part of the folded status.
//!
//! The orchestrator itself is a pure reactor: [`Orchestrator::handle`] takes an event and
//! returns the commands to send; [`Orchestrator::tick`] fires step timeouts.

use super::message::{CustomerId, Envelope, OrderId, OrderLine, SagaMessage};
use super::trace::SagaTraceEvent;
use crate::ids::Tick;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use thiserror::Error;

mod table;
pub use table::{transitions, Transition};

/// A forward step of the order saga.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum SagaStep {
    /// Done by the Order service before the saga starts (its `OrderCreated` starts it).
    CreateOrder,
    /// Inventory reserves the order's stock.
    ReserveInventory,
    /// Payment charges the customer.
    ProcessPayment,
    /// Shipping ships the order.
    ShipOrder,
}

crate::unit_enum_reader!(SagaStep {
    "CreateOrder" => CreateOrder,
    "ReserveInventory" => ReserveInventory,
    "ProcessPayment" => ProcessPayment,
    "ShipOrder" => ShipOrder,
});

/// The compensation that undoes a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Compensation {
    /// The order is cancelled (undoes CreateOrder).
    CancelOrder,
    /// Reserved (or shipped and recalled) stock goes back (undoes ReserveInventory).
    ReleaseInventory,
    /// The charge is refunded (undoes ProcessPayment).
    RefundPayment,
    /// The shipment is recalled (undoes a timed-out ShipOrder that may have shipped late).
    CancelShipment,
}

crate::unit_enum_reader!(Compensation {
    "CancelOrder" => CancelOrder,
    "ReleaseInventory" => ReleaseInventory,
    "RefundPayment" => RefundPayment,
    "CancelShipment" => CancelShipment,
});

impl SagaStep {
    /// The compensation undoing this step.
    pub fn compensation(self) -> Compensation {
        match self {
            SagaStep::CreateOrder => Compensation::CancelOrder,
            SagaStep::ReserveInventory => Compensation::ReleaseInventory,
            SagaStep::ProcessPayment => Compensation::RefundPayment,
            SagaStep::ShipOrder => Compensation::CancelShipment,
        }
    }

    /// The command that performs this step (None for CreateOrder, done before the saga).
    pub fn command(self, saga: &SagaData) -> Option<SagaMessage> {
        let order_id = saga.order_id.clone();
        match self {
            SagaStep::CreateOrder => None,
            SagaStep::ReserveInventory => Some(SagaMessage::ReserveInventory {
                order_id,
                lines: saga.lines.clone(),
            }),
            SagaStep::ProcessPayment => Some(SagaMessage::ProcessPayment {
                order_id,
                customer_id: saga.customer_id.clone(),
                amount_cents: saga.total_cents,
            }),
            SagaStep::ShipOrder => Some(SagaMessage::ShipOrder { order_id }),
        }
    }
}

impl Compensation {
    /// The command that performs this compensation.
    pub fn command(self, order_id: &OrderId, reason: &str) -> SagaMessage {
        let order_id = order_id.clone();
        match self {
            Compensation::CancelOrder => SagaMessage::CancelOrder {
                order_id,
                reason: reason.to_string(),
            },
            Compensation::ReleaseInventory => SagaMessage::ReleaseInventory { order_id },
            Compensation::RefundPayment => SagaMessage::RefundPayment { order_id },
            Compensation::CancelShipment => SagaMessage::CancelShipment { order_id },
        }
    }
}

/// Where a saga is.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub enum SagaState {
    /// Placed; the order is not created yet.
    #[default]
    Pending,
    /// Waiting for Inventory.
    ReservingInventory,
    /// Waiting for Payment.
    ProcessingPayment,
    /// Waiting for Shipping.
    Shipping,
    /// Undoing completed steps; the top of the compensation stack is in progress.
    Compensating,
    /// Every step succeeded.
    Completed,
    /// Compensated and ended.
    Failed,
    /// Failed, and the compensation buffer passed with compensations still to run (one is
    /// still being retried, or its service is down): money or stock may be held. A late
    /// compensation reply resumes the compensation (then `Failed` once all ran).
    CompensationIncomplete,
}

impl SagaState {
    /// The step a running state is waiting on.
    pub fn awaited_step(self) -> Option<SagaStep> {
        match self {
            SagaState::ReservingInventory => Some(SagaStep::ReserveInventory),
            SagaState::ProcessingPayment => Some(SagaStep::ProcessPayment),
            SagaState::Shipping => Some(SagaStep::ShipOrder),
            _ => None,
        }
    }

    /// True for Completed, Failed and CompensationIncomplete (the saga ended, though a
    /// late compensation reply reopens an incomplete one).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            SagaState::Completed | SagaState::Failed | SagaState::CompensationIncomplete
        )
    }

    /// True while the saga undoes, or has given up undoing, its steps.
    pub fn is_compensating(self) -> bool {
        matches!(
            self,
            SagaState::Compensating | SagaState::CompensationIncomplete
        )
    }
}

impl fmt::Display for SagaState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}

/// One fact in a saga's append-only log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SagaLogEvent {
    /// The order exists (CreateOrder is done); the saga begins.
    Started,
    /// A step's success reply arrived.
    StepSucceeded {
        /// The saga step.
        step: SagaStep,
    },
    /// A step's failure reply arrived.
    StepFailed {
        /// The saga step.
        step: SagaStep,
        /// Why, in words.
        reason: String,
    },
    /// No reply within the step's timeout: the step may or may not have happened, so its
    /// compensation is pushed too (compensations are safe on nothing).
    StepTimedOut {
        /// The saga step.
        step: SagaStep,
    },
    /// A compensation's reply arrived.
    CompensationSucceeded {
        /// The compensation.
        compensation: Compensation,
    },
    /// The compensation buffer passed with compensations still on the stack.
    CompensationTimedOut,
}

impl SagaLogEvent {
    /// A short name for errors and traces.
    pub fn name(&self) -> String {
        match self {
            SagaLogEvent::Started => "Started".into(),
            SagaLogEvent::StepSucceeded { step } => format!("StepSucceeded({step:?})"),
            SagaLogEvent::StepFailed { step, .. } => format!("StepFailed({step:?})"),
            SagaLogEvent::StepTimedOut { step } => format!("StepTimedOut({step:?})"),
            SagaLogEvent::CompensationSucceeded { compensation } => {
                format!("CompensationSucceeded({compensation:?})")
            }
            SagaLogEvent::CompensationTimedOut => "CompensationTimedOut".into(),
        }
    }
}

/// One entry of a saga log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SagaLogEntry {
    /// The tick it happened at.
    pub tick: Tick,
    /// What happened.
    pub event: SagaLogEvent,
}

/// Errors of the saga state machine.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum SagaError {
    #[error("saga {order_id}: {event} is not allowed in state {state}")]
    /// The event is not allowed in the saga's state.
    IllegalTransition {
        /// The order (one saga per order).
        order_id: OrderId,
        /// The saga's state.
        state: SagaState,
        /// What happened.
        event: String,
    },
    #[error(
        "saga {order_id}: compensation {got:?} completed but {expected:?} is on top of the stack"
    )]
    /// A compensation replied that is not the one on top of the stack.
    CompensationOutOfOrder {
        /// The order (one saga per order).
        order_id: OrderId,
        /// The compensation on top of the stack.
        expected: Option<Compensation>,
        /// The compensation that replied.
        got: Compensation,
    },
}

/// A saga's status, folded from its log.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SagaStatus {
    /// The saga's state.
    pub state: SagaState,
    /// Compensations still to run; the last element runs first.
    pub compensation_stack: Vec<Compensation>,
    /// Steps that succeeded, in order (CreateOrder first).
    pub executed_steps: Vec<SagaStep>,
    /// Compensations that completed, in the order they ran.
    pub compensations_done: Vec<Compensation>,
    /// Why the saga is compensating (first failure or timeout).
    pub failure: Option<String>,
}

const STEP_ORDER: [SagaStep; 3] = [
    SagaStep::ReserveInventory,
    SagaStep::ProcessPayment,
    SagaStep::ShipOrder,
];

fn running_state(step: SagaStep) -> SagaState {
    match step {
        SagaStep::CreateOrder => SagaState::Pending,
        SagaStep::ReserveInventory => SagaState::ReservingInventory,
        SagaStep::ProcessPayment => SagaState::ProcessingPayment,
        SagaStep::ShipOrder => SagaState::Shipping,
    }
}

fn next_step(step: SagaStep) -> Option<SagaStep> {
    let i = STEP_ORDER.iter().position(|s| *s == step)?;
    STEP_ORDER.get(i + 1).copied()
}

impl SagaStatus {
    /// Applies one log event: the saga's transition table.
    pub fn apply(&mut self, order_id: &OrderId, event: &SagaLogEvent) -> Result<(), SagaError> {
        use SagaLogEvent as E;
        use SagaState as S;
        let illegal = || SagaError::IllegalTransition {
            order_id: order_id.clone(),
            state: self.state,
            event: event.name(),
        };
        match (self.state, event) {
            (S::Pending, E::Started) => {
                self.executed_steps.push(SagaStep::CreateOrder);
                self.compensation_stack.push(Compensation::CancelOrder);
                self.state = S::ReservingInventory;
            }
            (state, E::StepSucceeded { step }) if state.awaited_step() == Some(*step) => {
                self.executed_steps.push(*step);
                match next_step(*step) {
                    Some(next) => {
                        self.compensation_stack.push(step.compensation());
                        self.state = running_state(next);
                    }
                    None => self.state = S::Completed,
                }
            }
            (state, E::StepFailed { step, reason }) if state.awaited_step() == Some(*step) => {
                self.failure = Some(format!("{step:?} failed: {reason}"));
                self.state = S::Compensating;
            }
            (state, E::StepTimedOut { step }) if state.awaited_step() == Some(*step) => {
                self.failure = Some(format!("{step:?} timed out"));
                self.compensation_stack.push(step.compensation());
                self.state = S::Compensating;
            }
            (
                S::Compensating | S::CompensationIncomplete,
                E::CompensationSucceeded { compensation },
            ) => {
                self.compensated(order_id, *compensation)?;
            }
            (S::Compensating, E::CompensationTimedOut) if !self.compensation_stack.is_empty() => {
                self.state = S::CompensationIncomplete;
            }
            _ => return Err(illegal()),
        }
        Ok(())
    }

    /// The compensation on top of the stack ran: pop it; `Failed` once the stack is empty,
    /// else (a late reply to an incomplete saga too) on to the next one.
    fn compensated(
        &mut self,
        order_id: &OrderId,
        compensation: Compensation,
    ) -> Result<(), SagaError> {
        let top = self.compensation_stack.last().copied();
        if top != Some(compensation) {
            return Err(SagaError::CompensationOutOfOrder {
                order_id: order_id.clone(),
                expected: top,
                got: compensation,
            });
        }
        self.compensation_stack.pop();
        self.compensations_done.push(compensation);
        self.state = if self.compensation_stack.is_empty() {
            SagaState::Failed
        } else {
            SagaState::Compensating
        };
        Ok(())
    }

    /// Folds a whole log into a status.
    pub fn fold<'a>(
        order_id: &OrderId,
        log: impl IntoIterator<Item = &'a SagaLogEntry>,
    ) -> Result<Self, SagaError> {
        let mut status = Self::default();
        for entry in log {
            status.apply(order_id, &entry.event)?;
        }
        Ok(status)
    }
}

/// The order data a saga needs to issue its commands.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SagaData {
    /// The order (one saga per order).
    pub order_id: OrderId,
    /// The customer.
    pub customer_id: CustomerId,
    /// The order's lines.
    pub lines: Vec<OrderLine>,
    /// The order total, in cents.
    pub total_cents: u64,
}

/// One saga instance: its data, its log and the status folded from it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Saga {
    /// What the saga was started with.
    pub data: SagaData,
    /// The append-only saga log the status is folded from.
    pub log: Vec<SagaLogEntry>,
    /// Always equal to `SagaStatus::fold(log)`; kept so reading is cheap.
    pub status: SagaStatus,
    /// The tick the saga started.
    pub started_at: Tick,
    /// When the awaited step times out (None while compensating or final).
    pub step_deadline: Option<Tick>,
    /// The tick the saga ended, if it has.
    pub finished_at: Option<Tick>,
}

/// Per-step timeouts and the saga timeout derived from them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepTimeouts {
    /// Timeout of ReserveInventory.
    pub reserve_inventory_ticks: u64,
    /// Timeout of ProcessPayment.
    pub process_payment_ticks: u64,
    /// Timeout of ShipOrder.
    pub ship_order_ticks: u64,
    /// Extra time allowed for compensations in the saga timeout.
    pub compensation_buffer_ticks: u64,
}

impl Default for StepTimeouts {
    fn default() -> Self {
        Self {
            reserve_inventory_ticks: 60,
            process_payment_ticks: 60,
            ship_order_ticks: 60,
            compensation_buffer_ticks: 60,
        }
    }
}

impl StepTimeouts {
    /// The timeout of one step.
    pub fn for_step(&self, step: SagaStep) -> u64 {
        match step {
            SagaStep::CreateOrder => 0,
            SagaStep::ReserveInventory => self.reserve_inventory_ticks,
            SagaStep::ProcessPayment => self.process_payment_ticks,
            SagaStep::ShipOrder => self.ship_order_ticks,
        }
    }

    /// Saga timeout = sum of the step timeouts + the compensation buffer (seed documents).
    pub fn saga_timeout_ticks(&self) -> u64 {
        self.reserve_inventory_ticks
            + self.process_payment_ticks
            + self.ship_order_ticks
            + self.compensation_buffer_ticks
    }
}

/// What one call of the orchestrator produced.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OrchestratorReaction {
    /// Commands to publish.
    pub commands: Vec<SagaMessage>,
    /// What happened, for the trace.
    pub notes: Vec<SagaTraceEvent>,
}

/// The saga orchestrator: all sagas, keyed by order id.
///
/// Beside the sagas it keeps their step deadlines ordered by tick and the compensating
/// sagas ordered by the tick their compensation began, updated as the sagas' logs grow,
/// so [`tick`](Self::tick) reads the due ones, not every saga (deserialising rebuilds
/// both).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "StoredOrchestrator")]
pub struct Orchestrator {
    /// Every saga, by order.
    sagas: BTreeMap<OrderId, Saga>,
    /// The step timeouts (the saga timeout is their sum plus a buffer).
    pub timeouts: StepTimeouts,
    /// `(step_deadline, order)` of every saga with a deadline.
    #[serde(skip)]
    deadlines: BTreeSet<(Tick, OrderId)>,
    /// When each saga compensating without having timed its compensation out began to
    /// compensate (the first step that failed or timed out).
    #[serde(skip)]
    compensating: BTreeMap<OrderId, Tick>,
    /// `compensating` ordered by that tick.
    #[serde(skip)]
    compensating_since: BTreeSet<(Tick, OrderId)>,
}

/// The orchestrator as serialised: what an [`Orchestrator`] is read back from.
#[derive(Deserialize)]
struct StoredOrchestrator {
    sagas: BTreeMap<OrderId, Saga>,
    timeouts: StepTimeouts,
}

impl From<StoredOrchestrator> for Orchestrator {
    fn from(stored: StoredOrchestrator) -> Self {
        let mut o = Self::new(stored.timeouts);
        o.sagas = stored.sagas;
        let ids: Vec<OrderId> = o.sagas.keys().cloned().collect();
        for id in ids {
            o.index(&id);
        }
        o
    }
}

impl Orchestrator {
    /// An orchestrator with the given step timeouts.
    pub fn new(timeouts: StepTimeouts) -> Self {
        Self {
            timeouts,
            ..Self::default()
        }
    }

    /// Every saga, by order.
    pub fn sagas(&self) -> &BTreeMap<OrderId, Saga> {
        &self.sagas
    }

    /// Brings the deadline and compensating indexes up to date with `order_id`'s saga.
    fn index(&mut self, order_id: &OrderId) {
        let Some(saga) = self.sagas.get(order_id) else {
            return;
        };
        if let Some(deadline) = saga.step_deadline {
            self.deadlines.insert((deadline, order_id.clone()));
        }
        let began = saga.compensation_began();
        if let Some(old) = self.compensating.remove(order_id) {
            self.compensating_since.remove(&(old, order_id.clone()));
        }
        if let Some(began) = began {
            self.compensating.insert(order_id.clone(), began);
            self.compensating_since.insert((began, order_id.clone()));
        }
    }

    /// Reacts to one event from the events topic.
    pub fn handle(&mut self, now: Tick, envelope: &Envelope) -> OrchestratorReaction {
        use SagaMessage as M;
        let mut out = OrchestratorReaction::default();
        let order_id = envelope.message.order_id().clone();
        let succeeded = |step| SagaLogEvent::StepSucceeded { step };
        let failed = |step, reason: &String| SagaLogEvent::StepFailed {
            step,
            reason: reason.clone(),
        };
        let compensated = |compensation| SagaLogEvent::CompensationSucceeded { compensation };
        let event = match &envelope.message {
            M::OrderCreated {
                customer_id,
                lines,
                total_cents,
                ..
            } => {
                let data = SagaData {
                    order_id: order_id.clone(),
                    customer_id: customer_id.clone(),
                    lines: lines.clone(),
                    total_cents: *total_cents,
                };
                (self.sagas.entry(order_id.clone())).or_insert_with(|| Saga {
                    data,
                    started_at: now,
                    ..Saga::default()
                });
                SagaLogEvent::Started
            }
            M::InventoryReserved { .. } => succeeded(SagaStep::ReserveInventory),
            M::InventoryReservationFailed { reason, .. } => {
                failed(SagaStep::ReserveInventory, reason)
            }
            M::PaymentProcessed { .. } => succeeded(SagaStep::ProcessPayment),
            M::PaymentFailed { reason, .. } => failed(SagaStep::ProcessPayment, reason),
            M::OrderShipped { .. } => succeeded(SagaStep::ShipOrder),
            M::ShippingFailed { reason, .. } => failed(SagaStep::ShipOrder, reason),
            M::InventoryReleased { .. } => compensated(Compensation::ReleaseInventory),
            M::PaymentRefunded { .. } => compensated(Compensation::RefundPayment),
            M::ShipmentCancelled { .. } => compensated(Compensation::CancelShipment),
            M::OrderCancelled { .. } => compensated(Compensation::CancelOrder),
            // Commands and notifications are not replies to the orchestrator.
            _ => return out,
        };
        if !self.sagas.contains_key(&order_id) {
            out.notes.push(SagaTraceEvent::TransitionRefused {
                tick: now,
                error: format!("saga {order_id} does not exist: {} ignored", event.name()),
            });
            return out;
        }
        self.record(now, &order_id, event, &mut out);
        out
    }

    /// Fires the timeouts of steps whose deadline has passed.
    pub fn tick(&mut self, now: Tick) -> OrchestratorReaction {
        let mut out = OrchestratorReaction::default();
        // The due deadlines, by order (as a walk over every saga would meet them).
        let mut due = BTreeSet::new();
        while let Some((deadline, _)) = self.deadlines.first() {
            if *deadline > now {
                break;
            }
            if let Some((_, id)) = self.deadlines.pop_first() {
                due.insert(id);
            }
        }
        let expired: Vec<(OrderId, SagaStep)> = due
            .into_iter()
            .filter_map(|id| {
                let step = self.sagas.get(&id)?.status.state.awaited_step()?;
                Some((id, step))
            })
            .collect();
        for (order_id, step) in expired {
            self.record(
                now,
                &order_id,
                SagaLogEvent::StepTimedOut { step },
                &mut out,
            );
        }
        let buffer = self.timeouts.compensation_buffer_ticks;
        // Ordered by when compensation began: the stalled ones come first (the index holds
        // only sagas compensating that have not timed their compensation out); then by order.
        let stalled = crate::sort::set_of(
            (self.compensating_since.iter())
                .take_while(|(began, _)| now.0 >= began.0.saturating_add(buffer))
                .map(|(_, id)| id.clone()),
        );
        for order_id in stalled {
            self.record(now, &order_id, SagaLogEvent::CompensationTimedOut, &mut out);
        }
        out
    }

    /// Appends `event` to the saga's log if the transition table allows it, then issues
    /// whatever the new status calls for.
    fn record(
        &mut self,
        now: Tick,
        order_id: &OrderId,
        event: SagaLogEvent,
        out: &mut OrchestratorReaction,
    ) {
        let Some(saga) = self.sagas.get_mut(order_id) else {
            return;
        };
        let before = saga.status.clone();
        if let Err(e) = saga.status.apply(order_id, &event) {
            out.notes.push(SagaTraceEvent::TransitionRefused {
                tick: now,
                error: e.to_string(),
            });
            return;
        }
        out.notes.extend(logged(now, order_id, &event));
        saga.log.push(SagaLogEntry { tick: now, event });
        if let Some(deadline) = saga.step_deadline.take() {
            self.deadlines.remove(&(deadline, order_id.clone()));
        }
        saga.follow_up(&before, now, &self.timeouts, out);
        self.index(order_id);
    }
}

/// The trace event for an event the saga's log accepted.
fn logged(tick: Tick, order_id: &OrderId, event: &SagaLogEvent) -> Option<SagaTraceEvent> {
    let order_id = order_id.clone();
    Some(match *event {
        SagaLogEvent::Started | SagaLogEvent::CompensationTimedOut => return None,
        SagaLogEvent::StepSucceeded { step } => SagaTraceEvent::StepSucceeded {
            tick,
            order_id,
            step,
        },
        SagaLogEvent::StepFailed { step, ref reason } => SagaTraceEvent::StepFailed {
            tick,
            order_id,
            step,
            reason: reason.clone(),
        },
        SagaLogEvent::StepTimedOut { step } => SagaTraceEvent::StepTimedOut {
            tick,
            order_id,
            step,
        },
        SagaLogEvent::CompensationSucceeded { compensation } => SagaTraceEvent::CompensationDone {
            tick,
            order_id,
            compensation,
        },
    })
}

impl Saga {
    /// When the saga began to compensate (its first step that failed or timed out), while
    /// it compensates and has not timed its compensation out.
    fn compensation_began(&self) -> Option<Tick> {
        if self.status.state != SagaState::Compensating {
            return None;
        }
        let mut began = None;
        for entry in &self.log {
            match entry.event {
                SagaLogEvent::CompensationTimedOut => return None,
                SagaLogEvent::StepFailed { .. } | SagaLogEvent::StepTimedOut { .. } => {
                    began = began.or(Some(entry.tick));
                }
                _ => {}
            }
        }
        began
    }

    /// What the status reached from `before` calls for: the end, the next compensation,
    /// or the next step's command (and its deadline).
    fn follow_up(
        &mut self,
        before: &SagaStatus,
        now: Tick,
        timeouts: &StepTimeouts,
        out: &mut OrchestratorReaction,
    ) {
        let id = self.data.order_id.clone();
        let after = &self.status;
        match after.state {
            SagaState::Completed => {
                self.finished_at = Some(now);
                out.notes.push(SagaTraceEvent::SagaCompleted {
                    tick: now,
                    order_id: id,
                });
            }
            SagaState::Failed => {
                self.finished_at = Some(now);
                out.notes.push(SagaTraceEvent::SagaFailed {
                    tick: now,
                    order_id: id,
                    reason: after.failure.clone().unwrap_or_default(),
                });
            }
            SagaState::CompensationIncomplete => {
                self.finished_at = Some(now);
                out.notes.push(SagaTraceEvent::CompensationIncomplete {
                    tick: now,
                    order_id: id,
                    outstanding: after.compensation_stack.iter().rev().copied().collect(),
                });
            }
            SagaState::Compensating => {
                self.finished_at = None;
                // Start the next compensation when one finished or compensation just began.
                let began = !before.state.is_compensating();
                let one_finished = after.compensation_stack.len() < before.compensation_stack.len();
                if let Some(c) = after
                    .compensation_stack
                    .last()
                    .filter(|_| began || one_finished)
                {
                    let reason = after.failure.clone().unwrap_or_default();
                    out.commands.push(c.command(&id, &reason));
                    out.notes.push(SagaTraceEvent::CompensationStarted {
                        tick: now,
                        order_id: id,
                        compensation: *c,
                    });
                }
            }
            state => {
                if let Some(step) = state.awaited_step() {
                    out.commands.extend(step.command(&self.data));
                    self.step_deadline = Some(Tick(now.0 + timeouts.for_step(step)));
                    out.notes.push(SagaTraceEvent::StepStarted {
                        tick: now,
                        order_id: id,
                        step,
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
