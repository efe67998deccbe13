//! Important changes as sentences for the polite live region: members killed or timed out,
//! rebalances completed (with the partitions that moved), offsets reset, partitions added,
//! producer retries that appended a duplicate or were dropped, sends given up. Read from the
//! engine's trace since the last call, so a replay (whose events are not news) says nothing.

use super::Playground;
use crate::rebalance::{moves_announcement, RebalanceLog};
use orderflow_engine::sim::TraceEvent;

impl Playground {
    /// True when trace events arrived since the last announcement check.
    pub fn announcements_pending(&self) -> bool {
        self.sim().trace_len() > self.announced
    }

    /// Important changes since the last call, as sentences for the live region.
    pub fn take_announcements(&mut self) -> Vec<String> {
        let out = self
            .sim()
            .trace_since(self.announced)
            .filter_map(|(_, event)| announcement(event, &self.rebalances))
            .collect();
        self.announced = self.sim().trace_len();
        out
    }
}

/// The sentence for one trace event, if it is important enough to announce.
fn announcement(event: &TraceEvent, rebalances: &RebalanceLog) -> Option<String> {
    let said = match event {
        TraceEvent::MemberKilled { group, member, .. } => format!(
            "Consumer {} of group {group} died; the group notices after its session timeout.",
            member.0
        ),
        TraceEvent::MemberTimedOut { group, member, .. } => format!(
            "Group {group}: consumer {} timed out; rebalancing.",
            member.0
        ),
        TraceEvent::RebalanceCompleted {
            group, generation, ..
        } => format!(
            "Group {group} rebalanced: generation {generation}.{}",
            moves_announcement(rebalances, group, *generation)
        ),
        TraceEvent::OffsetsReset { group, .. } => format!("Group {group}: offsets reset."),
        TraceEvent::PartitionsAdded { topic, to, .. } => {
            format!("Topic {topic} now has {to} partitions.")
        }
        TraceEvent::Produced {
            producer: Some(producer),
            topic,
            partition,
            offset,
            duplicate_of: Some(original),
            ..
        } => format!(
            "Producer {producer} lost an acknowledgement; the retry appended a duplicate at {topic} partition {} offset {} (duplicate of offset {}).",
            partition.0, offset.0, original.0
        ),
        TraceEvent::DuplicateDropped {
            producer,
            topic,
            partition,
            offset,
            ..
        } => format!(
            "Producer {producer} lost an acknowledgement; the broker dropped the idempotent retry, so the record stays once at {topic} partition {} offset {}.",
            partition.0, offset.0
        ),
        TraceEvent::SendFailed {
            producer, attempts, ..
        } => format!(
            "Producer {producer} gave up after {attempts} attempt(s); the record may still be in the log."
        ),
        _ => return None,
    };
    Some(said)
}
