//! Saga scenarios from the command line: `orderflow-cli saga SCENARIO.json` (and, once
//! `orderflow-cli run` exists, `run` hands saga scenario files here).
//!
//! ```text
//! orderflow-cli saga scenarios/saga-payment-fails-compensation.json --summary
//! orderflow-cli saga --name shipping-timeout [--ticks N] [--seed S] [--summary]
//! orderflow-cli saga --list
//! ```
//! Every scenario runs on the streaming engine: each service is a consumer group.
//! Without `--summary` the trace is printed as JSON lines, tick by tick: the streaming
//! engine's events as they are, then the saga's as `{"type":"saga","event":{...}}`.
//! `--summary` prints one JSON object: per saga its final state, the ordered executed steps
//! and compensations (and the saga log), the service balances (stock, charges, refunds,
//! balances per customer, orders per status, notifications, dead letters), end offsets,
//! projection lag, any invariant violation and the engine's own summary.

use clap::Args;
use orderflow_engine::ids::Tick;
use orderflow_engine::saga::scenario::{
    named_scenario, named_scenarios, renamed, SagaRun, SagaScenario, SagaScenarioError,
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
    /// Print only the final state as one JSON object.
    #[arg(long)]
    pub summary: bool,
    /// Gone: there is one saga driver. Kept so an old command line is told why it fails.
    #[arg(long, hide = true)]
    pub engine: Option<String>,
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
    #[error("no saga scenario named {name:?}: it is {new:?} now (every scenario runs on consumer groups)")]
    Renamed { name: String, new: &'static str },
    #[error(
        "--engine is gone: every saga scenario runs on the streaming engine's consumer groups"
    )]
    EngineGone,
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
    if args.engine.is_some() {
        return Err(SagaCliError::EngineGone);
    }
    if args.list {
        for s in named_scenarios() {
            let line = serde_json::json!({
                "name": s.name,
                "description": s.description,
            });
            writeln!(out, "{line}")?;
        }
        return Ok(());
    }
    if let Some(name) = &args.name {
        let scenario = named_scenario(name).ok_or_else(|| match renamed(name) {
            Some(new) => SagaCliError::Renamed {
                name: name.clone(),
                new,
            },
            None => SagaCliError::UnknownName { name: name.clone() },
        })?;
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
    let scenario = SagaScenario::from_json(&json).map_err(|source| SagaCliError::Scenario {
        path: shown.clone(),
        source,
    })?;
    run_scenario(scenario, args.ticks, args.seed, args.summary, &shown, out)
}
