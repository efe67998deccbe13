//! The simulation: a logical clock, the topics, one seeded random generator, and the trace.
//!
//! Drive it with [`Command`]s through [`Sim::apply`] and advance time with [`Sim::step`].
//! Everything observable comes out as [`TraceEvent`]s; the same seed and the same commands
//! always produce the same trace.

use crate::ids::{Offset, Tick};
use crate::log::OrderEvent;
use crate::partitioner::{Partitioner, Routing};
use crate::topic::{Topic, TopicError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use thiserror::Error;

/// Something a user (or a scenario) asks the simulation to do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Command {
    /// Creates a topic.
    CreateTopic {
        name: String,
        partitions: u32,
        #[serde(default)]
        partitioner: Partitioner,
    },
    /// Publishes one keyed order event to a topic.
    Produce {
        topic: String,
        key: String,
        value: OrderEvent,
    },
}

/// Everything that happened, in order. The UI animates from these; tests read them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TraceEvent {
    TopicCreated {
        tick: Tick,
        topic: String,
        partitions: u32,
    },
    Produced {
        tick: Tick,
        topic: String,
        key: String,
        routing: Routing,
        offset: Offset,
    },
}

/// Errors from applying a command.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum SimError {
    #[error("topic {0:?} does not exist")]
    UnknownTopic(String),
    #[error("topic {0:?} already exists")]
    TopicExists(String),
    #[error(transparent)]
    Topic(#[from] TopicError),
}

/// A deterministic simulation instance.
#[derive(Clone, Debug)]
pub struct Sim {
    seed: u64,
    now: Tick,
    topics: BTreeMap<String, Topic>,
    trace: Vec<TraceEvent>,
}

impl Sim {
    /// A new, empty simulation. All randomness derives from `seed`.
    pub fn new(seed: u64) -> Self {
        Self {
            seed,
            now: Tick(0),
            topics: BTreeMap::new(),
            trace: Vec::new(),
        }
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The current logical time.
    pub fn now(&self) -> Tick {
        self.now
    }

    /// Advances the logical clock by one tick.
    pub fn step(&mut self) {
        self.now = Tick(self.now.0 + 1);
    }

    pub fn topic(&self, name: &str) -> Option<&Topic> {
        self.topics.get(name)
    }

    /// All topics, ordered by name.
    pub fn topics(&self) -> impl Iterator<Item = &Topic> {
        self.topics.values()
    }

    /// The trace so far.
    pub fn trace(&self) -> &[TraceEvent] {
        &self.trace
    }

    /// Applies one command at the current tick.
    pub fn apply(&mut self, command: Command) -> Result<(), SimError> {
        match command {
            Command::CreateTopic {
                name,
                partitions,
                partitioner,
            } => {
                if self.topics.contains_key(&name) {
                    return Err(SimError::TopicExists(name));
                }
                let topic = Topic::new(name.clone(), partitions, partitioner)?;
                self.topics.insert(name.clone(), topic);
                self.trace.push(TraceEvent::TopicCreated {
                    tick: self.now,
                    topic: name,
                    partitions,
                });
            }
            Command::Produce { topic, key, value } => {
                let t = self
                    .topics
                    .get_mut(&topic)
                    .ok_or_else(|| SimError::UnknownTopic(topic.clone()))?;
                let produced = t.produce(&key, value, self.now);
                self.trace.push(TraceEvent::Produced {
                    tick: self.now,
                    topic,
                    key,
                    routing: produced.routing,
                    offset: produced.offset,
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn produce_to_unknown_topic_is_an_error() {
        let mut sim = Sim::new(1);
        let err = sim
            .apply(Command::Produce {
                topic: "nope".into(),
                key: "k".into(),
                value: OrderEvent {
                    user_id: "U1".into(),
                    order_id: "O1".into(),
                    status: "Created".into(),
                },
            })
            .unwrap_err();
        assert_eq!(err, SimError::UnknownTopic("nope".into()));
    }

    #[test]
    fn produced_trace_event_names_the_partition_that_holds_the_record() {
        let mut sim = Sim::new(1);
        sim.apply(Command::CreateTopic {
            name: "orders".into(),
            partitions: 4,
            partitioner: Partitioner::Murmur2,
        })
        .unwrap();
        sim.apply(Command::Produce {
            topic: "orders".into(),
            key: "U123".into(),
            value: OrderEvent {
                user_id: "U123".into(),
                order_id: "O456".into(),
                status: "Created".into(),
            },
        })
        .unwrap();
        let TraceEvent::Produced {
            routing, offset, ..
        } = sim.trace().last().unwrap().clone()
        else {
            panic!("expected a produced event");
        };
        let log = sim
            .topic("orders")
            .unwrap()
            .partition(routing.partition)
            .unwrap();
        assert_eq!(log.get(offset).unwrap().key.as_deref(), Some("U123"));
    }
}
