//! A scenario's commands: the simulation's ([`Command`]) and the saga's ([`SagaCommand`]) in
//! one list, each a JSON object with a `type` tag.
//!
//! The serde is written by hand: the tag says which shape a command has (the saga's tags
//! are [`SagaCommand::TYPES`], every other tag is the simulation's), and an error names the
//! command it is about. Neither `untagged` nor `flatten` is used, since both bury the
//! reason a command is refused under "did not match any variant".

use crate::command::Command;
use crate::saga::command::SagaCommand;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A command of a scenario at its tick.
pub type TimedCommand = crate::command::TimedCommand<ScenarioCommand>;

/// Something a scenario (or a person) asks a [`super::System`] to do.
#[derive(Clone, Debug, PartialEq)]
pub enum ScenarioCommand {
    /// A command to the streaming simulation.
    Sim(Command),
    /// A command to the running saga.
    Saga(SagaCommand),
}

impl From<Command> for ScenarioCommand {
    fn from(command: Command) -> Self {
        ScenarioCommand::Sim(command)
    }
}

impl From<SagaCommand> for ScenarioCommand {
    fn from(command: SagaCommand) -> Self {
        ScenarioCommand::Saga(command)
    }
}

impl ScenarioCommand {
    /// The simulation's command, if this is one (not a saga command).
    pub fn as_sim(&self) -> Option<&Command> {
        match self {
            ScenarioCommand::Sim(c) => Some(c),
            ScenarioCommand::Saga(_) => None,
        }
    }

    /// The command's `type` tag, e.g. `"kill_member"` or `"take_down"`.
    ///
    /// Read from the command's JSON text, whose writer every command has anyway (sessions
    /// are written as text), not from `serde_json::to_value`, which would be a second writer
    /// for every command type in the release wasm (BENCHMARKS.md, "The bundle").
    pub fn type_name(&self) -> String {
        let json = serde_json::to_string(self).unwrap_or_default();
        serde_json::from_str::<serde_json::Value>(&json)
            .ok()
            .and_then(|v| v.get("type")?.as_str().map(str::to_string))
            .unwrap_or_default()
    }
}

impl Serialize for ScenarioCommand {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            ScenarioCommand::Sim(c) => c.serialize(serializer),
            ScenarioCommand::Saga(c) => c.serialize(serializer),
        }
    }
}

