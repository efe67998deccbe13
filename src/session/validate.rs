//! The bounds an untrusted session (a link, a file, localStorage) must respect before it
//! replays: a known format, a scenario of 1 to [`MAX_TOPICS`] well-formed topics (none for a
//! saga scenario, whose saga creates its own), a saga the engine accepts, at most
//! [`MAX_ACTIONS`] actions (with the scenario's parts) over at most [`MAX_TICKS`] ticks, in
//! tick order, each naming a topic that exists at its tick and asking for bounded work.

use super::{
    LoggedAction, Session, Setup, MAX_ACTIONS, MAX_FIELD_CHARS, MAX_ORDERS_PER_TICK, MAX_TICKS,
    MAX_TOPICS, MAX_TOPIC_NAME, SESSION_FORMAT,
};
use orderflow_engine::generator::{GeneratorError, KeySpace};
use orderflow_engine::log::OrderEvent;
use orderflow_engine::saga::command::SagaCommand;
use orderflow_engine::scenario::{ScenarioCommand, TopicSpec};
use orderflow_engine::sim::Command;
use orderflow_engine::topic::MAX_PARTITIONS;
use std::collections::BTreeSet;

/// Why a session cannot be loaded. The message is shown to people.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    #[error(
        "this session was written in format {found}; this playground reads formats 1 to {expected}"
    )]
    Format { found: u32, expected: u32 },
    #[error("this format-{format} session cannot be read: {reason}")]
    Old { format: u32, reason: String },
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
    #[error("the scenario's command {index} is invalid: {reason}")]
    InvalidCommand { index: usize, reason: ActionError },
    /// The scenario's saga would be refused by the engine (partitions, retry schedule,
    /// an order without lines...).
    #[error("the scenario's saga is invalid: {0}")]
    Saga(String),
    /// A saga command (logged or scheduled) in a scenario without a saga.
    #[error("command {index} is a saga command, and the scenario {name:?} has no saga")]
    NoSaga { index: usize, name: String },
    /// A logged order breaks the page's bounds (its ids, its lines).
    #[error("action {index} places an order the page cannot hold: {reason}")]
    InvalidOrder { index: usize, reason: String },
}

/// Most lines one order placed by hand may have.
pub const MAX_ORDER_LINES: usize = 100;

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
    #[error("a topic created here is refused: {0}")]
    Topic(Box<SessionError>),
}

/// Checks a generator's keys for `records` records (a burst's count or the rate per tick):
/// the engine's own check of the key space, and the page's bound on the prefix.
pub fn check_key_space(key_space: &KeySpace, records: u32) -> Result<(), ActionError> {
    key_space.check(records)?;
    if key_space.key_prefix.len() > MAX_TOPIC_NAME {
        return Err(ActionError::UserPrefix {
            max: MAX_TOPIC_NAME,
        });
    }
    Ok(())
}

/// Checks one topic (`index`: its place among the session's topics, for the message).
pub fn check_topic(index: usize, topic: &TopicSpec) -> Result<(), SessionError> {
    if topic.name.is_empty() || topic.name.len() > MAX_TOPIC_NAME {
        return Err(SessionError::TopicName {
            index,
            max: MAX_TOPIC_NAME,
        });
    }
    if !topic
        .name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(SessionError::TopicChars {
            name: topic.name.clone(),
        });
    }
    if topic.segment_records == Some(0) {
        return Err(SessionError::Segment);
    }
    if topic
        .retention
        .is_some_and(|r| r.records == Some(0) || r.ticks == Some(0))
    {
        return Err(SessionError::Retention);
    }
    if topic.partitions == 0 || topic.partitions > MAX_PARTITIONS {
        return Err(SessionError::Partitions {
            requested: topic.partitions,
            max: MAX_PARTITIONS,
        });
    }
    Ok(())
}

impl Session {
    /// Checks the bounds an untrusted session (link, file, storage) must respect.
    pub fn validate(&self) -> Result<(), SessionError> {
        if let Some(saga) = &self.scenario.saga {
            saga.validate()
                .map_err(|e| SessionError::Saga(e.to_string()))?;
        }
        self.check_header()?;
        let mut topics: Vec<&TopicSpec> = self.scenario.topics.iter().collect();
        for (index, timed) in self.scenario.commands.iter().enumerate() {
            // The scenario's commands act whatever the user did, on topics of any time.
            let reason = |reason| SessionError::InvalidCommand { index, reason };
            if timed.at.0 > MAX_TICKS {
                return Err(reason(ActionError::ScheduledTooLate {
                    at: timed.at.0,
                    max: MAX_TICKS,
                }));
            }
            match &timed.command {
                ScenarioCommand::Sim(command) => check_bounds(command).map_err(reason)?,
                ScenarioCommand::Saga(command) => self.check_saga_command(index, command)?,
            }
        }
        let mut previous = 0;
        for (index, LoggedAction { tick, command }) in self.actions.iter().enumerate() {
            let tick = *tick;
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
            match command {
                ScenarioCommand::Sim(Command::CreateTopic(topic)) => {
                    add_created_topic(&mut topics, topic)?
                }
                ScenarioCommand::Sim(command) => check_action(&topics, tick, command)
                    .map_err(|reason| SessionError::InvalidAction { index, reason })?,
                ScenarioCommand::Saga(command) => self.check_saga_command(index, command)?,
            }
        }
        Ok(())
    }

