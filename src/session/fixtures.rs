//! Real old share links: sessions written by the format-2 build (and the format-1 link from
//! the share tests), frozen under `tests/fixtures/sessions/` so a later format can prove it
//! still opens them. Each fixture is a pair: `NAME.json` (as "Export JSON" writes it) and
//! `NAME.link` (the `#s=...` fragment as "Create share link" makes it), and `NAME.expect`,
//! what the run replayed to that day ([`replayed`]: tick, topics and partition counts, groups
//! and members, producers, records per topic). A migrated link replays to the same shape and
//! the same record counts: since format 3 its bursts and generators draw from the engine's
//! generator, so the records are others, but as many.
//!
//! The fixture maker ([`make_fixtures`], ignored) wrote them with the real playground code of
//! its day; run again, it adds this format's fixtures (`f3-NAME`) and never overwrites one
//! (a refreshed fixture is a new link, not an old one):
//! `cargo test -p orderflow --lib make_fixtures -- --ignored`.

use crate::playground::Playground;
use crate::session::{GeneratorConfig, Session, ORDERS_TOPIC};
use crate::share;
use std::path::PathBuf;

/// What a fixture replays to, one fact per line (diffs read well).
fn replayed(pg: &Playground) -> String {
    let mut out = vec![format!("tick {}", pg.now())];
    for topic in pg.topic_names() {
        out.push(format!(
            "topic {topic}: {} partitions, {} records",
            pg.partition_count(&topic),
            pg.topic_records(&topic)
        ));
    }
    for group in pg.group_names() {
        let members: Vec<String> = pg
            .group_snapshot(&group)
            .map(|s| s.members.into_iter().map(|m| m.id.0).collect())
            .unwrap_or_default();
        out.push(format!("group {group}: members [{}]", members.join(", ")));
    }
    for producer in pg.producer_names() {
        out.push(format!("producer {producer}"));
    }
    out.join("\n") + "\n"
}

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sessions")
}

/// Every fixture as `(name, JSON text, link text, expected replay)`, in name order.
fn fixtures() -> Vec<(String, String, String, String)> {
    let mut names: Vec<String> = std::fs::read_dir(fixtures_dir())
        .expect("tests/fixtures/sessions exists")
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            (path.extension()? == "json").then(|| path.file_stem()?.to_str().map(String::from))?
        })
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let read = |ext: &str| {
                std::fs::read_to_string(fixtures_dir().join(format!("{name}.{ext}")))
                    .unwrap_or_else(|e| panic!("{name}.{ext}: {e}"))
            };
            let (json, link, expect) = (read("json"), read("link"), read("expect"));
            (name, json, link, expect)
        })
        .collect()
}

#[test]
fn every_old_session_fixture_opens_from_its_file_and_its_link_and_replays_cleanly() {
    let all = fixtures();
    // format-1, default-run, form-actions and one per preset (seven).
    assert!(all.len() >= 10, "only {} fixtures", all.len());
    for (name, json, link, expect) in all {
        let from_file =
            share::from_json(&json).unwrap_or_else(|e| panic!("{name}.json does not open: {e}"));
        let from_link = share::from_fragment(link.trim())
            .unwrap_or_else(|| panic!("{name}.link is not a #s= link"))
            .unwrap_or_else(|e| panic!("{name}.link does not open: {e}"));
        assert_eq!(from_link, from_file, "{name}: the link and the file differ");
        let pg = Playground::new(from_file.clone());
        assert_eq!(pg.replay_errors(), 0, "{name}");
        assert_eq!(pg.now(), from_file.ticks, "{name}");
        assert!(pg.total_records() > 0, "{name} replays to no records");
        assert_eq!(replayed(&pg), expect, "{name}: replays to another run");
    }
}

// ---- The fixture maker -------------------------------------------------------------------

fn event(user: &str, order: &str, status: &str) -> orderflow_engine::log::OrderEvent {
    orderflow_engine::log::OrderEvent {
        user_id: user.into(),
        order_id: order.into(),
        status: status.into(),
    }
}

fn steps(pg: &mut Playground, n: u32) {
    for _ in 0..n {
        pg.step();
    }
}

/// The default start after hand publishes, a burst (run in chunks, as the page does), a
/// running generator and some steps, with a publish between ticks.
fn default_run() -> Session {
    let mut pg = Playground::default();
    pg.publish(event("U123", "O456", "Created"));
    pg.publish(event("U123", "O456", "Paid"));
    pg.publish(event("U7", "O9", "Created"));
    steps(&mut pg, 2);
    pg.act(GeneratorConfig::default().generate_command(ORDERS_TOPIC, 1_000));
    while pg.run_burst(250) {}
    pg.act(GeneratorConfig::set_command(
        ORDERS_TOPIC,
        Some(&GeneratorConfig {
            users: 50,
            orders_per_tick: 3,
            hot_key_percent: 30,
            user_prefix: "U".into(),
        }),
    ));
    steps(&mut pg, 6);
    pg.publish(event("U123", "O456", "Shipped"));
    steps(&mut pg, 4);
    pg.session().clone()
}

