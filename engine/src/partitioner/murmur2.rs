//! Apache Kafka's keyed partitioner: `toPositive(Utils.murmur2(keyBytes)) % numPartitions`.
//!
//! Reference: `org.apache.kafka.common.utils.Utils.murmur2` and `Utils.toPositive`, used by
//! the Java client's `BuiltInPartitioner.partitionForKey` (and by librdkafka's `murmur2`
//! partitioner, which masks the sign bit the same way).

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

    /// Vectors from Apache Kafka's `UtilsTest.testMurmur2`
    /// (clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java).
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

    /// librdkafka tests/0048-partitioner.c, `murmur2` row: the masked hashes
    /// (`murmur2 & 0x7fffffff`) its authors took from Kafka's Java client (tests/java/Murmur2Cli).
    #[test]
    fn murmur2_matches_librdkafka_0048_partitioner_vectors() {
        let cases: [(&[u8], u32); 4] = [
            (b"", 0x106e_08d9),
            (b"23456", 0x058d_780f),
            (
                b"this is another string with more length to it perhaps",
                0x4f77_03da,
            ),
            (b"hejsan", 0x5ec1_9395),
        ];
        for (key, expected) in cases {
            assert_eq!(
                to_positive(murmur2(key)),
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
}
