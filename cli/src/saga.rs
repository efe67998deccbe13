//! Saga scenarios from the command line: `orderflow-cli saga SCENARIO.json` (and, once
//! `orderflow-cli run` exists, `run` hands saga scenario files here).
//!
//! ```text
//! orderflow-cli saga scenarios/saga-payment-fails-compensation.json --summary
//! orderflow-cli saga --name shipping-timeout [--ticks N] [--seed S] [--summary]
//! orderflow-cli saga --name crash-with-outbox --engine consumer-groups --summary
//! orderflow-cli saga --list
//! ```
//! `--engine` runs a scenario on the other driver: `standalone` (the saga's own topics and
//! cursors) or `consumer-groups` (every service a consumer group of the streaming engine).
//! Both model the outbox, crash points and slow services.
//! Without `--summary` the trace is printed as JSON lines, tick by tick: saga events as
//! `{"type":"saga","event":{...}}` and, on consumer groups, the streaming engine's events as
//! they are. `--summary` prints one JSON object: per saga its final state, the ordered
//! executed steps and compensations (and the saga log), the service balances (stock,
//! charges, refunds, balances per customer, orders per status, notifications, dead letters),
//! end offsets, projection lag and any invariant violation.

use clap::Args;
use orderflow_engine::ids::Tick;
use orderflow_engine::saga::scenario::{
    named_scenario, named_scenarios, SagaEngine, SagaRun, SagaScenario, SagaScenarioError,
};
use std::io::Write;
use std::path::PathBuf;

/// Arguments of `orderflow-cli saga`.
#[derive(Args, Debug)]
pub struct SagaArgs {
    /// Saga scenario file (JSON), e.g. scenarios/saga-happy-path.json.
    #[arg(required_unless_present_any = ["name", "list"], conflicts_with = "name")]
    pub scenario: Option<PathBuf>,
    /// A named scenario instead of a file (see --list).
    #[arg(long)]
    pub name: Option<String>,
    /// List the named scenarios (name and description, one JSON object per line).
    #[arg(long)]
    pub list: bool,
    /// How many ticks to run (default: the scenario's `ticks`).
    #[arg(long)]
    pub ticks: Option<u64>,
    /// Replaces the scenario's seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Runs the scenario on this driver instead of its own.
    #[arg(long, value_parser = ["standalone", "consumer-groups"])]
    pub engine: Option<String>,
    /// Print only the final state as one JSON object.
    #[arg(long)]
    pub summary: bool,
}

/// The driver `--engine` names (clap has checked the spelling).
fn engine_override(args: &SagaArgs) -> Option<SagaEngine> {
    args.engine.as_deref().map(|e| match e {
        "consumer-groups" => SagaEngine::ConsumerGroups,
        _ => SagaEngine::Standalone,
    })
}

/// Why `saga` failed.
#[derive(Debug, thiserror::Error)]
pub enum SagaCliError {
    #[error("cannot read {path}: {message}")]
    Read { path: String, message: String },
    #[error("{path}: {source}")]
    Scenario {
        path: String,
        source: SagaScenarioError,
    },
    #[error("no saga scenario named {name:?} (try --list)")]
    UnknownName { name: String },
    #[error("cannot write output: {0}")]
    Write(#[from] std::io::Error),
}

/// Runs `scenario` for `ticks` (default: its own) and writes its trace or summary.
pub fn run_scenario(
    mut scenario: SagaScenario,
    ticks: Option<u64>,
    seed: Option<u64>,
    summary: bool,
    path: &str,
    out: &mut impl Write,
) -> Result<(), SagaCliError> {
    if let Some(seed) = seed {
        scenario.seed = seed;
    }
    let ticks = ticks.unwrap_or(scenario.ticks);
    let mut run = SagaRun::start(&scenario).map_err(|e| SagaCliError::Scenario {
        path: path.to_string(),
        source: SagaScenarioError::Setup(e),
    })?;
    while run.now() < Tick(ticks) {
        run.step();
        if !summary {
            for line in run.new_trace_lines() {
                writeln!(out, "{line}")?;
            }
        }
    }
    if summary {
        let json = serde_json::to_string(&run.summary()).expect("a summary serialises");
        writeln!(out, "{json}")?;
    }
    out.flush()?;
    Ok(())
}

/// Runs a saga scenario given as JSON text (what `run` calls for saga files).
pub fn run_json(
    json: &str,
    ticks: Option<u64>,
    seed: Option<u64>,
    summary: bool,
    path: &str,
    out: &mut impl Write,
) -> Result<(), SagaCliError> {
    let scenario = SagaScenario::from_json(json).map_err(|source| SagaCliError::Scenario {
        path: path.to_string(),
        source,
    })?;
    run_scenario(scenario, ticks, seed, summary, path, out)
}

/// `orderflow-cli saga`.
pub fn run(args: &SagaArgs, out: &mut impl Write) -> Result<(), SagaCliError> {
    if args.list {
        for s in named_scenarios() {
            let line = serde_json::json!({
                "name": s.name,
                "engine": s.engine,
                "description": s.description,
            });
            writeln!(out, "{line}")?;
        }
        return Ok(());
    }
    let engine = engine_override(args);
    if let Some(name) = &args.name {
        let mut scenario =
            named_scenario(name).ok_or_else(|| SagaCliError::UnknownName { name: name.clone() })?;
        if let Some(engine) = engine {
            scenario.engine = engine;
        }
        return run_scenario(scenario, args.ticks, args.seed, args.summary, name, out);
    }
    let path = args
        .scenario
        .as_ref()
        .expect("clap requires a scenario, --name or --list");
    let shown = path.display().to_string();
    let json = std::fs::read_to_string(path).map_err(|e| SagaCliError::Read {
        path: shown.clone(),
        message: e.to_string(),
    })?;
    let mut scenario = SagaScenario::from_json(&json).map_err(|source| SagaCliError::Scenario {
        path: shown.clone(),
        source,
    })?;
    if let Some(engine) = engine {
        scenario.engine = engine;
    }
    run_scenario(scenario, args.ticks, args.seed, args.summary, &shown, out)
}
