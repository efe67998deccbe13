//! Every saga record indexed by its order as the topics grow, so one order's path across
//! the topics ([`SagaView::order_path`]) costs that order's records, not a walk over every
//! record of the run.

use super::super::message::OrderId;
use super::super::summary::PathEntry;
use super::SagaView;
use crate::ids::{Offset, PartitionId};
use crate::log::{Payload, RecordRef};
use crate::sim::Sim;
use crate::topic::Topic;
use std::collections::BTreeMap;

/// Where each order's records are, up to each partition's `next` offset.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct RecordIndex {
    /// Topic names, so a place holds a number rather than a name.
    topics: Vec<String>,
    /// Per order, its records' places in the order indexed.
    by_order: BTreeMap<OrderId, Vec<Place>>,
    /// Per topic (as in `topics`), per partition, the first offset not indexed yet.
    next: Vec<Vec<Offset>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Place {
    topic: usize,
    partition: u32,
    offset: Offset,
}

impl RecordIndex {
    /// Indexes the records appended to any topic of `sim` since the last call.
    pub(super) fn catch_up(&mut self, sim: &Sim) {
        for t in sim.topics() {
            let topic = self.topic_number(t.name());
            let next = &mut self.next[topic];
            next.resize(t.partitions().len(), Offset(0));
            for (p, log) in t.partitions().iter().enumerate() {
                // A log truncated below what was indexed (an unclean leader election) is
                // indexed again from its end; places that moved are checked when read.
                let end = if log.is_empty() {
                    Offset(0)
                } else {
                    log.high_watermark()
                };
                next[p] = next[p].min(end);
                for r in log.records_from(next[p]) {
                    if let Some(order) = order_of(r) {
                        let place = Place {
                            topic,
                            partition: p as u32,
                            offset: r.offset(),
                        };
                        self.by_order.entry(order.clone()).or_default().push(place);
                    }
                    next[p] = Offset(r.offset().0 + 1);
                }
            }
        }
    }

    fn topic_number(&mut self, name: &str) -> usize {
        match self.topics.iter().position(|t| t == name) {
            Some(n) => n,
            None => {
                self.topics.push(name.to_string());
                self.next.push(Vec::new());
                self.topics.len() - 1
            }
        }
    }

    /// The first offset of `topic`'s `partition` not indexed yet (0: none was).
    fn next_offset(&self, topic: &str, partition: usize) -> Offset {
        let number = self.topics.iter().position(|t| t == topic);
        number
            .and_then(|n| self.next[n].get(partition).copied())
            .unwrap_or(Offset(0))
    }
}

/// The order a saga record belongs to (a dead letter: the order of the record it holds).
fn order_of(r: RecordRef<'_>) -> Option<&OrderId> {
    match r.kept_value()? {
        Payload::Saga(m) => Some(m.order_id()),
        Payload::SagaDeadLetter(d) => Some(d.original.message.order_id()),
        _ => None,
    }
}

impl SagaView<'_> {
    /// Every saga record of one order across all topics (dead-letter topics included), in
    /// the order they were written: by tick, then by event id (issued in causal order). Not
    /// by event id alone: a relayed duplicate or a resubmitted dead letter carries its
    /// original id, and belongs where it was written (a resubmission after its dead letter).
    ///
    /// Read through the saga's record index (plus whatever was appended since it was last
    /// brought up to date), so it costs the order's own records.
    pub fn order_path(&self, order_id: &OrderId) -> Vec<PathEntry> {
        let index = &self.saga.record_index;
        let mut places = index.by_order.get(order_id).cloned().unwrap_or_default();
        crate::sort::sort_by_key(&mut places, |p| (p.topic, p.partition, p.offset));
        places.dedup();
        let mut path: Vec<PathEntry> = places
            .iter()
            .filter_map(|place| {
                let t = self.sim.topic(&index.topics[place.topic])?;
                let partition = PartitionId(place.partition);
                let r = t
                    .partitions()
                    .get(place.partition as usize)?
                    .get(place.offset)
                    .ok()?;
                path_entry(t, partition, r, order_id)
            })
            .collect();
        for t in self.sim.topics() {
            for (p, log) in t.partitions().iter().enumerate() {
                let tail = log.records_from(index.next_offset(t.name(), p));
                let partition = PartitionId(p as u32);
                path.extend(tail.filter_map(|r| path_entry(t, partition, r, order_id)));
            }
        }
        crate::sort::sort_by_key(&mut path, |e| (e.tick, e.event_id));
        path
    }
}

/// The record as a step of `order_id`'s path, if it belongs to that order.
pub(super) fn path_entry(
    t: &Topic,
    partition: PartitionId,
    r: RecordRef<'_>,
    order_id: &OrderId,
) -> Option<PathEntry> {
    let message = match r.kept_value()? {
        Payload::Saga(m) if m.order_id() == order_id => m.name().to_string(),
        Payload::SagaDeadLetter(d) if d.original.message.order_id() == order_id => {
            format!("DeadLetter({})", d.original.message.name())
        }
        _ => return None,
    };
    Some(PathEntry {
        event_id: r.event_id(),
        causation_id: r.causation_id(),
        topic: t.name().to_string(),
        partition,
        offset: r.offset(),
        tick: r.tick(),
        message,
    })
}
