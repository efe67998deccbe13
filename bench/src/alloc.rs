//! A counting global allocator: the bytes the program holds now and at most, measured at
//! every allocation rather than estimated from type sizes.
//!
//! It wraps the platform's allocator (`System`: glibc's malloc natively, dlmalloc on
//! wasm32) and counts the bytes *requested*, so the numbers are the same whatever the
//! allocator rounds up to, and comparable between native and Wasm (where pointers are half
//! as wide, so the same records take fewer bytes).
//!
//! A `realloc` counts as an allocation of the new size followed by freeing the old one, so
//! the peak includes the moment a growing `Vec` holds its old and new buffer. That is what
//! a naive allocator needs, and Wasm's (which cannot remap pages) does need it.
//!
//! The counters use relaxed loads and stores, not read-modify-write atomics: the harness is
//! single-threaded (the browser runs it on one thread too), and a plain store keeps the
//! counting cost out of the timings.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

/// The counting allocator; the crate installs it as the global allocator.
pub struct Counting;

fn grew(bytes: usize) {
    let live = LIVE.load(Relaxed) + bytes;
    LIVE.store(live, Relaxed);
    if live > PEAK.load(Relaxed) {
        PEAK.store(live, Relaxed);
    }
    ALLOCATIONS.store(ALLOCATIONS.load(Relaxed) + 1, Relaxed);
}

fn shrank(bytes: usize) {
    LIVE.store(LIVE.load(Relaxed).saturating_sub(bytes), Relaxed);
}

// SAFETY: every call is forwarded unchanged to `System`, which upholds GlobalAlloc's
// contract; the counters only observe sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's layout.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's layout.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from this allocator (hence from System) with `layout`.
        unsafe { System.dealloc(ptr, layout) };
        shrank(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded with the caller's pointer, layout and size.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            grew(new_size);
            shrank(layout.size());
        }
        p
    }
}

/// Bytes allocated and not freed yet.
pub fn live_bytes() -> usize {
    LIVE.load(Relaxed)
}

/// The most bytes held at once since the last [`reset_peak`].
pub fn peak_bytes() -> usize {
    PEAK.load(Relaxed)
}

/// Starts a new peak from what is held now.
pub fn reset_peak() {
    PEAK.store(LIVE.load(Relaxed), Relaxed);
}

/// Allocations (and reallocations) so far.
pub fn allocations() -> u64 {
    ALLOCATIONS.load(Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_vec_is_counted_in_live_and_peak_bytes() {
        let _serial = crate::SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        let before = live_bytes();
        reset_peak();
        let v: Vec<u64> = Vec::with_capacity(1000);
        let (live, peak) = (live_bytes(), peak_bytes());
        drop(v);
        assert!(live >= before + 8000, "live {live} bytes, {before} before");
        assert!(peak >= before + 8000, "peak {peak} bytes, {before} before");
    }
}
