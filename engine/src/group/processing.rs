//! Processing a fetched record: handing it to the processor and acting on the outcome.

use super::{ConsumerGroup, Run};
use crate::assignor::TopicPartition;
use crate::ids::{MemberId, Offset, Tick};
use crate::process::{Delivery, OutgoingRecord, ProcessOutcome, Processor};
use crate::trace::TraceEvent;
use crate::world::World;

impl ConsumerGroup {
    /// Processes the head record of a member's batch. Returns false if the processor asked
    /// for a retry (the record stays at the head).
    pub(super) fn process_head(
        &mut self,
        world: &mut World<'_>,
        id: &MemberId,
        run: &Run,
        attempt: u32,
        processor: Option<&mut (dyn Processor + '_)>,
    ) -> bool {
        let now = world.now;
        let tp = &run.partition;
        let offset = run.next;
        let high = self.processed_high.get(tp).copied().unwrap_or_default();
        let redelivered = offset < high;
        let record = world
            .topics
            .get(&tp.topic)
            .and_then(|t| t.partition(tp.partition))
            .and_then(|log| log.get(offset).ok());
        let Some(record) = record else {
            // Deleted by retention while in hand: drop the rest of this run.
            let m = self.members.get_mut(id).expect("member");
            m.batch.pop_front();
            m.head_attempt = 1;
            return true;
        };
        let key = record.key.clone();
        let event_id = record.headers.event_id;
        let outcome = match processor {
            Some(p) => {
                let delivery = Delivery {
                    now,
                    group: &self.config.name,
                    member: id,
                    topic: &tp.topic,
                    partition: tp.partition,
                    record,
                    redelivered,
                    attempt,
                    event_ids: std::cell::Cell::from_mut(&mut *world.next_event_id),
                };
                p.process(&delivery, world.rng)
            }
            None => ProcessOutcome::done(),
        };
        let group = self.config.name.clone();
        match outcome {
            ProcessOutcome::Retry { error, after_ticks } => {
                self.counters.retries += 1;
                let retry_at = Tick(now.0 + after_ticks.max(1));
                let m = self.members.get_mut(id).expect("member");
                m.head_ready_at = retry_at;
                m.head_attempt += 1;
                world.trace.push(TraceEvent::ProcessingRetry {
                    tick: now,
                    group,
                    member: id.clone(),
                    topic: tp.topic.clone(),
                    partition: tp.partition,
                    offset,
                    attempt,
                    error,
                    retry_at,
                });
                return false;
            }
            ProcessOutcome::Failure { error } => {
                self.counters.failed += 1;
                world.trace.push(TraceEvent::ProcessingFailed {
                    tick: now,
                    group: group.clone(),
                    member: id.clone(),
                    topic: tp.topic.clone(),
                    partition: tp.partition,
                    offset,
                    attempt,
                    error,
                });
            }
            ProcessOutcome::Crash { produce, reason } => {
                world.trace.push(TraceEvent::Processed {
                    tick: now,
                    group: group.clone(),
                    member: id.clone(),
                    topic: tp.topic.clone(),
                    partition: tp.partition,
                    offset,
                    key,
                    event_id,
                    redelivered,
                    attempt,
                });
                self.produce_all(world, id, tp, offset, attempt, produce);
                world.trace.push(TraceEvent::ProcessingCrashed {
                    tick: now,
                    group,
                    member: id.clone(),
                    topic: tp.topic.clone(),
                    partition: tp.partition,
                    offset,
                    event_id,
                    attempt,
                    reason,
                });
                self.count_processed(tp, offset, redelivered);
                // The record's effects happened: it is not lost, only uncommitted, so it
                // leaves the batch before the member dies (the rest is abandoned).
                let m = self.members.get_mut(id).expect("member");
                m.processed += 1;
                m.head_attempt = 1;
                let head = m.batch.front_mut().expect("head run");
                head.next = Offset(head.next.0 + 1);
                if head.next >= head.end {
                    m.batch.pop_front();
                }
                self.kill(world, id)
                    .expect("a member that just processed a record is alive");
                return false;
            }
            ProcessOutcome::Success { produce } => {
                world.trace.push(TraceEvent::Processed {
                    tick: now,
                    group: group.clone(),
                    member: id.clone(),
                    topic: tp.topic.clone(),
                    partition: tp.partition,
                    offset,
                    key,
                    event_id,
                    redelivered,
                    attempt,
                });
                self.produce_all(world, id, tp, offset, attempt, produce);
            }
        }
        self.count_processed(tp, offset, redelivered);
        let m = self.members.get_mut(id).expect("member");
        m.processed += 1;
        m.head_attempt = 1;
        let head = m.batch.front_mut().expect("head run");
        head.next = Offset(head.next.0 + 1);
        if head.next >= head.end {
            m.batch.pop_front();
        }
        true
    }

    /// Produces what a processor returned; a refused record counts as a failure.
    pub(super) fn produce_all(
        &mut self,
        world: &mut World<'_>,
        id: &MemberId,
        tp: &TopicPartition,
        offset: Offset,
        attempt: u32,
        produce: Vec<OutgoingRecord>,
    ) {
        for out in produce {
            if let Err(e) = world.produce_outgoing(out) {
                self.counters.failed += 1;
                world.trace.push(TraceEvent::ProcessingFailed {
                    tick: world.now,
                    group: self.config.name.clone(),
                    member: id.clone(),
                    topic: tp.topic.clone(),
                    partition: tp.partition,
                    offset,
                    attempt,
                    error: e.to_string(),
                });
            }
        }
    }

    /// Counts a processed record (a duplicate if this group processed it before).
    pub(super) fn count_processed(
        &mut self,
        tp: &TopicPartition,
        offset: Offset,
        redelivered: bool,
    ) {
        self.counters.processed += 1;
        if redelivered {
            self.counters.duplicates += 1;
        }
        let high = self.processed_high.get(tp).copied().unwrap_or_default();
        if offset >= high {
            self.processed_high.insert(tp.clone(), Offset(offset.0 + 1));
        }
    }
}
