//! What the Cluster panel shows and does: the run's brokers (with racks, running or not)
//! and every partition's leader, replicas with their log end offsets, ISR, high watermark
//! and leader epoch, from the engine's cluster; killing and restarting a broker, each a
//! logged engine command, so it replays, rewinds and travels in a share link.

use super::Playground;
use orderflow_engine::assignor::TopicPartition;
use orderflow_engine::cluster::replication::{BrokerState, PartitionView};
use orderflow_engine::cluster::BrokerId;
use orderflow_engine::ids::PartitionId;
use orderflow_engine::sim::{Command, SimError};

/// A record the leader holds above the high watermark: written, not yet committed (no
/// consumer sees it until the in-sync replicas have it too).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UncommittedRecord {
    pub offset: u64,
    pub key: Option<String>,
}

impl Playground {
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
        let Some(log) = cluster
            .leader(&tp)
            .and_then(|leader| cluster.replica_log(&tp, leader))
        else {
            return (0, Vec::new());
        };
        let appended = cluster.appended_records(&tp);
        let above = log.get(from as usize..).unwrap_or_default();
        let records = above
            .iter()
            .take(max)
            .enumerate()
            .map(|(i, entry)| UncommittedRecord {
                offset: from + i as u64,
                key: usize::try_from(entry.append.0)
                    .ok()
                    .and_then(|a| appended.get(a))
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
        topic: topic.to_string(),
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
}
