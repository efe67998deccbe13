//! The few Java library behaviours Kafka's assignors depend on, reproduced so that ties are
//! broken exactly as the Java client breaks them.
//!
//! - `String.compareTo` orders by UTF-16 code units, not by UTF-8 bytes (they differ for
//!   characters above U+FFFF against U+E000..U+FFFF).
//! - `java.util.HashMap`/`HashSet` iterate bucket by bucket (bucket = spread hash masked by
//!   the table capacity), and inside a bucket in insertion order. Kafka's sticky assignor
//!   iterates such maps in a few places where the order decides the result (which member
//!   keeps its extra partition first, which of several moved partitions moves back), so we
//!   compute the same order instead of guessing. Bins that Java turns into trees (8 or more
//!   keys in one bucket of a table of 64 or more) are not modelled; with member ids and
//!   topic partitions that needs pathological hash collisions.

use super::TopicPartition;
use std::cmp::Ordering;

/// `String.compareTo`: lexicographic over UTF-16 code units.
pub(crate) fn compare_strings(a: &str, b: &str) -> Ordering {
    if a.is_ascii() && b.is_ascii() {
        return a.cmp(b);
    }
    a.encode_utf16().cmp(b.encode_utf16())
}

/// `String.hashCode`: `s[0]*31^(n-1) + ... + s[n-1]` over UTF-16 code units, wrapping.
pub(crate) fn string_hash_code(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |h, unit| {
        h.wrapping_mul(31).wrapping_add(i32::from(unit))
    })
}

/// `org.apache.kafka.common.TopicPartition.hashCode`: `31 * (31 + partition) + topic.hashCode()`.
pub(crate) fn topic_partition_hash_code(tp: &TopicPartition) -> i32 {
    31i32
        .wrapping_mul(31i32.wrapping_add(tp.partition.0 as i32))
        .wrapping_add(string_hash_code(&tp.topic))
}

/// The bucket `HashMap` puts a key with this `hashCode` in, for a table of `capacity` (a power
/// of two): `(h ^ (h >>> 16)) & (capacity - 1)`.
fn bucket(hash_code: i32, capacity: usize) -> usize {
    let h = hash_code as u32;
    ((h ^ (h >> 16)) as usize) & (capacity - 1)
}

/// Table capacity of a `new HashMap<>()` (or `new HashSet<>()`) that has held at most
/// `peak_size` entries: 16, doubled whenever the size exceeds three quarters of it. Tables
/// never shrink.
pub(crate) fn default_capacity(peak_size: usize) -> usize {
    let mut capacity = 16;
    while peak_size > capacity / 4 * 3 {
        capacity *= 2;
    }
    capacity
}

/// Reorders `items` (given in insertion order) into the iteration order of a Java hash map
/// of `capacity` holding them as keys.
pub(crate) fn hash_order<T>(
    items: Vec<T>,
    hash_code: impl Fn(&T) -> i32,
    capacity: usize,
) -> Vec<T> {
    let mut keyed: Vec<(usize, T)> = items
        .into_iter()
        .map(|item| (bucket(hash_code(&item), capacity), item))
        .collect();
    // Stable: inside a bucket, insertion order (Java appends to the bucket's chain, and a
    // resize splits chains without reordering them).
    crate::sort::sort_by_key(&mut keyed, |(b, _)| *b);
    keyed.into_iter().map(|(_, item)| item).collect()
}

/// A `java.util.HashSet<TopicPartition>` created with `new HashSet<>()`, reduced to what the
/// sticky assignor asks of it: membership and `iterator().next()`.
#[derive(Clone, Debug, Default)]
pub(crate) struct TopicPartitionHashSet {
    /// Live elements in insertion order.
    items: Vec<TopicPartition>,
    peak_size: usize,
}

impl TopicPartitionHashSet {
    pub(crate) fn insert(&mut self, tp: TopicPartition) {
        if !self.items.contains(&tp) {
            self.items.push(tp);
            self.peak_size = self.peak_size.max(self.items.len());
        }
    }

    pub(crate) fn remove(&mut self, tp: &TopicPartition) {
        self.items.retain(|t| t != tp);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// What `iterator().next()` returns: the first element of the lowest non-empty bucket.
    pub(crate) fn first(&self) -> Option<&TopicPartition> {
        let capacity = default_capacity(self.peak_size);
        self.items
            .iter()
            .enumerate()
            .min_by_key(|(i, tp)| (bucket(topic_partition_hash_code(tp), capacity), *i))
            .map(|(_, tp)| tp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_hash_code_matches_java() {
        // Well-known JDK values: "hello".hashCode() == 99162322, and the classic collision
        // "Aa".hashCode() == "BB".hashCode() == 2112.
        assert_eq!(string_hash_code(""), 0);
        assert_eq!(string_hash_code("a"), 97);
        assert_eq!(string_hash_code("hello"), 99_162_322);
        assert_eq!(string_hash_code("Aa"), 2112);
        assert_eq!(string_hash_code("BB"), 2112);
    }

    #[test]
    fn java_string_order_is_utf16_order() {
        // U+FF61 (one UTF-16 unit 0xFF61) sorts after U+1F600 (surrogates 0xD83D...) in Java,
        // but before it in UTF-8 byte order.
        assert_eq!(compare_strings("\u{FF61}", "\u{1F600}"), Ordering::Greater);
        assert_eq!("\u{FF61}".cmp("\u{1F600}"), Ordering::Less);
        assert_eq!(compare_strings("a", "b"), Ordering::Less);
    }

    #[test]
    fn default_capacity_grows_past_three_quarters() {
        assert_eq!(default_capacity(0), 16);
        assert_eq!(default_capacity(12), 16);
        assert_eq!(default_capacity(13), 32);
        assert_eq!(default_capacity(25), 64);
    }

    #[test]
    fn hash_order_sorts_by_bucket_then_insertion() {
        // Hash codes 1, 17 and 2 in a 16-bucket table: buckets 1, 1, 2.
        let order = hash_order(vec![17, 2, 1], |x: &i32| *x, 16);
        assert_eq!(order, vec![17, 1, 2]);
    }
}
