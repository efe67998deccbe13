//! The playground's presets, built from the engine's own streaming scenarios
//! ([`orderflow_engine::scenario::presets`], mirrored in `scenarios/*.json`), so the seed
//! documents' scenarios have one source of truth.
//!
//! A scenario becomes a [`Session`]: its topics become the session's topics, its producers
//! and groups become logged engine commands at tick 0, commands at tick 0 run at once and
//! later ones are logged as [`Action::Schedule`] (so acting before them keeps them).
//! Loading a preset is therefore a replay of actions like any session: the share link,
//! rewind and export work on it unchanged.
//!
//! One translation is not one-to-one and each preset says so in its description: the
//! engine's `generate` and `set_generator` commands become the playground's generator (same
//! topic, keys and rate, so the generator form shows them and "Stop generator" stops them),
//! which draws from its own seeded stream; the records are the same kind and as many, but not
//! the very ones `orderflow-cli run` prints.

use crate::session::{
    Action, GeneratorConfig, KeyField, LoggedAction, Session, Setup, SESSION_FORMAT,
};
use orderflow_engine::log::DEFAULT_SEGMENT_RECORDS;
use orderflow_engine::partitioner::UnkeyedStrategy;
use orderflow_engine::scenario::{presets as engine_presets, Scenario, ScenarioCommand, TopicSpec};
use orderflow_engine::sim::{Command, KeySpace};

/// A named scenario, ready to load.
#[derive(Clone, Debug, PartialEq)]
pub struct Preset {
    /// The engine scenario's name (`demo-topics`): the select's value and the JSON file name.
    pub id: String,
    /// The title shown to people.
    pub name: String,
    /// What the scenario shows, and what the playground does differently, if anything.
    pub description: String,
    pub session: Session,
}

/// The title of an engine scenario, for people (its name when it has no title).
pub fn title(id: &str) -> String {
    match id {
        "event-hubs-orders" => "Event Hubs order example",
        "user-events" => "user-events",
        "demo-topics" => "The five demo topics",
        "idle-seventh-consumer" => "Idle seventh consumer",
        "delivery-semantics" => "Delivery semantics",
        "eager-vs-cooperative" => "Eager vs cooperative",
        "producer-retries" => "Producer retries",
        other => other,
    }
    .to_string()
}

fn at(tick: u64, action: Action) -> LoggedAction {
    LoggedAction { tick, action }
}

/// The generator settings for the engine's generator commands: `keys` users named
/// `{key_prefix}1..`, `records_per_tick` events per tick.
fn generator(key_prefix: &str, keys: u32, records_per_tick: u32) -> GeneratorConfig {
    GeneratorConfig {
        users: keys,
        orders_per_tick: records_per_tick,
        hot_key_percent: 0,
        user_prefix: key_prefix.to_string(),
    }
}

/// A session that replays `scenario`, and notes on what the playground does differently.
pub fn session_from_scenario(scenario: &Scenario) -> (Session, Vec<String>) {
    let mut notes = Vec::new();
    let mut actions = members_and_producers(scenario, &mut notes);
    let mut generated = false;
    for c in &scenario.commands {
        // The streaming presets have no saga, so no saga commands.
        let ScenarioCommand::Sim(command) = &c.command else {
            continue;
        };
        let (action, from_generator) = command_action(command, c.at.0, &mut notes);
        generated |= from_generator;
        actions.push(at(0, action));
    }
    if generated {
        notes.push(
            "Events come from the playground's generator (same topics, keys and rates as the engine scenario, its own random stream), so the records differ from `orderflow-cli run`."
                .to_string(),
        );
    }
    if let Some(ticks) = scenario.ticks {
        notes.push(format!(
            "Press Play: the scenario's story takes about {ticks} ticks."
        ));
    }
    let session = Session {
        format: SESSION_FORMAT,
        topics: scenario.topics.iter().map(setup_of).collect(),
        seed: scenario.seed,
        ticks: 0,
        actions,
        preset: Some(scenario.name.clone()),
    };
    (session, notes)
}

