//! Retry backoff (`retry.backoff.ms`, in ticks). A send the broker refuses
//! (`NOT_ENOUGH_REPLICAS`, `NOT_LEADER_OR_FOLLOWER` while a partition has no leader), or an
//! `acks=all` send whose answer was a failure, waits `retry_backoff_ticks` before its next
//! attempt, so a retry can outlast a broker restart or an election instead of burning every
//! attempt within one tick. Each wait is traced (`send_retry_scheduled`) with the attempt
//! it will be and the tick it is due; the simulation runs due retries right after the
//! replication round of that tick, producers in name order, oldest send first.

use super::{Producer, ProducerRecord};
use crate::ids::{EventId, Offset, PartitionId, Tick};
use crate::log::Payload;
use crate::partitioner::Routing;
use crate::trace::TraceEvent;
use crate::world::{WaitingSend, World};

/// A send waiting for its retry.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Retry {
    /// When it is tried again.
    due: Tick,
    /// What is tried again.
    parked: Parked,
}

/// Why a send waits, and what its retry needs.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Parked {
    /// Refused when sent: the retry goes through the producer again (same event id and
    /// sequence, so an idempotent producer's broker still recognises it).
    Refused(RefusedSend),
    /// An `acks=all` send whose answer came back as a failure: the retry goes to the
    /// partition's leader then.
    Failed(WaitingSend),
}

/// An owned copy of a refused [`ProducerRecord`] and where its attempts stand.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct RefusedSend {
    topic: String,
    routed: (Option<Routing>, PartitionId),
    key: Option<String>,
    value: Payload,
    sequence: Option<u32>,
    event_id: EventId,
    /// The attempt the retry will be.
    attempt: u32,
    /// Where an earlier attempt landed, if one did.
    first_offset: Option<Offset>,
}

impl Parked {
    /// A refused send whose next attempt is `attempt`.
    pub(crate) fn refused(
        send: &ProducerRecord<'_>,
        attempt: u32,
        first_offset: Option<Offset>,
    ) -> Self {
        Parked::Refused(RefusedSend {
            topic: send.topic.to_string(),
            routed: send.routed,
            key: send.key.clone(),
            value: send.value.clone(),
            sequence: send.sequence,
            event_id: send.event_id,
            attempt,
            first_offset,
        })
    }

    fn topic_partition(&self) -> (&str, PartitionId) {
        match self {
            Parked::Refused(r) => (&r.topic, r.routed.1),
            Parked::Failed(w) => (&w.topic, w.routed.1),
        }
    }

    fn next_attempt(&self) -> u32 {
        match self {
            Parked::Refused(r) => r.attempt,
            Parked::Failed(w) => w.attempt + 1,
        }
    }
}

impl Producer {
    /// Sends waiting out their backoff.
    pub fn retries_waiting(&self) -> usize {
        self.backlog.len()
    }

    /// Parks a send until `retry_backoff_ticks` from now, traced.
    pub(super) fn park(&mut self, world: &mut World<'_>, parked: Parked) {
        let due = Tick(world.now.0.saturating_add(self.config.retry_backoff_ticks));
        let (topic, partition) = parked.topic_partition();
        world.trace.push(TraceEvent::SendRetryScheduled {
            tick: world.now,
            producer: self.config.name.clone(),
            topic: topic.to_string(),
            partition,
            attempt: parked.next_attempt(),
            retry_at: due,
        });
        self.backlog.push(Retry { due, parked });
    }

    /// Runs every retry that is due, oldest first. A retry refused again waits again (or
    /// fails once its attempts are spent); the new waits are due later, so this ends.
    pub(crate) fn retry_due(&mut self, world: &mut World<'_>) {
        if self.backlog.is_empty() {
            return;
        }
        let now = world.now;
        let (due, waiting): (Vec<Retry>, Vec<Retry>) = std::mem::take(&mut self.backlog)
            .into_iter()
            .partition(|r| r.due <= now);
        self.backlog = waiting;
        for retry in due {
            match retry.parked {
                Parked::Refused(r) => self.retry_refused(world, r),
                Parked::Failed(w) => self.resend(world, w),
            }
        }
    }

