//! What the Cluster panel shows and does: the run's brokers (with racks, running or not)
//! and every partition's leader, replicas with their log end offsets, ISR, high watermark
//! and leader epoch, from the engine's cluster; killing and restarting a broker, each a
//! logged engine command, so it replays, rewinds and travels in a share link.

use super::Playground;
use orderflow_engine::assignor::TopicPartition;
use orderflow_engine::cluster::replication::{BrokerState, ClusterMetrics, PartitionView};
use orderflow_engine::cluster::BrokerId;
use orderflow_engine::ids::{Offset, PartitionId};
use orderflow_engine::sim::{Command, SimError};

/// A record the leader holds above the high watermark: written, not yet committed (no
/// consumer sees it until the in-sync replicas have it too).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UncommittedRecord {
    pub offset: u64,
    pub key: Option<String>,
}

/// How many of the newest samples the metrics charts draw.
pub const METRICS_CHART_TICKS: usize = 120;

/// One cluster metric over the newest ticks: its JMX name, what it means, and
/// `(tick, value)` samples, oldest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetricSeries {
    /// Kafka's JMX name (`UnderReplicatedPartitions`...).
    pub name: &'static str,
    /// What it counts, in words.
    pub meaning: &'static str,
    /// `(tick, value)`, oldest first.
    pub samples: Vec<(u64, u64)>,
}

/// The metrics the panel charts, in the order a broker dashboard lists them.
/// A metric's JMX name, meaning and how to read it from a sample.
type MetricRow = (&'static str, &'static str, fn(&ClusterMetrics) -> u64);

const METRICS: [MetricRow; 7] = [
    (
        "UnderReplicatedPartitions",
        "partitions whose ISR is smaller than their replicas",
        |m| m.under_replicated_partitions,
    ),
    (
        "OfflinePartitionsCount",
        "partitions without a live leader",
        |m| m.offline_partitions_count,
    ),
    (
        "IsrShrinks",
        "replicas that left an ISR, since the start",
        |m| m.isr_shrinks,
    ),
    (
        "IsrExpands",
        "replicas that rejoined an ISR, since the start",
        |m| m.isr_expands,
    ),
    (
        "FailedProduceRequests",
        "refused or failed produce requests, since the start",
        |m| m.failed_produce_requests,
    ),
    (
        "LeaderElections",
        "leader elections, since the start",
        |m| m.leader_elections,
    ),
    (
        "UncleanLeaderElections",
        "unclean leader elections, since the start",
        |m| m.unclean_leader_elections,
    ),
];

impl Playground {
    /// The cluster's metrics over the newest [`METRICS_CHART_TICKS`] ticks, one series per
    /// metric (empty without brokers), from the engine's per-tick samples.
    pub fn cluster_metrics(&self) -> Vec<MetricSeries> {
        let Some(cluster) = self.sim().cluster() else {
            return Vec::new();
        };
        let history = cluster.metrics_history();
        let skip = history.len().saturating_sub(METRICS_CHART_TICKS);
        let recent: Vec<_> = history.skip(skip).collect();
        METRICS
            .iter()
            .map(|(name, meaning, value)| MetricSeries {
                name,
                meaning,
                samples: recent.iter().map(|(t, m)| (t.0, value(m))).collect(),
            })
            .collect()
    }

    /// The run's brokers in id order (empty: no brokers set, one implicit broker).
    pub fn brokers(&self) -> Vec<BrokerState> {
        self.sim()
            .cluster()
            .map(|c| c.brokers().cloned().collect())
            .unwrap_or_default()
    }

    /// Every replicated partition, in topic and partition order.
    pub fn replicated_partitions(&self) -> Vec<PartitionView> {
        self.sim()
            .cluster()
            .map(|c| c.partitions())
            .unwrap_or_default()
    }

    /// Whether `topic` is replicated: the run has more than one broker or the topic a
    /// replication factor above 1 (else the stage has nothing to say about brokers).
    pub fn is_replicated(&self, topic: &str) -> bool {
        self.sim().cluster().is_some_and(|c| {
            c.brokers().count() > 1 || c.topic(topic).is_some_and(|t| t.replication_factor > 1)
        })
    }

