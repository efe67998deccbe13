//! Replay, acting, stepping, bursts and topics created during a run; helpers the concept
//! files' tests share.

use super::*;
use crate::session::ORDERS_TOPIC;
use orderflow_engine::group::OffsetResetSpec;
use orderflow_engine::partitioner::Partitioner;

/// An order event by hand.
pub(crate) fn event(user: &str, order: &str, status: &str) -> OrderEvent {
    OrderEvent {
        user_id: user.into(),
        order_id: order.into(),
        status: status.into(),
    }
}

/// Generator settings: `users` users, 3 orders per tick, `hot` % from the hot user.
pub(crate) fn generator(users: u32, hot: u8) -> GeneratorConfig {
    GeneratorConfig {
        users,
        orders_per_tick: 3,
        hot_key_percent: hot,
        ..GeneratorConfig::default()
    }
}

/// Every record of the `orders` topic, without the replay epoch.
pub(crate) fn fingerprint(pg: &Playground) -> Vec<Vec<RecordRow>> {
    records_without_epoch(pg, ORDERS_TOPIC)
}

/// `n` steps.
pub(crate) fn steps(pg: &mut Playground, n: u32) {
    for _ in 0..n {
        pg.step();
    }
}

/// A burst of `count` default generated events to `orders`, published at once.
pub(crate) fn burst(pg: &mut Playground, count: u32) {
    pg.act(GeneratorConfig::default().generate_command(ORDERS_TOPIC, count));
    pg.run_burst(u32::MAX);
}

#[test]
fn burst_runs_in_chunks_and_reports_progress() {
    let mut pg = Playground::default();
    pg.act(generator(10, 0).generate_command(ORDERS_TOPIC, 2_500));
    assert!(pg.run_burst(1_000));
    assert_eq!(pg.burst().unwrap().done, 1_000);
    assert!(pg.run_burst(1_000));
    assert!(!pg.run_burst(1_000));
    assert!(pg.burst().is_none());
    assert_eq!(pg.topic_records(ORDERS_TOPIC), 2_500);
}

#[test]
fn same_session_replays_to_the_same_state() {
    let mut pg = Playground::default();
    pg.publish(event("U1", "O1", "Created"));
    pg.act(GeneratorConfig::set_command(
        ORDERS_TOPIC,
        Some(&generator(7, 30)),
    ));
    for _ in 0..5 {
        pg.step();
    }
    pg.act(generator(7, 30).generate_command(ORDERS_TOPIC, 500));
    pg.run_burst(100);
    pg.step();
    pg.publish(event("U2", "O2", "Paid"));
    let replayed = Playground::new(pg.session().clone());
    assert_eq!(fingerprint(&replayed), fingerprint(&pg));
    assert_eq!(replayed.now(), pg.now());
}

#[test]
fn rewind_shows_the_earlier_tick_and_forward_again_restores() {
    let mut pg = Playground::default();
    pg.act(GeneratorConfig::set_command(
        ORDERS_TOPIC,
        Some(&generator(7, 0)),
    ));
    for _ in 0..10 {
        pg.step();
    }
    let at_end = fingerprint(&pg);
    pg.replay_to(4);
    assert_eq!(pg.now(), 4);
    assert!(!pg.is_live());
    assert_eq!(pg.topic_records(ORDERS_TOPIC), 4 * 3);
    for _ in 0..6 {
        pg.step();
    }
    assert!(pg.is_live());
    assert_eq!(fingerprint(&pg), at_end);
}

#[test]
fn acting_on_a_rewound_view_branches_the_log() {
    let mut pg = Playground::default();
    pg.act(GeneratorConfig::set_command(
        ORDERS_TOPIC,
        Some(&generator(7, 0)),
    ));
    for _ in 0..10 {
        pg.step();
    }
    pg.replay_to(3);
    pg.publish(event("U9", "O9", "Created"));
    assert!(pg.is_live());
    assert_eq!(pg.session().ticks, 3);
    assert_eq!(pg.topic_records(ORDERS_TOPIC), 3 * 3 + 1);
}

