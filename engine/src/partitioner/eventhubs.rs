//! Azure Event Hubs partition-key hashing, as the Azure SDKs' `PartitionResolver` does it.
//!
//! Reference: Azure/azure-sdk-for-net `sdk/eventhub/Azure.Messaging.EventHubs/src/Core/
//! PartitionResolver.cs` (`GenerateHashCode`, `ComputeHash`, `AssignForPartitionKey`), which the
//! SDK describes as a direct port of the Event Hubs service (gateway) code:
//! 1. the key string is encoded as UTF-8;
//! 2. Bob Jenkins' lookup3 `hashlittle2` runs over the bytes with both seeds 0, giving two
//!    32-bit values (`hash1` = c, `hash2` = b);
//! 3. they are folded to a signed 16-bit value: `(short)(hash1 ^ hash2)`;
//! 4. the partition is `Math.Abs(hash % partitionCount)` (C#'s `%` truncates toward zero,
//!    so the remainder takes the sign of the hash).

/// One 96-bit lookup3 state: the three 32-bit lanes `a`, `b`, `c`.
struct Lanes {
    a: u32,
    b: u32,
    c: u32,
}

impl Lanes {
    /// lookup3's `mix()`: reversible mixing of a full 12-byte block.
    fn mix(&mut self) {
        let Lanes { a, b, c } = self;
        *a = a.wrapping_sub(*c);
        *a ^= c.rotate_left(4);
        *c = c.wrapping_add(*b);
        *b = b.wrapping_sub(*a);
        *b ^= a.rotate_left(6);
        *a = a.wrapping_add(*c);
        *c = c.wrapping_sub(*b);
        *c ^= b.rotate_left(8);
        *b = b.wrapping_add(*a);
        *a = a.wrapping_sub(*c);
        *a ^= c.rotate_left(16);
        *c = c.wrapping_add(*b);
        *b = b.wrapping_sub(*a);
        *b ^= a.rotate_left(19);
        *a = a.wrapping_add(*c);
        *c = c.wrapping_sub(*b);
        *c ^= b.rotate_left(4);
        *b = b.wrapping_add(*a);
    }

    /// lookup3's `final()`: the last, irreversible mixing after the tail was added.
    fn finish(&mut self) {
        let Lanes { a, b, c } = self;
        *c ^= *b;
        *c = c.wrapping_sub(b.rotate_left(14));
        *a ^= *c;
        *a = a.wrapping_sub(c.rotate_left(11));
        *b ^= *a;
        *b = b.wrapping_sub(a.rotate_left(25));
        *c ^= *b;
        *c = c.wrapping_sub(b.rotate_left(16));
        *a ^= *c;
        *a = a.wrapping_sub(c.rotate_left(4));
        *b ^= *a;
        *b = b.wrapping_sub(a.rotate_left(14));
        *c ^= *b;
        *c = c.wrapping_sub(b.rotate_left(24));
    }

    /// Adds one 12-byte block (or the zero-padded tail) as three little-endian words.
    fn add_block(&mut self, block: &[u8; 12]) {
        let word =
            |i: usize| u32::from_le_bytes([block[i], block[i + 1], block[i + 2], block[i + 3]]);
        self.a = self.a.wrapping_add(word(0));
        self.b = self.b.wrapping_add(word(4));
        self.c = self.c.wrapping_add(word(8));
    }
}

/// Jenkins' lookup3 `hashlittle2` as the Event Hubs SDK's `ComputeHash(data, seed1, seed2)`
/// implements it. Returns `(hash1, hash2)`, i.e. lookup3's `(c, b)`.
pub fn lookup3_hashlittle2(data: &[u8], seed1: u32, seed2: u32) -> (u32, u32) {
    let initial = 0xdead_beef_u32
        .wrapping_add(data.len() as u32)
        .wrapping_add(seed1);
    let mut lanes = Lanes {
        a: initial,
        b: initial,
        c: initial.wrapping_add(seed2),
    };
    // Every full 12-byte block except the last one is mixed; the last 1..=12 bytes are the
    // tail (`tripletCount = length > 12 ? (length - 1) / 12 : 0` in the SDK).
    let block_count = if data.len() > 12 {
        (data.len() - 1) / 12
    } else {
        0
    };
    let (blocks, tail) = data.split_at(block_count * 12);
    for block in blocks.chunks_exact(12) {
        let block: &[u8; 12] = block.try_into().expect("chunks_exact yields 12 bytes");
        lanes.add_block(block);
        lanes.mix();
    }
    if tail.is_empty() {
        // `case 0`: only reached for empty input; lookup3 returns without the final mix.
        return (lanes.c, lanes.b);
    }
    // The SDK's `switch (size)` with its fall-through cases adds byte k of the tail at bit
    // 8 * (k % 4) of word k / 4 (a, b, c): exactly the zero-padded little-endian words.
    let mut padded = [0u8; 12];
    padded[..tail.len()].copy_from_slice(tail);
    lanes.add_block(&padded);
    lanes.finish();
    (lanes.c, lanes.b)
}

