//! Partition assignors: given a group's members, their subscriptions and what they own now,
//! decide which member consumes which partition.
//!
//! The results equal Apache Kafka's client-side assignors for the same input, list order
//! included (checked against Kafka's own test cases, and against 5,081 random groups and
//! group-history rounds assigned by Kafka's code, see `engine/tests/kafka_assignor_vectors.rs`).
//! Rack awareness is not modelled.
//!
//! Static membership: a member may carry a `group.instance.id`
//! ([`MemberSubscription::group_instance_id`]). The range and round-robin assignors then order
//! members like Kafka's `AbstractPartitionAssignor.MemberInfo`: static members first, by
//! instance id, then dynamic members by member id. A static member that restarts comes back
//! with a new member id but the same instance id, so it gets the same partitions. The sticky
//! assignors ignore instance ids, as Kafka's do (they keep partitions through the owned
//! partitions instead). Keeping a restarted static member's partitions without any
//! rebalance (within the session timeout) is the group coordinator's part, not the
//! assignor's; the consumer groups do not model it yet.
//!
//! | [`AssignmentStrategy`] | Kafka class | protocol |
//! |---|---|---|
//! | `range` | `RangeAssignor`: per topic, contiguous ranges in member-id order | eager |
//! | `roundrobin` | `RoundRobinAssignor`: all partitions dealt in turn | eager |
//! | `sticky` | `StickyAssignor`: balanced, moving as little as possible | eager |
//! | `cooperative-sticky` | `CooperativeStickyAssignor`: sticky, and a partition changing owner is withheld until revoked | cooperative |
//!
//! [`assign`] is the entry point (the consumer-group coordinator calls it at each rebalance,
//! the CLI's `assign` command exposes it); [`assign_detailed`] also says which partitions the
//! cooperative protocol withholds. Ties are broken exactly as the Java client breaks them,
//! which needs a little of Java's own behaviour (string order, `HashMap` iteration order):
//! see the private `java` module.

pub(crate) mod java;
#[cfg(test)]
mod proptests;
mod range;
mod round_robin;
mod sticky;
#[cfg(test)]
mod test_support;

use crate::ids::PartitionId;
use litemap::LiteMap;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use thiserror::Error;

/// A partition of a named topic, written `topic-partition` like Kafka's `TopicPartition`.
///
/// The name is shared (`Arc<str>`): a partition is copied into every produce request, map
/// key and trace event of a record, and a shared name is copied without allocating.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TopicPartition {
    /// Topic name.
    pub topic: Arc<str>,
    /// Partition number inside the topic.
    pub partition: PartitionId,
}

impl TopicPartition {
    /// Partition `partition` of `topic`.
    pub fn new(topic: impl Into<Arc<str>>, partition: u32) -> Self {
        Self {
            topic: topic.into(),
            partition: PartitionId(partition),
        }
    }
}

impl fmt::Display for TopicPartition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.topic, self.partition.0)
    }
}

impl std::str::FromStr for TopicPartition {
    type Err = AssignorError;

    /// Parses `topic-N`; the topic name may itself contain dashes.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || AssignorError::BadTopicPartition(s.to_string());
        let (topic, partition) = s.rsplit_once('-').ok_or_else(bad)?;
        if topic.is_empty() {
            return Err(bad());
        }
        let partition = partition.parse::<u32>().map_err(|_| bad())?;
        Ok(Self::new(topic, partition))
    }
}

impl Serialize for TopicPartition {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TopicPartition {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Which assignor a group uses (Kafka's `partition.assignment.strategy`), named as Kafka names
/// them (`range`, `roundrobin`, `sticky`, `cooperative-sticky`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum AssignmentStrategy {
    /// `org.apache.kafka.clients.consumer.RangeAssignor`.
    #[default]
    #[serde(rename = "range")]
    Range,
    /// `org.apache.kafka.clients.consumer.RoundRobinAssignor`.
    #[serde(rename = "roundrobin")]
    RoundRobin,
    /// `org.apache.kafka.clients.consumer.StickyAssignor` (eager protocol).
    #[serde(rename = "sticky")]
    Sticky,
    /// `org.apache.kafka.clients.consumer.CooperativeStickyAssignor` (incremental protocol).
    #[serde(rename = "cooperative-sticky")]
    CooperativeSticky,
}

crate::unit_enum_reader!(AssignmentStrategy {
    "range" => Range,
    "roundrobin" => RoundRobin,
    "sticky" => Sticky,
    "cooperative-sticky" => CooperativeSticky,
});

impl AssignmentStrategy {
    /// Every strategy, in the order the UI lists them.
    pub const ALL: [AssignmentStrategy; 4] = [
        AssignmentStrategy::Range,
        AssignmentStrategy::RoundRobin,
        AssignmentStrategy::Sticky,
        AssignmentStrategy::CooperativeSticky,
    ];

