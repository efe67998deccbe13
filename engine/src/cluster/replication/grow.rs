//! Adding partitions to a replicated topic, placed as `kafka-topics --alter --partitions N`
//! places them: Kafka's `AdminZkClient.createNewPartitionsAssignment` keeps every existing
//! partition where it is and runs `assignReplicasToBrokers` for the new ones only, with
//! partition 0's replication factor, the new partitions' own ids as start partition, and
//! as fixed start index the position (among the running brokers, by id) of the first broker
//! whose id is at least partition 0's preferred leader. Without that start index the new
//! partitions would pile their leaders onto broker 0 instead of continuing the stripe.

use super::{Cluster, ReplicationError, ReplicationEvent};
use crate::assignor::TopicPartition;
use crate::cluster::placement::assign_replicas_to_brokers;
use crate::cluster::BrokerId;
use crate::ids::PartitionId;

impl Cluster {
    /// How many partitions `topic` has here.
    pub fn partition_count(&self, topic: &str) -> u32 {
        self.partitions
            .keys()
            .filter(|tp| &*tp.topic == topic)
            .count() as u32
    }

    /// The replicas Kafka would give partitions `current..partitions` of `topic`, without
    /// changing anything: refused like `kafka-topics` refuses it (unknown topic, no growth,
    /// fewer running brokers than the replication factor).
    pub fn plan_new_partitions(
        &self,
        topic: &str,
        partitions: u32,
    ) -> Result<Vec<Vec<BrokerId>>, ReplicationError> {
        let current = self.partition_count(topic);
        let first = TopicPartition {
            topic: topic.into(),
            partition: PartitionId(0),
        };
        let Some(partition_0) = self.partitions.get(&first) else {
            return Err(ReplicationError::UnknownTopic {
                topic: topic.into(),
            });
        };
        if partitions <= current {
            return Err(ReplicationError::InvalidPartitions {
                topic: topic.into(),
                current,
                requested: partitions,
            });
        }
        let running = self.running_brokers();
        let preferred = partition_0.replicas.first().copied().unwrap_or(BrokerId(0));
        let start_index = running.iter().position(|b| b.id >= preferred).unwrap_or(0);
        let to_i32 = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
        let assignment = assign_replicas_to_brokers(
            &running,
            to_i32((partitions - current) as usize),
            to_i32(partition_0.replicas.len()),
            to_i32(start_index),
            to_i32(current as usize),
        )?;
        Ok(assignment.map(|(_, replicas)| replicas).collect())
    }

