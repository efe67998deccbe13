//! The playground's presets: the engine's own scenarios, streaming
//! ([`orderflow_engine::scenario::presets`]) then sagas
//! ([`orderflow_engine::scenario::saga_presets`]), mirrored in `scenarios/*.json`, loaded as
//! they are. A preset's session is its scenario with nothing done yet, so the page runs the
//! very records `orderflow-cli run` prints for the same ticks (a test compares them).

use crate::session::Session;
use orderflow_engine::scenario::{
    cluster_presets, presets as engine_presets, saga_presets, Scenario,
};

/// A named scenario, ready to load.
#[derive(Clone, Debug, PartialEq)]
pub struct Preset {
    /// The engine scenario's name (`demo-topics`): the select's value and the JSON file name.
    pub id: String,
    /// The title shown to people.
    pub name: String,
    /// What the scenario shows, and how to see it in the page.
    pub description: String,
    /// True for a saga scenario (listed under "Sagas").
    pub saga: bool,
    pub session: Session,
}

/// The title of an engine scenario, for people (its name when it has no title).
pub fn title(id: &str) -> String {
    match id {
        "event-hubs-orders" => "Event Hubs order example",
        "user-events" => "user-events",
        "demo-topics" => "The five demo topics",
        "idle-seventh-consumer" => "Idle seventh consumer",
        "delivery-semantics" => "Delivery semantics",
        "eager-vs-cooperative" => "Eager vs cooperative",
        "producer-retries" => "Producer retries",
        other => other,
    }
    .to_string()
}

/// The session that starts from `scenario`: the scenario itself, nothing done yet.
pub fn session_from_scenario(scenario: &Scenario) -> Session {
    Session {
        preset: Some(scenario.name.clone()),
        ..Session::of_scenario(scenario.clone())
    }
}

/// How to see the scenario in the page, in words.
fn hints(scenario: &Scenario) -> Vec<String> {
    let mut hints = Vec::new();
    if !scenario.producers.is_empty() {
        hints.push(
            "The Producers panel shows each producer's settings and counters: press “Lose next ack”, then send through it, and find the retry's copy marked “duplicate of offset N” in its partition (or dropped, for an idempotent producer)."
                .to_string(),
        );
    }
    if scenario.saga.is_some() {
        hints.push(
            "The Sagas drawer shows each order's saga: its steps, then its compensations in the order they ran, and the balances."
                .to_string(),
        );
    }
    if let Some(ticks) = scenario.ticks {
        hints.push(format!(
            "Press Play: the scenario's story takes about {ticks} ticks."
        ));
    }
    hints
}

/// Every preset, the Event Hubs order example first: one per engine streaming scenario,
/// then the cluster scenarios (brokers, replicas, the ISR, acks), then one per saga
/// scenario.
pub fn presets() -> Vec<Preset> {
    engine_presets()
        .into_iter()
        .chain(cluster_presets())
        .chain(saga_presets())
        .map(|scenario| {
            let description = std::iter::once(scenario.description.replace('`', ""))
                .chain(hints(&scenario))
                .collect::<Vec<_>>()
                .join(" ");
            Preset {
                id: scenario.name.clone(),
                name: title(&scenario.name),
                description,
                saga: scenario.saga.is_some(),
                session: session_from_scenario(&scenario),
            }
        })
        .collect()
}

/// The preset named `id` (the engine scenario's name).
pub fn preset(id: &str) -> Option<Preset> {
    presets().into_iter().find(|p| p.id == id)
}

#[cfg(test)]
mod tests;
