//! A partition log's records in fixed-size chunks.
//!
//! One `Vec` per log doubles as it grows: on average a quarter of its capacity, and up to
//! half, is spare, and each doubling copies every record into fresh pages. Here a log is a
//! list of chunks of [`CHUNK`] records: only the first chunk grows (so a small log stays
//! small), every later one is allocated at its full size once and never moves, so a log
//! holds at most one chunk of spare room and appending never copies a record.
//!
//! Every chunk but the last is full, so the record at position `i` (counting the deleted
//! records at the front of the first chunk) is `chunks[i / CHUNK][i % CHUNK]`.

use super::Record;
use std::iter::FusedIterator;

/// Records per chunk: a power of two, so the first chunk's doublings end at exactly this.
pub(super) const CHUNK: usize = 1024;

/// The records of one log, oldest first.
#[derive(Clone, Debug, Default)]
pub(super) struct Chunks {
    chunks: Vec<Vec<Record>>,
    /// Records at the front of the first chunk that retention deleted; they are dropped
    /// with their chunk, so deleting a segment moves no record.
    skip: usize,
    /// Live records.
    len: usize,
}

impl PartialEq for Chunks {
    /// Equal when the live records are (dead ones and the chunk layout do not count).
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter(0, self.len).eq(other.iter(0, other.len))
    }
}

impl Eq for Chunks {}

impl Chunks {
    /// Live records.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Appends a record after the last.
    pub(super) fn push(&mut self, record: Record) {
        match self.chunks.last_mut() {
            Some(last) if last.len() < CHUNK => last.push(record),
            _ => {
                // The first chunk grows as a log grows; the others are allocated full size.
                let mut chunk = if self.chunks.is_empty() {
                    Vec::new()
                } else {
                    Vec::with_capacity(CHUNK)
                };
                chunk.push(record);
                self.chunks.push(chunk);
            }
        }
        self.len += 1;
    }

    /// The live record at `position` (0 is the oldest); `None` past the end.
    pub(super) fn get(&self, position: usize) -> Option<&Record> {
        if position >= self.len {
            return None;
        }
        let i = self.skip + position;
        self.chunks.get(i / CHUNK)?.get(i % CHUNK)
    }

    /// `count` live records from `position` on (both clamped to the records held).
    pub(super) fn iter(&self, position: usize, count: usize) -> Records<'_> {
        let position = position.min(self.len);
        let i = self.skip + position;
        let (chunk, within) = (i / CHUNK, i % CHUNK);
        let current = self.chunks.get(chunk).map_or(&[][..], |c| &c[within..]);
        Records {
            current: current.iter(),
            rest: self.chunks.get(chunk + 1..).unwrap_or_default().iter(),
            remaining: count.min(self.len - position),
        }
    }

    /// The number of live records before the first one `pred` is false for, given that
    /// `pred` is true for a prefix of them (a binary search, like `slice::partition_point`).
    pub(super) fn partition_point(&self, pred: impl Fn(&Record) -> bool) -> usize {
        let (mut lo, mut hi) = (0, self.len);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.get(mid).is_some_and(&pred) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// Deletes the `n` oldest live records (at most all of them); whole chunks of deleted
    /// records are freed.
    pub(super) fn delete_front(&mut self, n: usize) {
        let n = n.min(self.len);
        self.skip += n;
        self.len -= n;
        let whole = (self.skip / CHUNK).min(self.chunks.len());
        if whole > 0 {
            self.chunks.drain(..whole);
            self.skip -= whole * CHUNK;
        }
        if self.len == 0 {
            self.clear();
        }
    }

    /// Removes the live records from `position` on and returns them, oldest first.
    pub(super) fn split_off(&mut self, position: usize) -> Vec<Record> {
        if position >= self.len {
            return Vec::new();
        }
        let i = self.skip + position;
        let (chunk, within) = (i / CHUNK, i % CHUNK);
        let mut removed = self.chunks[chunk].split_off(within);
        for later in self.chunks.drain(chunk + 1..) {
            removed.extend(later);
        }
        if within == 0 {
            self.chunks.truncate(chunk);
        }
        self.len = position;
        if self.len == 0 {
            self.clear();
        }
        removed
    }

    /// Removes every record.
    pub(super) fn clear(&mut self) {
        self.chunks.clear();
        self.skip = 0;
        self.len = 0;
    }

    /// The live records, oldest first, as one `Vec`.
    pub(super) fn into_vec(self) -> Vec<Record> {
        let mut out = Vec::with_capacity(self.len);
        let skip = self.skip;
        for (n, chunk) in self.chunks.into_iter().enumerate() {
            let from = if n == 0 { skip } else { 0 };
            out.extend(chunk.into_iter().skip(from));
        }
        out
    }
}

/// Records of a partition log in offset order (from [`super::PartitionLog::records`] or
/// [`super::PartitionLog::range`]).
#[derive(Clone, Debug)]
pub struct Records<'a> {
    current: std::slice::Iter<'a, Record>,
    rest: std::slice::Iter<'a, Vec<Record>>,
    remaining: usize,
}

