//! One test per rule of the replication model, and seed 001's story.

use super::follower::truncation_point;
use super::*;

const B0: BrokerId = BrokerId(0);
const B1: BrokerId = BrokerId(1);
const B2: BrokerId = BrokerId(2);

fn tp() -> TopicPartition {
    TopicPartition::new("orders", 0)
}

fn spec(replication_factor: i32, min_insync_replicas: u32, unclean: bool) -> TopicReplication {
    TopicReplication {
        partitions: 1,
        replication_factor,
        min_insync_replicas,
        unclean_leader_election_enable: unclean,
        start_index: 0,
    }
}

/// `brokers` brokers 0.., topic `orders` with one partition whose replicas are 0, 1, 2...
/// in that order (start index 0), so broker 0 leads.
fn cluster_with(config: ReplicationConfig, brokers: i32, topic: TopicReplication) -> Cluster {
    let metadata: Vec<BrokerMetadata> = (0..brokers).map(BrokerMetadata::new).collect();
    let mut c = Cluster::new(config, &metadata).unwrap();
    c.create_topic("orders", topic).unwrap();
    c
}

fn cluster(replication_factor: i32, min_insync_replicas: u32, unclean: bool) -> Cluster {
    let config = ReplicationConfig {
        auto_leader_rebalance_enable: false,
        ..ReplicationConfig::default()
    };
    cluster_with(
        config,
        3,
        spec(replication_factor, min_insync_replicas, unclean),
    )
}

fn request(c: &Cluster, acks: Acks, key: &str) -> ProduceRequest {
    ProduceRequest {
        partition: tp(),
        broker: c.leader(&tp()).unwrap_or(B0),
        acks,
        key: Some(key.to_string()),
        event_id: None,
    }
}

fn produce(
    c: &mut Cluster,
    now: u64,
    acks: Acks,
    key: &str,
) -> Result<ProduceOutcome, ProduceError> {
    let r = request(c, acks, key);
    c.produce(Tick(now), r).0
}

fn ticks(c: &mut Cluster, from: u64, to: u64) -> Vec<ReplicationEvent> {
    (from..=to).flat_map(|t| c.tick(Tick(t))).collect()
}

fn isr(c: &Cluster) -> Vec<BrokerId> {
    c.partition(&tp()).unwrap().isr
}

fn hw(c: &Cluster) -> u64 {
    c.high_watermark(&tp()).unwrap().0
}

fn lost(events: &[ReplicationEvent]) -> Vec<(u64, Option<String>, bool, LossReason)> {
    events
        .iter()
        .filter_map(|e| match e {
            ReplicationEvent::RecordLost {
                offset,
                key,
                committed,
                reason,
                ..
            } => Some((offset.0, key.clone(), *committed, *reason)),
            _ => None,
        })
        .collect()
}

fn elections(events: &[ReplicationEvent]) -> Vec<(BrokerId, u32, ElectionKind)> {
    events
        .iter()
        .filter_map(|e| match e {
            ReplicationEvent::LeaderElected {
                leader,
                leader_epoch,
                election,
                ..
            } => Some((*leader, *leader_epoch, *election)),
            _ => None,
        })
        .collect()
}

fn completions(events: &[ReplicationEvent]) -> Vec<Option<ProduceError>> {
    events
        .iter()
        .filter_map(|e| match e {
            ReplicationEvent::ProduceCompleted { error, .. } => Some(error.clone()),
            _ => None,
        })
        .collect()
}

