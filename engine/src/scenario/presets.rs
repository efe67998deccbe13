//! The scenarios under `scenarios/` at the repository root, compiled in: the page's
//! presets, the CLI's named saga scenarios and the tests' runs are the same files.

use super::Scenario;

/// The seed documents' streaming scenarios, in the order the page lists them.
const STREAMING: [(&str, &str); 7] = [
    (
        "event-hubs-orders",
        include_str!("../../../scenarios/event-hubs-orders.json"),
    ),
    (
        "user-events",
        include_str!("../../../scenarios/user-events.json"),
    ),
    (
        "demo-topics",
        include_str!("../../../scenarios/demo-topics.json"),
    ),
    (
        "idle-seventh-consumer",
        include_str!("../../../scenarios/idle-seventh-consumer.json"),
    ),
    (
        "delivery-semantics",
        include_str!("../../../scenarios/delivery-semantics.json"),
    ),
    (
        "eager-vs-cooperative",
        include_str!("../../../scenarios/eager-vs-cooperative.json"),
    ),
    (
        "producer-retries",
        include_str!("../../../scenarios/producer-retries.json"),
    ),
];

/// The seed documents' order flows, in the order the page and `orderflow-cli saga --list`
/// list them (files `scenarios/saga-NAME.json`).
const SAGA: [(&str, &str); 14] = [
    (
        "saga-happy-path",
        include_str!("../../../scenarios/saga-happy-path.json"),
    ),
    (
        "saga-payment-fails-compensation",
        include_str!("../../../scenarios/saga-payment-fails-compensation.json"),
    ),
    (
        "saga-insufficient-stock",
        include_str!("../../../scenarios/saga-insufficient-stock.json"),
    ),
    (
        "saga-shipping-timeout",
        include_str!("../../../scenarios/saga-shipping-timeout.json"),
    ),
    (
        "saga-duplicate-delivery-without-inbox",
        include_str!("../../../scenarios/saga-duplicate-delivery-without-inbox.json"),
    ),
    (
        "saga-duplicate-delivery-with-inbox",
        include_str!("../../../scenarios/saga-duplicate-delivery-with-inbox.json"),
    ),
    (
        "saga-crash-without-outbox",
        include_str!("../../../scenarios/saga-crash-without-outbox.json"),
    ),
    (
        "saga-crash-with-outbox",
        include_str!("../../../scenarios/saga-crash-with-outbox.json"),
    ),
    (
        "saga-poison-message-dlq-resubmit",
        include_str!("../../../scenarios/saga-poison-message-dlq-resubmit.json"),
    ),
    (
        "saga-payment-outage-redelivery",
        include_str!("../../../scenarios/saga-payment-outage-redelivery.json"),
    ),
    (
        "saga-slow-shipping-timeout",
        include_str!("../../../scenarios/saga-slow-shipping-timeout.json"),
    ),
    (
        "saga-mixed-failures-orchestration",
        include_str!("../../../scenarios/saga-mixed-failures-orchestration.json"),
    ),
    (
        "saga-mixed-failures-choreography",
        include_str!("../../../scenarios/saga-mixed-failures-choreography.json"),
    ),
    (
        "saga-event-sourced-order",
        include_str!("../../../scenarios/saga-event-sourced-order.json"),
    ),
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
    STREAMING.into_iter().chain(SAGA)
}
