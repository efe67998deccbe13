//! The consumer-group protocol's vocabulary, shared by the groups that act on it and the
//! trace that reports it: the rebalance [`Protocol`] (eager or cooperative), why a
//! rebalance ([`RebalanceReason`]) or a commit ([`CommitReason`]) happened, and how an
//! administrator resets offsets ([`OffsetResetSpec`]).
//!
//! It sits below both [`crate::trace`] and [`crate::group`] so the trace can name these
//! without importing the groups that emit it.

use crate::ids::{MemberId, Offset, Tick};
use crate::wire::{need, MissingField};
use serde::{Deserialize, Serialize};

/// Rebalance protocol, decided by the strategy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Protocol {
    /// Revoke everything, then assign (Kafka's original protocol).
    Eager,
    /// Revoke only what moves, in two rounds (KIP-429).
    Cooperative,
}

/// Why a rebalance started.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RebalanceReason {
    /// A member joined.
    MemberJoined {
        /// The member.
        member: MemberId,
    },
    /// A member left gracefully.
    MemberLeft {
        /// The member.
        member: MemberId,
    },
    /// A dead member's session timed out.
    MemberTimedOut {
        /// The member.
        member: MemberId,
    },
    /// Cooperative protocol: partitions were revoked in the first round; the second round
    /// hands them to their new owners.
    CooperativeFollowUp,
    /// A subscribed topic gained partitions (the leader noticed on a metadata refresh).
    PartitionsAdded {
        /// The topic whose partition count changed.
        topic: String,
        /// Its new partition count.
        partitions: u32,
    },
}

/// Why a commit happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommitReason {
    /// Committed by the auto-commit in a poll.
    AutoCommit,
    /// Committed after processing a batch.
    AfterProcessing,
    /// Committed right after the poll.
    BeforeProcessing,
    /// Committing what was processed before giving partitions up.
    Revocation,
    /// Committing before leaving the group.
    Leave,
}

/// How to reset a group's committed offsets (the options of `kafka-consumer-groups
/// --reset-offsets`). Results are clamped to the log's range, as Kafka does.
///
/// Read through one flat struct (`OffsetResetWire`, see [`crate::wire`]), not serde's
/// derived reader for tagged enums; the format is the same.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", try_from = "OffsetResetWire")]
pub enum OffsetResetSpec {
    /// `--to-earliest`: the log start offset.
    ToEarliest,
    /// `--to-latest`: the high watermark.
    ToLatest,
    /// `--to-offset`.
    ToOffset {
        /// The offset.
        offset: Offset,
    },
    /// `--shift-by`: the committed offset plus `by` (may be negative).
    ShiftBy {
        /// Records to move (negative: back).
        by: i64,
    },
    /// `--to-datetime`: the first record at or after `tick`.
    ToTick {
        /// The tick.
        tick: Tick,
    },
    /// `--by-duration`: the first record at or after `now - ticks`.
    ByDuration {
        /// How far back, in ticks.
        ticks: u64,
    },
}

/// The variant names of [`OffsetResetSpec`], as its `type` field spells them.
#[derive(Clone, Copy, Debug)]
enum OffsetResetTag {
    ToEarliest,
    ToLatest,
    ToOffset,
    ShiftBy,
    ToTick,
    ByDuration,
}

crate::unit_enum_reader!(OffsetResetTag {
    "to_earliest" => ToEarliest,
    "to_latest" => ToLatest,
    "to_offset" => ToOffset,
    "shift_by" => ShiftBy,
    "to_tick" => ToTick,
    "by_duration" => ByDuration,
});

/// Every field of any [`OffsetResetSpec`] variant, as read; `type` says which are needed.
#[derive(Deserialize)]
struct OffsetResetWire {
    #[serde(rename = "type")]
    tag: OffsetResetTag,
    offset: Option<Offset>,
    by: Option<i64>,
    tick: Option<Tick>,
    ticks: Option<u64>,
}

impl TryFrom<OffsetResetWire> for OffsetResetSpec {
    type Error = MissingField;

    fn try_from(w: OffsetResetWire) -> Result<Self, MissingField> {
        use OffsetResetTag as T;
        Ok(match w.tag {
            T::ToEarliest => OffsetResetSpec::ToEarliest,
            T::ToLatest => OffsetResetSpec::ToLatest,
            T::ToOffset => OffsetResetSpec::ToOffset {
                offset: need!(w.offset),
            },
            T::ShiftBy => OffsetResetSpec::ShiftBy { by: need!(w.by) },
            T::ToTick => OffsetResetSpec::ToTick {
                tick: need!(w.tick),
            },
            T::ByDuration => OffsetResetSpec::ByDuration {
                ticks: need!(w.ticks),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_offset_reset_reads_back_what_it_writes() {
        for spec in [
            OffsetResetSpec::ToEarliest,
            OffsetResetSpec::ToLatest,
            OffsetResetSpec::ToOffset { offset: Offset(7) },
            OffsetResetSpec::ShiftBy { by: -3 },
            OffsetResetSpec::ToTick { tick: Tick(40) },
            OffsetResetSpec::ByDuration { ticks: 12 },
        ] {
            crate::wire::assert_reads_back(&spec);
        }
        let shift: OffsetResetSpec =
            serde_json::from_str(r#"{"by":-2,"type":"shift_by"}"#).unwrap();
        assert_eq!(shift, OffsetResetSpec::ShiftBy { by: -2 });
        for bad in [
            r#"{"type":"shift_by"}"#,
            r#"{"type":"to_offset","offset":-1}"#,
            r#"{"type":"rewind"}"#,
            r#"{"offset":3}"#,
        ] {
            assert!(
                serde_json::from_str::<OffsetResetSpec>(bad).is_err(),
                "{bad}"
            );
        }
    }
}
