//! Commits, lag, and offset resets.

use super::{ConsumerGroup, GroupError};
use crate::assignor::TopicPartition;
use crate::group::AutoOffsetReset;
use crate::group_protocol::{CommitReason, OffsetResetSpec};
use crate::ids::{MemberId, Offset, PartitionId, Tick};
use crate::lag::LagSample;
use crate::topic::Topic;
use crate::trace::{CommittedOffset, OffsetChange, TraceEvent};
use crate::world::World;
use std::collections::BTreeMap;

impl ConsumerGroup {
    /// Commits the member's positions of `partitions` that moved forward.
    pub(super) fn commit(
        &mut self,
        world: &mut World<'_>,
        member: &MemberId,
        reason: CommitReason,
        partitions: &[TopicPartition],
    ) {
        let Some(m) = self.members.get(member) else {
            return;
        };
        let mut offsets = Vec::new();
        for tp in partitions {
            let Some(&position) = m.positions.get(tp) else {
                continue;
            };
            let current = self.committed.get(tp).copied();
            if current.is_none_or(|c| position > c) {
                offsets.push(CommittedOffset {
                    partition: tp.clone(),
                    offset: position,
                });
            }
        }
        if offsets.is_empty() {
            return;
        }
        for c in &offsets {
            self.committed.insert(c.partition.clone(), c.offset);
        }
        self.counters.commits += 1;
        self.trace(
            world,
            TraceEvent::Committed {
                tick: world.now,
                group: self.config.name.clone(),
                member: member.clone(),
                reason,
                offsets,
            },
        );
    }

    pub(super) fn partition_list(&self, topics: &BTreeMap<String, Topic>) -> Vec<TopicPartition> {
        let mut out = Vec::new();
        for name in &self.config.topics {
            if let Some(t) = topics.get(name) {
                for p in 0..t.partition_count() {
                    out.push(t.topic_partition(PartitionId(p)));
                }
            }
        }
        out
    }

    pub(super) fn lag_of(&self, topics: &BTreeMap<String, Topic>, tp: &TopicPartition) -> u64 {
        let Some(log) = topics
            .get(&*tp.topic)
            .and_then(|t| t.partition(tp.partition))
        else {
            return 0;
        };
        let high = log.high_watermark();
        let base = match self.committed.get(tp) {
            Some(&c) => c,
            None => match self.config.auto_offset_reset {
                AutoOffsetReset::Earliest => log.log_start_offset(),
                AutoOffsetReset::Latest => high,
            },
        };
        high.0.saturating_sub(base.0)
    }

    pub(super) fn sample_lag(&mut self, world: &World<'_>) {
        let partitions: Vec<u64> = self
            .partition_list(world.topics)
            .iter()
            .map(|tp| self.lag_of(world.topics, tp))
            .collect();
        let total = partitions.iter().sum();
        let log_end = self
            .partition_list(world.topics)
            .iter()
            .filter_map(|tp| {
                world
                    .topics
                    .get(&*tp.topic)
                    .and_then(|t| t.partition(tp.partition))
            })
            .map(|log| log.high_watermark().0)
            .sum();
        self.lag_history.record(LagSample {
            tick: world.now,
            total,
            partitions,
            processed: self.counters.processed,
            log_end,
        });
    }

    /// Total lag over the group's partitions.
    pub fn total_lag(&self, topics: &BTreeMap<String, Topic>) -> u64 {
        self.partition_list(topics)
            .iter()
            .map(|tp| self.lag_of(topics, tp))
            .sum()
    }

    /// Resets committed offsets of `topic` (or every subscribed topic). Refused while the
    /// group has members, like Kafka.
    pub(crate) fn reset_offsets(
        &mut self,
        world: &mut World<'_>,
        topic: Option<&str>,
        spec: OffsetResetSpec,
    ) -> Result<Vec<OffsetChange>, GroupError> {
        if !self.members.is_empty() {
            return Err(GroupError::GroupNotInactive {
                group: self.config.name.clone(),
                state: self.state(),
                members: self.members.len(),
            });
        }
        if let Some(t) = topic {
            if !self.config.topics.iter().any(|s| s == t) {
                return Err(GroupError::NotSubscribed {
                    group: self.config.name.clone(),
                    topic: t.to_string(),
                });
            }
        }
        let mut changes = Vec::new();
        for tp in self.partition_list(world.topics) {
            if topic.is_some_and(|t| t != &*tp.topic) {
                continue;
            }
            let log = world.topics[&*tp.topic]
                .partition(tp.partition)
                .expect("listed partition exists");
            let (start, high) = (log.log_start_offset(), log.high_watermark());
            let current = self.committed.get(&tp).copied();
            let target = match &spec {
                OffsetResetSpec::ToEarliest => start.0,
                OffsetResetSpec::ToLatest => high.0,
                OffsetResetSpec::ToOffset { offset } => offset.0,
                OffsetResetSpec::ShiftBy { by } => {
                    let base = current.unwrap_or(match self.config.auto_offset_reset {
                        AutoOffsetReset::Earliest => start,
                        AutoOffsetReset::Latest => high,
                    });
                    base.0.saturating_add_signed(*by)
                }
                OffsetResetSpec::ToTick { tick } => log.offset_for_tick(*tick).0,
                OffsetResetSpec::ByDuration { ticks } => {
                    log.offset_for_tick(Tick(world.now.0.saturating_sub(*ticks)))
                        .0
                }
            };
            let target = Offset(target.clamp(start.0, high.0));
            self.committed.insert(tp.clone(), target);
            // A replay after a reset is intended, not a duplicate.
            self.processed_high.insert(tp.clone(), target);
            changes.push(OffsetChange {
                partition: tp,
                from: current,
                to: target,
            });
        }
        world.trace.push(TraceEvent::OffsetsReset {
            tick: world.now,
            group: self.config.name.clone(),
            spec,
            changes: changes.clone(),
        });
        Ok(changes)
    }
}
