//! The seed documents' streaming scenarios, one function each.

use super::{GroupSpec, Scenario, TopicSpec};
use crate::assignor::AssignmentStrategy;
use crate::command::{Command, TimedCommand};
use crate::generator::KeySpace;
use crate::group::{AutoOffsetReset, CommitPolicy, GroupConfig};
use crate::ids::{MemberId, Tick};
use crate::log::{OrderEvent, Payload};
use crate::partitioner::Partitioner;
use crate::producer::{Acks, ProducerConfig};
use std::collections::BTreeMap;

/// The seed documents' streaming scenarios, for the playground's presets.
pub fn presets() -> Vec<Scenario> {
    vec![
        event_hubs_orders(),
        user_events(),
        demo_topics(),
        idle_seventh_consumer(),
        delivery_semantics(),
        eager_vs_cooperative(),
        producer_retries(),
    ]
}

/// Event Hubs order example: 4 partitions keyed by UserId; three consumer groups.
fn event_hubs_orders() -> Scenario {
    Scenario {
        name: "event-hubs-orders".into(),
        processors: BTreeMap::new(),
        cluster: Default::default(),
        description: "Azure Event Hubs order example: an `orders` hub with 4 partitions, \
            partition key = UserId, so one user's order events stay in order on one \
            partition. Three consumer groups read the same stream independently: \
            OrderProcessor on 2 VMs, Notifier on 3 and Analytics on 1. At tick 60 one \
            OrderProcessor VM dies; after its session timeout its partitions move."
            .into(),
        seed: 42,
        ticks: Some(200),
        topics: vec![TopicSpec::new("orders", 4, Partitioner::EventHubs)],
        producers: vec![],
        groups: vec![
            group("OrderProcessor", &["orders"], &["vm1", "vm2"]),
            group("Notifier", &["orders"], &["vm1", "vm2", "vm3"]),
            {
                let mut g = group("Analytics", &["orders"], &["vm1"]);
                g.config.max_poll_records = 50;
                g
            },
        ],
        commands: vec![
            at(0, generator("orders", 2, "U", 8)),
            at(
                60,
                Command::KillMember {
                    group: "OrderProcessor".into(),
                    member: "vm2".into(),
                },
            ),
        ],
    }
}

/// user-events: 3 partitions, keys user-1..3.
fn user_events() -> Scenario {
    Scenario {
        name: "user-events".into(),
        processors: BTreeMap::new(),
        cluster: Default::default(),
        description: "The `user-events` topic: 3 partitions, keys user-1, user-2, user-3. \
            Every event of a key lands on the same partition, so each user's events are \
            ordered; there is no order across partitions. Three consumers share the work, \
            one partition each."
            .into(),
        seed: 7,
        ticks: Some(120),
        topics: vec![TopicSpec::new("user-events", 3, Partitioner::Murmur2)],
        producers: vec![],
        groups: vec![group(
            "user-events-processor",
            &["user-events"],
            &["consumer-1", "consumer-2", "consumer-3"],
        )],
        commands: vec![at(0, generate("user-events", 30, "user-", 3))],
    }
}

/// The five demo topics of the seed's topic-creation walkthrough.
fn demo_topics() -> Scenario {
    let demo_topics = [
        ("user-events", 3),
        ("orders", 3),
        ("payments", 5),
        ("notifications", 1),
        ("order-processing.DLQ", 3),
    ];
    Scenario {
        name: "demo-topics".into(),
        processors: BTreeMap::new(),
        cluster: Default::default(),
        description: "The five demo topics: user-events (3 partitions), orders (3), \
            payments (5), notifications (1) and order-processing.DLQ (3). Events flow into \
            the first four; the order-processing group consumes orders."
            .into(),
        seed: 11,
        ticks: Some(150),
        topics: demo_topics
            .iter()
            .map(|(name, partitions)| TopicSpec::new(name, *partitions, Partitioner::Murmur2))
            .collect(),
        producers: vec![],
        groups: vec![group(
            "order-processing",
            &["orders"],
            &["worker-1", "worker-2"],
        )],
        commands: vec![
            at(0, generate("user-events", 12, "user-", 3)),
            at(0, generator("orders", 1, "order-", 20)),
            at(0, generate("payments", 15, "order-", 20)),
            at(0, generate("notifications", 5, "user-", 3)),
        ],
    }
}

/// The idle seventh consumer: 6 partitions, 7 consumers.
fn idle_seventh_consumer() -> Scenario {
    Scenario {
        name: "idle-seventh-consumer".into(),
        processors: BTreeMap::new(),
        cluster: Default::default(),
        description: "Max parallelism = number of partitions. `orders` has 6 partitions; \
            group A runs 3 consumers (two partitions each), group B runs 6 (one each). At \
            tick 30 a seventh consumer C7 joins group B: after the rebalance it owns \
            nothing and sits idle."
            .into(),
        seed: 6,
        ticks: Some(120),
        topics: vec![TopicSpec::new("orders", 6, Partitioner::Murmur2)],
        producers: vec![],
        groups: vec![
            group("A", &["orders"], &["C1", "C2", "C3"]),
            group("B", &["orders"], &["C1", "C2", "C3", "C4", "C5", "C6"]),
        ],
        commands: vec![
            at(0, generator("orders", 3, "order-", 30)),
            at(
                30,
                Command::JoinGroup {
                    group: "B".into(),
                    member: "C7".into(),
                },
            ),
        ],
    }
}

