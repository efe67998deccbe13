//! The running system a [`Scenario`] describes: the streaming simulation and, if the
//! scenario has one, the order saga on it. The CLI, the tests and the page drive this one
//! thing: build it from a scenario, apply or schedule [`ScenarioCommand`]s, step it, read
//! its trace and summary.

use super::{invalid, set_up, Scenario, ScenarioCommand, ScenarioError};
use crate::command::SimError;
use crate::ids::Tick;
use crate::saga::command::SagaCommand;
use crate::saga::config::SagaSetupError;
use crate::saga::streaming::{Saga, SagaView};
use crate::saga::summary::SagaRunSummary;
use crate::saga::trace::SagaTraceEvent;
use crate::sim::{Sim, Summary};
use serde::Serialize;
use std::collections::BTreeMap;
use thiserror::Error;

/// A simulation and the saga running on it, if any.
#[derive(Debug)]
pub struct System {
    sim: Sim,
    saga: Option<Saga>,
    /// Saga commands waiting for their tick.
    scheduled: BTreeMap<Tick, Vec<SagaCommand>>,
    /// Saga trace events [`System::trace_lines`] already returned.
    saga_lines: usize,
}

/// Why a command is refused.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum SystemError {
    #[error(transparent)]
    /// The simulation refused it.
    Sim(#[from] SimError),
    #[error(transparent)]
    /// The saga refused it.
    Saga(#[from] SagaSetupError),
    #[error("{command:?} is a saga command, and this scenario has no saga")]
    /// A saga command, with no saga to run it.
    NoSaga {
        /// The command's `type`.
        command: String,
    },
}

/// What a run comes to: the simulation's summary, or with a saga the saga's (which holds
/// the simulation's). Serialised as the summary it holds.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum SystemSummary {
    /// A scenario without a saga.
    Streaming(Summary),
    /// A scenario with a saga.
    Saga(Box<SagaRunSummary>),
}

impl System {
    /// Builds the scenario's system: topics, producers, groups, then the saga (its topics
    /// and service groups); commands at tick 0 apply now, later ones at their tick.
    pub fn from_scenario(scenario: &Scenario) -> Result<Self, ScenarioError> {
        Self::from_scenario_limited(scenario, crate::sim::MAX_RESIDENT_RECORDS)
    }

    /// Like [`System::from_scenario`], holding at most `record_limit` records at once
    /// (see [`Sim::set_record_limit`]) from the first command on.
    pub fn from_scenario_limited(
        scenario: &Scenario,
        record_limit: u64,
    ) -> Result<Self, ScenarioError> {
        let mut sim = Sim::new(scenario.seed);
        sim.set_record_limit(record_limit);
        set_up(&mut sim, scenario)?;
        let saga = (scenario.saga.clone())
            .map(|setup| Saga::new(setup, &mut sim))
            .transpose()
            .map_err(invalid(scenario, "saga".to_string()))?;
        let mut system = Self::new(sim, saga);
        for (i, c) in scenario.commands.iter().enumerate() {
            system
                .schedule(c.at, c.command.clone())
                .map_err(invalid(scenario, format!("command {i} (at tick {})", c.at)))?;
        }
        Ok(system)
    }

    /// A system of a simulation and the saga set up on it (see [`Saga::with_groups`]).
    pub fn new(sim: Sim, saga: Option<Saga>) -> Self {
        Self {
            sim,
            saga,
            scheduled: BTreeMap::new(),
            saga_lines: 0,
        }
    }

    /// The simulation.
    pub fn sim(&self) -> &Sim {
        &self.sim
    }

    /// The simulation, without the system around it.
    pub fn into_sim(self) -> Sim {
        self.sim
    }