    fn retry_refused(&mut self, world: &mut World<'_>, r: RefusedSend) {
        let send = ProducerRecord {
            topic: &r.topic,
            routed: r.routed,
            key: r.key.clone(),
            value: r.value.clone(),
            sequence: r.sequence,
            event_id: r.event_id,
        };
        if self
            .deliver(world, &send, r.attempt, r.first_offset)
            .is_err()
        {
            // The record limit (or a topic gone): the retry cannot be appended.
            self.send_failed(world, &r.topic, r.routed.1, r.attempt);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::cluster::placement::BrokerMetadata;
    use crate::cluster::replication::ReplicationConfig;
    use crate::cluster::BrokerId;
    use crate::command::Command;
    use crate::ids::Tick;
    use crate::log::{OrderEvent, Payload};
    use crate::partitioner::Partitioner;
    use crate::producer::ProducerConfig;
    use crate::sim::{Sim, TraceEvent};
    use crate::topic::TopicSpec;

    /// Three brokers, `orders` with RF 3 and min.insync 2, producer `p` (acks=all, 5
    /// retries, the given backoff); brokers 2 and 3 are killed, so the ISR is {1}.
    fn below_min_insync(backoff: u64) -> Sim {
        let mut sim = Sim::new(7);
        sim.apply(Command::SetBrokers {
            brokers: (1..=3).map(BrokerMetadata::new).collect(),
            config: ReplicationConfig::default(),
        })
        .unwrap();
        let spec = TopicSpec::new("orders", 1, Partitioner::Murmur2).with_replication(3, 2);
        sim.apply(Command::CreateTopic(spec)).unwrap();
        let mut config = ProducerConfig::new("p");
        config.retries = 5;
        config.retry_backoff_ticks = backoff;
        sim.apply(Command::CreateProducer { config }).unwrap();
        for broker in [2, 3] {
            sim.apply(Command::KillBroker {
                broker: BrokerId(broker),
            })
            .unwrap();
        }
        sim.step();
        sim
    }

    fn send(sim: &mut Sim) {
        sim.apply(Command::Send {
            producer: "p".into(),
            topic: "orders".into(),
            key: Some("U1".into()),
            value: Payload::Order(OrderEvent {
                user_id: "U1".into(),
                order_id: "O1".into(),
                status: "Created".into(),
            }),
        })
        .unwrap();
    }

    fn count(sim: &Sim, f: impl Fn(&TraceEvent) -> bool) -> usize {
        sim.trace().iter().filter(|e| f(e)).count()
    }

    #[test]
    fn without_a_backoff_a_refused_send_fails_at_once() {
        let mut sim = below_min_insync(0);
        send(&mut sim);
        assert_eq!(
            count(&sim, |e| matches!(
                e,
                TraceEvent::SendFailed { attempts: 1, .. }
            )),
            1
        );
        assert_eq!(sim.producer("p").unwrap().retries_waiting(), 0);
    }

    #[test]
    fn with_a_backoff_a_refused_send_outlasts_a_broker_restart_and_commits() {
        let mut sim = below_min_insync(3);
        let sent_at = sim.now();
        send(&mut sim);
        let scheduled: Vec<(u32, Tick)> = sim
            .trace()
            .iter()
            .filter_map(|e| match e {
                TraceEvent::SendRetryScheduled {
                    attempt, retry_at, ..
                } => Some((*attempt, *retry_at)),
                _ => None,
            })
            .collect();
        assert_eq!(scheduled, vec![(2, Tick(sent_at.0 + 3))]);
        assert_eq!(sim.producer("p").unwrap().retries_waiting(), 1);
        sim.apply(Command::RestartBroker {
            broker: BrokerId(2),
        })
        .unwrap();
        sim.run_until(Tick(sent_at.0 + 20));
        assert_eq!(
            count(&sim, |e| matches!(e, TraceEvent::SendFailed { .. })),
            0
        );
        let produced: Vec<u32> = sim
            .trace()
            .iter()
            .filter_map(|e| match e {
                TraceEvent::Produced { origin, .. } => Some(origin.attempt()),
                _ => None,
            })
            .collect();
        assert_eq!(produced.len(), 1, "committed once: {produced:?}");
        assert!(produced[0] >= 2, "by a retry: {produced:?}");
        assert_eq!(sim.topic("orders").unwrap().partitions()[0].len(), 1);
        assert_eq!(sim.producer("p").unwrap().retries_waiting(), 0);
    }

    #[test]
    fn a_send_refused_until_its_attempts_run_out_fails_after_waiting_each_backoff() {
        let mut sim = below_min_insync(2);
        let sent_at = sim.now();
        send(&mut sim);
        sim.run_until(Tick(sent_at.0 + 30));
        let waits = count(&sim, |e| matches!(e, TraceEvent::SendRetryScheduled { .. }));
        assert_eq!(waits, 5, "one wait per retry");
        let failed: Vec<(Tick, u32)> = sim
            .trace()
            .iter()
            .filter_map(|e| match e {
                TraceEvent::SendFailed { tick, attempts, .. } => Some((*tick, *attempts)),
                _ => None,
            })
            .collect();
        assert_eq!(failed, vec![(Tick(sent_at.0 + 10), 6)]);
        assert_eq!(sim.producer("p").unwrap().counters.retries, 5);
    }

    #[test]
    fn a_backoff_beyond_the_limit_is_refused() {
        let mut sim = Sim::new(1);
        let mut config = ProducerConfig::new("p");
        config.retry_backoff_ticks = super::super::MAX_RETRY_BACKOFF_TICKS + 1;
        let error = sim.apply(Command::CreateProducer { config }).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("retry_backoff_ticks must be at most"),
            "{error}"
        );
    }
}
