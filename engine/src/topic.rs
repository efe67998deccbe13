//! A topic: a name, a partitioner, log settings and one [`PartitionLog`] per partition.
//!
//! Keyed records are routed by the topic's [`Partitioner`]; records without a key (and, for
//! `crc32` as in librdkafka, records with an empty key) go through the topic's
//! [`UnkeyedRouter`]: Kafka's sticky batches by default, or round-robin.
//!
//! A topic also says which field of an order event is its records' key ([`KeyField`]):
//! the generator and [`crate::command::Command::PublishOrder`] key order events by it, so
//! changing it re-keys the same events. [`TopicSpec`] describes a topic once, for the
//! `create_topic` command and a scenario's setup alike.

use crate::assignor::TopicPartition;
use crate::ids::{Offset, PartitionId, Tick};
use crate::log::{Headers, LogConfig, LogError, OrderEvent, PartitionLog, Payload, Retention};
use crate::partitioner::{Partitioner, Routing, UnkeyedRouter, UnkeyedStrategy};
use crate::rng::SimRng;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::sync::Arc;
use thiserror::Error;

/// The most partitions a topic may have in the simulation (it holds a log per partition and
/// the page draws them all). Routing alone goes much further: the partitioners' arithmetic
/// accepts any Kafka partition count, up to
/// [`partitioner::MAX_PARTITIONS`](crate::partitioner::MAX_PARTITIONS).
pub const MAX_PARTITIONS: u32 = 1024;

/// Errors from creating or writing to a topic.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum TopicError {
    #[error("a topic needs 1 to {max} partitions, not {requested}")]
    /// A topic needs 1 to `max` partitions.
    PartitionCount {
        /// What was asked for.
        requested: u32,
        /// The most allowed.
        max: u32,
    },
    #[error(
        "topic {topic:?} has {partitions} partitions, so partition {partition} does not exist"
    )]
    /// No such partition.
    UnknownPartition {
        /// The topic.
        topic: String,
        /// One partition's log, if it exists.
        partition: PartitionId,
        /// The topic's partition count.
        partitions: u32,
    },
    #[error(
        "topic {topic:?} has {current} partitions; the count can only grow (asked for {requested})"
    )]
    /// Kafka never removes partitions.
    PartitionCountDecrease {
        /// The topic.
        topic: String,
        /// The current count.
        current: u32,
        /// What was asked for.
        requested: u32,
    },
    #[error(transparent)]
    /// The partition log refused it.
    Log(#[from] LogError),
}

/// Which field of an order event is the record key.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyField {
    /// Key by user: all of one user's events stay in order on one partition.
    #[default]
    UserId,
    /// Key by order: one order's lifecycle stays in order, a user's orders spread out.
    OrderId,
    /// No key: records are spread by the topic's unkeyed strategy, with no order per user
    /// or per order.
    #[serde(rename = "none")]
    NoKey,
}

crate::unit_enum_reader!(KeyField {
    "user_id" => UserId,
    "order_id" => OrderId,
    "none" => NoKey,
});

impl KeyField {
    /// The record key this field selects from an event (`None`: no key).
    pub fn key_of(self, event: &OrderEvent) -> Option<String> {
        match self {
            KeyField::UserId => Some(event.user_id.clone()),
            KeyField::OrderId => Some(event.order_id.clone()),
            KeyField::NoKey => None,
        }
    }

    fn is_default(&self) -> bool {
        *self == KeyField::default()
    }
}

/// A topic to create: everything a topic is set up with, in one place.
///
/// As JSON (`create_topic` and a scenario's `topics` use the same fields), everything but
/// `name` and `partitions` may be omitted:
/// `{"name": "orders", "partitions": 4, "partitioner": "murmur2", "key_field": "order_id"}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TopicSpec {
    /// The topic name.
    pub name: String,
    /// Its partition count.
    pub partitions: u32,
    #[serde(default)]
    /// How keys map to partitions.
    pub partitioner: Partitioner,
    /// Which field of an order event is the record key (default: the user id).
    #[serde(default, skip_serializing_if = "KeyField::is_default")]
    pub key_field: KeyField,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// Records per segment (`None`: the default).
    pub segment_records: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// Retention (`None`: keep everything).
    pub retention: Option<Retention>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// How records without a key are spread (`None`: the topic's default, Kafka's sticky
    /// batches).
    pub unkeyed: Option<UnkeyedStrategy>,
    /// How many brokers hold a replica of each partition, leader included (Kafka's
    /// `replication.factor`; default 1). More than 1 needs that many brokers.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub replication_factor: u32,
    /// `min.insync.replicas`: how many in-sync replicas an `acks=all` write needs
    /// (default 1).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub min_insync_replicas: u32,
    /// `unclean.leader.election.enable`: an out-of-sync replica may lead when no in-sync
    /// one is alive, losing committed records (default off).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unclean_leader_election_enable: bool,
}

