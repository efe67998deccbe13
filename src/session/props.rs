//! Property tests of sessions: whatever a person does (publish, bursts, generators, topics
//! and groups added by hand, partitions added, setups changed, consumers killed, rewinds
//! and branches), the logged session validates, survives a JSON round trip, and replays to
//! the same records and groups without engine errors; and a session that passes
//! [`Session::validate`] never panics when replayed, however odd its contents.

use crate::playground::{records_without_epoch, Playground, RecordRow};
use crate::session::*;
use orderflow_engine::assignor::AssignmentStrategy;
use orderflow_engine::group::{GroupConfig, GroupSnapshot};
use orderflow_engine::ids::MemberId;
use orderflow_engine::ids::Tick;
use orderflow_engine::log::OrderEvent;
use orderflow_engine::partitioner::Partitioner;
use orderflow_engine::producer::{Acks, ProducerConfig};
use orderflow_engine::scenario::TimedCommand;
use orderflow_engine::sim::Command;
use proptest::prelude::*;

/// One thing a person does in the playground.
#[derive(Clone, Debug)]
enum Op {
    Publish {
        topic: usize,
        user: u8,
    },
    Burst {
        topic: usize,
        count: u32,
    },
    Generator {
        topic: usize,
        on: bool,
    },
    CreateTopic {
        name: u8,
        partitions: u32,
    },
    AddPartitions {
        topic: usize,
        extra: u32,
    },
    ChangeSetup {
        topic: usize,
        partitions: u32,
        partitioner: usize,
    },
    CreateGroup {
        name: u8,
        topics: u8,
        strategy: usize,
        consumers: u32,
    },
    Join {
        group: usize,
    },
    Kill {
        group: usize,
        member: usize,
    },
    Step {
        ticks: u8,
    },
    Rewind {
        back: u8,
    },
    AddProducer {
        name: u8,
        idempotent: bool,
    },
    LoseAcks {
        producer: usize,
        count: u32,
    },
    Send {
        producer: usize,
        topic: usize,
        user: u8,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..4usize, 0..12u8).prop_map(|(topic, user)| Op::Publish { topic, user }),
        1 => (0..4usize, 1..60u32).prop_map(|(topic, count)| Op::Burst { topic, count }),
        1 => (0..4usize, any::<bool>()).prop_map(|(topic, on)| Op::Generator { topic, on }),
        1 => (0..6u8, 0..6u32).prop_map(|(name, partitions)| Op::CreateTopic { name, partitions }),
        1 => (0..4usize, 1..3u32).prop_map(|(topic, extra)| Op::AddPartitions { topic, extra }),
        1 => (0..4usize, 1..7u32, 0..3usize)
            .prop_map(|(topic, partitions, partitioner)| Op::ChangeSetup { topic, partitions, partitioner }),
        1 => (0..4u8, any::<u8>(), 0..4usize, 0..4u32)
            .prop_map(|(name, topics, strategy, consumers)| Op::CreateGroup { name, topics, strategy, consumers }),
        1 => (0..6usize).prop_map(|group| Op::Join { group }),
        1 => (0..6usize, 0..4usize).prop_map(|(group, member)| Op::Kill { group, member }),
        3 => (1..6u8).prop_map(|ticks| Op::Step { ticks }),
        1 => (0..8u8).prop_map(|back| Op::Rewind { back }),
        1 => (0..3u8, any::<bool>()).prop_map(|(name, idempotent)| Op::AddProducer { name, idempotent }),
        1 => (0..3usize, 1..3u32).prop_map(|(producer, count)| Op::LoseAcks { producer, count }),
        2 => (0..3usize, 0..4usize, 0..12u8).prop_map(|(producer, topic, user)| Op::Send { producer, topic, user }),
    ]
}

fn pick<T: Clone>(items: &[T], index: usize) -> Option<T> {
    (!items.is_empty()).then(|| items[index % items.len()].clone())
}

/// Does `op` the way the panels do (refusals are fine: they must change nothing).
fn apply(pg: &mut Playground, op: &Op) -> Result<(), TestCaseError> {
    match op.clone() {
        op @ (Op::Publish { .. } | Op::Burst { .. } | Op::Generator { .. }) => publish(pg, op),
        op @ (Op::CreateTopic { .. } | Op::AddPartitions { .. } | Op::ChangeSetup { .. }) => {
            change_topics(pg, op)
        }
        op @ (Op::CreateGroup { .. } | Op::Join { .. } | Op::Kill { .. }) => change_groups(pg, op),
        Op::Step { ticks } => {
            for _ in 0..ticks {
                pg.step();
            }
        }
        Op::Rewind { back } => {
            let to = pg.now().saturating_sub(u64::from(back));
            pg.replay_to(to);
        }
        op @ (Op::AddProducer { .. } | Op::LoseAcks { .. } | Op::Send { .. }) => {
            return use_producers(pg, op)
        }
    }
    Ok(())
}

