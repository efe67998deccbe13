//! `orderflow-cli run`: a scenario headless, its trace as JSON lines or its final state.
//!
//! ```text
//! orderflow-cli run SCENARIO.json [--ticks N] [--seed S] [--summary] [--max-records N]
//! {"type":"topic_created","tick":0,"topic":"orders","partitions":4,"partitioner":"eventhubs"}
//! ...
//! ```
//! The trace is printed as it is produced and drained each tick, so a long run needs no
//! more memory than one tick's events. `--summary` prints one JSON object instead: per
//! topic the end offsets, per group committed offsets, lag, members and
//! processed/duplicate/lost counts, per producer its counters.
//!
//! Any scenario runs, with or without a saga (`scenarios/saga-*.json`, see also
//! `orderflow-cli saga`): with one, the saga's trace events follow the engine's each tick
//! as `{"type":"saga","event":{...}}`, and `--summary` has per saga its final state,
//! executed steps and compensations, and the service balances.
//!
//! The engine holds at most `--max-records` records at once over all topics (default
//! 2,000,000; records deleted by retention no longer count). At the limit appends are
//! refused and generators stop (a `command_rejected` event in the trace); a note on stderr
//! says so.

use clap::Args;
use orderflow_engine::ids::Tick;
use orderflow_engine::scenario::{Scenario, ScenarioError, System};
use orderflow_engine::sim::{Sim, MAX_RESIDENT_RECORDS};
use std::io::Write;
use std::path::PathBuf;

/// Arguments of `orderflow-cli run`.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// Scenario file (JSON), e.g. scenarios/delivery-semantics.json.
    pub scenario: PathBuf,
    /// How many ticks to run (1 to 100,000,000; default: the scenario's `ticks`, or its
    /// last command + 100).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=MAX_TICKS_ARG))]
    pub ticks: Option<u64>,
    /// Replaces the scenario's seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Print only the final state as one JSON object.
    #[arg(long)]
    pub summary: bool,
    /// The most records held at once over all topics (1 to 20,000,000; default 2,000,000).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=MAX_RECORDS_ARG))]
    pub max_records: Option<u64>,
}

/// The largest `--max-records` accepted (about 5 GB of records).
pub const MAX_RECORDS_ARG: u64 = 20_000_000;

/// The largest `--ticks` accepted: an idle run of this many ticks takes minutes natively;
/// the soak's ten million events need about 100,000.
pub const MAX_TICKS_ARG: u64 = 100_000_000;

/// The largest scenario file read, checked before reading: the page's import limit, and
/// far above any scenario written by hand (the largest preset is a few kilobytes).
pub const MAX_SCENARIO_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Why `run` failed.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("cannot read {path}: {message}")]
    Read { path: String, message: String },
    #[error("{path} has {bytes} bytes; a scenario file may have at most {max}")]
    TooLarge { path: String, bytes: u64, max: u64 },
    #[error("{path}: {source}")]
    Scenario { path: String, source: ScenarioError },
    #[error("cannot write output: {0}")]
    Write(#[from] std::io::Error),
}

/// Reads a scenario file, refusing one over [`MAX_SCENARIO_FILE_BYTES`] before reading it.
pub fn read(path: &std::path::Path) -> Result<String, RunError> {
    let failed = |e: std::io::Error| RunError::Read {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    let bytes = std::fs::metadata(path).map_err(failed)?.len();
    if bytes > MAX_SCENARIO_FILE_BYTES {
        return Err(RunError::TooLarge {
            path: path.display().to_string(),
            bytes,
            max: MAX_SCENARIO_FILE_BYTES,
        });
    }
    std::fs::read_to_string(path).map_err(failed)
}

/// Runs the scenario file and writes the trace or the summary to `out`.
pub fn run(args: &RunArgs, out: &mut impl Write) -> Result<(), RunError> {
    let path = args.scenario.display().to_string();
    let json = read(&args.scenario)?;
    let scenario = Scenario::from_json(&json).map_err(|source| RunError::Scenario {
        path: path.clone(),
        source,
    })?;
    run_scenario(scenario, args, &path, out)
}

/// Runs `scenario` (`path` names it in errors) for `args.ticks` (default: its own) and
/// writes its trace, tick by tick, or its summary.
pub fn run_scenario(
    mut scenario: Scenario,
    args: &RunArgs,
    path: &str,
    out: &mut impl Write,
) -> Result<(), RunError> {
    if let Some(seed) = args.seed {
        scenario.seed = seed;
    }
    let ticks = args.ticks.unwrap_or_else(|| scenario.run_ticks());
    let limit = args.max_records.unwrap_or(MAX_RESIDENT_RECORDS);
    let mut system =
        System::from_scenario_limited(&scenario, limit).map_err(|source| RunError::Scenario {
            path: path.to_string(),
            source,
        })?;
    if args.summary {
        // Only counts are needed: keep no trace at all.
        system.set_trace_limit(Some(0));
        system.run_until(Tick(ticks));
        let summary = serde_json::to_string(&system.summary()).expect("a summary serialises");
        writeln!(out, "{summary}")?;
    } else {
        write_lines(&mut system, out)?;
        while system.now() < Tick(ticks) {
            system.step();
            write_lines(&mut system, out)?;
        }
    }
    out.flush()?;
    if let Some(note) = limit_note(system.sim()) {
        eprintln!("{note}");
    }
    Ok(())
}

/// The stderr note when the run reached its record limit.
fn limit_note(sim: &Sim) -> Option<String> {
    let (refused, last) = sim.record_limit_refusals();
    let last = last?;
    Some(format!(
        "note: the run reached its record limit: {last} ({refused} append(s) refused); \
         raise it with --max-records (at most {MAX_RECORDS_ARG}) or give the topics retention"
    ))
}

fn write_lines(system: &mut System, out: &mut impl Write) -> Result<(), RunError> {
    for line in system.trace_lines() {
        writeln!(out, "{line}")?;
    }
    Ok(())
}
