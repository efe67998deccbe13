use super::*;
use crate::generator::GeneratorError;
use crate::group::{CommitPolicy, GroupConfig, GroupState, MemberStatus, OffsetResetSpec};
use crate::ids::{EventId, MemberId, Offset, PartitionId};
use crate::log::{Headers, OrderEvent, Payload};
use crate::partitioner::Partitioner;
use crate::process::{OutgoingRecord, Processor};
use crate::producer::ProducerConfig;
use crate::topic::TopicSpec;
use std::collections::BTreeMap;

fn order(user: &str) -> Payload {
    Payload::Order(OrderEvent {
        user_id: user.into(),
        order_id: "O1".into(),
        status: "Created".into(),
    })
}

/// One group's processor, by group name.
fn processors(
    group: &str,
    processor: impl Processor + 'static,
) -> BTreeMap<String, Box<dyn Processor>> {
    BTreeMap::from([(group.to_string(), Box::new(processor) as Box<dyn Processor>)])
}

/// Steps with `processors` until the clock reads `tick`.
fn run_until_with(sim: &mut Sim, tick: u64, processors: &mut dyn Processors) {
    while sim.now() < Tick(tick) {
        sim.step_with(processors);
    }
}

fn sim_with_topic(partitions: u32) -> Sim {
    let mut sim = Sim::new(1);
    sim.apply(Command::CreateTopic(TopicSpec::new(
        "orders",
        partitions,
        Partitioner::Murmur2,
    )))
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

/// `World::append` looks the topic up once, to route and to append, and issues a fresh
/// event id only after that lookup: a produce to an unknown topic must use up no id, or
/// every later record's id (and so every trace after it) would shift.
#[test]
fn a_produce_to_an_unknown_topic_uses_up_no_event_id() {
    let produce = |topic: &str| Command::Produce {
        topic: topic.into(),
        key: Some("U1".into()),
        value: order("U1"),
    };
    let event_id_of_last = |sim: &Sim| match sim.trace().back() {
        Some(TraceEvent::Produced { event_id, .. }) => *event_id,
        other => panic!("expected a produced event, got {other:?}"),
    };
    let mut refused_first = sim_with_topic(4);
    assert!(refused_first.apply(produce("nope")).is_err());
    refused_first.apply(produce("orders")).unwrap();
    let mut plain = sim_with_topic(4);
    plain.apply(produce("orders")).unwrap();
    assert_eq!(event_id_of_last(&refused_first), event_id_of_last(&plain));
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
    assert_eq!(log.get(offset).unwrap().key(), Some("U123"));
}

#[test]
fn a_group_consumes_everything_and_commits() {
    let mut sim = sim_with_topic(3);
    sim.apply(Command::Generate {
        topic: "orders".into(),
        count: 30,
        key_space: KeySpace::new("U", 5),
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
fn a_timed_out_member_reports_the_partitions_it_lost() {
    let mut sim = sim_with_topic(4);
    sim.apply(group("g", CommitPolicy::AfterProcessing))
        .unwrap();
    sim.apply(join("g", "c1")).unwrap();
    sim.apply(join("g", "c2")).unwrap();
    sim.run_until(Tick(5));
    let owned_by_c2 = sim.group_snapshot("g").unwrap().members[1].owned.clone();
    assert_eq!(owned_by_c2.len(), 2);
    sim.apply(Command::KillMember {
        group: "g".into(),
        member: "c2".into(),
    })
    .unwrap();
    sim.run_until(Tick(30));
    let lost: Vec<_> = sim
        .trace()
        .iter()
        .filter_map(|e| match e {
            TraceEvent::MemberTimedOut {
                member,
                lost_partitions,
                ..
            } if member.0 == "c2" => Some(lost_partitions.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(lost, vec![owned_by_c2]);
}

#[test]
fn at_least_once_redelivers_processed_but_uncommitted_records() {
    let mut sim = sim_with_topic(1);
    sim.apply(Command::Generate {
        topic: "orders".into(),
        count: 10,
        key_space: KeySpace::new("U", 3),
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
    let redelivered: u64 = sim
        .trace()
        .iter()
        .filter_map(|e| match e {
            TraceEvent::Redelivered {
                from_offset,
                to_offset,
                ..
            } => Some(to_offset.0 - from_offset.0),
            _ => None,
        })
        .sum();
    assert_eq!(redelivered, s.counters.duplicates);
    assert_eq!(s.counters.processed, 10 + s.counters.duplicates);
    assert_eq!(s.partitions[0].committed, Some(Offset(10)));
}

#[test]
fn at_most_once_loses_committed_but_unprocessed_records() {
    let mut sim = sim_with_topic(1);
    sim.apply(Command::Generate {
        topic: "orders".into(),
        count: 10,
        key_space: KeySpace::new("U", 3),
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

#[test]
fn a_retried_append_names_the_offset_of_its_first_copy() {
    let mut sim = sim_with_topic(1);
    let mut config = ProducerConfig::new("p");
    config.retries = 3;
    sim.apply(Command::CreateProducer { config }).unwrap();
    sim.apply(Command::Produce {
        topic: "orders".into(),
        key: Some("U0".into()),
        value: order("U0"),
    })
    .unwrap();
    sim.apply(Command::LoseNextAcks {
        producer: "p".into(),
        count: 2,
    })
    .unwrap();
    assert_eq!(sim.producer("p").unwrap().acks_to_lose(), 2);
    sim.apply(Command::Send {
        producer: "p".into(),
        topic: "orders".into(),
        key: Some("U1".into()),
        value: order("U1"),
    })
    .unwrap();
    assert_eq!(sim.producer("p").unwrap().acks_to_lose(), 0);
    let produced: Vec<(u64, u32, Option<u64>)> = sim
        .trace()
        .iter()
        .filter_map(|e| match e {
            TraceEvent::Produced { offset, origin, .. } => Some((
                offset.0,
                origin.attempt(),
                origin.duplicate_of().map(|o| o.0),
            )),
            _ => None,
        })
        .collect();
    // The plain produce at 0, the send at 1, two retries appended again at 2 and 3.
    assert_eq!(
        produced,
        [(0, 1, None), (1, 1, None), (2, 2, Some(1)), (3, 3, Some(1))]
    );
    let names: Vec<&str> = sim.producers().map(|p| p.config.name.as_str()).collect();
    assert_eq!(names, ["p"]);
}

#[test]
fn losing_more_acks_than_fit_saturates_instead_of_overflowing() {
    let mut sim = sim_with_topic(1);
    sim.apply(Command::CreateProducer {
        config: ProducerConfig::new("p"),
    })
    .unwrap();
    for _ in 0..2 {
        sim.apply(Command::LoseNextAcks {
            producer: "p".into(),
            count: u32::MAX,
        })
        .unwrap();
    }
    assert_eq!(sim.producer("p").unwrap().acks_to_lose(), u32::MAX);
}

/// Forwards every order to `shipments`, failing the first attempt of every third offset.
struct Forwarder;

impl Processor for Forwarder {
    fn process(
        &mut self,
        delivery: &crate::process::Delivery<'_>,
        _rng: &mut SimRng,
    ) -> crate::process::ProcessOutcome {
        if delivery.record.offset().0 % 3 == 0 && delivery.attempt == 1 {
            return crate::process::ProcessOutcome::Retry {
                error: "busy".into(),
                after_ticks: 2,
            };
        }
        crate::process::ProcessOutcome::Success {
            produce: vec![OutgoingRecord::new(
                "shipments",
                delivery.record.key().map(str::to_owned),
                delivery.record.value().into_owned(),
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
    sim.apply(Command::CreateTopic(TopicSpec::new(
        "shipments",
        2,
        Partitioner::Murmur2,
    )))
    .unwrap();
    sim.apply(group("forwarder", CommitPolicy::AfterProcessing))
        .unwrap();
    let mut forwarder = processors("forwarder", Forwarder);
    sim.apply(join("forwarder", "f1")).unwrap();
    sim.apply(Command::Generate {
        topic: "orders".into(),
        count: 12,
        key_space: KeySpace::new("U", 4),
    })
    .unwrap();
    run_until_with(&mut sim, 80, &mut forwarder);
    let shipments = sim.topic("shipments").unwrap();
    assert_eq!(shipments.len(), 12);
    let orders = sim.topic("orders").unwrap();
    for log in shipments.partitions() {
        for r in log.records() {
            let cause = r.causation_id().expect("caused by an order");
            let original = orders
                .partitions()
                .iter()
                .flat_map(|l| l.records())
                .find(|o| o.event_id() == cause)
                .expect("cause exists");
            assert_eq!(original.key(), r.key());
            assert_eq!(r.correlation_id(), Some(cause.to_string().as_str()));
        }
    }
    let s = sim.group_snapshot("forwarder").unwrap();
    assert_eq!(s.counters.processed, 12);
    assert!(s.counters.retries >= 4, "{:?}", s.counters);
    assert_eq!(
        sim.summary_with(&forwarder).groups[0].processor,
        serde_json::json!({"kind": "forwarder"})
    );
    assert_eq!(sim.summary().groups[0].processor, serde_json::Value::Null);
}

#[test]
fn a_session_exported_as_a_scenario_replays_the_same_trace() {
    let mut preset = crate::scenario::presets()
        .into_iter()
        .find(|p| p.name == "event-hubs-orders")
        .unwrap();
    preset.topics.push(crate::scenario::TopicSpec::new(
        "shipments",
        2,
        Partitioner::Murmur2,
    ));
    let create = Command::CreateGroup {
        config: GroupConfig::new("forwarder", vec!["orders".into()]),
    };
    preset.commands.push(crate::scenario::TimedCommand {
        at: Tick(5),
        command: create.into(),
    });
    preset.commands.push(crate::scenario::TimedCommand {
        at: Tick(6),
        command: join("forwarder", "f1").into(),
    });
    // The group the commands create later runs the processor given by its name.
    let mut forwarder = processors("forwarder", Forwarder);
    let mut live = Sim::from_scenario(&preset).unwrap();
    run_until_with(&mut live, 40, &mut forwarder);
    // A user acts between steps.
    live.apply(Command::KillMember {
        group: "Notifier".into(),
        member: "vm1".into(),
    })
    .unwrap();
    live.apply(join("Analytics", "vm2")).unwrap();
    assert!(live.apply(join("Analytics", "vm2")).is_err());
    live.schedule(Tick(50), join("OrderProcessor", "vm3"))
        .unwrap();
    live.schedule(Tick(55), join("nope", "vm3")).unwrap();
    run_until_with(&mut live, 90, &mut forwarder);
    assert!(
        !live.topic("shipments").unwrap().is_empty(),
        "the processor ran"
    );

    let exported = live.to_scenario("session", "");
    let json = exported.to_json_pretty();
    let imported = crate::scenario::Scenario::from_json(&json).unwrap();
    let mut replay = Sim::from_scenario(&imported).unwrap();
    let mut forwarder = processors("forwarder", Forwarder);
    run_until_with(&mut replay, imported.ticks.unwrap(), &mut forwarder);
    let a: Vec<String> = live
        .trace()
        .iter()
        .map(|e| serde_json::to_string(e).unwrap())
        .collect();
    let b: Vec<String> = replay
        .trace()
        .iter()
        .map(|e| serde_json::to_string(e).unwrap())
        .collect();
    assert_eq!(a.len(), b.len());
    assert_eq!(a, b);
    assert!(a.iter().any(|e| e.contains("command_rejected")));
}

#[test]
fn eager_rebalance_pauses_the_whole_group() {
    let mut sim = sim_with_topic(6);
    sim.apply(Command::SetGenerator {
        topic: "orders".into(),
        records_per_tick: 6,
        key_space: KeySpace::new("U", 50),
    })
    .unwrap();
    let mut config = GroupConfig::new("g", vec!["orders".into()]);
    config.rebalance_ticks = 5;
    config.processing_ticks_per_record = 0;
    sim.apply(Command::CreateGroup { config }).unwrap();
    sim.apply(join("g", "c1")).unwrap();
    sim.apply(join("g", "c2")).unwrap();
    sim.run_until(Tick(20));
    let start = sim.trace_len();
    sim.apply(join("g", "c3")).unwrap();
    sim.run_until(Tick(40));
    let events: Vec<&TraceEvent> = sim.trace_since(start).map(|(_, e)| e).collect();
    let completed_at = events
        .iter()
        .find_map(|e| match e {
            TraceEvent::RebalanceCompleted { tick, .. } => Some(*tick),
            _ => None,
        })
        .unwrap();
    assert_eq!(completed_at, Tick(25));
    let fetched_during = events
        .iter()
        .filter(|e| matches!(e, TraceEvent::Fetched { tick, .. } if *tick > Tick(20) && *tick < completed_at))
        .count();
    assert_eq!(
        fetched_during, 0,
        "eager: nobody fetches during the rebalance"
    );
    assert!(events
        .iter()
        .any(|e| matches!(e, TraceEvent::Fetched { tick, .. } if *tick > completed_at)));
}

#[test]
fn adding_partitions_rebalances_subscribed_groups_and_moves_keys() {
    let mut sim = sim_with_topic(2);
    sim.apply(group("g", CommitPolicy::AfterProcessing))
        .unwrap();
    sim.apply(join("g", "c1")).unwrap();
    sim.apply(join("g", "c2")).unwrap();
    sim.run_until(Tick(10));
    let keys: Vec<String> = (0..40).map(|i| format!("U{i}")).collect();
    let route = |sim: &mut Sim, key: &str| {
        sim.apply(Command::Produce {
            topic: "orders".into(),
            key: Some(key.into()),
            value: order(key),
        })
        .unwrap();
        match sim.trace().back().unwrap() {
            TraceEvent::Produced { partition, .. } => *partition,
            e => panic!("{e:?}"),
        }
    };
    let before: Vec<PartitionId> = keys.iter().map(|k| route(&mut sim, k)).collect();
    assert_eq!(
        sim.apply(Command::AddPartitions {
            topic: "orders".into(),
            partitions: 1
        })
        .unwrap_err()
        .to_string(),
        "topic \"orders\" has 2 partitions; the count can only grow (asked for 1)"
    );
    sim.apply(Command::AddPartitions {
        topic: "orders".into(),
        partitions: 4,
    })
    .unwrap();
    let after: Vec<PartitionId> = keys.iter().map(|k| route(&mut sim, k)).collect();
    assert!(
        before.iter().zip(&after).any(|(b, a)| b != a),
        "some keys move"
    );
    sim.run_until(Tick(100));
    let s = sim.group_snapshot("g").unwrap();
    assert_eq!(s.generation, 2);
    assert_eq!(s.partitions.len(), 4);
    assert!(s.members.iter().all(|m| m.owned.len() == 2));
    assert_eq!(s.total_lag, 0);
}

#[test]
fn rejoining_under_a_dead_members_name_says_when_it_expires() {
    let mut sim = sim_with_topic(2);
    sim.apply(group("g", CommitPolicy::AfterProcessing))
        .unwrap();
    sim.apply(join("g", "c1")).unwrap();
    sim.run_until(Tick(3));
    sim.apply(Command::KillMember {
        group: "g".into(),
        member: "c1".into(),
    })
    .unwrap();
    let err = sim.apply(join("g", "c1")).unwrap_err();
    assert!(
        err.to_string().contains("session times out at tick 13"),
        "{err}"
    );
    sim.run_until(Tick(13));
    sim.apply(join("g", "c1")).unwrap();
}

#[test]
fn configure_group_changes_speed_at_runtime() {
    let mut sim = sim_with_topic(1);
    sim.apply(group("g", CommitPolicy::AfterProcessing))
        .unwrap();
    sim.apply(join("g", "c1")).unwrap();
    sim.apply(Command::Generate {
        topic: "orders".into(),
        count: 100,
        key_space: KeySpace::new("U", 3),
    })
    .unwrap();
    sim.run_until(Tick(20));
    let slow = sim.group_snapshot("g").unwrap().counters.processed;
    assert!(slow < 25, "one record per tick: {slow}");
    sim.apply(Command::ConfigureGroup {
        group: "g".into(),
        processing_ticks_per_record: Some(0),
        max_poll_records: Some(50),
    })
    .unwrap();
    sim.run_until(Tick(25));
    assert_eq!(sim.group_snapshot("g").unwrap().counters.processed, 100);
    assert!(sim
        .apply(Command::ConfigureGroup {
            group: "g".into(),
            processing_ticks_per_record: None,
            max_poll_records: Some(0),
        })
        .is_err());
}

#[test]
fn a_group_subscribed_before_its_topic_exists_rebalances_when_it_appears() {
    let mut sim = Sim::new(1);
    sim.apply(group("g", CommitPolicy::AfterProcessing))
        .unwrap();
    sim.apply(join("g", "c1")).unwrap();
    sim.run_until(Tick(5));
    assert!(sim.group_snapshot("g").unwrap().members[0].owned.is_empty());
    sim.apply(Command::CreateTopic(TopicSpec::new(
        "orders",
        3,
        Partitioner::Murmur2,
    )))
    .unwrap();
    sim.run_until(Tick(10));
    let s = sim.group_snapshot("g").unwrap();
    assert_eq!(s.members[0].owned.len(), 3);
    assert_eq!(s.generation, 2);
}

#[test]
fn cooperative_rebalance_keeps_unmoved_partitions_consuming_and_takes_two_rounds() {
    let mut sim = sim_with_topic(6);
    sim.apply(Command::SetGenerator {
        topic: "orders".into(),
        records_per_tick: 6,
        key_space: KeySpace::new("U", 50),
    })
    .unwrap();
    let mut config = GroupConfig::new("g", vec!["orders".into()]);
    config.strategy = crate::assignor::AssignmentStrategy::CooperativeSticky;
    config.rebalance_ticks = 3;
    sim.apply(Command::CreateGroup { config }).unwrap();
    sim.apply(join("g", "c1")).unwrap();
    sim.apply(join("g", "c2")).unwrap();
    sim.run_until(Tick(20));
    let before = sim.group_snapshot("g").unwrap();
    assert_eq!(before.members[0].owned.len(), 3);
    let start = sim.trace_len();
    sim.apply(join("g", "c3")).unwrap();
    sim.run_until(Tick(60));
    let events: Vec<&TraceEvent> = sim.trace_since(start).map(|(_, e)| e).collect();
    let completed: Vec<(i32, usize, usize)> = events
        .iter()
        .filter_map(|e| match e {
            TraceEvent::RebalanceCompleted {
                generation,
                revoked,
                withheld,
                assigned,
                ..
            } => Some((*generation, revoked.len() + withheld.len(), assigned.len())),
            _ => None,
        })
        .collect();
    let withheld_for: Vec<&MemberId> = events
        .iter()
        .filter_map(|e| match e {
            TraceEvent::RebalanceCompleted { withheld, .. } => Some(withheld.values()),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(
        withheld_for.len(),
        2,
        "one partition from each of c1 and c2"
    );
    assert!(withheld_for.iter().all(|m| m.as_str() == "c3"));
    // Round 1 revokes (and withholds) what moves to c3; round 2 hands it over.
    assert_eq!(completed.len(), 2, "{completed:?}");
    assert!(completed[0].1 > 0);
    assert_eq!(completed[1].0, completed[0].0 + 1);
    let after = sim.group_snapshot("g").unwrap();
    assert!(
        after.members.iter().all(|m| m.owned.len() == 2),
        "{after:?}"
    );
    // Stickiness: c1 and c2 kept two of their three partitions each.
    for (b, a) in before.members.iter().zip(&after.members) {
        let kept = a.owned.iter().filter(|tp| b.owned.contains(tp)).count();
        assert_eq!(kept, 2, "{} kept {kept}", a.id);
    }
    // Members kept consuming their unmoved partitions while the rebalance ran.
    let started = events
        .iter()
        .find_map(|e| match e {
            TraceEvent::RebalanceStarted { tick, .. } => Some(*tick),
            _ => None,
        })
        .unwrap();
    let finished = events
        .iter()
        .rev()
        .find_map(|e| match e {
            TraceEvent::RebalanceCompleted { tick, .. } => Some(*tick),
            _ => None,
        })
        .unwrap();
    let processed_during = events
        .iter()
        .filter(|e| matches!(e, TraceEvent::Processed { tick, .. } if *tick > started && *tick < finished))
        .count();
    assert!(processed_during > 0, "cooperative members kept consuming");
}

#[test]
fn a_slow_member_builds_lag_on_its_own_partitions() {
    let mut sim = sim_with_topic(2);
    sim.apply(Command::SetGenerator {
        topic: "orders".into(),
        records_per_tick: 2,
        key_space: KeySpace::new("U", 40),
    })
    .unwrap();
    sim.apply(group("g", CommitPolicy::AfterProcessing))
        .unwrap();
    sim.apply(join("g", "fast")).unwrap();
    sim.apply(join("g", "slow")).unwrap();
    sim.apply(Command::ConfigureMember {
        group: "g".into(),
        member: "slow".into(),
        processing_ticks_per_record: Some(4),
    })
    .unwrap();
    sim.apply(Command::ConfigureMember {
        group: "g".into(),
        member: "fast".into(),
        processing_ticks_per_record: Some(0),
    })
    .unwrap();
    sim.run_until(Tick(100));
    let s = sim.group_snapshot("g").unwrap();
    let lag_of = |member: &str| -> u64 {
        s.partitions
            .iter()
            .filter(|p| p.owner.as_ref().is_some_and(|o| o.as_str() == member))
            .map(|p| p.lag)
            .sum()
    };
    assert!(lag_of("slow") > 10 * lag_of("fast").max(1), "{s:?}");
    let slow = s.members.iter().find(|m| m.id.as_str() == "slow").unwrap();
    assert_eq!(slow.processing_ticks_per_record, 4);
}

#[test]
fn lag_history_charts_lag_and_both_rates() {
    let mut sim = sim_with_topic(2);
    sim.apply(Command::SetGenerator {
        topic: "orders".into(),
        records_per_tick: 3,
        key_space: KeySpace::new("U", 10),
    })
    .unwrap();
    sim.apply(group("g", CommitPolicy::AfterProcessing))
        .unwrap();
    sim.apply(join("g", "c1")).unwrap();
    sim.run_until(Tick(50));
    let history = sim.lag_history("g").unwrap();
    let samples = history.samples();
    assert_eq!(samples.len(), 50);
    let (a, b) = (&samples[20], samples.last().unwrap());
    let ticks = b.tick.0 - a.tick.0;
    assert_eq!(
        (b.log_end - a.log_end) / ticks,
        3,
        "3 records produced per tick"
    );
    assert_eq!(
        (b.processed - a.processed) / ticks,
        1,
        "1 record processed per tick"
    );
    assert!(b.total > a.total, "lag grows");
    assert_eq!(b.total, b.partitions.iter().sum::<u64>());
    assert_eq!(b.total, sim.group_snapshot("g").unwrap().total_lag);
}

#[test]
fn oversized_inputs_are_refused_not_run() {
    let mut sim = sim_with_topic(1);
    let err = sim
        .apply(Command::Generate {
            topic: "orders".into(),
            count: u32::MAX,
            key_space: KeySpace::new("U", 1),
        })
        .unwrap_err();
    assert_eq!(
        err,
        SimError::Generator(GeneratorError::TooManyRecords {
            requested: u32::MAX,
            max: MAX_GENERATED_RECORDS
        })
    );
    let mut config = ProducerConfig::new("p");
    config.retries = u32::MAX;
    assert!(matches!(
        sim.apply(Command::CreateProducer { config }).unwrap_err(),
        SimError::Producer(crate::producer::ProducerError::Retries { .. })
    ));
}

/// Writes an "outbox row" for every record: the event id is issued while processing, the
/// record is published under it twice (a relay that crashed after its first send).
struct OutboxLike {
    issued: Vec<EventId>,
}

impl Processor for OutboxLike {
    fn process(
        &mut self,
        delivery: &crate::process::Delivery<'_>,
        _rng: &mut SimRng,
    ) -> crate::process::ProcessOutcome {
        let id = delivery.issue_event_id();
        self.issued.push(id);
        let out = OutgoingRecord::new(
            "shipments",
            delivery.record.key().map(str::to_owned),
            delivery.record.value().into_owned(),
        )
        .caused_by(delivery.record)
        .with_event_id(id);
        crate::process::ProcessOutcome::Success {
            produce: vec![out.clone(), out],
        }
    }
}

#[test]
fn a_record_published_twice_under_an_issued_event_id_is_the_same_event() {
    let mut sim = sim_with_topic(1);
    sim.apply(Command::CreateTopic(TopicSpec::new(
        "shipments",
        1,
        Partitioner::Murmur2,
    )))
    .unwrap();
    sim.apply(group("relay", CommitPolicy::AfterProcessing))
        .unwrap();
    let mut relay = processors("relay", OutboxLike { issued: Vec::new() });
    sim.apply(join("relay", "r1")).unwrap();
    for user in ["U1", "U2"] {
        sim.apply(Command::Produce {
            topic: "orders".into(),
            key: Some(user.into()),
            value: order(user),
        })
        .unwrap();
    }
    run_until_with(&mut sim, 20, &mut relay);
    let ids: Vec<EventId> = sim.topic("shipments").unwrap().partitions()[0]
        .records()
        .map(|r| r.event_id())
        .collect();
    // Orders got ids 1 and 2; the processor issued 3 and 4 and each went out twice.
    assert_eq!(ids, [EventId(3), EventId(3), EventId(4), EventId(4)]);
    // The next fresh id is not one of them.
    sim.apply(Command::Produce {
        topic: "orders".into(),
        key: Some("U3".into()),
        value: order("U3"),
    })
    .unwrap();
    let last = sim.topic("orders").unwrap().partitions()[0]
        .records()
        .last()
        .unwrap()
        .event_id();
    assert_eq!(last, EventId(5));
}

#[test]
fn produce_with_headers_keeps_an_issued_event_id_and_refuses_others() {
    let mut sim = sim_with_topic(2);
    sim.apply(Command::Produce {
        topic: "orders".into(),
        key: Some("U1".into()),
        value: order("U1"),
    })
    .unwrap();
    let headers = |id: u64| Headers {
        event_id: EventId(id),
        correlation_id: Some("O1".into()),
        causation_id: None,
        schema_version: 2,
    };
    let again = Command::ProduceWithHeaders {
        topic: "orders".into(),
        key: Some("U1".into()),
        value: order("U1"),
        headers: headers(1),
    };
    sim.apply(again).unwrap();
    let records: Vec<_> = sim
        .topic("orders")
        .unwrap()
        .partitions()
        .iter()
        .flat_map(|l| l.records().map(|r| r.to_record()))
        .collect();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].headers.event_id, records[1].headers.event_id);
    assert_eq!(records[1].headers, headers(1));
    for id in [0, 2, 99] {
        let err = sim
            .apply(Command::ProduceWithHeaders {
                topic: "orders".into(),
                key: None,
                value: order("U1"),
                headers: headers(id),
            })
            .unwrap_err();
        assert_eq!(
            err,
            SimError::EventIdNotIssued {
                event_id: id,
                next_event_id: 2
            }
        );
    }
}

/// Crashes on the first delivery of offset 1, after producing a record for it.
struct CrashOnce {
    crashed: bool,
}

impl Processor for CrashOnce {
    fn process(
        &mut self,
        delivery: &crate::process::Delivery<'_>,
        _rng: &mut SimRng,
    ) -> crate::process::ProcessOutcome {
        let produce = vec![OutgoingRecord::new(
            "shipments",
            delivery.record.key().map(str::to_owned),
            delivery.record.value().into_owned(),
        )
        .caused_by(delivery.record)];
        if delivery.record.offset() == Offset(1) && !self.crashed {
            self.crashed = true;
            return crate::process::ProcessOutcome::Crash {
                produce,
                reason: "power cut".into(),
            };
        }
        crate::process::ProcessOutcome::Success { produce }
    }
}

#[test]
fn a_crash_while_processing_kills_the_member_and_the_record_is_delivered_again() {
    let mut sim = sim_with_topic(1);
    sim.apply(Command::CreateTopic(TopicSpec::new(
        "shipments",
        1,
        Partitioner::Murmur2,
    )))
    .unwrap();
    sim.apply(group("svc", CommitPolicy::AfterProcessing))
        .unwrap();
    let mut svc = processors("svc", CrashOnce { crashed: false });
    sim.apply(join("svc", "a")).unwrap();
    for user in ["U1", "U2", "U3"] {
        sim.apply(Command::Produce {
            topic: "orders".into(),
            key: Some("K".into()),
            value: order(user),
        })
        .unwrap();
    }
    run_until_with(&mut sim, 5, &mut svc);
    let snapshot = sim.group_snapshot("svc").unwrap();
    assert!(matches!(
        snapshot.members[0].status,
        MemberStatus::Dead { .. }
    ));
    let crashed = sim
        .trace()
        .iter()
        .position(|e| matches!(e, TraceEvent::ProcessingCrashed { offset: Offset(1), reason, .. } if reason == "power cut"))
        .expect("crash traced");
    assert!(matches!(
        &sim.trace()[crashed + 1],
        TraceEvent::MemberKilled {
            abandoned_records: 1,
            ..
        }
    ));
    // Nothing of the batch was committed; offset 2 was never processed.
    let tp = crate::assignor::TopicPartition {
        topic: "orders".into(),
        partition: PartitionId(0),
    };
    assert_eq!(sim.group("svc").unwrap().committed(&tp), None);
    assert_eq!(sim.topic("shipments").unwrap().len(), 2);
    // A replacement joins; after the session timeout the dead member leaves and the
    // replacement gets offsets 0..3 again: 0 and 1 are duplicates.
    sim.apply(join("svc", "b")).unwrap();
    run_until_with(&mut sim, 40, &mut svc);
    assert_eq!(sim.group("svc").unwrap().committed(&tp), Some(Offset(3)));
    let counters = sim.group("svc").unwrap().counters();
    assert_eq!(counters.duplicates, 2);
    assert_eq!(counters.lost, 0);
    assert_eq!(sim.topic("shipments").unwrap().len(), 5);
}

mod produced_key_bytes {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// A `produced` event's JSON carries `key_bytes` inside `routing`, derived from its
        /// key since the routing no longer keeps a copy: they must be the bytes the
        /// topic's partitioner hashed (routing them again picks the partition the record is
        /// in) and the key the log holds at that offset.
        #[test]
        fn produced_key_bytes_are_the_hashed_bytes_of_the_stored_key(
            keys in prop::collection::vec(prop::option::of("\\PC{0,12}"), 1..40),
            partitioner in prop::sample::select(Partitioner::ALL.to_vec()),
            partitions in 1u32..=16,
        ) {
            let mut sim = Sim::new(7);
            sim.apply(Command::CreateTopic(TopicSpec::new("orders", partitions, partitioner)))
                .unwrap();
            for key in &keys {
                sim.apply(Command::Produce {
                    topic: "orders".into(),
                    key: key.clone(),
                    value: order("U1"),
                })
                .unwrap();
            }
            let topic = sim.topic("orders").unwrap();
            let mut keyed = 0;
            for event in sim.trace() {
                let TraceEvent::Produced { partition, offset, routing, .. } = event else {
                    continue;
                };
                let json: serde_json::Value =
                    serde_json::from_str(&serde_json::to_string(event).unwrap()).unwrap();
                let stored = topic.partition(*partition).unwrap().get(*offset).unwrap();
                match routing {
                    Some(routing) => {
                        keyed += 1;
                        let key_bytes: Vec<u8> =
                            serde_json::from_value(json["routing"]["key_bytes"].clone()).unwrap();
                        prop_assert_eq!(partitioner.route(&key_bytes, partitions), *routing);
                        prop_assert_eq!(routing.partition, *partition);
                        prop_assert_eq!(stored.key().map(str::as_bytes), Some(&key_bytes[..]));
                    }
                    None => prop_assert!(json["routing"].is_null()),
                }
            }
            let expected = keys
                .iter()
                .flatten()
                .filter(|k| !(k.is_empty() && partitioner.empty_key_is_unkeyed()))
                .count();
            prop_assert_eq!(keyed, expected);
        }
    }
}