#[test]
fn added_partitions_keep_old_records_and_a_later_setup_change_replays_cleanly() {
    let mut pg = Playground::default();
    let keys: Vec<String> = (1..=30).map(|u| format!("U{u}")).collect();
    for k in &keys {
        pg.publish(event(k, "O1", "Created"));
    }
    pg.add_partitions(ORDERS_TOPIC, 6).unwrap();
    assert_eq!(pg.partition_count(ORDERS_TOPIC), 6);
    for k in &keys {
        let old = Partitioner::Murmur2.route(k.as_bytes(), 4).partition.0;
        assert!(pg
            .rows(ORDERS_TOPIC, old, 0, u64::MAX)
            .iter()
            .any(|r| &r.key == k));
    }
    // Only new records route by 6; and nothing moves back.
    let moved = pg.moved_keys(ORDERS_TOPIC, Partitioner::Murmur2, 6);
    assert!(moved.is_empty(), "compared with the live count: {moved:?}");
    assert!(
        pg.add_partitions(ORDERS_TOPIC, 5).is_err(),
        "partitions only grow"
    );
    // Replaying the run (it holds the logged AddPartitions) gives the same topic.
    let replayed = Playground::new(pg.session().clone());
    assert_eq!(replayed.partition_count(ORDERS_TOPIC), 6);
    assert_eq!(replayed.replay_errors(), 0);
    // Applying a setup of 6 partitions rewrites history without the refused command.
    pg.change_setup(Setup {
        partitions: 6,
        partitioner: Partitioner::Crc32,
        ..Setup::default()
    });
    assert_eq!(pg.replay_errors(), 0);
    assert_eq!(pg.partition_count(ORDERS_TOPIC), 6);
}

#[test]
fn reset_is_refused_with_kafkas_message_and_not_logged_while_members_are_active() {
    let mut pg = Playground::default();
    let before = pg.session().actions.len();
    let err = pg
        .try_act(Command::ResetOffsets {
            group: "Analytics".into(),
            topic: None,
            spec: OffsetResetSpec::ToEarliest,
        })
        .unwrap_err()
        .to_string();
    assert!(err.contains("can only be reset if the group"), "{err}");
    assert_eq!(pg.session().actions.len(), before);
}

#[test]
fn a_topic_created_at_a_later_tick_exists_from_then_on_and_replays() {
    let mut pg = Playground::default();
    steps(&mut pg, 5);
    pg.create_topic(Setup::named("refunds", 2)).unwrap();
    assert_eq!(pg.topic_names(), vec!["orders", "refunds"]);
    pg.publish_to("refunds", event("U7", "O1", "Created"));
    let partition = Partitioner::Murmur2.route(b"U7", 2).partition.0;
    assert_eq!(pg.rows("refunds", partition, 0, u64::MAX).len(), 1);
    steps(&mut pg, 3);
    // The session's own topics are unchanged; the new one is a logged action at tick 5.
    assert_eq!(pg.session().topics().len(), 1);
    assert!(pg.session().validate().is_ok());

    // Rewound to before its tick, the topic does not exist; forward again, it does.
    pg.replay_to(4);
    assert_eq!(pg.topic_names(), vec!["orders"]);
    assert!(pg.sim().topic("refunds").is_none());
    pg.replay_to(8);
    assert_eq!(pg.topic_names(), vec!["orders", "refunds"]);
    assert_eq!(pg.rows("refunds", partition, 0, u64::MAX).len(), 1);

    // Through JSON (a share link) it replays to the same records, without errors.
    let json = serde_json::to_string(pg.session()).unwrap();
    let session: Session = serde_json::from_str(&json).unwrap();
    session.validate().unwrap();
    let replayed = Playground::new(session);
    assert_eq!(replayed.replay_errors(), 0);
    assert_eq!(replayed.topic_names(), pg.topic_names());
    assert_eq!(
        records_without_epoch(&replayed, "refunds"),
        records_without_epoch(&pg, "refunds")
    );
}

