//! Sessions of formats 1 and 2, the page's own schema before a session was an engine
//! scenario, turned into format 3 on load, so old share links, exported files and saved
//! sessions still open (`tests/fixtures/sessions/` holds real ones).
//!
//! - Format 1 had one `setup` (the topic `orders`) and no topic on its actions.
//! - Format 2 had a list of `topics` ([`Setup`]) and the page's actions: `publish`, `burst`
//!   and `set_generator` (with [`GeneratorConfig`]), `command`, `schedule` and
//!   `create_topic`.
//!
//! Each becomes what the page logs today: the topics become the scenario's, a publish the
//! engine's `publish_order`, a burst its `generate`, a generator its `set_generator`, a
//! scheduled command a timed command of the scenario. Bursts and generators now draw from
//! the engine's generator, so an old run has as many records as it had, not the very ones.

use super::{
    GeneratorConfig, LoggedAction, Session, SessionError, Setup, ORDERS_TOPIC, SESSION_FORMAT,
};
use orderflow_engine::ids::Tick;
use orderflow_engine::log::OrderEvent;
use orderflow_engine::scenario::{Scenario, TimedCommand};
use orderflow_engine::sim::Command;
use orderflow_engine::wire::MissingField;
use serde::Deserialize;
use serde_json::Value;

/// Something the user did, as format 2 logged it (format 1: without `topic`, which then
/// was `orders`).
enum Action {
    Publish {
        topic: String,
        event: OrderEvent,
    },
    Burst {
        topic: String,
        count: u32,
        generator: GeneratorConfig,
    },
    SetGenerator {
        topic: String,
        generator: Option<GeneratorConfig>,
    },
    // The commands are kept as JSON until the action is known, then read as commands, so
    // the command reader is the one sessions of today use (from a `Value`), not a second one.
    Command {
        command: Value,
    },
    Schedule {
        at: u64,
        command: Value,
    },
    CreateTopic {
        setup: Setup,
    },
}

/// An action's `type`.
#[derive(Clone, Copy, Debug)]
enum Tag {
    Publish,
    Burst,
    SetGenerator,
    Command,
    Schedule,
    CreateTopic,
}

orderflow_engine::unit_enum_reader!(Tag {
    "publish" => Publish,
    "burst" => Burst,
    "set_generator" => SetGenerator,
    "command" => Command,
    "schedule" => Schedule,
    "create_topic" => CreateTopic,
});

/// A logged action as read: its tick and every field any action has, which of them are
/// needed depending on `type` (one flat struct, as the engine reads its tagged enums:
/// serde's derived reader for a tagged enum buffers the map and reads it once per variant).
#[derive(Deserialize)]
struct Logged {
    tick: u64,
    #[serde(rename = "type")]
    tag: Tag,
    topic: Option<String>,
    event: Option<OrderEvent>,
    count: Option<u32>,
    generator: Option<GeneratorConfig>,
    command: Option<Value>,
    at: Option<u64>,
    setup: Option<Setup>,
}

/// `value`, or the error naming the field the action of type `tag` needs.
fn need<T>(value: Option<T>, field: &'static str, tag: Tag) -> Result<T, MissingField> {
    value.ok_or_else(|| MissingField {
        field,
        variant: format!("{tag:?}"),
    })
}

impl Logged {
    /// The action its `type` says, with the fields that action needs.
    fn action(self) -> Result<Action, MissingField> {
        let tag = self.tag;
        let topic = self.topic.unwrap_or_else(|| ORDERS_TOPIC.to_string());
        Ok(match tag {
            Tag::Publish => Action::Publish {
                topic,
                event: need(self.event, "event", tag)?,
            },
            Tag::Burst => Action::Burst {
                topic,
                count: need(self.count, "count", tag)?,
                generator: need(self.generator, "generator", tag)?,
            },
            Tag::SetGenerator => Action::SetGenerator {
                topic,
                generator: self.generator,
            },
            Tag::Command => Action::Command {
                command: need(self.command, "command", tag)?,
            },
            Tag::Schedule => Action::Schedule {
                at: need(self.at, "at", tag)?,
                command: need(self.command, "command", tag)?,
            },
            Tag::CreateTopic => Action::CreateTopic {
                setup: need(self.setup, "setup", tag)?,
            },
        })
    }
}

