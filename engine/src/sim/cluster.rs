//! The simulation's brokers: `set_brokers`, killing and restarting brokers, elections, the
//! replication tick, and producers retrying sends whose answer was a failure.
//!
//! Without `set_brokers` the simulation has one implicit broker with replication factor 1:
//! none of this runs and nothing about brokers is traced (see `world::replication`).

use super::Sim;
use crate::cluster::placement::BrokerMetadata;
use crate::cluster::replication::{Cluster, ReplicationConfig, ReplicationEvent, TopicReplication};
use crate::cluster::BrokerId;
use crate::command::SimError;
use crate::topic::TopicSpec;
use crate::trace::TraceEvent;

impl Sim {
    /// The cluster, if brokers were set (`None`: one implicit broker, every record
    /// committed at once).
    pub fn cluster(&self) -> Option<&Cluster> {
        self.brokers.cluster.as_ref()
    }

    /// How many per-record entries the brokers hold (log entries of every replica, record
    /// metadata, the committed index, payloads waiting for the high watermark): with
    /// retention it stays bounded however many records were produced. 0 without brokers.
    pub fn replication_held_entries(&self) -> usize {
        self.brokers.held()
    }

    /// Records appended to a leader and not (or no longer) in the topic's log: waiting for
    /// the high watermark, or lost and not yet forgotten. They count as resident.
    pub fn uncommitted_records(&self) -> u64 {
        self.brokers.uncommitted()
    }

    pub(super) fn set_brokers(
        &mut self,
        brokers: Vec<BrokerMetadata>,
        config: ReplicationConfig,
    ) -> Result<(), SimError> {
        if !self.topics.is_empty() {
            return Err(SimError::BrokersAfterTopics {
                topics: self.topics.len(),
            });
        }
        if brokers.is_empty() {
            return Err(SimError::NoBrokers);
        }
        let cluster = Cluster::new(config, &brokers)?;
        self.brokers.cluster = Some(cluster);
        self.trace.push(TraceEvent::BrokersSet {
            tick: self.now,
            brokers,
        });
        Ok(())
    }

    /// Turns on the cluster's deliberate bug (HW = the leader's LEO) that the properties
    /// must catch.
    #[cfg(test)]
    pub(crate) fn use_leader_log_end_offset_as_high_watermark(&mut self) {
        let cluster = self.brokers.cluster.take().expect("brokers are set");
        self.brokers.cluster = Some(cluster.with_leader_log_end_offset_as_high_watermark());
    }

    fn cluster_mut(&mut self) -> Result<&mut Cluster, SimError> {
        self.brokers.cluster.as_mut().ok_or(SimError::NoBrokers)
    }

    /// Places a new topic's replicas (with brokers) and returns the first leaders'
    /// events, or checks that it asks for no replication (without). Called before the topic
    /// exists; changes nothing on refusal.
    pub(super) fn replicate_topic(
        &mut self,
        spec: &TopicSpec,
    ) -> Result<Vec<ReplicationEvent>, SimError> {
        let Some(cluster) = self.brokers.cluster.as_mut() else {
            if spec.replication_factor != 1 || spec.min_insync_replicas != 1 {
                return Err(SimError::ReplicationNeedsBrokers {
                    topic: spec.name.clone(),
                    replication_factor: spec.replication_factor,
                    min_insync_replicas: spec.min_insync_replicas,
                });
            }
            return Ok(Vec::new());
        };
        let replication = TopicReplication {
            partitions: i32::try_from(spec.partitions).unwrap_or(i32::MAX),
            replication_factor: i32::try_from(spec.replication_factor).unwrap_or(i32::MAX),
            min_insync_replicas: spec.min_insync_replicas,
            unclean_leader_election_enable: spec.unclean_leader_election_enable,
            start_index: 0,
        };
        Ok(cluster.create_topic(&spec.name, replication)?)
    }

