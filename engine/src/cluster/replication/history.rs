//! The cluster's metrics over time: one sample of [`ClusterMetrics`] at the end of every
//! replication round, the newest [`METRICS_HISTORY_TICKS`] kept, so a page can chart what a
//! JMX dashboard would have shown (under-replicated and offline partitions rising when a
//! broker dies and falling as followers catch up; shrinks, expands and elections as steps).

use super::{Cluster, ClusterMetrics};
use crate::ids::Tick;
use std::collections::VecDeque;

/// How many ticks of samples are kept.
pub const METRICS_HISTORY_TICKS: usize = 600;

/// The bounded sample buffer.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct MetricsHistory {
    samples: VecDeque<(Tick, ClusterMetrics)>,
}

impl MetricsHistory {
    fn record(&mut self, now: Tick, metrics: ClusterMetrics) {
        if self.samples.len() == METRICS_HISTORY_TICKS {
            self.samples.pop_front();
        }
        self.samples.push_back((now, metrics));
    }
}

impl Cluster {
    /// Samples the metrics for tick `now` (called once per replication round).
    pub(super) fn sample_metrics(&mut self, now: Tick) {
        let metrics = self.metrics();
        self.history.record(now, metrics);
    }

    /// The metrics at the end of each of the newest replication rounds, oldest first.
    pub fn metrics_history(&self) -> impl ExactSizeIterator<Item = &(Tick, ClusterMetrics)> {
        self.history.samples.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::placement::BrokerMetadata;
    use crate::cluster::replication::{ReplicationConfig, TopicReplication};
    use crate::cluster::BrokerId;

    #[test]
    fn every_round_is_sampled_and_the_history_stays_bounded() {
        let brokers: Vec<BrokerMetadata> = (1..=3).map(BrokerMetadata::new).collect();
        let mut cluster = Cluster::new(ReplicationConfig::default(), &brokers).unwrap();
        let spec = TopicReplication {
            partitions: 2,
            replication_factor: 3,
            min_insync_replicas: 2,
            unclean_leader_election_enable: false,
            start_index: 0,
        };
        cluster.create_topic("t", spec).unwrap();
        cluster.tick(Tick(1));
        cluster.kill_broker(Tick(1), BrokerId(2)).unwrap();
        cluster.tick(Tick(2));
        let under: Vec<(u64, u64)> = cluster
            .metrics_history()
            .map(|(t, m)| (t.0, m.under_replicated_partitions))
            .collect();
        assert_eq!(under, vec![(1, 0), (2, 2)]);
        for t in 3..(METRICS_HISTORY_TICKS as u64 + 50) {
            cluster.tick(Tick(t));
        }
        assert_eq!(cluster.metrics_history().len(), METRICS_HISTORY_TICKS);
        let newest = cluster.metrics_history().last().unwrap().0;
        assert_eq!(newest, Tick(METRICS_HISTORY_TICKS as u64 + 49));
    }
}
