//! Reading the saga's records back from the engine's topics: dead letters and their
//! resubmission, the events the projections replay, one order's path.

use super::super::config::{check_topic, SagaSetupError};
use super::super::message::{topics, Envelope, SagaMessage};
use super::super::projection::{ProjectionKind, ReadModel};
use super::super::retry::DeadLetter;
use super::super::trace::SagaTraceEvent as T;
use super::processor::envelope_of;
use super::relay::publish_row;
use super::{Saga, SagaView};
use crate::ids::{Offset, PartitionId};
use crate::log::{Payload, RecordRef};
use crate::sim::Sim;
use crate::topic::Topic;

impl SagaView<'_> {
    /// Every dead letter of `<topic>.DLQ`, in partition then offset order.
    pub fn dead_letters(&self, topic: &str) -> Vec<DeadLetter> {
        self.placed_dead_letters(topic)
            .into_iter()
            .map(|(_, _, letter)| letter)
            .collect()
    }

    /// Every dead letter of `<topic>.DLQ` with its partition and offset there, in
    /// partition then offset order.
    pub fn placed_dead_letters(&self, topic: &str) -> Vec<(PartitionId, Offset, DeadLetter)> {
        let Some(t) = self.sim.topic(&topics::dead_letter_topic(topic)) else {
            return Vec::new();
        };
        records_of(t)
            .filter_map(|(p, r)| match r.kept_value()? {
                Payload::SagaDeadLetter(letter) => Some((p, r.offset(), (**letter).clone())),
                _ => None,
            })
            .collect()
    }

    /// The dead letters of `<topic>.DLQ` not resubmitted yet, with their partition and
    /// offset there (what [`SagaCommand::ResubmitDeadLetter`] names).
    ///
    /// [`SagaCommand::ResubmitDeadLetter`]: crate::saga::command::SagaCommand::ResubmitDeadLetter
    pub fn waiting_dead_letters(&self, topic: &str) -> Vec<(PartitionId, Offset, DeadLetter)> {
        let done = self.saga.resubmitted.get(&topics::dead_letter_topic(topic));
        self.placed_dead_letters(topic)
            .into_iter()
            .filter(|(p, o, _)| done.is_none_or(|d| !d.contains(&(*p, *o))))
            .collect()
    }

    /// How far a projection's consumer group is behind the events topic (log end offset
    /// minus committed offset, summed over partitions).
    pub fn projection_lag(&self, kind: ProjectionKind) -> u64 {
        self.sim
            .group_snapshot(kind.group())
            .map_or(0, |g| g.total_lag)
    }

    /// A projection's current (incrementally maintained) read model.
    pub fn projection(&self, kind: ProjectionKind) -> Option<ReadModel> {
        self.projection_ref(kind).cloned()
    }

    /// A projection's current read model, borrowed (no copy of its per-order maps).
    pub fn projection_ref(&self, kind: ProjectionKind) -> Option<&ReadModel> {
        self.saga.world.projections.get(&kind).map(|(m, _)| m)
    }

    /// A fresh read model replaying the events the projection has applied so far.
    pub(super) fn replay_projection(&self, kind: ProjectionKind) -> ReadModel {
        let positions = &self.saga.world.projections[&kind].1;
        ReadModel::rebuild(kind, &self.events_up_to(Some(positions)))
    }

    /// The events topic's saga events, partition by partition, each partition up to its
    /// end in `ends` (`None`: all).
    pub(super) fn events_up_to(&self, ends: Option<&[Offset]>) -> Vec<Envelope> {
        let Some(t) = self.sim.topic(topics::ORDER_EVENTS) else {
            return Vec::new();
        };
        t.partitions()
            .iter()
            .enumerate()
            .flat_map(|(p, log)| {
                let end = ends.map(|e| e[p]);
                log.records()
                    .filter(move |r| end.is_none_or(|e| r.offset() < e))
                    .filter_map(|r| Some(envelope_of(r, r.saga()?)))
            })
            .collect()
    }

    /// The saga record at `offset` of `topic`'s `partition` as the services read it (its
    /// headers as an envelope: a record without a correlation id belongs to its order's
    /// flow); a dead letter reads as the record it holds. `None` when there is no saga
    /// record there.
    pub fn envelope_at(
        &self,
        topic: &str,
        partition: PartitionId,
        offset: Offset,
    ) -> Option<Envelope> {
        let log = self
            .sim
            .topic(topic)?
            .partitions()
            .get(partition.0 as usize)?;
        let record = log.get(offset).ok()?;
        match record.kept_value()? {
            Payload::Saga(m) => Some(envelope_of(record, m)),
            Payload::SagaDeadLetter(letter) => Some(letter.original.clone()),
            _ => None,
        }
    }

    /// The saga messages of a topic, with their partitions.
    pub fn saga_records(&self, topic: &str) -> Vec<(PartitionId, SagaMessage)> {
        self.sim.topic(topic).map_or_else(Vec::new, |t| {
            records_of(t)
                .filter_map(|(p, r)| Some((p, r.saga()?.clone())))
                .collect()
        })
    }
}

