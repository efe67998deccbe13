//! Validation of sessions: unknown, duplicate and late topics, order, sizes.

use super::*;
use crate::playground::tests::event;
use crate::playground::Playground;

#[test]
fn validate_rejects_unknown_and_duplicate_topics() {
    let mut s = Session::default();
    s.scenario.topics.push(Setup::default().topic_spec());
    assert!(matches!(
        s.validate(),
        Err(SessionError::DuplicateTopic { .. })
    ));
    let mut s = Session::default();
    s.actions.push(LoggedAction {
        tick: 0,
        command: Command::PublishOrder {
            topic: "nope".into(),
            event: event("U1", "O1", "Created"),
        }
        .into(),
    });
    assert!(matches!(
        s.validate(),
        Err(SessionError::InvalidAction { .. })
    ));
    let s = Session::default().with_topics(Vec::new());
    assert!(matches!(s.validate(), Err(SessionError::TopicCount { .. })));
}

#[test]
fn validate_rejects_out_of_order_and_oversized_sessions() {
    let s = Session {
        ticks: 5,
        actions: vec![
            LoggedAction {
                tick: 3,
                command: GeneratorConfig::set_command(ORDERS_TOPIC, None).into(),
            },
            LoggedAction {
                tick: 2,
                command: GeneratorConfig::set_command(ORDERS_TOPIC, None).into(),
            },
        ],
        ..Session::default()
    };
    assert!(matches!(
        s.validate(),
        Err(SessionError::OutOfOrder { index: 1, .. })
    ));
    let s = Session::default().with_topics(vec![Setup {
        partitions: 0,
        ..Setup::default()
    }]);
    assert!(matches!(s.validate(), Err(SessionError::Partitions { .. })));
    let s = Session {
        ticks: 1,
        actions: vec![LoggedAction {
            tick: 0,
            command: GeneratorConfig::default()
                .generate_command(ORDERS_TOPIC, MAX_BURST + 1)
                .into(),
        }],
        ..Session::default()
    };
    assert!(matches!(
        s.validate(),
        Err(SessionError::InvalidAction { index: 0, .. })
    ));
}

#[test]
fn validate_rejects_publishing_to_a_topic_before_it_is_created() {
    let mut pg = Playground::default();
    pg.step();
    pg.create_topic(Setup::named("refunds", 2)).unwrap();
    pg.publish_to("refunds", event("U1", "O1", "Created"));
    let mut session = pg.session().clone();
    // Move the publish before the creation: the topic does not exist yet then.
    let publish = session.actions.pop().unwrap();
    let at = session
        .actions
        .iter()
        .position(|a| matches!(a.command.as_sim(), Some(Command::CreateTopic(..))))
        .unwrap();
    session.actions.insert(at, publish);
    assert!(matches!(
        session.validate(),
        Err(SessionError::InvalidAction { .. })
    ));
    // A duplicate created topic is refused as well.
    let mut twice = pg.session().clone();
    twice.actions.push(LoggedAction {
        tick: twice.ticks,
        command: Command::CreateTopic(Setup::named("refunds", 1).topic_spec()).into(),
    });
    assert_eq!(
        twice.validate(),
        Err(SessionError::DuplicateTopic {
            name: "refunds".into()
        })
    );
}

#[test]
fn every_saga_preset_is_a_valid_session_and_saga_commands_need_a_saga() {
    use orderflow_engine::saga::command::SagaCommand;
    use orderflow_engine::scenario::ScenarioCommand;
    for scenario in orderflow_engine::scenario::saga_presets() {
        let s = Session {
            scenario,
            ..Session::default()
        };
        assert_eq!(s.validate(), Ok(()), "{}", s.scenario.name);
    }
    let mut s = Session::default();
    s.actions.push(LoggedAction {
        tick: 0,
        command: ScenarioCommand::Saga(SagaCommand::ResubmitDeadLetters {
            topic: "payments".into(),
        }),
    });
    assert!(matches!(
        s.validate(),
        Err(SessionError::NoSaga { index: 0, .. })
    ));
}
