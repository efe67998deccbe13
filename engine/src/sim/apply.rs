//! Applying one command: a named step per command, each checking its input before it
//! changes anything, so a refused command leaves no trace.

use super::Sim;
use crate::command::{Command, SimError};
use crate::generator::{publish_order, KeySpace};
use crate::group::{ConsumerGroup, GroupConfig};
use crate::ids::ProducerId;
use crate::log::{Headers, LogConfig, OrderEvent, Payload, Retention};
use crate::partitioner::UnkeyedStrategy;
use crate::process::OutgoingRecord;
use crate::producer::{Producer, ProducerConfig};
use crate::topic::{Topic, TopicSpec};
use crate::trace::TraceEvent;
use crate::world::{AppendError, World};

/// A record the partition's leader refused (only with brokers) is traced
/// (`produce_refused`), and the command that sent it still happened: it stays in the
/// history, so a replay refuses the same record again.
fn refusal_is_traced(result: Result<(), AppendError>) -> Result<(), SimError> {
    match result {
        Err(AppendError::Refused(_)) => Ok(()),
        other => Ok(other?),
    }
}

impl Sim {
    pub(super) fn apply_unrecorded(&mut self, command: Command) -> Result<(), SimError> {
        match command {
            Command::CreateTopic(spec) => self.create_topic(spec),
            Command::ConfigureTopic {
                topic,
                segment_records,
                retention,
                unkeyed,
            } => self.configure_topic(&topic, segment_records, retention, unkeyed),
            Command::AddPartitions { topic, partitions } => self.add_partitions(&topic, partitions),
            Command::Produce { topic, key, value } => self.produce(&topic, key, value, None),
            Command::ProduceWithHeaders {
                topic,
                key,
                value,
                headers,
            } => self.produce_with_headers(topic, key, value, headers, None),
            Command::PublishOrder { topic, event } => self.publish_order(&topic, event),
            Command::Generate {
                topic,
                count,
                key_space,
            } => self.generate(&topic, count, &key_space),
            Command::SetGenerator {
                topic,
                records_per_tick,
                key_space,
            } => self.set_generator(topic, records_per_tick, key_space),
            Command::CreateProducer { config } => self.create_producer(config),
            Command::Send {
                producer,
                topic,
                key,
                value,
            } => self.send(&producer, &topic, key, value),
            Command::LoseNextAcks { producer, count } => self.lose_next_acks(producer, count),
            Command::CreateGroup { config } => self.create_group(config),
            Command::ConfigureGroup {
                group,
                processing_ticks_per_record,
                max_poll_records,
            } => {
                let (group, _) = self.group_and_world(&group)?;
                Ok(group.configure(processing_ticks_per_record, max_poll_records)?)
            }
            Command::ConfigureMember {
                group,
                member,
                processing_ticks_per_record,
            } => {
                let (group, _) = self.group_and_world(&group)?;
                Ok(group.configure_member(&member, processing_ticks_per_record)?)
            }
            Command::JoinGroup { group, member } => {
                let (group, mut world) = self.group_and_world(&group)?;
                Ok(group.join(&mut world, member)?)
            }
            Command::JoinStaticMember {
                group,
                member,
                instance_id,
            } => {
                let (group, mut world) = self.group_and_world(&group)?;
                Ok(group.join_static(&mut world, member, instance_id)?)
            }
            Command::LeaveGroup { group, member } => {
                let (group, mut world) = self.group_and_world(&group)?;
                Ok(group.leave(&mut world, &member)?)
            }
            Command::KillMember { group, member } => {
                let (group, mut world) = self.group_and_world(&group)?;
                Ok(group.kill(&mut world, &member)?)
            }
            Command::ResetOffsets { group, topic, spec } => {
                let (group, mut world) = self.group_and_world(&group)?;
                group.reset_offsets(&mut world, topic.as_deref(), spec)?;
                Ok(())
            }
            Command::SetBrokers { brokers, config } => self.set_brokers(brokers, config),
            Command::KillBroker { broker } => self.kill_broker(broker),
            Command::RestartBroker { broker } => self.restart_broker(broker),
            Command::ElectPreferredLeaders => self.elect_preferred_leaders(),
            Command::SetUncleanLeaderElection { topic, enable } => {
                self.set_unclean_leader_election(&topic, enable)
            }
        }
    }