    /// Kafka's name for the assignor (`ConsumerPartitionAssignor.name()`).
    pub fn name(self) -> &'static str {
        match self {
            AssignmentStrategy::Range => "range",
            AssignmentStrategy::RoundRobin => "roundrobin",
            AssignmentStrategy::Sticky => "sticky",
            AssignmentStrategy::CooperativeSticky => "cooperative-sticky",
        }
    }

    /// Cooperative assignors use the incremental rebalance protocol: only the partitions that
    /// move are revoked, in a first round, and assigned in a second.
    pub fn is_cooperative(self) -> bool {
        matches!(self, AssignmentStrategy::CooperativeSticky)
    }
}

impl fmt::Display for AssignmentStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for AssignmentStrategy {
    type Err = AssignorError;

    /// Parses Kafka's assignor name (`range`, `roundrobin`, `sticky`, `cooperative-sticky`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AssignmentStrategy::ALL
            .into_iter()
            .find(|strategy| strategy.name() == s)
            .ok_or_else(|| AssignorError::UnknownStrategy(s.to_string()))
    }
}

/// One member's part of the input: what it subscribes to and what it owned before.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberSubscription {
    /// The member's id in the group (Kafka's `member.id`); unique within the input.
    pub member_id: String,
    /// Topics the member subscribes to (duplicates are ignored; topics that do not exist
    /// contribute nothing).
    pub topics: Vec<String>,
    /// Partitions the member owned after the previous rebalance (Kafka: the subscription's
    /// `ownedPartitions`, or the sticky assignor's user data).
    #[serde(default)]
    pub owned_partitions: Vec<TopicPartition>,
    /// Generation in which `owned_partitions` were assigned; -1 means none.
    #[serde(default = "no_generation")]
    pub generation: i32,
    /// Kafka's `group.instance.id`: set for a static member, which keeps it across restarts
    /// (its member id changes). Unique within the input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_instance_id: Option<String>,
}

/// The most partitions (summed over subscribed topics) an assignment may involve. Kafka's own
/// stress test assigns a million; beyond that the input is treated as a mistake rather than
/// left to exhaust memory.
pub const MAX_SUBSCRIBED_PARTITIONS: u64 = 1_000_000;

/// Kafka's `AbstractStickyAssignor.DEFAULT_GENERATION`: the member reports no generation.
pub const NO_GENERATION: i32 = -1;

fn no_generation() -> i32 {
    NO_GENERATION
}

/// Everything an assignor sees.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignmentInput {
    /// Partition count per topic.
    pub topics: BTreeMap<String, u32>,
    /// The group's members, in the order the coordinator lists them (Kafka's leader receives
    /// them in join order; the sticky assignors' tie-breaks depend on it through Java's
    /// `HashMap` iteration order, which [`assign`] reproduces).
    pub members: Vec<MemberSubscription>,
}

/// The result: every member, with its partitions (possibly none), each list in the order
/// Kafka's assignor produces it.
pub type Assignment = BTreeMap<String, Vec<TopicPartition>>;

/// [`assign_detailed`]'s result: the assignment plus what the cooperative protocol withholds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignmentOutcome {
    /// What each member is told to own after this rebalance round.
    pub assignment: Assignment,
    /// Cooperative only: partitions that move from a previous owner to another member. They
    /// are left out of `assignment` this round (the previous owner must revoke them first)
    /// and go to the named member in the follow-up rebalance. Empty for eager strategies.
    pub withheld: BTreeMap<TopicPartition, String>,
}