/// Seed 001: replication factor 3, `min.insync.replicas=2`, `acks=all`. Kill one broker:
/// writes still commit. Kill a second: `NOT_ENOUGH_REPLICAS`. Restart one: the ISR grows
/// back and writes succeed again.
#[test]
fn seed_001_story_acks_all_min_insync_two_on_three_brokers() {
    let mut c = cluster(3, 2, false);
    assert!(matches!(
        produce(&mut c, 1, Acks::All, "o-1"),
        Ok(ProduceOutcome::Waiting { .. })
    ));
    assert_eq!(completions(&ticks(&mut c, 1, 1)), vec![None]);
    assert_eq!(hw(&c), 1);

    c.kill_broker(Tick(2), B2).unwrap();
    assert_eq!(isr(&c), vec![B0, B1]);
    produce(&mut c, 2, Acks::All, "o-2").unwrap();
    assert_eq!(completions(&ticks(&mut c, 2, 2)), vec![None]);
    assert_eq!(hw(&c), 2);

    c.kill_broker(Tick(3), B1).unwrap();
    assert_eq!(isr(&c), vec![B0]);
    assert_eq!(
        produce(&mut c, 3, Acks::All, "o-3"),
        Err(ProduceError::NotEnoughReplicas {
            partition: tp(),
            isr: 1,
            min_insync_replicas: 2,
        })
    );
    assert_eq!(
        c.replica_log(&tp(), B0).unwrap().len(),
        2,
        "refused before the append"
    );

    let events = c.restart_broker(Tick(4), B1).unwrap();
    assert!(elections(&events).is_empty(), "broker 0 still leads");
    let events = ticks(&mut c, 4, 4);
    assert!(events.contains(&ReplicationEvent::IsrExpanded {
        partition: tp(),
        broker: B1,
        isr: vec![B0, B1],
    }));
    produce(&mut c, 5, Acks::All, "o-3").unwrap();
    assert_eq!(completions(&ticks(&mut c, 5, 5)), vec![None]);
    assert_eq!(hw(&c), 3);

    let m = c.metrics();
    assert_eq!(m.under_replicated_partitions, 1, "broker 2 is still down");
    assert_eq!(m.offline_partitions_count, 0);
    assert_eq!(m.isr_shrinks, 2);
    assert_eq!(m.isr_expands, 1);
    assert_eq!(m.failed_produce_requests, 1);
    assert_eq!(m.leader_elections, 1, "only the election at creation");
}

#[test]
fn acks_zero_and_one_ignore_min_insync_replicas() {
    let mut c = cluster(3, 3, false);
    c.kill_broker(Tick(1), B2).unwrap();
    assert!(matches!(
        produce(&mut c, 1, Acks::None, "a"),
        Ok(ProduceOutcome::SentWithoutAnswer { .. })
    ));
    assert!(matches!(
        produce(&mut c, 1, Acks::Leader, "b"),
        Ok(ProduceOutcome::Acknowledged { .. })
    ));
    assert!(matches!(
        produce(&mut c, 1, Acks::All, "c"),
        Err(ProduceError::NotEnoughReplicas {
            isr: 2,
            min_insync_replicas: 3,
            ..
        })
    ));
}

#[test]
fn acks_all_with_a_single_replica_isr_is_acknowledged_at_once() {
    let mut c = cluster(1, 1, false);
    assert_eq!(
        produce(&mut c, 1, Acks::All, "a"),
        Ok(ProduceOutcome::Acknowledged {
            offset: Offset(0),
            append: AppendId(0),
        })
    );
    assert_eq!(hw(&c), 1);
}

/// The ISR shrank below `min.insync.replicas` after the append: the record is in the log
/// and committed, but the producer is told it failed.
#[test]
fn isr_shrinking_after_the_append_answers_not_enough_replicas_after_append() {
    let mut c = cluster(3, 2, false);
    let Ok(ProduceOutcome::Waiting { request, .. }) = produce(&mut c, 1, Acks::All, "a") else {
        panic!("acks=all waits for the followers");
    };
    c.kill_broker(Tick(1), B2).unwrap();
    let events = c.kill_broker(Tick(1), B1).unwrap();
    assert!(events.contains(&ReplicationEvent::ProduceCompleted {
        request,
        partition: tp(),
        offset: Offset(0),
        error: Some(ProduceError::NotEnoughReplicasAfterAppend {
            partition: tp(),
            offset: Offset(0),
            isr: 1,
            min_insync_replicas: 2,
        }),
    }));
    assert_eq!(hw(&c), 1, "the record is committed all the same");
    assert!(!c.appended_records(&tp())[0].acknowledged);
    assert_eq!(c.metrics().failed_produce_requests, 1);
}