/// Publishes by hand, in a burst, or starts and stops a generator.
fn publish(pg: &mut Playground, op: Op) {
    let topics = pg.topic_names();
    match op {
        Op::Publish { topic, user } => {
            if let Some(topic) = pick(&topics, topic) {
                pg.publish_to(
                    &topic,
                    OrderEvent {
                        user_id: format!("U{user}"),
                        order_id: format!("O{user}"),
                        status: "Created".into(),
                    },
                );
            }
        }
        Op::Burst { topic, count } => {
            if let Some(topic) = pick(&topics, topic) {
                let generator = pg.generator_settings(&topic);
                pg.act(generator.generate_command(&topic, count));
                // Live, a burst runs in chunks; leave part of it pending sometimes.
                pg.run_burst(count / 2);
            }
        }
        Op::Generator { topic, on } => {
            if let Some(topic) = pick(&topics, topic) {
                let generator = on.then(|| GeneratorConfig {
                    orders_per_tick: 3,
                    ..GeneratorConfig::default()
                });
                pg.act(GeneratorConfig::set_command(&topic, generator.as_ref()));
            }
        }
        _ => unreachable!("publish is given {op:?}"),
    }
}

/// Creates a topic, adds partitions or changes a setup.
fn change_topics(pg: &mut Playground, op: Op) {
    let topics = pg.topic_names();
    match op {
        Op::CreateTopic { name, partitions } => {
            let _ = pg.create_topic(Setup::named(&format!("t{name}"), partitions));
        }
        Op::AddPartitions { topic, extra } => {
            if let Some(topic) = pick(&topics, topic) {
                let now = pg.partition_count(&topic);
                let _ = pg.add_partitions(&topic, now + extra);
            }
        }
        Op::ChangeSetup {
            topic,
            partitions,
            partitioner,
        } => {
            if let Some(topic) = pick(&topics, topic) {
                let mut setup = pg.setup(&topic).expect("listed topics have setups");
                setup.partitions = partitions;
                setup.partitioner = Partitioner::ALL[partitioner % Partitioner::ALL.len()];
                pg.change_setup(setup);
            }
        }
        _ => unreachable!("change_topics is given {op:?}"),
    }
}

/// Creates a group, joins a consumer or kills one.
fn change_groups(pg: &mut Playground, op: Op) {
    let topics = pg.topic_names();
    let groups = pg.group_names();
    match op {
        Op::CreateGroup {
            name,
            topics: mask,
            strategy,
            consumers,
        } => {
            let read: Vec<String> = topics
                .iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << (i % 8)) != 0)
                .map(|(_, t)| t.clone())
                .collect();
            let mut config = GroupConfig::new(format!("g{name}"), read);
            config.strategy = AssignmentStrategy::ALL[strategy % AssignmentStrategy::ALL.len()];
            let _ = pg.create_group(config, consumers);
        }
        Op::Join { group } => {
            if let Some(group) = pick(&groups, group) {
                let member = pg.next_member_id(&group);
                pg.act(Command::JoinGroup { group, member });
            }
        }
        Op::Kill { group, member } => {
            if let Some(group) = pick(&groups, group) {
                let members: Vec<MemberId> = pg
                    .group_snapshot(&group)
                    .map(|s| s.members.into_iter().map(|m| m.id).collect())
                    .unwrap_or_default();
                if let Some(member) = pick(&members, member) {
                    let _ = pg.try_act(Command::KillMember { group, member });
                }
            }
        }
        _ => unreachable!("change_groups is given {op:?}"),
    }
}

/// Adds a producer, loses its next acknowledgements or sends through it.
fn use_producers(pg: &mut Playground, op: Op) -> Result<(), TestCaseError> {
    let topics = pg.topic_names();
    let producers: Vec<String> = pg.producers().into_iter().map(|p| p.config.name).collect();
    match op {
        Op::AddProducer { name, idempotent } => {
            let mut config = ProducerConfig::new(format!("p{name}"));
            config.retries = 3;
            config.idempotent = idempotent;
            config.acks = Acks::All;
            let _ = pg.add_producer(config);
        }
        Op::LoseAcks { producer, count } => {
            if let Some(producer) = pick(&producers, producer) {
                let _ = pg.lose_next_acks(&producer, count);
            }
        }
        Op::Send {
            producer,
            topic,
            user,
        } => {
            if let (Some(producer), Some(topic)) =
                (pick(&producers, producer), pick(&topics, topic))
            {
                let event = OrderEvent {
                    user_id: format!("U{user}"),
                    order_id: format!("O{user}"),
                    status: "Paid".into(),
                };
                let sent = pg.send(&producer, &topic, Some(event.user_id.clone()), event);
                prop_assert!(sent.is_ok(), "send {} -> {}: {:?}", producer, topic, sent);
            }
        }
        _ => unreachable!("use_producers is given {op:?}"),
    }
    Ok(())
}

