//! The cluster scenarios (brokers, replicas, the ISR, `acks`), stored as JSON under
//! `scenarios/cluster-*.json` and compiled in, so the files are the one source: the CLI runs
//! them, the page loads them, and the tests in `engine/tests/cluster_presets.rs` check the
//! story each one tells.

use super::Scenario;

/// The cluster files, in teaching order.
const FILES: [&str; 4] = [
    include_str!("../../../scenarios/cluster-single-broker.json"),
    include_str!("../../../scenarios/cluster-acks-all-min-insync.json"),
    include_str!("../../../scenarios/cluster-acks-1-loses-records.json"),
    include_str!("../../../scenarios/cluster-unclean-election.json"),
];

/// The cluster scenarios: the seed's single broker, `acks=all` with
/// `min.insync.replicas=2` on three brokers, `acks=1` losing records on failover, and an
/// unclean election.
pub fn cluster_presets() -> Vec<Scenario> {
    FILES
        .iter()
        .map(|json| Scenario::from_json(json).expect("the cluster scenario files parse"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cluster_preset_parses_and_names_brokers() {
        let presets = cluster_presets();
        assert_eq!(presets.len(), 4);
        for p in presets {
            assert!(p.name.starts_with("cluster-"), "{}", p.name);
            assert!(!p.cluster.brokers.is_empty(), "{} has brokers", p.name);
        }
    }
}
