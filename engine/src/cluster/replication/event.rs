//! What the replication model emits: one [`ReplicationEvent`] per fact, in the order it
//! happened, so the simulation can forward them to its trace and the page can announce them.
//! A lost record is named here by the engine, never guessed by the UI (see ARCHITECTURE.md,
//! "Named by the engine").

use super::produce::{Acks, ProduceError, ProduceRequestId};
use super::AppendId;
use crate::assignor::TopicPartition;
use crate::cluster::BrokerId;
use crate::ids::{EventId, Offset};
use serde::{Deserialize, Serialize};

/// How a leader came to lead.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ElectionKind {
    /// The topic was created: the first replica of the assignment leads, epoch 0.
    Initial,
    /// The leader died or came back: the first live replica of the assignment in the ISR.
    Clean,
    /// No live replica was in the ISR and `unclean.leader.election.enable` is on: the first
    /// live replica of the assignment leads although it may miss committed records.
    Unclean,
    /// The preferred (first) replica is alive and in the ISR again and takes leadership
    /// back (`auto.leader.rebalance.enable` or `kafka-leader-election --election-type
    /// PREFERRED`).
    Preferred,
}

/// Why a replica left the ISR.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IsrShrinkReason {
    /// Its broker died; the controller removed it at once.
    BrokerStopped,
    /// It had not caught up with the leader's log end offset for longer than
    /// `replica.lag.time.max` (`lagged_ticks` since it last had).
    LaggedBehind {
        /// Ticks since the follower last reached the leader's log end offset.
        lagged_ticks: u64,
    },
}

/// Which kind of election lost a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LossReason {
    /// A clean or preferred election: only records above the high watermark can go this way
    /// (acks=0, acks=1, or acks=all still waiting).
    LeaderChange,
    /// An unclean election: committed records can go too.
    UncleanElection,
}

/// One fact about brokers, leaders, replicas and produce requests.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ReplicationEvent {
    /// A broker was killed.
    BrokerStopped {
        /// The broker.
        broker: BrokerId,
    },
    /// A broker was restarted (its replicas' logs survived on disk).
    BrokerStarted {
        /// The broker.
        broker: BrokerId,
    },
    /// The controller gave a partition a leader and a new epoch.
    LeaderElected {
        /// The partition.
        partition: TopicPartition,
        /// The new leader.
        leader: BrokerId,
        /// The new leader epoch (one more than the last).
        leader_epoch: u32,
        /// Clean, unclean, preferred or at creation.
        election: ElectionKind,
    },
    /// The leader died and no replica may lead: producers and consumers get
    /// `LEADER_NOT_AVAILABLE` until one can.
    PartitionOffline {
        /// The partition.
        partition: TopicPartition,
        /// The epoch of the leader that died.
        leader_epoch: u32,
    },
    /// A replica left the in-sync replica set.
    IsrShrunk {
        /// The partition.
        partition: TopicPartition,
        /// The replica that left.
        broker: BrokerId,
        /// The ISR after.
        isr: Vec<BrokerId>,
        /// Why it left.
        reason: IsrShrinkReason,
    },
    /// A follower caught up (its log end offset reached the high watermark) and rejoined.
    IsrExpanded {
        /// The partition.
        partition: TopicPartition,
        /// The replica that joined.
        broker: BrokerId,
        /// The ISR after.
        isr: Vec<BrokerId>,
    },
    /// A follower cut its log back to where it agrees with the leader (the end offset of its
    /// last epoch on the leader).
    Truncated {
        /// The partition.
        partition: TopicPartition,
        /// The follower.
        broker: BrokerId,
        /// Its log end offset before.
        from: Offset,
        /// Its log end offset after.
        to: Offset,
    },
    /// Kafka's `ReplicaFetcherThread.handleOffsetOutOfRange`: a follower's fetch offset was
    /// below the leader's log start offset (retention deleted those records while the
    /// follower was behind or down), the leader answered `OFFSET_OUT_OF_RANGE`, and the
    /// follower truncated its whole log and starts fetching at the leader's log start
    /// offset (`truncateFullyAndStartAt`).
    FollowerResetToLogStartOffset {
        /// The partition.
        partition: TopicPartition,
        /// The follower.
        broker: BrokerId,
        /// Its fetch offset (log end offset) before.
        fetch_offset: Offset,
        /// The leader's log start offset, where the follower's log now starts and ends.
        log_start_offset: Offset,
    },
    /// The high watermark moved forward: records below it are committed and readable.
    HighWatermarkAdvanced {
        /// The partition.
        partition: TopicPartition,
        /// The new high watermark.
        high_watermark: Offset,
    },
    /// Only an unclean election does this: the new leader's log is shorter than the old
    /// high watermark, so committed offsets are handed out again.
    HighWatermarkMovedBack {
        /// The partition.
        partition: TopicPartition,
        /// The high watermark before.
        from: Offset,
        /// The high watermark after (the new leader's log end offset).
        to: Offset,
    },
    /// A record that is not in the new leader's log: every replica holding it will truncate
    /// it, so it is gone for good.
    RecordLost {
        /// The partition.
        partition: TopicPartition,
        /// Its offset (which a later record will reuse).
        offset: Offset,
        /// Which append it was.
        append: AppendId,
        /// Its key.
        key: Option<String>,
        /// Its event id, if the producer gave one.
        event_id: Option<EventId>,
        /// The acks it was produced with.
        acks: Acks,
        /// Whether the producer had been told it was written.
        acknowledged: bool,
        /// Whether it was below the high watermark (committed, visible to consumers).
        committed: bool,
        /// The leader epoch it was written in.
        leader_epoch: u32,
        /// The election that lost it.
        reason: LossReason,
    },
    /// A record named lost came back: the new leader still held it (it never fetched from
    /// the leader that lacked it). The records that leader wrote at those offsets are lost
    /// instead, and named.
    RecordRestored {
        /// The partition.
        partition: TopicPartition,
        /// Its offset.
        offset: Offset,
        /// Which append it was.
        append: AppendId,
        /// Its key.
        key: Option<String>,
        /// The leader that brought it back.
        leader: BrokerId,
    },
    /// An `acks=all` request that waited for the ISR got its answer.
    ProduceCompleted {
        /// The request.
        request: ProduceRequestId,
        /// The partition.
        partition: TopicPartition,
        /// Where its record was appended.
        offset: Offset,
        /// `None`: acknowledged; otherwise the error the producer gets.
        error: Option<ProduceError>,
    },
}
