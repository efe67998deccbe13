//! Producers with acknowledgements, retries and (optionally) idempotence.
//!
//! A send appends the record to its partition; the broker then acknowledges it. If the
//! acknowledgement is lost (injected deterministically: [`crate::command::Command::LoseNextAcks`]
//! or a probability drawn from the simulation's RNG), a producer with retries sends again:
//!
//! - without idempotence the broker cannot tell the retry from a new record and appends it
//!   again: a duplicate in the log (same event id, new offset);
//! - with idempotence (`enable.idempotence=true`) the producer has a producer id and numbers
//!   its sends per partition; the broker sees a sequence it already appended and drops the
//!   retry, acknowledging the original offset.
//!
//! With `acks = none` the producer does not wait for acknowledgements, so nothing is ever
//! retried.

use crate::assignor::TopicPartition;
pub use crate::cluster::replication::Acks;
use crate::ids::{EventId, Offset, PartitionId, ProducerId};
use crate::log::{Headers, Payload, SequenceCheck};
use crate::partitioner::Routing;
use crate::trace::TraceEvent;
use crate::world::{AppendError, Origin, Placement, WaitingSend, World};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use thiserror::Error;

/// The most retries a producer may be configured with. Kafka's default is effectively
/// unbounded (limited by `delivery.timeout.ms`); here retries happen within one tick, so
/// they are capped to keep a tick's work bounded.
pub const MAX_RETRIES: u32 = 1000;

/// The longest retry backoff, in ticks.
pub const MAX_RETRY_BACKOFF_TICKS: u64 = 10_000;

mod backoff;
use backoff::{Parked, Retry};

/// A producer's settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProducerConfig {
    /// The producer's name.
    pub name: String,
    #[serde(default)]
    /// Which acknowledgement a send waits for.
    pub acks: Acks,
    /// How many times a send is retried after a lost acknowledgement.
    #[serde(default)]
    pub retries: u32,
    /// `enable.idempotence`: producer id and sequence numbers.
    #[serde(default)]
    pub idempotent: bool,
    /// Probability (0..=1) that any acknowledgement is lost, drawn from the simulation's RNG.
    #[serde(default)]
    pub ack_loss_probability: f64,
    /// `retry.backoff.ms` in ticks: how long a refused or failed send waits before its
    /// retry. 0 (the default) retries within the tick, where a refusal would only repeat,
    /// so a refused send then fails at once (see `backoff`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub retry_backoff_ticks: u64,
}

fn is_zero(ticks: &u64) -> bool {
    *ticks == 0
}

impl ProducerConfig {
    /// A producer with `acks=all`, no retries, no idempotence and no ack loss.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            acks: Acks::All,
            retries: 0,
            idempotent: false,
            ack_loss_probability: 0.0,
            retry_backoff_ticks: 0,
        }
    }
}

/// Errors from producer commands.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum ProducerError {
    #[error("retries must be at most {max}, not {value} (retries happen within the tick)")]
    /// Too many retries.
    Retries {
        /// The value given.
        value: u32,
        /// The most allowed.
        max: u32,
    },
    #[error("retry_backoff_ticks must be at most {max}, not {value}")]
    /// Too long a backoff.
    RetryBackoff {
        /// The value given.
        value: u64,
        /// The most allowed.
        max: u64,
    },
    #[error("ack_loss_probability must be between 0 and 1, not {value}")]
    /// A probability is between 0 and 1.
    AckLossProbability {
        /// The value given.
        value: f64,
    },
}

/// Running totals of a producer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProducerCounters {
    /// Send calls.
    pub sends: u64,
    /// Records appended to the log (including duplicates from retries).
    pub appended: u64,
    /// Acknowledgements lost.
    pub acks_lost: u64,
    /// Sends retried.
    pub retries: u64,
    /// Retries the broker dropped thanks to idempotence.
    pub duplicates_dropped: u64,
    /// Sends that ran out of retries.
    pub failed: u64,
}

/// A producer and its state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Producer {
    /// Its settings.
    pub config: ProducerConfig,
    /// The id the broker gave it.
    pub producer_id: ProducerId,
    /// Next sequence number per partition (idempotent producers).
    pub(crate) sequences: BTreeMap<TopicPartition, u32>,
    /// Acknowledgements still to lose, injected by command.
    pub(crate) lose_next_acks: u32,
    /// Its running totals.
    pub counters: ProducerCounters,
    /// Sends waiting out their retry backoff, oldest first.
    #[serde(skip)]
    pub(crate) backlog: Vec<Retry>,
}

