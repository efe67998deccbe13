use super::*;
use crate::ids::Tick;
use crate::trace::TraceEvent;

#[test]
fn every_preset_builds_and_runs() {
    for p in presets() {
        let mut sim = Sim::from_scenario(&p).unwrap_or_else(|e| panic!("{}: {e}", p.name));
        sim.run_until(Tick(p.run_ticks()));
        assert!(sim.trace_len() > 0, "{}", p.name);
        let json = p.to_json_pretty();
        assert_eq!(Scenario::from_json(&json).unwrap(), p, "{}", p.name);
    }
}

#[test]
fn idle_seventh_consumer_owns_nothing() {
    let p = presets()
        .into_iter()
        .find(|p| p.name == "idle-seventh-consumer")
        .unwrap();
    let mut sim = Sim::from_scenario(&p).unwrap();
    sim.run_until(Tick(60));
    let b = sim.group_snapshot("B").unwrap();
    assert_eq!(b.members.len(), 7);
    let c7 = b.members.iter().find(|m| m.id.as_str() == "C7").unwrap();
    assert!(c7.owned.is_empty());
    assert!(b
        .members
        .iter()
        .filter(|m| m.id.as_str() != "C7")
        .all(|m| m.owned.len() == 1));
}

#[test]
fn delivery_semantics_shows_duplicates_and_losses() {
    let p = presets()
        .into_iter()
        .find(|p| p.name == "delivery-semantics")
        .unwrap();
    let mut sim = Sim::from_scenario(&p).unwrap();
    sim.run_until(Tick(p.run_ticks()));
    let alo = sim.group_snapshot("at-least-once").unwrap().counters;
    let amo = sim.group_snapshot("at-most-once").unwrap().counters;
    assert!(alo.duplicates > 0 && alo.lost == 0, "{alo:?}");
    assert!(amo.lost > 0 && amo.duplicates == 0, "{amo:?}");
    assert_eq!(alo.processed - alo.duplicates, 60);
    assert_eq!(amo.processed + amo.lost, 60);
}

#[test]
fn producer_retries_duplicate_only_without_idempotence() {
    let p = presets()
        .into_iter()
        .find(|p| p.name == "producer-retries")
        .unwrap();
    let mut sim = Sim::from_scenario(&p).unwrap();
    sim.run_until(Tick(p.run_ticks()));
    let plain = sim.topic("orders-plain").unwrap().len();
    let idempotent = sim.topic("orders-idempotent").unwrap().len();
    assert_eq!(idempotent, 20);
    assert!(plain > 20, "plain producer duplicated: {plain}");
    let dropped = sim
        .producer("idempotent")
        .unwrap()
        .counters
        .duplicates_dropped;
    assert!(dropped > 0);
}

/// A saga command needs a saga: refused when the scenario is built, naming the command.
#[test]
fn a_saga_command_without_a_saga_is_a_clear_error() {
    let mut p = presets().remove(1);
    p.commands.push(TimedCommand {
        at: Tick(3),
        command: ScenarioCommand::Saga(crate::saga::command::SagaCommand::TakeDown {
            service: crate::saga::services::ServiceName::Payment,
        }),
    });
    let err = System::from_scenario(&p).unwrap_err();
    assert_eq!(
        err.to_string(),
        "scenario \"user-events\", command 1 (at tick 3): \"take_down\" is a saga command, and this scenario has no saga"
    );
}

/// A saga command scheduled for a later tick that fails then is on the saga trace, named
/// with its error (nobody is there to receive it).
#[test]
fn a_scheduled_saga_command_that_fails_is_traced() {
    let mut p = saga_preset("happy-path").unwrap();
    p.commands.push(TimedCommand {
        at: Tick(5),
        command: ScenarioCommand::Saga(crate::saga::command::SagaCommand::RebuildProjection {
            projection: crate::saga::projection::ProjectionKind::ALL[0],
        }),
    });
    p.commands.push(TimedCommand {
        at: Tick(5),
        command: ScenarioCommand::Saga(crate::saga::command::SagaCommand::ResubmitDeadLetters {
            topic: "nope".into(),
        }),
    });
    let mut system = System::from_scenario(&p).unwrap();
    system.run_until(Tick(4));
    assert!(!system
        .trace_lines()
        .iter()
        .any(|l| l.contains("command_rejected")));
    system.step();
    let lines = system.trace_lines();
    let rejected: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains("command_rejected"))
        .collect();
    assert_eq!(
        rejected,
        [
            r#"{"event":{"command":"resubmit_dead_letters","error":"\"nope\" is not a topic of the order flow","tick":5,"type":"command_rejected"},"type":"saga"}"#
        ]
    );
    assert!(lines.iter().any(|l| l.contains("projection_rebuilt")));
}