/// Errors from parsing or validating assignor input, and the inputs on which Kafka's own
/// assignor throws.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum AssignorError {
    /// Text that is not `topic-N`.
    #[error("{0:?} is not a topic partition (expected TOPIC-N)")]
    BadTopicPartition(String),
    /// Two members share an id.
    #[error("member {0:?} appears twice")]
    DuplicateMember(String),
    /// Two members share a `group.instance.id` (Kafka's coordinator fences the older one,
    /// so an assignor never sees that).
    #[error("members {first:?} and {second:?} share group.instance.id {group_instance_id:?}")]
    DuplicateGroupInstanceId {
        /// The shared instance id.
        group_instance_id: String,
        /// The member listed first with it.
        first: String,
        /// The member listed next with it.
        second: String,
    },
    /// A member lists the same owned partition twice.
    #[error("member {member_id:?} lists owned partition {partition} twice")]
    DuplicateOwnedPartition {
        /// The member.
        member_id: String,
        /// The partition.
        partition: TopicPartition,
    },
    /// More than [`MAX_SUBSCRIBED_PARTITIONS`] partitions to assign.
    #[error("the subscribed topics have {total} partitions; at most {max} are supported")]
    TooManyPartitions {
        /// Partitions in the input.
        total: u64,
        /// The most allowed.
        max: u64,
    },
    /// Not one of Kafka's assignor names.
    #[error("unknown assignment strategy {0:?} (expected range, roundrobin, sticky or cooperative-sticky)")]
    UnknownStrategy(String),
    /// Kafka's assignor throws on this input (an `IllegalStateException` or a
    /// `NullPointerException`); we report it instead of inventing a result.
    #[error("Kafka's {strategy} assignor fails on this input: {reason}")]
    KafkaAssignorFails {
        /// The assignor.
        strategy: &'static str,
        /// Why it failed.
        reason: &'static str,
    },
}

/// Runs the chosen assignor. Members subscribed to topics missing from `input.topics` (or
/// with 0 partitions) get nothing for them, as in Kafka where such topics have no metadata.
/// Owned partitions that do not exist (unknown topic, or partition number beyond the count)
/// are ignored, like Kafka ignores owned partitions of deleted topics.
///
/// For [`AssignmentStrategy::CooperativeSticky`] this is the assignment of this round, with
/// the partitions that must first be revoked left out (see [`assign_detailed`]).
pub fn assign(
    strategy: AssignmentStrategy,
    input: &AssignmentInput,
) -> Result<Assignment, AssignorError> {
    assign_detailed(strategy, input).map(|outcome| outcome.assignment)
}

/// [`assign`], also returning the partitions the cooperative protocol withholds this round
/// and who will get them.
pub fn assign_detailed(
    strategy: AssignmentStrategy,
    input: &AssignmentInput,
) -> Result<AssignmentOutcome, AssignorError> {
    let prepared = Prepared::new(input)?;
    let by_index = |lists: Vec<Vec<TopicPartition>>| -> Assignment {
        crate::sort::map_of(
            prepared
                .members
                .iter()
                .zip(lists)
                .map(|(m, list)| (m.id.clone(), list)),
        )
    };
    if prepared.members.is_empty() {
        return Ok(AssignmentOutcome::default());
    }
    Ok(match strategy {
        AssignmentStrategy::Range => AssignmentOutcome {
            assignment: by_index(range::assign(&prepared)),
            withheld: BTreeMap::new(),
        },
        AssignmentStrategy::RoundRobin => AssignmentOutcome {
            assignment: by_index(round_robin::assign(&prepared)),
            withheld: BTreeMap::new(),
        },
        AssignmentStrategy::Sticky => AssignmentOutcome {
            assignment: by_index(sticky::assign(&prepared, strategy)?.assignment),
            withheld: BTreeMap::new(),
        },
        AssignmentStrategy::CooperativeSticky => {
            let round = sticky::assign_cooperative(&prepared)?;
            AssignmentOutcome {
                assignment: by_index(round.assignment),
                withheld: crate::sort::map_of(
                    round
                        .withheld
                        .into_iter()
                        .map(|(tp, member)| (tp, prepared.members[member].id.clone())),
                ),
            }
        }
    })
}

