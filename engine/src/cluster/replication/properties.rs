//! Property tests over random seeds: random clusters, produces with every `acks`, broker
//! kills and restarts, consumer fetches, preferred elections and unclean election switched
//! on and off. A [`Checker`] watches every step's events and the state, and lists what
//! breaks Kafka's guarantees:
//! - the high watermark never moves back (but in an unclean election, which says so);
//! - at most one leader per partition per epoch, and epochs only grow;
//! - an `acks=all` record acknowledged while the ISR had at least `min.insync.replicas`
//!   members is never lost through a clean election;
//! - consumers never see a record above the high watermark, so never one a clean election
//!   later takes back;
//! - every lost record is named, once (until it is named restored), and only lost records
//!   are: after the run every
//!   broker is restarted and the logs settle, and then a record is lost exactly when the
//!   leader's log does not hold it at its offset;
//! - once settled, every in-sync follower's log equals the leader's.
//!
//! Half the cases also run retention (on an RNG stream of their own, so the other draws of
//! a seed stay what they were): the partition's log start offset moves up to a random
//! distance below the high watermark. Consumers then fetch from the log start offset, and
//! records below it count as deleted, neither held nor lost.
//!
//! The deliberate bug (HW = the leader's LEO) must make the checker report violations, or
//! these properties would prove nothing. Raise the case count with `PROPTEST_CASES`.

use super::*;
use crate::rng::SimRng;
use proptest::prelude::*;

#[derive(Clone, Debug)]
struct Setup {
    brokers: i32,
    topic: TopicReplication,
    config: ReplicationConfig,
}

#[derive(Clone, Debug)]
enum Op {
    Produce {
        partition: u32,
        acks: Acks,
        to_random_broker: bool,
    },
    Tick(u64),
    Kill(i32),
    Restart(i32),
    Fetch {
        partition: u32,
    },
    PreferredElection,
    Unclean(bool),
    /// The topic's retention deletes the records more than `keep` below the high watermark.
    Retention {
        partition: u32,
        keep: u64,
    },
}

fn pick<T: Copy>(rng: &mut SimRng, items: &[T]) -> T {
    items[rng.below(items.len() as u64) as usize]
}

/// A case drawn from one seed, so a failure names the seed that reproduces it.
fn case_from_seed(seed: u64) -> (Setup, Vec<Op>) {
    let mut rng = SimRng::new(seed);
    let brokers = 1 + rng.below(5) as i32;
    let replication_factor = 1 + rng.below(brokers.min(3) as u64) as i32;
    let topic = TopicReplication {
        partitions: 1 + rng.below(3) as i32,
        replication_factor,
        // Sometimes one more than the factor: every acks=all write is then refused.
        min_insync_replicas: 1 + rng.below(replication_factor as u64 + 1) as u32,
        unclean_leader_election_enable: rng.chance(0.3),
        start_index: rng.below(brokers as u64) as i32,
    };
    let config = ReplicationConfig {
        replica_lag_time_max_ticks: 1 + rng.below(8),
        replica_fetch_max_records: 1 + rng.below(3),
        request_timeout_ticks: 2 + rng.below(20),
        auto_leader_rebalance_enable: rng.chance(0.5),
        leader_imbalance_check_interval_ticks: 1 + rng.below(10),
    };
    let partitions = topic.partitions as u64;
    let ops = (0..20 + rng.below(120))
        .map(|_| match rng.below(100) {
            0..=39 => Op::Produce {
                partition: rng.below(partitions) as u32,
                acks: pick(&mut rng, &[Acks::None, Acks::Leader, Acks::All]),
                to_random_broker: rng.chance(0.1),
            },
            40..=69 => Op::Tick(1 + rng.below(3)),
            70..=77 => Op::Kill(rng.below(brokers as u64) as i32),
            78..=85 => Op::Restart(rng.below(brokers as u64) as i32),
            86..=95 => Op::Fetch {
                partition: rng.below(partitions) as u32,
            },
            96..=97 => Op::PreferredElection,
            _ => Op::Unclean(rng.chance(0.5)),
        })
        .collect();
    let ops = with_retention(seed, partitions, ops);
    (
        Setup {
            brokers,
            topic,
            config,
        },
        ops,
    )
}

