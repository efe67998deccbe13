//! One stable sort for the whole bundle.
//!
//! `slice::sort_by` is compiled once per element type *and* per comparison closure: every
//! call site is its own copy of the driftsort (quicksort, drift merge, small sorts), about
//! 4.8 KB of the release wasm each, 42 of them before this module (BENCHMARKS.md, "The
//! bundle"). These functions sort the positions `0..len` instead, with the comparison behind
//! a `dyn Fn`, so there is one instance of the sort for every call site that goes through
//! here, and then move the items into that order. The result is exactly `sort_by`'s: the
//! positions are sorted stably, so equal items keep their order.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

/// Sorts `items` stably by `compare`, as [`slice::sort_by`] does.
pub fn sort_by<T>(items: &mut [T], compare: impl Fn(&T, &T) -> Ordering) {
    let order = sorted_positions(items.len(), &|a, b| compare(&items[a], &items[b]));
    permute(items, order);
}

/// Sorts `items` stably by `key`, as [`slice::sort_by_key`] does.
pub fn sort_by_key<T, K: Ord>(items: &mut [T], key: impl Fn(&T) -> K) {
    sort_by(items, |a, b| key(a).cmp(&key(b)));
}

/// Sorts `items` stably by their order, as [`slice::sort`] does.
pub fn sort<T: Ord>(items: &mut [T]) {
    sort_by(items, T::cmp);
}

/// A map of `items` built by inserting them one by one (a later value for a key replaces an
/// earlier one), which is what `collect()` gives too, but `collect()` sorts the items first:
/// one more copy of the sort per key and value type.
pub fn map_of<K: Ord, V>(items: impl IntoIterator<Item = (K, V)>) -> BTreeMap<K, V> {
    let mut map = BTreeMap::new();
    map.extend(items);
    map
}

/// A set of `items` built by inserting them one by one, for the reason [`map_of`] gives.
pub fn set_of<T: Ord>(items: impl IntoIterator<Item = T>) -> BTreeSet<T> {
    let mut set = BTreeSet::new();
    set.extend(items);
    set
}

/// The positions `0..len` sorted stably by `compare` (the one instance of the sort).
fn sorted_positions(len: usize, compare: &dyn Fn(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    order.sort_by(|&a, &b| compare(a, b));
    order
}

/// Puts the item at `order[k]` at position `k`, following each cycle of the permutation
/// (a position whose item is in place is marked by `order[k] == k`).
fn permute<T>(items: &mut [T], mut order: Vec<usize>) {
    for start in 0..order.len() {
        let mut at = start;
        loop {
            let from = order[at];
            order[at] = at;
            if from == start {
                break;
            }
            items.swap(at, from);
            at = from;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The same result as the standard library's stable sort, ties included (compared
        /// by key only, so equal keys must keep their original order).
        #[test]
        fn sorts_as_the_standard_library_does(items in proptest::collection::vec((0u8..6, any::<u16>()), 0..60)) {
            let mut ours = items.clone();
            sort_by_key(&mut ours, |(k, _)| *k);
            let mut std = items.clone();
            std.sort_by_key(|(k, _)| *k);
            prop_assert_eq!(&ours, &std);
            let mut ours = items.clone();
            sort_by(&mut ours, |a, b| (b.1 % 7).cmp(&(a.1 % 7)).then(a.0.cmp(&b.0)));
            let mut std = items.clone();
            std.sort_by(|a, b| (b.1 % 7).cmp(&(a.1 % 7)).then(a.0.cmp(&b.0)));
            prop_assert_eq!(&ours, &std);
            let mut ours = items.clone();
            sort(&mut ours);
            let mut std = items;
            std.sort();
            prop_assert_eq!(ours, std);
        }
    }

    #[test]
    fn maps_and_sets_collect_as_collect_does() {
        let pairs = [(3, "c"), (1, "a"), (3, "d"), (2, "b")];
        assert_eq!(map_of(pairs), pairs.into_iter().collect::<BTreeMap<_, _>>());
        assert_eq!(
            set_of([3, 1, 3, 2]),
            [3, 1, 3, 2].into_iter().collect::<BTreeSet<_>>()
        );
    }

    #[test]
    fn empty_and_single_slices_stay_as_they_are() {
        let mut none: Vec<String> = Vec::new();
        sort(&mut none);
        assert!(none.is_empty());
        let mut one = vec!["a".to_string()];
        sort(&mut one);
        assert_eq!(one, ["a"]);
    }
}
