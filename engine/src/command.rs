//! What a user (or a scenario) asks the simulation to do: [`Command`], a command at a tick
//! ([`TimedCommand`]), and why one is refused ([`SimError`]).
//!
//! Commands are plain data (JSON with a `type` tag), so a session is a list of them: the
//! share link, the saved file and the replay. [`crate::sim::Sim::apply`] runs one.

use crate::cluster::placement::BrokerMetadata;
use crate::cluster::replication::{ProduceError, ReplicationConfig, ReplicationError};
use crate::cluster::BrokerId;
use crate::generator::{GeneratorError, KeySpace};
use crate::group::{GroupConfig, GroupError, OffsetResetSpec};
use crate::ids::{MemberId, Tick};
use crate::log::{Headers, OrderEvent, Payload, Retention};
use crate::partitioner::UnkeyedStrategy;
use crate::producer::{ProducerConfig, ProducerError};
use crate::topic::{TopicError, TopicSpec};
use crate::world::{AppendError, RecordLimitError};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use thiserror::Error;

mod wire;
pub use wire::WireError;

/// Something a user (or a scenario) asks the simulation to do.
///
/// Read through one flat struct (`wire`), not serde's derived reader for tagged enums;
/// the format is the same.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", try_from = "wire::Wire")]
pub enum Command {
    /// Creates a topic (with its key field, and its log settings if the spec has any:
    /// then it also configures the topic, as [`Command::ConfigureTopic`] would).
    CreateTopic(TopicSpec),
    /// Changes a topic's segment size, retention or unkeyed routing (`None`: unchanged).
    ConfigureTopic {
        /// The topic.
        topic: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        /// Records per log segment.
        segment_records: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        /// When old segments are deleted.
        retention: Option<Retention>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        /// How records without a key are spread.
        unkeyed: Option<UnkeyedStrategy>,
    },
    /// Grows a topic to `partitions` partitions; subscribed groups rebalance.
    AddPartitions {
        /// The topic.
        topic: String,
        /// The partition count.
        partitions: u32,
    },
    /// Appends one record directly (no producer: no acks, no retries).
    Produce {
        /// The topic. Shared, so a caller producing many records names the topic without
        /// allocating for each (JSON: a plain string).
        topic: Arc<str>,
        /// `None`: no key, round-robin.
        #[serde(default)]
        key: Option<String>,
        /// The record's value.
        value: Payload,
    },
    /// Appends one record directly under headers the caller chooses: an outbox relay
    /// publishing a row whose event id was issued when the row was written
    /// ([`crate::process::Delivery::issue_event_id`]), possibly for the second time. The
    /// event id must be one this simulation issued
    /// ([`SimError::EventIdNotIssued`] otherwise), so fresh ids stay unique.
    ProduceWithHeaders {
        /// The topic.
        topic: String,
        #[serde(default)]
        /// The record key (`None`: no key).
        key: Option<String>,
        /// The record's value.
        value: Payload,
        /// The headers, event id included.
        headers: Headers,
    },
    /// Registers a producer with acks, retries and idempotence settings.
    CreateProducer {
        /// The settings.
        config: ProducerConfig,
    },
    /// Sends one record through a named producer.
    Send {
        /// The producer's name.
        producer: String,
        /// The topic.
        topic: String,
        #[serde(default)]
        /// The record key (`None`: no key).
        key: Option<String>,
        /// The record's value.
        value: Payload,
    },
    /// The next `count` acknowledgements to this producer get lost.
    LoseNextAcks {
        /// The producer's name.
        producer: String,
        /// Acknowledgements to lose.
        count: u32,
    },
    /// Creates a consumer group (no members yet).
    CreateGroup {
        /// The settings.
        config: GroupConfig,
    },
    /// Changes a group's speed settings while it runs (`None`: unchanged).
    ConfigureGroup {
        /// The group.
        group: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        /// Ticks spent per record (`None`: unchanged).
        processing_ticks_per_record: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        /// Records one poll returns at most (`None`: unchanged).
        max_poll_records: Option<u32>,
    },
    /// Gives one member its own processing time (`None`: back to the group's).
    ConfigureMember {
        /// The group.
        group: String,
        /// The member.
        member: MemberId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        /// Ticks spent per record (`None`: unchanged).
        processing_ticks_per_record: Option<u64>,
    },
    /// A member joins a group (starts a rebalance).
    JoinGroup {
        /// The group.
        group: String,
        /// The member.
        member: MemberId,
    },
    /// A static member (`group.instance.id`) joins: back within its session timeout after
    /// dying, it takes its place and partitions back with no rebalance.
    JoinStaticMember {
        /// The group.
        group: String,
        /// The member id (a restarted consumer may have a new one).
        member: MemberId,
        /// Its `group.instance.id`.
        instance_id: String,
    },
    /// A member leaves gracefully (finishes its batch, commits, leaves; rebalance at once).
    LeaveGroup {
        /// The group.
        group: String,
        /// The member.
        member: MemberId,
    },
    /// A member crashes (noticed after the session timeout).
    KillMember {
        /// The group.
        group: String,
        /// The member.
        member: MemberId,
    },
    /// Resets a group's committed offsets (only while it has no members).
    ResetOffsets {
        /// The group.
        group: String,
        /// `None`: every subscribed topic.
        #[serde(default)]
        topic: Option<String>,
        /// Where to.
        spec: OffsetResetSpec,
    },
    /// Publishes one order event keyed by the topic's key field (a person's hand-made
    /// order: the generator's events are keyed the same way).
    PublishOrder {
        /// The topic.
        topic: String,
        /// The order event.
        event: OrderEvent,
    },
    /// Produces `count` order events from the simulation's generator: keys drawn from
    /// `key_space` with the simulation's RNG, each key walking through the order lifecycle,
    /// records keyed by the topic's key field. At the simulation's record limit it stops
    /// early with a [`crate::trace::TraceEvent::CommandRejected`] and still counts as applied.
    Generate {
        /// The topic.
        topic: String,
        /// Records to produce.
        count: u32,
        #[serde(flatten)]
        /// The keys and how they are drawn.
        key_space: KeySpace,
    },
    /// Produces `records_per_tick` such events every tick from now on (0 stops it). At the
    /// simulation's record limit the generator stops, traced as a
    /// [`crate::trace::TraceEvent::CommandRejected`].
    SetGenerator {
        /// The topic.
        topic: String,
        /// Records produced every tick.
        records_per_tick: u32,
        #[serde(flatten)]
        /// The keys and how they are drawn.
        key_space: KeySpace,
    },
    /// Gives the simulation brokers (ids, optional racks) and replication settings; topics
    /// created afterwards are replicated over them. Only before the first topic.
    SetBrokers {
        /// The brokers.
        brokers: Vec<BrokerMetadata>,
        /// Lag limit, fetch size, request timeout, preferred-leader checks.
        #[serde(default, skip_serializing_if = "is_default_config")]
        config: ReplicationConfig,
    },
    /// Kills a broker: the partitions it led elect new leaders (or go offline).
    KillBroker {
        /// The broker.
        broker: BrokerId,
    },
    /// Restarts a killed broker with the logs it had.
    RestartBroker {
        /// The broker.
        broker: BrokerId,
    },
    /// Moves leadership back to every preferred replica that is alive and in sync
    /// (`kafka-leader-election --election-type PREFERRED`).
    ElectPreferredLeaders,
    /// Turns a topic's `unclean.leader.election.enable` on or off.
    SetUncleanLeaderElection {
        /// The topic.
        topic: String,
        /// On or off.
        enable: bool,
    },
}