    /// One partition's leader, replicas, ISR and high watermark, from the engine's cluster
    /// (`None` without brokers).
    pub fn replicated_partition(&self, topic: &str, partition: u32) -> Option<PartitionView> {
        self.sim()
            .cluster()?
            .partition(&topic_partition(topic, partition))
    }

    /// The records the leader of `topic`-`partition` holds at or above offset `from` (the
    /// high watermark): how many, and the first `max` of them (from `from` on, so they
    /// stand next to the committed ones). Empty while the partition is offline.
    pub fn uncommitted_records(
        &self,
        topic: &str,
        partition: u32,
        from: u64,
        max: usize,
    ) -> (u64, Vec<UncommittedRecord>) {
        let Some(cluster) = self.sim().cluster() else {
            return (0, Vec::new());
        };
        let tp = topic_partition(topic, partition);
        let Some(leader) = cluster.leader(&tp) else {
            return (0, Vec::new());
        };
        let above = cluster.replica_entries(&tp, leader, (Offset(from), Offset(u64::MAX)));
        let records = above
            .iter()
            .take(max)
            .enumerate()
            .map(|(i, entry)| UncommittedRecord {
                offset: from + i as u64,
                key: cluster
                    .appended_record(&tp, entry.append)
                    .and_then(|r| r.key.clone()),
            })
            .collect();
        (above.len() as u64, records)
    }

    /// Kills a running broker, or restarts a killed one (a logged engine command).
    pub fn toggle_broker(&mut self, broker: BrokerId) -> Result<(), SimError> {
        let running = self.sim().cluster().is_some_and(|c| c.is_alive(broker));
        let command = if running {
            Command::KillBroker { broker }
        } else {
            Command::RestartBroker { broker }
        };
        self.try_command(command)
    }
}

fn topic_partition(topic: &str, partition: u32) -> TopicPartition {
    TopicPartition {
        topic: topic.into(),
        partition: PartitionId(partition),
    }
}

#[cfg(test)]
mod tests {
    use crate::playground::Playground;
    use crate::presets::preset;
    use orderflow_engine::cluster::BrokerId;

    #[test]
    fn killing_and_restarting_a_broker_is_logged_and_shows_in_the_isr() {
        let mut pg = Playground::new(preset("cluster-acks-all-min-insync").unwrap().session);
        pg.step();
        assert_eq!(pg.brokers().len(), 3);
        pg.toggle_broker(BrokerId(2)).unwrap();
        assert!(!pg.brokers()[1].alive);
        let p1 = pg.replicated_partitions()[1].clone();
        assert_eq!(p1.leader, Some(BrokerId(3)), "broker 2 led orders-1");
        assert!(!p1.isr.contains(&BrokerId(2)));
        pg.toggle_broker(BrokerId(2)).unwrap();
        pg.step();
        assert!(pg.brokers()[1].alive);
        assert!(pg.replicated_partitions()[1].isr.contains(&BrokerId(2)));
        // Both actions are in the log: a replay sees the same cluster.
        let mut replay = Playground::new(pg.session().clone());
        replay.replay_to(pg.now());
        assert_eq!(replay.replicated_partitions(), pg.replicated_partitions());
    }

    #[test]
    fn the_metrics_chart_a_broker_death_and_its_recovery_from_the_engines_samples() {
        let mut pg = Playground::new(preset("cluster-acks-all-min-insync").unwrap().session);
        pg.step();
        pg.toggle_broker(BrokerId(2)).unwrap();
        pg.step();
        pg.step();
        pg.toggle_broker(BrokerId(2)).unwrap();
        for _ in 0..10 {
            pg.step();
        }
        let metrics = pg.cluster_metrics();
        let under = metrics
            .iter()
            .find(|m| m.name == "UnderReplicatedPartitions")
            .unwrap();
        let values: Vec<u64> = under.samples.iter().map(|s| s.1).collect();
        assert_eq!(values.len(), 13, "one sample per tick: {values:?}");
        assert!(values.iter().any(|v| *v > 0), "the death shows: {values:?}");
        assert_eq!(values.last(), Some(&0), "and the recovery: {values:?}");
        let shrinks = metrics.iter().find(|m| m.name == "IsrShrinks").unwrap();
        assert!(shrinks.samples.last().unwrap().1 > 0);
        assert!(Playground::new(preset("demo-topics").unwrap().session)
            .cluster_metrics()
            .is_empty());
    }
}
