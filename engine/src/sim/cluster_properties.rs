//! Properties of replication driven through the whole simulation (producers with every
//! `acks`, a consumer group, broker kills and restarts, preferred and unclean elections,
//! partitions added on the way),
//! over random seeds. A [`Checker`] reads the trace in order and lists what breaks Kafka's
//! guarantees:
//! - the high watermark never moves back, except in an unclean election (which says so);
//! - a record acknowledged with `acks=all`, and any committed record, is never lost
//!   without an unclean election;
//! - consumers never see a record above the high watermark, and a topic's log holds
//!   exactly the committed records (its end is the high watermark);
//! - under retention (half the sessions, drawn from a stream of their own so every other
//!   draw of a seed stays the same), the cluster's log start offset is the topic's, never
//!   above the high watermark, and what the brokers hold stays within what retention keeps.
//!
//! The deliberate bug (HW = the leader's LEO) must make the checker report violations.
//! Raise the case count with `PROPTEST_CASES`.

use super::*;
use crate::assignor::TopicPartition;
use crate::cluster::placement::BrokerMetadata;
use crate::cluster::replication::{Acks, LossReason, ReplicationConfig, ReplicationEvent};
use crate::cluster::BrokerId;
use crate::group::GroupConfig;
use crate::ids::{Offset, PartitionId};
use crate::log::{OrderEvent, Payload, Retention};
use crate::partitioner::Partitioner;
use crate::producer::ProducerConfig;
use crate::topic::TopicSpec;
use proptest::prelude::*;

const PRODUCERS: [(&str, Acks); 3] = [
    ("p0", Acks::None),
    ("p1", Acks::Leader),
    ("pall", Acks::All),
];

/// A random session from one seed: brokers, a replicated topic, sends, steps, kills,
/// restarts, elections.
fn session_from_seed(seed: u64, bug: bool) -> (Sim, Vec<String>) {
    let mut rng = SimRng::new(seed);
    let brokers = 1 + rng.below(4) as i32;
    let factor = 1 + rng.below(brokers.min(3) as u64) as u32;
    let mut sim = Sim::new(seed);
    let config = ReplicationConfig {
        replica_lag_time_max_ticks: 1 + rng.below(6),
        replica_fetch_max_records: 1 + rng.below(3),
        request_timeout_ticks: 2 + rng.below(10),
        auto_leader_rebalance_enable: rng.chance(0.5),
        leader_imbalance_check_interval_ticks: 1 + rng.below(8),
    };
    let metadata = (0..brokers).map(BrokerMetadata::new).collect();
    sim.apply(Command::SetBrokers {
        brokers: metadata,
        config,
    })
    .unwrap();
    if bug {
        sim.use_leader_log_end_offset_as_high_watermark();
    }
    let mut spec = TopicSpec::new("orders", 1 + rng.below(3) as u32, Partitioner::Murmur2)
        .with_replication(factor, 1 + rng.below(u64::from(factor)) as u32);
    spec.unclean_leader_election_enable = rng.chance(0.3);
    let mut retention = SimRng::new(seed.rotate_left(29) ^ 0x7265_7465);
    if retention.chance(0.5) {
        spec.segment_records = Some(2 + retention.below(4));
        spec.retention = Some(Retention {
            records: Some(1 + retention.below(6)),
            ticks: None,
        });
    }
    sim.apply(Command::CreateTopic(spec)).unwrap();
    for (name, acks) in PRODUCERS {
        let mut config = ProducerConfig::new(name);
        config.acks = acks;
        config.retries = 2;
        sim.apply(Command::CreateProducer { config }).unwrap();
    }
    let mut group = GroupConfig::new("g", vec!["orders".to_string()]);
    group.max_poll_records = 5;
    sim.apply(Command::CreateGroup { config: group }).unwrap();
    sim.apply(Command::JoinGroup {
        group: "g".into(),
        member: "c1".into(),
    })
    .unwrap();
    let mut checker = Checker::default();
    // Growth draws from its own stream so every other draw stays what it was for a seed.
    let mut growth = SimRng::new(seed.rotate_left(17) ^ 0x6772_6f77);
    for _ in 0..30 + rng.below(120) {
        let broker = BrokerId(rng.below(brokers as u64) as i32);
        let command = match rng.below(100) {
            0..=44 => {
                let (producer, _) = PRODUCERS[rng.below(3) as usize];
                let key = format!("k{}", rng.below(6));
                Some(Command::Send {
                    producer: producer.into(),
                    topic: "orders".into(),
                    key: Some(key.clone()),
                    value: Payload::Order(OrderEvent {
                        user_id: key,
                        order_id: "O".into(),
                        status: "Created".into(),
                    }),
                })
            }
            45..=79 => {
                for _ in 0..1 + rng.below(3) {
                    sim.step();
                }
                None
            }
            80..=87 => Some(Command::KillBroker { broker }),
            88..=95 => Some(Command::RestartBroker { broker }),
            96..=97 => Some(Command::ElectPreferredLeaders),
            _ => Some(Command::SetUncleanLeaderElection {
                topic: "orders".into(),
                enable: rng.chance(0.5),
            }),
        };
        if let Some(command) = command {
            // Killing a dead broker or restarting a live one is refused; that is fine.
            let _ = sim.apply(command);
        }
        let partitions = sim.topic("orders").map_or(0, |t| t.partition_count());
        if growth.below(25) == 0 && partitions < 8 {
            // Refused while too few brokers run for the replication factor; that is fine.
            let _ = sim.apply(Command::AddPartitions {
                topic: "orders".into(),
                partitions: partitions + 1,
            });
        }
        checker.observe(&sim);
    }
    (sim, checker.violations)
}