/// The input as Kafka's `AbstractPartitionAssignor` hands it to an assignor: duplicate topics
/// in a subscription collapsed (Kafka's client subscribes with a set), and
/// `partitions_per_topic` holding only subscribed topics that have partitions.
#[derive(Clone, Debug)]
pub(crate) struct Prepared {
    /// Members in input order; assignors refer to them by index.
    pub members: Vec<PreparedMember>,
    pub partitions_per_topic: BTreeMap<String, u32>,
}

#[derive(Clone, Debug)]
pub(crate) struct PreparedMember {
    pub id: String,
    pub topics: Vec<String>,
    /// Owned partitions that exist, in the order given.
    pub owned: Vec<TopicPartition>,
    pub generation: i32,
    pub group_instance_id: Option<String>,
}

impl Prepared {
    fn new(input: &AssignmentInput) -> Result<Self, AssignorError> {
        let mut seen: LiteMap<&str, ()> = LiteMap::new_vec();
        let mut instances: LiteMap<&str, &str> = LiteMap::new_vec();
        let mut members = Vec::with_capacity(input.members.len());
        for m in &input.members {
            if seen.insert(m.member_id.as_str(), ()).is_some() {
                return Err(AssignorError::DuplicateMember(m.member_id.clone()));
            }
            if let Some(instance) = &m.group_instance_id {
                if let Some(first) = instances.insert(instance, &m.member_id) {
                    return Err(AssignorError::DuplicateGroupInstanceId {
                        group_instance_id: instance.clone(),
                        first: first.to_string(),
                        second: m.member_id.clone(),
                    });
                }
            }
            let mut owned_seen: LiteMap<&TopicPartition, ()> = LiteMap::new_vec();
            for tp in &m.owned_partitions {
                if owned_seen.insert(tp, ()).is_some() {
                    return Err(AssignorError::DuplicateOwnedPartition {
                        member_id: m.member_id.clone(),
                        partition: tp.clone(),
                    });
                }
            }
            let mut topics: Vec<String> = Vec::with_capacity(m.topics.len());
            for t in &m.topics {
                if !topics.contains(t) {
                    topics.push(t.clone());
                }
            }
            let owned = m
                .owned_partitions
                .iter()
                .filter(|tp| {
                    input
                        .topics
                        .get(&*tp.topic)
                        .is_some_and(|&count| tp.partition.0 < count)
                })
                .cloned()
                .collect();
            members.push(PreparedMember {
                id: m.member_id.clone(),
                topics,
                owned,
                generation: m.generation,
                group_instance_id: m.group_instance_id.clone(),
            });
        }
        let partitions_per_topic: BTreeMap<String, u32> = crate::sort::map_of(
            members
                .iter()
                .flat_map(|m| m.topics.iter())
                .filter_map(|t| match input.topics.get(t) {
                    Some(&count) if count > 0 => Some((t.clone(), count)),
                    _ => None,
                }),
        );
        let total: u64 = partitions_per_topic.values().map(|&c| u64::from(c)).sum();
        if total > MAX_SUBSCRIBED_PARTITIONS {
            return Err(AssignorError::TooManyPartitions {
                total,
                max: MAX_SUBSCRIBED_PARTITIONS,
            });
        }
        Ok(Self {
            members,
            partitions_per_topic,
        })
    }

    /// Member indices in the iteration order of Kafka's `Map<String, Subscription>` (a
    /// `HashMap` the group leader fills in join order).
    pub(crate) fn subscription_order(&self) -> Vec<usize> {
        java::hash_order(
            (0..self.members.len()).collect(),
            |&i| java::string_hash_code(&self.members[i].id),
            java::default_capacity(self.members.len()),
        )
    }

