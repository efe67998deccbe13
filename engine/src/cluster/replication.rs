//! Brokers, leaders, replicas and the in-sync replica set: Kafka's replication as a
//! deterministic state machine in ticks.
//!
//! A [`Cluster`] holds brokers (ids, optional racks, alive or not), an always-up controller
//! and, per partition, the replicas from [`placement`](super::placement), the leader and its
//! epoch, the ISR, every replica's log (log end offset, LEO) and the high watermark (HW).
//! The caller drives it: [`Cluster::produce`], [`Cluster::fetch`] (consumers),
//! [`Cluster::kill_broker`], [`Cluster::restart_broker`] and [`Cluster::tick`] (followers
//! fetch, the ISR shrinks and grows, the HW advances, waiting `acks=all` requests are
//! answered, preferred leaders are restored). Each returns the [`ReplicationEvent`]s it
//! caused, in order, for the simulation's trace. Nothing inside is random: kills come as
//! commands.
//!
//! The rules, as Kafka has them:
//! - HW = the smallest LEO in the ISR; it never moves back (only an unclean election moves
//!   it, and says so with [`ReplicationEvent::HighWatermarkMovedBack`]). Consumers read
//!   below it only.
//! - A follower that has not reached the leader's LEO for more than
//!   `replica_lag_time_max_ticks` leaves the ISR; it rejoins when its LEO reaches the HW
//!   (and the current epoch's start offset). A dead broker leaves every ISR at once, except
//!   that the controller never empties an ISR: the last member stays in it, dead, so it can
//!   come back as a clean leader.
//! - A clean election picks the first replica of the assignment that is alive and in the
//!   ISR, and bumps the leader epoch. Followers truncate to the new leader's end offset of
//!   their last epoch (`OffsetsForLeaderEpoch`) before fetching again. A record that is not
//!   in the new leader's log is lost; the election names each one
//!   ([`ReplicationEvent::RecordLost`]).
//!
//! Simplified on purpose (also in ARCHITECTURE.md, "Brokers and replication"):
//! - The controller is always up and acts at once (no KRaft quorum, no ZooKeeper session
//!   timeout: a killed broker is fenced in the same tick).
//! - A follower fetches once per tick, at most `replica_fetch_max_records`, and the leader
//!   learns its new LEO from that fetch (Kafka learns it from the next fetch's offset, one
//!   round later), so the HW moves in the same tick.
//! - One HW per partition, the leader's; followers' own HW copies are not modelled. A new
//!   leader takes the partition's HW (in Kafka it starts from its possibly older copy and
//!   catches up within a fetch round), and, as Kafka's `resetReplicaState`, moves it only
//!   once every ISR follower has fetched in the new epoch.
//! - The controller never empties an ISR (the last member stays, dead, as in KRaft) and
//!   does not bump the epoch when a partition goes offline.
//! - A failed `acks=0` request still returns its error; the caller must not show it to the
//!   producer, which in Kafka hears nothing.
//! - Logs hold record metadata (offset, epoch, key, event id, acks), not payloads: the
//!   simulation keeps payloads by [`AppendId`].
//! - Retention is the topic's: the simulation tells the cluster where the topic's log now
//!   starts ([`Cluster::delete_records_before`]) and the leader's log start offset moves
//!   there; followers learn it from their fetches (Kafka's `maybeIncrementLogStartOffset`
//!   on the follower), and a follower whose fetch offset is below it gets
//!   `OFFSET_OUT_OF_RANGE`, truncates its whole log and starts at the leader's log start
//!   offset ([`ReplicationEvent::FollowerResetToLogStartOffset`]). The metadata of records
//!   no replica keeps above the log start offset is forgotten, so what the cluster holds is
//!   bounded by retention, not by the number of records ever produced.
//! - Preferred leader election runs every `leader_imbalance_check_interval_ticks` for every
//!   partition whose preferred replica is alive, in the ISR and not leading, without Kafka's
//!   10 % per-broker imbalance threshold.
//! - Metrics are counts since the start, not rates.

mod event;
mod fetch;
mod follower;
mod grow;
mod history;
mod leadership;
mod produce;
mod retention;
mod routing;
mod window;