/// Inserts retention ops into half the cases, drawn from their own stream so the other
/// draws of `seed` do not change.
fn with_retention(seed: u64, partitions: u64, ops: Vec<Op>) -> Vec<Op> {
    let mut rng = SimRng::new(seed ^ 0x7265_7465_6e74_696f);
    if !rng.chance(0.5) {
        return ops;
    }
    let mut out = Vec::with_capacity(ops.len() * 2);
    for op in ops {
        out.push(op);
        if rng.chance(0.2) {
            out.push(Op::Retention {
                partition: rng.below(partitions) as u32,
                keep: rng.below(4),
            });
        }
    }
    out
}

/// What the checker has seen so far.
#[derive(Default)]
struct Checker {
    high_watermarks: BTreeMap<TopicPartition, Offset>,
    leaders: BTreeMap<(TopicPartition, u32), BrokerId>,
    named_lost: BTreeMap<(TopicPartition, AppendId), LossReason>,
    fetched: BTreeSet<(TopicPartition, AppendId)>,
    violations: Vec<String>,
}

impl Checker {
    fn observe(&mut self, c: &Cluster, events: &[ReplicationEvent]) {
        let mut unclean = BTreeSet::new();
        for e in events {
            match e {
                ReplicationEvent::LeaderElected {
                    partition,
                    leader,
                    leader_epoch,
                    election,
                } => {
                    if *election == ElectionKind::Unclean {
                        unclean.insert(partition.clone());
                    }
                    let newest = self.leaders.range((partition.clone(), 0)..).next_back();
                    if let Some(((tp, epoch), _)) = newest {
                        if tp == partition && epoch >= leader_epoch {
                            self.violations.push(format!(
                                "{partition}: epoch {leader_epoch} elected after epoch {epoch}"
                            ));
                        }
                    }
                    let key = (partition.clone(), *leader_epoch);
                    if let Some(other) = self.leaders.insert(key, *leader) {
                        self.violations.push(format!(
                            "{partition}: epoch {leader_epoch} has leaders {other} and {leader}"
                        ));
                    }
                }
                ReplicationEvent::RecordLost {
                    partition,
                    append,
                    reason,
                    ..
                } => {
                    let key = (partition.clone(), *append);
                    if self.named_lost.insert(key, *reason).is_some() {
                        self.violations
                            .push(format!("{partition}: append {append:?} named lost twice"));
                    }
                    self.check_loss(c, partition, *append, *reason);
                }
                ReplicationEvent::RecordRestored {
                    partition, append, ..
                } => {
                    let was_named_lost = self.named_lost.remove(&(partition.clone(), *append));
                    if was_named_lost.is_none() {
                        self.violations.push(format!(
                            "{partition}: append {append:?} restored but never named lost"
                        ));
                    }
                }
                _ => {}
            }
        }
        for view in c.partitions() {
            let tp = view.partition;
            let before = self.high_watermarks.insert(tp.clone(), view.high_watermark);
            if before.is_some_and(|b| view.high_watermark < b) && !unclean.contains(&tp) {
                self.violations.push(format!(
                    "{tp}: high watermark moved back from {} to {} without an unclean election",
                    before.unwrap(),
                    view.high_watermark
                ));
            }
        }
    }

    /// A clean election may lose only what was not committed: never an acknowledged
    /// `acks=all` record, never one a consumer saw.
    fn check_loss(
        &mut self,
        c: &Cluster,
        tp: &TopicPartition,
        append: AppendId,
        reason: LossReason,
    ) {
        if reason == LossReason::UncleanElection {
            return;
        }
        let Some(record) = c.appended_record(tp, append) else {
            self.violations.push(format!(
                "{tp}: append {append:?} named lost but not remembered"
            ));
            return;
        };
        let min_insync = c.topic(&tp.topic).unwrap().min_insync_replicas as usize;
        let safe = record.acks == Acks::All
            && record.acknowledged
            && record
                .isr_when_acknowledged
                .is_some_and(|n| n >= min_insync);
        if safe {
            self.violations.push(format!(
                "{tp}: acks=all record at offset {} acknowledged with the ISR at min.insync \
                 lost through a clean election",
                record.offset
            ));
        }
        if self.fetched.contains(&(tp.clone(), append)) {
            self.violations.push(format!(
                "{tp}: record at offset {} seen by a consumer lost through a clean election",
                record.offset
            ));
        }
    }