#[test]
fn a_follower_answers_not_leader_or_follower_naming_the_leader() {
    let mut c = cluster(3, 1, false);
    let mut r = request(&c, Acks::Leader, "a");
    r.broker = B1;
    assert_eq!(
        c.produce(Tick(1), r).0,
        Err(ProduceError::Routing(RoutingError::NotLeaderOrFollower {
            partition: tp(),
            broker: B1,
            leader: Some(B0),
        }))
    );
    let fetch = FetchRequest {
        partition: tp(),
        broker: B1,
        offset: Offset(0),
        max_records: 10,
    };
    assert!(matches!(
        c.fetch(&fetch),
        Err(FetchError::Routing(RoutingError::NotLeaderOrFollower {
            leader: Some(B0),
            ..
        }))
    ));
}

#[test]
fn a_dead_broker_is_a_network_exception() {
    let mut c = cluster(3, 1, false);
    c.kill_broker(Tick(1), B2).unwrap();
    let mut r = request(&c, Acks::Leader, "a");
    r.broker = B2;
    assert_eq!(
        c.produce(Tick(1), r).0,
        Err(ProduceError::Routing(RoutingError::NetworkException {
            broker: B2
        }))
    );
}

/// Replication factor 1: the only replica dies, the partition is offline (and keeps its
/// dead broker in the ISR, so the restart is a clean election).
#[test]
fn a_partition_without_a_live_leader_is_offline_until_its_isr_member_returns() {
    let mut c = cluster(1, 1, false);
    produce(&mut c, 1, Acks::Leader, "a").unwrap();
    let events = c.kill_broker(Tick(2), B0).unwrap();
    assert!(events.contains(&ReplicationEvent::PartitionOffline {
        partition: tp(),
        leader_epoch: 0,
    }));
    assert_eq!(isr(&c), vec![B0]);
    assert_eq!(c.metrics().offline_partitions_count, 1);
    assert_eq!(c.metrics().under_replicated_partitions, 0);
    let mut r = request(&c, Acks::Leader, "b");
    r.broker = B1;
    assert_eq!(
        c.produce(Tick(2), r).0,
        Err(ProduceError::Routing(RoutingError::LeaderNotAvailable {
            partition: tp()
        }))
    );
    let events = c.restart_broker(Tick(3), B0).unwrap();
    assert_eq!(elections(&events), vec![(B0, 1, ElectionKind::Clean)]);
    assert!(lost(&events).is_empty());
    assert_eq!(c.metrics().offline_partitions_count, 0);
}

/// A follower that copies one record per tick falls behind a burst; after
/// `replica_lag_time_max_ticks` without reaching the leader's LEO it leaves the ISR, and
/// rejoins once its LEO reaches the high watermark.
#[test]
fn a_lagging_follower_leaves_the_isr_and_rejoins_when_caught_up() {
    let config = ReplicationConfig {
        replica_fetch_max_records: 1,
        replica_lag_time_max_ticks: 3,
        auto_leader_rebalance_enable: false,
        ..ReplicationConfig::default()
    };
    let mut c = cluster_with(config, 2, spec(2, 1, false));
    for i in 0..8 {
        produce(&mut c, 0, Acks::Leader, &format!("k{i}")).unwrap();
    }
    let events = ticks(&mut c, 1, 4);
    let shrunk = events.iter().find_map(|e| match e {
        ReplicationEvent::IsrShrunk { broker, reason, .. } => Some((*broker, *reason)),
        _ => None,
    });
    assert_eq!(
        shrunk,
        Some((B1, IsrShrinkReason::LaggedBehind { lagged_ticks: 4 })),
        "behind since tick 0, out after more than 3 ticks"
    );
    assert_eq!(isr(&c), vec![B0]);
    assert_eq!(hw(&c), 8, "the ISR is the leader alone");
    let events = ticks(&mut c, 5, 8);
    assert!(events.contains(&ReplicationEvent::IsrExpanded {
        partition: tp(),
        broker: B1,
        isr: vec![B0, B1],
    }));
    assert_eq!(c.metrics().isr_shrinks, 1);
    assert_eq!(c.metrics().isr_expands, 1);
}

