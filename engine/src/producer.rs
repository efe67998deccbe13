//! Producers with acknowledgements, retries and (optionally) idempotence.
//!
//! A send appends the record to its partition; the broker then acknowledges it. If the
//! acknowledgement is lost (injected deterministically: [`crate::sim::Command::LoseNextAcks`]
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
use crate::ids::ProducerId;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use thiserror::Error;

/// The most retries a producer may be configured with. Kafka's default is effectively
/// unbounded (limited by `delivery.timeout.ms`); here retries happen within one tick, so
/// they are capped to keep a tick's work bounded.
pub const MAX_RETRIES: u32 = 1000;

/// Kafka's `acks`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Acks {
    /// `acks=0`: fire and forget.
    None,
    /// `acks=1`: the leader acknowledges.
    Leader,
    /// `acks=all` (the default since Kafka 3.0). Without replication it behaves like
    /// `Leader` here.
    #[default]
    All,
}

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
        })
    }

    /// Acknowledgements still to be lost on purpose ([`crate::sim::Command::LoseNextAcks`]),
    /// before any drawn by `ack_loss_probability`.
    pub fn acks_to_lose(&self) -> u32 {
        self.lose_next_acks
    }
}
