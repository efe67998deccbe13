//! `orderflow-cli`: the orderflow engine from the command line, JSON in and JSON out.

mod assign;
mod place;
mod route;
mod run;
mod saga;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "orderflow-cli",
    version,
    about = "Drive the orderflow engine from the shell"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Print the partition each KEY is routed to, one JSON object per key.
    Route(route::RouteArgs),
    /// Assign partitions to a group's members like Kafka's assignor; the group is JSON on stdin.
    Assign {
        /// range, roundrobin, sticky or cooperative-sticky
        #[arg(long)]
        strategy: String,
    },
    /// Place each partition's replicas on brokers like Kafka (`{"0": [leader, ...], ...}`).
    Place(place::PlaceArgs),
    /// Run an order saga scenario: its trace as JSON lines, or the final state (--summary).
    Saga(saga::SagaArgs),
    /// Run a scenario headless: the trace as JSON lines, or the final state (--summary).
    Run(run::RunArgs),
}

fn run(cli: Cli) -> Result<(), String> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match cli.command {
        Cmd::Route(args) => route::run(&args, &mut out).map_err(|e| e.to_string())?,
        Cmd::Assign { strategy } => assign::run(&strategy, std::io::stdin().lock(), &mut out)?,
        Cmd::Place(args) => place::run(&args, &mut out).map_err(|e| e.to_string())?,
        Cmd::Saga(args) => saga::run(&args, &mut out).map_err(|e| e.to_string())?,
        Cmd::Run(args) => run::run(&args, &mut out).map_err(|e| e.to_string())?,
    }
    Ok(())
}

/// Folds clap's multi-line usage error into one line (drops the usage and help hints).
fn one_line(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("Usage:") && !l.starts_with("For more"))
        .map(|l| l.strip_prefix("error: ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join(" ")
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout with exit 0; usage errors are one line on
            // stderr with exit 2, like every other bad input.
            if !e.use_stderr() {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            eprintln!("orderflow-cli: {}", one_line(&e.to_string()));
            return ExitCode::from(2);
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("orderflow-cli: {message}");
            ExitCode::from(2)
        }
    }
}
