//! A topic: a name, a partitioner and one [`PartitionLog`] per partition.

use crate::ids::{Offset, PartitionId, Tick};
use crate::log::{OrderEvent, PartitionLog};
use crate::partitioner::{Partitioner, Routing};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The most partitions a topic may have in the simulation.
pub const MAX_PARTITIONS: u32 = 1024;

/// Errors from creating or writing to a topic.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum TopicError {
    #[error("a topic needs 1 to {max} partitions, not {requested}")]
    PartitionCount { requested: u32, max: u32 },
}

/// Where a produced record went.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Produced {
    pub routing: Routing,
    pub offset: Offset,
}

/// A named, partitioned log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Topic {
    name: String,
    partitioner: Partitioner,
    partitions: Vec<PartitionLog>,
}

impl Topic {
    /// Creates a topic with `partitions` empty partitions.
    pub fn new(
        name: impl Into<String>,
        partitions: u32,
        partitioner: Partitioner,
    ) -> Result<Self, TopicError> {
        if partitions == 0 || partitions > MAX_PARTITIONS {
            return Err(TopicError::PartitionCount {
                requested: partitions,
                max: MAX_PARTITIONS,
            });
        }
        Ok(Self {
            name: name.into(),
            partitioner,
            partitions: (0..partitions).map(|_| PartitionLog::default()).collect(),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn partitioner(&self) -> Partitioner {
        self.partitioner
    }

    pub fn partition_count(&self) -> u32 {
        self.partitions.len() as u32
    }

    pub fn partition(&self, id: PartitionId) -> Option<&PartitionLog> {
        self.partitions.get(id.0 as usize)
    }

    pub fn partitions(&self) -> &[PartitionLog] {
        &self.partitions
    }

    /// Routes a keyed record with the topic's partitioner and appends it.
    pub fn produce(&mut self, key: &str, value: OrderEvent, tick: Tick) -> Produced {
        let routing = self
            .partitioner
            .route(key.as_bytes(), self.partition_count());
        let offset =
            self.partitions[routing.partition.0 as usize].append(Some(key.into()), value, tick);
        Produced { routing, offset }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_zero_and_too_many_partitions() {
        assert!(Topic::new("t", 0, Partitioner::Murmur2).is_err());
        assert!(Topic::new("t", MAX_PARTITIONS + 1, Partitioner::Murmur2).is_err());
        assert!(Topic::new("t", MAX_PARTITIONS, Partitioner::Murmur2).is_ok());
    }

    #[test]
    fn same_key_always_lands_on_same_partition() {
        let mut t = Topic::new("orders", 4, Partitioner::Murmur2).unwrap();
        let ev = || OrderEvent {
            user_id: "U123".into(),
            order_id: "O456".into(),
            status: "Created".into(),
        };
        let a = t.produce("U123", ev(), Tick(0));
        let b = t.produce("U123", ev(), Tick(1));
        assert_eq!(a.routing.partition, b.routing.partition);
        assert_eq!(b.offset, Offset(1));
    }
}