    /// Topics of `partitions_per_topic` in the iteration order of Kafka's `partitionsPerTopic`
    /// `HashMap`, which `AbstractPartitionAssignor` fills while iterating the `HashSet` of all
    /// subscribed topics (itself filled while iterating the subscriptions).
    pub(crate) fn partitions_per_topic_order(&self) -> Vec<String> {
        let mut all_subscribed: Vec<&str> = Vec::new();
        for i in self.subscription_order() {
            for t in &self.members[i].topics {
                if !all_subscribed.contains(&t.as_str()) {
                    all_subscribed.push(t);
                }
            }
        }
        let capacity = java::default_capacity(all_subscribed.len());
        let with_metadata: Vec<String> =
            java::hash_order(all_subscribed, |t| java::string_hash_code(t), capacity)
                .into_iter()
                .filter(|t| self.partitions_per_topic.contains_key(*t))
                .map(str::to_string)
                .collect();
        let capacity = java::default_capacity(with_metadata.len());
        java::hash_order(with_metadata, |t| java::string_hash_code(t), capacity)
    }

    /// Member indices sorted by member id as Java sorts strings.
    pub(crate) fn members_sorted_by_id(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.members.len()).collect();
        crate::sort::sort_by(&mut order, |&a, &b| {
            java::compare_strings(&self.members[a].id, &self.members[b].id)
        });
        order
    }

    /// Member indices in the order of Kafka's `MemberInfo.compareTo`, which the range and
    /// round-robin assignors sort by: static members first, by `group.instance.id`, then
    /// dynamic members by member id. Why instance ids: a restarted static member has a new
    /// member id, and sorting by it would hand it (and everyone after it) other partitions.
    pub(crate) fn members_in_member_info_order(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.members.len()).collect();
        crate::sort::sort_by(&mut order, |&a, &b| {
            let (a, b) = (&self.members[a], &self.members[b]);
            match (&a.group_instance_id, &b.group_instance_id) {
                (Some(x), Some(y)) => java::compare_strings(x, y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => java::compare_strings(&a.id, &b.id),
            }
        });
        order
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::test_support::*;

    #[test]
    fn strategies_parse_and_print_kafkas_names() {
        for strategy in AssignmentStrategy::ALL {
            assert_eq!(strategy.name().parse::<AssignmentStrategy>(), Ok(strategy));
            let json = serde_json::to_string(&strategy).unwrap();
            assert_eq!(json, format!("\"{}\"", strategy.name()));
        }
        assert_eq!(
            "round-robin".parse::<AssignmentStrategy>(),
            Err(AssignorError::UnknownStrategy("round-robin".into()))
        );
        let cooperative: Vec<_> = AssignmentStrategy::ALL
            .into_iter()
            .filter(|s| s.is_cooperative())
            .collect();
        assert_eq!(cooperative, vec![AssignmentStrategy::CooperativeSticky]);
    }

    #[test]
    fn duplicate_members_and_owned_partitions_are_errors() {
        let twice = input(
            &[("t", 2)],
            vec![member("c1", &["t"]), member("c1", &["t"])],
        );
        assert_eq!(
            assign(AssignmentStrategy::Range, &twice),
            Err(AssignorError::DuplicateMember("c1".into()))
        );
        let owned_twice = input(&[("t", 2)], vec![owning("c1", &["t"], &["t-0", "t-0"], 1)]);
        assert_eq!(
            assign(AssignmentStrategy::Sticky, &owned_twice),
            Err(AssignorError::DuplicateOwnedPartition {
                member_id: "c1".into(),
                partition: TopicPartition::new("t", 0)
            })
        );
    }

    #[test]
    fn members_sharing_an_instance_id_are_an_error() {
        let mut group = input(
            &[("t", 2)],
            vec![
                member("c1", &["t"]),
                member("c2", &["t"]),
                member("c3", &["t"]),
            ],
        );
        group.members[0].group_instance_id = Some("host-a".into());
        group.members[2].group_instance_id = Some("host-a".into());
        let error = assign(AssignmentStrategy::RoundRobin, &group).unwrap_err();
        assert_eq!(
            error,
            AssignorError::DuplicateGroupInstanceId {
                group_instance_id: "host-a".into(),
                first: "c1".into(),
                second: "c3".into(),
            }
        );
        assert_eq!(
            error.to_string(),
            "members \"c1\" and \"c3\" share group.instance.id \"host-a\""
        );
    }

    /// Kafka's `MemberInfo.compareTo`: static members first, by instance id in Java's string
    /// order (U+1F600 is a surrogate pair, below U+FF61 in UTF-16), then dynamic ones by
    /// member id.
    #[test]
    fn member_info_order_puts_static_members_first_by_instance_id() {
        let mut group = input(
            &[("t", 4)],
            vec![
                member("a-dynamic", &["t"]),
                member("b", &["t"]),
                member("c", &["t"]),
                member("0-dynamic", &["t"]),
            ],
        );
        group.members[1].group_instance_id = Some("\u{ff61}".into());
        group.members[2].group_instance_id = Some("\u{1f600}".into());
        let a = assign(AssignmentStrategy::Range, &group).unwrap();
        assert_eq!(a["c"], tps(&["t-0"]));
        assert_eq!(a["b"], tps(&["t-1"]));
        assert_eq!(a["0-dynamic"], tps(&["t-2"]));
        assert_eq!(a["a-dynamic"], tps(&["t-3"]));
    }

    #[test]
    fn group_instance_id_is_optional_in_json() {
        let input: AssignmentInput = serde_json::from_str(
            r#"{"topics": {"t": 1}, "members": [
                {"member_id": "c1", "topics": ["t"], "group_instance_id": "host-a"},
                {"member_id": "c2", "topics": ["t"]}]}"#,
        )
        .unwrap();
        assert_eq!(
            input.members[0].group_instance_id.as_deref(),
            Some("host-a")
        );
        assert_eq!(input.members[1].group_instance_id, None);
        let json = serde_json::to_string(&input.members[1]).unwrap();
        assert!(!json.contains("group_instance_id"), "{json}");
    }

    #[test]
    fn an_empty_group_gets_an_empty_assignment() {
        for strategy in AssignmentStrategy::ALL {
            assert_eq!(
                assign(strategy, &input(&[("t", 3)], vec![])),
                Ok(Assignment::new())
            );
        }
    }

    /// Kafka's `allSubscriptionsEqual` starts from the first member's topics; when those are
    /// empty (a pattern subscription matching nothing), the next member's topics take their
    /// place and the group counts as equally subscribed, so the constrained path deals the
    /// partitions to the member without topics too. Java's `HashMap` visits "consumer2"
    /// before "consumer1", so consumer2's empty subscription comes first here.
    #[test]
    fn empty_subscription_counts_as_equal_like_kafka() {
        let a = assign(
            AssignmentStrategy::Sticky,
            &input(
                &[("t", 2)],
                vec![member("consumer1", &["t"]), member("consumer2", &[])],
            ),
        )
        .unwrap();
        assert_eq!(a["consumer1"], tps(&["t-0"]));
        assert_eq!(a["consumer2"], tps(&["t-1"]));
        // The other way round the first member's topics are non-empty, the subscriptions
        // differ, and the general path respects them.
        let a = assign(
            AssignmentStrategy::Sticky,
            &input(
                &[("t", 2)],
                vec![member("consumer1", &[]), member("consumer2", &["t"])],
            ),
        )
        .unwrap();
        assert!(a["consumer1"].is_empty());
        assert_eq!(a["consumer2"], tps(&["t-0", "t-1"]));
    }

    #[test]
    fn input_json_uses_defaults_and_rejects_unknown_fields() {
        let input: AssignmentInput = serde_json::from_str(
            r#"{"topics": {"t": 3}, "members": [{"member_id": "c1", "topics": ["t"]}]}"#,
        )
        .unwrap();
        assert_eq!(input.members[0].generation, NO_GENERATION);
        assert!(input.members[0].owned_partitions.is_empty());
        assert!(serde_json::from_str::<AssignmentInput>(
            r#"{"topics": {}, "members": [{"member_id": "c1", "topics": [], "owned": []}]}"#
        )
        .is_err());
    }

    #[test]
    fn topic_partition_round_trips_through_text_with_dashes_in_the_name() {
        let tp: TopicPartition = "order-processing.DLQ-2".parse().unwrap();
        assert_eq!(tp, TopicPartition::new("order-processing.DLQ", 2));
        assert_eq!(tp.to_string(), "order-processing.DLQ-2");
        assert!("nodash".parse::<TopicPartition>().is_err());
        assert!("t-x".parse::<TopicPartition>().is_err());
    }
}
