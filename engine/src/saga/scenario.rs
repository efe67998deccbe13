//! Named scenarios for the seed documents' order flows; the UI offers them as presets and
//! the CLI runs them. Each is plain data (serde), so it can be shared as JSON, and runs on
//! the streaming engine's consumer groups ([`StreamingSaga`]).
//!
//! Files written before there was one driver carry an `engine` field
//! (`"standalone"` or `"consumer_groups"`); it is ignored, like any unknown field, and the
//! scenario runs on consumer groups.

mod named;
#[cfg(test)]
mod tests;

pub use named::{named_scenario, named_scenarios, order, renamed};

use super::command::SagaCommand;
use super::config::{SagaSetup, SagaSetupError};
use super::services::SagaMode;
use super::streaming::StreamingSaga;
use super::summary::SagaRunSummary;
use crate::ids::Tick;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Errors from reading a saga scenario.
#[derive(Debug, Error)]
pub enum SagaScenarioError {
    #[error("not a saga scenario: {0}")]
    /// The JSON is not a saga scenario.
    Json(#[from] serde_json::Error),
    #[error(transparent)]
    /// The scenario does not build.
    Setup(#[from] SagaSetupError),
}

/// A named, runnable saga scenario.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SagaScenario {
    /// Stable identifier (kebab-case), e.g. `payment-fails-compensation`.
    pub name: String,
    /// What the scenario shows, in one or two sentences.
    pub description: String,
    /// The seed all randomness derives from.
    pub seed: u64,
    /// How many ticks to run.
    pub ticks: u64,
    /// The system, orders, faults and resubmissions.
    pub setup: SagaSetup,
}

/// True when a JSON document looks like a saga scenario (an object with a `setup`), so a
/// tool can tell it from a streaming scenario before parsing.
pub fn is_saga_scenario(json: &serde_json::Value) -> bool {
    json.get("setup").is_some_and(serde_json::Value::is_object)
}

impl SagaScenario {
    /// Parses a scenario from JSON and checks its setup.
    pub fn from_json(json: &str) -> Result<Self, SagaScenarioError> {
        let scenario: Self = serde_json::from_str(json)?;
        scenario.setup.validate()?;
        Ok(scenario)
    }

    /// Builds the saga of this scenario with its own seed.
    pub fn build(&self) -> Result<StreamingSaga, SagaSetupError> {
        StreamingSaga::new(self.setup.clone(), self.seed)
    }

    /// Builds and runs the scenario for its ticks.
    pub fn run(&self) -> Result<StreamingSaga, SagaSetupError> {
        let mut saga = self.build()?;
        saga.run(self.ticks);
        Ok(saga)
    }

    /// The same scenario in the other saga style (for side-by-side comparison).
    pub fn with_mode(&self, mode: SagaMode) -> Self {
        let mut s = self.clone();
        s.setup.config.mode = mode;
        let style = match mode {
            SagaMode::Orchestration => "orchestration",
            SagaMode::Choreography => "choreography",
        };
        s.name = format!("{}-{style}", self.name);
        s
    }
}

/// A running saga scenario for tools that print its trace as it goes.
#[derive(Debug)]
pub struct SagaRun {
    saga: StreamingSaga,
    /// Engine trace events already returned (absolute index).
    engine_printed: u64,
    /// Saga trace events already returned.
    saga_printed: usize,
}

impl SagaRun {
    /// Builds the scenario's saga.
    pub fn start(scenario: &SagaScenario) -> Result<Self, SagaSetupError> {
        Ok(Self {
            saga: scenario.build()?,
            engine_printed: 0,
            saga_printed: 0,
        })
    }

    /// The saga running.
    pub fn saga(&self) -> &StreamingSaga {
        &self.saga
    }

    /// Applies a command (place an order, take a service down or bring it back, resubmit
    /// dead letters, rebuild a projection) at the current tick.
    pub fn apply(&mut self, command: SagaCommand) -> Result<(), SagaSetupError> {
        self.saga.apply(command)
    }

    /// The current tick.
    pub fn now(&self) -> Tick {
        self.saga.now()
    }

    /// Advances one tick.
    pub fn step(&mut self) {
        self.saga.step();
    }

    /// The trace events not returned before, as JSON lines: the streaming engine's events
    /// as they are, then the saga's as `{"type":"saga","event":{...}}`.
    pub fn new_trace_lines(&mut self) -> Vec<String> {
        let sim = self.saga.sim();
        let mut lines: Vec<String> = sim
            .trace_since(self.engine_printed)
            .map(|(_, e)| serde_json::to_string(e).expect("trace events serialise"))
            .collect();
        self.engine_printed = sim.trace_len();
        let world = self.saga.world();
        lines.extend(
            world.trace[self.saga_printed..]
                .iter()
                .map(|e| serde_json::json!({ "type": "saga", "event": e }).to_string()),
        );
        self.saga_printed = world.trace.len();
        lines
    }

    /// The run's summary.
    pub fn summary(&self) -> SagaRunSummary {
        self.saga.summary()
    }
}
