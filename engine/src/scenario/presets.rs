//! The scenarios under `scenarios/` at the repository root, compiled in: the page's
//! presets, the CLI's named saga scenarios and the tests' runs are the same files.

use super::Scenario;

/// `(file name, text)` of files under `scenarios/`, compiled in.
macro_rules! files {
    ($($name:literal),* $(,)?) => {
        [$(($name, include_str!(concat!("../../../scenarios/", $name, ".json")))),*]
    };
}

/// The seed documents' streaming scenarios, in the order the page lists them.
const STREAMING: [(&str, &str); 7] = files![
    "event-hubs-orders",
    "user-events",
    "demo-topics",
    "idle-seventh-consumer",
    "delivery-semantics",
    "eager-vs-cooperative",
    "producer-retries",
];

/// The seed documents' order flows, in the order the page and `orderflow-cli saga --list`
/// list them (files `scenarios/saga-NAME.json`).
const SAGA: [(&str, &str); 14] = files![
    "saga-happy-path",
    "saga-payment-fails-compensation",
    "saga-insufficient-stock",
    "saga-shipping-timeout",
    "saga-duplicate-delivery-without-inbox",
    "saga-duplicate-delivery-with-inbox",
    "saga-crash-without-outbox",
    "saga-crash-with-outbox",
    "saga-poison-message-dlq-resubmit",
    "saga-payment-outage-redelivery",
    "saga-slow-shipping-timeout",
    "saga-mixed-failures-orchestration",
    "saga-mixed-failures-choreography",
    "saga-event-sourced-order",
];

/// The cluster scenarios (brokers, replicas, the ISR, `acks`), in teaching order; the
/// tests in `engine/tests/cluster_presets.rs` check the story each one tells.
const CLUSTER: [(&str, &str); 4] = files![
    "cluster-single-broker",
    "cluster-acks-all-min-insync",
    "cluster-acks-1-loses-records",
    "cluster-unclean-election",
];

/// Names saga scenarios had before every scenario ran on consumer groups: the two crash
/// scenarios were the same on both drivers, and the prefix no longer tells anything apart.
pub(super) const RENAMED: [(&str, &str); 4] = [
    (
        "consumer-groups-crash-without-outbox",
        "crash-without-outbox",
    ),
    ("consumer-groups-crash-with-outbox", "crash-with-outbox"),
    (
        "consumer-groups-payment-outage",
        "payment-outage-redelivery",
    ),
    ("consumer-groups-shipping-timeout", "slow-shipping-timeout"),
];

fn parse(files: &[(&str, &str)]) -> Vec<Scenario> {
    files
        .iter()
        .map(|(file, json)| {
            Scenario::from_json(json)
                .unwrap_or_else(|e| panic!("scenarios/{file}.json is compiled in and tested: {e}"))
        })
        .collect()
}

/// The seed documents' streaming scenarios (the page's presets).
pub fn presets() -> Vec<Scenario> {
    parse(&STREAMING)
}

/// The cluster scenarios: the seed's single broker, `acks=all` with
/// `min.insync.replicas=2` on three brokers, `acks=1` losing records on failover, and an
/// unclean election.
pub fn cluster_presets() -> Vec<Scenario> {
    parse(&CLUSTER)
}

/// The seed documents' order flows (each with a `saga`).
pub fn saga_presets() -> Vec<Scenario> {
    parse(&SAGA)
}

/// The saga scenario named `name` (e.g. `happy-path`).
pub fn saga_preset(name: &str) -> Option<Scenario> {
    saga_presets().into_iter().find(|s| s.name == name)
}

/// The current name of a saga scenario that was renamed, for a helpful error.
pub fn renamed(old: &str) -> Option<&'static str> {
    RENAMED.iter().find(|(o, _)| *o == old).map(|(_, new)| *new)
}

/// The compiled-in files by file name (without `.json`), for the tests that keep them
/// canonical.
#[cfg(test)]
pub(super) fn files() -> impl Iterator<Item = (&'static str, &'static str)> {
    STREAMING.into_iter().chain(SAGA).chain(CLUSTER)
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
