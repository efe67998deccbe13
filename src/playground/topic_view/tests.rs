//! Record rows and their marks, routings, moved keys, segments and retention.

use crate::playground::tests::{burst, event};
use crate::playground::Playground;
use crate::playground::RecordRow;
use crate::presets::preset;
use crate::session::{KeyField, Session, Setup, ORDERS_TOPIC};
use crate::stage::model::{StageSnapshot, HEAD_RECORDS};
use orderflow_engine::ids::MemberId;
use orderflow_engine::partitioner::Partitioner;
use orderflow_engine::saga::message::topics::INVENTORY_COMMANDS;
use orderflow_engine::sim::Command;

#[test]
fn published_record_lands_where_the_engine_routes_its_key() {
    let mut pg = Playground::default();
    pg.publish(event("U123", "O456", "Created"));
    let expected = Partitioner::Murmur2.route(b"U123", 4).partition.0;
    let rows = pg.rows(ORDERS_TOPIC, expected, 0, 10);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].key, "U123");
    assert_eq!(pg.recent_routings(ORDERS_TOPIC, 1)[0].partition.0, expected);
}

#[test]
fn key_field_order_id_keys_by_order() {
    let mut pg = Playground::new(Session::default().with_topics(vec![Setup {
        key_field: KeyField::OrderId,
        ..Setup::default()
    }]));
    pg.publish(event("U1", "O99", "Created"));
    assert_eq!(
        pg.recent_routings(ORDERS_TOPIC, 1)[0].key.as_deref(),
        Some("O99")
    );
}

#[test]
fn changing_partition_count_replays_and_moved_keys_match_the_new_routing() {
    let mut pg = Playground::default();
    for u in 1..=30 {
        pg.publish(event(&format!("U{u}"), "O1", "Created"));
    }
    let moved = pg.moved_keys(ORDERS_TOPIC, Partitioner::Murmur2, 6);
    assert!(!moved.is_empty() && moved.len() < 30);
    pg.change_setup(Setup {
        partitions: 6,
        ..Setup::default()
    });
    assert_eq!(pg.partition_count(ORDERS_TOPIC), 6);
    for m in &moved {
        let rows = pg.rows(ORDERS_TOPIC, m.to, 0, u64::MAX);
        assert!(
            rows.iter().any(|r| r.key == m.key),
            "{} not on {}",
            m.key,
            m.to
        );
    }
    assert_eq!(pg.topic_records(ORDERS_TOPIC), 30);
}

#[test]
fn records_processed_again_after_a_crash_are_marked_redelivered() {
    let mut pg = Playground::default();
    burst(&mut pg, 300);
    for _ in 0..6 {
        pg.step();
    }
    // c1 of OrderProcessor dies mid-batch: processed but uncommitted records come back.
    pg.act(Command::KillMember {
        group: "OrderProcessor".into(),
        member: MemberId("c1".into()),
    });
    for _ in 0..40 {
        pg.step();
    }
    let duplicates = pg
        .group_snapshot("OrderProcessor")
        .unwrap()
        .counters
        .duplicates;
    assert!(duplicates > 0, "at-least-once redelivers after a crash");
    let marked: usize = (0..4)
        .map(|p| {
            pg.rows(ORDERS_TOPIC, p, 0, u64::MAX)
                .iter()
                .filter(|r| r.redelivered_to.iter().any(|g| g == "OrderProcessor"))
                .count()
        })
        .sum();
    assert_eq!(marked as u64, duplicates);
}

#[test]
fn no_key_setup_spreads_records_round_robin() {
    let mut pg = Playground::new(Session::default().with_topics(vec![Setup {
        keyed: false,
        ..Setup::default()
    }]));
    burst(&mut pg, 400);
    assert_eq!(pg.partition_sizes(ORDERS_TOPIC), vec![100, 100, 100, 100]);
    assert!(pg.recent_routings(ORDERS_TOPIC, 1)[0].routing.is_none());
}

#[test]
fn retention_by_records_moves_the_log_start_up() {
    let mut pg = Playground::new(Session::default().with_topics(vec![Setup {
        segment_records: 10,
        retention_records: Some(20),
        keyed: false,
        partitions: 1,
        ..Setup::default()
    }]));
    burst(&mut pg, 100);
    pg.step();
    let (start, end) = pg.partition_bounds(ORDERS_TOPIC, 0);
    assert_eq!(end, 100);
    assert!(start > 0 && end - start >= 20, "log {start}..{end}");
    assert!(
        pg.rows(ORDERS_TOPIC, 0, 0, 5).is_empty(),
        "rows below the log start are gone"
    );
}

#[test]
fn rows_of_a_created_topic_mark_segments_by_its_own_segment_size() {
    let mut pg = Playground::default();
    pg.create_topic(Setup::named("refunds", 1)).unwrap();
    pg.change_setup(Setup {
        segment_records: 3,
        ..Setup::named("refunds", 1)
    });
    for o in 1..=7 {
        pg.publish_to("refunds", event("U1", &format!("O{o}"), "Created"));
    }
    let starts: Vec<u64> = pg
        .rows("refunds", 0, 0, u64::MAX)
        .iter()
        .filter(|r| r.segment_start)
        .map(|r| r.offset)
        .collect();
    assert_eq!(starts, vec![3, 6]);
}

#[test]
fn a_compensation_is_marked_from_the_saga_payload_on_its_lane() {
    let mut pg = Playground::new(preset("payment-fails-compensation").unwrap().session);
    for _ in 0..100 {
        pg.step();
    }
    let rows: Vec<RecordRow> = (0..pg.partition_count(INVENTORY_COMMANDS))
        .flat_map(|p| pg.rows(INVENTORY_COMMANDS, p, 0, u64::MAX))
        .collect();
    let names = |compensation: bool| -> Vec<&str> {
        rows.iter()
            .filter(|r| r.compensation == compensation)
            .filter_map(|r| r.saga_message)
            .collect()
    };
    // The payment fails: the stock reserved for order-1 is released, a compensation.
    assert_eq!(names(true), vec!["ReleaseInventory"]);
    assert!(names(false).contains(&"ReserveInventory"));
    let stage = StageSnapshot::read(&pg, INVENTORY_COMMANDS, HEAD_RECORDS);
    let released: Vec<_> = stage
        .partitions
        .iter()
        .flat_map(|p| &p.head)
        .filter(|r| r.compensation)
        .collect();
    assert_eq!(released.len(), 1);
    assert_eq!(released[0].value, "ReleaseInventory");
}