impl Saga {
    /// Produces every dead letter of `<topic>.DLQ` not yet resubmitted back to `topic` (the
    /// DLQ keeps its records: a log is append-only). Returns how many it produced.
    ///
    /// A resubmitted dead letter is the same message again, so it keeps its original headers
    /// (event id, correlation, causation, schema version) and key: an inbox that already
    /// processed that event (say, from a relay's duplicate of the dead-lettered record)
    /// absorbs it instead of charging or reserving a second time.
    pub fn resubmit_dead_letters(
        &mut self,
        sim: &mut Sim,
        topic: &str,
    ) -> Result<usize, SagaSetupError> {
        check_topic(topic)?;
        let fresh = self.view(sim).waiting_dead_letters(topic);
        for (partition, offset, letter) in &fresh {
            self.resubmit(sim, topic, (*partition, *offset), letter);
        }
        self.observe_choreography(sim);
        Ok(fresh.len())
    }

    /// Produces the one dead letter at `partition`, `offset` of `<topic>.DLQ` back to
    /// `topic`, as [`resubmit_dead_letters`](Self::resubmit_dead_letters) does each one.
    pub fn resubmit_dead_letter(
        &mut self,
        sim: &mut Sim,
        topic: &str,
        partition: PartitionId,
        offset: Offset,
    ) -> Result<(), SagaSetupError> {
        check_topic(topic)?;
        let dead_letter_topic = topics::dead_letter_topic(topic);
        let place = (partition, offset);
        if self
            .resubmitted
            .get(&dead_letter_topic)
            .is_some_and(|d| d.contains(&place))
        {
            return Err(SagaSetupError::AlreadyResubmitted {
                dead_letter_topic,
                partition: partition.0,
                offset: offset.0,
            });
        }
        let letter = self
            .view(sim)
            .placed_dead_letters(topic)
            .into_iter()
            .find(|(p, o, _)| (*p, *o) == place)
            .map(|(_, _, letter)| letter)
            .ok_or(SagaSetupError::NoDeadLetter {
                dead_letter_topic,
                partition: partition.0,
                offset: offset.0,
            })?;
        self.resubmit(sim, topic, place, &letter);
        self.observe_choreography(sim);
        Ok(())
    }

    /// Traces and produces one dead letter back to `topic`, and marks its place on the DLQ
    /// resubmitted.
    fn resubmit(
        &mut self,
        sim: &mut Sim,
        topic: &str,
        place: (PartitionId, Offset),
        letter: &DeadLetter,
    ) {
        let dlq = topics::dead_letter_topic(topic);
        self.trace(T::Resubmitted {
            tick: sim.now(),
            dead_letter_topic: dlq.clone(),
            topic: topic.to_string(),
            event_id: letter.original.meta.event_id,
        });
        publish_row(sim, letter.key.clone(), letter.original.clone(), None);
        self.resubmitted.entry(dlq).or_default().insert(place);
    }

    /// Rebuilds a projection from scratch by replaying the whole events topic. Returns
    /// whether a replay of the records the projection had applied equals its incremental
    /// model.
    pub fn rebuild_projection(&mut self, sim: &Sim, kind: ProjectionKind) -> bool {
        let view = self.view(sim);
        let replayed = view.replay_projection(kind);
        let all = view.events_up_to(None);
        let ends: Vec<Offset> = sim
            .topic(topics::ORDER_EVENTS)
            .map(|t| t.partitions().iter().map(|l| l.high_watermark()).collect())
            .unwrap_or_default();
        let now = sim.now();
        let w = &mut self.world;
        let entry = w
            .projections
            .get_mut(&kind)
            .expect("every kind has a projection");
        let equal = entry.0 == replayed;
        *entry = (ReadModel::rebuild(kind, &all), ends);
        w.trace.push(T::ProjectionRebuilt {
            tick: now,
            projection: kind,
            records_replayed: all.len() as u64,
            equal_to_incremental: equal,
        });
        equal
    }
}

fn records_of(t: &Topic) -> impl Iterator<Item = (PartitionId, RecordRef<'_>)> {
    t.partitions()
        .iter()
        .enumerate()
        .flat_map(|(p, log)| log.records().map(move |r| (PartitionId(p as u32), r)))
}