#[test]
fn refused_topics_say_why_and_log_nothing() {
    let mut pg = Playground::default();
    let logged = pg.session().actions.len();
    let duplicate = pg
        .create_topic(Setup::named("orders", 3))
        .unwrap_err()
        .to_string();
    assert!(duplicate.contains("already exists"), "{duplicate}");
    let chars = pg
        .create_topic(Setup::named("my topic", 3))
        .unwrap_err()
        .to_string();
    assert!(chars.contains("letters, digits"), "{chars}");
    let empty = pg
        .create_topic(Setup::named("", 3))
        .unwrap_err()
        .to_string();
    assert!(empty.contains("name of 1 to"), "{empty}");
    let zero = pg
        .create_topic(Setup::named("zero", 0))
        .unwrap_err()
        .to_string();
    assert!(zero.contains("partitions"), "{zero}");
    assert_eq!(pg.session().actions.len(), logged);
    for i in 1..MAX_TOPICS {
        pg.create_topic(Setup::named(&format!("t{i}"), 1)).unwrap();
    }
    let full = pg
        .create_topic(Setup::named("one-too-many", 1))
        .unwrap_err()
        .to_string();
    assert!(full.contains("at most 16 topics"), "{full}");
}

#[test]
fn changing_the_setup_of_a_created_topic_rewrites_its_creation() {
    let mut pg = Playground::default();
    pg.step();
    pg.create_topic(Setup::named("refunds", 2)).unwrap();
    for u in 1..=20 {
        pg.publish_to("refunds", event(&format!("U{u}"), "O1", "Created"));
    }
    pg.change_setup(Setup {
        partitioner: Partitioner::Crc32,
        ..Setup::named("refunds", 5)
    });
    assert_eq!(pg.replay_errors(), 0);
    assert_eq!(pg.partition_count("refunds"), 5);
    assert_eq!(pg.topic_records("refunds"), 20);
    let p = Partitioner::Crc32.route(b"U3", 5).partition.0;
    assert!(pg
        .rows("refunds", p, 0, u64::MAX)
        .iter()
        .any(|r| r.key == "U3"));
}

#[test]
fn the_record_limit_stops_bursts_and_generators_with_a_notice() {
    let held = Playground::default().sim().resident_records();
    let mut pg = Playground::with_record_limit(Session::default(), held + 25);
    assert_eq!(pg.record_limit_notice(), None);
    pg.act(generator(10, 0).generate_command(ORDERS_TOPIC, 40));
    while pg.run_burst(7) {}
    assert!(pg.burst().is_none(), "the burst ends at the limit");
    assert_eq!(pg.sim().resident_records(), held + 25);
    let notice = pg.record_limit_notice().expect("a notice");
    assert!(
        notice.contains(&format!("limit of {} resident records", held + 25)),
        "{notice}"
    );
    assert_eq!(pg.replay_errors(), 0, "a limit is not a replay error");

    let mut pg = Playground::with_record_limit(Session::default(), held + 12);
    pg.act(GeneratorConfig::set_command(
        ORDERS_TOPIC,
        Some(&generator(7, 0)),
    ));
    steps(&mut pg, 20);
    assert!(
        pg.running_generator(ORDERS_TOPIC).is_none(),
        "the generator stopped"
    );
    assert!(pg.record_limit_notice().is_some());
}

#[test]
fn generated_orders_follow_the_lifecycle_per_order_key() {
    use crate::session::{KeyField, Session, Setup};
    use orderflow_engine::sim::ORDER_LIFECYCLE;
    let mut pg = Playground::new(Session::default().with_topics(vec![Setup {
        key_field: KeyField::OrderId,
        ..Setup::default()
    }]));
    pg.act(generator(5, 0).generate_command(ORDERS_TOPIC, 3_000));
    pg.run_burst(u32::MAX);
    // Per order key, statuses appear in lifecycle order within its partition.
    let mut last: BTreeMap<String, usize> = BTreeMap::new();
    for p in 0..pg.partition_count(ORDERS_TOPIC) {
        for row in pg.rows(ORDERS_TOPIC, p, 0, u64::MAX) {
            let index = ORDER_LIFECYCLE
                .iter()
                .position(|s| *s == row.status)
                .unwrap();
            let previous = last.insert(row.key.clone(), index);
            assert_eq!(index, previous.map_or(0, |i| i + 1), "order {}", row.key);
        }
    }
}