    fn fetch(&mut self, c: &Cluster, tp: &TopicPartition) {
        let Some(leader) = c.leader(tp) else {
            return;
        };
        let request = FetchRequest {
            partition: tp.clone(),
            broker: leader,
            offset: c.log_start_offset(tp).unwrap(),
            max_records: u64::MAX,
        };
        let records = c
            .fetch(&request)
            .expect("a fetch from the leader at the log start offset succeeds");
        if request.offset.0 > 0 {
            let below = FetchRequest {
                offset: Offset(request.offset.0 - 1),
                ..request.clone()
            };
            if !matches!(c.fetch(&below), Err(FetchError::OffsetOutOfRange { .. })) {
                self.violations.push(format!(
                    "{tp}: a fetch below the log start offset {} was not out of range",
                    request.offset
                ));
            }
        }
        let high_watermark = c.high_watermark(tp).unwrap();
        for r in records {
            if r.offset >= high_watermark {
                self.violations.push(format!(
                    "{tp}: consumer saw offset {} at high watermark {high_watermark}",
                    r.offset
                ));
            }
            self.fetched.insert((tp.clone(), r.append));
        }
    }

    /// After the run: a record is lost exactly when the settled leader's log lacks it, and
    /// every in-sync follower holds the leader's log.
    fn check_settled(&mut self, c: &Cluster) {
        for view in c.partitions() {
            let tp = &view.partition;
            let Some(leader) = view.leader else {
                self.violations
                    .push(format!("{tp}: offline with every broker running"));
                continue;
            };
            let log = c.replica_log(tp, leader).unwrap();
            let start = c.replica_log_start_offset(tp, leader).unwrap();
            let first = c.first_remembered_append(tp).0;
            for (record, append) in c.appended_records(tp).iter().zip(first..) {
                let append = AppendId(append);
                if record.offset < start {
                    continue; // deleted by retention
                }
                let held = c
                    .replica_entries(tp, leader, (record.offset, Offset(record.offset.0 + 1)))
                    .first()
                    .map(|e| e.append)
                    == Some(append);
                let named = self.named_lost.contains_key(&(tp.clone(), append));
                if held == named {
                    self.violations.push(format!(
                        "{tp}: offset {} {} but {}",
                        record.offset,
                        if held { "is held" } else { "is gone" },
                        if named {
                            "was named lost"
                        } else {
                            "was never named lost"
                        }
                    ));
                }
            }
            for &follower in &view.isr {
                let differs = c.replica_log(tp, follower).unwrap() != log
                    || c.replica_log_start_offset(tp, follower) != Some(start);
                if differs {
                    self.violations.push(format!(
                        "{tp}: in-sync follower {follower}'s log differs from the leader's"
                    ));
                }
            }
        }
    }
}

/// Runs the case and returns the violations (empty when every property holds).
/// Drives the cluster through one case: the clock, and who a produce is sent to.
struct Driver {
    c: Cluster,
    now: u64,
    rng: SimRng,
    brokers: i32,
}

impl Driver {
    fn new(c: Cluster, setup: &Setup, ops: &[Op]) -> Self {
        Self {
            c,
            now: 0,
            // Seeded as before retention ops existed, so the other draws stay the same.
            rng: SimRng::new(
                ops.iter()
                    .filter(|op| !matches!(op, Op::Retention { .. }))
                    .count() as u64,
            ),
            brokers: setup.brokers,
        }
    }

