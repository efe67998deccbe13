//! Correlation: one order's records across every topic, in the order they were written
//! (the engine's `order_path`), each with the correlation id in its headers, the record
//! that caused it and the consumer groups that have committed past it.

use orderflow_engine::group::GroupSnapshot;
use orderflow_engine::saga::message::OrderId;
use orderflow_engine::saga::streaming::SagaView;
use orderflow_engine::saga::summary::PathEntry;

/// One record of the order's flow as its row shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CorrelationRow {
    pub event_id: u64,
    pub tick: u64,
    /// The message's type name (`DeadLetter(ProcessPayment)` for a dead letter).
    pub message: String,
    /// Where it was written: "payment-commands-1 @ 0".
    pub place: String,
    /// The correlation id its headers carry, as its services read it.
    pub correlation_id: Option<String>,
    /// What caused it: "#4 ProcessPayment" (the event id alone when that record is not on
    /// the path); `None` for a message from outside (the customer's order).
    pub caused_by: Option<String>,
    /// Consumer groups subscribed to its topic that have committed past it.
    pub read_by: Vec<String>,
}

/// Every record of `order_id`'s flow, in the order they were written.
pub fn correlation_rows(saga: &SagaView<'_>, order_id: &str) -> Vec<CorrelationRow> {
    let path = saga.order_path(&OrderId(order_id.to_string()));
    let sim = saga.sim();
    let groups: Vec<GroupSnapshot> = sim
        .groups()
        .filter_map(|g| sim.group_snapshot(g.name()))
        .collect();
    path.iter()
        .map(|entry| CorrelationRow {
            event_id: entry.event_id.0,
            tick: entry.tick.0,
            message: entry.message.clone(),
            place: format!("{}-{} @ {}", entry.topic, entry.partition.0, entry.offset.0),
            correlation_id: saga
                .envelope_at(&entry.topic, entry.partition, entry.offset)
                .map(|e| e.meta.correlation_id.0),
            caused_by: entry.causation_id.map(|cause| {
                match path.iter().find(|e| e.event_id == cause) {
                    Some(e) => format!("#{} {}", cause.0, e.message),
                    None => format!("#{}", cause.0),
                }
            }),
            read_by: read_by(&groups, entry),
        })
        .collect()
}

fn read_by(groups: &[GroupSnapshot], entry: &PathEntry) -> Vec<String> {
    groups
        .iter()
        .filter(|g| {
            g.partitions.iter().any(|p| {
                *p.partition.topic == *entry.topic
                    && p.partition.partition == entry.partition
                    && p.committed.is_some_and(|c| c > entry.offset)
            })
        })
        .map(|g| g.name.clone())
        .collect()
}
