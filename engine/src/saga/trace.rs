//! Typed trace events of the saga: what the UI animates and the tests read. Records
//! produced and processed are the streaming engine's own trace events; these say what the
//! services and the saga made of them.

use super::event_store::OrderStatus;
use super::message::{EventId, OrderId};
use super::orchestrator::{Compensation, SagaStep};
use super::projection::ProjectionKind;
use super::services::ServiceName;
use crate::ids::{Offset, PartitionId, Tick};
use serde::{Deserialize, Serialize};

/// One thing that happened in the saga simulation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SagaTraceEvent {
    /// The orchestrator sent a step's command.
    StepStarted {
        /// The tick it happened at.
        tick: Tick,
        /// The order (one saga per order).
        order_id: OrderId,
        /// The saga step.
        step: SagaStep,
    },
    /// A step succeeded (its reply, or in choreography its event, arrived).
    StepSucceeded {
        /// The tick it happened at.
        tick: Tick,
        /// The order (one saga per order).
        order_id: OrderId,
        /// The saga step.
        step: SagaStep,
    },
    /// A step failed as a business outcome; compensation follows.
    StepFailed {
        /// The tick it happened at.
        tick: Tick,
        /// The order (one saga per order).
        order_id: OrderId,
        /// The saga step.
        step: SagaStep,
        /// Why, in words.
        reason: String,
    },
    /// A step got no reply within its timeout; compensation follows (the step counts as done, so it is compensated too).
    StepTimedOut {
        /// The tick it happened at.
        tick: Tick,
        /// The order (one saga per order).
        order_id: OrderId,
        /// The saga step.
        step: SagaStep,
    },
    /// The orchestrator sent a compensation's command.
    CompensationStarted {
        /// The tick it happened at.
        tick: Tick,
        /// The order (one saga per order).
        order_id: OrderId,
        /// The compensation.
        compensation: Compensation,
    },
    /// A compensation finished.
    CompensationDone {
        /// The tick it happened at.
        tick: Tick,
        /// The order (one saga per order).
        order_id: OrderId,
        /// The compensation.
        compensation: Compensation,
    },
    /// Every step succeeded.
    SagaCompleted {
        /// The tick it happened at.
        tick: Tick,
        /// The order (one saga per order).
        order_id: OrderId,
    },
    /// The saga compensated and ended failed.
    SagaFailed {
        /// The tick it happened at.
        tick: Tick,
        /// The order (one saga per order).
        order_id: OrderId,
        /// Why, in words.
        reason: String,
    },
    /// The saga's compensation buffer passed with compensations still to run: failed,
    /// compensation incomplete.
    CompensationIncomplete {
        /// The tick it happened at.
        tick: Tick,
        /// The order (one saga per order).
        order_id: OrderId,
        /// The compensations not run, the next first.
        outstanding: Vec<Compensation>,
    },
    /// The saga state machine refused an event (late reply, duplicate): a typed error.
    TransitionRefused {
        /// The tick it happened at.
        tick: Tick,
        /// The error, in words.
        error: String,
    },
    /// A service refused a message (tombstone, aggregate rule).
    MessageRefused {
        /// The tick it happened at.
        tick: Tick,
        /// The service.
        service: ServiceName,
        /// The order (one saga per order).
        order_id: OrderId,
        /// Why, in words.
        reason: String,
    },
    /// Handling a record failed with an error; it is tried again later (the partition waits).
    RetryScheduled {
        /// The tick it happened at.
        tick: Tick,
        /// The service.
        service: ServiceName,
        /// The topic.
        topic: String,
        /// The partition.
        partition: PartitionId,
        /// The record's offset in its partition.
        offset: Offset,
        /// The attempt that failed (1 for the first).
        failed_attempt: u32,
        /// The tick of the next attempt.
        retry_at: Tick,
        /// The error, in words.
        error: String,
    },
    /// A record exhausted the retry schedule and went to `<topic>.DLQ`.
    DeadLettered {
        /// The tick it happened at.
        tick: Tick,
        /// The service.
        service: ServiceName,
        /// The topic.
        topic: String,
        /// The dead-letter topic (`<topic>.DLQ`).
        dead_letter_topic: String,
        /// The partition.
        partition: PartitionId,
        /// The record's offset in its partition.
        offset: Offset,
        /// Attempts made, the first included.
        attempts: u32,
        /// The error, in words.
        error: String,
    },
    /// A dead letter was produced back to its source topic.
    Resubmitted {
        /// The tick it happened at.
        tick: Tick,
        /// The dead-letter topic (`<topic>.DLQ`).
        dead_letter_topic: String,
        /// The topic.
        topic: String,
        /// The event id (record header).
        event_id: EventId,
    },
    /// The inbox recognised an event id already processed and skipped the effects.
    DuplicateAbsorbed {
        /// The tick it happened at.
        tick: Tick,
        /// The service.
        service: ServiceName,
        /// The event id (record header).
        event_id: EventId,
        /// The message's type name.
        message: String,
    },
    /// A service wrote an event to its outbox, with its state change.
    OutboxWritten {
        /// The tick it happened at.
        tick: Tick,
        /// The service.
        service: ServiceName,
        /// The event id (record header).
        event_id: EventId,
        /// The message's type name.
        message: String,
    },
    /// The outbox relay published a row and marked it published.
    OutboxRelayed {
        /// The tick it happened at.
        tick: Tick,
        /// The service.
        service: ServiceName,
        /// The event id (record header).
        event_id: EventId,
        /// How many times the relay has sent this row so far.
        publish_count: u32,
    },
    /// The relay published but crashed before marking the entry: it will publish again.
    RelayCrashed {
        /// The tick it happened at.
        tick: Tick,
        /// The service.
        service: ServiceName,
        /// The event id (record header).
        event_id: EventId,
    },
    /// A state change whose event was never published (crash without outbox).
    EventLost {
        /// The tick it happened at.
        tick: Tick,
        /// The service.
        service: ServiceName,
        /// The event id (record header).
        event_id: EventId,
        /// The message's type name.
        message: String,
    },
    /// A service crashed while handling a message (a crash fault).
    ServiceCrashed {
        /// The tick it happened at.
        tick: Tick,
        /// The service.
        service: ServiceName,
        /// The message it was handling.
        while_handling: String,
        /// When it runs again.
        down_until: Tick,
    },
    /// A service went down (an outage, or taken down by hand): its member was killed.
    ServiceDown {
        /// The tick it happened at.
        tick: Tick,
        /// The service.
        service: ServiceName,
    },
    /// A slowdown of the fault plan started or ended (or the service was made slow or
    /// fast), so the service's group now spends this many ticks per record.
    ServiceSpeedChanged {
        /// The tick it happened at.
        tick: Tick,
        /// The service.
        service: ServiceName,
        /// Ticks the group now spends per record.
        processing_ticks_per_record: u64,
    },
    /// A service runs again.
    ServiceUp {
        /// The tick it happened at.
        tick: Tick,
        /// The service.
        service: ServiceName,
    },
    /// A saga command a scenario scheduled for this tick was refused (nobody is there to
    /// receive the error, so the trace says it).
    CommandRejected {
        /// The tick it happened at.
        tick: Tick,
        /// The command's `type`, e.g. `resubmit_dead_letters`.
        command: String,
        /// Why, in words.
        error: String,
    },
    /// An append to the Order stream met a concurrent writer (optimistic concurrency).
    ConcurrencyConflict {
        /// The tick it happened at.
        tick: Tick,
        /// The order (one saga per order).
        order_id: OrderId,
        /// The stream version the writer loaded.
        expected_version: u64,
        /// The stream version it found when appending.
        actual_version: u64,
    },
    /// The event store snapshotted an Order aggregate.
    SnapshotTaken {
        /// The tick it happened at.
        tick: Tick,
        /// The order (one saga per order).
        order_id: OrderId,
        /// The stream version.
        version: u64,
    },
    /// Payment charged a customer.
    Charged {
        /// The tick it happened at.
        tick: Tick,
        /// The order (one saga per order).
        order_id: OrderId,
        /// The amount, in cents.
        amount_cents: u64,
    },
    /// Payment refunded a customer.
    Refunded {
        /// The tick it happened at.
        tick: Tick,
        /// The order (one saga per order).
        order_id: OrderId,
        /// The amount, in cents.
        amount_cents: u64,
    },
    /// The Order aggregate's status changed.
    OrderStatusChanged {
        /// The tick it happened at.
        tick: Tick,
        /// The order (one saga per order).
        order_id: OrderId,
        /// The new status.
        status: OrderStatus,
    },
    /// A CQRS projection applied an event.
    ProjectionUpdated {
        /// The tick it happened at.
        tick: Tick,
        /// The projection.
        projection: ProjectionKind,
        /// The event id (record header).
        event_id: EventId,
    },
    /// A projection was rebuilt from scratch by replay.
    ProjectionRebuilt {
        /// The tick it happened at.
        tick: Tick,
        /// The projection.
        projection: ProjectionKind,
        /// Records of the events topic replayed.
        records_replayed: u64,
        /// Whether the replay equalled the incrementally maintained model.
        equal_to_incremental: bool,
    },
}

impl SagaTraceEvent {
    /// `service` refused a message for `order_id` (late, duplicate or cancelled).
    pub fn refused(
        tick: Tick,
        service: ServiceName,
        order_id: &OrderId,
        reason: impl std::fmt::Display,
    ) -> Self {
        Self::MessageRefused {
            tick,
            service,
            order_id: order_id.clone(),
            reason: reason.to_string(),
        }
    }
}
