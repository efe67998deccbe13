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

use super::stored::{RecordRef, Shared, Stored};
use super::{Headers, Payload, Record};
use crate::ids::{Offset, Tick};
use std::iter::FusedIterator;

/// What the records of an iterator over no chunk share.
static NO_RECORDS: Shared = Shared {
    text: String::new(),
    first_tick: Tick(0),
};

/// Records per chunk: a power of two, so the first chunk's doublings end at exactly this.
pub(super) const CHUNK: usize = 1024;

/// Up to [`CHUNK`] records and the text their strings are kept in.
#[derive(Clone, Debug, Default)]
struct Chunk {
    records: Vec<Stored>,
    shared: Shared,
}

impl Chunk {
    /// The records from `from` on, owned, oldest first.
    fn to_records(&self, from: usize, first_offset: Offset) -> impl Iterator<Item = Record> + '_ {
        self.records[from..].iter().enumerate().map(move |(i, s)| {
            RecordRef::new(s, &self.shared, Offset(first_offset.0 + i as u64)).to_record()
        })
    }
}

/// The records of one log, oldest first.
#[derive(Clone, Debug, Default)]
pub(super) struct Chunks {
    chunks: Vec<Chunk>,
    /// Records at the front of the first chunk that retention deleted; they are dropped
    /// with their chunk, so deleting a segment moves no record.
    skip: usize,
    /// Live records.
    len: usize,
}

impl PartialEq for Chunks {
    /// Equal when the live records are (dead ones and the chunk layout do not count).
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len
            && self
                .iter(0, self.len, Offset(0))
                .eq(other.iter(0, other.len, Offset(0)))
    }
}

impl Eq for Chunks {}

impl Chunks {
    /// Live records.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Appends a record after the last.
    pub(super) fn push(&mut self, key: Option<&str>, value: Payload, tick: Tick, headers: Headers) {
        if self.chunks.last().is_none_or(|c| c.records.len() == CHUNK) {
            // The first chunk grows as a log grows; the others are allocated full size,
            // their text as long as the previous chunk's. A chunk's ticks count from its
            // first record's.
            let (records, text) = match self.chunks.last_mut() {
                None => (Vec::new(), String::new()),
                Some(full) => {
                    // Full: its text will not grow again.
                    full.shared.text.shrink_to_fit();
                    let text = String::with_capacity(full.shared.text.len());
                    (Vec::with_capacity(CHUNK), text)
                }
            };
            let shared = Shared {
                text,
                first_tick: tick,
            };
            let chunk = Chunk { records, shared };
            self.chunks.push(chunk);
        }
        let last = self
            .chunks
            .last_mut()
            .expect("a chunk with room was pushed");
        let stored = Stored::new(&mut last.shared, key, value, tick, headers);
        last.records.push(stored);
        self.len += 1;
    }