    /// Adds partitions `current..current + replicas.len()` to `topic` with the given
    /// replicas (from [`plan_new_partitions`](Self::plan_new_partitions)); returns their
    /// first leaders' events.
    pub fn add_partitions(
        &mut self,
        topic: &str,
        replicas: Vec<Vec<BrokerId>>,
    ) -> Result<Vec<ReplicationEvent>, ReplicationError> {
        if !self.topics.contains_key(topic) {
            return Err(ReplicationError::UnknownTopic {
                topic: topic.into(),
            });
        }
        for broker in replicas.iter().flatten() {
            if !self.brokers.contains_key(broker) {
                return Err(ReplicationError::UnknownBroker { broker: *broker });
            }
        }
        let current = self.partition_count(topic);
        let events: Vec<ReplicationEvent> = replicas
            .into_iter()
            .zip(current..)
            .map(|(replicas, p)| self.insert_partition(topic, PartitionId(p), replicas))
            .collect();
        let total = self.partition_count(topic);
        if let Some(spec) = self.topics.get_mut(topic) {
            spec.partitions = i32::try_from(total).unwrap_or(i32::MAX);
        }
        Ok(events)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::placement::BrokerMetadata;
    use crate::cluster::replication::{ReplicationConfig, TopicReplication};
    use crate::ids::Tick;

    fn four_brokers() -> Cluster {
        let brokers: Vec<BrokerMetadata> = (0..4)
            .map(|id| BrokerMetadata {
                id: BrokerId(id),
                rack: None,
            })
            .collect();
        Cluster::new(ReplicationConfig::default(), &brokers).unwrap()
    }

    fn with_partition_0(cluster: &mut Cluster, topic: &str, replicas: &[u32]) {
        let spec = TopicReplication {
            partitions: 1,
            replication_factor: replicas.len() as i32,
            min_insync_replicas: 1,
            unclean_leader_election_enable: false,
            start_index: 0,
        };
        let replicas = vec![replicas.iter().map(|b| BrokerId(*b as i32)).collect()];
        cluster
            .create_topic_with_assignment(topic, spec, replicas)
            .unwrap();
    }

    fn layout(cluster: &Cluster, topic: &str) -> Vec<(u32, Vec<u32>)> {
        (0..cluster.partition_count(topic))
            .map(|p| {
                let tp = TopicPartition {
                    topic: topic.into(),
                    partition: PartitionId(p),
                };
                let state = &cluster.partitions[&tp];
                let leader = state.leader.expect("every broker runs").0 as u32;
                (leader, state.replicas.iter().map(|b| b.0 as u32).collect())
            })
            .collect()
    }

    /// Kafka's `AddPartitionsTest.testReplicaPlacementAllServers`: partition 0 on
    /// [2, 3, 0, 1], grown to 7 on brokers 0..3 (Kafka checks the leader and the replica
    /// set; the order below is the one `assignReplicasToBrokers` gives).
    #[test]
    fn growing_follows_kafkas_add_partitions_test_on_all_servers() {
        let mut cluster = four_brokers();
        with_partition_0(&mut cluster, "new-topic3", &[2, 3, 0, 1]);
        let plan = cluster.plan_new_partitions("new-topic3", 7).unwrap();
        let events = cluster.add_partitions("new-topic3", plan).unwrap();
        assert_eq!(events.len(), 6);
        let got = layout(&cluster, "new-topic3");
        let expected: [(u32, [u32; 4]); 7] = [
            (2, [2, 3, 0, 1]),
            (3, [3, 2, 0, 1]),
            (0, [0, 3, 1, 2]),
            (1, [1, 0, 2, 3]),
            (2, [2, 3, 0, 1]),
            (3, [3, 0, 1, 2]),
            (0, [0, 1, 2, 3]),
        ];
        for (p, ((leader, replicas), (want_leader, want_set))) in
            got.iter().zip(expected).enumerate()
        {
            assert_eq!(*leader, want_leader, "partition {p}");
            let mut sorted = replicas.clone();
            sorted.sort_unstable();
            let mut want = want_set.to_vec();
            want.sort_unstable();
            assert_eq!(sorted, want, "partition {p}");
            assert_eq!(
                replicas[0], want_leader,
                "partition {p}: preferred leader first"
            );
        }
        assert_eq!(cluster.topic("new-topic3").unwrap().partitions, 7);
    }

    /// `AddPartitionsTest.testReplicaPlacementPartialServers`: partition 0 on [1, 2],
    /// grown to 3: partition 1 led by 2 on {0, 2}, partition 2 led by 3 on {1, 3}.
    #[test]
    fn growing_follows_kafkas_add_partitions_test_on_partial_servers() {
        let mut cluster = four_brokers();
        with_partition_0(&mut cluster, "new-topic2", &[1, 2]);
        let plan = cluster.plan_new_partitions("new-topic2", 3).unwrap();
        cluster.add_partitions("new-topic2", plan).unwrap();
        assert_eq!(
            layout(&cluster, "new-topic2"),
            vec![(1, vec![1, 2]), (2, vec![2, 0]), (3, vec![3, 1])]
        );
    }

    #[test]
    fn growing_is_refused_without_growth_an_unknown_topic_or_enough_brokers() {
        let mut cluster = four_brokers();
        with_partition_0(&mut cluster, "t", &[0, 1, 2]);
        assert_eq!(
            cluster.plan_new_partitions("t", 1),
            Err(ReplicationError::InvalidPartitions {
                topic: "t".into(),
                current: 1,
                requested: 1
            })
        );
        assert!(matches!(
            cluster.plan_new_partitions("nope", 3),
            Err(ReplicationError::UnknownTopic { .. })
        ));
        cluster.kill_broker(Tick(1), BrokerId(3)).unwrap();
        cluster.kill_broker(Tick(1), BrokerId(2)).unwrap();
        assert!(matches!(
            cluster.plan_new_partitions("t", 2),
            Err(ReplicationError::Placement(_))
        ));
        assert_eq!(cluster.partition_count("t"), 1, "a refusal changes nothing");
    }
}
