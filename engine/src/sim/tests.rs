use super::*;
use crate::group::{CommitPolicy, GroupState, MemberStatus};

fn order(user: &str) -> Payload {
    Payload::Order(OrderEvent {
        user_id: user.into(),
        order_id: "O1".into(),
        status: "Created".into(),
    })
}

fn sim_with_topic(partitions: u32) -> Sim {
    let mut sim = Sim::new(1);
    sim.apply(Command::CreateTopic {
        name: "orders".into(),
        partitions,
        partitioner: Partitioner::Murmur2,
    })
    .unwrap();
    sim
}

fn group(name: &str, policy: CommitPolicy) -> Command {
    let mut config = GroupConfig::new(name, vec!["orders".into()]);
    config.commit_policy = policy;
    Command::CreateGroup { config }
}

fn join(group: &str, member: &str) -> Command {
    Command::JoinGroup {
        group: group.into(),
        member: member.into(),
    }
}

#[test]
fn produce_to_unknown_topic_is_an_error() {
    let mut sim = Sim::new(1);
    let err = sim
        .apply(Command::Produce {
            topic: "nope".into(),
            key: Some("k".into()),
            value: order("U1"),
        })
        .unwrap_err();
    assert_eq!(err, SimError::UnknownTopic("nope".into()));
}

#[test]
fn produced_trace_event_names_the_partition_that_holds_the_record() {
    let mut sim = sim_with_topic(4);
    sim.apply(Command::Produce {
        topic: "orders".into(),
        key: Some("U123".into()),
        value: order("U123"),
    })
    .unwrap();
    let TraceEvent::Produced {
        partition, offset, ..
    } = sim.trace().back().unwrap().clone()
    else {
        panic!("expected a produced event");
    };
    let log = sim.topic("orders").unwrap().partition(partition).unwrap();
    assert_eq!(log.get(offset).unwrap().key.as_deref(), Some("U123"));
}

#[test]
fn a_group_consumes_everything_and_commits() {
    let mut sim = sim_with_topic(3);
    sim.apply(Command::Generate {
        topic: "orders".into(),
        count: 30,
        key_prefix: "U".into(),
        keys: 5,
    })
    .unwrap();
    sim.apply(group("g", CommitPolicy::AfterProcessing))
        .unwrap();
    sim.apply(join("g", "c1")).unwrap();
    sim.apply(join("g", "c2")).unwrap();
    sim.run_until(Tick(100));
    let s = sim.group_snapshot("g").unwrap();
    assert_eq!(s.state, GroupState::Stable);
    assert_eq!(s.generation, 1);
    assert_eq!(s.total_lag, 0);
    assert_eq!(s.counters.processed, 30);
    assert_eq!(s.counters.duplicates, 0);
    let owned: usize = s.members.iter().map(|m| m.owned.len()).sum();
    assert_eq!(owned, 3);
}

#[test]
fn members_beyond_the_partition_count_are_idle() {
    let mut sim = sim_with_topic(6);
    sim.apply(group("g", CommitPolicy::AfterProcessing))
        .unwrap();
    for i in 1..=7 {
        sim.apply(join("g", &format!("c{i}"))).unwrap();
    }
    sim.run_until(Tick(10));
    let s = sim.group_snapshot("g").unwrap();
    let idle: Vec<_> = s.members.iter().filter(|m| m.owned.is_empty()).collect();
    assert_eq!(idle.len(), 1);
    assert!(s.members.iter().all(|m| m.owned.len() <= 1));
}

