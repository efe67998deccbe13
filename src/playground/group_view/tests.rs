//! Consumer groups in the playground: the default groups, dead members and timeouts, offset
//! resets, groups on several topics, and creating groups from the form.

use crate::playground::tests::{burst, event, steps};
use crate::playground::Playground;
use crate::session::{LoggedAction, Session, Setup, ORDERS_TOPIC};
use orderflow_engine::assignor::AssignmentStrategy;
use orderflow_engine::group::{GroupConfig, MemberStatus, OffsetResetSpec, Protocol};
use orderflow_engine::ids::MemberId;
use orderflow_engine::partitioner::Partitioner;
use orderflow_engine::sim::Command;
use std::collections::BTreeSet;

#[test]
fn default_session_is_the_event_hubs_example() {
    let pg = Playground::default();
    assert_eq!(pg.partition_count(ORDERS_TOPIC), 4);
    assert_eq!(
        pg.group_names(),
        ["Analytics", "Notifier", "OrderProcessor"]
    );
    let members = |g: &str| pg.group_snapshot(g).unwrap().members.len();
    assert_eq!(members("OrderProcessor"), 2);
    assert_eq!(members("Notifier"), 3);
    assert_eq!(members("Analytics"), 1);
    assert_eq!(pg.replay_errors(), 0);
}

#[test]
fn a_group_subscribed_to_two_topics_owns_partitions_of_both() {
    let mut session = Session::default();
    session
        .scenario
        .topics
        .push(Setup::named("payments", 2).topic_spec());
    session.scenario.groups.clear();
    let config = GroupConfig::new("audit", vec!["orders".into(), "payments".into()]);
    session.actions.push(LoggedAction {
        tick: 0,
        command: Command::CreateGroup { config }.into(),
    });
    session.actions.push(LoggedAction {
        tick: 0,
        command: Command::JoinGroup {
            group: "audit".into(),
            member: MemberId("c1".into()),
        }
        .into(),
    });
    session.validate().unwrap();
    let mut pg = Playground::new(session);
    pg.publish_to("payments", event("U7", "O7", "Paid"));
    pg.publish_to(ORDERS_TOPIC, event("U7", "O7", "Created"));
    for _ in 0..10 {
        pg.step();
    }
    let snapshot = pg.group_snapshot("audit").unwrap();
    let owned: BTreeSet<String> = snapshot.members[0]
        .owned
        .iter()
        .map(|tp| format!("{}-{}", tp.topic, tp.partition.0))
        .collect();
    assert_eq!(owned.len(), 6, "{owned:?}");
    assert!(owned.contains("payments-1") && owned.contains("orders-3"));
    assert_eq!(snapshot.total_lag, 0);
    assert_eq!(snapshot.counters.processed, 2);
    // Each topic routes with its own partition count.
    let p = Partitioner::Murmur2.route(b"U7", 2).partition.0;
    assert_eq!(pg.rows("payments", p, 0, 9)[0].status, "Paid");
}

#[test]
fn killed_member_is_dead_until_the_session_timeout_then_its_partitions_move() {
    let mut pg = Playground::default();
    for _ in 0..5 {
        pg.step();
    }
    let group = "OrderProcessor";
    pg.act(Command::KillMember {
        group: group.into(),
        member: MemberId("c1".into()),
    });
    let snap = pg.group_snapshot(group).unwrap();
    let c1 = snap.members.iter().find(|m| m.id.0 == "c1").unwrap();
    assert!(matches!(c1.status, MemberStatus::Dead { .. }));
    let timeout = pg.group_config(group).unwrap().session_timeout_ticks;
    for _ in 0..timeout + 10 {
        pg.step();
    }
    let snap = pg.group_snapshot(group).unwrap();
    assert_eq!(snap.members.len(), 1);
    assert_eq!(snap.members[0].owned.len(), 4, "c2 owns every partition");
    let news = pg.take_announcements();
    assert!(news.iter().any(|n| n.contains("died")), "{news:?}");
    assert!(news.iter().any(|n| n.contains("rebalanced")), "{news:?}");
}

