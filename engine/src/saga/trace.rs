//! Typed trace events of the saga simulation: what the UI animates and the tests read.

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
    /// A record was appended to a topic partition.
    Produced {
        tick: Tick,
        topic: String,
        partition: PartitionId,
        offset: Offset,
        event_id: EventId,
        causation_id: Option<EventId>,
        order_id: OrderId,
        message: String,
    },
    /// A service finished handling a record (its offset is committed next).
    Processed {
        tick: Tick,
        service: ServiceName,
        topic: String,
        partition: PartitionId,
        offset: Offset,
        event_id: EventId,
        message: String,
        attempt: u32,
    },
    StepStarted {
        tick: Tick,
        order_id: OrderId,
        step: SagaStep,
    },
    StepSucceeded {
        tick: Tick,
        order_id: OrderId,
        step: SagaStep,
    },
    StepFailed {
        tick: Tick,
        order_id: OrderId,
        step: SagaStep,
        reason: String,
    },
    StepTimedOut {
        tick: Tick,
        order_id: OrderId,
        step: SagaStep,
    },
    CompensationStarted {
        tick: Tick,
        order_id: OrderId,
        compensation: Compensation,
    },
    CompensationDone {
        tick: Tick,
        order_id: OrderId,
        compensation: Compensation,
    },
    SagaCompleted {
        tick: Tick,
        order_id: OrderId,
    },
    SagaFailed {
        tick: Tick,
        order_id: OrderId,
        reason: String,
    },
    /// The saga state machine refused an event (late reply, duplicate): a typed error.
    TransitionRefused {
        tick: Tick,
        error: String,
    },
    /// A service refused a message (tombstone, aggregate rule).
    MessageRefused {
        tick: Tick,
        service: ServiceName,
        order_id: OrderId,
        reason: String,
    },
    RetryScheduled {
        tick: Tick,
        service: ServiceName,
        topic: String,
        partition: PartitionId,
        offset: Offset,
        failed_attempt: u32,
        retry_at: Tick,
        error: String,
    },
    DeadLettered {
        tick: Tick,
        service: ServiceName,
        topic: String,
        dead_letter_topic: String,
        partition: PartitionId,
        offset: Offset,
        attempts: u32,
        error: String,
    },
    Resubmitted {
        tick: Tick,
        dead_letter_topic: String,
        topic: String,
        event_id: EventId,
    },
    DuplicateAbsorbed {
        tick: Tick,
        service: ServiceName,
        event_id: EventId,
        message: String,
    },
    OutboxWritten {
        tick: Tick,
        service: ServiceName,
        event_id: EventId,
        message: String,
    },
    OutboxRelayed {
        tick: Tick,
        service: ServiceName,
        event_id: EventId,
        publish_count: u32,
    },
    /// The relay published but crashed before marking the entry: it will publish again.
    RelayCrashed {
        tick: Tick,
        service: ServiceName,
        event_id: EventId,
    },
    /// A state change whose event was never published (crash without outbox).
    EventLost {
        tick: Tick,
        service: ServiceName,
        event_id: EventId,
        message: String,
    },
    ServiceCrashed {
        tick: Tick,
        service: ServiceName,
        while_handling: String,
        down_until: Tick,
    },
    ServiceDown {
        tick: Tick,
        service: ServiceName,
    },
    /// On consumer groups: a slowdown of the fault plan started or ended, so the service's
    /// group now spends this many ticks per record.
    ServiceSpeedChanged {
        tick: Tick,
        service: ServiceName,
        processing_ticks_per_record: u64,
    },
    ServiceUp {
        tick: Tick,
        service: ServiceName,
    },
    ConcurrencyConflict {
        tick: Tick,
        order_id: OrderId,
        expected_version: u64,
        actual_version: u64,
    },
    SnapshotTaken {
        tick: Tick,
        order_id: OrderId,
        version: u64,
    },
    Charged {
        tick: Tick,
        order_id: OrderId,
        amount_cents: u64,
    },
    Refunded {
        tick: Tick,
        order_id: OrderId,
        amount_cents: u64,
    },
    OrderStatusChanged {
        tick: Tick,
        order_id: OrderId,
        status: OrderStatus,
    },
    ProjectionUpdated {
        tick: Tick,
        projection: ProjectionKind,
        event_id: EventId,
        /// Records of the events topic the projection has not read yet, when the driver
        /// knows it at that moment (on consumer groups: read the group's lag instead).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lag: Option<u64>,
    },
    ProjectionRebuilt {
        tick: Tick,
        projection: ProjectionKind,
        records_replayed: u64,
        equal_to_incremental: bool,
    },
}