#[test]
fn eager_group_pauses_while_cooperative_group_keeps_consuming() {
    let p = presets()
        .into_iter()
        .find(|p| p.name == "eager-vs-cooperative")
        .unwrap();
    let mut sim = Sim::from_scenario(&p).unwrap();
    // The joins are scheduled for the end of tick 30.
    sim.run_until(Tick(29));
    let start = sim.trace_len();
    sim.run_until(Tick(p.run_ticks()));
    let events: Vec<&TraceEvent> = sim.trace_since(start).map(|(_, e)| e).collect();
    let window = |group: &str| {
        let ticks: Vec<Tick> = events
            .iter()
            .filter_map(|e| match e {
                TraceEvent::RebalanceStarted { tick, group: g, .. }
                | TraceEvent::RebalanceCompleted { tick, group: g, .. }
                    if g == group =>
                {
                    Some(*tick)
                }
                _ => None,
            })
            .collect();
        (ticks[0], *ticks.last().unwrap(), ticks.len())
    };
    let fetched_in = |group: &str, (from, to): (Tick, Tick)| {
        events
            .iter()
            .filter(|e| {
                matches!(e, TraceEvent::Fetched { tick, group: g, .. }
                if g == group && *tick > from && *tick < to)
            })
            .count()
    };
    let (eager_from, eager_to, eager_events) = window("eager");
    let (coop_from, coop_to, coop_events) = window("cooperative");
    assert_eq!(eager_events, 2, "one eager round");
    assert_eq!(coop_events, 4, "two cooperative rounds");
    // Eager members finish the batch in hand, revoke everything and poll nothing until
    // the new assignment; cooperative members keep polling their other partitions.
    assert_eq!(fetched_in("eager", (eager_from, eager_to)), 0);
    assert!(fetched_in("cooperative", (coop_from, coop_to)) > 0);
    for g in ["eager", "cooperative"] {
        let s = sim.group_snapshot(g).unwrap();
        assert!(s.members.iter().all(|m| m.owned.len() == 2), "{g}: {s:?}");
    }
}

/// Every file under `scenarios/` is compiled in (the presets are the files), in canonical
/// form: what the engine writes when it reads the file.
#[test]
fn every_scenario_file_is_compiled_in_and_canonical() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    on_disk.sort();
    let mut compiled: Vec<String> = presets::files().map(|(f, _)| format!("{f}.json")).collect();
    compiled.sort();
    assert_eq!(on_disk, compiled);
    for (file, json) in presets::files() {
        let scenario = Scenario::from_json(json).unwrap();
        assert_eq!(
            scenario.to_json_pretty() + "\n",
            json,
            "scenarios/{file}.json"
        );
        assert_eq!(file.strip_prefix("saga-").unwrap_or(file), scenario.name);
        assert_eq!(scenario.saga.is_some(), file.starts_with("saga-"), "{file}");
    }
    let names: Vec<String> = presets().into_iter().map(|p| p.name).collect();
    assert_eq!(
        names,
        [
            "event-hubs-orders",
            "user-events",
            "demo-topics",
            "idle-seventh-consumer",
            "delivery-semantics",
            "eager-vs-cooperative",
            "producer-retries"
        ]
    );
}

/// The example of ARCHITECTURE.md's "One scenario format" parses and runs: the group
/// reads every record, the saga completes despite Payment's outage, nothing is violated.
#[test]
fn the_documented_example_runs() {
    let doc = include_str!("../../../ARCHITECTURE.md");
    let section = doc
        .split("## One scenario format")
        .nth(1)
        .expect("the section exists");
    let json = section
        .split("```json")
        .nth(1)
        .and_then(|s| s.split("```").next())
        .expect("the section has a JSON example");
    let scenario = Scenario::from_json(json).unwrap();
    assert_eq!(
        Scenario::from_json(&scenario.to_json_pretty()).unwrap(),
        scenario
    );
    let mut system = System::from_scenario(&scenario).unwrap();
    system.run_until(Tick(scenario.run_ticks()));
    let billing = system.sim().group_snapshot("billing").unwrap();
    assert_eq!(billing.members.len(), 1);
    assert_eq!(billing.total_lag, 0);
    let saga = system.saga().unwrap();
    assert!(saga.is_settled());
    assert_eq!(saga.check_invariants(), Vec::<String>::new());
    let sagas = saga.summaries();
    assert_eq!(sagas.len(), 1);
    assert_eq!(
        sagas[0].state,
        crate::saga::orchestrator::SagaState::Completed
    );
    let downs = saga
        .world()
        .trace
        .iter()
        .filter(|e| matches!(e, crate::saga::trace::SagaTraceEvent::ServiceDown { .. }))
        .count();
    assert_eq!(downs, 1);
}