#[test]
fn reset_to_earliest_after_the_group_empties_brings_lag_back_to_the_log_size() {
    let mut pg = Playground::default();
    burst(&mut pg, 200);
    for _ in 0..40 {
        pg.step();
    }
    let lag_before = pg.group_snapshot("Analytics").unwrap().total_lag;
    assert!(
        lag_before < 200,
        "Analytics consumed something ({lag_before})"
    );
    pg.act(Command::KillMember {
        group: "Analytics".into(),
        member: MemberId("c1".into()),
    });
    for _ in 0..15 {
        pg.step();
    }
    pg.try_act(Command::ResetOffsets {
        group: "Analytics".into(),
        topic: None,
        spec: OffsetResetSpec::ToEarliest,
    })
    .unwrap();
    assert_eq!(pg.group_snapshot("Analytics").unwrap().total_lag, 200);
    // And the whole run, reset included, replays identically.
    let replayed = Playground::new(pg.session().clone());
    assert_eq!(
        replayed.group_snapshot("Analytics"),
        pg.group_snapshot("Analytics")
    );
}

#[test]
fn a_group_created_with_consumers_owns_partitions_of_every_topic_it_reads() {
    let mut pg = Playground::default();
    pg.create_topic(Setup::named("refunds", 2)).unwrap();
    let mut config = GroupConfig::new("auditors", vec!["orders".into(), "refunds".into()]);
    config.strategy = AssignmentStrategy::CooperativeSticky;
    pg.create_group(config, 2).unwrap();
    steps(&mut pg, 4);
    let snapshot = pg.group_snapshot("auditors").unwrap();
    assert_eq!(snapshot.protocol, Protocol::Cooperative);
    let ids: Vec<&str> = snapshot.members.iter().map(|m| m.id.0.as_str()).collect();
    assert_eq!(ids, vec!["c1", "c2"]);
    let mut owned: Vec<(String, u32)> = snapshot
        .members
        .iter()
        .flat_map(|m| {
            m.owned
                .iter()
                .map(|tp| (tp.topic.to_string(), tp.partition.0))
        })
        .collect();
    owned.sort();
    let mut all: Vec<(String, u32)> = (0..4).map(|p| ("orders".to_string(), p)).collect();
    all.extend((0..2).map(|p| ("refunds".to_string(), p)));
    assert_eq!(owned, all, "every partition of both topics has an owner");
    // It replays from the log.
    let replayed = Playground::new(pg.session().clone());
    assert_eq!(replayed.group_snapshot("auditors"), Some(snapshot));
}

#[test]
fn refused_groups_say_why_and_log_nothing() {
    let mut pg = Playground::default();
    let logged = pg.session().actions.len();
    let taken = pg
        .create_group(GroupConfig::new("Notifier", vec!["orders".into()]), 1)
        .unwrap_err()
        .to_string();
    assert!(taken.contains("already exists"), "{taken}");
    let blank = pg
        .create_group(GroupConfig::new("  ", vec!["orders".into()]), 1)
        .unwrap_err()
        .to_string();
    assert!(blank.contains("needs a name"), "{blank}");
    let none = pg
        .create_group(GroupConfig::new("g", vec![]), 1)
        .unwrap_err()
        .to_string();
    assert!(none.contains("at least one topic"), "{none}");
    let missing = pg
        .create_group(GroupConfig::new("g", vec!["nope".into()]), 1)
        .unwrap_err()
        .to_string();
    assert!(missing.contains("does not exist"), "{missing}");
    let many = pg
        .create_group(GroupConfig::new("g", vec!["orders".into()]), 33)
        .unwrap_err()
        .to_string();
    assert!(many.contains("at most 32"), "{many}");
    assert_eq!(pg.session().actions.len(), logged);
    // Zero consumers is allowed: an empty group, for "Add consumer" later.
    pg.create_group(GroupConfig::new("later", vec!["orders".into()]), 0)
        .unwrap();
    assert!(pg.group_snapshot("later").unwrap().members.is_empty());
}
