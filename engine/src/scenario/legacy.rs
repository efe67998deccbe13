//! The older saga scenario shape, still read: `{"name", "description", "seed", "ticks",
//! "setup": {...}}`, from the time saga scenarios had a type of their own (and, before
//! that, an `engine` field naming one of two drivers, ignored like any unknown field).
//! It becomes a [`Scenario`] whose `saga` is the old `setup`.

use super::{Scenario, ScenarioError};
use crate::saga::config::SagaSetup;
use serde::Deserialize;

/// A saga scenario in the older shape.
#[derive(Deserialize)]
struct SagaScenario {
    name: String,
    description: String,
    seed: u64,
    ticks: u64,
    setup: SagaSetup,
}

impl From<SagaScenario> for Scenario {
    fn from(old: SagaScenario) -> Self {
        Scenario {
            name: old.name,
            description: old.description,
            seed: old.seed,
            ticks: Some(old.ticks),
            topics: Vec::new(),
            producers: Vec::new(),
            groups: Vec::new(),
            commands: Vec::new(),
            saga: Some(old.setup),
            cluster: Default::default(),
        }
    }
}

/// True when a JSON document has the older saga shape: an object with a `setup` object.
pub fn is_legacy(json: &serde_json::Value) -> bool {
    json.get("setup").is_some_and(serde_json::Value::is_object)
}

/// The scenario a JSON document of the older saga shape ([`is_legacy`]) converts to, or
/// why it does not read.
pub fn parse(json: serde_json::Value) -> Result<Scenario, ScenarioError> {
    SagaScenario::deserialize(json)
        .map(Scenario::from)
        .map_err(|e| ScenarioError::Json(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::Tick;
    use crate::scenario::{saga_preset, System};

    /// A saga file as it was written before the one scenario format (the crash scenario
    /// with outbox, when it still named its driver): it loads to the same scenario as the
    /// file of today and runs to the same trace.
    #[test]
    fn an_old_saga_file_loads_to_the_same_run() {
        let current = saga_preset("crash-with-outbox").unwrap();
        let mut old = serde_json::json!({
            "name": current.name,
            "description": current.description,
            "seed": current.seed,
            "ticks": current.ticks,
            "engine": "standalone",
            "setup": current.saga,
        });
        let json = old.to_string();
        let loaded = Scenario::from_json(&json).unwrap();
        assert_eq!(loaded, current);
        let run = |s: &Scenario| {
            let mut system = System::from_scenario(s).unwrap();
            let mut lines = system.trace_lines();
            while system.sim().now() < Tick(s.run_ticks()) {
                system.step();
                lines.extend(system.trace_lines());
            }
            (lines, serde_json::to_string(&system.summary()).unwrap())
        };
        let (lines, summary) = run(&loaded);
        assert!(lines.len() > 100);
        assert_eq!((lines, summary), run(&current));
        old["setup"]["config"]["partitions"] = "three".into();
        let e = Scenario::from_json(&old.to_string()).unwrap_err();
        assert!(
            e.to_string().contains("invalid type: string \"three\""),
            "{e}"
        );
    }
}
