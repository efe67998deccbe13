//! `orderflow-cli`: the orderflow engine from the command line, JSON in and JSON out.

mod assign;

use clap::{Parser, Subcommand, ValueEnum};
use orderflow_engine::partitioner::Partitioner;
use std::io::Write;
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
    Route {
        #[arg(long, value_enum, default_value_t = PartitionerArg::Murmur2)]
        partitioner: PartitionerArg,
        #[arg(long)]
        partitions: u32,
        /// Each KEY is the hex of the key bytes.
        #[arg(long)]
        hex: bool,
        keys: Vec<String>,
    },
    /// Assign partitions to a group's members like Kafka's assignor; the group is JSON on stdin.
    Assign {
        /// range, roundrobin, sticky or cooperative-sticky
        #[arg(long)]
        strategy: String,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum PartitionerArg {
    Murmur2,
}

impl From<PartitionerArg> for Partitioner {
    fn from(p: PartitionerArg) -> Self {
        match p {
            PartitionerArg::Murmur2 => Partitioner::Murmur2,
        }
    }
}

fn decode_hex(s: &str) -> Result<Vec<u8>, String> {
    if s.len() % 2 != 0 {
        return Err(format!("key {s:?} is not hex: odd number of digits"));
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).map_err(|_| format!("key {s:?} is not hex")))
        .collect()
}

fn run(cli: Cli) -> Result<(), String> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match cli.command {
        Cmd::Assign { strategy } => assign::run(&strategy, std::io::stdin().lock(), &mut out)?,
        Cmd::Route {
            partitioner,
            partitions,
            hex,
            keys,
        } => {
            if partitions == 0 {
                return Err("--partitions must be at least 1".into());
            }
            for key in keys {
                let bytes = if hex {
                    decode_hex(&key)?
                } else {
                    key.clone().into_bytes()
                };
                let routing = Partitioner::from(partitioner).route(&bytes, partitions);
                let line = serde_json::json!({
                    "key": key,
                    "hash": routing.hash,
                    "partition": routing.partition.0,
                });
                writeln!(out, "{line}").map_err(|e| e.to_string())?;
            }
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help/version to stdout with exit 0, usage errors with exit 2.
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
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