/// Why a format-2 session's actions do not upgrade.
#[derive(Debug, thiserror::Error)]
enum UpgradeError {
    /// An action lacks a field its type needs.
    #[error(transparent)]
    Missing(#[from] MissingField),
    /// A logged command does not read as a command.
    #[error("command: {0}")]
    Command(#[from] serde_json::Error),
}

/// A format-2 session.
#[derive(Deserialize)]
struct Format2 {
    topics: Vec<Setup>,
    seed: u64,
    ticks: u64,
    actions: Vec<Logged>,
    #[serde(default)]
    preset: Option<String>,
}

/// Upgrades a parsed session of an older format this build knows: `Some` with the session
/// of the current format it becomes (`value` is taken). `None` when `value` is to be read as
/// it is: a session of the current format, or no session at all (left for deserialising to
/// explain). The upgraded session is returned as it is, not written back into `value`, so
/// no session is ever written to a JSON value (which would need a second writer for it).
pub fn migrate(value: &mut Value) -> Result<Option<Session>, SessionError> {
    let Some(object) = value.as_object_mut() else {
        return Ok(None);
    };
    let found = object.get("format").and_then(Value::as_u64).unwrap_or(0);
    if found == u64::from(SESSION_FORMAT) {
        return Ok(None);
    }
    if found == 1 {
        // Format 1 is format 2 with one topic: its actions' missing topic is `orders`.
        let setup = object
            .remove("setup")
            .unwrap_or_else(|| serde_json::json!({}));
        object.insert("topics".into(), Value::Array(vec![setup]));
    } else if found != 2 {
        return Err(SessionError::Format {
            found: u32::try_from(found).unwrap_or(u32::MAX),
            expected: SESSION_FORMAT,
        });
    }
    let old: Format2 = serde_json::from_value(value.take()).map_err(|e| SessionError::Old {
        format: found as u32,
        reason: e.to_string(),
    })?;
    let session = upgrade(old).map_err(|e| SessionError::Old {
        format: found as u32,
        reason: e.to_string(),
    })?;
    Ok(Some(session))
}

/// The format-3 session of a format-2 one (an error when an action or its command does
/// not read).
fn upgrade(old: Format2) -> Result<Session, UpgradeError> {
    let mut commands = Vec::new();
    let mut actions = Vec::new();
    for logged in old.actions {
        let tick = logged.tick;
        let command = match logged.action()? {
            Action::Publish { topic, event } => Command::PublishOrder { topic, event },
            Action::Burst {
                topic,
                count,
                generator,
            } => generator.generate_command(&topic, count),
            Action::SetGenerator { topic, generator } => {
                GeneratorConfig::set_command(&topic, generator.as_ref())
            }
            Action::Command { command } => Command::deserialize(command)?,
            Action::CreateTopic { setup } => Command::CreateTopic(setup.topic_spec()),
            Action::Schedule { at, command } => {
                commands.push(TimedCommand {
                    at: Tick(at.max(tick)),
                    command: Command::deserialize(command)?.into(),
                });
                continue;
            }
        };
        actions.push(LoggedAction {
            tick,
            command: command.into(),
        });
    }
    let scenario = Scenario {
        name: old.preset.clone().unwrap_or_else(|| "playground".into()),
        description: String::new(),
        seed: old.seed,
        ticks: None,
        topics: old.topics.iter().map(Setup::topic_spec).collect(),
        producers: Vec::new(),
        groups: Vec::new(),
        commands,
        saga: None,
        cluster: Default::default(),
    };
    Ok(Session {
        ticks: old.ticks,
        actions,
        preset: old.preset,
        ..Session::of_scenario(scenario)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_format_2_session_becomes_a_scenario_and_engine_commands() {
        let old = r#"{"format":2,"topics":[{"name":"orders","partitions":4,"partitioner":"murmur2","keyed":true,"key_field":"order_id"},{"name":"logs","partitions":2,"partitioner":"murmur2","keyed":false,"key_field":"user_id","unkeyed":"round-robin"}],"seed":7,"ticks":9,"preset":"demo-topics","actions":[
            {"tick":0,"type":"schedule","at":5,"command":{"type":"join_group","group":"g","member":"c2"}},
            {"tick":0,"type":"command","command":{"type":"create_group","config":{"name":"g","topics":["orders"]}}},
            {"tick":1,"type":"publish","topic":"orders","event":{"user_id":"U1","order_id":"O1","status":"Created"}},
            {"tick":2,"type":"burst","topic":"logs","count":50,"generator":{"users":5,"orders_per_tick":2,"hot_key_percent":30,"user_prefix":"u-"}},
            {"tick":3,"type":"set_generator","topic":"orders","generator":{"users":9,"orders_per_tick":4,"hot_key_percent":0}},
            {"tick":4,"type":"set_generator","topic":"orders","generator":null},
            {"tick":6,"type":"create_topic","setup":{"name":"refunds","partitions":3,"partitioner":"crc32","keyed":true,"key_field":"user_id"}}]}"#;
        let mut value: Value = serde_json::from_str(old).unwrap();
        let session = migrate(&mut value).unwrap().unwrap();
        let json = serde_json::to_value(&session).unwrap();
        assert_eq!(serde_json::from_value::<Session>(json).unwrap(), session);
        assert_eq!(session.format, SESSION_FORMAT);
        assert_eq!((session.seed(), session.ticks), (7, 9));
        assert_eq!(session.preset.as_deref(), Some("demo-topics"));
        let topics: Vec<Setup> = session.topics().iter().map(Setup::from).collect();
        assert_eq!(topics[0].key_field, super::super::KeyField::OrderId);
        assert!(!topics[1].keyed);
        assert_eq!(session.scenario.commands.len(), 1);
        assert_eq!(session.scenario.commands[0].at, Tick(5));
        let types: Vec<String> = session
            .actions
            .iter()
            .map(|a| {
                serde_json::to_value(&a.command).unwrap()["type"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(
            types,
            [
                "create_group",
                "publish_order",
                "generate",
                "set_generator",
                "set_generator",
                "create_topic"
            ]
        );
        let Command::Generate {
            count, key_space, ..
        } = session.actions[2].command.as_sim().unwrap()
        else {
            unreachable!()
        };
        assert_eq!(
            (
                *count,
                key_space.keys,
                key_space.hot_key_percent,
                key_space.key_prefix.as_str()
            ),
            (50, 5, 30, "u-")
        );
        assert!(matches!(
            session.actions[4].command.as_sim(),
            Some(Command::SetGenerator {
                records_per_tick: 0,
                ..
            })
        ));
        session.validate().unwrap();
    }

    #[test]
    fn an_old_action_without_a_field_its_type_needs_is_an_error_naming_it() {
        for (action, field) in [
            (r#"{"tick":1,"type":"publish"}"#, "event"),
            (r#"{"tick":1,"type":"burst","count":5}"#, "generator"),
            (
                r#"{"tick":1,"type":"schedule","command":{"type":"elect_preferred_leaders"}}"#,
                "at",
            ),
            (
                r#"{"tick":1,"type":"command","command":{"type":"kill_broker"}}"#,
                "broker",
            ),
            (r#"{"tick":1,"type":"teleport"}"#, "teleport"),
        ] {
            let old =
                format!(r#"{{"format":2,"topics":[],"seed":1,"ticks":2,"actions":[{action}]}}"#);
            let mut value: Value = serde_json::from_str(&old).unwrap();
            let err = migrate(&mut value).unwrap_err().to_string();
            assert!(err.contains(field), "{action}: {err}");
        }
    }

    #[test]
    fn an_unreadable_old_session_says_which_format_it_was() {
        let mut value: Value =
            serde_json::from_str(r#"{"format":2,"topics":"many","seed":1,"ticks":0,"actions":[]}"#)
                .unwrap();
        let err = migrate(&mut value).unwrap_err();
        assert!(matches!(err, SessionError::Old { format: 2, .. }), "{err}");
    }
}