impl Producer {
    /// A producer with the given id.
    pub fn new(config: ProducerConfig, producer_id: ProducerId) -> Result<Self, ProducerError> {
        if config.retries > MAX_RETRIES {
            return Err(ProducerError::Retries {
                value: config.retries,
                max: MAX_RETRIES,
            });
        }
        if config.retry_backoff_ticks > MAX_RETRY_BACKOFF_TICKS {
            return Err(ProducerError::RetryBackoff {
                value: config.retry_backoff_ticks,
                max: MAX_RETRY_BACKOFF_TICKS,
            });
        }
        let p = config.ack_loss_probability;
        if !(0.0..=1.0).contains(&p) {
            return Err(ProducerError::AckLossProbability { value: p });
        }
        Ok(Self {
            config,
            producer_id,
            sequences: BTreeMap::new(),
            lose_next_acks: 0,
            counters: ProducerCounters::default(),
            backlog: Vec::new(),
        })
    }

    /// Acknowledgements still to be lost on purpose
    /// ([`crate::command::Command::LoseNextAcks`]), before any drawn by
    /// `ack_loss_probability`.
    pub fn acks_to_lose(&self) -> u32 {
        self.lose_next_acks
    }

    /// Loses the next `count` acknowledgements on purpose.
    pub(crate) fn lose_next_acks(&mut self, count: u32) {
        self.lose_next_acks = self.lose_next_acks.saturating_add(count);
    }

    /// Sends one record: routes it, appends it, and retries while its acknowledgement is
    /// lost and retries remain. Every attempt carries the same event id, so a retry the
    /// broker appends again is a duplicate of the same event.
    pub(crate) fn send(
        &mut self,
        world: &mut World<'_>,
        topic: &str,
        key: Option<String>,
        value: Payload,
    ) -> Result<(), AppendError> {
        // At the record limit the send is refused before it counts or draws anything.
        world.check_room()?;
        let routed = world.route(topic, key.as_deref())?;
        self.counters.sends += 1;
        let sequence = self.next_sequence(topic, routed.1);
        let send = ProducerRecord {
            topic,
            routed,
            key,
            value,
            sequence,
            event_id: world.next_event_id(),
        };
        self.deliver(world, &send, 1, None)
    }

    /// Attempts `send` from attempt `first_attempt` on, retrying while its acknowledgement
    /// is lost and attempts remain; a refusal waits out the backoff (or fails the send).
    fn deliver(
        &mut self,
        world: &mut World<'_>,
        send: &ProducerRecord<'_>,
        first_attempt: u32,
        mut first_offset: Option<Offset>,
    ) -> Result<(), AppendError> {
        let attempts = if self.config.acks == Acks::None {
            1
        } else {
            self.config.retries + 1
        };
        for attempt in first_attempt..=attempts {
            let offset = match self.attempt(world, send, attempt, first_offset) {
                Ok(offset) => offset,
                Err(AppendError::Refused(_)) => {
                    // Traced already. Nothing changes within the tick, so a retry now would
                    // be refused again: without a backoff the send fails.
                    if self.config.acks != Acks::None {
                        if self.config.retry_backoff_ticks > 0 && attempt < attempts {
                            self.counters.retries += 1;
                            let parked = Parked::refused(send, attempt + 1, first_offset);
                            self.park(world, parked);
                        } else {
                            self.send_failed(world, send.topic, send.routed.1, attempt);
                        }
                    }
                    return Ok(());
                }
                Err(e) => return Err(e),
            };
            first_offset.get_or_insert(offset);
            if self.config.acks == Acks::None || !self.acknowledgement_lost(world) {
                break;
            }
            self.trace_lost_acknowledgement(world, send, offset, attempt, attempts);
        }
        Ok(())
    }

    /// The sequence number of the next send to a partition (idempotent producers only).
    fn next_sequence(&mut self, topic: &str, partition: PartitionId) -> Option<u32> {
        if !self.config.idempotent {
            return None;
        }
        let tp = TopicPartition {
            topic: topic.into(),
            partition,
        };
        let next = self.sequences.entry(tp).or_insert(0);
        let sequence = *next;
        *next += 1;
        Some(sequence)
    }