#[test]
fn the_high_watermark_is_the_smallest_log_end_offset_in_the_isr_and_bounds_consumers() {
    let config = ReplicationConfig {
        replica_fetch_max_records: 2,
        auto_leader_rebalance_enable: false,
        ..ReplicationConfig::default()
    };
    let mut c = cluster_with(config, 3, spec(3, 1, false));
    for i in 0..5 {
        produce(&mut c, 0, Acks::Leader, &format!("k{i}")).unwrap();
    }
    assert_eq!(hw(&c), 0);
    let read = |c: &Cluster, offset: u64| {
        c.fetch(&FetchRequest {
            partition: tp(),
            broker: B0,
            offset: Offset(offset),
            max_records: 100,
        })
    };
    assert_eq!(read(&c, 0).unwrap(), vec![], "nothing is committed yet");
    ticks(&mut c, 1, 1);
    assert_eq!(hw(&c), 2);
    let got: Vec<u64> = read(&c, 0).unwrap().iter().map(|r| r.offset.0).collect();
    assert_eq!(got, vec![0, 1]);
    assert_eq!(
        read(&c, 4).unwrap(),
        vec![],
        "between HW and LEO: nothing yet"
    );
    assert!(matches!(
        read(&c, 6),
        Err(FetchError::OffsetOutOfRange {
            log_end_offset: Offset(5),
            ..
        })
    ));
    ticks(&mut c, 2, 3);
    assert_eq!(hw(&c), 5);
    assert_eq!(read(&c, 3).unwrap()[0].key.as_deref(), Some("k3"));
}

/// `acks=1`: the leader acknowledged two records nobody copied, then died. The clean
/// election names both as lost; when the old leader returns it truncates them away.
#[test]
fn acks_one_records_only_the_old_leader_had_are_lost_and_named() {
    let mut c = cluster(3, 2, false);
    produce(&mut c, 1, Acks::Leader, "kept").unwrap();
    ticks(&mut c, 1, 1);
    produce(&mut c, 2, Acks::Leader, "gone-1").unwrap();
    produce(&mut c, 2, Acks::Leader, "gone-2").unwrap();
    let events = c.kill_broker(Tick(2), B0).unwrap();
    assert_eq!(elections(&events), vec![(B1, 1, ElectionKind::Clean)]);
    assert_eq!(
        lost(&events),
        vec![
            (1, Some("gone-1".into()), false, LossReason::LeaderChange),
            (2, Some("gone-2".into()), false, LossReason::LeaderChange),
        ]
    );
    assert!(events.iter().any(|e| matches!(
        e,
        ReplicationEvent::RecordLost {
            acknowledged: true,
            acks: Acks::Leader,
            ..
        }
    )));
    // The new leader reuses offset 1 for a new record.
    produce(&mut c, 3, Acks::Leader, "new").unwrap();
    c.restart_broker(Tick(4), B0).unwrap();
    let events = ticks(&mut c, 4, 4);
    assert!(events.contains(&ReplicationEvent::Truncated {
        partition: tp(),
        broker: B0,
        from: Offset(3),
        to: Offset(1),
    }));
    let log = c.replica_log(&tp(), B0).unwrap();
    assert_eq!(log, c.replica_log(&tp(), B1).unwrap());
    assert_eq!(
        log[1].append,
        AppendId(3),
        "offset 1 now holds the new record"
    );
}

/// Kafka elects the first replica of the assignment that is alive and in the ISR, not the
/// longest log and not the first live replica.
#[test]
fn a_clean_election_takes_the_first_live_isr_replica_in_assignment_order() {
    let mut c = cluster(3, 1, false);
    c.kill_broker(Tick(1), B1).unwrap();
    c.restart_broker(Tick(2), B1).unwrap();
    assert_eq!(isr(&c), vec![B0, B2], "broker 1 has not fetched yet");
    let events = c.kill_broker(Tick(2), B0).unwrap();
    assert_eq!(elections(&events), vec![(B2, 1, ElectionKind::Clean)]);
}