    pub(super) fn kill_broker(&mut self, broker: BrokerId) -> Result<(), SimError> {
        let now = self.now;
        let events = self.cluster_mut()?.kill_broker(now, broker)?;
        self.after_cluster_events(events);
        Ok(())
    }

    pub(super) fn restart_broker(&mut self, broker: BrokerId) -> Result<(), SimError> {
        let now = self.now;
        let events = self.cluster_mut()?.restart_broker(now, broker)?;
        self.after_cluster_events(events);
        Ok(())
    }

    pub(super) fn elect_preferred_leaders(&mut self) -> Result<(), SimError> {
        let now = self.now;
        let events = self.cluster_mut()?.elect_preferred_leaders_now(now);
        self.after_cluster_events(events);
        Ok(())
    }

    pub(super) fn set_unclean_leader_election(
        &mut self,
        topic: &str,
        enable: bool,
    ) -> Result<(), SimError> {
        let now = self.now;
        let events = self
            .cluster_mut()?
            .set_unclean_leader_election(now, topic, enable)?;
        self.after_cluster_events(events);
        Ok(())
    }

    /// One replication round at the start of a tick: followers fetch, the ISR changes, the
    /// high watermark advances (committed records enter the topics), waiting `acks=all`
    /// sends are answered and failed ones retried.
    pub(super) fn tick_cluster(&mut self) {
        let now = self.now;
        let Some(cluster) = self.brokers.cluster.as_mut() else {
            return;
        };
        let events = cluster.tick(now);
        self.after_cluster_events(events);
    }

