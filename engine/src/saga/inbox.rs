//! The inbox: an idempotent consumer remembers which event ids each handler has processed,
//! so a redelivered record is acknowledged without running its effects again.
//!
//! The ids are recorded in the same (simulated) transaction as the handler's state change,
//! so "processed" and "marked" cannot drift apart.

use super::message::EventId;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Processed event ids per handler.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inbox {
    processed: BTreeMap<String, BTreeSet<EventId>>,
}

impl Inbox {
    /// True when `handler` already processed `event_id`.
    pub fn contains(&self, handler: &str, event_id: EventId) -> bool {
        self.processed
            .get(handler)
            .is_some_and(|ids| ids.contains(&event_id))
    }

    /// Records that `handler` processed `event_id`; false if it was already there.
    pub fn mark(&mut self, handler: &str, event_id: EventId) -> bool {
        self.processed
            .entry(handler.to_string())
            .or_default()
            .insert(event_id)
    }

    /// Number of ids remembered for `handler`.
    pub fn len(&self, handler: &str) -> usize {
        self.processed.get(handler).map_or(0, BTreeSet::len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_mark_of_the_same_event_is_refused_per_handler() {
        let mut inbox = Inbox::default();
        assert!(!inbox.contains("payment", EventId(7)));
        assert!(inbox.mark("payment", EventId(7)));
        assert!(inbox.contains("payment", EventId(7)));
        assert!(!inbox.mark("payment", EventId(7)));
        // Another handler has its own inbox.
        assert!(!inbox.contains("inventory", EventId(7)));
        assert_eq!(inbox.len("payment"), 1);
    }
}