#[test]
fn an_unclean_election_loses_committed_records_and_names_them() {
    let mut c = cluster(2, 1, true);
    c.kill_broker(Tick(1), B1).unwrap();
    produce(&mut c, 1, Acks::All, "c-1").unwrap();
    produce(&mut c, 1, Acks::All, "c-2").unwrap();
    assert_eq!(hw(&c), 2);
    let events = c.kill_broker(Tick(2), B0).unwrap();
    assert!(elections(&events).is_empty(), "no replica is alive");
    let events = c.restart_broker(Tick(3), B1).unwrap();
    assert_eq!(elections(&events), vec![(B1, 1, ElectionKind::Unclean)]);
    assert_eq!(
        lost(&events),
        vec![
            (0, Some("c-1".into()), true, LossReason::UncleanElection),
            (1, Some("c-2".into()), true, LossReason::UncleanElection),
        ]
    );
    assert!(events.contains(&ReplicationEvent::HighWatermarkMovedBack {
        partition: tp(),
        from: Offset(2),
        to: Offset(0),
    }));
    assert_eq!(isr(&c), vec![B1]);
    assert_eq!(c.metrics().unclean_leader_elections, 1);
}

#[test]
fn without_unclean_election_an_out_of_sync_replica_waits_until_it_is_enabled() {
    let mut c = cluster(2, 1, false);
    c.kill_broker(Tick(1), B1).unwrap();
    produce(&mut c, 1, Acks::Leader, "c-1").unwrap();
    c.kill_broker(Tick(2), B0).unwrap();
    let events = c.restart_broker(Tick(3), B1).unwrap();
    assert!(elections(&events).is_empty());
    assert_eq!(c.leader(&tp()), None);
    assert_eq!(isr(&c), vec![B0], "the last ISR member stays, though dead");
    let events = c
        .set_unclean_leader_election(Tick(4), "orders", true)
        .unwrap();
    assert_eq!(elections(&events), vec![(B1, 1, ElectionKind::Unclean)]);
    assert_eq!(lost(&events).len(), 1);
}

#[test]
fn the_preferred_replica_takes_leadership_back_once_in_sync() {
    let config = ReplicationConfig {
        leader_imbalance_check_interval_ticks: 5,
        ..ReplicationConfig::default()
    };
    let mut c = cluster_with(config, 3, spec(3, 2, false));
    produce(&mut c, 1, Acks::All, "a").unwrap();
    ticks(&mut c, 1, 1);
    c.kill_broker(Tick(2), B0).unwrap();
    assert_eq!(c.leader(&tp()), Some(B1));
    c.restart_broker(Tick(3), B0).unwrap();
    let events = ticks(&mut c, 3, 4);
    assert!(elections(&events).is_empty(), "not the check interval yet");
    assert_eq!(isr(&c), vec![B0, B1, B2]);
    let events = ticks(&mut c, 5, 5);
    assert_eq!(elections(&events), vec![(B0, 2, ElectionKind::Preferred)]);
    assert!(lost(&events).is_empty());
    assert_eq!(c.metrics().leader_elections, 3);
}

#[test]
fn waiting_requests_fail_when_their_leader_dies_or_moves() {
    let mut c = cluster(3, 2, false);
    produce(&mut c, 1, Acks::All, "a").unwrap();
    let events = c.kill_broker(Tick(1), B0).unwrap();
    assert_eq!(
        completions(&events),
        vec![Some(ProduceError::Routing(
            RoutingError::NetworkException { broker: B0 }
        ))]
    );
    ticks(&mut c, 2, 2);
    c.restart_broker(Tick(3), B0).unwrap();
    ticks(&mut c, 3, 3);
    produce(&mut c, 4, Acks::All, "b").unwrap();
    let events = c.elect_preferred_leaders_now(Tick(4));
    assert_eq!(
        completions(&events),
        vec![Some(ProduceError::Routing(
            RoutingError::NotLeaderOrFollower {
                partition: tp(),
                broker: B1,
                leader: Some(B0),
            }
        ))]
    );
}

#[test]
fn acks_all_waiting_longer_than_the_request_timeout_times_out() {
    let config = ReplicationConfig {
        replica_fetch_max_records: 1,
        request_timeout_ticks: 3,
        replica_lag_time_max_ticks: 50,
        auto_leader_rebalance_enable: false,
        ..ReplicationConfig::default()
    };
    let mut c = cluster_with(config, 3, spec(3, 2, false));
    for i in 0..6 {
        produce(&mut c, 0, Acks::All, &format!("k{i}")).unwrap();
    }
    let outcomes = completions(&ticks(&mut c, 1, 3));
    assert_eq!(&outcomes[..3], &[None, None, None]);
    assert!(matches!(
        outcomes[3],
        Some(ProduceError::RequestTimedOut {
            offset: Offset(3),
            waited_ticks: 3,
            ..
        })
    ));
    assert_eq!(outcomes.len(), 6, "all waiting requests are answered");
}