    /// Applies one op (a consumer fetch is the caller's), returning a produce's error and
    /// the events.
    fn apply(&mut self, op: &Op) -> (Option<ProduceError>, Vec<ReplicationEvent>) {
        let now = Tick(self.now);
        let c = &mut self.c;
        let events = match op {
            Op::Produce {
                partition,
                acks,
                to_random_broker,
            } => {
                let tp = TopicPartition::new("orders", *partition);
                let broker = match c.leader(&tp) {
                    Some(leader) if !to_random_broker => leader,
                    _ => BrokerId(self.rng.below(self.brokers as u64) as i32),
                };
                let request = ProduceRequest {
                    partition: tp,
                    broker,
                    acks: *acks,
                    key: Some(format!("k{}", self.now)),
                    event_id: None,
                };
                let (result, events) = c.produce(now, request);
                return (result.err(), events);
            }
            Op::Tick(n) => (0..*n)
                .flat_map(|_| {
                    self.now += 1;
                    c.tick(Tick(self.now))
                })
                .collect(),
            Op::Kill(b) => c.kill_broker(now, BrokerId(*b)).unwrap_or_default(),
            Op::Restart(b) => c.restart_broker(now, BrokerId(*b)).unwrap_or_default(),
            Op::Fetch { .. } => Vec::new(),
            Op::PreferredElection => c.elect_preferred_leaders_now(now),
            Op::Unclean(on) => c.set_unclean_leader_election(now, "orders", *on).unwrap(),
            Op::Retention { partition, keep } => {
                let tp = TopicPartition::new("orders", *partition);
                let high_watermark = c.high_watermark(&tp).unwrap();
                c.delete_records_before(&tp, Offset(high_watermark.0.saturating_sub(*keep)));
                Vec::new()
            }
        };
        (None, events)
    }
}

/// Runs the case and returns the violations (empty when every property holds).
fn run_case(c: Cluster, setup: &Setup, ops: &[Op]) -> Vec<String> {
    let mut checker = Checker::default();
    let mut driver = Driver::new(c, setup, ops);
    for op in ops {
        if let Op::Fetch { partition } = op {
            checker.fetch(&driver.c, &TopicPartition::new("orders", *partition));
        }
        let (_, events) = driver.apply(op);
        checker.observe(&driver.c, &events);
    }
    for b in 0..setup.brokers {
        let events = driver
            .c
            .restart_broker(Tick(driver.now), BrokerId(b))
            .unwrap_or_default();
        checker.observe(&driver.c, &events);
    }
    // Long enough for the slowest follower to copy every record, rejoin and be checked.
    let records: usize = (0..setup.topic.partitions as u32)
        .map(|p| {
            driver
                .c
                .appended_records(&TopicPartition::new("orders", p))
                .len()
        })
        .sum();
    for _ in 0..records as u64 + 2 * setup.config.leader_imbalance_check_interval_ticks + 5 {
        driver.now += 1;
        let events = driver.c.tick(Tick(driver.now));
        checker.observe(&driver.c, &events);
    }
    checker.check_settled(&driver.c);
    checker.violations
}

fn build(setup: &Setup) -> Cluster {
    let brokers: Vec<BrokerMetadata> = (0..setup.brokers).map(BrokerMetadata::new).collect();
    let mut c = Cluster::new(setup.config.clone(), &brokers).unwrap();
    c.create_topic("orders", setup.topic.clone()).unwrap();
    c
}

fn cases(default: u32) -> ProptestConfig {
    let from_env = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok());
    ProptestConfig::with_cases(from_env.unwrap_or(default))
}

proptest! {
    #![proptest_config(cases(256))]

    /// Every property above holds for random clusters, kills, restarts and produces.
    #[test]
    fn replication_keeps_kafkas_guarantees(seed in any::<u64>()) {
        let (setup, ops) = case_from_seed(seed);
        let violations = run_case(build(&setup), &setup, &ops);
        prop_assert!(violations.is_empty(), "seed {seed}: {violations:?}");
    }
}

