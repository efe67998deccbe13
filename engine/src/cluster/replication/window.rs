//! A sequence indexed from 0 whose oldest items can be forgotten: replica logs (indexed by
//! offset, with a log start offset) and the record metadata (indexed by [`AppendId`](super::AppendId)).
//! Forgetting is O(1) amortised: forgotten items are dropped lazily, when they outnumber
//! the kept ones (as [`PartitionLog`](crate::log::PartitionLog) drops deleted segments), so
//! the kept items stay one contiguous slice and memory stays within twice what is kept.

/// Items `start..end`, the ones before `start` forgotten.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Window<T> {
    /// The index of `storage[0]`.
    base: u64,
    /// Items from `base` on; the first `forgotten` of them are no longer kept.
    storage: Vec<T>,
    forgotten: usize,
}

impl<T> Default for Window<T> {
    fn default() -> Self {
        Self {
            base: 0,
            storage: Vec::new(),
            forgotten: 0,
        }
    }
}

impl<T> Window<T> {
    /// An empty window whose next item gets index `start`.
    pub(crate) fn starting_at(start: u64) -> Self {
        Self {
            base: start,
            storage: Vec::new(),
            forgotten: 0,
        }
    }

    /// The first kept index.
    pub(crate) fn start(&self) -> u64 {
        self.base + self.forgotten as u64
    }

    /// One past the last index (the next item's index).
    pub(crate) fn end(&self) -> u64 {
        self.base + self.storage.len() as u64
    }

    /// The kept items, from [`Self::start`] on.
    pub(crate) fn kept(&self) -> &[T] {
        &self.storage[self.forgotten..]
    }

    /// The item at `index`, if kept.
    pub(crate) fn get(&self, index: u64) -> Option<&T> {
        let i = usize::try_from(index.checked_sub(self.start())?).ok()?;
        self.kept().get(i)
    }

    /// The item at `index`, if kept, to change.
    pub(crate) fn get_mut(&mut self, index: u64) -> Option<&mut T> {
        let i = usize::try_from(index.checked_sub(self.start())?).ok()?;
        let forgotten = self.forgotten;
        self.storage[forgotten..].get_mut(i)
    }

    /// The kept items with indexes in `from..to` (clamped to what is kept).
    pub(crate) fn range(&self, from: u64, to: u64) -> &[T] {
        let from = from.clamp(self.start(), self.end());
        let to = to.clamp(from, self.end());
        let (a, b) = ((from - self.start()) as usize, (to - self.start()) as usize);
        &self.kept()[a..b]
    }

    /// Appends an item at index [`Self::end`].
    pub(crate) fn push(&mut self, item: T) {
        self.storage.push(item);
    }

    /// Drops the items from `end` on (kept or not).
    pub(crate) fn truncate(&mut self, end: u64) {
        if end <= self.start() {
            self.clear_at(end);
            return;
        }
        self.storage.truncate((end - self.base) as usize);
    }

    /// Forgets everything: the window is empty and its next item gets index `start`
    /// (Kafka's `truncateFullyAndStartAt`).
    pub(crate) fn clear_at(&mut self, start: u64) {
        *self = Self::starting_at(start);
    }

    /// Forgets the items before `start` (never past [`Self::end`], never back).
    pub(crate) fn forget_before(&mut self, start: u64) {
        let start = start.min(self.end());
        if start <= self.start() {
            return;
        }
        self.forgotten = (start - self.base) as usize;
        if self.forgotten >= self.storage.len() - self.forgotten {
            self.storage.drain(..self.forgotten);
            self.base = start;
            self.forgotten = 0;
        }
    }

    /// How many items are held in memory, forgotten ones not yet dropped included.
    pub(crate) fn held(&self) -> usize {
        self.storage.len()
    }
}

impl<T: Clone> Window<T> {
    /// Appends copies of `items`.
    pub(crate) fn extend_from_slice(&mut self, items: &[T]) {
        self.storage.extend_from_slice(items);
    }
}

#[cfg(test)]
mod tests {
    use super::Window;

    fn window(n: u64) -> Window<u64> {
        let mut w = Window::default();
        for i in 0..n {
            w.push(i);
        }
        w
    }

    #[test]
    fn forgetting_keeps_indexes_and_drops_memory_lazily() {
        let mut w = window(10);
        w.forget_before(3);
        assert_eq!((w.start(), w.end(), w.held()), (3, 10, 10));
        assert_eq!(w.get(2), None);
        assert_eq!(w.get(3), Some(&3));
        w.forget_before(6);
        assert_eq!((w.start(), w.end(), w.held()), (6, 10, 4));
        assert_eq!(w.kept(), &[6, 7, 8, 9]);
        w.forget_before(2);
        assert_eq!(w.start(), 6, "never back");
        w.forget_before(99);
        assert_eq!((w.start(), w.end(), w.held()), (10, 10, 0));
        w.push(10);
        assert_eq!(w.get(10), Some(&10));
    }

    #[test]
    fn truncating_below_the_start_empties_the_window_there() {
        let mut w = window(10);
        w.forget_before(4);
        w.truncate(7);
        assert_eq!((w.start(), w.end()), (4, 7));
        w.truncate(2);
        assert_eq!((w.start(), w.end(), w.held()), (2, 2, 0));
        w.clear_at(50);
        assert_eq!((w.start(), w.end()), (50, 50));
        assert_eq!(w.range(0, 100), &[] as &[u64]);
    }

    #[test]
    fn range_is_clamped_to_what_is_kept() {
        let mut w = window(10);
        w.forget_before(5);
        assert_eq!(w.range(0, 7), &[5, 6]);
        assert_eq!(w.range(8, 100), &[8, 9]);
        assert_eq!(w.range(9, 3), &[] as &[u64]);
    }
}