pub use event::{ElectionKind, IsrShrinkReason, LossReason, ReplicationEvent};
pub use fetch::{FetchError, FetchRequest, FetchedRecord};
pub use history::METRICS_HISTORY_TICKS;
pub use leadership::{Leadership, LeadershipEvent};
pub use produce::{Acks, ProduceError, ProduceOutcome, ProduceRequest, ProduceRequestId};
pub use routing::RoutingError;

use super::placement::{assign_replicas_to_brokers, BrokerMetadata, PlacementError};
use super::BrokerId;
use crate::assignor::TopicPartition;
use crate::ids::{EventId, Offset, PartitionId, Tick};
use litemap::LiteMap;
use produce::PendingProduce;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use thiserror::Error;
use window::Window;

/// Which append of a partition a record was: 0, 1, 2... in append order over all leaders,
/// so two records that shared an offset on different leaders stay apart.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct AppendId(pub u64);

/// Cluster-wide settings, in ticks where Kafka has milliseconds. As JSON every field may
/// be omitted (its default).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReplicationConfig {
    /// `replica.lag.time.max.ms`: how long a follower may stay behind the leader's LEO
    /// before it leaves the ISR.
    pub replica_lag_time_max_ticks: u64,
    /// The most records a follower copies per tick (Kafka's `replica.fetch.max.bytes`,
    /// counted in records), so a busy leader can outrun its followers.
    pub replica_fetch_max_records: u64,
    /// How long an `acks=all` request waits for the ISR (`request.timeout.ms`).
    pub request_timeout_ticks: u64,
    /// `auto.leader.rebalance.enable`: move leadership back to preferred replicas.
    pub auto_leader_rebalance_enable: bool,
    /// `leader.imbalance.check.interval.seconds`, in ticks.
    pub leader_imbalance_check_interval_ticks: u64,
}

impl Default for ReplicationConfig {
    /// Kafka's defaults scaled to a tick of one second, except the rebalance check (Kafka:
    /// 300 s), shortened so a restart's effect is visible in a short run.
    fn default() -> Self {
        Self {
            replica_lag_time_max_ticks: 30,
            replica_fetch_max_records: 100,
            request_timeout_ticks: 30,
            auto_leader_rebalance_enable: true,
            leader_imbalance_check_interval_ticks: 10,
        }
    }
}

/// A topic's replication settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopicReplication {
    /// How many partitions.
    pub partitions: i32,
    /// How many replicas each (leader included).
    pub replication_factor: i32,
    /// `min.insync.replicas` (1 or more; larger than the replication factor is allowed, as
    /// in Kafka, and makes every `acks=all` write fail).
    pub min_insync_replicas: u32,
    /// `unclean.leader.election.enable`.
    pub unclean_leader_election_enable: bool,
    /// Placement's fixed start index (see
    /// [`assign_replicas_to_brokers`](super::placement::assign_replicas_to_brokers)).
    pub start_index: i32,
}