impl<'de> Deserialize<'de> for ScenarioCommand {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        let Some(tag) = value.get("type").and_then(serde_json::Value::as_str) else {
            return Err(D::Error::custom(format!(
                "a command needs a \"type\" (one of the simulation's or {:?}): {value}",
                SagaCommand::TYPES
            )));
        };
        let tag = tag.to_string();
        if SagaCommand::TYPES.contains(&tag.as_str()) {
            SagaCommand::deserialize(value)
                .map(ScenarioCommand::Saga)
                .map_err(|e| D::Error::custom(format!("saga command {tag:?}: {e}")))
        } else {
            Command::deserialize(value)
                .map(ScenarioCommand::Sim)
                .map_err(|e| D::Error::custom(format!("command {tag:?}: {e}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::Tick;
    use crate::saga::projection::ProjectionKind;
    use crate::saga::services::ServiceName;

    fn parse(json: &str) -> Result<TimedCommand, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn the_tag_picks_the_shape_and_both_round_trip() {
        let sim =
            parse(r#"{"at": 4, "type": "kill_member", "group": "g", "member": "c1"}"#).unwrap();
        assert_eq!(sim.at, Tick(4));
        assert!(matches!(
            sim.command,
            ScenarioCommand::Sim(Command::KillMember { .. })
        ));
        let saga = parse(r#"{"at": 9, "type": "take_down", "service": "payment"}"#).unwrap();
        assert_eq!(
            saga.command,
            ScenarioCommand::Saga(SagaCommand::TakeDown {
                service: ServiceName::Payment
            })
        );
        for c in [sim, saga] {
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(parse(&json).unwrap(), c, "{json}");
        }
    }

    /// Every saga command's tag is in `TYPES` (or it would be read as a simulation command).
    #[test]
    fn every_saga_command_reads_back_as_a_saga_command() {
        let commands = [
            SagaCommand::PlaceOrder {
                order_id: crate::saga::message::OrderId("o".into()),
                customer_id: crate::saga::message::CustomerId("c".into()),
                lines: Vec::new(),
                currency: None,
            },
            SagaCommand::TakeDown {
                service: ServiceName::Order,
            },
            SagaCommand::BringUp {
                service: ServiceName::Order,
            },
            SagaCommand::ResubmitDeadLetters {
                topic: "payment-commands".into(),
            },
            SagaCommand::RebuildProjection {
                projection: ProjectionKind::ALL[0],
            },
            SagaCommand::InjectFault {
                rule: crate::saga::faults::FaultRule::next_calls(
                    crate::saga::services::CallTarget::Step(
                        crate::saga::orchestrator::SagaStep::ProcessPayment,
                    ),
                    crate::saga::faults::FaultEffect::Decline,
                    1,
                ),
            },
            SagaCommand::DisarmFaults {
                target: crate::saga::services::CallTarget::Compensation(
                    crate::saga::orchestrator::Compensation::RefundPayment,
                ),
            },
            SagaCommand::ResubmitDeadLetter {
                topic: "payment-commands".into(),
                partition: crate::ids::PartitionId(1),
                offset: crate::ids::Offset(3),
            },
            SagaCommand::SetFaultChance {
                target: crate::saga::services::CallTarget::Step(
                    crate::saga::orchestrator::SagaStep::ProcessPayment,
                ),
                effect: crate::saga::faults::FaultEffect::Decline,
                probability: 0.25,
            },
            SagaCommand::SetSlowdown {
                service: ServiceName::Payment,
                extra_ticks: 100,
            },
            SagaCommand::TakeSnapshot {
                order_id: crate::saga::message::OrderId("order-1".into()),
            },
            SagaCommand::SetOrderStream {
                orders_per_tick: 2,
                customers: 5,
            },
        ];
        assert_eq!(commands.len(), SagaCommand::TYPES.len());
        let mut names = Vec::new();
        for c in commands {
            let json = serde_json::to_string(&ScenarioCommand::Saga(c.clone())).unwrap();
            let back: ScenarioCommand = serde_json::from_str(&json).unwrap();
            assert_eq!(back, ScenarioCommand::Saga(c), "{json}");
            names.push(back.type_name());
        }
        names.sort();
        let mut types = SagaCommand::TYPES.to_vec();
        types.sort();
        assert_eq!(names, types, "type_name is each command's tag");
        let sim = ScenarioCommand::Sim(Command::ElectPreferredLeaders);
        assert_eq!(sim.type_name(), "elect_preferred_leaders");
    }

    #[test]
    fn inject_fault_reads_from_its_json_and_writes_it_back() {
        let json = r#"{"at":3,"type":"inject_fault","rule":{"target":{"kind":"step","name":"ProcessPayment"},"effect":"decline","trigger":{"trigger":"next_calls","count":1},"from_tick":0,"until_tick":null,"fired":0}}"#;
        let c = parse(json).unwrap();
        let ScenarioCommand::Saga(SagaCommand::InjectFault { rule }) = &c.command else {
            panic!("{c:?}");
        };
        assert_eq!(
            rule.target,
            crate::saga::services::CallTarget::Step(
                crate::saga::orchestrator::SagaStep::ProcessPayment
            )
        );
        assert_eq!(serde_json::to_string(&c).unwrap(), json);
        assert_eq!(c.command.type_name(), "inject_fault");
        let e = parse(r#"{"type": "inject_fault", "rule": {"effect": "decline"}}"#).unwrap_err();
        assert!(
            e.starts_with("saga command \"inject_fault\": missing field `target`"),
            "{e}"
        );
    }

    #[test]
    fn errors_name_the_bad_command() {
        let e = parse(r#"{"type": "take_down", "service": "paymnt"}"#).unwrap_err();
        assert!(
            e.starts_with("saga command \"take_down\": unknown variant `paymnt`"),
            "{e}"
        );
        let e = parse(r#"{"type": "kill_member", "group": "g"}"#).unwrap_err();
        assert!(
            e.starts_with("command \"kill_member\": missing field `member`"),
            "{e}"
        );
        let e = parse(r#"{"type": "explode"}"#).unwrap_err();
        assert!(
            e.starts_with("command \"explode\": unknown variant `explode`"),
            "{e}"
        );
        let e = parse(r#"{"at": 3}"#).unwrap_err();
        assert!(e.starts_with("a command needs a \"type\""), "{e}");
    }
}
