//! The bounds an untrusted session (a link, a file, localStorage) must respect before it
//! replays: a known format, 1 to [`MAX_TOPICS`] well-formed topics, at most [`MAX_ACTIONS`]
//! actions over at most [`MAX_TICKS`] ticks, in tick order, each naming a topic that exists
//! at its tick and asking for bounded work.

use super::{
    Action, GeneratorConfig, Session, Setup, MAX_ACTIONS, MAX_FIELD_CHARS, MAX_ORDERS_PER_TICK,
    MAX_TICKS, MAX_TOPICS, MAX_TOPIC_NAME, SESSION_FORMAT,
};
use orderflow_engine::generator::GeneratorError;
use orderflow_engine::topic::MAX_PARTITIONS;
use std::collections::BTreeSet;

/// Why a session cannot be loaded. The message is shown to people.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    #[error(
        "this session was written in format {found}; this playground reads formats 1 to {expected}"
    )]
    Format { found: u32, expected: u32 },
    #[error("a session needs 1 to {max} topics, not {count}")]
    TopicCount { count: usize, max: usize },
    #[error("topic {index} needs a name of 1 to {max} characters")]
    TopicName { index: usize, max: usize },
    #[error("topic {name:?} appears twice")]
    DuplicateTopic { name: String },
    #[error("topic name {name:?} may only use letters, digits, '.', '_' and '-' (Kafka's rule)")]
    TopicChars { name: String },
    #[error("a topic needs 1 to {max} partitions, not {requested}")]
    Partitions { requested: u32, max: u32 },
    #[error("the preset name has at most {max} characters")]
    PresetName { max: usize },
    #[error("a segment holds at least 1 record")]
    Segment,
    #[error("retention keeps at least 1 record or 1 tick")]
    Retention,
    #[error("the session holds {count} actions; at most {max} are accepted")]
    TooManyActions { count: usize, max: usize },
    #[error("the session spans {ticks} ticks; at most {max} are accepted")]
    TooManyTicks { ticks: u64, max: u64 },
    #[error("action {index} happens at tick {tick}, before the previous action's tick {previous}")]
    OutOfOrder {
        index: usize,
        tick: u64,
        previous: u64,
    },
    #[error("action {index} happens at tick {tick}, after the session's last tick {ticks}")]
    AfterEnd { index: usize, tick: u64, ticks: u64 },
    #[error("action {index} is invalid: {reason}")]
    InvalidAction { index: usize, reason: ActionError },
}

/// Why one logged action is invalid: the reason of [`SessionError::InvalidAction`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ActionError {
    #[error("topic {topic:?} is not in the session at tick {tick}")]
    UnknownTopic { topic: String, tick: u64 },
    #[error("a command is scheduled at tick {at}, after tick {max}")]
    ScheduledTooLate { at: u64, max: u64 },
    #[error("the {field} (the key) is empty")]
    EmptyKey { field: &'static str },
    #[error("the {field} has {length} characters; at most {max} are accepted")]
    FieldTooLong {
        field: &'static str,
        length: usize,
        max: usize,
    },
    /// The engine's generator refuses the users, the skew or the record count.
    #[error(transparent)]
    Generator(#[from] GeneratorError),
    #[error("orders per tick must be at most {max}, not {orders_per_tick}")]
    OrdersPerTick { orders_per_tick: u32, max: u32 },
    #[error("the user id prefix has at most {max} characters")]
    UserPrefix { max: usize },
}

impl GeneratorConfig {
    /// Checks the bounds a generator's settings must respect for `records` records (a
    /// burst's count or the rate per tick): the engine's own check of the key space, and the
    /// page's tighter rate and prefix bounds.
    pub fn check(&self, records: u32) -> Result<(), ActionError> {
        self.key_space().check(records)?;
        if self.orders_per_tick > MAX_ORDERS_PER_TICK {
            return Err(ActionError::OrdersPerTick {
                orders_per_tick: self.orders_per_tick,
                max: MAX_ORDERS_PER_TICK,
            });
        }
        if self.user_prefix.len() > MAX_TOPIC_NAME {
            return Err(ActionError::UserPrefix {
                max: MAX_TOPIC_NAME,
            });
        }
        Ok(())
    }
}

/// Checks one topic's setup (`index`: its place among the session's topics, for the message).
pub fn check_setup(index: usize, setup: &Setup) -> Result<(), SessionError> {
    if setup.name.is_empty() || setup.name.len() > MAX_TOPIC_NAME {
        return Err(SessionError::TopicName {
            index,
            max: MAX_TOPIC_NAME,
        });
    }
    if !setup
        .name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(SessionError::TopicChars {
            name: setup.name.clone(),
        });
    }
    if setup.segment_records == 0 {
        return Err(SessionError::Segment);
    }
    if setup.retention_records == Some(0) || setup.retention_ticks == Some(0) {
        return Err(SessionError::Retention);
    }
    if setup.partitions == 0 || setup.partitions > MAX_PARTITIONS {
        return Err(SessionError::Partitions {
            requested: setup.partitions,
            max: MAX_PARTITIONS,
        });
    }
    Ok(())
}