/// Why a cluster command was refused.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ReplicationError {
    /// The same broker id twice, or no brokers.
    #[error("broker {broker} is listed twice")]
    DuplicateBroker {
        /// The repeated id.
        broker: BrokerId,
    },
    /// No such broker.
    #[error("there is no broker {broker}")]
    UnknownBroker {
        /// The id asked for.
        broker: BrokerId,
    },
    /// Killing a broker that is already down.
    #[error("broker {broker} is already down")]
    BrokerAlreadyStopped {
        /// The broker.
        broker: BrokerId,
    },
    /// Restarting a broker that is running.
    #[error("broker {broker} is already running")]
    BrokerAlreadyRunning {
        /// The broker.
        broker: BrokerId,
    },
    /// Kafka's `TOPIC_ALREADY_EXISTS`.
    #[error("TOPIC_ALREADY_EXISTS: topic {topic} already exists")]
    TopicAlreadyExists {
        /// The topic.
        topic: String,
    },
    /// Kafka's `UNKNOWN_TOPIC_OR_PARTITION`.
    #[error("UNKNOWN_TOPIC_OR_PARTITION: there is no topic {topic}")]
    UnknownTopic {
        /// The topic.
        topic: String,
    },
    /// Kafka's `INVALID_PARTITIONS`: a topic only grows.
    #[error(
        "INVALID_PARTITIONS: topic {topic} has {current} partitions; it can only grow, not to {requested}"
    )]
    InvalidPartitions {
        /// The topic.
        topic: String,
        /// Its partitions now.
        current: u32,
        /// The count asked for.
        requested: u32,
    },
    /// Kafka's `INVALID_CONFIG` for `min.insync.replicas` below 1.
    #[error("INVALID_CONFIG: min.insync.replicas must be at least 1, got {min_insync_replicas}")]
    InvalidMinInsyncReplicas {
        /// The value given.
        min_insync_replicas: u32,
    },
    /// Placement refused (Kafka's messages): too few live brokers, bad counts.
    #[error(transparent)]
    Placement(#[from] PlacementError),
    /// A leadership transition the table does not allow (a broken invariant, reported
    /// instead of panicking).
    #[error("{partition}: {event} is not allowed when {state}")]
    IllegalTransition {
        /// The partition.
        partition: TopicPartition,
        /// The leadership state.
        state: Leadership,
        /// What happened.
        event: LeadershipEvent,
    },
}

/// A broker's id, rack and whether it runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokerState {
    /// The broker's id.
    pub id: BrokerId,
    /// Its rack, if any.
    pub rack: Option<String>,
    /// False after a kill, until a restart.
    pub alive: bool,
}

/// One entry of a replica's log: the epoch of the leader that appended it, and which append
/// it is (equal entries at one offset mean equal records, Kafka's log matching).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    /// The leader epoch it was appended in.
    pub leader_epoch: u32,
    /// Which append.
    pub append: AppendId,
}

/// Everything known about one append, kept after it is lost so properties and the page can
/// say what was acknowledged and then lost.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppendedRecord {
    /// The offset the leader gave it.
    pub offset: Offset,
    /// The epoch of that leader.
    pub leader_epoch: u32,
    /// Its key.
    pub key: Option<String>,
    /// Its event id, if any.
    pub event_id: Option<EventId>,
    /// The acks it was produced with.
    pub acks: Acks,
    /// When it was appended.
    pub appended_at: Tick,
    /// Whether the producer was told it was written.
    pub acknowledged: bool,
    /// The ISR's size when it was acknowledged.
    pub isr_when_acknowledged: Option<usize>,
    /// Named in a [`ReplicationEvent::RecordLost`].
    pub lost: bool,
}

/// One replica's log and the leader's view of its progress.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ReplicaLog {
    /// Indexed by offset, from the replica's log start offset on.
    pub(crate) entries: Window<LogEntry>,
    /// Kafka's `lastCaughtUpTimeMs`: the last tick its LEO equalled the leader's.
    pub(crate) last_caught_up: Tick,
    /// Whether the leader knows this follower's LEO: only after a fetch in the current
    /// epoch. A new leader resets it (Kafka's `resetReplicaState`, LEO unknown), since a
    /// follower's log may still hold the old leader's tail at offsets the new leader
    /// reuses; counting that LEO would commit records the follower does not have.
    pub(crate) fetched_this_epoch: bool,
}

impl ReplicaLog {
    fn log_end_offset(&self) -> Offset {
        Offset(self.entries.end())
    }

    fn log_start_offset(&self) -> Offset {
        Offset(self.entries.start())
    }

    /// Kafka's `maybeIncrementLogStartOffset`: forgets the entries below `offset` (never
    /// past the log end offset, never back).
    pub(crate) fn maybe_increment_log_start_offset(&mut self, offset: Offset) {
        self.entries.forget_before(offset.0);
    }
}

