//! Keyed routing: how a record's key picks its partition.
//!
//! Each partitioner reproduces a real client bit for bit, so a key lands on the partition
//! the real system would pick:
//! - [`Partitioner::Murmur2`]: the Apache Kafka Java client's default for keyed records,
//!   `toPositive(Utils.murmur2(keyBytes)) % numPartitions`.

use crate::ids::PartitionId;
use serde::{Deserialize, Serialize};

/// Which hashing scheme maps a key to a partition.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Partitioner {
    /// Kafka Java client default (`BuiltInPartitioner`): murmur2 of the key bytes.
    #[default]
    Murmur2,
}

/// The arithmetic behind one routing decision, kept so the UI can show it step by step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Routing {
    /// The key bytes that were hashed.
    pub key_bytes: Vec<u8>,
    /// The hash as the reference library exposes it (murmur2: signed 32-bit).
    pub hash: i64,
    /// The value the modulo was taken of (murmur2: `hash & 0x7fffffff`).
    pub positive_hash: u64,
    /// Number of partitions at the time of routing.
    pub partitions: u32,
    /// The chosen partition.
    pub partition: PartitionId,
}

impl Partitioner {
    /// Routes `key` over `partitions` partitions. `partitions` must be at least 1.
    pub fn route(self, key: &[u8], partitions: u32) -> Routing {
        assert!(partitions > 0, "a topic has at least one partition");
        match self {
            Partitioner::Murmur2 => {
                let hash = murmur2(key);
                let positive = to_positive(hash) as u64;
                Routing {
                    key_bytes: key.to_vec(),
                    hash: i64::from(hash),
                    positive_hash: positive,
                    partitions,
                    partition: PartitionId((positive % u64::from(partitions)) as u32),
                }
            }
        }
    }
}

/// Kafka's `Utils.toPositive`: clears the sign bit (not `abs`, which overflows on MIN).
pub fn to_positive(n: i32) -> u32 {
    (n & 0x7fff_ffff) as u32
}

/// Kafka's `org.apache.kafka.common.utils.Utils.murmur2`, ported with Java's wrapping `int`
/// arithmetic and unsigned shifts (`>>>`).
pub fn murmur2(data: &[u8]) -> i32 {
    const SEED: u32 = 0x9747_b28c;
    const M: u32 = 0x5bd1_e995;
    const R: u32 = 24;
    let length = data.len();
    let mut h: u32 = SEED ^ (length as u32);
    let chunks = data.chunks_exact(4);
    let tail = chunks.remainder();
    for chunk in chunks {
        let mut k = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    // Java's switch falls through from case 3 to case 1.
    if tail.len() >= 3 {
        h ^= u32::from(tail[2]) << 16;
    }
    if tail.len() >= 2 {
        h ^= u32::from(tail[1]) << 8;
    }
    if !tail.is_empty() {
        h ^= u32::from(tail[0]);
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Vectors from Apache Kafka's `UtilsTest.testMurmur2`.
    #[test]
    fn murmur2_matches_kafka_utils_test_vectors() {
        let cases: [(&[u8], i32); 6] = [
            (b"21", -973_932_308),
            (b"foobar", -790_332_482),
            (b"a-little-bit-long-string", -985_981_536),
            (b"a-little-bit-longer-string", -1_486_304_829),
            (
                b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8",
                -58_897_971,
            ),
            (b"abc", 479_470_107),
        ];
        for (key, expected) in cases {
            assert_eq!(
                murmur2(key),
                expected,
                "key {:?}",
                String::from_utf8_lossy(key)
            );
        }
    }

    #[test]
    fn to_positive_clears_sign_bit_even_for_min() {
        assert_eq!(to_positive(i32::MIN), 0);
        assert_eq!(to_positive(-1), 0x7fff_ffff);
        assert_eq!(to_positive(5), 5);
    }

    #[test]
    fn route_uses_positive_hash_modulo_partitions() {
        let r = Partitioner::Murmur2.route(b"foobar", 4);
        assert_eq!(r.hash, -790_332_482);
        assert_eq!(r.positive_hash, u64::from(to_positive(-790_332_482)));
        assert_eq!(r.partition, PartitionId((r.positive_hash % 4) as u32));
    }
}