fn one() -> u32 {
    1
}

fn is_one(n: &u32) -> bool {
    *n == 1
}

impl TopicSpec {
    /// A topic with the given partitioner, keyed by user id, with default log settings.
    pub fn new(name: &str, partitions: u32, partitioner: Partitioner) -> Self {
        Self {
            name: name.into(),
            partitions,
            partitioner,
            key_field: KeyField::default(),
            segment_records: None,
            retention: None,
            unkeyed: None,
            replication_factor: 1,
            min_insync_replicas: 1,
            unclean_leader_election_enable: false,
        }
    }

    /// The same topic with `replication_factor` replicas per partition and
    /// `min.insync.replicas`.
    pub fn with_replication(mut self, replication_factor: u32, min_insync_replicas: u32) -> Self {
        self.replication_factor = replication_factor;
        self.min_insync_replicas = min_insync_replicas;
        self
    }

    /// The same topic keyed by `key_field`.
    pub fn with_key_field(mut self, key_field: KeyField) -> Self {
        self.key_field = key_field;
        self
    }

    /// True when it changes a log setting or the unkeyed strategy (creating it then also
    /// configures the topic, as `configure_topic` would).
    pub fn configures_log(&self) -> bool {
        self.segment_records.is_some() || self.retention.is_some() || self.unkeyed.is_some()
    }

    /// Its log settings: the given ones, the defaults for the rest.
    pub fn log_config(&self) -> LogConfig {
        let default = LogConfig::default();
        LogConfig {
            segment_records: self.segment_records.unwrap_or(default.segment_records),
            retention: self.retention.unwrap_or(default.retention),
        }
    }
}

/// Where a produced record went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Produced {
    /// The hashing arithmetic for a keyed record; `None` for a record without a key.
    pub routing: Option<Routing>,
    /// The partition it went to.
    pub partition: PartitionId,
    /// Its offset there.
    pub offset: Offset,
}

/// A named, partitioned log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Topic {
    /// Shared with every [`TopicPartition`] of its records: copied without allocating.
    name: Arc<str>,
    partitioner: Partitioner,
    /// Which field of an order event keys its records.
    #[serde(default)]
    key_field: KeyField,
    config: LogConfig,
    partitions: Vec<PartitionLog>,
    /// Routes records without a key.
    unkeyed: UnkeyedRouter,
    /// The consumer groups whose processing has written to it (a saga service's commands
    /// or events, a processor's output), so the stage can draw them as its writers.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    writers: BTreeSet<String>,
}

impl Topic {
    /// Creates a topic with `partitions` empty partitions and default log settings.
    pub fn new(
        name: impl Into<String>,
        partitions: u32,
        partitioner: Partitioner,
    ) -> Result<Self, TopicError> {
        Self::with_config(name, partitions, partitioner, LogConfig::default())
    }

    /// Creates a topic with the given log settings.
    pub fn with_config(
        name: impl Into<String>,
        partitions: u32,
        partitioner: Partitioner,
        config: LogConfig,
    ) -> Result<Self, TopicError> {
        if partitions == 0 || partitions > MAX_PARTITIONS {
            return Err(TopicError::PartitionCount {
                requested: partitions,
                max: MAX_PARTITIONS,
            });
        }
        let log = PartitionLog::new(config)?;
        Ok(Self {
            name: name.into().into(),
            partitioner,
            key_field: KeyField::default(),
            config,
            partitions: vec![log; partitions as usize],
            unkeyed: UnkeyedRouter::default(),
            writers: BTreeSet::new(),
        })
    }