/// One partition's replication state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PartitionState {
    /// The assignment, preferred leader first.
    pub(crate) replicas: Vec<BrokerId>,
    pub(crate) leader: Option<BrokerId>,
    pub(crate) leader_epoch: u32,
    /// Kept in assignment order.
    pub(crate) isr: Vec<BrokerId>,
    pub(crate) logs: LiteMap<BrokerId, ReplicaLog>,
    pub(crate) high_watermark: Offset,
    /// The current leader's LEO when it was elected: a follower rejoins the ISR only past it.
    pub(crate) leader_epoch_start_offset: Offset,
    /// The partition's log start offset: where the topic's retention (or an unclean
    /// election that moved the high watermark below it) put it. The leader's log starts
    /// there.
    pub(crate) log_start_offset: Offset,
    /// Every append some replica may still need, by [`AppendId`]; older ones are forgotten
    /// (see [`Cluster::forget_unreferenced_records`]).
    pub(crate) records: Window<AppendedRecord>,
}

impl PartitionState {
    pub(crate) fn log_end_offset(&self, broker: BrokerId) -> Offset {
        self.logs[&broker].log_end_offset()
    }
}

/// How the HW is computed. The second rule is the deliberate bug the property tests must
/// catch (a leader that commits what only it has).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum HighWatermarkRule {
    IsrMinimum,
    #[cfg(test)]
    LeaderLogEndOffset,
}

/// Counters behind the metrics.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Counters {
    isr_shrinks: u64,
    isr_expands: u64,
    failed_produce_requests: u64,
    leader_elections: u64,
    unclean_leader_elections: u64,
}

/// The cluster's metrics under Kafka's JMX names; rates are counts since the start.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ClusterMetrics {
    /// Partitions with a leader whose ISR is smaller than the replica list.
    pub under_replicated_partitions: u64,
    /// Partitions without a live leader (`OfflinePartitionsCount`).
    pub offline_partitions_count: u64,
    /// `IsrShrinksPerSec` as a count: every replica that left an ISR, including the
    /// controller's removals of dead brokers (Kafka's broker metric counts only the
    /// leader's own shrinks).
    pub isr_shrinks: u64,
    /// `IsrExpandsPerSec` as a count.
    pub isr_expands: u64,
    /// `FailedProduceRequestsPerSec` as a count: refusals and failed waiting requests.
    pub failed_produce_requests: u64,
    /// `LeaderElectionRateAndTimeMs` as a count, elections at topic creation included.
    pub leader_elections: u64,
    /// `UncleanLeaderElectionsPerSec` as a count.
    pub unclean_leader_elections: u64,
}

/// One replica as the page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplicaView {
    /// The broker holding it.
    pub broker: BrokerId,
    /// Whether that broker runs.
    pub alive: bool,
    /// Whether it leads.
    pub leader: bool,
    /// Whether it is in the ISR.
    pub in_sync: bool,
    /// Its log end offset.
    pub log_end_offset: Offset,
}

/// One partition as the page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionView {
    /// The partition.
    pub partition: TopicPartition,
    /// The replicas in assignment order (preferred leader first).
    pub replicas: Vec<ReplicaView>,
    /// The leader, `None` when offline.
    pub leader: Option<BrokerId>,
    /// The leader epoch.
    pub leader_epoch: u32,
    /// The ISR, in assignment order.
    pub isr: Vec<BrokerId>,
    /// The high watermark: records below it are committed and readable.
    pub high_watermark: Offset,
}

/// The replication model. See the module docs.
#[derive(Clone, Debug)]
pub struct Cluster {
    config: ReplicationConfig,
    brokers: LiteMap<BrokerId, BrokerState>,
    topics: LiteMap<String, TopicReplication>,
    partitions: LiteMap<TopicPartition, PartitionState>,
    pending: BTreeMap<ProduceRequestId, PendingProduce>,
    next_request: u64,
    /// The metrics at the end of each recent round.
    history: history::MetricsHistory,
    counters: Counters,
    high_watermark_rule: HighWatermarkRule,
}