#[test]
fn hot_key_skew_concentrates_events_on_user_one() {
    let mut pg = Playground::default();
    pg.act(generator(50, 80).generate_command(ORDERS_TOPIC, 2_000));
    pg.run_burst(u32::MAX);
    let counts = pg.key_counts(ORDERS_TOPIC);
    let hot = counts["U1"];
    let others_max = counts
        .iter()
        .filter(|(k, _)| *k != "U1")
        .map(|(_, c)| *c)
        .max()
        .unwrap();
    assert!(hot > 10 * others_max, "hot {hot}, others max {others_max}");
}

#[test]
fn a_burst_in_chunks_appends_the_records_of_the_burst_at_once() {
    let run = |chunk: u32| {
        let mut pg = Playground::default();
        pg.act(generator(30, 20).generate_command(ORDERS_TOPIC, 1_234));
        while pg.run_burst(chunk) {}
        fingerprint(&pg)
    };
    assert_eq!(run(100), run(u32::MAX));
}

#[test]
fn the_selected_topic_is_kept_with_the_session_and_its_link() {
    let mut pg = Playground::default();
    pg.create_topic(Setup::named("refunds", 2)).unwrap();
    pg.select_topic("refunds");
    assert_eq!(pg.session().selected_topic.as_deref(), Some("refunds"));
    pg.select_topic("nope");
    assert_eq!(pg.session().selected_topic.as_deref(), Some("refunds"));
    let again = crate::share::decode(&crate::share::encode(pg.session())).unwrap();
    assert_eq!(again.selected_topic.as_deref(), Some("refunds"));
    pg.select_topic(ORDERS_TOPIC);
    assert_eq!(pg.session().selected_topic, None);
}

/// By hand: `SOAK_SCENARIO=path cargo test --release -p orderflow --lib
/// playground_memory_by_hand -- --ignored --nocapture` prints the process's resident memory
/// every 500 ticks while the playground plays the scenario (the page's folds included;
/// with `SOAK_READS=1` also the stage's snapshot, layout and words and the announcements,
/// as the page reads them every tick).
#[test]
#[ignore]
fn playground_memory_by_hand() {
    let Ok(path) = std::env::var("SOAK_SCENARIO") else {
        return;
    };
    let json = std::fs::read_to_string(path).unwrap();
    let scenario = orderflow_engine::scenario::Scenario::from_json(&json).unwrap();
    let session = crate::session::Session {
        scenario,
        ..Session::default()
    };
    let rss = || {
        std::fs::read_to_string("/proc/self/status")
            .unwrap()
            .lines()
            .find(|l| l.starts_with("VmRSS"))
            .unwrap_or("")
            .to_string()
    };
    let mut pg = Playground::new(session);
    let topic = pg.topic_names()[0].clone();
    let reads = std::env::var("SOAK_READS").is_ok();
    for t in 1..=2_000u32 {
        pg.step();
        if reads {
            // What the page reads every tick: the stage's snapshot, layout and words, and
            // the announcements.
            let n = pg.partition_count(&topic) as usize;
            let snapshot = crate::stage::model::StageSnapshot::read(
                &pg,
                &topic,
                crate::stage::layout::head_records(n),
            );
            let scene = crate::stage::layout::layout(&snapshot, 1200.0);
            let words = crate::stage::text::describe(&snapshot);
            std::hint::black_box((scene, words));
            std::hint::black_box(pg.take_announcements());
        }
        if t % 500 == 0 {
            println!("tick {t}: {} sim records {}", rss(), pg.total_records());
        }
    }
}