/// The forms of the day: Add topic, Add group, Add producer, Lose next ack and Send, plus a
/// consumer added, one killed, partitions added and an offset reset refused (not logged).
fn form_actions() -> Session {
    use orderflow_engine::assignor::AssignmentStrategy;
    use orderflow_engine::group::{CommitPolicy, GroupConfig};
    use orderflow_engine::producer::{Acks, ProducerConfig};
    use orderflow_engine::sim::Command;

    let mut pg = Playground::default();
    steps(&mut pg, 3);
    pg.create_topic(crate::session::Setup {
        partitioner: orderflow_engine::partitioner::Partitioner::Crc32,
        key_field: crate::session::KeyField::OrderId,
        ..crate::session::Setup::named("refunds", 3)
    })
    .unwrap();
    pg.publish_to("refunds", event("U1", "O1", "Created"));
    let mut config = GroupConfig::new("auditors", vec!["orders".into(), "refunds".into()]);
    config.strategy = AssignmentStrategy::CooperativeSticky;
    config.commit_policy = CommitPolicy::BeforeProcessing;
    pg.create_group(config, 2).unwrap();
    steps(&mut pg, 2);
    let mut plain = ProducerConfig::new("checkout");
    plain.acks = Acks::Leader;
    plain.retries = 2;
    plain.idempotent = false;
    plain.ack_loss_probability = 0.25;
    pg.add_producer(plain).unwrap();
    let mut safe = ProducerConfig::new("payments");
    safe.retries = 3;
    pg.add_producer(safe).unwrap();
    pg.send(
        "checkout",
        "orders",
        Some("U1".into()),
        event("U1", "O1", "Created"),
    )
    .unwrap();
    pg.lose_next_acks("checkout", 1).unwrap();
    pg.send(
        "checkout",
        "orders",
        Some("U1".into()),
        event("U1", "O2", "Created"),
    )
    .unwrap();
    pg.lose_next_acks("payments", 1).unwrap();
    pg.send("payments", "refunds", None, event("", "O3", "Created"))
        .unwrap();
    steps(&mut pg, 2);
    let member = pg.next_member_id("Notifier");
    pg.act(Command::JoinGroup {
        group: "Notifier".into(),
        member,
    });
    pg.act(Command::KillMember {
        group: "OrderProcessor".into(),
        member: orderflow_engine::ids::MemberId("c1".into()),
    });
    pg.add_partitions("orders", 6).unwrap();
    assert!(pg
        .try_act(Command::ResetOffsets {
            group: "Analytics".into(),
            topic: None,
            spec: orderflow_engine::group::OffsetResetSpec::ToEarliest,
        })
        .is_err());
    pg.publish(event("U9", "O9", "Created"));
    steps(&mut pg, 15);
    pg.session().clone()
}

/// The format-1 link of `share.rs`'s tests (one topic, no topic on actions).
const FORMAT_1_JSON: &str = r#"{"format":1,"setup":{"partitions":4,"partitioner":"murmur2","keyed":true,"key_field":"user_id","segment_records":1000,"retention_records":null},"seed":42,"ticks":2,"actions":[{"tick":0,"type":"command","command":{"type":"create_group","config":{"name":"OrderProcessor","topics":["orders"],"strategy":"range","commit_policy":{"type":"after_processing"},"auto_offset_reset":"earliest","max_poll_records":10,"processing_ticks_per_record":1,"session_timeout_ticks":10,"rebalance_ticks":2}}},{"tick":0,"type":"command","command":{"type":"join_group","group":"OrderProcessor","member":"c1"}},{"tick":0,"type":"publish","event":{"user_id":"U1","order_id":"O1","status":"Created"}},{"tick":1,"type":"burst","count":1000,"generator":{"users":20,"orders_per_tick":2,"hot_key_percent":0}},{"tick":1,"type":"set_generator","generator":{"users":5,"orders_per_tick":3,"hot_key_percent":10}}]}"#;

/// Writes every fixture (see the module docs: only to add new ones).
#[test]
#[ignore = "fixture maker: writes tests/fixtures/sessions; run by hand"]
fn make_fixtures() {
    use base64::Engine as _;
    let dir = fixtures_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, json: &str, link: &str| {
        if dir.join(format!("{name}.json")).exists() {
            return;
        }
        std::fs::write(dir.join(format!("{name}.json")), format!("{json}\n")).unwrap();
        std::fs::write(dir.join(format!("{name}.link")), format!("{link}\n")).unwrap();
        let pg = Playground::new(share::from_json(json).unwrap());
        std::fs::write(dir.join(format!("{name}.expect")), replayed(&pg)).unwrap();
    };
    let mut sessions = vec![
        ("default-run".to_string(), default_run()),
        ("form-actions".to_string(), form_actions()),
    ];
    for preset in crate::presets::presets() {
        let mut pg = Playground::new(preset.session);
        steps(&mut pg, 12);
        pg.publish_to(&pg.topic_names()[0], event("U5", "O5", "Created"));
        steps(&mut pg, 3);
        sessions.push((format!("preset-{}", preset.id), pg.session().clone()));
    }
    for (name, session) in sessions {
        let name = format!("f{}-{name}", crate::session::SESSION_FORMAT);
        let link = format!("{}{}", share::FRAGMENT_PREFIX, share::encode(&session));
        write(&name, &share::to_json(&session), &link);
    }
    // Format 1 as that build wrote it: its compact JSON, deflated, base64url.
    let deflated = miniz_oxide::deflate::compress_to_vec(FORMAT_1_JSON.as_bytes(), 9);
    let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(deflated);
    write(
        "format-1",
        FORMAT_1_JSON,
        &format!("{}{encoded}", share::FRAGMENT_PREFIX),
    );
}
