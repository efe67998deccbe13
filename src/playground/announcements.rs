//! Important changes as sentences for the polite live region: members killed or timed out,
//! rebalances completed (with the partitions that moved), offsets reset, partitions added,
//! producer retries that appended a duplicate or were dropped, sends given up, and, with
//! brokers, brokers stopping and starting, leader elections, ISR shrinks, offline
//! partitions, refused writes and lost records. Read from the
//! engine's trace since the last call, so a replay (whose events are not news) says nothing.

use super::Playground;
use crate::rebalance::{moves_announcement, RebalanceLog};
use orderflow_engine::cluster::replication::{ElectionKind, ReplicationEvent};
use orderflow_engine::sim::TraceEvent;

impl Playground {
    /// True when trace events arrived since the last announcement check.
    pub fn announcements_pending(&self) -> bool {
        self.sim().trace_len() > self.announced
    }

    /// Important changes since the last call, as sentences for the live region.
    pub fn take_announcements(&mut self) -> Vec<String> {
        let mut out: Vec<String> = self
            .sim()
            .trace_since(self.announced)
            .filter_map(|(_, event)| announcement(event, &self.rebalances))
            .collect();
        self.announced = self.sim().trace_len();
        let (mut from, mut said) = std::mem::take(&mut self.saga_announced);
        if let Some(saga) = self.system.saga() {
            let checks = || self.conservation().unwrap_or_default();
            let (sagas, len) = crate::sagas::saga_announcements(&saga, from, &mut said, checks);
            out.extend(sagas);
            from = len;
        }
        self.saga_announced = (from, said);
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
        TraceEvent::StaticMemberLeft {
            group,
            member,
            instance_id,
            session_timeout_ticks,
            ..
        } => format!(
            "Static consumer {} ({instance_id}) of group {group} closed without leaving the group; its partitions wait {session_timeout_ticks} ticks for it to come back.",
            member.0
        ),
        TraceEvent::StaticMemberRejoined {
            group,
            member,
            instance_id,
            ..
        } => format!(
            "Static consumer {instance_id} of group {group} is back as {} with its partitions; no rebalance.",
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
            topic,
            partition,
            offset,
            origin,
            ..
        } => {
            let (Some(producer), Some(original)) = (origin.producer(), origin.duplicate_of())
            else {
                return None;
            };
            format!(
                "Producer {producer} lost an acknowledgement; the retry appended a duplicate at {topic} partition {} offset {} (duplicate of offset {}).",
                partition.0, offset.0, original.0
            )
        }
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
        TraceEvent::ProduceRefused {
            topic,
            partition,
            error,
            ..
        } => format!("Write to {topic} partition {} refused: {error}.", partition.0),
        TraceEvent::Replication { event, .. } => return cluster_announcement(event),
        _ => return None,
    };
    Some(said)
}

/// The sentence for one fact about brokers, if it is news.
fn cluster_announcement(event: &ReplicationEvent) -> Option<String> {
    let said = match event {
        ReplicationEvent::BrokerStopped { broker } => format!("Broker {broker} stopped."),
        ReplicationEvent::BrokerStarted { broker } => format!("Broker {broker} restarted."),
        ReplicationEvent::LeaderElected {
            partition,
            leader,
            leader_epoch,
            election,
        } if *election != ElectionKind::Initial => {
            let kind = match election {
                ElectionKind::Unclean => "unclean",
                ElectionKind::Preferred => "preferred",
                _ => "clean",
            };
            format!("Broker {leader} now leads {partition} (leader epoch {leader_epoch}, {kind} election).")
        }
        ReplicationEvent::PartitionOffline { partition, .. } => {
            format!("{partition} is offline: no replica may lead.")
        }
        ReplicationEvent::IsrShrunk {
            partition, broker, ..
        } => format!("Broker {broker} left the in-sync replicas of {partition}."),
        ReplicationEvent::RecordLost {
            partition,
            offset,
            key,
            acknowledged,
            committed,
            ..
        } => format!(
            "Record lost: {partition} offset {} key {}{}{}.",
            offset.0,
            key.as_deref().unwrap_or("(none)"),
            if *acknowledged {
                ", acknowledged to its producer"
            } else {
                ""
            },
            if *committed {
                ", already committed"
            } else {
                ""
            },
        ),
        ReplicationEvent::FollowerResetToLogStartOffset {
            partition,
            broker,
            fetch_offset,
            log_start_offset,
        } => format!(
            "OFFSET_OUT_OF_RANGE: broker {broker} fetched {partition} at offset {}, below the leader's log start offset {} (retention deleted those records); it truncated its whole log and fetches from {} on.",
            fetch_offset.0, log_start_offset.0, log_start_offset.0
        ),
        _ => return None,
    };
    Some(said)
}

#[cfg(test)]
mod tests {
    use super::*;
    use orderflow_engine::assignor::TopicPartition;
    use orderflow_engine::cluster::replication::{Acks, AppendId, LossReason};
    use orderflow_engine::cluster::BrokerId;
    use orderflow_engine::ids::{Offset, PartitionId};

    fn orders_0() -> TopicPartition {
        TopicPartition {
            topic: "orders".into(),
            partition: PartitionId(0),
        }
    }

    #[test]
    fn lost_records_and_elections_are_announced_the_first_leader_is_not() {
        let lost = ReplicationEvent::RecordLost {
            partition: orders_0(),
            offset: Offset(4),
            append: AppendId(4),
            key: Some("user-5".into()),
            event_id: None,
            acks: Acks::Leader,
            acknowledged: true,
            committed: false,
            leader_epoch: 0,
            reason: LossReason::LeaderChange,
        };
        assert_eq!(
            cluster_announcement(&lost).unwrap(),
            "Record lost: orders-0 offset 4 key user-5, acknowledged to its producer."
        );
        let elected = |election| ReplicationEvent::LeaderElected {
            partition: orders_0(),
            leader: BrokerId(2),
            leader_epoch: 1,
            election,
        };
        assert_eq!(
            cluster_announcement(&elected(ElectionKind::Clean)).unwrap(),
            "Broker 2 now leads orders-0 (leader epoch 1, clean election)."
        );
        assert_eq!(cluster_announcement(&elected(ElectionKind::Initial)), None);
    }

    #[test]
    fn a_follower_reset_below_the_log_start_offset_is_announced_in_kafkas_words() {
        let reset = ReplicationEvent::FollowerResetToLogStartOffset {
            partition: orders_0(),
            broker: BrokerId(1),
            fetch_offset: Offset(120),
            log_start_offset: Offset(500),
        };
        assert_eq!(
            cluster_announcement(&reset).unwrap(),
            "OFFSET_OUT_OF_RANGE: broker 1 fetched orders-0 at offset 120, below the leader's log start offset 500 (retention deleted those records); it truncated its whole log and fetches from 500 on."
        );
    }

    #[test]
    fn a_static_members_close_and_return_are_announced_as_no_rebalance() {
        let left = TraceEvent::StaticMemberLeft {
            tick: orderflow_engine::ids::Tick(3),
            group: "billing".into(),
            member: "c1".into(),
            instance_id: "host-a".into(),
            session_timeout_ticks: 30,
        };
        assert_eq!(
            announcement(&left, &RebalanceLog::default()).unwrap(),
            "Static consumer c1 (host-a) of group billing closed without leaving the group; its partitions wait 30 ticks for it to come back."
        );
    }
}