impl Cluster {
    /// A cluster of running brokers (all with a rack or none, as placement requires).
    pub fn new(
        config: ReplicationConfig,
        brokers: &[BrokerMetadata],
    ) -> Result<Self, ReplicationError> {
        let mut map = LiteMap::new_vec();
        for b in brokers {
            let state = BrokerState {
                id: b.id,
                rack: b.rack.clone(),
                alive: true,
            };
            if map.insert(b.id, state).is_some() {
                return Err(ReplicationError::DuplicateBroker { broker: b.id });
            }
        }
        Ok(Self {
            config,
            brokers: map,
            topics: LiteMap::new_vec(),
            partitions: LiteMap::new_vec(),
            pending: BTreeMap::new(),
            next_request: 0,
            history: history::MetricsHistory::default(),
            counters: Counters::default(),
            high_watermark_rule: HighWatermarkRule::IsrMinimum,
        })
    }

    /// Turns on the deliberate bug (HW = the leader's LEO) that the properties must catch.
    #[cfg(test)]
    pub(crate) fn with_leader_log_end_offset_as_high_watermark(mut self) -> Self {
        self.high_watermark_rule = HighWatermarkRule::LeaderLogEndOffset;
        self
    }

    /// Creates a topic, its replicas placed by Kafka's `assignReplicasToBrokers` over the
    /// running brokers; each partition's first replica leads at epoch 0 with the whole
    /// assignment in sync.
    pub fn create_topic(
        &mut self,
        topic: &str,
        spec: TopicReplication,
    ) -> Result<Vec<ReplicationEvent>, ReplicationError> {
        let assignment = assign_replicas_to_brokers(
            &self.running_brokers(),
            spec.partitions,
            spec.replication_factor,
            spec.start_index,
            0,
        )?;
        let replicas: Vec<Vec<BrokerId>> = assignment.map(|(_, r)| r).collect();
        self.create_topic_with_assignment(topic, spec, replicas)
    }

    /// The running brokers, by id, as placement takes them.
    pub(super) fn running_brokers(&self) -> Vec<BrokerMetadata> {
        self.brokers
            .values()
            .filter(|b| b.alive)
            .map(|b| BrokerMetadata {
                id: b.id,
                rack: b.rack.clone(),
            })
            .collect()
    }

    /// Creates a topic with a given assignment (partition `i` gets `replicas[i]`, preferred
    /// leader first), as `kafka-topics --replica-assignment` does. `spec.partitions`,
    /// `replication_factor` and `start_index` are ignored.
    pub fn create_topic_with_assignment(
        &mut self,
        topic: &str,
        spec: TopicReplication,
        replicas: Vec<Vec<BrokerId>>,
    ) -> Result<Vec<ReplicationEvent>, ReplicationError> {
        if self.topics.contains_key(topic) {
            return Err(ReplicationError::TopicAlreadyExists {
                topic: topic.into(),
            });
        }
        if spec.min_insync_replicas == 0 {
            return Err(ReplicationError::InvalidMinInsyncReplicas {
                min_insync_replicas: 0,
            });
        }
        for broker in replicas.iter().flatten() {
            if !self.brokers.contains_key(broker) {
                return Err(ReplicationError::UnknownBroker { broker: *broker });
            }
        }
        let events = replicas
            .into_iter()
            .enumerate()
            .map(|(i, replicas)| self.insert_partition(topic, PartitionId(i as u32), replicas))
            .collect();
        self.topics.insert(topic.to_string(), spec);
        Ok(events)
    }

    /// Adds one partition with `replicas` (preferred leader first, duplicates dropped): its
    /// first running replica leads at epoch 0, the running ones form the ISR (all of them
    /// when none runs, as Kafka keeps the last ISR of an offline partition).
    fn insert_partition(
        &mut self,
        topic: &str,
        partition: PartitionId,
        replicas: Vec<BrokerId>,
    ) -> ReplicationEvent {
        let tp = TopicPartition {
            topic: topic.into(),
            partition,
        };
        let mut seen = BTreeSet::new();
        let replicas: Vec<BrokerId> = replicas.into_iter().filter(|b| seen.insert(*b)).collect();
        let leader = replicas.iter().copied().find(|b| self.is_alive(*b));
        let isr: Vec<BrokerId> = replicas
            .iter()
            .copied()
            .filter(|b| self.is_alive(*b))
            .collect();
        let mut logs = LiteMap::new_vec();
        for b in &replicas {
            logs.insert(*b, ReplicaLog::default());
        }
        let state = PartitionState {
            logs,
            isr: if isr.is_empty() {
                replicas.clone()
            } else {
                isr
            },
            replicas,
            leader,
            leader_epoch: 0,
            high_watermark: Offset(0),
            leader_epoch_start_offset: Offset(0),
            log_start_offset: Offset(0),
            records: Window::default(),
        };
        let event = match leader {
            Some(leader) => {
                self.counters.leader_elections += 1;
                ReplicationEvent::LeaderElected {
                    partition: tp.clone(),
                    leader,
                    leader_epoch: 0,
                    election: ElectionKind::Initial,
                }
            }
            None => ReplicationEvent::PartitionOffline {
                partition: tp.clone(),
                leader_epoch: 0,
            },
        };
        self.partitions.insert(tp, state);
        event
    }

