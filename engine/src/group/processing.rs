//! Processing a fetched record: handing it to the processor and acting on the outcome.

use super::{ConsumerGroup, Run};
use crate::assignor::TopicPartition;
use crate::ids::{EventId, MemberId, Offset, Tick};
use crate::log::RecordRef;
use crate::process::{Delivery, OutgoingRecord, ProcessOutcome, Processor};
use crate::trace::{EventKey, Trace, TraceEvent};
use crate::world::World;
use std::sync::Arc;

/// The record at the head of a member's batch, as the trace names it.
struct InHand<'a> {
    member: &'a MemberId,
    /// The member's id as the `Processed` event shares it.
    trace_id: &'a Arc<str>,
    partition: &'a TopicPartition,
    offset: Offset,
    /// Taken by the `Processed` event.
    key: Option<EventKey>,
    event_id: EventId,
    /// This group processed the offset before (a duplicate).
    redelivered: bool,
    attempt: u32,
}

impl<'a> InHand<'a> {
    /// The record at `partition` as `member` holds it.
    fn new(
        (member, trace_id): (&'a MemberId, &'a Arc<str>),
        partition: &'a TopicPartition,
        record: RecordRef<'_>,
        redelivered: bool,
        attempt: u32,
    ) -> Self {
        InHand {
            member,
            trace_id,
            partition,
            offset: record.offset(),
            key: record.key().map(EventKey::from),
            event_id: record.event_id(),
            redelivered,
            attempt,
        }
    }
}

