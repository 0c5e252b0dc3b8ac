//! The worker's heap, counted: a [`GlobalAlloc`] over the system allocator
//! (dlmalloc in wasm32) that keeps the bytes in use and the size of the last
//! request it could not serve, and refuses requests past an optional cap.
//!
//! A refused request is what the browser does when the tab cannot grow the
//! wasm memory any more: the allocation returns null, Rust aborts, and the
//! worker traps with "unreachable". The page then says the tab ran out of
//! memory ([`crate::errors::crash_line`]) and starts a fresh worker. The cap
//! (`?max_memory_mb=N`) lets a user see what a small device would do, and
//! lets the browser test reach that path without filling 4 GB.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The system allocator, counted and optionally capped.
pub struct Capped {
    in_use: AtomicUsize,
    limit: AtomicUsize,
    refused: AtomicUsize,
}

impl Capped {
    /// No cap, nothing in use.
    pub const fn new() -> Self {
        Capped {
            in_use: AtomicUsize::new(0),
            limit: AtomicUsize::new(usize::MAX),
            refused: AtomicUsize::new(0),
        }
    }

    /// Caps the heap at `bytes` (`None`: no cap beyond the browser's).
    pub fn set_limit(&self, bytes: Option<usize>) {
        self.limit
            .store(bytes.unwrap_or(usize::MAX), Ordering::Relaxed);
    }

    /// Bytes allocated and not yet freed.
    pub fn in_use(&self) -> usize {
        self.in_use.load(Ordering::Relaxed)
    }

    /// The size of the last request that could not be served (0: none).
    pub fn refused(&self) -> usize {
        self.refused.load(Ordering::Relaxed)
    }

    /// Whether `more` bytes fit under the cap; records the refusal if not.
    fn admits(&self, more: usize) -> bool {
        let fits = self
            .in_use()
            .checked_add(more)
            .is_some_and(|total| total <= self.limit.load(Ordering::Relaxed));
        if !fits {
            self.refused.store(more, Ordering::Relaxed);
        }
        fits
    }

    /// Counts a served request, or records a refused one (`p` null).
    fn served(&self, p: *mut u8, size: usize) -> *mut u8 {
        if p.is_null() {
            self.refused.store(size, Ordering::Relaxed);
        } else {
            self.in_use.fetch_add(size, Ordering::Relaxed);
        }
        p
    }
}

impl Default for Capped {
    fn default() -> Self {
        Self::new()
    }
}

// SAFETY: every call is forwarded to `System` with the caller's layout; the
// counters only decide whether to forward and never touch the memory.
unsafe impl GlobalAlloc for Capped {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if !self.admits(layout.size()) {
            return std::ptr::null_mut();
        }
        self.served(System.alloc(layout), layout.size())
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if !self.admits(layout.size()) {
            return std::ptr::null_mut();
        }
        self.served(System.alloc_zeroed(layout), layout.size())
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        self.in_use.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let old = layout.size();
        if new_size > old && !self.admits(new_size - old) {
            return std::ptr::null_mut();
        }
        let p = System.realloc(ptr, layout, new_size);
        if p.is_null() {
            // the old block stays allocated
            self.refused.store(new_size, Ordering::Relaxed);
        } else {
            self.in_use.fetch_sub(old, Ordering::Relaxed);
            self.in_use.fetch_add(new_size, Ordering::Relaxed);
        }
        p
    }
}

/// The module's allocator (in wasm32: the worker's and the page's heap).
#[global_allocator]
pub static HEAP: Capped = Capped::new();

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_past_the_cap_is_refused_and_recorded() {
        let heap = Capped::new();
        heap.set_limit(Some(1000));
        let small = Layout::from_size_align(600, 8).unwrap();
        let big = Layout::from_size_align(600, 8).unwrap();
        unsafe {
            let a = heap.alloc(small);
            assert!(!a.is_null());
            assert_eq!(heap.in_use(), 600);
            assert!(heap.alloc(big).is_null());
            assert_eq!(heap.refused(), 600);
            // growing past the cap is refused too; the block stays valid
            assert!(heap.realloc(a, small, 1200).is_null());
            assert_eq!(heap.in_use(), 600);
            let a = heap.realloc(a, small, 900);
            assert!(!a.is_null());
            assert_eq!(heap.in_use(), 900);
            heap.dealloc(a, Layout::from_size_align(900, 8).unwrap());
        }
        assert_eq!(heap.in_use(), 0);
        heap.set_limit(None);
        unsafe {
            let b = heap.alloc_zeroed(big);
            assert!(!b.is_null() && *b == 0);
            heap.dealloc(b, big);
        }
    }
}
