//! The native side of the benchmarks: `orderflow-bench [--smoke] [--only ID,..] [--json]`.
//! `scripts/bench.sh` runs it in release mode beside the Wasm and page runs and prints the
//! combined table; run alone, it prints its own.

use orderflow_bench::{run, workloads, Plan};
use std::process::ExitCode;

const USAGE: &str = "usage: orderflow-bench [--smoke] [--only ID[,ID..]] [--json] [--list]
                       [--print-plan] [--events N] [--keys N] [--sagas N] [--runs N]
                       [--slow-runs N]
  --smoke       tiny sizes, one run each (check.sh)
  --only        workload ids (see --list); default: every default workload
  --json        one JSON report per line on stdout instead of a table
  --print-plan  print the sizes and run counts as JSON (for the Wasm runner) and exit";

struct Args {
    plan: Plan,
    only: Option<Vec<String>>,
    json: bool,
    list: bool,
    print_plan: bool,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut parsed = Args {
        plan: Plan::full(),
        only: None,
        json: false,
        list: false,
        print_plan: false,
    };
    let mut overrides = Vec::new();
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--smoke" => parsed.plan = Plan::smoke(),
            "--json" => parsed.json = true,
            "--list" => parsed.list = true,
            "--print-plan" => parsed.print_plan = true,
            "--only" => parsed.only = Some(value()?.split(',').map(str::to_string).collect()),
            "--events" | "--keys" | "--sagas" | "--runs" | "--slow-runs" => {
                let v = value()?;
                let n: u64 = v
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or(format!("{arg} takes a positive whole number, not {v:?}"))?;
                overrides.push((arg, n));
            }
            _ => return Err(format!("unknown argument {arg:?}")),
        }
    }
    // Applied after --smoke, wherever it stands.
    for (arg, n) in overrides {
        let p = &mut parsed.plan;
        match arg.as_str() {
            "--events" => p.events = n,
            "--keys" => p.keys = n,
            "--sagas" => p.sagas = n,
            "--runs" => p.runs = u32::try_from(n).unwrap_or(u32::MAX),
            _ => p.slow_runs = u32::try_from(n).unwrap_or(u32::MAX),
        }
    }
    Ok(parsed)
}

fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("orderflow-bench: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if args.print_plan {
        println!(
            "{}",
            serde_json::to_string(&args.plan).expect("a plan serialises")
        );
        return ExitCode::SUCCESS;
    }
    if args.list {
        for w in workloads() {
            let note = if w.default { "" } else { " (on request)" };
            println!("{:<28} {}{note}", w.id, w.title);
        }
        return ExitCode::SUCCESS;
    }
    let ids: Vec<String> = match args.only {
        Some(ids) => ids,
        None => workloads()
            .into_iter()
            .filter(|w| w.default)
            .map(|w| w.id)
            .collect(),
    };
    if !args.json {
        println!(
            "{:<28} {:>10} {:>10} {:>10} {:>14} {:>9} {:>9} {:>9}",
            "workload", "size", "min ms", "median ms", "per second", "peak B", "kept B", "allocs"
        );
    }
    for id in ids {
        eprintln!("orderflow-bench: {id}...");
        let report = match run(&id, &args.plan) {
            Ok(report) => report,
            Err(message) => {
                eprintln!("orderflow-bench: {message}\n{USAGE}");
                return ExitCode::from(2);
            }
        };
        if args.json {
            println!(
                "{}",
                serde_json::to_string(&report).expect("a report serialises")
            );
        } else {
            println!(
                "{:<28} {:>10} {:>10.1} {:>10.1} {:>14.0} {:>9.1} {:>9.1} {:>9.2}",
                report.id,
                report.size,
                report.min_ms,
                report.median_ms,
                report.per_second,
                report.peak_bytes_per_item,
                report.retained_bytes_per_item,
                report.allocations_per_item
            );
        }
    }
    ExitCode::SUCCESS
}
