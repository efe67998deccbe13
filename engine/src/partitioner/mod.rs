//! Routing: how a record picks its partition.
//!
//! Records with a key are hashed, and each keyed partitioner reproduces a real client bit
//! for bit, so a key lands on the partition the real system would pick:
//! - [`Partitioner::Murmur2`] (`murmur2`): the Apache Kafka Java client's default,
//!   `toPositive(Utils.murmur2(keyBytes)) % numPartitions` ([`murmur2()`](fn@murmur2)).
//! - [`Partitioner::Crc32`] (`crc32`): librdkafka's default `consistent_random`,
//!   `rd_crc32(key) % partition_cnt` ([`crc32()`](fn@crc32)).
//! - [`Partitioner::EventHubs`] (`eventhubs`): Azure Event Hubs partition keys, Jenkins
//!   lookup3 over the UTF-8 key folded to a signed 16-bit value, `|hash % N|`
//!   ([`event_hubs_hash`]).
//!
//! Every decision comes back as a [`Routing`] holding the numbers behind it, so the UI can
//! show key -> bytes -> hash -> mod N -> partition.
//!
//! The arithmetic works for any partition count a Kafka topic can have: Kafka's
//! `numPartitions` is a Java `int`, so up to [`MAX_PARTITIONS`] = 2,147,483,647, and all three
//! reference libraries compute `hash mod N` without a smaller limit (librdkafka's
//! `partition_cnt` is an `int32_t`; the Azure SDKs' `Math.Abs(hash % partitions.Length)` takes
//! an `int` count, and as the folded hash is a 16-bit value, counts above 32,768 give
//! `|hash|`). A [`Topic`](crate::topic::Topic) the simulation holds has its own, smaller
//! limit ([`topic::MAX_PARTITIONS`](crate::topic::MAX_PARTITIONS)).
//!
//! Records without a key are spread by an [`UnkeyedRouter`] (round-robin or Kafka's sticky
//! batches), which the topic owns and which draws randomness only from the simulation's
//! [`SimRng`](crate::rng::SimRng).

mod crc32;
mod eventhubs;
mod murmur2;
mod unkeyed;

pub use crc32::crc32;
pub use eventhubs::{event_hubs_hash, event_hubs_partition, lookup3_hashlittle2};
pub use murmur2::{murmur2, to_positive};
pub use unkeyed::{UnkeyedRouter, UnkeyedStrategy};

use crate::ids::PartitionId;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The most partitions the routing arithmetic accepts: Kafka's partition count is a Java
/// `int`, so 2,147,483,647 (`i32::MAX`).
pub const MAX_PARTITIONS: u32 = i32::MAX as u32;

/// Errors from choosing or naming a partitioner.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PartitionerError {
    /// A topic needs at least one partition to route to.
    #[error("cannot route over {partitions} partitions: a topic has at least 1")]
    NoPartitions {
        /// The partition count that was asked for.
        partitions: u32,
    },
    /// More partitions than a Kafka topic can have.
    #[error("cannot route over {partitions} partitions: a Kafka topic has at most {max}")]
    TooManyPartitions {
        /// The partition count that was asked for.
        partitions: u32,
        /// [`MAX_PARTITIONS`].
        max: u32,
    },
    /// The name is not one of [`Partitioner::ALL`].
    #[error("unknown partitioner {name:?}: expected one of murmur2, crc32, eventhubs")]
    UnknownPartitioner {
        /// The name that was given.
        name: String,
    },
}

/// Which hashing scheme maps a key to a partition.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Partitioner {
    /// Kafka Java client default (`BuiltInPartitioner`): murmur2 of the key bytes.
    #[default]
    Murmur2,
    /// librdkafka default (`consistent_random`): CRC-32 of the key bytes.
    Crc32,
    /// Azure Event Hubs SDKs (`PartitionResolver`): lookup3 of the UTF-8 partition key.
    #[serde(rename = "eventhubs")]
    EventHubs,
}

crate::unit_enum_reader!(Partitioner {
    "murmur2" => Murmur2,
    "crc32" => Crc32,
    "eventhubs" => EventHubs,
});