    /// Creates the topic a spec describes, settings and all (nothing is created if any
    /// setting is refused).
    pub fn from_spec(spec: &TopicSpec) -> Result<Self, TopicError> {
        let config = spec.log_config();
        let mut topic =
            Self::with_config(spec.name.clone(), spec.partitions, spec.partitioner, config)?;
        topic.key_field = spec.key_field;
        if let Some(strategy) = spec.unkeyed {
            topic.set_unkeyed_strategy(strategy);
        }
        Ok(topic)
    }

    /// The topic name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The topic name as shared by its [`TopicPartition`]s.
    pub fn shared_name(&self) -> &Arc<str> {
        &self.name
    }

    /// Partition `partition` of this topic (its name shared, not copied).
    pub fn topic_partition(&self, partition: PartitionId) -> TopicPartition {
        TopicPartition {
            topic: Arc::clone(&self.name),
            partition,
        }
    }

    /// Its partitioner.
    pub fn partitioner(&self) -> Partitioner {
        self.partitioner
    }

    /// Which field of an order event keys its records.
    pub fn key_field(&self) -> KeyField {
        self.key_field
    }

    /// Chooses the field of an order event that keys records from now on.
    pub fn set_key_field(&mut self, key_field: KeyField) {
        self.key_field = key_field;
    }

    /// The log settings every partition uses.
    pub fn config(&self) -> LogConfig {
        self.config
    }

    /// Changes segment size and retention for every partition.
    pub fn set_config(&mut self, config: LogConfig) -> Result<(), TopicError> {
        for log in &mut self.partitions {
            log.set_config(config)?;
        }
        self.config = config;
        Ok(())
    }

    /// Grows the topic to `partitions` partitions (Kafka's `kafka-topics --alter
    /// --partitions`). Keys then hash over more partitions, so many keys move; records
    /// already written stay where they are.
    pub fn add_partitions(&mut self, partitions: u32) -> Result<(), TopicError> {
        self.check_add_partitions(partitions)?;
        let log = PartitionLog::new(self.config)?;
        self.partitions.resize(partitions as usize, log);
        Ok(())
    }

    /// Whether [`add_partitions`](Self::add_partitions) would accept `partitions`, without
    /// changing anything.
    pub fn check_add_partitions(&self, partitions: u32) -> Result<(), TopicError> {
        let current = self.partition_count();
        if partitions <= current {
            return Err(TopicError::PartitionCountDecrease {
                topic: self.name.to_string(),
                current,
                requested: partitions,
            });
        }
        if partitions > MAX_PARTITIONS {
            return Err(TopicError::PartitionCount {
                requested: partitions,
                max: MAX_PARTITIONS,
            });
        }
        Ok(())
    }

    /// How many partitions it has.
    pub fn partition_count(&self) -> u32 {
        self.partitions.len() as u32
    }

    /// One partition's log, if it exists.
    pub fn partition(&self, id: PartitionId) -> Option<&PartitionLog> {
        self.partitions.get(id.0 as usize)
    }

    pub(crate) fn partition_mut(&mut self, id: PartitionId) -> Option<&mut PartitionLog> {
        self.partitions.get_mut(id.0 as usize)
    }

    /// Every partition's log, in partition order.
    pub fn partitions(&self) -> &[PartitionLog] {
        &self.partitions
    }

    /// Total records currently held over all partitions.
    pub fn len(&self) -> u64 {
        self.partitions.iter().map(|p| p.len() as u64).sum()
    }

    /// True when no partition holds a record.
    pub fn is_empty(&self) -> bool {
        self.partitions.iter().all(|p| p.is_empty())
    }

    /// The router for records without a key (its state shows the sticky batch).
    pub fn unkeyed_router(&self) -> &UnkeyedRouter {
        &self.unkeyed
    }

    /// Chooses how records without a key are spread (resets the router's state).
    pub fn set_unkeyed_strategy(&mut self, strategy: UnkeyedStrategy) {
        self.unkeyed = UnkeyedRouter::new(strategy);
    }

    /// Picks the partition for a record: the partitioner for a key, the unkeyed router
    /// without one (or with an empty key under `crc32`, like librdkafka).
    pub fn route(&mut self, key: Option<&str>, rng: &mut SimRng) -> (Option<Routing>, PartitionId) {
        match key {
            Some(key) if !(key.is_empty() && self.partitioner.empty_key_is_unkeyed()) => {
                let routing = self
                    .partitioner
                    .route(key.as_bytes(), self.partition_count());
                let partition = routing.partition;
                (Some(routing), partition)
            }
            _ => {
                let partitions = self.partition_count();
                (None, self.unkeyed.next(partitions, rng))
            }
        }
    }