    // ----- topics -----------------------------------------------------------------------

    /// Creates a topic from its spec; one with log settings is then configured exactly as
    /// a `configure_topic` command would (same trace), so a spec and the two commands it
    /// replaced replay alike.
    fn create_topic(&mut self, spec: TopicSpec) -> Result<(), SimError> {
        if self.topics.contains_key(&spec.name) {
            return Err(SimError::TopicExists(spec.name));
        }
        let topic = Topic::from_spec(&spec)?;
        let leaders = self.replicate_topic(&spec)?;
        self.topics.insert(spec.name.clone(), topic);
        self.trace.push(TraceEvent::TopicCreated {
            tick: self.now,
            topic: spec.name.clone(),
            partitions: spec.partitions,
            partitioner: spec.partitioner,
        });
        self.after_cluster_events(leaders);
        self.topic_metadata_changed(&spec.name, spec.partitions);
        if spec.configures_log() {
            self.topic_configured(&spec.name);
        }
        Ok(())
    }

    fn configure_topic(
        &mut self,
        topic: &str,
        segment_records: Option<u64>,
        retention: Option<Retention>,
        unkeyed: Option<UnkeyedStrategy>,
    ) -> Result<(), SimError> {
        let t = self
            .topics
            .get_mut(topic)
            .ok_or_else(|| SimError::UnknownTopic(topic.to_string()))?;
        let old = t.config();
        t.set_config(LogConfig {
            segment_records: segment_records.unwrap_or(old.segment_records),
            retention: retention.unwrap_or(old.retention),
        })?;
        if let Some(strategy) = unkeyed {
            t.set_unkeyed_strategy(strategy);
        }
        self.topic_configured(topic);
        Ok(())
    }

    /// Traces a topic's new settings and applies its retention at once.
    fn topic_configured(&mut self, topic: &str) {
        let t = &self.topics[topic];
        let config = t.config();
        self.trace.push(TraceEvent::TopicConfigured {
            tick: self.now,
            topic: topic.to_string(),
            segment_records: config.segment_records,
            retention_records: config.retention.records,
            retention_ticks: config.retention.ticks,
            unkeyed: t.unkeyed_router().strategy(),
        });
        let (mut world, _) = self.split();
        world.apply_retention(topic);
    }

    /// Grows a topic. With brokers the new partitions are placed first (nothing changes
    /// if placement refuses), then the log grows, then their leaders are elected.
    fn add_partitions(&mut self, topic: &str, partitions: u32) -> Result<(), SimError> {
        let t = self
            .topics
            .get(topic)
            .ok_or_else(|| SimError::UnknownTopic(topic.to_string()))?;
        t.check_add_partitions(partitions)?;
        let from = t.partition_count();
        let placement = match self.brokers.cluster.as_ref() {
            Some(cluster) => Some(cluster.plan_new_partitions(topic, partitions)?),
            None => None,
        };
        if let Some(t) = self.topics.get_mut(topic) {
            t.add_partitions(partitions)?;
        }
        self.trace.push(TraceEvent::PartitionsAdded {
            tick: self.now,
            topic: topic.to_string(),
            from,
            to: partitions,
        });
        if let (Some(replicas), Some(cluster)) = (placement, self.brokers.cluster.as_mut()) {
            let leaders = cluster.add_partitions(topic, replicas)?;
            self.after_cluster_events(leaders);
        }
        self.topic_metadata_changed(topic, partitions);
        Ok(())
    }

    /// Groups subscribed to `topic` see its new partition count on a metadata refresh.
    fn topic_metadata_changed(&mut self, topic: &str, partitions: u32) {
        let (mut world, actors) = self.split();
        for group in actors.groups.values_mut() {
            group.topic_metadata_changed(&mut world, topic, partitions);
        }
    }

    // ----- records ----------------------------------------------------------------------

    /// Appends a record with fresh headers; `group` names the consumer group whose service
    /// wrote it (a saga timer's message), for the trace.
    pub(crate) fn produce(
        &mut self,
        topic: &str,
        key: Option<String>,
        value: Payload,
        group: Option<&str>,
    ) -> Result<(), SimError> {
        let (mut world, _) = self.split();
        refusal_is_traced(world.produce(topic, key, value, group).map(drop))
    }