    /// One tick of replication: every running follower fetches from its leader (truncating
    /// first if its log diverged), followers join or leave the ISR, the HW advances, waiting
    /// `acks=all` requests are answered or time out, and on the check interval preferred
    /// replicas take leadership back.
    pub fn tick(&mut self, now: Tick) -> Vec<ReplicationEvent> {
        let mut events = Vec::new();
        let partitions: Vec<TopicPartition> = self.partitions.keys().cloned().collect();
        for tp in &partitions {
            self.replicate(now, tp, &mut events);
        }
        self.complete_pending(now, &mut events);
        let interval = self.config.leader_imbalance_check_interval_ticks;
        if self.config.auto_leader_rebalance_enable && interval > 0 && now.0 % interval == 0 {
            self.elect_preferred_leaders(now, &mut events);
        }
        self.sample_metrics(now);
        events
    }

    /// `kafka-leader-election --election-type PREFERRED --all-topic-partitions`.
    pub fn elect_preferred_leaders_now(&mut self, now: Tick) -> Vec<ReplicationEvent> {
        let mut events = Vec::new();
        self.elect_preferred_leaders(now, &mut events);
        events
    }

    /// Kills a broker: it leaves every ISR (but an ISR's last member), the partitions it led
    /// elect new leaders or go offline, its waiting requests fail with `NETWORK_EXCEPTION`.
    pub fn kill_broker(
        &mut self,
        now: Tick,
        broker: BrokerId,
    ) -> Result<Vec<ReplicationEvent>, ReplicationError> {
        self.set_alive(broker, false)?;
        let mut events = vec![ReplicationEvent::BrokerStopped { broker }];
        self.on_leadership_event(now, LeadershipEvent::BrokerStopped(broker), &mut events)?;
        self.complete_pending(now, &mut events);
        Ok(events)
    }

    /// Restarts a broker with the logs it had: offline partitions it can lead elect it, its
    /// followers start fetching (and truncating) on the next tick.
    pub fn restart_broker(
        &mut self,
        now: Tick,
        broker: BrokerId,
    ) -> Result<Vec<ReplicationEvent>, ReplicationError> {
        self.set_alive(broker, true)?;
        for (_, p) in self.partitions.iter_mut() {
            p.forget_stale_entries(broker);
        }
        let mut events = vec![ReplicationEvent::BrokerStarted { broker }];
        self.on_leadership_event(now, LeadershipEvent::BrokerStarted(broker), &mut events)?;
        Ok(events)
    }

    /// Starts or stops a broker, refusing an unknown one or one already so.
    fn set_alive(&mut self, broker: BrokerId, alive: bool) -> Result<(), ReplicationError> {
        let state = self
            .brokers
            .get_mut(&broker)
            .ok_or(ReplicationError::UnknownBroker { broker })?;
        match (state.alive, alive) {
            (false, false) => Err(ReplicationError::BrokerAlreadyStopped { broker }),
            (true, true) => Err(ReplicationError::BrokerAlreadyRunning { broker }),
            _ => {
                state.alive = alive;
                Ok(())
            }
        }
    }

