//! The Kafka cluster under the topics: brokers, and where each partition's replicas live.
//!
//! Today this holds the pure part that needs no running brokers: [`placement`], Kafka's
//! replica placement (`AdminUtils.assignReplicasToBrokers`), which decides the replica list
//! (leader first) of every partition of a new topic. The broker model of issue #13 (brokers
//! that die and restart, leaders, the ISR, high watermarks) grows here on top of it.

pub mod placement;

use serde::{Deserialize, Serialize};
use std::fmt;

/// A broker's id (Kafka's `broker.id` / `node.id`, a Java `int`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BrokerId(pub i32);

impl fmt::Display for BrokerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}