/// A scenario's topic as the playground sets it up.
fn setup_of(t: &TopicSpec) -> Setup {
    Setup {
        name: t.name.clone(),
        partitions: t.partitions,
        partitioner: t.partitioner,
        // The engine's generators key records by user id.
        keyed: true,
        key_field: KeyField::UserId,
        unkeyed: t.unkeyed.unwrap_or(UnkeyedStrategy::RoundRobin),
        segment_records: t.segment_records.unwrap_or(DEFAULT_SEGMENT_RECORDS),
        retention_records: t.retention.and_then(|r| r.records),
        retention_ticks: t.retention.and_then(|r| r.ticks),
    }
}

/// The scenario's producers, then its groups with their members, as engine commands at
/// tick 0.
fn members_and_producers(scenario: &Scenario, notes: &mut Vec<String>) -> Vec<LoggedAction> {
    let command = |command| at(0, Action::Command { command });
    let mut actions: Vec<LoggedAction> = scenario
        .producers
        .iter()
        .map(|p| command(Command::CreateProducer { config: p.clone() }))
        .collect();
    for g in &scenario.groups {
        actions.push(command(Command::CreateGroup {
            config: g.config.clone(),
        }));
        actions.extend(g.members.iter().map(|m| {
            command(Command::JoinGroup {
                group: g.config.name.clone(),
                member: m.clone(),
            })
        }));
    }
    if !scenario.producers.is_empty() {
        notes.push(
            "The Producers panel shows each producer's settings and counters: press “Lose next ack”, then send through it, and find the retry's copy marked “duplicate of offset N” in its partition (or dropped, for an idempotent producer)."
                .to_string(),
        );
    }
    actions
}

/// The playground action for a scenario command at tick `tick`, and whether it became the
/// playground's generator. At tick 0 the engine's generator commands become the
/// playground's burst or generator and other commands run at once; later commands are
/// scheduled.
fn command_action(command: &Command, tick: u64, notes: &mut Vec<String>) -> (Action, bool) {
    match (command, tick) {
        (
            Command::Generate {
                topic,
                count,
                key_space: KeySpace {
                    key_prefix, keys, ..
                },
            },
            0,
        ) => {
            let burst = Action::Burst {
                topic: topic.clone(),
                count: *count,
                generator: generator(
                    key_prefix,
                    *keys,
                    GeneratorConfig::default().orders_per_tick,
                ),
            };
            (burst, true)
        }
        (
            Command::SetGenerator {
                topic,
                records_per_tick,
                key_space: KeySpace {
                    key_prefix, keys, ..
                },
            },
            0,
        ) => {
            let set = Action::SetGenerator {
                topic: topic.clone(),
                generator: (*records_per_tick > 0)
                    .then(|| generator(key_prefix, *keys, *records_per_tick)),
            };
            (set, true)
        }
        (command, 0) => (
            Action::Command {
                command: command.clone(),
            },
            false,
        ),
        (command, at) => {
            if matches!(command, Command::SetGenerator { .. }) {
                notes.push(format!(
                    "The engine's own generator starts at tick {at}; the generator form does not show it."
                ));
            }
            let scheduled = Action::Schedule {
                at,
                command: command.clone(),
            };
            (scheduled, false)
        }
    }
}

/// Every preset, the Event Hubs order example first: one per engine streaming scenario.
pub fn presets() -> Vec<Preset> {
    engine_presets()
        .iter()
        .map(|scenario| {
            let (session, notes) = session_from_scenario(scenario);
            let description = std::iter::once(scenario.description.replace('`', ""))
                .chain(notes)
                .collect::<Vec<_>>()
                .join(" ");
            Preset {
                id: scenario.name.clone(),
                name: title(&scenario.name),
                description,
                session,
            }
        })
        .collect()
}