/// Seed 001's cluster with the deliberate bug: the leader acknowledges an `acks=all` record
/// nobody copied, dies, and the clean election loses it. The checker must say so.
#[test]
fn the_deliberate_bug_loses_an_acknowledged_acks_all_record_and_the_checker_says_so() {
    let setup = Setup {
        brokers: 3,
        topic: TopicReplication {
            partitions: 1,
            replication_factor: 3,
            min_insync_replicas: 2,
            unclean_leader_election_enable: false,
            start_index: 0,
        },
        config: ReplicationConfig::default(),
    };
    let ops = [
        Op::Produce {
            partition: 0,
            acks: Acks::All,
            to_random_broker: false,
        },
        Op::Fetch { partition: 0 },
        Op::Kill(0),
    ];
    assert_eq!(run_case(build(&setup), &setup, &ops), Vec::<String>::new());
    let buggy = build(&setup).with_leader_log_end_offset_as_high_watermark();
    let violations = run_case(buggy, &setup, &ops);
    assert!(
        violations
            .iter()
            .any(|v| v.contains("acks=all record at offset 0")),
        "{violations:?}"
    );
    assert!(
        violations.iter().any(|v| v.contains("seen by a consumer")),
        "{violations:?}"
    );
}

/// The random cases find the bug too, and not only through one property.
#[test]
fn the_deliberate_bug_breaks_the_properties_over_random_seeds() {
    let mut failing_seeds = 0;
    let mut kinds = BTreeSet::new();
    for seed in 0..200 {
        let (setup, ops) = case_from_seed(seed);
        assert!(
            run_case(build(&setup), &setup, &ops).is_empty(),
            "seed {seed}"
        );
        let violations = run_case(
            build(&setup).with_leader_log_end_offset_as_high_watermark(),
            &setup,
            &ops,
        );
        failing_seeds += usize::from(!violations.is_empty());
        for v in violations {
            for kind in ["acks=all record", "seen by a consumer", "moved back"] {
                if v.contains(kind) {
                    kinds.insert(kind);
                }
            }
        }
    }
    assert!(
        failing_seeds >= 10,
        "only {failing_seeds} of 200 seeds caught the bug"
    );
    assert_eq!(kinds.len(), 3, "caught by {kinds:?}");
}

/// The generator must reach the interesting paths, or the properties prove little.
#[test]
fn generated_cases_reach_losses_refusals_and_every_kind_of_election() {
    let mut seen = BTreeMap::<String, u32>::new();
    for seed in 0..200 {
        let (setup, ops) = case_from_seed(seed);
        let mut driver = Driver::new(build(&setup), &setup, &ops);
        let mut count = |name: String| *seen.entry(name).or_default() += 1;
        for op in &ops {
            let (error, events) = driver.apply(op);
            if let Some(e) = error {
                count(e.to_string().split(':').next().unwrap().to_string());
            }
            count_events(&events, &mut count);
        }
    }
    for needed in [
        "Clean",
        "Unclean",
        "Preferred",
        "lost LeaderChange acknowledged=true",
        "lost UncleanElection acknowledged=true",
        "shrink: stopped",
        "shrink: lagged",
        "truncated",
        "offline",
        "NOT_ENOUGH_REPLICAS",
        "NOT_ENOUGH_REPLICAS_AFTER_APPEND",
        "LEADER_NOT_AVAILABLE",
        "NETWORK_EXCEPTION",
        "reset to the log start offset",
    ] {
        assert!(
            seen.get(needed).is_some_and(|n| *n > 0),
            "never saw {needed}: {seen:?}"
        );
    }
}

/// Counts the events the coverage test looks for.
fn count_events(events: &[ReplicationEvent], count: &mut impl FnMut(String)) {
    for e in events {
        match e {
            ReplicationEvent::LeaderElected { election, .. } => count(format!("{election:?}")),
            ReplicationEvent::RecordLost {
                reason,
                acknowledged,
                ..
            } => count(format!("lost {reason:?} acknowledged={acknowledged}")),
            ReplicationEvent::IsrShrunk { reason, .. } => count(match reason {
                IsrShrinkReason::BrokerStopped => "shrink: stopped".into(),
                IsrShrinkReason::LaggedBehind { .. } => "shrink: lagged".into(),
            }),
            ReplicationEvent::ProduceCompleted { error: Some(e), .. } => {
                count(e.to_string().split(':').next().unwrap().to_string())
            }
            ReplicationEvent::Truncated { .. } => count("truncated".into()),
            ReplicationEvent::PartitionOffline { .. } => count("offline".into()),
            ReplicationEvent::FollowerResetToLogStartOffset { .. } => {
                count("reset to the log start offset".into())
            }
            _ => {}
        }
    }
}