/// What the checker has seen so far.
#[derive(Default)]
struct Checker {
    read: u64,
    high_watermarks: BTreeMap<TopicPartition, Offset>,
    violations: Vec<String>,
}

impl Checker {
    fn observe(&mut self, sim: &Sim) {
        let events: Vec<TraceEvent> = sim.trace_since(self.read).map(|(_, e)| e.clone()).collect();
        self.read = sim.trace_len();
        for event in events {
            self.event(&event);
        }
        let cluster = sim.cluster().expect("brokers");
        for view in cluster.partitions() {
            let log = sim.topic(&view.partition.topic).unwrap();
            let end = log
                .partition(view.partition.partition)
                .unwrap()
                .high_watermark();
            let start = log
                .partition(view.partition.partition)
                .unwrap()
                .log_start_offset();
            let cluster_start = cluster.log_start_offset(&view.partition).unwrap();
            // The cluster follows the topic's retention; after an unclean election its
            // leader may start higher (it had deleted more), never above the HW.
            if cluster_start < start || cluster_start > view.high_watermark {
                self.violations.push(format!(
                    "tick {}: {} starts at {start} in the topic, at {cluster_start} in the \
                     cluster (HW {})",
                    sim.now(),
                    view.partition,
                    view.high_watermark
                ));
            }
            if end != view.high_watermark {
                self.violations.push(format!(
                    "tick {}: {} holds up to {end} in the topic, the HW is {}",
                    sim.now(),
                    view.partition,
                    view.high_watermark
                ));
            }
        }
    }

    fn event(&mut self, event: &TraceEvent) {
        match event {
            TraceEvent::Replication { tick, event } => self.replication(*tick, event),
            TraceEvent::Fetched {
                tick,
                topic,
                partition,
                to_offset,
                ..
            } => {
                let tp = tp(topic, *partition);
                let hw = self.high_watermarks.get(&tp).copied().unwrap_or_default();
                if *to_offset > hw {
                    self.violations.push(format!(
                        "tick {tick}: {tp} fetched up to {to_offset} above HW {hw}"
                    ));
                }
            }
            _ => {}
        }
    }

    fn replication(&mut self, tick: Tick, event: &ReplicationEvent) {
        match event {
            ReplicationEvent::HighWatermarkAdvanced {
                partition,
                high_watermark,
            } => {
                let last = self.high_watermarks.entry(partition.clone()).or_default();
                if *high_watermark <= *last {
                    self.violations.push(format!(
                        "tick {tick}: {partition} HW {last} -> {high_watermark} is not forward"
                    ));
                }
                *last = *high_watermark;
            }
            ReplicationEvent::HighWatermarkMovedBack { partition, to, .. } => {
                self.high_watermarks.insert(partition.clone(), *to);
            }
            ReplicationEvent::RecordLost {
                partition,
                offset,
                acks,
                acknowledged,
                committed,
                reason: LossReason::LeaderChange,
                ..
            } if *committed || (*acks == Acks::All && *acknowledged) => {
                self.violations.push(format!(
                    "tick {tick}: {partition} offset {offset} ({acks}, acknowledged \
                     {acknowledged}, committed {committed}) lost without an unclean election"
                ));
            }
            _ => {}
        }
    }
}

fn tp(topic: &str, partition: PartitionId) -> TopicPartition {
    TopicPartition {
        topic: topic.into(),
        partition,
    }
}

fn cases(default: u32) -> ProptestConfig {
    let from_env = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok());
    ProptestConfig::with_cases(from_env.unwrap_or(default))
}

proptest! {
    #![proptest_config(cases(64))]

    #[test]
    fn replication_through_the_simulation_keeps_kafkas_guarantees(seed in any::<u64>()) {
        let (_, violations) = session_from_seed(seed, false);
        prop_assert!(violations.is_empty(), "seed {seed}: {violations:#?}");
    }
}

#[test]
fn the_deliberate_bug_is_caught() {
    let caught = (0..200u64)
        .filter(|&seed| !session_from_seed(seed, true).1.is_empty())
        .count();
    assert!(caught > 0, "HW = the leader's LEO must break a property");
}

#[test]
fn the_same_seed_gives_the_same_trace() {
    let a = session_from_seed(11, false);
    let b = session_from_seed(11, false);
    assert_eq!(a.0.trace(), b.0.trace());
}

#[test]
fn the_sessions_run_retention_and_reset_followers_below_the_log_start_offset() {
    let (mut deleted, mut resets) = (0, 0);
    for seed in 0..40 {
        let (sim, _) = session_from_seed(seed, false);
        let trace = sim.trace();
        deleted += usize::from(
            trace
                .iter()
                .any(|e| matches!(e, TraceEvent::SegmentsDeleted { .. })),
        );
        resets += trace
            .iter()
            .filter(|e| {
                matches!(
                    e,
                    TraceEvent::Replication {
                        event: ReplicationEvent::FollowerResetToLogStartOffset { .. },
                        ..
                    }
                )
            })
            .count();
    }
    assert!(
        deleted >= 10,
        "only {deleted} of 40 sessions deleted segments"
    );
    assert!(resets > 0, "no follower was reset to the log start offset");
}

#[test]
fn the_sessions_do_grow_the_topic_while_replicating() {
    let grown = (0..40)
        .filter(|&seed| {
            let (sim, _) = session_from_seed(seed, false);
            sim.trace()
                .iter()
                .any(|e| matches!(e, TraceEvent::PartitionsAdded { .. }))
        })
        .count();
    assert!(grown >= 10, "only {grown} of 40 sessions added partitions");
}