/// The preset named `id` (the engine scenario's name).
pub fn preset(id: &str) -> Option<Preset> {
    presets().into_iter().find(|p| p.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::playground::Playground;
    use orderflow_engine::group::MemberStatus;

    fn run(id: &str, ticks: u64) -> Playground {
        let mut pg = Playground::new(preset(id).unwrap().session);
        for _ in 0..ticks {
            pg.step();
        }
        pg
    }

    #[test]
    fn every_engine_streaming_scenario_is_a_preset_and_the_event_hubs_example_comes_first() {
        let ids: Vec<String> = presets().into_iter().map(|p| p.id).collect();
        let engine: Vec<String> = engine_presets().into_iter().map(|s| s.name).collect();
        assert_eq!(ids, engine);
        assert_eq!(ids[0], "event-hubs-orders");
        for id in [
            "user-events",
            "demo-topics",
            "idle-seventh-consumer",
            "delivery-semantics",
            "eager-vs-cooperative",
            "producer-retries",
        ] {
            assert!(ids.iter().any(|i| i == id), "{id} missing");
        }
    }

    #[test]
    fn every_preset_is_valid_replays_without_engine_errors_and_round_trips_as_a_link() {
        for preset in presets() {
            preset.session.validate().unwrap();
            let mut pg = Playground::new(preset.session.clone());
            for _ in 0..preset.session.actions.len().min(5) {
                pg.step();
            }
            for _ in 0..60 {
                pg.step();
            }
            assert_eq!(pg.replay_errors(), 0, "{}", preset.id);
            let link = crate::share::encode(pg.session());
            assert_eq!(&crate::share::decode(&link).unwrap(), pg.session());
        }
    }

    #[test]
    fn five_demo_topics_have_the_seed_documents_partition_counts() {
        let pg = Playground::new(preset("demo-topics").unwrap().session);
        let counts: Vec<(String, u32)> = pg
            .topic_names()
            .into_iter()
            .map(|t| {
                let n = pg.partition_count(&t);
                (t, n)
            })
            .collect();
        assert_eq!(
            counts,
            [
                ("user-events".to_string(), 3),
                ("orders".to_string(), 3),
                ("payments".to_string(), 5),
                ("notifications".to_string(), 1),
                ("order-processing.DLQ".to_string(), 3),
            ]
        );
        // The bursts of the scenario landed in their own topics at tick 0.
        assert_eq!(pg.topic_records("user-events"), 12);
        assert_eq!(pg.topic_records("payments"), 15);
        assert_eq!(pg.topic_records("notifications"), 5);
        assert_eq!(pg.topic_records("order-processing.DLQ"), 0);
        // The generator on orders shows its scenario settings and runs.
        let g = pg.generator_settings("orders");
        assert_eq!(
            (g.users, g.orders_per_tick, g.user_prefix.as_str()),
            (20, 1, "order-")
        );
        assert!(pg.running_generator("orders").is_some());
    }

    #[test]
    fn a_demo_topics_group_owns_only_partitions_of_its_topic() {
        let pg = run("demo-topics", 10);
        let snapshot = pg.group_snapshot("order-processing").unwrap();
        let owned: Vec<String> = snapshot
            .members
            .iter()
            .flat_map(|m| m.owned.iter().map(|tp| tp.topic.clone()))
            .collect();
        assert_eq!(owned.len(), 3);
        assert!(owned.iter().all(|t| t == "orders"), "{owned:?}");
    }

    #[test]
    fn idle_seventh_consumer_joins_at_tick_thirty_and_sits_idle() {
        let pg = run("idle-seventh-consumer", 29);
        assert_eq!(pg.group_snapshot("B").unwrap().members.len(), 6);
        let pg = run("idle-seventh-consumer", 45);
        let b = pg.group_snapshot("B").unwrap();
        assert_eq!(b.members.len(), 7);
        let idle: Vec<&str> = b
            .members
            .iter()
            .filter(|m| m.owned.is_empty())
            .map(|m| m.id.0.as_str())
            .collect();
        assert_eq!(idle.len(), 1, "{idle:?}");
    }

    #[test]
    fn scheduled_scenario_events_survive_acting_before_them() {
        // The Event Hubs example kills OrderProcessor vm2 at tick 60; publishing at tick 5
        // must not drop that scripted event.
        let mut pg = run("event-hubs-orders", 5);
        pg.publish_to(
            "orders",
            orderflow_engine::log::OrderEvent {
                user_id: "U123".into(),
                order_id: "O1".into(),
                status: "Created".into(),
            },
        );
        for _ in 5..61 {
            pg.step();
        }
        let op = pg.group_snapshot("OrderProcessor").unwrap();
        let vm2 = op.members.iter().find(|m| m.id.0 == "vm2").unwrap();
        assert!(
            matches!(vm2.status, MemberStatus::Dead { .. }),
            "{:?}",
            vm2.status
        );
    }

    #[test]
    fn eager_group_pauses_while_the_cooperative_group_keeps_consuming() {
        let pg = run("eager-vs-cooperative", 20);
        assert_eq!(pg.group_snapshot("eager").unwrap().members.len(), 2);
        let pg = run("eager-vs-cooperative", 50);
        for g in ["eager", "cooperative"] {
            let s = pg.group_snapshot(g).unwrap();
            assert_eq!(s.members.len(), 3, "{g}");
            assert!(s.members.iter().all(|m| !m.owned.is_empty()), "{g}: {s:?}");
        }
    }

    /// One partition's records as `(offset, key, order id)`, with its topic and number.
    type PartitionRecords = (String, u32, Vec<(u64, String, String)>);

    /// Every record of every topic (without the view-only replay epoch).
    fn fingerprint(pg: &Playground) -> Vec<PartitionRecords> {
        let mut out = Vec::new();
        for topic in pg.topic_names() {
            for p in 0..pg.partition_count(&topic) {
                let rows = pg
                    .rows(&topic, p, 0, u64::MAX)
                    .into_iter()
                    .map(|r| (r.offset, r.key, r.order_id))
                    .collect();
                out.push((topic.clone(), p, rows));
            }
        }
        out
    }

    #[test]
    fn a_multi_topic_run_replays_to_the_same_records_and_groups() {
        let mut pg = run("demo-topics", 12);
        pg.publish_to(
            "payments",
            orderflow_engine::log::OrderEvent {
                user_id: "U5".into(),
                order_id: "O5".into(),
                status: "Paid".into(),
            },
        );
        pg.act(Action::Burst {
            topic: "notifications".into(),
            count: 300,
            generator: GeneratorConfig::default(),
        });
        for _ in 0..20 {
            pg.step();
        }
        let replayed = Playground::new(pg.session().clone());
        assert_eq!(fingerprint(&replayed), fingerprint(&pg));
        assert_eq!(
            replayed.group_snapshot("order-processing"),
            pg.group_snapshot("order-processing")
        );
        assert_eq!(replayed.now(), 32);
    }

    #[test]
    fn what_the_playground_does_differently_is_said_in_the_description() {
        let retries = preset("producer-retries").unwrap();
        assert!(retries.description.contains("The Producers panel shows"));
        assert!(!retries.description.contains("no panel"));
        let demo = preset("demo-topics").unwrap();
        assert!(demo.description.contains("playground's generator"));
        assert!(!demo.description.contains("Producers panel"));
    }

    #[test]
    fn producer_retries_duplicate_only_without_idempotence() {
        let pg = run("producer-retries", 30);
        assert_eq!(pg.topic_records("orders-idempotent"), 20);
        assert!(
            pg.topic_records("orders-plain") > 20,
            "lost acks make duplicates: {}",
            pg.topic_records("orders-plain")
        );
        // The Producers panel's data: every extra record of orders-plain is a marked
        // duplicate of plain's, and the idempotent producer dropped its retries instead.
        let extra = pg.topic_records("orders-plain") - 20;
        let duplicates = pg.producer_duplicates();
        assert_eq!(duplicates.len() as u64, extra);
        assert!(duplicates.iter().all(|(t, ..)| t == "orders-plain"));
        let producers = pg.producers();
        let names: Vec<&str> = producers.iter().map(|p| p.config.name.as_str()).collect();
        assert_eq!(names, ["idempotent", "plain"]);
        assert_eq!(producers[1].duplicates_appended, extra);
        assert_eq!(producers[0].duplicates_appended, 0);
        assert!(producers[0].counters.duplicates_dropped > 0);
        // A marked row really is a second copy: same key and order id as its first copy.
        let (topic, partition, offset, original) = duplicates[0].clone();
        let rows = pg.rows(&topic, partition, 0, u64::MAX);
        let find = |o: u64| rows.iter().find(|r| r.offset == o).unwrap();
        assert_eq!(find(offset).duplicate_of, Some(original));
        assert_eq!(
            (&find(offset).key, &find(offset).order_id),
            (&find(original).key, &find(original).order_id)
        );
    }
}