    /// One attempt: the broker appends the record, or drops an idempotent producer's retry
    /// whose sequence it already appended. Returns the record's offset either way.
    fn attempt(
        &mut self,
        world: &mut World<'_>,
        send: &ProducerRecord<'_>,
        attempt: u32,
        first_offset: Option<Offset>,
    ) -> Result<Offset, AppendError> {
        let partition = send.routed.1;
        let pid = self.producer_id;
        let log = world
            .topic_mut(send.topic)?
            .partition(partition)
            .expect("routed");
        if let Some(sequence) = send.sequence {
            if let SequenceCheck::Duplicate { offset } = log.check_sequence(pid, sequence) {
                self.counters.duplicates_dropped += 1;
                world.trace.push(TraceEvent::DuplicateDropped {
                    tick: world.now,
                    producer: self.config.name.clone(),
                    producer_id: pid,
                    sequence,
                    topic: send.topic.to_string(),
                    partition,
                    offset,
                    attempt,
                });
                return Ok(offset);
            }
        }
        let headers = Headers {
            event_id: send.event_id,
            correlation_id: None,
            causation_id: None,
            schema_version: 1,
        };
        let origin = Origin {
            producer: Some(&self.config.name),
            group: None,
            attempt,
            duplicate_of: first_offset,
            acks: self.config.acks,
        };
        let (key, value) = (send.key.clone(), send.value.clone());
        let placement = Placement::Routed(send.routed, headers);
        let offset = world.append(send.topic, placement, key, value, origin)?;
        self.counters.appended += 1;
        if let Some(sequence) = send.sequence {
            world
                .topic_mut(send.topic)?
                .partition_mut(partition)
                .expect("routed")
                .record_sequence(pid, sequence, offset);
        }
        Ok(offset)
    }

    /// Whether this acknowledgement gets lost: an injected loss first, then a draw.
    fn acknowledgement_lost(&mut self, world: &mut World<'_>) -> bool {
        if self.lose_next_acks > 0 {
            self.lose_next_acks -= 1;
            return true;
        }
        let p = self.config.ack_loss_probability;
        p > 0.0 && world.rng.chance(p)
    }

    /// Traces a lost acknowledgement; after the last attempt the send has failed.
    fn trace_lost_acknowledgement(
        &mut self,
        world: &mut World<'_>,
        send: &ProducerRecord<'_>,
        offset: Offset,
        attempt: u32,
        attempts: u32,
    ) {
        let partition = send.routed.1;
        self.counters.acks_lost += 1;
        world.trace.push(TraceEvent::AckLost {
            tick: world.now,
            producer: self.config.name.clone(),
            topic: send.topic.to_string(),
            partition,
            offset,
            attempt,
        });
        if attempt < attempts {
            self.counters.retries += 1;
            return;
        }
        self.send_failed(world, send.topic, partition, attempts);
    }

    /// Counts and traces a send that gave up after `attempts` attempts.
    fn send_failed(
        &mut self,
        world: &mut World<'_>,
        topic: &str,
        partition: PartitionId,
        attempts: u32,
    ) {
        self.counters.failed += 1;
        world.trace.push(TraceEvent::SendFailed {
            tick: world.now,
            producer: self.config.name.clone(),
            topic: topic.into(),
            partition,
            attempts,
        });
    }

    /// An `acks=all` send whose answer came later and was an error (its leader died or
    /// moved: `NETWORK_EXCEPTION`, `NOT_LEADER_OR_FOLLOWER`; or
    /// `NOT_ENOUGH_REPLICAS_AFTER_APPEND`, `REQUEST_TIMED_OUT`): with retries left the
    /// producer sends it again, to the partition's leader now (a new one after a failover).
    /// If the first copy survived in the log, the retry is its duplicate (and named so).
    pub(crate) fn retry_failed_send(&mut self, world: &mut World<'_>, send: WaitingSend) {
        let attempts = self.config.retries + 1;
        if send.attempt >= attempts {
            self.send_failed(world, &send.topic, send.routed.1, send.attempt);
            return;
        }
        self.counters.retries += 1;
        if self.config.retry_backoff_ticks > 0 {
            self.park(world, Parked::Failed(send));
        } else {
            self.resend(world, send);
        }
    }

    /// Sends a failed `acks=all` send again (its retry was counted when decided).
    fn resend(&mut self, world: &mut World<'_>, send: WaitingSend) {
        let tp = send.partition();
        let first_survives = world
            .brokers
            .cluster
            .as_ref()
            .and_then(|c| c.appended_record(&tp, send.append))
            .is_some_and(|r| !r.lost);
        let origin = Origin {
            producer: Some(&self.config.name),
            group: None,
            attempt: send.attempt + 1,
            duplicate_of: first_survives.then_some(send.offset),
            acks: self.config.acks,
        };
        let appended = world.append(
            &send.topic,
            Placement::Routed(send.routed, send.headers),
            send.key,
            send.value,
            origin,
        );
        match appended {
            Ok(_) => self.counters.appended += 1,
            Err(_) => self.send_failed(world, &send.topic, tp.partition, send.attempt + 1),
        }
    }
}

/// One send's record (Kafka's `ProducerRecord`), the same for every attempt.
struct ProducerRecord<'a> {
    topic: &'a str,
    routed: (Option<Routing>, PartitionId),
    key: Option<String>,
    value: Payload,
    /// The idempotent producer's sequence number for this record's partition.
    sequence: Option<u32>,
    event_id: EventId,
}