    /// The live record at `position` (0 is the oldest, at `first_offset`); `None` past
    /// the end.
    pub(super) fn get(&self, position: usize, first_offset: Offset) -> Option<RecordRef<'_>> {
        if position >= self.len {
            return None;
        }
        let i = self.skip + position;
        let chunk = self.chunks.get(i / CHUNK)?;
        let offset = Offset(first_offset.0 + position as u64);
        Some(RecordRef::new(
            chunk.records.get(i % CHUNK)?,
            &chunk.shared,
            offset,
        ))
    }

    /// The tick of the live record at `position`.
    pub(super) fn tick(&self, position: usize) -> Option<Tick> {
        if position >= self.len {
            return None;
        }
        let i = self.skip + position;
        let chunk = self.chunks.get(i / CHUNK)?;
        Some(chunk.records.get(i % CHUNK)?.tick(&chunk.shared))
    }

    /// `count` live records from `position` on (both clamped to the records held); the
    /// first live record has offset `first_offset`.
    pub(super) fn iter(&self, position: usize, count: usize, first_offset: Offset) -> Records<'_> {
        let position = position.min(self.len);
        let i = self.skip + position;
        let (chunk, within) = (i / CHUNK, i % CHUNK);
        let (current, shared) = self.chunks.get(chunk).map_or((&[][..], &NO_RECORDS), |c| {
            (&c.records[within..], &c.shared)
        });
        Records {
            current: current.iter(),
            shared,
            rest: self.chunks.get(chunk + 1..).unwrap_or_default().iter(),
            remaining: count.min(self.len - position),
            next_offset: first_offset.0 + position as u64,
        }
    }

    /// The number of live records before the first one whose tick is not below `tick`
    /// (ticks never decrease along a log: a binary search).
    pub(super) fn count_before_tick(&self, tick: Tick) -> usize {
        let (mut lo, mut hi) = (0, self.len);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.tick(mid).is_some_and(|t| t < tick) {
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

    /// Removes the live records from `position` on and returns them, oldest first, owned;
    /// the first live record has offset `first_offset`.
    pub(super) fn split_off(&mut self, position: usize, first_offset: Offset) -> Vec<Record> {
        if position >= self.len {
            return Vec::new();
        }
        let removed: Vec<Record> = self
            .iter(position, usize::MAX, first_offset)
            .map(|r| r.to_record())
            .collect();
        let i = self.skip + position;
        let (chunk, within) = (i / CHUNK, i % CHUNK);
        self.chunks.truncate(chunk + 1);
        let tail = &mut self.chunks[chunk];
        let text_end = tail
            .records
            .get(within)
            .map_or(tail.shared.text.len(), |s| s.text_start());
        tail.records.truncate(within);
        tail.shared.text.truncate(text_end);
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

    /// The live records, oldest first, owned; the first has offset `first_offset`.
    pub(super) fn to_vec(&self, first_offset: Offset) -> Vec<Record> {
        let mut out = Vec::with_capacity(self.len);
        let mut offset = first_offset;
        for (n, chunk) in self.chunks.iter().enumerate() {
            let from = if n == 0 { self.skip } else { 0 };
            out.extend(chunk.to_records(from, offset));
            offset = Offset(offset.0 + (chunk.records.len() - from) as u64);
        }
        out
    }
}

/// Records of a partition log in offset order (from [`super::PartitionLog::records`] or
/// [`super::PartitionLog::range`]).
#[derive(Clone, Debug)]
pub struct Records<'a> {
    current: std::slice::Iter<'a, Stored>,
    /// What the current chunk's records share.
    shared: &'a Shared,
    rest: std::slice::Iter<'a, Chunk>,
    remaining: usize,
    next_offset: u64,
}

impl<'a> Records<'a> {
    /// Moves to the next chunk; false at the end.
    fn next_chunk(&mut self) -> bool {
        match self.rest.next() {
            Some(chunk) => {
                self.current = chunk.records.iter();
                self.shared = &chunk.shared;
                true
            }
            None => false,
        }
    }
}

impl<'a> Iterator for Records<'a> {
    type Item = RecordRef<'a>;

    fn next(&mut self) -> Option<RecordRef<'a>> {
        if self.remaining == 0 {
            return None;
        }
        loop {
            if let Some(stored) = self.current.next() {
                self.remaining -= 1;
                let offset = Offset(self.next_offset);
                self.next_offset += 1;
                return Some(RecordRef::new(stored, self.shared, offset));
            }
            if !self.next_chunk() {
                return None;
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }

    /// Skips whole chunks at a time.
    fn nth(&mut self, mut n: usize) -> Option<RecordRef<'a>> {
        if n >= self.remaining {
            self.remaining = 0;
            return None;
        }
        loop {
            let here = self.current.len();
            if n < here {
                self.remaining -= n;
                self.next_offset += n as u64;
                if let Some(skip) = n.checked_sub(1) {
                    self.current.nth(skip);
                }
                return self.next();
            }
            n -= here;
            self.remaining -= here;
            self.next_offset += here as u64;
            if !self.next_chunk() {
                return None;
            }
        }
    }

    fn last(mut self) -> Option<RecordRef<'a>> {
        let n = self.remaining;
        self.nth(n.checked_sub(1)?)
    }
}