    /// Appends a record under headers issued earlier; `group` names the consumer group
    /// whose service wrote it (an outbox relay), for the trace.
    pub(crate) fn produce_with_headers(
        &mut self,
        topic: String,
        key: Option<String>,
        value: Payload,
        headers: Headers,
        group: Option<&str>,
    ) -> Result<(), SimError> {
        let record = OutgoingRecord {
            topic,
            key,
            payload: value,
            correlation_id: headers.correlation_id,
            causation_id: headers.causation_id,
            schema_version: headers.schema_version,
            event_id: Some(headers.event_id),
        };
        let (mut world, _) = self.split();
        refusal_is_traced(world.produce_outgoing(record, group).map(drop))
    }

    fn publish_order(&mut self, topic: &str, event: OrderEvent) -> Result<(), SimError> {
        let key_field = self
            .topics
            .get(topic)
            .ok_or_else(|| SimError::UnknownTopic(topic.to_string()))?
            .key_field();
        let (mut world, _) = self.split();
        refusal_is_traced(publish_order(&mut world, topic, key_field, event).map(drop))
    }

    fn generate(&mut self, topic: &str, count: u32, key_space: &KeySpace) -> Result<(), SimError> {
        key_space.check(count)?;
        if !self.topics.contains_key(topic) {
            return Err(SimError::UnknownTopic(topic.to_string()));
        }
        let (mut world, actors) = self.split();
        match actors
            .generator
            .generate(&mut world, topic, count, key_space)
        {
            // Stopped at the record limit and traced: the records so far stay, and the
            // command counts as applied so replaying the history appends the same ones.
            Ok(()) | Err(AppendError::RecordLimit(_)) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    fn set_generator(
        &mut self,
        topic: String,
        records_per_tick: u32,
        key_space: KeySpace,
    ) -> Result<(), SimError> {
        key_space.check(records_per_tick)?;
        if !self.topics.contains_key(&topic) {
            return Err(SimError::UnknownTopic(topic));
        }
        self.generator.set(topic, records_per_tick, key_space);
        Ok(())
    }

    // ----- producers --------------------------------------------------------------------

    fn create_producer(&mut self, config: ProducerConfig) -> Result<(), SimError> {
        if self.producers.contains_key(&config.name) {
            return Err(SimError::ProducerExists(config.name));
        }
        let id = ProducerId(self.next_producer_id);
        let name = config.name.clone();
        let producer = Producer::new(config, id)?;
        self.next_producer_id += 1;
        self.producers.insert(name, producer);
        Ok(())
    }

    fn lose_next_acks(&mut self, producer: String, count: u32) -> Result<(), SimError> {
        self.producers
            .get_mut(&producer)
            .ok_or(SimError::UnknownProducer(producer))?
            .lose_next_acks(count);
        Ok(())
    }

    fn send(
        &mut self,
        producer: &str,
        topic: &str,
        key: Option<String>,
        value: Payload,
    ) -> Result<(), SimError> {
        let (mut world, actors) = self.split();
        let p = actors
            .producers
            .get_mut(producer)
            .ok_or_else(|| SimError::UnknownProducer(producer.to_string()))?;
        p.send(&mut world, topic, key, value)?;
        Ok(())
    }

    // ----- groups -----------------------------------------------------------------------

    fn create_group(&mut self, config: GroupConfig) -> Result<(), SimError> {
        if self.groups.contains_key(&config.name) {
            return Err(SimError::GroupExists(config.name));
        }
        let name = config.name.clone();
        let topics = config.topics.clone();
        let protocol = config.protocol();
        let group = ConsumerGroup::new(config)?;
        self.groups.insert(name.clone(), group);
        self.trace.push(TraceEvent::GroupCreated {
            tick: self.now,
            group: name,
            topics,
            protocol,
        });
        Ok(())
    }

    /// An existing group and the tick context it acts in.
    fn group_and_world(&mut self, name: &str) -> Result<(&mut ConsumerGroup, World<'_>), SimError> {
        let (world, actors) = self.split();
        let group = actors
            .groups
            .get_mut(name)
            .ok_or_else(|| SimError::UnknownGroup(name.to_string()))?;
        Ok((group, world))
    }
}
