//! The plain harness: a workload runs several times, each run is timed with the platform's
//! monotonic clock and watched by the counting allocator; the report keeps every run's
//! time, the minimum and the median. Rates are taken from the fastest run: on a machine
//! shared with other builds, the minimum is the run least disturbed, the closest to what
//! the code itself costs; the median beside it shows how much the others disturbed.
//!
//! Why not criterion: the workloads are whole scenarios of 0.05 to 30 seconds, not
//! micro-benchmarks, so criterion's model (many samples of a short routine, warm-up,
//! outlier analysis) would take minutes per workload; and the same code must run in the
//! browser, where criterion does not.

use crate::alloc;
use serde::Serialize;

/// Milliseconds on a monotonic clock: `Instant` natively, `performance.now()` in the
/// browser (where `Instant::now()` panics).
#[cfg(not(target_arch = "wasm32"))]
pub fn now_ms() -> f64 {
    use std::sync::OnceLock;
    use std::time::Instant;
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_secs_f64() * 1000.0
}

#[cfg(target_arch = "wasm32")]
mod js {
    use wasm_bindgen::prelude::wasm_bindgen;
    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_namespace = performance)]
        pub fn now() -> f64;
    }
}

/// Milliseconds on a monotonic clock: `Instant` natively, `performance.now()` in the
/// browser (where `Instant::now()` panics).
#[cfg(target_arch = "wasm32")]
pub fn now_ms() -> f64 {
    js::now()
}

/// What one run of a workload did (returned by the workload, checked, and reported).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Outcome {
    /// Events, keys or sagas handled: the numerator of the rate.
    pub items: u64,
    /// Bytes of key and value content per item (string lengths), where that means something.
    pub key_value_bytes: u64,
    /// Workload-specific facts (ticks, phases, saga outcomes), for the report's notes.
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// Prepared input: built before the clock starts, so the workload times the engine and
/// not the making of its input.
pub struct Prepared<I> {
    /// The input.
    pub input: I,
    /// Bytes of the input that never become part of what the workload builds (the buffer
    /// of a `Vec` of inputs whose strings move into the engine): subtracted from the memory
    /// figures, since that buffer stays allocated until the run is measured.
    pub harness_bytes: usize,
}

/// One timed run.
#[derive(Clone, Debug, Serialize)]
pub struct Run {
    /// Wall time of the timed part.
    pub ms: f64,
    /// Most bytes held at once during the run, beyond what was held before its input was
    /// prepared (the harness's own input buffer excluded).
    pub peak_bytes: usize,
    /// Bytes still held by what the run built, when it ended.
    pub retained_bytes: usize,
    /// Allocations made during the timed part.
    pub allocations: u64,
    /// What it did.
    pub outcome: Outcome,
}

/// Prepares, times and measures one run. `run` gets the input by reference so its buffer
/// stays allocated (and constant) until the memory is read; what `run` returns is kept
/// alive until then as well and dropped outside the timed part.
pub fn measure<I, S>(
    prepare: impl FnOnce() -> Prepared<I>,
    run: impl FnOnce(&mut I) -> (Outcome, S),
) -> Run {
    let base = alloc::live_bytes();
    let mut prepared = prepare();
    alloc::reset_peak();
    let allocations = alloc::allocations();
    let t0 = now_ms();
    let (outcome, state) = std::hint::black_box(run(&mut prepared.input));
    let ms = now_ms() - t0;
    let allocations = alloc::allocations() - allocations;
    let held = |bytes: usize| bytes.saturating_sub(base + prepared.harness_bytes);
    let run = Run {
        ms,
        peak_bytes: held(alloc::peak_bytes()),
        retained_bytes: held(alloc::live_bytes()),
        allocations,
        outcome,
    };
    drop(state);
    drop(prepared);
    run
}