    /// Turns `unclean.leader.election.enable` on or off for a topic; turning it on elects
    /// leaders for its offline partitions that have a live replica (as Kafka does since
    /// 2.x/KIP-580-style dynamic config).
    pub fn set_unclean_leader_election(
        &mut self,
        now: Tick,
        topic: &str,
        enable: bool,
    ) -> Result<Vec<ReplicationEvent>, ReplicationError> {
        let spec = self
            .topics
            .get_mut(topic)
            .ok_or_else(|| ReplicationError::UnknownTopic {
                topic: topic.into(),
            })?;
        spec.unclean_leader_election_enable = enable;
        let mut events = Vec::new();
        if enable {
            self.on_leadership_event(now, LeadershipEvent::UncleanElectionEnabled, &mut events)?;
        }
        Ok(events)
    }

    /// The settings.
    pub fn config(&self) -> &ReplicationConfig {
        &self.config
    }

    /// The brokers in id order.
    pub fn brokers(&self) -> impl Iterator<Item = &BrokerState> {
        self.brokers.values()
    }

    /// Whether `broker` exists and runs.
    pub fn is_alive(&self, broker: BrokerId) -> bool {
        self.brokers.get(&broker).is_some_and(|b| b.alive)
    }

    /// A topic's settings.
    pub fn topic(&self, topic: &str) -> Option<&TopicReplication> {
        self.topics.get(topic)
    }

    fn min_insync_replicas(&self, topic: &str) -> u32 {
        self.topics.get(topic).map_or(1, |t| t.min_insync_replicas)
    }

    fn unclean_allowed(&self, topic: &str) -> bool {
        self.topics
            .get(topic)
            .is_some_and(|t| t.unclean_leader_election_enable)
    }

    /// The producers' and consumers' metadata: who leads `partition` now.
    pub fn leader(&self, partition: &TopicPartition) -> Option<BrokerId> {
        self.partitions.get(partition).and_then(|p| p.leader)
    }

    /// Where a producer with fresh metadata sends: the leader; while the partition is
    /// offline, any running broker (which answers `LEADER_NOT_AVAILABLE`), or, with none
    /// running, the preferred replica (the connection fails: `NETWORK_EXCEPTION`).
    pub fn produce_target(&self, partition: &TopicPartition) -> Option<BrokerId> {
        let p = self.partitions.get(partition)?;
        p.leader
            .or_else(|| self.brokers.values().find(|b| b.alive).map(|b| b.id))
            .or_else(|| p.replicas.first().copied())
    }

    /// The partition's high watermark.
    pub fn high_watermark(&self, partition: &TopicPartition) -> Option<Offset> {
        self.partitions.get(partition).map(|p| p.high_watermark)
    }

    /// One partition as the page shows it.
    pub fn partition(&self, partition: &TopicPartition) -> Option<PartitionView> {
        let p = self.partitions.get(partition)?;
        Some(PartitionView {
            partition: partition.clone(),
            replicas: p
                .replicas
                .iter()
                .map(|&broker| ReplicaView {
                    broker,
                    alive: self.is_alive(broker),
                    leader: p.leader == Some(broker),
                    in_sync: p.isr.contains(&broker),
                    log_end_offset: p.log_end_offset(broker),
                })
                .collect(),
            leader: p.leader,
            leader_epoch: p.leader_epoch,
            isr: p.isr.clone(),
            high_watermark: p.high_watermark,
        })
    }

    /// Every partition, in topic and partition order.
    pub fn partitions(&self) -> Vec<PartitionView> {
        self.partitions
            .keys()
            .filter_map(|tp| self.partition(tp))
            .collect()
    }

    /// One replica's log from its log start offset on (`None` if `broker` holds no replica
    /// of `partition`): the entry at index `i` has offset `log_start_offset + i`.
    pub fn replica_log(&self, partition: &TopicPartition, broker: BrokerId) -> Option<&[LogEntry]> {
        let p = self.partitions.get(partition)?;
        p.logs.get(&broker).map(|l| l.entries.kept())
    }

    /// One replica's log start offset (`None` if `broker` holds no replica of `partition`).
    pub fn replica_log_start_offset(
        &self,
        partition: &TopicPartition,
        broker: BrokerId,
    ) -> Option<Offset> {
        let p = self.partitions.get(partition)?;
        p.logs.get(&broker).map(ReplicaLog::log_start_offset)
    }