/// Per topic, per partition, its rows.
type TopicRows = Vec<(String, Vec<Vec<RecordRow>>)>;

/// What a person sees: the tick, every topic's records (without the replay epoch) and every
/// group.
fn fingerprint(pg: &Playground) -> (u64, TopicRows, Vec<GroupSnapshot>) {
    let topics = pg
        .topic_names()
        .into_iter()
        .map(|topic| {
            let partitions = records_without_epoch(pg, &topic);
            (topic, partitions)
        })
        .collect();
    let groups = pg
        .group_names()
        .iter()
        .filter_map(|g| pg.group_snapshot(g))
        .collect();
    (pg.now(), topics, groups)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn whatever_a_person_does_the_logged_session_replays_to_what_they_see(
        seed in any::<u64>(),
        ops in prop::collection::vec(op(), 1..40),
    ) {
        let mut session = Session::default();
        session.scenario.seed = seed;
        let mut pg = Playground::new(session);
        for op in &ops {
            apply(&mut pg, op)?;
        }
        // A burst still running is in the log already: let it finish, as the page would.
        while pg.run_burst(u32::MAX) {}
        let session = pg.session().clone();
        prop_assert_eq!(session.validate(), Ok(()), "seed {}", seed);
        let json = serde_json::to_string(&session).unwrap();
        let parsed: Session = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(&parsed, &session);
        let mut replayed = Playground::new(parsed);
        prop_assert_eq!(replayed.replay_errors(), 0, "seed {}", seed);
        // The live view may be rewound: look at the same tick.
        replayed.replay_to(pg.now());
        prop_assert_eq!(fingerprint(&replayed), fingerprint(&pg), "seed {}", seed);
    }

    #[test]
    fn a_session_that_validates_replays_without_panicking(
        seed in any::<u64>(),
        topics in prop::collection::vec((0..4u8, 0..5u32), 1..3),
        actions in prop::collection::vec((0..6u64, 0..4u8, 0..8u8, 0..5u32), 0..30),
        ticks in 0..8u64,
    ) {
        // Odd but possible contents: unknown groups and members, topics created twice or
        // with zero partitions, scenario commands timed in the past, empty keys.
        let topics: Vec<Setup> = topics
            .into_iter()
            .map(|(name, partitions)| Setup::named(&format!("t{name}"), partitions))
            .collect();
        let mut logged = Vec::new();
        let mut timed = Vec::new();
        let mut tick = 0;
        for (advance, kind, name, n) in actions {
            tick += advance % 2;
            let topic = format!("t{}", name % 4);
            let command = match kind {
                0 => Command::PublishOrder {
                    topic,
                    event: OrderEvent {
                        user_id: if n == 0 { String::new() } else { format!("U{n}") },
                        order_id: format!("O{n}"),
                        status: "Paid".into(),
                    },
                },
                1 => Command::CreateTopic(Setup::named(&topic, n).topic_spec()),
                2 => Command::JoinGroup {
                    group: format!("g{name}"),
                    member: MemberId(format!("c{n}")),
                },
                3 => Command::CreateGroup {
                    config: GroupConfig::new(format!("g{name}"), vec![topic]),
                },
                4 => {
                    timed.push(TimedCommand {
                        at: Tick(u64::from(n)),
                        command: Command::KillMember {
                            group: format!("g{name}"),
                            member: MemberId(format!("c{n}")),
                        }
                        .into(),
                    });
                    continue;
                }
                _ => GeneratorConfig::default().generate_command(&topic, n * 7),
            };
            logged.push(LoggedAction {
                tick,
                command: command.into(),
            });
        }
        let mut session = Session::default().with_topics(topics);
        session.scenario.seed = seed;
        session.scenario.groups.clear();
        session.scenario.commands = timed;
        session.ticks = ticks.max(tick);
        session.actions = logged;
        if session.validate().is_ok() {
            let mut pg = Playground::new(session.clone());
            pg.replay_to(ticks / 2);
            pg.step();
            let json = serde_json::to_string(pg.session()).unwrap();
            let again: Session = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(again.validate(), Ok(()));
        }
    }
}