    /// Traces and applies the cluster's events, then lets producers retry what failed.
    pub(super) fn after_cluster_events(&mut self, events: Vec<ReplicationEvent>) {
        let (mut world, actors) = self.split();
        world.forward(events);
        loop {
            let failed = world.brokers.take_failed_sends();
            if failed.is_empty() {
                break;
            }
            for send in failed {
                if let Some(producer) = actors.producers.get_mut(&send.producer) {
                    producer.retry_failed_send(&mut world, send);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::Command;
    use crate::partitioner::Partitioner;

    fn brokers(ids: &[i32]) -> Command {
        Command::SetBrokers {
            brokers: ids.iter().map(|&id| BrokerMetadata::new(id)).collect(),
            config: ReplicationConfig::default(),
        }
    }

    #[test]
    fn broker_commands_without_brokers_and_brokers_after_topics_are_refused() {
        let mut sim = Sim::new(1);
        let kill = Command::KillBroker {
            broker: BrokerId(0),
        };
        assert_eq!(sim.apply(kill), Err(SimError::NoBrokers));
        let replicated = TopicSpec::new("t", 1, Partitioner::Murmur2).with_replication(3, 2);
        assert!(matches!(
            sim.apply(Command::CreateTopic(replicated)),
            Err(SimError::ReplicationNeedsBrokers { .. })
        ));
        let plain = TopicSpec::new("t", 1, Partitioner::Murmur2);
        sim.apply(Command::CreateTopic(plain)).unwrap();
        assert_eq!(
            sim.apply(brokers(&[1, 2])),
            Err(SimError::BrokersAfterTopics { topics: 1 })
        );
        assert!(sim.cluster().is_none());
    }

    /// With brokers too, retention deletes under a slow consumer, which then finds its
    /// position below the log start offset and `auto.offset.reset` moves it there; the
    /// cluster's log start offset is the topic's and its followers follow.
    #[test]
    fn a_consumer_behind_retention_on_a_replicated_topic_is_reset_to_the_log_start() {
        let mut sim = Sim::new(1);
        sim.apply(brokers(&[1, 2, 3])).unwrap();
        let mut spec = TopicSpec::new("t", 1, Partitioner::Murmur2).with_replication(3, 2);
        spec.segment_records = Some(5);
        spec.retention = Some(crate::log::Retention {
            records: Some(5),
            ticks: None,
        });
        sim.apply(Command::CreateTopic(spec)).unwrap();
        let mut config = crate::group::GroupConfig::new("slow", vec!["t".into()]);
        config.processing_ticks_per_record = 3;
        config.auto_offset_reset = crate::group::AutoOffsetReset::Earliest;
        sim.apply(Command::CreateGroup { config }).unwrap();
        let join = Command::JoinGroup {
            group: "slow".into(),
            member: "c1".into(),
        };
        sim.apply(join).unwrap();
        for tick in 0..60 {
            for i in 0..3 {
                let produce = Command::Produce {
                    topic: "t".into(),
                    key: Some(format!("U{i}")),
                    value: crate::log::Payload::Order(crate::log::OrderEvent {
                        user_id: format!("U{i}"),
                        order_id: format!("O{tick}"),
                        status: "Created".into(),
                    }),
                };
                sim.apply(produce).unwrap();
            }
            sim.step();
        }
        let tp = crate::assignor::TopicPartition::new("t", 0);
        let start = sim
            .topic("t")
            .unwrap()
            .partition(tp.partition)
            .unwrap()
            .log_start_offset();
        assert!(start.0 >= 150, "retention ran: {start}");
        let cluster = sim.cluster().unwrap();
        assert_eq!(cluster.log_start_offset(&tp), Some(start));
        for broker in [1, 2, 3] {
            let log_start = cluster.replica_log_start_offset(&tp, BrokerId(broker));
            assert_eq!(log_start, Some(start), "broker {broker}");
        }
        let resets = sim
            .trace()
            .iter()
            .filter(|e| matches!(e, TraceEvent::AutoOffsetReset { offset, .. } if offset.0 > 0))
            .count();
        assert!(
            resets > 0,
            "the slow consumer was reset past deleted records"
        );
        assert!(sim.replication_held_entries() < 200, "bounded by retention");
    }

    #[test]
    fn a_replication_factor_above_the_brokers_is_refused_with_kafkas_message() {
        let mut sim = Sim::new(1);
        sim.apply(brokers(&[1, 2])).unwrap();
        let spec = TopicSpec::new("t", 1, Partitioner::Murmur2).with_replication(3, 1);
        let error = sim.apply(Command::CreateTopic(spec)).unwrap_err();
        assert_eq!(
            error.to_string(),
            "Replication factor: 3 larger than available brokers: 2."
        );
        assert!(sim.topic("t").is_none(), "nothing was created");
    }

    #[test]
    fn an_acks_all_send_whose_leader_dies_is_retried_to_the_new_leader() {
        let mut sim = Sim::new(1);
        sim.apply(brokers(&[1, 2, 3])).unwrap();
        let spec = TopicSpec::new("t", 1, Partitioner::Murmur2).with_replication(3, 2);
        sim.apply(Command::CreateTopic(spec)).unwrap();
        let mut config = crate::producer::ProducerConfig::new("p");
        config.retries = 2;
        sim.apply(Command::CreateProducer { config }).unwrap();
        let send = Command::Send {
            producer: "p".into(),
            topic: "t".into(),
            key: Some("U1".into()),
            value: crate::log::Payload::Order(crate::log::OrderEvent {
                user_id: "U1".into(),
                order_id: "O1".into(),
                status: "Created".into(),
            }),
        };
        sim.apply(send).unwrap();
        // The leader dies before any follower fetched the record: the waiting request fails
        // with NETWORK_EXCEPTION and the producer sends again, to broker 2.
        sim.apply(Command::KillBroker {
            broker: BrokerId(1),
        })
        .unwrap();
        sim.step();
        let failed = sim.trace().iter().any(|e| {
            matches!(e, TraceEvent::Replication { event: ReplicationEvent::ProduceCompleted { error: Some(e), .. }, .. } if e.name() == "NETWORK_EXCEPTION")
        });
        assert!(failed);
        let produced: Vec<(u32, Option<crate::ids::Offset>)> = sim
            .trace()
            .iter()
            .filter_map(|e| match e {
                TraceEvent::Produced { origin, .. } => {
                    Some((origin.attempt(), origin.duplicate_of()))
                }
                _ => None,
            })
            .collect();
        assert_eq!(
            produced,
            vec![(2, None)],
            "the retry, committed on the new leader"
        );
        assert_eq!(
            sim.cluster()
                .unwrap()
                .leader(&crate::assignor::TopicPartition {
                    topic: "t".into(),
                    partition: crate::ids::PartitionId(0),
                }),
            Some(BrokerId(2))
        );
        assert_eq!(sim.producer("p").unwrap().counters.retries, 1);
    }

    #[test]
    fn with_brokers_a_record_enters_the_topic_only_once_the_followers_have_it() {
        let mut sim = Sim::new(1);
        sim.apply(brokers(&[1, 2, 3])).unwrap();
        let spec = TopicSpec::new("t", 1, Partitioner::Murmur2).with_replication(3, 2);
        sim.apply(Command::CreateTopic(spec)).unwrap();
        let value = crate::log::Payload::Order(crate::log::OrderEvent {
            user_id: "U1".into(),
            order_id: "O1".into(),
            status: "Created".into(),
        });
        let produce = Command::Produce {
            topic: "t".into(),
            key: Some("U1".into()),
            value,
        };
        sim.apply(produce).unwrap();
        let log = |sim: &Sim| sim.topic("t").unwrap().partitions()[0].len();
        assert_eq!(log(&sim), 0, "above the high watermark: not readable yet");
        sim.step();
        assert_eq!(log(&sim), 1, "the followers fetched it: committed");
    }

    #[test]
    fn a_replicated_topic_grows_with_kafkas_placement_and_its_new_partitions_commit() {
        let mut sim = Sim::new(1);
        sim.apply(brokers(&[1, 2, 3])).unwrap();
        let spec = TopicSpec::new("t", 2, Partitioner::Murmur2).with_replication(2, 1);
        sim.apply(Command::CreateTopic(spec)).unwrap();
        let leaders_before = sim.trace_len();
        sim.apply(Command::AddPartitions {
            topic: "t".into(),
            partitions: 4,
        })
        .unwrap();
        let cluster = sim.cluster().unwrap();
        assert_eq!(cluster.partition_count("t"), 4);
        let tp = |p| crate::assignor::TopicPartition {
            topic: "t".into(),
            partition: crate::ids::PartitionId(p),
        };
        for p in 2..4 {
            assert!(
                cluster.leader(&tp(p)).is_some(),
                "partition {p} has a leader"
            );
        }
        let elected = sim
            .trace_since(leaders_before)
            .map(|(_, e)| e)
            .filter(|e| {
                matches!(
                    e,
                    TraceEvent::Replication {
                        event: ReplicationEvent::LeaderElected { .. },
                        ..
                    }
                )
            })
            .count();
        assert_eq!(elected, 2, "one initial election per new partition");
        // Keyed records reach the new partitions too, committed once their followers have them.
        for u in 0..20 {
            let key = format!("U{u}");
            sim.apply(Command::Produce {
                topic: "t".into(),
                key: Some(key.clone()),
                value: crate::log::Payload::Order(crate::log::OrderEvent {
                    user_id: key,
                    order_id: format!("O{u}"),
                    status: "Created".into(),
                }),
            })
            .unwrap();
        }
        sim.step();
        let lens: Vec<usize> = sim
            .topic("t")
            .unwrap()
            .partitions()
            .iter()
            .map(|p| p.len())
            .collect();
        assert_eq!(lens.iter().sum::<usize>(), 20, "{lens:?}");
        assert!(lens[2] > 0 && lens[3] > 0, "{lens:?}");
        // Shrinking is refused, and nothing changes.
        let refused = sim.apply(Command::AddPartitions {
            topic: "t".into(),
            partitions: 3,
        });
        assert!(refused.is_err());
        assert_eq!(sim.topic("t").unwrap().partition_count(), 4);
        assert_eq!(sim.cluster().unwrap().partition_count("t"), 4);
    }
}