#[test]
fn a_killed_member_is_noticed_after_the_session_timeout() {
    let mut sim = sim_with_topic(4);
    let mut config = GroupConfig::new("g", vec!["orders".into()]);
    config.session_timeout_ticks = 10;
    sim.apply(Command::CreateGroup { config }).unwrap();
    sim.apply(join("g", "c1")).unwrap();
    sim.apply(join("g", "c2")).unwrap();
    sim.run_until(Tick(5));
    assert_eq!(sim.group_snapshot("g").unwrap().generation, 1);
    sim.apply(Command::KillMember {
        group: "g".into(),
        member: "c2".into(),
    })
    .unwrap();
    sim.run_until(Tick(14));
    let s = sim.group_snapshot("g").unwrap();
    assert!(matches!(s.members[1].status, MemberStatus::Dead { .. }));
    assert_eq!(s.members[1].owned.len(), 2, "still owns until noticed");
    sim.run_until(Tick(30));
    let s = sim.group_snapshot("g").unwrap();
    assert_eq!(s.members.len(), 1);
    assert_eq!(s.members[0].owned.len(), 4);
    assert_eq!(s.generation, 2);
    assert!(sim
        .trace()
        .iter()
        .any(|e| matches!(e, TraceEvent::MemberTimedOut { tick: Tick(15), .. })));
}

#[test]
fn at_least_once_redelivers_processed_but_uncommitted_records() {
    let mut sim = sim_with_topic(1);
    sim.apply(Command::Generate {
        topic: "orders".into(),
        count: 10,
        key_prefix: "U".into(),
        keys: 3,
    })
    .unwrap();
    let mut config = GroupConfig::new("g", vec!["orders".into()]);
    config.max_poll_records = 10;
    config.rebalance_ticks = 0;
    sim.apply(Command::CreateGroup { config }).unwrap();
    sim.apply(join("g", "c1")).unwrap();
    sim.apply(join("g", "c2")).unwrap();
    // Generation 1 at tick 1, fetch at tick 1, process one record per tick from tick 2.
    sim.run_until(Tick(6));
    let owner = sim.group_snapshot("g").unwrap().partitions[0]
        .owner
        .clone()
        .unwrap();
    sim.apply(Command::KillMember {
        group: "g".into(),
        member: owner,
    })
    .unwrap();
    sim.run_until(Tick(60));
    let s = sim.group_snapshot("g").unwrap();
    assert_eq!(s.counters.lost, 0);
    assert!(s.counters.duplicates > 0, "{s:?}");
    assert_eq!(s.counters.processed, 10 + s.counters.duplicates);
    assert_eq!(s.partitions[0].committed, Some(Offset(10)));
}

#[test]
fn at_most_once_loses_committed_but_unprocessed_records() {
    let mut sim = sim_with_topic(1);
    sim.apply(Command::Generate {
        topic: "orders".into(),
        count: 10,
        key_prefix: "U".into(),
        keys: 3,
    })
    .unwrap();
    let mut config = GroupConfig::new("g", vec!["orders".into()]);
    config.commit_policy = CommitPolicy::BeforeProcessing;
    config.rebalance_ticks = 0;
    sim.apply(Command::CreateGroup { config }).unwrap();
    sim.apply(join("g", "c1")).unwrap();
    sim.apply(join("g", "c2")).unwrap();
    sim.run_until(Tick(6));
    let owner = sim.group_snapshot("g").unwrap().partitions[0]
        .owner
        .clone()
        .unwrap();
    sim.apply(Command::KillMember {
        group: "g".into(),
        member: owner,
    })
    .unwrap();
    sim.run_until(Tick(60));
    let s = sim.group_snapshot("g").unwrap();
    assert_eq!(s.counters.duplicates, 0);
    assert!(s.counters.lost > 0);
    assert_eq!(s.counters.processed + s.counters.lost, 10);
}

#[test]
fn offset_reset_is_refused_while_the_group_has_members() {
    let mut sim = sim_with_topic(2);
    sim.apply(group("g", CommitPolicy::AfterProcessing))
        .unwrap();
    sim.apply(join("g", "c1")).unwrap();
    let err = sim
        .apply(Command::ResetOffsets {
            group: "g".into(),
            topic: None,
            spec: OffsetResetSpec::ToEarliest,
        })
        .unwrap_err();
    assert!(err
        .to_string()
        .starts_with("Assignments can only be reset if the group 'g' is inactive"));
    sim.apply(Command::LeaveGroup {
        group: "g".into(),
        member: "c1".into(),
    })
    .unwrap();
    sim.apply(Command::ResetOffsets {
        group: "g".into(),
        topic: None,
        spec: OffsetResetSpec::ToLatest,
    })
    .unwrap();
}

