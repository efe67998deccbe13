//! Producers in the playground: lost acknowledgements, duplicates or dropped retries, replay,
//! and refusals.

use crate::playground::tests::{event, fingerprint};
use crate::playground::Playground;
use crate::producers::{ProducerFormError, SendReport};
use crate::session::{Session, Setup, ORDERS_TOPIC};
use orderflow_engine::producer::ProducerConfig;

/// A one-partition topic `orders` (no groups) with producer `p`: 3 retries, idempotent
/// or not.
fn producer_playground(idempotent: bool) -> Playground {
    let mut session = Session::default().with_topics(vec![Setup::named(ORDERS_TOPIC, 1)]);
    session.scenario.groups.clear();
    let mut pg = Playground::new(session);
    let mut config = ProducerConfig::new("p");
    config.retries = 3;
    config.idempotent = idempotent;
    pg.add_producer(config).unwrap();
    pg
}

fn send_one(pg: &mut Playground, order: &str) -> SendReport {
    pg.send(
        "p",
        ORDERS_TOPIC,
        Some("U1".into()),
        event("U1", order, "Created"),
    )
    .unwrap()
}

#[test]
fn a_lost_ack_makes_the_retry_a_duplicate_of_the_first_offset() {
    let mut pg = producer_playground(false);
    send_one(&mut pg, "O1");
    send_one(&mut pg, "O2");
    pg.lose_next_acks("p", 1).unwrap();
    assert_eq!(pg.producers()[0].acks_to_lose, 1);
    let report = send_one(&mut pg, "O3");
    assert_eq!(report.partition, Some(0));
    assert_eq!(report.offset, Some(2));
    assert_eq!(report.duplicates, vec![(3, 2)]);
    assert!(report.sentence().contains("duplicate of offset 2"));
    let rows = pg.rows(ORDERS_TOPIC, 0, 0, u64::MAX);
    let marks: Vec<(u64, Option<u64>)> = rows.iter().map(|r| (r.offset, r.duplicate_of)).collect();
    assert_eq!(marks, [(0, None), (1, None), (2, None), (3, Some(2))]);
    assert_eq!(
        rows[3].order_id, "O3",
        "the duplicate is the same record again"
    );
    let view = &pg.producers()[0];
    assert_eq!(
        (
            view.counters.sends,
            view.counters.appended,
            view.counters.acks_lost
        ),
        (3, 4, 1)
    );
    assert_eq!((view.duplicates_appended, view.acks_to_lose), (1, 0));
    let said = pg.take_announcements().join(" ");
    assert!(
        said.contains("Producer p lost an acknowledgement; the retry appended a duplicate at orders partition 0 offset 3 (duplicate of offset 2)"),
        "{said}"
    );
}

#[test]
fn an_idempotent_producer_drops_the_retry_and_leaves_no_duplicate() {
    let mut pg = producer_playground(true);
    pg.lose_next_acks("p", 1).unwrap();
    let report = send_one(&mut pg, "O1");
    assert_eq!((report.offset, report.dropped), (Some(0), 1));
    assert!(report.duplicates.is_empty());
    assert_eq!(pg.topic_records(ORDERS_TOPIC), 1);
    assert!(pg.rows(ORDERS_TOPIC, 0, 0, u64::MAX)[0]
        .duplicate_of
        .is_none());
    let view = &pg.producers()[0];
    assert_eq!(view.counters.duplicates_dropped, 1);
    assert_eq!(view.duplicates_appended, 0);
    assert!(pg.producer_duplicates().is_empty());
    assert!(pg
        .take_announcements()
        .join(" ")
        .contains("the broker dropped the idempotent retry"));
}

#[test]
fn producer_actions_are_logged_and_replay_to_the_same_duplicates() {
    let mut pg = producer_playground(false);
    send_one(&mut pg, "O1");
    pg.step();
    pg.lose_next_acks("p", 2).unwrap();
    send_one(&mut pg, "O2");
    pg.step();
    assert_eq!(
        pg.producer_duplicates(),
        [
            (ORDERS_TOPIC.to_string(), 0, 2, 1),
            (ORDERS_TOPIC.to_string(), 0, 3, 1)
        ]
    );
    let replayed = Playground::new(pg.session().clone());
    assert_eq!(replayed.producer_duplicates(), pg.producer_duplicates());
    assert_eq!(fingerprint(&replayed), fingerprint(&pg));
    assert_eq!(replayed.producers(), pg.producers());
    // Through a share link too.
    let link = crate::share::encode(pg.session());
    let decoded = crate::share::decode(&link).unwrap();
    assert_eq!(
        Playground::new(decoded).producer_duplicates(),
        pg.producer_duplicates()
    );
    // Rewinding to tick 0 (before the second send, at tick 1) forgets its duplicates;
    // going forward again restores them.
    pg.replay_to(0);
    assert!(pg.producer_duplicates().is_empty());
    pg.replay_to(2);
    assert_eq!(pg.producer_duplicates().len(), 2);
}

#[test]
fn refused_producer_actions_say_why_and_log_nothing() {
    let mut pg = producer_playground(false);
    let logged = pg.session().actions.len();
    assert_eq!(
        pg.add_producer(ProducerConfig::new("p")),
        Err(ProducerFormError::DuplicateName { name: "p".into() })
    );
    assert_eq!(
        pg.add_producer(ProducerConfig::new("")),
        Err(ProducerFormError::EmptyName)
    );
    assert!(matches!(
        pg.send("nobody", ORDERS_TOPIC, None, event("U1", "O1", "Created")),
        Err(ProducerFormError::UnknownProducer { .. })
    ));
    assert!(matches!(
        pg.send("p", "nowhere", None, event("U1", "O1", "Created")),
        Err(ProducerFormError::UnknownTopic { .. })
    ));
    let mut bad = ProducerConfig::new("q");
    bad.retries = orderflow_engine::producer::MAX_RETRIES + 1;
    assert!(matches!(
        pg.add_producer(bad),
        Err(ProducerFormError::Refused { .. })
    ));
    assert_eq!(pg.session().actions.len(), logged);
}