impl<'a> Iterator for Records<'a> {
    type Item = &'a Record;

    fn next(&mut self) -> Option<&'a Record> {
        if self.remaining == 0 {
            return None;
        }
        loop {
            if let Some(record) = self.current.next() {
                self.remaining -= 1;
                return Some(record);
            }
            self.current = self.rest.next()?.iter();
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }

    /// Skips whole chunks at a time.
    fn nth(&mut self, mut n: usize) -> Option<&'a Record> {
        if n >= self.remaining {
            self.remaining = 0;
            return None;
        }
        loop {
            let here = self.current.len();
            if n < here {
                self.remaining -= n + 1;
                return self.current.nth(n);
            }
            n -= here;
            self.remaining -= here;
            self.current = self.rest.next()?.iter();
        }
    }

    fn last(mut self) -> Option<&'a Record> {
        let n = self.remaining;
        self.nth(n.checked_sub(1)?)
    }
}

impl ExactSizeIterator for Records<'_> {}

impl FusedIterator for Records<'_> {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{Offset, Tick};
    use crate::log::{Headers, Payload};
    use proptest::prelude::*;

    fn record(n: u64) -> Record {
        Record {
            offset: Offset(n),
            key: None,
            value: Payload::Order(crate::log::OrderEvent {
                user_id: String::new(),
                order_id: n.to_string(),
                status: String::new(),
            }),
            tick: Tick(n),
            headers: Headers::default(),
        }
    }

    #[derive(Clone, Debug)]
    enum Op {
        Push(u8),
        DeleteFront(u16),
        SplitOff(u16),
        Clear,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            6 => any::<u8>().prop_map(Op::Push),
            2 => (0..3000u16).prop_map(Op::DeleteFront),
            1 => (0..3000u16).prop_map(Op::SplitOff),
            1 => Just(Op::Clear),
        ]
    }

    #[test]
    fn later_chunks_are_allocated_full_size_and_never_grow() {
        let mut chunks = Chunks::default();
        for n in 0..(3 * CHUNK as u64 + 5) {
            chunks.push(record(n));
        }
        assert_eq!(chunks.chunks.len(), 4);
        assert!(chunks.chunks.iter().all(|c| c.capacity() == CHUNK));
        chunks.delete_front(CHUNK + 1);
        assert_eq!(
            chunks.chunks.len(),
            3,
            "the first, fully deleted chunk is freed"
        );
        assert_eq!(
            chunks.get(0).map(|r| r.offset),
            Some(Offset(CHUNK as u64 + 1))
        );
    }

    proptest! {
        /// The chunks hold exactly what a plain `Vec` does under any appends, deletions
        /// from the front and truncations, read one by one, by ranges and by search.
        #[test]
        fn chunks_read_back_what_a_vec_holds(ops in prop::collection::vec(op(), 1..40)) {
            let (mut chunks, mut model, mut next) = (Chunks::default(), Vec::new(), 0u64);
            for op in ops {
                match op {
                    Op::Push(n) => {
                        for _ in 0..(u64::from(n) * 13) {
                            chunks.push(record(next));
                            model.push(record(next));
                            next += 1;
                        }
                    }
                    Op::DeleteFront(n) => {
                        chunks.delete_front(n.into());
                        model.drain(..usize::from(n).min(model.len()));
                    }
                    Op::SplitOff(at) => {
                        let at = usize::from(at);
                        let expected = if at < model.len() { model.split_off(at) } else { Vec::new() };
                        prop_assert_eq!(chunks.split_off(at), expected);
                    }
                    Op::Clear => {
                        chunks.clear();
                        model.clear();
                    }
                }
                prop_assert_eq!(chunks.len(), model.len());
                prop_assert!(chunks.iter(0, usize::MAX).eq(model.iter()));
                let mid = model.len() / 3;
                prop_assert!(chunks.iter(mid, 700).eq(model.iter().skip(mid).take(700)));
                prop_assert_eq!(chunks.iter(mid, 700).len(), model.len().saturating_sub(mid).min(700));
                prop_assert_eq!(chunks.iter(0, usize::MAX).last(), model.last());
                let mut it = chunks.iter(1, usize::MAX);
                prop_assert_eq!(it.nth(mid), model.get(1 + mid));
                prop_assert!(it.eq(model.iter().skip(mid + 2)));
                for i in [0, mid, model.len().saturating_sub(1), model.len()] {
                    prop_assert_eq!(chunks.get(i), model.get(i));
                }
                if let Some(last) = model.last() {
                    let cut = last.tick.0 / 2;
                    prop_assert_eq!(
                        chunks.partition_point(|r| r.tick.0 < cut),
                        model.partition_point(|r| r.tick.0 < cut)
                    );
                }
                prop_assert!(chunks.chunks.len() <= model.len() / CHUNK + 2);
            }
            prop_assert_eq!(chunks.clone().into_vec(), model.clone());
            let mut rebuilt = Chunks::default();
            model.into_iter().for_each(|r| rebuilt.push(r));
            prop_assert!(chunks == rebuilt);
        }
    }
}