impl Partitioner {
    /// Every keyed partitioner, in the order the UI lists them.
    pub const ALL: [Partitioner; 3] = [
        Partitioner::Murmur2,
        Partitioner::Crc32,
        Partitioner::EventHubs,
    ];

    /// The partitioner's name as the CLI and scenario files spell it.
    pub fn name(self) -> &'static str {
        match self {
            Partitioner::Murmur2 => "murmur2",
            Partitioner::Crc32 => "crc32",
            Partitioner::EventHubs => "eventhubs",
        }
    }

    /// Whether the reference client sends an empty (zero-length) key down the unkeyed path
    /// instead of hashing it. librdkafka's `consistent_random` does (`keylen == 0` is routed
    /// like a missing key); Kafka's Java client hashes an empty key like any other.
    /// [`Partitioner::route`] always hashes; the topic decides which path a record takes.
    pub fn empty_key_is_unkeyed(self) -> bool {
        matches!(self, Partitioner::Crc32)
    }

    /// Routes `key` over `partitions` partitions (1 to [`MAX_PARTITIONS`]), or says why it
    /// cannot.
    pub fn try_route(self, key: &[u8], partitions: u32) -> Result<Routing, PartitionerError> {
        if partitions == 0 {
            return Err(PartitionerError::NoPartitions { partitions });
        }
        if partitions > MAX_PARTITIONS {
            return Err(PartitionerError::TooManyPartitions {
                partitions,
                max: MAX_PARTITIONS,
            });
        }
        let (hash, modulo_input, partition) = match self {
            Partitioner::Murmur2 => {
                let hash = murmur2(key);
                let positive = to_positive(hash);
                (i64::from(hash), u64::from(positive), positive % partitions)
            }
            Partitioner::Crc32 => {
                let crc = crc32(key);
                (i64::from(crc), u64::from(crc), crc % partitions)
            }
            Partitioner::EventHubs => {
                let hash = event_hubs_hash(key);
                // |h % N| equals |h| mod N for C#'s truncating remainder.
                (
                    i64::from(hash),
                    u64::from(hash.unsigned_abs()),
                    event_hubs_partition(hash, partitions),
                )
            }
        };
        Ok(Routing {
            partitioner: self,
            hash,
            positive_hash: modulo_input,
            partitions,
            partition: PartitionId(partition),
        })
    }

    /// Routes `key` over `partitions` partitions. `partitions` must be 1 to
    /// [`MAX_PARTITIONS`] (a topic guarantees it); use [`Partitioner::try_route`] for
    /// unchecked input.
    pub fn route(self, key: &[u8], partitions: u32) -> Routing {
        assert!(
            (1..=MAX_PARTITIONS).contains(&partitions),
            "a topic has 1 to {MAX_PARTITIONS} partitions"
        );
        match self.try_route(key, partitions) {
            Ok(routing) => routing,
            Err(error) => unreachable!("the partition count was checked: {error}"),
        }
    }
}

impl fmt::Display for Partitioner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Partitioner {
    type Err = PartitionerError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Partitioner::ALL
            .into_iter()
            .find(|p| p.name() == name)
            .ok_or_else(|| PartitionerError::UnknownPartitioner {
                name: name.to_owned(),
            })
    }
}

/// The arithmetic behind one keyed routing decision, kept so the UI can show it step by step.
///
/// The bytes that were hashed are not kept: a record's are its key's UTF-8 bytes under
/// every partitioner, and the key travels beside its routing (a trace's `produced` event
/// writes them back as `key_bytes`, as it always has). Keeping a copy cost an allocation
/// per record produced, and a free when the trace dropped the event.
///
/// No `Serialize`: written alone it would lack the `key_bytes` every JSON of it carries;
/// [`TraceEvent::Produced`](crate::trace::TraceEvent::Produced) writes it with its key's
/// bytes. Reading one ignores `key_bytes`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub struct Routing {
    /// The partitioner that made the decision.
    pub partitioner: Partitioner,
    /// The hash as the reference library exposes it: murmur2 a signed 32-bit `int`
    /// (`Utils.murmur2`), crc32 an unsigned 32-bit value (`rd_crc32`), eventhubs a signed
    /// 16-bit `short` (`GenerateHashCode`).
    pub hash: i64,
    /// The non-negative value the partition is `positive_hash % partitions` of: murmur2
    /// `hash & 0x7fffffff` (`toPositive`), crc32 the hash itself, eventhubs `|hash|`
    /// (since `|hash % N| = |hash| mod N`).
    pub positive_hash: u64,
    /// Number of partitions at the time of routing.
    pub partitions: u32,
    /// The chosen partition.
    pub partition: PartitionId,
}

