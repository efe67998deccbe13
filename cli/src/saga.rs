//! Saga scenarios from the command line: `orderflow-cli saga SCENARIO.json`, a shorthand
//! for `orderflow-cli run` on a scenario with a saga that also runs the named ones.
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

use crate::run::{read, run_scenario, RunArgs, RunError};
use clap::Args;
use orderflow_engine::scenario::{renamed, saga_preset, saga_presets, Scenario, ScenarioError};
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
    /// How many ticks to run (1 to 100,000,000; default: the scenario's `ticks`).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=crate::run::MAX_TICKS_ARG))]
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
    #[error("{path}: not a saga scenario: {message}")]
    NotASaga { path: String, message: String },
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
    #[error(transparent)]
    Run(#[from] RunError),
}

/// `orderflow-cli saga`.
pub fn run(args: &SagaArgs, out: &mut impl Write) -> Result<(), SagaCliError> {
    if args.engine.is_some() {
        return Err(SagaCliError::EngineGone);
    }
    if args.list {
        for s in saga_presets() {
            let line = serde_json::json!({
                "name": s.name,
                "description": s.description,
            });
            writeln!(out, "{line}")?;
        }
        return Ok(());
    }
    let (scenario, path) = scenario(args)?;
    let run = RunArgs {
        scenario: PathBuf::from(&path),
        ticks: args.ticks,
        seed: args.seed,
        summary: args.summary,
        max_records: None,
    };
    Ok(run_scenario(scenario, &run, &path, out)?)
}

/// The named scenario, or the file's (which must have a saga), and what to call it.
fn scenario(args: &SagaArgs) -> Result<(Scenario, String), SagaCliError> {
    if let Some(name) = &args.name {
        let scenario = saga_preset(name).ok_or_else(|| match renamed(name) {
            Some(new) => SagaCliError::Renamed {
                name: name.clone(),
                new,
            },
            None => SagaCliError::UnknownName { name: name.clone() },
        })?;
        return Ok((scenario, name.clone()));
    }
    let file = args
        .scenario
        .as_ref()
        .expect("clap requires a scenario, --name or --list");
    let path = file.display().to_string();
    let not_a_saga = |message: String| SagaCliError::NotASaga {
        path: path.clone(),
        message,
    };
    let scenario = match Scenario::from_json(&read(file)?) {
        Ok(s) if s.saga.is_none() => return Err(not_a_saga("it has no \"saga\"".into())),
        Ok(s) => s,
        Err(ScenarioError::Json(message)) => return Err(not_a_saga(message)),
        Err(source) => return Err(RunError::Scenario { path, source }.into()),
    };
    Ok((scenario, path))
}