/// A workload's result over several runs.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Short id (`F`, `R/murmur2`, `P`, `W`, `S/orchestrated`...).
    pub id: String,
    /// What it does, in a line.
    pub title: String,
    /// What `items` counts (`events`, `keys`, `sagas`, `records`).
    pub unit: String,
    /// `native` or `wasm32`.
    pub platform: &'static str,
    /// Items per run.
    pub size: u64,
    /// Every run's time, in order.
    pub runs_ms: Vec<f64>,
    /// The fastest run.
    pub min_ms: f64,
    /// The median run.
    pub median_ms: f64,
    /// Items per second in the fastest run.
    pub per_second: f64,
    /// Peak bytes per item (first run; the workloads are deterministic).
    pub peak_bytes_per_item: f64,
    /// Retained bytes per item when the run ended.
    pub retained_bytes_per_item: f64,
    /// Key and value content bytes per item (0 where it does not apply).
    pub key_value_bytes_per_item: f64,
    /// Allocations per item during the timed part.
    pub allocations_per_item: f64,
    /// The first run's workload-specific facts.
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Report {
    /// Summarises `runs` (at least one).
    pub fn new(id: &str, title: &str, unit: &str, runs: Vec<Run>) -> Self {
        let first = runs.first().expect("at least one run").clone();
        let size = first.outcome.items.max(1);
        let per_item = |bytes: u64| bytes as f64 / size as f64;
        let runs_ms: Vec<f64> = runs.iter().map(|r| r.ms).collect();
        let mut sorted = runs_ms.clone();
        sorted.sort_by(f64::total_cmp);
        // The lower median for an even count: the faster of the middle two.
        let median_ms = sorted[(sorted.len() - 1) / 2];
        Self {
            id: id.to_string(),
            title: title.to_string(),
            unit: unit.to_string(),
            platform: if cfg!(target_arch = "wasm32") {
                "wasm32"
            } else {
                "native"
            },
            size: first.outcome.items,
            min_ms: sorted[0],
            median_ms,
            per_second: first.outcome.items as f64 / (sorted[0] / 1000.0),
            runs_ms,
            peak_bytes_per_item: per_item(first.peak_bytes as u64),
            retained_bytes_per_item: per_item(first.retained_bytes as u64),
            key_value_bytes_per_item: per_item(first.outcome.key_value_bytes),
            allocations_per_item: per_item(first.allocations),
            extra: first.outcome.extra,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(ms: f64, items: u64) -> Run {
        Run {
            ms,
            peak_bytes: 0,
            retained_bytes: 0,
            allocations: 0,
            outcome: Outcome {
                items,
                ..Outcome::default()
            },
        }
    }

    #[test]
    fn the_report_takes_the_minimum_and_the_lower_median() {
        let _serial = crate::SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let r = Report::new(
            "X",
            "x",
            "events",
            vec![
                run(40.0, 1000),
                run(10.0, 1000),
                run(30.0, 1000),
                run(20.0, 1000),
            ],
        );
        assert_eq!(r.min_ms, 10.0);
        assert_eq!(r.median_ms, 20.0);
        assert_eq!(r.per_second, 100_000.0);
    }

    #[test]
    fn memory_excludes_what_was_held_before_and_the_input_buffer() {
        let _serial = crate::SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let r = measure(
            || Prepared {
                input: vec![0u8; 10_000],
                harness_bytes: 10_000,
            },
            |_input| {
                let kept = vec![1u8; 50_000];
                (Outcome::default(), kept)
            },
        );
        // The test harness's own threads may allocate or free meanwhile (the counter is
        // global), so the bounds are loose on both sides: about the 50,000 bytes kept, far
        // from the 60,000 the input buffer would add.
        assert!(r.retained_bytes >= 49_000, "{}", r.retained_bytes);
        assert!(r.retained_bytes < 60_000, "{}", r.retained_bytes);
        assert!(r.peak_bytes >= 49_000, "{}", r.peak_bytes);
    }
}
