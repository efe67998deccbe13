//! What the group panels show and do: every consumer group's snapshot, settings, lag over
//! time, recent rebalances as partition moves, throughput and committed offsets per
//! partition, and creating a group with its first consumers.

#[cfg(test)]
mod tests;

use super::Playground;
use crate::rebalance::RebalanceEpisode;
use crate::session::MAX_TOPIC_NAME;
use litemap::LiteMap;
use orderflow_engine::assignor::TopicPartition;
use orderflow_engine::group::{GroupConfig, GroupSnapshot};
use orderflow_engine::ids::{MemberId, PartitionId};
use orderflow_engine::sim::{Command, SimError};

/// Most consumers a group created from the form starts with ("Add consumer" adds more).
pub const MAX_NEW_GROUP_CONSUMERS: u32 = 32;

/// Why a group was not created (nothing was logged). The message is shown to people.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum GroupError {
    #[error("a group needs a name of 1 to {max} characters")]
    Name { max: usize },
    #[error("consumer group {name:?} already exists")]
    Exists { name: String },
    #[error("group {name:?} needs at least one topic to subscribe to")]
    NoTopics { name: String },
    #[error("topic {topic:?} does not exist")]
    UnknownTopic { topic: String },
    #[error("a new group starts with at most {max} consumers, not {requested}")]
    TooManyConsumers { requested: u32, max: u32 },
    /// The engine refused the group or a member, in its own words.
    #[error(transparent)]
    Engine(#[from] SimError),
}

impl Playground {
    /// Names of the consumer groups, in name order.
    pub fn group_names(&self) -> Vec<String> {
        self.sim().groups().map(|g| g.name().to_string()).collect()
    }

    /// A read-only snapshot of a group (members, owned partitions, committed offsets, lag).
    pub fn group_snapshot(&self, name: &str) -> Option<GroupSnapshot> {
        self.sim().group_snapshot(name)
    }

    /// A group's settings.
    pub fn group_config(&self, name: &str) -> Option<GroupConfig> {
        self.sim().group(name).map(|g| g.config().clone())
    }

    /// A group's total lag over time: `(tick, lag)` samples, oldest first (bounded history).
    pub fn lag_history(&self, name: &str) -> Vec<(u64, u64)> {
        self.sim()
            .group(name)
            .map(|g| {
                g.lag_history()
                    .samples()
                    .iter()
                    .map(|s| (s.tick.0, s.total))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A group's recent rebalances as partition moves, oldest first.
    pub fn rebalances(&self, group: &str) -> Vec<RebalanceEpisode> {
        self.rebalances.episodes(group)
    }

    /// Records `group` processed per tick over the last
    /// [`crate::metrics::THROUGHPUT_WINDOW_TICKS`] ticks.
    pub fn group_throughput(&self, group: &str) -> f64 {
        self.throughput.group_rate(group, self.now())
    }

    /// Records a member processed per tick over the recent window.
    pub fn member_throughput(&self, group: &str, member: &MemberId) -> f64 {
        self.throughput.member_rate(group, member, self.now())
    }

    /// A member id not used before in `group` (`c1`, `c2`, ...): the first one no logged or
    /// scheduled join of the group used and no current member has.
    pub fn next_member_id(&self, group: &str) -> MemberId {
        let mut used: LiteMap<&str, ()> = LiteMap::new_vec();
        let scenario = &self.session.scenario;
        let logged = self
            .session
            .actions
            .iter()
            .filter_map(|a| a.command.as_sim());
        let timed = scenario.commands.iter().filter_map(|c| c.command.as_sim());
        for command in logged.chain(timed) {
            if let Command::JoinGroup { group: g, member } = command {
                if g == group {
                    used.insert(member.0.as_str(), ());
                }
            }
        }
        for g in scenario.groups.iter().filter(|g| g.config.name == group) {
            for m in &g.members {
                used.insert(m.0.as_str(), ());
            }
        }
        let members: Vec<String> = self
            .sim()
            .group_snapshot(group)
            .map(|s| s.members.iter().map(|m| m.id.0.clone()).collect())
            .unwrap_or_default();
        let mut n = 1;
        loop {
            let id = format!("c{n}");
            if !used.contains_key(id.as_str()) && !members.contains(&id) {
                return MemberId(id);
            }
            n += 1;
        }
    }

    /// Creates a consumer group subscribed to `config.topics` and joins `consumers` members
    /// (`c1`, `c2`, ...), all as logged engine commands. Refused, with nothing logged, when
    /// the name is empty or taken, no topic is picked, a topic does not exist, or
    /// `consumers` is above [`MAX_NEW_GROUP_CONSUMERS`].
    pub fn create_group(&mut self, config: GroupConfig, consumers: u32) -> Result<(), GroupError> {
        let name = config.name.trim().to_string();
        if name.is_empty() || name.len() > MAX_TOPIC_NAME {
            return Err(GroupError::Name {
                max: MAX_TOPIC_NAME,
            });
        }
        if self.sim().group(&name).is_some() {
            return Err(GroupError::Exists { name });
        }
        if config.topics.is_empty() {
            return Err(GroupError::NoTopics { name });
        }
        if let Some(missing) = config.topics.iter().find(|t| self.topic_spec(t).is_none()) {
            return Err(GroupError::UnknownTopic {
                topic: missing.clone(),
            });
        }
        if consumers > MAX_NEW_GROUP_CONSUMERS {
            return Err(GroupError::TooManyConsumers {
                requested: consumers,
                max: MAX_NEW_GROUP_CONSUMERS,
            });
        }
        let config = GroupConfig {
            name: name.clone(),
            ..config
        };
        self.try_command(Command::CreateGroup { config })?;
        for _ in 0..consumers {
            let member = self.next_member_id(&name);
            self.try_command(Command::JoinGroup {
                group: name.clone(),
                member,
            })?;
        }
        Ok(())
    }

    /// Per group, the committed offset of a partition of `topic` (the next offset the group
    /// reads).
    pub fn committed_markers(&self, topic: &str, partition: u32) -> Vec<(String, u64)> {
        let tp = TopicPartition {
            topic: topic.into(),
            partition: PartitionId(partition),
        };
        self.sim()
            .groups()
            .filter_map(|g| g.committed(&tp).map(|o| (g.name().to_string(), o.0)))
            .collect()
    }
}
