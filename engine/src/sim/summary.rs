//! The final state in a compact, serialisable form (the CLI's `--summary` and the golden
//! files under `engine/tests/golden/`).

use super::Sim;
use crate::assignor::TopicPartition;
use crate::cluster::replication::{ClusterMetrics, PartitionView};
use crate::group::GroupState;
use crate::ids::{MemberId, Offset, Tick};
use crate::partitioner::Partitioner;
use crate::process::{NoProcessors, Processors};
use crate::producer::ProducerCounters;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The final state in a compact, serialisable form (the CLI's `--summary`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// The seed all randomness derives from.
    pub seed: u64,
    /// The tick the run ended at.
    pub tick: Tick,
    /// Every topic.
    pub topics: Vec<TopicSummary>,
    /// Every group.
    pub groups: Vec<GroupSummary>,
    /// Every producer.
    pub producers: Vec<ProducerSummary>,
    /// The brokers' metrics and every partition's leader, ISR, LEOs and high watermark
    /// (only with brokers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<ClusterSummary>,
    /// Number of trace events emitted.
    pub trace_events: u64,
}

/// The cluster in a [`Summary`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterSummary {
    /// Kafka's JMX-named metrics (counts since the start).
    pub metrics: ClusterMetrics,
    /// Every partition: replicas (alive, in sync, LEO), leader, epoch, ISR, HW.
    pub partitions: Vec<PartitionView>,
}

/// A topic in a [`Summary`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopicSummary {
    /// The topic name.
    pub name: String,
    /// How keys map to partitions.
    pub partitioner: Partitioner,
    /// Per partition, the end offset (high watermark).
    pub end_offsets: Vec<u64>,
    /// Per partition, the log start offset.
    pub log_start_offsets: Vec<u64>,
}

/// A group in a [`Summary`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupSummary {
    /// The group id.
    pub name: String,
    /// Its state.
    pub state: GroupState,
    /// Its generation.
    pub generation: i32,
    /// Member -> owned partitions.
    pub members: BTreeMap<MemberId, Vec<TopicPartition>>,
    /// Committed offset per partition.
    pub committed: BTreeMap<TopicPartition, Offset>,
    /// Per partition lag.
    pub lag: BTreeMap<TopicPartition, u64>,
    /// Lag summed over partitions.
    pub total_lag: u64,
    /// Records processed.
    pub processed: u64,
    /// Records processed again after a redelivery.
    pub duplicates: u64,
    /// Records committed but never processed.
    pub lost: u64,
    /// Records given up on.
    pub failed: u64,
    /// The processor's own snapshot, if it has one.
    #[serde(skip_serializing_if = "serde_json::Value::is_null", default)]
    pub processor: serde_json::Value,
}

/// A producer in a [`Summary`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProducerSummary {
    /// The producer's name.
    pub name: String,
    /// Whether it is idempotent.
    pub idempotent: bool,
    /// Running totals.
    pub counters: ProducerCounters,
}

impl Sim {
    /// The final state in compact form (no group has a processor).
    pub fn summary(&self) -> Summary {
        self.summary_with(&NoProcessors)
    }

    /// The final state in compact form, with the snapshot of each group's processor in
    /// `processors`.
    pub fn summary_with(&self, processors: &dyn Processors) -> Summary {
        let topics = self
            .topics
            .values()
            .map(|t| TopicSummary {
                name: t.name().to_string(),
                partitioner: t.partitioner(),
                end_offsets: t
                    .partitions()
                    .iter()
                    .map(|p| p.high_watermark().0)
                    .collect(),
                log_start_offsets: t
                    .partitions()
                    .iter()
                    .map(|p| p.log_start_offset().0)
                    .collect(),
            })
            .collect();
        let groups = self
            .groups
            .values()
            .map(|g| {
                let s = g.snapshot(&self.topics);
                GroupSummary {
                    name: s.name.clone(),
                    state: s.state,
                    generation: s.generation,
                    members: s
                        .members
                        .iter()
                        .map(|m| (m.id.clone(), m.owned.clone()))
                        .collect(),
                    committed: g.committed_offsets().clone(),
                    lag: s
                        .partitions
                        .iter()
                        .map(|p| (p.partition.clone(), p.lag))
                        .collect(),
                    total_lag: s.total_lag,
                    processed: s.counters.processed,
                    duplicates: s.counters.duplicates,
                    lost: s.counters.lost,
                    failed: s.counters.failed,
                    processor: processors.snapshot(&s.name),
                }
            })
            .collect();
        let producers = self
            .producers
            .values()
            .map(|p| ProducerSummary {
                name: p.config.name.clone(),
                idempotent: p.config.idempotent,
                counters: p.counters,
            })
            .collect();
        Summary {
            seed: self.seed,
            tick: self.now,
            topics,
            groups,
            producers,
            cluster: self.cluster().map(|c| ClusterSummary {
                metrics: c.metrics(),
                partitions: c.partitions(),
            }),
            trace_events: self.trace.end_index(),
        }
    }
}
