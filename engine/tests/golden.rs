//! Golden summaries of the preset scenarios: the final state of each seed scenario is
//! pinned, so a change in behaviour (routing, assignment, timing, commits) shows up as a
//! diff in `engine/tests/golden/`. After an intended change, regenerate with
//! `UPDATE_GOLDEN=1 cargo test -p orderflow-engine --test golden` and review the diff.

use orderflow_engine::ids::Tick;
use orderflow_engine::scenario::{cluster_presets, presets};
use orderflow_engine::sim::Sim;
use std::path::Path;

#[test]
fn preset_summaries_match_the_golden_files() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    if update {
        std::fs::create_dir_all(&dir).unwrap();
    }
    for preset in presets().into_iter().chain(cluster_presets()) {
        let mut sim = Sim::from_scenario(&preset).unwrap();
        sim.run_until(Tick(preset.run_ticks()));
        let mut summary = serde_json::to_string_pretty(&sim.summary()).unwrap();
        summary.push('\n');
        let path = dir.join(format!("{}.summary.json", preset.name));
        if update {
            std::fs::write(&path, &summary).unwrap();
        }
        let golden = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_GOLDEN=1 creates it)", path.display()));
        assert_eq!(
            golden, summary,
            "{} changed (seed {}); if intended, regenerate with UPDATE_GOLDEN=1",
            preset.name, preset.seed
        );
    }
}