    /// Remembers that consumer group `group`'s processing wrote to this topic.
    pub fn note_writer(&mut self, group: &str) {
        if !self.writers.contains(group) {
            self.writers.insert(group.to_string());
        }
    }

    /// The consumer groups whose processing has written to this topic, by name.
    pub fn writers(&self) -> impl Iterator<Item = &str> {
        self.writers.iter().map(String::as_str)
    }

    /// Appends to a given partition (the key's bytes are copied).
    pub fn append_to(
        &mut self,
        partition: PartitionId,
        key: Option<&str>,
        value: Payload,
        tick: Tick,
        headers: Headers,
    ) -> Result<Offset, TopicError> {
        let partitions = self.partition_count();
        let log = self
            .partitions
            .get_mut(partition.0 as usize)
            .ok_or_else(|| TopicError::UnknownPartition {
                topic: self.name.to_string(),
                partition,
                partitions,
            })?;
        // Retention is the caller's business (the simulation runs it and traces it).
        Ok(log.append(key, value, tick, headers))
    }

    /// Routes a record with the topic's partitioner (the unkeyed router without a key) and
    /// appends it.
    pub fn produce(
        &mut self,
        key: Option<String>,
        value: Payload,
        tick: Tick,
        headers: Headers,
        rng: &mut SimRng,
    ) -> Produced {
        let (routing, partition) = self.route(key.as_deref(), rng);
        let offset = self
            .append_to(partition, key.as_deref(), value, tick, headers)
            .expect("the partitioner picks an existing partition");
        Produced {
            routing,
            partition,
            offset,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::OrderEvent;

    fn ev() -> Payload {
        Payload::Order(OrderEvent {
            user_id: "U123".into(),
            order_id: "O456".into(),
            status: "Created".into(),
        })
    }

    #[test]
    fn rejects_zero_and_too_many_partitions() {
        assert!(Topic::new("t", 0, Partitioner::Murmur2).is_err());
        assert!(Topic::new("t", MAX_PARTITIONS + 1, Partitioner::Murmur2).is_err());
        assert!(Topic::new("t", MAX_PARTITIONS, Partitioner::Murmur2).is_ok());
    }

    #[test]
    fn same_key_always_lands_on_same_partition() {
        let mut t = Topic::new("orders", 4, Partitioner::Murmur2).unwrap();
        let rng = &mut SimRng::new(1);
        let a = t.produce(Some("U123".into()), ev(), Tick(0), Headers::default(), rng);
        let b = t.produce(Some("U123".into()), ev(), Tick(1), Headers::default(), rng);
        assert_eq!(a.partition, b.partition);
        assert_eq!(b.offset, Offset(1));
    }

    #[test]
    fn records_without_a_key_go_through_the_unkeyed_router() {
        let mut t = Topic::new("orders", 3, Partitioner::Murmur2).unwrap();
        t.set_unkeyed_strategy(UnkeyedStrategy::RoundRobin);
        let rng = &mut SimRng::new(1);
        let mut next = |t: &mut Topic, i: u64| {
            t.produce(None, ev(), Tick(i), Headers::default(), rng)
                .partition
                .0
        };
        let partitions: Vec<u32> = (0..6).map(|i| next(&mut t, i)).collect();
        assert_eq!(partitions, vec![0, 1, 2, 0, 1, 2]);
        // Sticky (the default): batches of 2 stay on one partition, then move elsewhere.
        t.set_unkeyed_strategy(UnkeyedStrategy::Sticky { batch_records: 2 });
        let p: Vec<u32> = (0..4).map(|i| next(&mut t, i)).collect();
        assert_eq!(p[0], p[1]);
        assert_eq!(p[2], p[3]);
        assert_ne!(p[1], p[2]);
    }

    #[test]
    fn crc32_sends_an_empty_key_down_the_unkeyed_path_like_librdkafka() {
        let mut t = Topic::new("orders", 3, Partitioner::Crc32).unwrap();
        let (routing, _) = t.route(Some(""), &mut SimRng::new(1));
        assert!(routing.is_none());
        let mut t = Topic::new("orders", 3, Partitioner::Murmur2).unwrap();
        let (routing, _) = t.route(Some(""), &mut SimRng::new(1));
        assert!(routing.is_some());
    }
}