    /// The saga read with its simulation, if the scenario has one.
    pub fn saga(&self) -> Option<SagaView<'_>> {
        Some(self.saga.as_ref()?.view(&self.sim))
    }

    /// The saga and its simulation, to act on the saga's services directly (kill or start
    /// a member, change a service's speed).
    pub fn saga_mut(&mut self) -> Option<(&mut Saga, &mut Sim)> {
        Some((self.saga.as_mut()?, &mut self.sim))
    }

    /// The current tick.
    pub fn now(&self) -> Tick {
        self.sim.now()
    }

    /// Applies a command at the current tick.
    pub fn apply(&mut self, command: ScenarioCommand) -> Result<(), SystemError> {
        match command {
            ScenarioCommand::Sim(c) => Ok(self.sim.apply(c)?),
            ScenarioCommand::Saga(c) => {
                let saga = self.saga.as_mut().ok_or_else(|| no_saga(&c))?;
                Ok(saga.apply(&mut self.sim, c)?)
            }
        }
    }

    /// Schedules a command for the end of tick `at` (after the tick's step); a tick not
    /// in the future applies it now. A scheduled command that fails then is traced.
    pub fn schedule(&mut self, at: Tick, command: ScenarioCommand) -> Result<(), SystemError> {
        match command {
            ScenarioCommand::Sim(c) => Ok(self.sim.schedule(at, c)?),
            ScenarioCommand::Saga(c) if self.saga.is_none() => Err(no_saga(&c)),
            c if at <= self.sim.now() => self.apply(c),
            ScenarioCommand::Saga(c) => {
                self.scheduled.entry(at).or_default().push(c);
                Ok(())
            }
        }
    }

    /// Advances one tick: the saga steps the simulation (or the simulation steps alone),
    /// then the saga commands scheduled for the tick apply; one that fails is traced as
    /// [`SagaTraceEvent::CommandRejected`].
    pub fn step(&mut self) {
        match &mut self.saga {
            Some(saga) => saga.step(&mut self.sim),
            None => self.sim.step(),
        }
        let now = self.sim.now();
        let (Some(saga), Some(due)) = (&mut self.saga, self.scheduled.remove(&now)) else {
            return;
        };
        for command in due {
            let name = ScenarioCommand::Saga(command.clone()).type_name();
            if let Err(e) = saga.apply(&mut self.sim, command) {
                saga.trace(SagaTraceEvent::CommandRejected {
                    tick: now,
                    command: name,
                    error: e.to_string(),
                });
            }
        }
    }

    /// Steps until the clock reads `tick`.
    pub fn run_until(&mut self, tick: Tick) {
        while self.sim.now() < tick {
            self.step();
        }
    }

    /// Runs `ticks` steps.
    pub fn run(&mut self, ticks: u64) {
        self.run_until(Tick(self.sim.now().0 + ticks));
    }

    /// Caps the simulation's trace to its newest `limit` events (`None`: unbounded); a
    /// headless run that only wants the summary keeps none.
    pub fn set_trace_limit(&mut self, limit: Option<usize>) {
        self.sim.set_trace_limit(limit);
    }

    /// The run's summary.
    pub fn summary(&self) -> SystemSummary {
        match self.saga() {
            Some(saga) => SystemSummary::Saga(Box::new(saga.summary())),
            None => SystemSummary::Streaming(self.sim.summary()),
        }
    }

    /// The trace events since the last call, as JSON lines: the simulation's as they are,
    /// then the saga's as `{"type":"saga","event":{...}}`. Takes the simulation's events
    /// out of its trace (so a long run keeps only one step's), as [`Sim::drain_trace`].
    pub fn trace_lines(&mut self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .sim
            .drain_trace()
            .iter()
            .map(|e| serde_json::to_string(e).expect("trace events serialise"))
            .collect();
        if let Some(saga) = &self.saga {
            let trace = &saga.world().trace;
            lines.extend(
                trace[self.saga_lines..]
                    .iter()
                    .map(|e| serde_json::json!({ "type": "saga", "event": e }).to_string()),
            );
            self.saga_lines = trace.len();
        }
        lines
    }
}

fn no_saga(command: &SagaCommand) -> SystemError {
    SystemError::NoSaga {
        command: ScenarioCommand::Saga(command.clone()).type_name(),
    }
}
