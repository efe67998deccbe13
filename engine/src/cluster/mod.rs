//! The Kafka cluster under the topics: brokers, and where each partition's replicas live.
//!
//! - [`placement`]: Kafka's replica placement (`AdminUtils.assignReplicasToBrokers`), which
//!   decides the replica list (leader first) of every partition of a new topic.
//! - [`replication`]: brokers that die and restart, the controller's leader elections, the
//!   ISR, per-replica log end offsets, the high watermark, `acks` and
//!   `min.insync.replicas`, and the records a failover loses, named.

pub mod placement;
pub mod replication;

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