    /// One replica's entries with offsets in `from..to` (clamped to what it holds).
    pub fn replica_entries(
        &self,
        partition: &TopicPartition,
        broker: BrokerId,
        (from, to): (Offset, Offset),
    ) -> &[LogEntry] {
        self.partitions
            .get(partition)
            .and_then(|p| p.logs.get(&broker))
            .map_or(&[], |l| l.entries.range(from.0, to.0))
    }

    /// The partition's log start offset (where retention put it).
    pub fn log_start_offset(&self, partition: &TopicPartition) -> Option<Offset> {
        self.partitions.get(partition).map(|p| p.log_start_offset)
    }

    /// The appends to `partition` still remembered, lost ones included, in [`AppendId`]
    /// order from [`Self::first_remembered_append`] on.
    pub fn appended_records(&self, partition: &TopicPartition) -> &[AppendedRecord] {
        self.partitions
            .get(partition)
            .map_or(&[], |p| p.records.kept())
    }

    /// One append, if still remembered (retention forgets those no replica needs).
    pub fn appended_record(
        &self,
        partition: &TopicPartition,
        append: AppendId,
    ) -> Option<&AppendedRecord> {
        self.partitions.get(partition)?.records.get(append.0)
    }

    /// The oldest append still remembered: every older one is below the log start offset
    /// (or was lost) and no replica needs it.
    pub fn first_remembered_append(&self, partition: &TopicPartition) -> AppendId {
        self.partitions
            .get(partition)
            .map_or(AppendId(0), |p| AppendId(p.records.start()))
    }

    /// How many log entries and record metadata the cluster holds in memory, over all
    /// partitions and replicas: what retention bounds.
    pub fn held_entries(&self) -> usize {
        self.partitions
            .values()
            .map(|p| p.records.held() + p.logs.values().map(|l| l.entries.held()).sum::<usize>())
            .sum()
    }

    /// The metrics now.
    pub fn metrics(&self) -> ClusterMetrics {
        let c = &self.counters;
        let mut m = ClusterMetrics {
            isr_shrinks: c.isr_shrinks,
            isr_expands: c.isr_expands,
            failed_produce_requests: c.failed_produce_requests,
            leader_elections: c.leader_elections,
            unclean_leader_elections: c.unclean_leader_elections,
            ..ClusterMetrics::default()
        };
        for p in self.partitions.values() {
            match p.leader {
                None => m.offline_partitions_count += 1,
                Some(_) if p.isr.len() < p.replicas.len() => m.under_replicated_partitions += 1,
                Some(_) => {}
            }
        }
        m
    }

    /// Moves the HW to the smallest LEO in the ISR if that is higher (never back).
    fn advance_high_watermark(&mut self, tp: &TopicPartition, events: &mut Vec<ReplicationEvent>) {
        let p = self.partitions.get_mut(tp).expect("the partition exists");
        advance_high_watermark(self.high_watermark_rule, tp, p, events);
    }
}

/// [`Cluster::advance_high_watermark`] on a partition already looked up.
fn advance_high_watermark(
    rule: HighWatermarkRule,
    tp: &TopicPartition,
    p: &mut PartitionState,
    events: &mut Vec<ReplicationEvent>,
) {
    let Some(leader) = p.leader else {
        return;
    };
    let candidate = match rule {
        HighWatermarkRule::IsrMinimum => {
            let known = |b: &BrokerId| *b == leader || p.logs[b].fetched_this_epoch;
            if !p.isr.iter().all(known) {
                return;
            }
            p.isr
                .iter()
                .map(|b| p.log_end_offset(*b))
                .min()
                .expect("an ISR is never empty")
        }
        #[cfg(test)]
        HighWatermarkRule::LeaderLogEndOffset => p.log_end_offset(leader),
    };
    debug_assert!(candidate <= p.log_end_offset(leader));
    if candidate > p.high_watermark {
        p.high_watermark = candidate;
        events.push(ReplicationEvent::HighWatermarkAdvanced {
            partition: tp.clone(),
            high_watermark: candidate,
        });
    }
}

#[cfg(test)]
mod properties;
#[cfg(test)]
mod tests;