/// Kafka's `OffsetsForLeaderEpoch`: the follower's last epoch is 1; the leader's epoch 1
/// ended at offset 3 (epoch 2 began there), so the follower cuts its epoch-1 tail.
#[test]
fn truncation_goes_to_the_leaders_end_offset_of_the_followers_last_epoch() {
    let e = |epoch, append| LogEntry {
        leader_epoch: epoch,
        append: AppendId(append),
    };
    let log = |start: u64, entries: &[LogEntry]| {
        let mut log = ReplicaLog {
            entries: Window::starting_at(0),
            ..ReplicaLog::default()
        };
        log.entries.extend_from_slice(entries);
        log.maybe_increment_log_start_offset(Offset(start));
        log
    };
    let all = [e(0, 0), e(0, 1), e(1, 2), e(2, 5), e(2, 6)];
    let leader = log(0, &all);
    let follower = log(0, &[e(0, 0), e(0, 1), e(1, 2), e(1, 3), e(1, 4)]);
    assert_eq!(truncation_point(&follower, &leader), 3);
    // A follower whose last epoch the leader never had: the leader's largest epoch below.
    let other = [e(0, 0), e(0, 1), e(3, 7)];
    assert_eq!(truncation_point(&log(0, &other), &leader), 2);
    // In agreement: nothing to cut.
    assert_eq!(truncation_point(&log(0, &all[..4]), &leader), 4);
    assert_eq!(truncation_point(&log(0, &[]), &leader), 0);
    assert_eq!(truncation_point(&log(0, &other), &log(0, &[])), 0);
    // Retention deleted a prefix on either side: the deleted offsets count as matching and
    // older than every epoch, so the answers stay the same.
    assert_eq!(truncation_point(&follower, &log(2, &all)), 3);
    assert_eq!(
        truncation_point(&log(2, follower.entries.kept()), &leader),
        3
    );
    assert_eq!(truncation_point(&log(3, &all[..4]), &log(1, &all)), 4);
    // A follower that kept nothing of epoch 1 (its log starts past it) still cuts at 3.
    assert_eq!(truncation_point(&log(4, &all), &log(0, &all)), 5);
    // The leader kept nothing at all: the follower cuts everything (its next fetch is then
    // below the leader's log start offset, OFFSET_OUT_OF_RANGE, and it starts there).
    assert_eq!(truncation_point(&log(0, &other), &log(5, &all)), 0);
}

#[test]
fn commands_on_unknown_or_wrong_state_brokers_are_typed_errors() {
    let mut c = cluster(3, 2, false);
    assert_eq!(
        c.kill_broker(Tick(1), BrokerId(9)),
        Err(ReplicationError::UnknownBroker {
            broker: BrokerId(9)
        })
    );
    c.kill_broker(Tick(1), B1).unwrap();
    assert_eq!(
        c.kill_broker(Tick(1), B1),
        Err(ReplicationError::BrokerAlreadyStopped { broker: B1 })
    );
    assert_eq!(
        c.restart_broker(Tick(1), B2),
        Err(ReplicationError::BrokerAlreadyRunning { broker: B2 })
    );
    assert_eq!(
        c.create_topic("orders", spec(1, 1, false)),
        Err(ReplicationError::TopicAlreadyExists {
            topic: "orders".into()
        })
    );
    assert_eq!(
        c.create_topic("payments", spec(3, 1, false)),
        Err(ReplicationError::Placement(
            PlacementError::ReplicationFactorTooLarge {
                replication_factor: 3,
                brokers: 2,
            }
        )),
        "placement uses the running brokers"
    );
    assert_eq!(
        c.create_topic("payments", spec(1, 0, false)),
        Err(ReplicationError::InvalidMinInsyncReplicas {
            min_insync_replicas: 0
        })
    );
    let unknown = TopicPartition::new("nope", 0);
    let mut r = request(&c, Acks::Leader, "a");
    r.partition = unknown.clone();
    assert_eq!(
        c.produce(Tick(1), r).0,
        Err(ProduceError::Routing(
            RoutingError::UnknownTopicOrPartition { partition: unknown }
        ))
    );
    assert_eq!(
        Cluster::new(
            ReplicationConfig::default(),
            &[BrokerMetadata::new(1), BrokerMetadata::new(1)]
        )
        .err(),
        Some(ReplicationError::DuplicateBroker { broker: B1 })
    );
}

