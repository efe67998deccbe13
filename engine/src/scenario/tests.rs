use super::*;
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

#[test]
fn unknown_processor_is_a_clear_error() {
    let mut p = presets().remove(1);
    p.groups[0].processor = Some("nope".into());
    let err = Sim::from_scenario(&p).unwrap_err();
    assert!(err.to_string().contains("\"nope\""), "{err}");
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

/// The JSON files under `scenarios/` are generated from [`presets`]; regenerate with
/// `UPDATE_SCENARIOS=1 cargo test -p orderflow-engine scenarios_dir`.
#[test]
fn scenarios_dir_matches_presets() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let update = std::env::var_os("UPDATE_SCENARIOS").is_some();
    if update {
        std::fs::create_dir_all(&dir).unwrap();
    }
    for p in presets() {
        let path = dir.join(format!("{}.json", p.name));
        let json = p.to_json_pretty() + "\n";
        if update {
            std::fs::write(&path, &json).unwrap();
        }
        let on_disk = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e}; run UPDATE_SCENARIOS=1 cargo test -p orderflow-engine scenarios_dir",
                path.display()
            )
        });
        assert_eq!(on_disk, json, "{} is out of date; run UPDATE_SCENARIOS=1 cargo test -p orderflow-engine scenarios_dir", path.display());
    }
}