impl ConsumerGroup {
    /// Processes the head record of a member's batch. Returns false if the member must stop
    /// for this tick: the processor asked for a retry (the record stays at the head) or the
    /// member crashed.
    pub(super) fn process_head(
        &mut self,
        world: &mut World<'_>,
        (id, trace_id): (&MemberId, &Arc<str>),
        run: &Run,
        attempt: u32,
        processor: &mut (dyn Processor + '_),
    ) -> bool {
        let tp = &run.partition;
        let offset = run.next;
        // Raised below, before `act_on`, unless the processor asks for a retry (nothing
        // between here and `count_processed` reads it).
        let redelivered = self.processed_high.get(tp).is_some_and(|h| offset < *h);
        let record = world
            .topics
            .get(&*tp.topic)
            .and_then(|t| t.partition(tp.partition))
            .and_then(|log| log.get(offset).ok());
        let Some(record) = record else {
            // Deleted by retention while in hand: drop the rest of this run.
            let m = self.members.get_mut(id).expect("member");
            m.batch.pop_front();
            m.head_attempt = 1;
            m.next_ready(world.now, self.config.processing_ticks_per_record);
            return true;
        };
        let delivery = Delivery {
            now: world.now,
            group: &self.config.name,
            member: id,
            topic: &tp.topic,
            partition: tp.partition,
            record,
            redelivered,
            attempt,
            event_ids: std::cell::Cell::from_mut(&mut *world.next_event_id),
        };
        let outcome = processor.process(&delivery, world.rng);
        if !matches!(outcome, ProcessOutcome::Retry { .. }) {
            self.raise_processed_high(tp, Offset(offset.0 + 1));
        }
        let member = (id, trace_id);
        let in_hand = InHand::new(member, tp, record, redelivered, attempt);
        self.act_on(world, in_hand, outcome)
    }

    /// Without a processor every record succeeds and produces nothing, so the ready records
    /// of the head run (all of it without processing time, else one) are processed in one
    /// pass: the log and `processed_high` are looked up once per run, the member twice,
    /// instead of per record. The trace, counters and positions are those of `process_head`
    /// record by record (a property test compares the two); a record retention deleted while
    /// in hand drops the rest of the run, as there.
    pub(super) fn process_run_plainly(
        &mut self,
        world: &mut World<'_>,
        (id, trace_id): (&MemberId, &Arc<str>),
        run: &Run,
        mut attempt: u32,
    ) {
        let (tp, now) = (&run.partition, world.now);
        let group_ticks = self.config.processing_ticks_per_record;
        let end = match self.processing_ticks(id) {
            0 => run.end,
            _ => Offset(run.next.0 + 1),
        };
        let log = world
            .topics
            .get(&*tp.topic)
            .and_then(|t| t.partition(tp.partition));
        let high = self.processed_high.get(tp).copied();
        let (mut offset, mut duplicates) = (run.next, 0);
        while offset < end {
            let Some(record) = log.and_then(|log| log.get(offset).ok()) else {
                break; // deleted by retention while in hand
            };
            let redelivered = high.is_some_and(|h| offset < h);
            let member = (id, trace_id);
            let mut in_hand = InHand::new(member, tp, record, redelivered, attempt);
            duplicates += u64::from(in_hand.redelivered);
            self.trace_processed(now, world.trace, &mut in_hand);
            attempt = 1;
            offset = Offset(offset.0 + 1);
        }
        let done = offset.0 - run.next.0;
        if done > 0 {
            self.counters.processed += done;
            self.counters.duplicates += duplicates;
            self.raise_processed_high(tp, offset);
        }
        let m = self.members.get_mut(id).expect("member");
        m.processed += done;
        m.head_attempt = 1;
        m.next_ready(now, group_ticks);
        let head = m.batch.front_mut().expect("head run");
        head.next = offset;
        if offset < end || head.next >= head.end {
            m.batch.pop_front();
        }
    }

    /// Raises the partition's `processed_high` to `past` (one past a processed offset).
    fn raise_processed_high(&mut self, tp: &TopicPartition, past: Offset) {
        match self.processed_high.get_mut(tp) {
            Some(high) => *high = (*high).max(past),
            // The partition is cloned only the first time it is processed.
            None => {
                self.processed_high.insert(tp.clone(), past);
            }
        }
    }

    /// What a processing outcome does to the group, the member and the trace.
    fn act_on(
        &mut self,
        world: &mut World<'_>,
        mut in_hand: InHand<'_>,
        outcome: ProcessOutcome,
    ) -> bool {
        match outcome {
            ProcessOutcome::Retry { error, after_ticks } => {
                self.schedule_retry(world, &in_hand, error, after_ticks);
                false
            }
            ProcessOutcome::Failure { error } => {
                self.fail(world, &in_hand, error);
                self.finish_head(world.now, &in_hand);
                true
            }
            ProcessOutcome::Crash { produce, reason } => {
                self.crash_after(world, in_hand, produce, reason);
                false
            }
            ProcessOutcome::Success { produce } => {
                self.trace_processed(world.now, world.trace, &mut in_hand);
                self.produce_all(world, &in_hand, produce);
                self.finish_head(world.now, &in_hand);
                true
            }
        }
    }

    /// A blocking retry: the record stays at the head until `after_ticks` (at least 1) pass.
    fn schedule_retry(
        &mut self,
        world: &mut World<'_>,
        in_hand: &InHand<'_>,
        error: String,
        after_ticks: u64,
    ) {
        self.counters.retries += 1;
        let retry_at = Tick(world.now.0.saturating_add(after_ticks.max(1)));
        let m = self.members.get_mut(in_hand.member).expect("member");
        m.head_ready_at = retry_at;
        m.head_attempt += 1;
        world.trace.push(TraceEvent::ProcessingRetry {
            tick: world.now,
            group: Arc::clone(&self.trace_name),
            member: Arc::clone(in_hand.trace_id),
            topic: Arc::clone(&in_hand.partition.topic),
            partition: in_hand.partition.partition,
            offset: in_hand.offset,
            attempt: in_hand.attempt,
            error,
            retry_at,
        });
    }

    /// The member crashes after the record's effects: it is processed (not lost), only
    /// uncommitted, so it leaves the batch before the member dies; the rest is abandoned.
    fn crash_after(
        &mut self,
        world: &mut World<'_>,
        mut in_hand: InHand<'_>,
        produce: Vec<OutgoingRecord>,
        reason: String,
    ) {
        self.trace_processed(world.now, world.trace, &mut in_hand);
        self.produce_all(world, &in_hand, produce);
        world.trace.push(TraceEvent::ProcessingCrashed {
            tick: world.now,
            group: Arc::clone(&self.trace_name),
            member: Arc::clone(in_hand.trace_id),
            topic: Arc::clone(&in_hand.partition.topic),
            partition: in_hand.partition.partition,
            offset: in_hand.offset,
            event_id: in_hand.event_id,
            attempt: in_hand.attempt,
            reason,
        });
        self.finish_head(world.now, &in_hand);
        self.kill(world, in_hand.member)
            .expect("a member that just processed a record is alive");
    }

    /// Traces the record as processed; its key moves into the event (its only reader).
    #[inline(never)] // three callers; one copy keeps the release wasm small
    fn trace_processed(&self, now: Tick, trace: &mut Trace, in_hand: &mut InHand<'_>) {
        trace.push(TraceEvent::Processed {
            tick: now,
            group: Arc::clone(&self.trace_name),
            member: Arc::clone(in_hand.trace_id),
            topic: Arc::clone(&in_hand.partition.topic),
            partition: in_hand.partition.partition,
            offset: in_hand.offset,
            key: in_hand.key.take(),
            event_id: in_hand.event_id,
            redelivered: in_hand.redelivered,
            attempt: in_hand.attempt,
        });
    }

    /// The head record is done (processed or given up on): count it and move past it.
    fn finish_head(&mut self, now: Tick, in_hand: &InHand<'_>) {
        self.count_processed(in_hand.redelivered);
        let m = self.members.get_mut(in_hand.member).expect("member");
        m.processed += 1;
        m.head_attempt = 1;
        m.next_ready(now, self.config.processing_ticks_per_record);
        let head = m.batch.front_mut().expect("head run");
        head.next = Offset(head.next.0 + 1);
        if head.next >= head.end {
            m.batch.pop_front();
        }
    }

    /// Produces what a processor returned; a refused record counts as a failure.
    fn produce_all(
        &mut self,
        world: &mut World<'_>,
        in_hand: &InHand<'_>,
        produce: Vec<OutgoingRecord>,
    ) {
        for out in produce {
            if let Err(e) = world.produce_outgoing(out, Some(&self.config.name)) {
                self.fail(world, in_hand, e.to_string());
            }
        }
    }

    /// Counts and traces a failure: the processor gave up on the record, or a record it
    /// asked for was refused.
    fn fail(&mut self, world: &mut World<'_>, in_hand: &InHand<'_>, error: String) {
        self.counters.failed += 1;
        world.trace.push(TraceEvent::ProcessingFailed {
            tick: world.now,
            group: Arc::clone(&self.trace_name),
            member: Arc::clone(in_hand.trace_id),
            topic: Arc::clone(&in_hand.partition.topic),
            partition: in_hand.partition.partition,
            offset: in_hand.offset,
            attempt: in_hand.attempt,
            error,
        });
    }

    /// Counts a processed record (a duplicate if this group processed it before; its
    /// partition's `processed_high` was raised in `process_head`).
    fn count_processed(&mut self, redelivered: bool) {
        self.counters.processed += 1;
        if redelivered {
            self.counters.duplicates += 1;
        }
    }
}