#[test]
fn topics_are_placed_like_kafka_and_racks_are_kept() {
    let brokers = [
        BrokerMetadata::on_rack(0, "a"),
        BrokerMetadata::on_rack(1, "a"),
        BrokerMetadata::on_rack(2, "b"),
        BrokerMetadata::on_rack(3, "b"),
    ];
    let mut c = Cluster::new(ReplicationConfig::default(), &brokers).unwrap();
    let mut topic = spec(2, 1, false);
    topic.partitions = 4;
    c.create_topic("orders", topic).unwrap();
    let expected: Vec<Vec<BrokerId>> = assign_replicas_to_brokers(&brokers, 4, 2, 0, 0)
        .unwrap()
        .map(|(_, r)| r)
        .collect();
    let got: Vec<Vec<BrokerId>> = c
        .partitions()
        .iter()
        .map(|p| p.replicas.iter().map(|r| r.broker).collect())
        .collect();
    assert_eq!(got, expected);
    for replicas in &got {
        let racks: BTreeSet<_> = replicas
            .iter()
            .map(|b| c.brokers().find(|s| s.id == *b).unwrap().rack.clone())
            .collect();
        assert_eq!(racks.len(), 2, "one replica per rack");
    }
}

#[test]
fn metrics_serialize_under_kafka_jmx_names() {
    let c = cluster(3, 2, false);
    let json = serde_json::to_value(c.metrics()).unwrap();
    for name in [
        "UnderReplicatedPartitions",
        "OfflinePartitionsCount",
        "IsrShrinks",
        "IsrExpands",
        "FailedProduceRequests",
        "LeaderElections",
        "UncleanLeaderElections",
    ] {
        assert!(json.get(name).is_some(), "{name} missing in {json}");
    }
}

#[test]
fn the_same_commands_give_the_same_events() {
    let run = || {
        let mut c = cluster(3, 2, true);
        let mut events = Vec::new();
        for t in 1..40u64 {
            let acks = [Acks::None, Acks::Leader, Acks::All][(t % 3) as usize];
            let r = request(&c, acks, &format!("k{t}"));
            events.extend(c.produce(Tick(t), r).1);
            if t % 7 == 0 {
                let b = BrokerId((t % 3) as i32);
                let result = if c.is_alive(b) {
                    c.kill_broker(Tick(t), b)
                } else {
                    c.restart_broker(Tick(t), b)
                };
                events.extend(result.unwrap());
            }
            events.extend(c.tick(Tick(t)));
        }
        (events, c.partitions(), c.metrics())
    };
    assert_eq!(run(), run());
}

/// A record named lost comes back when a replica that still holds it leads before it
/// truncates: here an unclean election loses it, a second unclean election of the old
/// leader (which never fetched from the one between) brings it back.
#[test]
fn a_lost_record_still_on_a_replica_that_leads_again_is_named_restored() {
    let mut c = cluster(2, 1, true);
    c.kill_broker(Tick(1), B1).unwrap();
    produce(&mut c, 1, Acks::Leader, "r").unwrap();
    c.kill_broker(Tick(2), B0).unwrap();
    let events = c.restart_broker(Tick(3), B1).unwrap();
    assert_eq!(
        lost(&events),
        vec![(0, Some("r".into()), true, LossReason::UncleanElection)]
    );
    c.kill_broker(Tick(4), B1).unwrap();
    let events = c.restart_broker(Tick(5), B0).unwrap();
    assert_eq!(elections(&events), vec![(B0, 2, ElectionKind::Unclean)]);
    assert!(events.contains(&ReplicationEvent::RecordRestored {
        partition: tp(),
        offset: Offset(0),
        append: AppendId(0),
        key: Some("r".into()),
        leader: B0,
    }));
    assert!(!c.appended_records(&tp())[0].lost);
}
