//! # orderflow-bench
//!
//! The benchmarks of BENCHMARKS.md: one set of workloads, run natively by `src/main.rs`
//! and in headless Chromium by `bench/web/run.mjs` (this crate compiled to wasm32), so the
//! two columns of the report come from the same code.
//!
//! - [`workloads`]: F (the floor), R (routing), P/log and P (appending and producing), W
//!   (the pipeline), S (sagas), on the engine's public API.
//! - [`harness`]: runs, timing, min and median.
//! - [`alloc`]: the counting allocator behind the bytes-per-record figures.
//! - [`Plan`] and [`run`]: which sizes and how many runs; one workload by id.

pub mod alloc;
pub mod harness;
#[cfg(target_arch = "wasm32")]
mod web;
pub mod workloads;

use harness::Report;
use serde::{Deserialize, Serialize};
use workloads::saga::{self, Placement};

#[global_allocator]
static ALLOCATOR: alloc::Counting = alloc::Counting;

/// Sizes and run counts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Records of F, P and W.
    pub events: u64,
    /// Keys of R.
    pub keys: u64,
    /// Orders of S.
    pub sagas: u64,
    /// Runs of F, R and P.
    pub runs: u32,
    /// Runs of W and S (seconds each).
    pub slow_runs: u32,
}

impl Plan {
    /// The sizes of issue #14 (a million events and keys), except the sagas: 4,000, not
    /// 100,000. Today a saga run grows with the square of its orders (every tick the
    /// orchestrator and the choreography's order service visit every saga ever started, to
    /// find due deadlines) and holds about 55 KB per saga, so 100,000 would take hours per
    /// run; BENCHMARKS.md gives the measured scaling.
    pub fn full() -> Self {
        Self {
            events: 1_000_000,
            keys: 1_000_000,
            sagas: 4_000,
            runs: 5,
            slow_runs: 3,
        }
    }

    /// Tiny sizes, one run each: proves the workloads still build and run (check.sh).
    pub fn smoke() -> Self {
        Self {
            events: 2_000,
            keys: 2_000,
            sagas: 200,
            runs: 1,
            slow_runs: 1,
        }
    }
}

/// A workload the harness knows.
#[derive(Clone, Debug, Serialize)]
pub struct Workload {
    /// Its id (`F`, `R/murmur2`, ...).
    pub id: String,
    /// What it does.
    pub title: String,
    /// What it counts.
    pub unit: &'static str,
    /// Part of the default set (the others are variants run on request).
    pub default: bool,
}

/// Every workload, in report order.
pub fn workloads() -> Vec<Workload> {
    let w = |id: String, title: String, unit, default| Workload {
        id,
        title,
        unit,
        default,
    };
    let mut all = vec![w(
        "F".into(),
        "floor: 64-byte records pushed onto a Vec".into(),
        "records",
        true,
    )];
    for (name, _) in workloads::partitioners() {
        all.push(w(
            format!("R/{name}"),
            format!("route distinct 8-16 byte keys with {name}"),
            "keys",
            true,
        ));
    }
    all.push(w(
        "P/log".into(),
        "append the same events to one PartitionLog (no Sim)".into(),
        "events",
        true,
    ));
    all.push(w(
        "P".into(),
        format!(
            "produce keyed order events into {} partitions through Sim",
            workloads::PARTITIONS
        ),
        "events",
        true,
    ));
    all.push(w(
        "W".into(),
        "pipeline: P, then groups of 2/3/1 members consume all (at-least-once)".into(),
        "events",
        true,
    ));
    for (name, _) in saga::modes() {
        all.push(w(
            format!("S/{name}"),
            format!("{name} saga on consumer groups, 10% payments declined"),
            "sagas",
            true,
        ));
        all.push(w(
            format!("S/{name}/setup-orders"),
            format!("{name} saga with every order listed in the setup"),
            "sagas",
            false,
        ));
    }
    all
}

/// Runs the workload `id` as `plan` says.
pub fn run(id: &str, plan: &Plan) -> Result<Report, String> {
    let workload = workloads()
        .into_iter()
        .find(|w| w.id == id)
        .ok_or_else(|| format!("no workload {id:?}"))?;
    let repeat =
        |times: u32, f: &dyn Fn() -> harness::Run| (0..times.max(1)).map(|_| f()).collect();
    let runs = match id.split('/').collect::<Vec<_>>().as_slice() {
        ["F"] => repeat(plan.runs, &|| workloads::floor(plan.events)),
        ["R", name] => {
            let (_, p) = workloads::partitioners()
                .into_iter()
                .find(|(n, _)| n == name)
                .expect("listed above");
            repeat(plan.runs, &|| workloads::route(p, plan.keys))
        }
        ["P"] => repeat(plan.runs, &|| workloads::produce(plan.events)),
        ["P", "log"] => repeat(plan.runs, &|| workloads::append_to_log(plan.events)),
        ["W"] => repeat(plan.slow_runs, &|| workloads::pipeline(plan.events)),
        ["S", mode, rest @ ..] => {
            let (_, mode) = saga::modes()
                .into_iter()
                .find(|(n, _)| n == mode)
                .expect("listed above");
            let placement = if rest.is_empty() {
                Placement::Commands
            } else {
                Placement::Setup
            };
            repeat(plan.slow_runs, &|| saga::saga(mode, plan.sagas, placement))
        }
        _ => unreachable!("every listed id is matched"),
    };
    Ok(Report::new(
        &workload.id,
        &workload.title,
        workload.unit,
        runs,
    ))
}

/// Tests that allocate take this lock: the counting allocator is exact only while one
/// thread allocates at a time.
#[cfg(test)]
pub(crate) static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_workload_runs_at_a_tiny_size() {
        let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let plan = Plan {
            events: 300,
            keys: 300,
            sagas: 30,
            runs: 1,
            slow_runs: 1,
        };
        for w in workloads() {
            let report = run(&w.id, &plan).unwrap();
            assert!(report.size > 0, "{} did nothing", w.id);
        }
    }

    #[test]
    fn an_unknown_workload_is_refused() {
        let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        assert!(run("Q", &Plan::smoke()).is_err());
    }
}
