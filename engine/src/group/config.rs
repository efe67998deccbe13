//! A group's settings: assignor, commit policy, offset reset, poll size, processing time,
//! session timeout and rebalance length, with the defaults a scenario may omit.

use crate::assignor::AssignmentStrategy;
use crate::group_protocol::Protocol;
use crate::wire::{need, MissingField};
use serde::{Deserialize, Serialize};

/// When a group commits its offsets.
///
/// Read through one flat struct (`CommitPolicyWire`), not serde's derived reader for tagged
/// enums, which buffers the map in serde's `Content` (BENCHMARKS.md, "The bundle"); the
/// format is the same.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", try_from = "CommitPolicyWire")]
pub enum CommitPolicy {
    /// `enable.auto.commit=true`: each poll commits the positions of what earlier polls
    /// returned (all processed by then), at most every `interval_ticks`; also on revocation
    /// and on leaving.
    AutoCommit {
        /// Ticks between auto-commits at least.
        interval_ticks: u64,
    },
    /// At-least-once: process the whole batch, then commit.
    #[default]
    AfterProcessing,
    /// At-most-once: commit right after the poll, then process.
    BeforeProcessing,
}

/// [`CommitPolicy`]'s variant names, as the `type` field spells them.
#[derive(Clone, Copy, Debug)]
enum CommitPolicyTag {
    AutoCommit,
    AfterProcessing,
    BeforeProcessing,
}

crate::unit_enum_reader!(CommitPolicyTag {
    "auto_commit" => AutoCommit,
    "after_processing" => AfterProcessing,
    "before_processing" => BeforeProcessing,
});

/// Every field of any [`CommitPolicy`], as read; which is required depends on `type`.
#[derive(Deserialize)]
struct CommitPolicyWire {
    #[serde(rename = "type")]
    tag: CommitPolicyTag,
    interval_ticks: Option<u64>,
}

impl TryFrom<CommitPolicyWire> for CommitPolicy {
    type Error = MissingField;

    fn try_from(w: CommitPolicyWire) -> Result<Self, MissingField> {
        Ok(match w.tag {
            CommitPolicyTag::AutoCommit => CommitPolicy::AutoCommit {
                interval_ticks: need!(w.interval_ticks),
            },
            CommitPolicyTag::AfterProcessing => CommitPolicy::AfterProcessing,
            CommitPolicyTag::BeforeProcessing => CommitPolicy::BeforeProcessing,
        })
    }
}

/// Kafka's `auto.offset.reset`: where to start without a valid committed offset.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AutoOffsetReset {
    #[default]
    /// The log start offset.
    Earliest,
    /// The high watermark: only new records.
    Latest,
}

crate::unit_enum_reader!(AutoOffsetReset {
    "earliest" => Earliest,
    "latest" => Latest,
});

/// A group's settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupConfig {
    /// The group id.
    pub name: String,
    /// Subscribed topics.
    pub topics: Vec<String>,
    #[serde(default)]
    /// The assignor that spreads partitions over members.
    pub strategy: AssignmentStrategy,
    #[serde(default)]
    /// When offsets are committed.
    pub commit_policy: CommitPolicy,
    #[serde(default)]
    /// Where to start without a valid committed offset.
    pub auto_offset_reset: AutoOffsetReset,
    #[serde(default = "default_max_poll_records")]
    /// Records one poll returns at most.
    pub max_poll_records: u32,
    #[serde(default = "default_processing_ticks")]
    /// Ticks a member spends on each record.
    pub processing_ticks_per_record: u64,
    #[serde(default = "default_session_timeout_ticks")]
    /// Ticks without a heartbeat after which a member is dead.
    pub session_timeout_ticks: u64,
    /// Minimum length of one rebalance round.
    #[serde(default = "default_rebalance_ticks")]
    pub rebalance_ticks: u64,
}

fn default_max_poll_records() -> u32 {
    10
}
fn default_processing_ticks() -> u64 {
    1
}
fn default_session_timeout_ticks() -> u64 {
    10
}
fn default_rebalance_ticks() -> u64 {
    2
}

impl GroupConfig {
    /// A group on `topics` with default settings (range, at-least-once, earliest).
    pub fn new(name: impl Into<String>, topics: Vec<String>) -> Self {
        Self {
            name: name.into(),
            topics,
            strategy: AssignmentStrategy::default(),
            commit_policy: CommitPolicy::default(),
            auto_offset_reset: AutoOffsetReset::default(),
            max_poll_records: default_max_poll_records(),
            processing_ticks_per_record: default_processing_ticks(),
            session_timeout_ticks: default_session_timeout_ticks(),
            rebalance_ticks: default_rebalance_ticks(),
        }
    }

    /// The rebalance protocol of the configured strategy.
    pub fn protocol(&self) -> Protocol {
        if self.strategy.is_cooperative() {
            Protocol::Cooperative
        } else {
            Protocol::Eager
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_commit_policy_reads_back_what_it_writes() {
        for policy in [
            CommitPolicy::AutoCommit { interval_ticks: 5 },
            CommitPolicy::AfterProcessing,
            CommitPolicy::BeforeProcessing,
        ] {
            crate::wire::assert_reads_back(&policy);
        }
        assert_eq!(
            serde_json::to_string(&CommitPolicy::AutoCommit { interval_ticks: 5 }).unwrap(),
            r#"{"type":"auto_commit","interval_ticks":5}"#
        );
        for bad in [
            r#"{"type":"auto_commit"}"#,
            r#"{"type":"AutoCommit","interval_ticks":5}"#,
            r#"{"interval_ticks":5}"#,
        ] {
            assert!(serde_json::from_str::<CommitPolicy>(bad).is_err(), "{bad}");
        }
    }
}
