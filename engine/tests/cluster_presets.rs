//! The cluster scenarios tell their stories: each test runs one `scenarios/cluster-*.json`
//! and checks, from the trace, what its description promises.

use orderflow_engine::cluster::replication::{Acks, LossReason, ReplicationEvent};
use orderflow_engine::ids::{Offset, Tick};
use orderflow_engine::scenario::{cluster_presets, Scenario};
use orderflow_engine::sim::{Sim, TraceEvent};

fn preset(name: &str) -> Scenario {
    cluster_presets()
        .into_iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("no preset {name}"))
}

fn run(name: &str) -> (Sim, Vec<TraceEvent>) {
    let scenario = preset(name);
    let mut sim = Sim::from_scenario(&scenario).unwrap();
    sim.run_until(Tick(scenario.run_ticks()));
    let trace = sim.trace().iter().cloned().collect();
    (sim, trace)
}

/// (tick, error name) of every refused record.
fn refusals(trace: &[TraceEvent]) -> Vec<(u64, String)> {
    trace
        .iter()
        .filter_map(|e| match e {
            TraceEvent::ProduceRefused { tick, error, .. } => Some((tick.0, error.to_string())),
            _ => None,
        })
        .collect()
}

fn replication(trace: &[TraceEvent]) -> impl Iterator<Item = (Tick, &ReplicationEvent)> {
    trace.iter().filter_map(|e| match e {
        TraceEvent::Replication { tick, event } => Some((*tick, event)),
        _ => None,
    })
}

fn produced_ticks(trace: &[TraceEvent]) -> Vec<u64> {
    trace
        .iter()
        .filter_map(|e| match e {
            TraceEvent::Produced { tick, .. } => Some(tick.0),
            _ => None,
        })
        .collect()
}

fn lost(trace: &[TraceEvent]) -> Vec<&ReplicationEvent> {
    replication(trace)
        .map(|(_, e)| e)
        .filter(|e| matches!(e, ReplicationEvent::RecordLost { .. }))
        .collect()
}

#[test]
fn a_single_broker_going_down_takes_every_partition_offline_and_loses_nothing() {
    let (sim, trace) = run("cluster-single-broker");
    let view = sim.cluster().unwrap().partitions();
    assert_eq!(view.len(), 3);
    for p in &view {
        assert_eq!(p.isr, vec![orderflow_engine::cluster::BrokerId(1)]);
    }
    let refused = refusals(&trace);
    assert!(!refused.is_empty());
    for (tick, error) in &refused {
        assert!((31..=50).contains(tick), "refused at {tick}");
        assert_eq!(error, "NETWORK_EXCEPTION", "the only broker is unreachable");
    }
    assert!(produced_ticks(&trace).iter().any(|t| *t > 50));
    assert!(lost(&trace).is_empty());
    // Only the last tick's record is still to be read.
    assert!(sim.group_snapshot("billing").unwrap().total_lag <= 1);
}

#[test]
fn acks_all_with_min_insync_2_survives_one_kill_and_refuses_after_two() {
    let (sim, trace) = run("cluster-acks-all-min-insync");
    let refused = refusals(&trace);
    assert!(refused.iter().any(|(t, _)| *t == 41), "{refused:?}");
    for (tick, error) in &refused {
        assert!((40..62).contains(tick), "refused at {tick}: {error}");
        assert_eq!(error, "NOT_ENOUGH_REPLICAS");
    }
    let produced = produced_ticks(&trace);
    assert!(
        produced.iter().any(|t| (21..40).contains(t)),
        "writes commit after one kill"
    );
    assert!(
        produced.iter().any(|t| *t > 62),
        "writes commit after the restart"
    );
    // A record in flight on a dying leader may go, but never one acknowledged.
    for e in lost(&trace) {
        let ReplicationEvent::RecordLost { acknowledged, .. } = e else {
            unreachable!()
        };
        assert!(!acknowledged, "{e:?}");
    }
    let isr_back = replication(&trace).any(|(tick, e)| {
        tick.0 > 60 && matches!(e, ReplicationEvent::IsrExpanded { broker, .. } if broker.0 == 3)
    });
    assert!(isr_back, "broker 3 rejoins the ISRs");
    assert_eq!(sim.cluster().unwrap().metrics().offline_partitions_count, 0);
}

#[test]
fn acks_1_loses_the_records_the_dead_leader_had_not_replicated_and_names_them() {
    let (sim, trace) = run("cluster-acks-1-loses-records");
    let named: Vec<(Offset, Option<String>)> = lost(&trace)
        .into_iter()
        .map(|e| match e {
            ReplicationEvent::RecordLost {
                offset,
                key,
                acks,
                acknowledged,
                committed,
                reason,
                ..
            } => {
                assert_eq!(*acks, Acks::Leader);
                assert!(*acknowledged, "the producer was told it was written");
                assert!(!*committed);
                assert_eq!(*reason, LossReason::LeaderChange);
                (*offset, key.clone())
            }
            _ => unreachable!(),
        })
        .collect();
    let expected: Vec<(Offset, Option<String>)> = (3..6)
        .map(|o| (Offset(o), Some(format!("user-{}", o + 1))))
        .collect();
    assert_eq!(named, expected);
    let snapshot = sim.group_snapshot("billing").unwrap();
    assert_eq!(
        snapshot.counters.processed, 3,
        "the group read only committed records"
    );
}

#[test]
fn an_unclean_election_loses_committed_records_and_moves_the_high_watermark_back() {
    let (_, trace) = run("cluster-unclean-election");
    let lost = lost(&trace);
    assert!(!lost.is_empty());
    for e in &lost {
        let ReplicationEvent::RecordLost {
            committed, reason, ..
        } = e
        else {
            unreachable!()
        };
        assert!(*committed);
        assert_eq!(*reason, LossReason::UncleanElection);
    }
    let moved_back = replication(&trace)
        .any(|(t, e)| t.0 == 22 && matches!(e, ReplicationEvent::HighWatermarkMovedBack { .. }));
    assert!(moved_back);
    // Offline from tick 16 (both brokers down: unreachable; broker 2 back at 18 but out of
    // sync: no leader) until the unclean election at the end of tick 22.
    let refused = refusals(&trace);
    assert_eq!(refused.len(), 7, "{refused:?}");
    for (tick, error) in &refused {
        let expected = if *tick <= 18 {
            "NETWORK_EXCEPTION"
        } else {
            "LEADER_NOT_AVAILABLE"
        };
        assert!((16..=22).contains(tick), "{refused:?}");
        assert_eq!(error, expected, "tick {tick}");
    }
}

#[test]
fn cluster_presets_replay_from_their_history() {
    for scenario in cluster_presets() {
        let mut sim = Sim::from_scenario(&scenario).unwrap();
        sim.run_until(Tick(scenario.run_ticks()));
        let replay_scenario = sim.to_scenario("replay", "");
        let mut replay = Sim::from_scenario(&replay_scenario).unwrap();
        replay.run_until(Tick(scenario.run_ticks()));
        assert_eq!(sim.trace(), replay.trace(), "{}", scenario.name);
    }
}