    /// A saga command needs a saga; an order placed by hand keeps its ids and lines within
    /// the page's bounds (the engine checks the rest when it runs).
    fn check_saga_command(&self, index: usize, command: &SagaCommand) -> Result<(), SessionError> {
        if self.scenario.saga.is_none() {
            return Err(SessionError::NoSaga {
                index,
                name: self.scenario.name.clone(),
            });
        }
        if let SagaCommand::PlaceOrder {
            order_id,
            customer_id,
            lines,
            currency,
        } = command
        {
            let too_long = |s: &str| s.chars().count() > MAX_FIELD_CHARS;
            let bad = if lines.len() > MAX_ORDER_LINES {
                Some(format!("{} lines, at most {MAX_ORDER_LINES}", lines.len()))
            } else if too_long(&order_id.0)
                || too_long(&customer_id.0)
                || currency.as_deref().is_some_and(too_long)
                || lines.iter().any(|l| too_long(&l.product_id.0))
            {
                Some(format!("an id longer than {MAX_FIELD_CHARS} characters"))
            } else {
                None
            };
            if let Some(reason) = bad {
                return Err(SessionError::InvalidOrder { index, reason });
            }
        }
        Ok(())
    }

    /// Checks everything but the commands: format, topics, names and the sizes.
    fn check_header(&self) -> Result<(), SessionError> {
        if self.format != SESSION_FORMAT {
            return Err(SessionError::Format {
                found: self.format,
                expected: SESSION_FORMAT,
            });
        }
        let topics = &self.scenario.topics;
        // A saga scenario's topics are the saga's own (it creates them).
        if (topics.is_empty() && self.scenario.saga.is_none()) || topics.len() > MAX_TOPICS {
            return Err(SessionError::TopicCount {
                count: topics.len(),
                max: MAX_TOPICS,
            });
        }
        let mut names = BTreeSet::new();
        for (index, topic) in topics.iter().enumerate() {
            check_topic(index, topic)?;
            if !names.insert(topic.name.as_str()) {
                return Err(SessionError::DuplicateTopic {
                    name: topic.name.clone(),
                });
            }
        }
        let names = [&self.preset, &self.selected_topic];
        if names
            .iter()
            .any(|n| n.as_ref().is_some_and(|n| n.len() > MAX_TOPIC_NAME))
            || self.scenario.name.len() > MAX_TOPIC_NAME
        {
            return Err(SessionError::PresetName {
                max: MAX_TOPIC_NAME,
            });
        }
        let saga_parts = self.scenario.saga.as_ref().map_or(0, |s| {
            s.orders.len() + s.resubmits.len() + s.config.initial_stock.len()
        });
        let parts = self.scenario.producers.len()
            + saga_parts
            + self.scenario.commands.len()
            + self
                .scenario
                .groups
                .iter()
                .map(|g| 1 + g.members.len())
                .sum::<usize>();
        let count = self.actions.len().saturating_add(parts);
        if count > MAX_ACTIONS {
            return Err(SessionError::TooManyActions {
                count,
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
    topics: &mut Vec<&'a TopicSpec>,
    topic: &'a TopicSpec,
) -> Result<(), SessionError> {
    check_topic(topics.len(), topic)?;
    if topics.iter().any(|t| t.name == topic.name) {
        return Err(SessionError::DuplicateTopic {
            name: topic.name.clone(),
        });
    }
    if topics.len() >= MAX_TOPICS {
        return Err(SessionError::TopicCount {
            count: topics.len() + 1,
            max: MAX_TOPICS,
        });
    }
    topics.push(topic);
    Ok(())
}

/// The topic a command publishes to, for the commands the page checks a topic of.
fn published_topic(command: &Command) -> Option<&str> {
    match command {
        Command::PublishOrder { topic, .. }
        | Command::Generate { topic, .. }
        | Command::SetGenerator { topic, .. } => Some(topic),
        _ => None,
    }
}

/// Checks an action other than a topic's creation, logged at `tick` when `topics` exist.
fn check_action(topics: &[&TopicSpec], tick: u64, command: &Command) -> Result<(), ActionError> {
    if let Some(topic) = published_topic(command) {
        let spec =
            topics
                .iter()
                .find(|t| t.name == topic)
                .ok_or_else(|| ActionError::UnknownTopic {
                    topic: topic.to_string(),
                    tick,
                })?;
        if let Command::PublishOrder { event, .. } = command {
            let setup = Setup::from(*spec);
            if setup.keyed && setup.key_field.key_of(event).is_empty() {
                return Err(ActionError::EmptyKey {
                    field: setup.key_field.label(),
                });
            }
        }
    }
    check_bounds(command)
}

/// Checks the work a command asks for and the size of what it publishes (a scenario's
/// commands and the user's alike).
fn check_bounds(command: &Command) -> Result<(), ActionError> {
    match command {
        Command::PublishOrder { event, .. } => check_event_fields(event),
        Command::Generate {
            count, key_space, ..
        } => check_key_space(key_space, *count),
        Command::SetGenerator {
            records_per_tick,
            key_space,
            ..
        } => {
            if *records_per_tick > MAX_ORDERS_PER_TICK {
                return Err(ActionError::OrdersPerTick {
                    orders_per_tick: *records_per_tick,
                    max: MAX_ORDERS_PER_TICK,
                });
            }
            check_key_space(key_space, *records_per_tick)
        }
        Command::CreateTopic(topic) => {
            check_topic(0, topic).map_err(|e| ActionError::Topic(Box::new(e)))
        }
        _ => Ok(()),
    }
}

/// Checks that an event's fields (its key and value) stay within [`MAX_FIELD_CHARS`].
pub fn check_event_fields(event: &OrderEvent) -> Result<(), ActionError> {
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