#[test]
fn idempotent_producer_drops_the_retried_duplicate() {
    for idempotent in [false, true] {
        let mut sim = sim_with_topic(1);
        let mut config = ProducerConfig::new("p");
        config.retries = 3;
        config.idempotent = idempotent;
        sim.apply(Command::CreateProducer { config }).unwrap();
        sim.apply(Command::LoseNextAcks {
            producer: "p".into(),
            count: 1,
        })
        .unwrap();
        sim.apply(Command::Send {
            producer: "p".into(),
            topic: "orders".into(),
            key: Some("U1".into()),
            value: order("U1"),
        })
        .unwrap();
        let log = sim
            .topic("orders")
            .unwrap()
            .partition(PartitionId(0))
            .unwrap();
        let expected = if idempotent { 1 } else { 2 };
        assert_eq!(log.len(), expected, "idempotent={idempotent}");
        let dropped = sim
            .trace()
            .iter()
            .filter(|e| matches!(e, TraceEvent::DuplicateDropped { .. }))
            .count();
        assert_eq!(dropped, usize::from(idempotent));
    }
}

/// Forwards every order to `shipments`, failing the first attempt of every third offset.
struct Forwarder;

impl Processor for Forwarder {
    fn process(
        &mut self,
        delivery: &crate::process::Delivery<'_>,
        _rng: &mut SimRng,
    ) -> crate::process::ProcessOutcome {
        if delivery.record.offset.0 % 3 == 0 && delivery.attempt == 1 {
            return crate::process::ProcessOutcome::Retry {
                error: "busy".into(),
                after_ticks: 2,
            };
        }
        crate::process::ProcessOutcome::Success {
            produce: vec![OutgoingRecord::new(
                "shipments",
                delivery.record.key.clone(),
                delivery.record.value.clone(),
            )
            .caused_by(delivery.record)],
        }
    }

    fn snapshot(&self) -> serde_json::Value {
        serde_json::json!({"kind": "forwarder"})
    }
}

#[test]
fn a_processor_turns_a_group_into_a_service_with_causation_headers() {
    let mut sim = sim_with_topic(2);
    sim.apply(Command::CreateTopic {
        name: "shipments".into(),
        partitions: 2,
        partitioner: Partitioner::Murmur2,
    })
    .unwrap();
    sim.apply(group("forwarder", CommitPolicy::AfterProcessing))
        .unwrap();
    sim.set_processor("forwarder", Box::new(Forwarder)).unwrap();
    assert!(sim.set_processor("nope", Box::new(Forwarder)).is_err());
    sim.apply(join("forwarder", "f1")).unwrap();
    sim.apply(Command::Generate {
        topic: "orders".into(),
        count: 12,
        key_prefix: "U".into(),
        keys: 4,
    })
    .unwrap();
    sim.run_until(Tick(80));
    let shipments = sim.topic("shipments").unwrap();
    assert_eq!(shipments.len(), 12);
    let orders = sim.topic("orders").unwrap();
    for log in shipments.partitions() {
        for r in log.records() {
            let cause = r.headers.causation_id.expect("caused by an order");
            let original = orders
                .partitions()
                .iter()
                .flat_map(|l| l.records().iter())
                .find(|o| o.headers.event_id == cause)
                .expect("cause exists");
            assert_eq!(original.key, r.key);
            assert_eq!(r.headers.correlation_id, Some(cause.to_string()));
        }
    }
    let s = sim.group_snapshot("forwarder").unwrap();
    assert_eq!(s.counters.processed, 12);
    assert!(s.counters.retries >= 4, "{:?}", s.counters);
    assert_eq!(
        sim.summary().groups[0].processor,
        serde_json::json!({"kind": "forwarder"})
    );
}