impl Session {
    /// Checks the bounds an untrusted session (link, file, storage) must respect.
    pub fn validate(&self) -> Result<(), SessionError> {
        self.check_header()?;
        let mut previous = 0;
        // The topics that exist so far: the initial ones, then those created by actions.
        let mut topics: Vec<&Setup> = self.topics.iter().collect();
        for (index, logged) in self.actions.iter().enumerate() {
            let tick = logged.tick;
            if tick < previous {
                return Err(SessionError::OutOfOrder {
                    index,
                    tick,
                    previous,
                });
            }
            if tick > self.ticks {
                return Err(SessionError::AfterEnd {
                    index,
                    tick,
                    ticks: self.ticks,
                });
            }
            previous = tick;
            match &logged.action {
                Action::CreateTopic { setup } => add_created_topic(&mut topics, setup)?,
                action => check_action(&topics, tick, action)
                    .map_err(|reason| SessionError::InvalidAction { index, reason })?,
            }
        }
        Ok(())
    }

    /// Checks everything but the actions: format, topics, preset name and the sizes.
    fn check_header(&self) -> Result<(), SessionError> {
        if self.format != SESSION_FORMAT {
            return Err(SessionError::Format {
                found: self.format,
                expected: SESSION_FORMAT,
            });
        }
        if self.topics.is_empty() || self.topics.len() > MAX_TOPICS {
            return Err(SessionError::TopicCount {
                count: self.topics.len(),
                max: MAX_TOPICS,
            });
        }
        let mut names = BTreeSet::new();
        for (index, setup) in self.topics.iter().enumerate() {
            check_setup(index, setup)?;
            if !names.insert(setup.name.as_str()) {
                return Err(SessionError::DuplicateTopic {
                    name: setup.name.clone(),
                });
            }
        }
        if self
            .preset
            .as_ref()
            .is_some_and(|p| p.len() > MAX_TOPIC_NAME)
        {
            return Err(SessionError::PresetName {
                max: MAX_TOPIC_NAME,
            });
        }
        if self.actions.len() > MAX_ACTIONS {
            return Err(SessionError::TooManyActions {
                count: self.actions.len(),
                max: MAX_ACTIONS,
            });
        }
        if self.ticks > MAX_TICKS {
            return Err(SessionError::TooManyTicks {
                ticks: self.ticks,
                max: MAX_TICKS,
            });
        }
        Ok(())
    }
}

/// Checks a topic an action creates against the topics so far, then adds it to them.
fn add_created_topic<'a>(
    topics: &mut Vec<&'a Setup>,
    setup: &'a Setup,
) -> Result<(), SessionError> {
    check_setup(topics.len(), setup)?;
    if topics.iter().any(|t| t.name == setup.name) {
        return Err(SessionError::DuplicateTopic {
            name: setup.name.clone(),
        });
    }
    if topics.len() >= MAX_TOPICS {
        return Err(SessionError::TopicCount {
            count: topics.len() + 1,
            max: MAX_TOPICS,
        });
    }
    topics.push(setup);
    Ok(())
}

/// Checks an action other than a topic's creation, logged at `tick` when `topics` exist.
fn check_action(topics: &[&Setup], tick: u64, action: &Action) -> Result<(), ActionError> {
    let known = |topic: &str| -> Result<&Setup, ActionError> {
        topics
            .iter()
            .copied()
            .find(|t| t.name == topic)
            .ok_or_else(|| ActionError::UnknownTopic {
                topic: topic.to_string(),
                tick,
            })
    };
    match action {
        Action::CreateTopic { .. } | Action::Command { .. } => Ok(()),
        Action::Schedule { at, .. } if *at > MAX_TICKS => Err(ActionError::ScheduledTooLate {
            at: *at,
            max: MAX_TICKS,
        }),
        Action::Schedule { .. } => Ok(()),
        Action::Publish { topic, event } => {
            let setup = known(topic)?;
            check_event_fields(event)?;
            if setup.keyed && setup.key_field.key_of(event).is_empty() {
                return Err(ActionError::EmptyKey {
                    field: setup.key_field.label(),
                });
            }
            Ok(())
        }
        Action::Burst {
            topic,
            count,
            generator,
        } => {
            known(topic)?;
            generator.check(*count)
        }
        Action::SetGenerator { topic, generator } => {
            known(topic)?;
            generator
                .as_ref()
                .map_or(Ok(()), |g| g.check(g.orders_per_tick))
        }
    }
}

/// Checks that an event's fields (its key and value) stay within [`MAX_FIELD_CHARS`].
pub fn check_event_fields(event: &orderflow_engine::log::OrderEvent) -> Result<(), ActionError> {
    for (field, text) in [
        ("user id", &event.user_id),
        ("order id", &event.order_id),
        ("status", &event.status),
    ] {
        let length = text.chars().count();
        if length > MAX_FIELD_CHARS {
            return Err(ActionError::FieldTooLong {
                field,
                length,
                max: MAX_FIELD_CHARS,
            });
        }
    }
    Ok(())
}
