//! Presets for the seed documents' streaming scenarios, as sessions (setup, seed, actions).
//!
//! The engine has no `presets()` yet; these are built from the same engine commands a user
//! would issue, so loading one is exactly replaying its actions.

use crate::playground::{
    Action, GeneratorConfig, KeyField, LoggedAction, Session, Setup, ORDERS_TOPIC,
};
use orderflow_engine::assignor::AssignmentStrategy;
use orderflow_engine::group::{CommitPolicy, GroupConfig};
use orderflow_engine::ids::MemberId;
use orderflow_engine::log::OrderEvent;
use orderflow_engine::sim::Command;

/// A named scenario.
pub struct Preset {
    pub name: &'static str,
    pub description: &'static str,
    pub session: Session,
}

fn at0(action: Action) -> LoggedAction {
    LoggedAction { tick: 0, action }
}

fn group(
    name: &str,
    consumers: u32,
    strategy: AssignmentStrategy,
    commit_policy: CommitPolicy,
) -> Vec<LoggedAction> {
    let mut config = GroupConfig::new(name, vec![ORDERS_TOPIC.to_string()]);
    config.strategy = strategy;
    config.commit_policy = commit_policy;
    let mut out = vec![at0(Action::Command {
        command: Command::CreateGroup { config },
    })];
    for c in 1..=consumers {
        out.push(at0(Action::Command {
            command: Command::JoinGroup {
                group: name.to_string(),
                member: MemberId(format!("c{c}")),
            },
        }));
    }
    out
}

fn session(partitions: u32, actions: Vec<LoggedAction>) -> Session {
    Session {
        setup: Setup {
            partitions,
            ..Setup::default()
        },
        actions,
        ..Session::default()
    }
}

/// Every preset, the default first.
pub fn presets() -> Vec<Preset> {
    let user_events: Vec<LoggedAction> = {
        let mut actions = group(
            "user-events-consumers",
            3,
            AssignmentStrategy::Range,
            CommitPolicy::AfterProcessing,
        );
        for (i, status) in ["Created", "Paid", "Shipped"].into_iter().enumerate() {
            for user in 1..=3 {
                actions.push(at0(Action::Publish {
                    event: OrderEvent {
                        user_id: format!("user-{user}"),
                        order_id: format!("O{}", user * 10 + i),
                        status: status.into(),
                    },
                }));
            }
        }
        actions
    };
    let semantics: Vec<LoggedAction> = [
        ("at-least-once", CommitPolicy::AfterProcessing),
        ("at-most-once", CommitPolicy::BeforeProcessing),
        (
            "auto-commit",
            CommitPolicy::AutoCommit { interval_ticks: 5 },
        ),
    ]
    .into_iter()
    .flat_map(|(name, policy)| group(name, 2, AssignmentStrategy::Range, policy))
    .chain([at0(Action::SetGenerator {
        generator: Some(GeneratorConfig {
            users: 20,
            orders_per_tick: 2,
            hot_key_percent: 0,
        }),
    })])
    .collect();
    vec![
        Preset {
            name: "Event Hubs order example",
            description: "4 partitions keyed by UserId; groups OrderProcessor, Notifier and Analytics on 2, 3 and 1 consumers.",
            session: Session::default(),
        },
        Preset {
            name: "user-events",
            description: "3 partitions, keys user-1..user-3: each user's events stay in order on one partition.",
            session: Session {
                setup: Setup {
                    partitions: 3,
                    key_field: KeyField::UserId,
                    ..Setup::default()
                },
                ..session(3, user_events)
            },
        },
        Preset {
            name: "Idle seventh consumer",
            description: "6 partitions, 7 consumers in one group: one consumer has nothing to own (max parallelism = partitions).",
            session: session(
                6,
                group(
                    "order-processors",
                    7,
                    AssignmentStrategy::Range,
                    CommitPolicy::AfterProcessing,
                ),
            ),
        },
        Preset {
            name: "Delivery semantics",
            description: "One topic, three groups: commit after processing (at-least-once), before processing (at-most-once), auto-commit. Kill a consumer in each and compare duplicates and lost records.",
            session: session(4, semantics),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::playground::Playground;

    #[test]
    fn every_preset_is_valid_and_replays_without_engine_errors() {
        for preset in presets() {
            preset.session.validate().unwrap();
            let mut pg = Playground::new(preset.session);
            for _ in 0..20 {
                pg.step();
            }
            assert_eq!(pg.replay_errors(), 0, "{}", preset.name);
        }
    }

    #[test]
    fn idle_seventh_consumer_has_one_idle_member() {
        let preset = presets().remove(2);
        let mut pg = Playground::new(preset.session);
        for _ in 0..10 {
            pg.step();
        }
        let snap = pg.group_snapshot("order-processors").unwrap();
        assert_eq!(snap.members.len(), 7);
        assert_eq!(
            snap.members.iter().filter(|m| m.owned.is_empty()).count(),
            1
        );
    }
}