fn is_default_config(config: &ReplicationConfig) -> bool {
    *config == ReplicationConfig::default()
}

/// Errors from applying a command.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum SimError {
    #[error("topic {0:?} does not exist")]
    /// No topic of that name.
    UnknownTopic(String),
    #[error("topic {0:?} already exists")]
    /// A topic of that name exists.
    TopicExists(String),
    #[error(transparent)]
    /// The topic refused it.
    Topic(#[from] TopicError),
    #[error("consumer group {0:?} does not exist")]
    /// No group of that name.
    UnknownGroup(String),
    #[error("consumer group {0:?} already exists")]
    /// A group of that name exists.
    GroupExists(String),
    #[error(transparent)]
    /// The group refused it.
    Group(#[from] GroupError),
    #[error("producer {0:?} does not exist")]
    /// No producer of that name.
    UnknownProducer(String),
    #[error("producer {0:?} already exists")]
    /// A producer of that name exists.
    ProducerExists(String),
    #[error(transparent)]
    /// The producer refused it.
    Producer(#[from] ProducerError),
    #[error(transparent)]
    /// The generator's settings are refused.
    Generator(#[from] GeneratorError),
    #[error("event id {event_id} was never issued (the next one is {next_event_id})")]
    /// A record may only carry an event id the simulation issued.
    EventIdNotIssued {
        /// The id given.
        event_id: u64,
        /// The next id the simulation would issue.
        next_event_id: u64,
    },
    #[error("there are no brokers: set_brokers first (without them the simulation has one implicit broker)")]
    /// A broker command without brokers.
    NoBrokers,
    #[error("set_brokers must come before the first topic ({topics} exist already)")]
    /// Brokers are set before any topic exists.
    BrokersAfterTopics {
        /// How many topics exist.
        topics: usize,
    },
    #[error(
        "topic {topic:?}: replication factor {replication_factor} and min.insync.replicas \
         {min_insync_replicas} need brokers (set_brokers first; the implicit single broker has \
         replication factor 1)"
    )]
    /// Replication settings without brokers.
    ReplicationNeedsBrokers {
        /// The topic.
        topic: String,
        /// The factor asked for.
        replication_factor: u32,
        /// The `min.insync.replicas` asked for.
        min_insync_replicas: u32,
    },
    #[error(transparent)]
    /// The cluster refused it (unknown broker, broker already down, placement...).
    Replication(#[from] ReplicationError),
    #[error(transparent)]
    /// A record was refused (only reaches callers that append without a command).
    ProduceRefused(#[from] ProduceError),
    #[error(transparent)]
    /// The simulation holds as many records as it may.
    RecordLimit(#[from] RecordLimitError),
}

impl From<AppendError> for SimError {
    fn from(error: AppendError) -> Self {
        match error {
            AppendError::UnknownTopic(topic) => SimError::UnknownTopic(topic),
            AppendError::Topic(e) => SimError::Topic(e),
            AppendError::EventIdNotIssued {
                event_id,
                next_event_id,
            } => SimError::EventIdNotIssued {
                event_id,
                next_event_id,
            },
            AppendError::Refused(e) => SimError::ProduceRefused(e),
            AppendError::RecordLimit(e) => SimError::RecordLimit(e),
        }
    }
}

/// A command and the tick it applies at (0 when omitted): a simulation's [`Command`], or
/// any command whose JSON is an object with a `type` tag (a scenario's, which may also be
/// a saga's).
///
/// As JSON the command's fields sit beside `at`. Written with `#[serde(flatten)]`; read by
/// taking `at` out of the object and reading the rest as the command (`crate::wire`), not
/// by serde's flatten, which buffers the map in its `Content` tree.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TimedCommand<C = Command> {
    /// The tick it applies at.
    pub at: Tick,
    #[serde(flatten)]
    /// The command.
    pub command: C,
}

impl<'de, C: serde::de::DeserializeOwned> Deserialize<'de> for TimedCommand<C> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut map = crate::wire::object(deserializer)?;
        let at = crate::wire::take(&mut map, "at")?.unwrap_or_default();
        let command = crate::wire::rest(map)?;
        Ok(TimedCommand { at, command })
    }
}