/// The SDK's `GenerateHashCode`: lookup3 over the UTF-8 key with seeds 0, folded to `short`.
pub fn event_hubs_hash(key_utf8: &[u8]) -> i16 {
    let (hash1, hash2) = lookup3_hashlittle2(key_utf8, 0, 0);
    (hash1 ^ hash2) as i16
}

/// The SDK's `AssignForPartitionKey`: `Math.Abs(hash % partitionCount)`.
pub fn event_hubs_partition(hash: i16, partitions: u32) -> u32 {
    // Rust's `%` on signed integers truncates toward zero, like C#'s.
    (i64::from(hash) % i64::from(partitions)).unsigned_abs() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Azure/azure-sdk-for-net `sdk/eventhub/Azure.Messaging.EventHubs/tests/Core/
    /// PartitionResolverTests.cs`, `PartitionHashTestCases` (the Python SDK's
    /// `test_partition_resolver.py` repeats all of them except "131").
    const SDK_HASH_VECTORS: [(&str, i16); 12] = [
        ("7", -15263),
        ("131", 30562),
        ("7149583486996073602", 12977),
        ("FWfAT", -22341),
        ("sOdeEAsyQoEuEFPGerWO", -6503),
        (
            "FAyAIctPeCgmiwLKbJcyswoHglHVjQdvtBowLACDNORsYvOcLddNJYDmhAVkbyLOrHTKLneMNcbgWVlasVywOByANjs",
            5226,
        ),
        (
            "1XYM6!(7(lF5wq4k4m*e$Nc!1ezLJv*1YK1Y-C^*&B$O)lq^iUkG(TNzXG;Zi#z2Og*Qq0#^*k):vXh$3,C7We7%W0meJ;b3,rQCg^J;^twXgs5E$$hWKxqp",
            23950,
        ),
        (
            "E(x;RRIaQcJs*P;D&jTPau-4K04oqr:lF6Z):ERpo&;9040qyV@G1_c9mgOs-8_8/10Fwa-7b7-yP!T-!IH&968)FWuI;(^g$2fN;)HJ^^yTn:",
            -29304,
        ),
        ("!c*_!I@1^c", 15372),
        ("p4*!jioeO/z-!-;w:dh", -3104),
        ("$0cb", 26269),
        ("-4189260826195535198", 453),
    ];

    #[test]
    fn hash_matches_azure_sdk_partition_resolver_vectors() {
        for (key, expected) in SDK_HASH_VECTORS {
            assert_eq!(event_hubs_hash(key.as_bytes()), expected, "key {key:?}");
        }
    }

    #[test]
    fn sdk_vectors_cover_every_tail_length_class() {
        // Tail lengths 1..=12 take different branches of the SDK's switch; make sure the
        // vectors above reach the short, word-aligned and long cases.
        let tails: std::collections::BTreeSet<usize> = SDK_HASH_VECTORS
            .iter()
            .map(|(key, _)| {
                let len = key.len();
                len - if len > 12 { (len - 1) / 12 * 12 } else { 0 }
            })
            .collect();
        assert!(tails.len() >= 6, "tail lengths covered: {tails:?}");
    }

    /// Bob Jenkins' lookup3.c, `driver5()`: `hashlittle2(key, len, &c, &b)` with `*pc` the
    /// first seed and `*pb` the second, printing `c b`.
    #[test]
    fn lookup3_matches_jenkins_driver5_vectors() {
        let four_score = b"Four score and seven years ago";
        /// Input, first seed, second seed, and the expected `(hash1, hash2)`.
        type Case<'a> = (&'a [u8], u32, u32, (u32, u32));
        let cases: [Case; 6] = [
            (b"", 0, 0, (0xdead_beef, 0xdead_beef)),
            (b"", 0, 0xdead_beef, (0xbd5b_7dde, 0xdead_beef)),
            (b"", 0xdead_beef, 0xdead_beef, (0x9c09_3ccd, 0xbd5b_7dde)),
            (four_score, 0, 0, (0x1777_0551, 0xce72_26e6)),
            (four_score, 0, 1, (0xe360_7cae, 0xbd37_1de4)),
            (four_score, 1, 0, (0xcd62_8161, 0x6cbe_a4b3)),
        ];
        for (data, seed1, seed2, expected) in cases {
            assert_eq!(
                lookup3_hashlittle2(data, seed1, seed2),
                expected,
                "data {:?} seeds {seed1:#x} {seed2:#x}",
                String::from_utf8_lossy(data)
            );
        }
    }

    #[test]
    fn empty_input_skips_the_final_mix() {
        // `case 0`: a = b = c = 0xdeadbeef and nothing is mixed, so hash1 ^ hash2 = 0.
        assert_eq!(lookup3_hashlittle2(b"", 0, 0), (0xdead_beef, 0xdead_beef));
        assert_eq!(event_hubs_hash(b""), 0);
    }

    #[test]
    fn partition_is_absolute_value_of_truncated_remainder() {
        // -15263 % 4 = -3 in C#, Math.Abs gives 3 (floor modulo would give 1).
        assert_eq!(event_hubs_partition(-15263, 4), 3);
        assert_eq!(event_hubs_partition(30562, 4), 2);
        assert_eq!(event_hubs_partition(i16::MIN, 7), (32768 % 7) as u32);
        assert_eq!(event_hubs_partition(-1, 1), 0);
    }
}
