//! The saga trace indexed as it grows: per order, where its events are (a retry or a dead
//! letter belongs to the order its record is keyed by), and per projection its last
//! rebuild. So reading one order's retries, snapshots or conflicts, or a read model's last
//! rebuild, costs that order's events, not a walk over the whole run's trace.

use super::super::message::OrderId;
use super::super::projection::ProjectionKind;
use super::super::trace::SagaTraceEvent as T;
use super::{Saga, SagaView};
use crate::ids::{Offset, PartitionId};
use crate::sim::Sim;
use litemap::LiteMap;
use std::collections::BTreeMap;

/// Positions in the saga trace, by order and by projection, up to `scanned`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct TraceIndex {
    by_order: BTreeMap<OrderId, Vec<usize>>,
    last_rebuild: LiteMap<ProjectionKind, usize>,
    /// The trace's length when it was last indexed.
    scanned: usize,
}

impl TraceIndex {
    /// Indexes the trace's events after the last call.
    fn catch_up(&mut self, trace: &[T], sim: &Sim) {
        for (at, event) in trace.iter().enumerate().skip(self.scanned) {
            if let T::ProjectionRebuilt { projection, .. } = event {
                self.last_rebuild.insert(*projection, at);
            }
            if let Some(order) = order_of(event, sim) {
                self.by_order.entry(order).or_default().push(at);
            }
        }
        self.scanned = trace.len();
    }
}

/// The order an event is about: its own order id, or for a retry or a dead letter the key
/// of the record it is about (the saga keys every record by its order).
pub(super) fn order_of(event: &T, sim: &Sim) -> Option<OrderId> {
    let order = match event {
        T::StepStarted { order_id, .. }
        | T::StepSucceeded { order_id, .. }
        | T::StepFailed { order_id, .. }
        | T::StepTimedOut { order_id, .. }
        | T::CompensationStarted { order_id, .. }
        | T::CompensationDone { order_id, .. }
        | T::SagaCompleted { order_id, .. }
        | T::SagaFailed { order_id, .. }
        | T::CompensationIncomplete { order_id, .. }
        | T::MessageRefused { order_id, .. }
        | T::ConcurrencyConflict { order_id, .. }
        | T::SnapshotTaken { order_id, .. }
        | T::Charged { order_id, .. }
        | T::Refunded { order_id, .. }
        | T::OrderStatusChanged { order_id, .. } => order_id.clone(),
        T::RetryScheduled {
            topic,
            partition,
            offset,
            ..
        }
        | T::DeadLettered {
            topic,
            partition,
            offset,
            ..
        } => return record_key(sim, topic, *partition, *offset).map(OrderId),
        _ => return None,
    };
    Some(order)
}

/// The key of the record at `offset` of `topic`'s `partition`, if there is one.
pub(super) fn record_key(
    sim: &Sim,
    topic: &str,
    partition: PartitionId,
    offset: Offset,
) -> Option<String> {
    let log = sim.topic(topic)?.partitions().get(partition.0 as usize)?;
    log.get(offset).ok()?.key().map(str::to_owned)
}

impl Saga {
    /// Brings the trace index up to the trace, and the record index up to the topics
    /// (after every step and command).
    pub(super) fn index_trace(&mut self, sim: &Sim) {
        self.trace_index.catch_up(&self.world.trace, sim);
        self.record_index.catch_up(sim);
    }
}

impl<'a> SagaView<'a> {
    /// The saga trace's events about `order_id`, in trace order: its own events, and the
    /// retries and dead letters of records keyed by it.
    pub fn order_trace(&self, order_id: &OrderId) -> Vec<&'a T> {
        let (index, trace) = (&self.saga.trace_index, &self.saga.world.trace);
        let indexed = index.by_order.get(order_id).map_or(&[][..], Vec::as_slice);
        let mut events: Vec<&'a T> = indexed.iter().map(|at| &trace[*at]).collect();
        // Whatever was traced since the last index (a `Saga` method called directly).
        let tail = trace.get(index.scanned..).unwrap_or_default();
        events.extend(
            tail.iter()
                .filter(|e| order_of(e, self.sim).as_ref() == Some(order_id)),
        );
        events
    }

    /// The last `projection_rebuilt` of `kind` in the saga trace, if it was rebuilt.
    pub fn last_rebuild(&self, kind: ProjectionKind) -> Option<&'a T> {
        let (index, trace) = (&self.saga.trace_index, &self.saga.world.trace);
        let tail = trace.get(index.scanned..).unwrap_or_default();
        let rebuilt =
            |e: &&T| matches!(e, T::ProjectionRebuilt { projection, .. } if *projection == kind);
        tail.iter()
            .rev()
            .find(rebuilt)
            .or_else(|| index.last_rebuild.get(&kind).map(|at| &trace[*at]))
    }
}