impl ExactSizeIterator for Records<'_> {}

impl FusedIterator for Records<'_> {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::EventId;
    use crate::log::OrderEvent;
    use proptest::prelude::*;

    /// Record `n`: every fifth unkeyed, every 1,500th a value kept whole (an
    /// order with a string too long for the compact form), every third with a causation id.
    fn record(n: u64) -> Record {
        let long = if n % 1500 == 7 {
            "x".repeat(70_000)
        } else {
            String::new()
        };
        Record {
            offset: Offset(n),
            key: (n % 5 != 0).then(|| format!("U{}", n % 13)),
            value: Payload::Order(OrderEvent {
                user_id: long,
                order_id: n.to_string(),
                status: String::new(),
            }),
            tick: Tick(n),
            headers: Headers {
                event_id: EventId(n),
                causation_id: (n % 3 == 0).then_some(EventId(n / 3)),
                ..Headers::default()
            },
        }
    }

    fn push(chunks: &mut Chunks, r: Record) {
        chunks.push(r.key.as_deref(), r.value, r.tick, r.headers);
    }

    fn owned(records: Records<'_>) -> Vec<Record> {
        records.map(|r| r.to_record()).collect()
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
            push(&mut chunks, record(n));
        }
        assert_eq!(chunks.chunks.len(), 4);
        assert!(chunks.chunks.iter().all(|c| c.records.capacity() == CHUNK));
        assert!(chunks.chunks[..3]
            .iter()
            .all(|c| c.shared.text.capacity() == c.shared.text.len()));
        chunks.delete_front(CHUNK + 1);
        assert_eq!(
            chunks.chunks.len(),
            3,
            "the first, fully deleted chunk is freed"
        );
        let first = Offset(CHUNK as u64 + 1);
        assert_eq!(
            chunks.get(0, first).map(|r| r.to_record()),
            Some(record(first.0))
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
                            push(&mut chunks, record(next));
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
                        let first = model.first().map_or(Offset(0), |r| r.offset);
                        let expected = if at < model.len() { model.split_off(at) } else { Vec::new() };
                        prop_assert_eq!(chunks.split_off(at, first), expected);
                        next = model.last().map_or(next, |r| r.offset.0 + 1);
                    }
                    Op::Clear => {
                        chunks.clear();
                        model.clear();
                    }
                }
                let first = model.first().map_or(Offset(0), |r| r.offset);
                prop_assert_eq!(chunks.len(), model.len());
                prop_assert_eq!(owned(chunks.iter(0, usize::MAX, first)), model.clone());
                let mid = model.len() / 3;
                prop_assert_eq!(owned(chunks.iter(mid, 700, first)), model.iter().skip(mid).take(700).cloned().collect::<Vec<_>>());
                prop_assert_eq!(chunks.iter(mid, 700, first).len(), model.len().saturating_sub(mid).min(700));
                prop_assert_eq!(chunks.iter(0, usize::MAX, first).last().map(|r| r.to_record()), model.last().cloned());
                let mut it = chunks.iter(1, usize::MAX, first);
                prop_assert_eq!(it.nth(mid).map(|r| r.to_record()), model.get(1 + mid).cloned());
                prop_assert_eq!(owned(it), model.iter().skip(mid + 2).cloned().collect::<Vec<_>>());
                for i in [0, mid, model.len().saturating_sub(1), model.len()] {
                    prop_assert_eq!(chunks.get(i, first).map(|r| r.to_record()), model.get(i).cloned());
                }
                if let Some(last) = model.last() {
                    let cut = Tick(last.tick.0 / 2);
                    prop_assert_eq!(
                        chunks.count_before_tick(cut),
                        model.partition_point(|r| r.tick < cut)
                    );
                }
                prop_assert!(chunks.chunks.len() <= model.len() / CHUNK + 2);
                prop_assert_eq!(chunks.to_vec(first), model.clone());
            }
        }
    }
}
