//! What the Producers panel shows and does: every producer's settings and counters, the
//! duplicates its retries appended, registering a producer, losing its next
//! acknowledgements, and sending through it. Each action is a logged engine command, so it
//! replays, rewinds and travels in a share link like any other.

#[cfg(test)]
mod tests;

use super::Playground;
use crate::producers::{check_name, ProducerFormError, ProducerView, SendReport};
use orderflow_engine::log::{OrderEvent, Payload};
use orderflow_engine::producer::ProducerConfig;
use orderflow_engine::sim::Command;

impl Playground {
    /// Every producer of the run, in name order, as the Producers panel shows it.
    pub fn producers(&self) -> Vec<ProducerView> {
        self.sim()
            .producers()
            .filter_map(|p| self.producer_view(&p.config.name))
            .collect()
    }

    /// One producer as the Producers panel shows it.
    pub fn producer_view(&self, name: &str) -> Option<ProducerView> {
        self.sim().producer(name).map(|p| ProducerView {
            config: p.config.clone(),
            counters: p.counters,
            acks_to_lose: p.acks_to_lose(),
            retries_waiting: p.retries_waiting(),
            duplicates_appended: self.duplicates.appended_by(&p.config.name),
        })
    }

    /// The producers' names, in name order.
    pub fn producer_names(&self) -> Vec<String> {
        self.sim()
            .producers()
            .map(|p| p.config.name.clone())
            .collect()
    }

    /// Records producers' retries appended again, as `(topic, partition, offset, offset of
    /// the first copy)` in order (at most [`crate::producers::MAX_DUPLICATES_TRACKED`]).
    pub fn producer_duplicates(&self) -> Vec<(String, u32, u64, u64)> {
        self.duplicates.all()
    }

    /// Registers a producer (a logged engine command). Refuses an empty or taken name.
    pub fn add_producer(&mut self, config: ProducerConfig) -> Result<(), ProducerFormError> {
        check_name(&config.name, &self.producer_names())?;
        self.try_command(Command::CreateProducer { config })
            .map_err(|reason| ProducerFormError::Refused { reason })
    }

    /// The next `count` acknowledgements to `producer` get lost (a logged engine command).
    pub fn lose_next_acks(&mut self, producer: &str, count: u32) -> Result<(), ProducerFormError> {
        if self.sim().producer(producer).is_none() {
            return Err(ProducerFormError::UnknownProducer {
                name: producer.to_string(),
            });
        }
        self.try_command(Command::LoseNextAcks {
            producer: producer.to_string(),
            count,
        })
        .map_err(|reason| ProducerFormError::Refused { reason })
    }

    /// Sends one order event through `producer` to `topic` (a logged engine command: acks,
    /// retries and idempotence apply) and says what happened.
    pub fn send(
        &mut self,
        producer: &str,
        topic: &str,
        key: Option<String>,
        event: OrderEvent,
    ) -> Result<SendReport, ProducerFormError> {
        if self.sim().producer(producer).is_none() {
            return Err(ProducerFormError::UnknownProducer {
                name: producer.to_string(),
            });
        }
        if self.topic_spec(topic).is_none() {
            return Err(ProducerFormError::UnknownTopic {
                name: topic.to_string(),
            });
        }
        // A pending burst is published first: its records are not this send's.
        self.finish_burst();
        let before = self.sim().trace_len();
        self.try_command(Command::Send {
            producer: producer.to_string(),
            topic: topic.to_string(),
            key,
            value: Payload::Order(event),
        })
        .map_err(|reason| ProducerFormError::Refused { reason })?;
        Ok(SendReport::fold(
            producer,
            topic,
            self.sim().trace_since(before).map(|(_, e)| e),
        ))
    }
}
