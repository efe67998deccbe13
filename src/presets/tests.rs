//! The presets in the page: every engine scenario, valid, replayed without errors, and the
//! very records the CLI prints for the same ticks.

use super::*;
use crate::playground::Playground;
use orderflow_engine::group::MemberStatus;
use orderflow_engine::ids::Tick;
use orderflow_engine::log::{OrderEvent, Payload};
use orderflow_engine::sim::{Command, Sim};

fn run(id: &str, ticks: u64) -> Playground {
    let mut pg = Playground::new(preset(id).unwrap().session);
    for _ in 0..ticks {
        pg.step();
    }
    pg
}

fn event(user: &str, order: &str, status: &str) -> OrderEvent {
    OrderEvent {
        user_id: user.into(),
        order_id: order.into(),
        status: status.into(),
    }
}

#[test]
fn every_engine_scenario_is_a_preset_sagas_last_and_the_event_hubs_example_comes_first() {
    let all = presets();
    let ids: Vec<String> = all.iter().map(|p| p.id.clone()).collect();
    let engine: Vec<String> = engine_presets()
        .into_iter()
        .chain(orderflow_engine::scenario::cluster_presets())
        .chain(orderflow_engine::scenario::saga_presets())
        .map(|s| s.name)
        .collect();
    assert_eq!(ids, engine);
    let sagas = all.iter().filter(|p| p.saga).count();
    assert_eq!(sagas, orderflow_engine::scenario::saga_presets().len());
    assert!(all.iter().skip(all.len() - sagas).all(|p| p.saga));
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
        for _ in 0..65 {
            pg.step();
        }
        assert_eq!(pg.replay_errors(), 0, "{}", preset.id);
        let link = crate::share::encode(pg.session());
        assert_eq!(&crate::share::decode(&link).unwrap(), pg.session());
    }
}

/// Every record of every topic of a simulation: topic, partition, offset, key and value.
fn records(sim: &Sim) -> Vec<(String, u32, u64, Option<String>, Payload)> {
    let mut out = Vec::new();
    for topic in sim.topics() {
        for (p, log) in topic.partitions().iter().enumerate() {
            for r in log.records() {
                out.push((
                    topic.name().to_string(),
                    p as u32,
                    r.offset().0,
                    r.key().map(str::to_owned),
                    r.value().into_owned(),
                ));
            }
        }
    }
    out
}

#[test]
fn a_preset_in_the_page_has_the_records_the_cli_prints_for_the_same_ticks() {
    const TICKS: u64 = 70;
    for scenario in engine_presets() {
        // The page: the preset loaded, then Play for TICKS ticks.
        let pg = run(&scenario.name, TICKS);
        // The CLI's path (`orderflow-cli run`): the scenario built and stepped.
        let mut cli = Sim::from_scenario(&scenario).unwrap();
        cli.run_until(Tick(TICKS));
        let (page, printed) = (records(pg.sim()), records(&cli));
        assert!(!printed.is_empty(), "{} has no records", scenario.name);
        assert_eq!(page, printed, "{}", scenario.name);
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
        .flat_map(|m| m.owned.iter().map(|tp| tp.topic.to_string()))
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
    pg.publish_to("orders", event("U123", "O1", "Created"));
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
    pg.publish_to("payments", event("U5", "O5", "Paid"));
    pg.act(crate::session::GeneratorConfig::default().generate_command("notifications", 300));
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
fn the_description_says_how_to_see_the_scenario_in_the_page() {
    let retries = preset("producer-retries").unwrap();
    assert!(retries.description.contains("The Producers panel shows"));
    let demo = preset("demo-topics").unwrap();
    assert!(!demo.description.contains("Producers panel"));
    assert!(!demo.description.contains('`'));
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

#[test]
fn a_preset_run_is_the_scenario_plus_the_commands_the_user_gave() {
    let mut pg = run("user-events", 3);
    pg.publish_to("user-events", event("U1", "O1", "Created"));
    let session = pg.session();
    let scenario = engine_presets()
        .into_iter()
        .find(|s| s.name == "user-events");
    assert_eq!(Some(&session.scenario), scenario.as_ref());
    assert!(matches!(
        session.actions.as_slice(),
        [crate::session::LoggedAction {
            tick: 3,
            command: orderflow_engine::scenario::ScenarioCommand::Sim(Command::PublishOrder { .. })
        }]
    ));
}

#[test]
fn the_three_broker_preset_refuses_writes_after_two_kills_and_says_so() {
    let mut pg = Playground::new(preset("cluster-acks-all-min-insync").unwrap().session);
    assert_eq!(pg.replay_errors(), 0);
    let cluster = pg.sim().cluster().expect("the preset has brokers");
    assert_eq!(cluster.brokers().count(), 3);
    let _ = pg.take_announcements();
    let mut said = Vec::new();
    for _ in 0..45 {
        pg.step();
        said.extend(pg.take_announcements());
    }
    assert!(said.iter().any(|s| s == "Broker 3 stopped."), "{said:?}");
    assert!(
        said.iter()
            .any(|s| s.contains("refused: NOT_ENOUGH_REPLICAS")),
        "{said:?}"
    );
}