/// Delivery semantics: the same stream into an at-least-once and an at-most-once group,
/// and a consumer of each killed mid-batch.
fn delivery_semantics() -> Scenario {
    let semantics_group = |name: &str, policy: CommitPolicy| {
        let mut g = group(name, &["orders"], &["c1", "c2"]);
        g.config.commit_policy = policy;
        g.config.max_poll_records = 10;
        g.config.processing_ticks_per_record = 1;
        g.config.auto_offset_reset = AutoOffsetReset::Earliest;
        g
    };
    Scenario {
        name: "delivery-semantics".into(),
        processors: BTreeMap::new(),
        cluster: Default::default(),
        description: "The same 60 order events go to two groups. at-least-once commits \
            after processing each batch; at-most-once commits right after polling. At tick \
            6, halfway through a batch, consumer c1 of each group is killed: at-least-once \
            redelivers what c1 processed but had not committed (duplicates), at-most-once \
            never processes what c1 had committed but not processed (lost)."
            .into(),
        seed: 3,
        ticks: Some(150),
        topics: vec![TopicSpec::new("orders", 3, Partitioner::Murmur2)],
        producers: vec![],
        groups: vec![
            semantics_group("at-least-once", CommitPolicy::AfterProcessing),
            semantics_group("at-most-once", CommitPolicy::BeforeProcessing),
        ],
        commands: vec![
            at(0, generate("orders", 60, "U", 6)),
            at(
                6,
                Command::KillMember {
                    group: "at-least-once".into(),
                    member: "c1".into(),
                },
            ),
            at(
                6,
                Command::KillMember {
                    group: "at-most-once".into(),
                    member: "c1".into(),
                },
            ),
        ],
    }
}

/// Eager versus cooperative rebalancing: the same group twice, a third consumer joins.
fn eager_vs_cooperative() -> Scenario {
    let rebalance_group = |name: &str, strategy: AssignmentStrategy| {
        let mut g = group(name, &["orders"], &["c1", "c2"]);
        g.config.strategy = strategy;
        g.config.rebalance_ticks = 4;
        g
    };
    Scenario {
        name: "eager-vs-cooperative".into(),
        processors: BTreeMap::new(),
        cluster: Default::default(),
        description: "Two groups read the same 6-partition topic with two consumers each: \
            `eager` uses the range assignor (eager protocol), `cooperative` uses \
            cooperative-sticky. At tick 30 a third consumer joins both. The eager group \
            revokes everything and stops consuming until the new assignment; the \
            cooperative group keeps consuming, revokes only the partitions that move to c3 \
            in a first round and hands them over in a second."
            .into(),
        seed: 9,
        ticks: Some(100),
        topics: vec![TopicSpec::new("orders", 6, Partitioner::Murmur2)],
        producers: vec![],
        groups: vec![
            rebalance_group("eager", AssignmentStrategy::Range),
            rebalance_group("cooperative", AssignmentStrategy::CooperativeSticky),
        ],
        commands: vec![
            at(0, generator("orders", 2, "U", 40)),
            at(
                30,
                Command::JoinGroup {
                    group: "eager".into(),
                    member: "c3".into(),
                },
            ),
            at(
                30,
                Command::JoinGroup {
                    group: "cooperative".into(),
                    member: "c3".into(),
                },
            ),
        ],
    }
}

/// Producer retries: the same lost acknowledgement with and without idempotence.
fn producer_retries() -> Scenario {
    Scenario {
        name: "producer-retries".into(),
        processors: BTreeMap::new(),
        cluster: Default::default(),
        description: "Two producers send the same events; 20% of acknowledgements are \
            lost and both retry. Without idempotence each retry after a lost ack appends \
            the record again (duplicates in the log); with idempotence the broker \
            recognises the producer id and sequence number and drops the retry."
            .into(),
        seed: 5,
        ticks: Some(30),
        topics: vec![
            TopicSpec::new("orders-plain", 3, Partitioner::Murmur2),
            TopicSpec::new("orders-idempotent", 3, Partitioner::Murmur2),
        ],
        producers: vec![
            ProducerConfig {
                name: "plain".into(),
                acks: Acks::All,
                retries: 3,
                idempotent: false,
                ack_loss_probability: 0.2,
            },
            ProducerConfig {
                name: "idempotent".into(),
                acks: Acks::All,
                retries: 3,
                idempotent: true,
                ack_loss_probability: 0.2,
            },
        ],
        groups: vec![],
        commands: (0..20u64)
            .flat_map(|i| {
                let value = Payload::Order(OrderEvent {
                    user_id: format!("U{}", i % 4),
                    order_id: format!("O{i}"),
                    status: "Created".into(),
                });
                ["plain", "idempotent"].map(|p| {
                    at(
                        i + 1,
                        Command::Send {
                            producer: p.into(),
                            topic: format!("orders-{p}"),
                            key: Some(format!("U{}", i % 4)),
                            value: value.clone(),
                        },
                    )
                })
            })
            .collect(),
    }
}

fn group(name: &str, topics: &[&str], members: &[&str]) -> GroupSpec {
    GroupSpec {
        config: GroupConfig::new(name, topics.iter().map(|t| t.to_string()).collect()),
        members: members.iter().map(|m| MemberId::from(*m)).collect(),
        processor: None,
    }
}

fn at(tick: u64, command: Command) -> TimedCommand {
    TimedCommand {
        at: Tick(tick),
        command,
    }
}

fn generator(topic: &str, records_per_tick: u32, key_prefix: &str, keys: u32) -> Command {
    Command::SetGenerator {
        topic: topic.into(),
        records_per_tick,
        key_space: KeySpace::new(key_prefix, keys),
    }
}

fn generate(topic: &str, count: u32, key_prefix: &str, keys: u32) -> Command {
    Command::Generate {
        topic: topic.into(),
        count,
        key_space: KeySpace::new(key_prefix, keys),
    }
}