impl Routing {
    /// The arithmetic in words, as the reference library does it, e.g.
    /// `murmur2(key) = -790332482; toPositive = 1357151166; 1357151166 mod 4 = 2`.
    pub fn explain(&self) -> String {
        let (hash, positive, n, p) = (
            self.hash,
            self.positive_hash,
            self.partitions,
            self.partition.0,
        );
        match self.partitioner {
            Partitioner::Murmur2 => {
                format!("murmur2(key) = {hash}; toPositive = {positive}; {positive} mod {n} = {p}")
            }
            Partitioner::Crc32 => format!("crc32(key) = {hash}; {hash} mod {n} = {p}"),
            Partitioner::EventHubs => {
                format!("lookup3(key) folded to 16 bits = {hash}; |{hash} mod {n}| = {p}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn route_uses_positive_hash_modulo_partitions() {
        let r = Partitioner::Murmur2.route(b"foobar", 4);
        assert_eq!(r.hash, -790_332_482);
        assert_eq!(r.positive_hash, u64::from(to_positive(-790_332_482)));
        assert_eq!(r.partition, PartitionId((r.positive_hash % 4) as u32));
        assert_eq!(r.partitioner, Partitioner::Murmur2);
    }

    /// dpkp/kafka-python test/test_partitioner.py `test_murmur2_java_compatibility`: partitions
    /// over 1000 partitions "compared with output from Kafka's Partitioner".
    #[test]
    fn murmur2_partitions_match_kafka_python_java_compatibility_vectors() {
        let cases: [(&[u8], u32); 6] = [
            (b"", 681),
            (b"a", 524),
            (b"ab", 434),
            (b"abc", 107),
            (b"123456789", 566),
            (b"\x00 ", 742),
        ];
        for (key, expected) in cases {
            assert_eq!(
                Partitioner::Murmur2.route(key, 1000).partition,
                PartitionId(expected),
                "key {key:?}"
            );
        }
    }

    /// librdkafka tests/0048-partitioner.c runs its expectations on 7 (quick) and 17
    /// partitions: `crc % part_cnt` for `consistent`, `masked murmur2 % part_cnt` for `murmur2`.
    #[test]
    fn partitions_match_librdkafka_0048_partitioner_expectations() {
        let keys: [&[u8]; 4] = [
            b"",
            b"23456",
            b"this is another string with more length to it perhaps",
            b"hejsan",
        ];
        let crc: [u32; 4] = [0x0, 0xb1b4_51d7, 0xb015_0df7, 0xd077_037e];
        let murmur: [u32; 4] = [0x106e_08d9, 0x058d_780f, 0x4f77_03da, 0x5ec1_9395];
        for part_cnt in [7u32, 17] {
            for i in 0..keys.len() {
                let c = Partitioner::Crc32.route(keys[i], part_cnt);
                assert_eq!(c.hash, i64::from(crc[i]));
                assert_eq!(c.partition, PartitionId(crc[i] % part_cnt));
                let m = Partitioner::Murmur2.route(keys[i], part_cnt);
                assert_eq!(m.positive_hash, u64::from(murmur[i]));
                assert_eq!(m.partition, PartitionId(murmur[i] % part_cnt));
            }
        }
    }

    #[test]
    fn eventhubs_routing_carries_the_signed_short_and_its_absolute_value() {
        let r = Partitioner::EventHubs.route(b"7", 4);
        assert_eq!(r.hash, -15263);
        assert_eq!(r.positive_hash, 15263);
        assert_eq!(r.partition, PartitionId(3)); // Math.Abs(-15263 % 4) = Math.Abs(-3)
        assert_eq!(
            r.explain(),
            "lookup3(key) folded to 16 bits = -15263; |-15263 mod 4| = 3"
        );
    }

    #[test]
    fn zero_partitions_is_an_error_not_a_panic() {
        assert_eq!(
            Partitioner::Crc32.try_route(b"k", 0),
            Err(PartitionerError::NoPartitions { partitions: 0 })
        );
    }

    /// Kafka's partition count is a Java int: 2147483647 routes, one more does not.
    #[test]
    fn partition_counts_reach_kafkas_int_limit() {
        for partitioner in Partitioner::ALL {
            assert!(partitioner.try_route(b"k", MAX_PARTITIONS).is_ok());
            assert_eq!(
                partitioner.try_route(b"k", MAX_PARTITIONS + 1),
                Err(PartitionerError::TooManyPartitions {
                    partitions: MAX_PARTITIONS + 1,
                    max: MAX_PARTITIONS
                })
            );
        }
    }

    /// Over 2147483647 partitions: murmur2's positive hash is below the count, so it is the
    /// partition (Kafka UtilsTest's "foobar" hash); crc32 wraps once ("23456" from
    /// librdkafka's 0048-partitioner test); Event Hubs' 16-bit hash is its own absolute value.
    #[test]
    fn the_largest_topic_routes_like_the_reference_libraries() {
        let n = MAX_PARTITIONS;
        let m = Partitioner::Murmur2.route(b"foobar", n);
        assert_eq!(m.partition, PartitionId(1_357_151_166));
        let c = Partitioner::Crc32.route(b"23456", n);
        assert_eq!(c.hash, 0xb1b4_51d7);
        assert_eq!(c.partition, PartitionId(0xb1b4_51d7 - n));
        let e = Partitioner::EventHubs.route(b"7", n);
        assert_eq!(e.partition, PartitionId(15263));
        // Above 32,768 partitions an Event Hubs key can only reach the first 32,769.
        assert_eq!(
            Partitioner::EventHubs.route(b"7", 40_000).partition,
            PartitionId(15263)
        );
    }

    #[test]
    fn names_round_trip_through_serde_and_from_str() {
        for p in Partitioner::ALL {
            let json = serde_json::to_string(&p).expect("serialises");
            assert_eq!(json, format!("\"{}\"", p.name()));
            assert_eq!(
                serde_json::from_str::<Partitioner>(&json).expect("parses"),
                p
            );
            assert_eq!(p.name().parse::<Partitioner>(), Ok(p));
        }
        assert!(matches!(
            "event-hubs".parse::<Partitioner>(),
            Err(PartitionerError::UnknownPartitioner { .. })
        ));
    }

    fn any_partitioner() -> impl Strategy<Value = Partitioner> {
        prop::sample::select(Partitioner::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn partition_is_always_below_the_partition_count(
            partitioner in any_partitioner(),
            key in prop::collection::vec(any::<u8>(), 0..64),
            partitions in prop_oneof![1u32..=1024, 1u32..=MAX_PARTITIONS],
        ) {
            let r = partitioner.route(&key, partitions);
            prop_assert!(r.partition.0 < partitions);
            prop_assert_eq!(u64::from(r.partition.0), r.positive_hash % u64::from(partitions));
        }

        #[test]
        fn same_key_same_partition(
            partitioner in any_partitioner(),
            key in prop::collection::vec(any::<u8>(), 0..64),
            partitions in 1u32..=1024,
        ) {
            prop_assert_eq!(
                partitioner.route(&key, partitions),
                partitioner.route(&key.clone(), partitions)
            );
        }

        #[test]
        fn hash_stays_in_the_reference_type_range(
            key in prop::collection::vec(any::<u8>(), 0..64),
        ) {
            let m = Partitioner::Murmur2.route(&key, 1).hash;
            prop_assert!(i64::from(i32::MIN) <= m && m <= i64::from(i32::MAX));
            let c = Partitioner::Crc32.route(&key, 1).hash;
            prop_assert!(0 <= c && c <= i64::from(u32::MAX));
            let e = Partitioner::EventHubs.route(&key, 1).hash;
            prop_assert!(i64::from(i16::MIN) <= e && e <= i64::from(i16::MAX));
        }
    }
}
