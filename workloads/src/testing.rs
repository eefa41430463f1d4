//! A fake clock and a counting allocator, so every loop can be checked
//! exactly and deterministically (here and in the harness's tests).

use crate::{Allocator, Clock, Op};
use std::alloc::{alloc, dealloc, Layout};
use std::collections::HashMap;

/// Every `start` advances 1 tick; every `stop` advances `cost` ticks, so each
/// timed call measures exactly `cost` ticks. One tick is one nanosecond.
/// It also keeps the op of every [`Clock::attribute`], in order.
#[derive(Clone, Debug)]
pub struct FakeClock {
    pub now: u64,
    pub cost: u64,
    pub reads: u64,
    pub attributed: Vec<Op>,
}

impl FakeClock {
    pub fn new(cost: u64) -> FakeClock {
        FakeClock {
            now: 0,
            cost,
            reads: 0,
            attributed: Vec::new(),
        }
    }
}

impl Clock for FakeClock {
    fn start(&mut self) -> u64 {
        self.now += 1;
        self.reads += 1;
        self.now
    }

    fn stop(&mut self) -> u64 {
        self.now += self.cost;
        self.reads += 1;
        self.now
    }

    fn ticks_to_ns(&self, ticks: u64) -> u64 {
        ticks
    }

    fn attribute(&mut self, op: Op) {
        self.attributed.push(op);
    }
}

/// One call the counting allocator saw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// An allocation of `size` bytes, numbered in order of allocation.
    Alloc { id: u64, size: usize },
    /// The free of allocation `id`, with the size the caller passed.
    Free { id: u64, size: usize },
}

/// Serves blocks from the global allocator and checks every free: the
/// pointer must be live and the size must be the one it was allocated with.
/// Optionally refuses allocations beyond `limit` live blocks.
#[derive(Debug, Default)]
pub struct CountingAlloc {
    pub events: Vec<Event>,
    live: HashMap<usize, (u64, usize)>,
    next_id: u64,
    pub limit: Option<usize>,
    pub peak_live: usize,
}

impl CountingAlloc {
    pub fn new() -> CountingAlloc {
        CountingAlloc::default()
    }

    /// Refuses (returns null) when `limit` blocks are already live.
    pub fn with_limit(limit: usize) -> CountingAlloc {
        let mut alloc = CountingAlloc::default();
        alloc.limit = Some(limit);
        alloc
    }

    pub fn live(&self) -> usize {
        self.live.len()
    }

    pub fn allocs(&self) -> usize {
        self.events
            .iter()
            .filter(|e| matches!(e, Event::Alloc { .. }))
            .count()
    }

    pub fn frees(&self) -> usize {
        self.events
            .iter()
            .filter(|e| matches!(e, Event::Free { .. }))
            .count()
    }

    fn layout(size: usize) -> Layout {
        Layout::from_size_align(size, 16).expect("test sizes are small")
    }
}

impl Allocator for CountingAlloc {
    fn alloc(&mut self, size: usize) -> *mut u8 {
        assert!(size >= 1, "the loops never ask for 0 bytes");
        if self.limit.is_some_and(|limit| self.live.len() >= limit) {
            return std::ptr::null_mut();
        }
        // SAFETY: the layout has a non-zero size.
        let ptr = unsafe { alloc(Self::layout(size)) };
        assert!(!ptr.is_null(), "test allocation failed");
        let id = self.next_id;
        self.next_id += 1;
        self.live.insert(ptr as usize, (id, size));
        self.peak_live = self.peak_live.max(self.live.len());
        self.events.push(Event::Alloc { id, size });
        ptr
    }

    unsafe fn free(&mut self, ptr: *mut u8, size: usize) {
        let (id, allocated) = self.live.remove(&(ptr as usize)).unwrap_or_else(|| {
            panic!("free of {ptr:?}, which is not live (double or foreign free)")
        });
        assert_eq!(
            size, allocated,
            "free of block {id} with size {size}, allocated with {allocated}"
        );
        self.events.push(Event::Free { id, size });
        // SAFETY: `ptr` was allocated above with this layout and is live.
        unsafe { dealloc(ptr, Self::layout(size)) };
    }

    /// The model's usable size: the request rounded up to 16 bytes.
    fn usable_size(&self, _ptr: *mut u8, size: usize) -> Option<usize> {
        Some(size.div_ceil(16) * 16)
    }
}

impl Drop for CountingAlloc {
    fn drop(&mut self) {
        for (&ptr, &(_, size)) in &self.live {
            // SAFETY: every live entry was allocated with this layout.
            unsafe { dealloc(ptr as *mut u8, Self::layout(size)) };
        }
    }
}

/// A clock that, like a real one, advances with the work between its reads
/// but shows only whole steps: time is a shared counter of ticks, each read
/// costs one plus up to `jitter` more (drawn from `seed`'s stream), and a
/// reading is rounded down to a multiple of `step` (AMD's TSC moves in
/// steps of 10 ns; this is that, with a known truth).
pub struct SteppedClock {
    pub now: std::rc::Rc<std::cell::Cell<u64>>,
    pub step: u64,
    pub jitter: u64,
    pub rng: crate::rng::Stream,
}

impl SteppedClock {
    fn read(&mut self) -> u64 {
        let extra = self.rng.below(self.jitter as usize + 1) as u64;
        self.now.set(self.now.get() + 1 + extra);
        self.now.get() / self.step * self.step
    }
}

impl Clock for SteppedClock {
    fn start(&mut self) -> u64 {
        self.read()
    }

    fn stop(&mut self) -> u64 {
        self.read()
    }

    fn ticks_to_ns(&self, ticks: u64) -> u64 {
        ticks
    }
}

/// The null allocator, with every call costing `cost` ticks of a
/// [`SteppedClock`]'s time: an allocator whose true cost is known exactly.
pub struct CostlyAlloc {
    pub now: std::rc::Rc<std::cell::Cell<u64>>,
    pub cost: u64,
    pub inner: crate::NullAlloc,
}

impl Allocator for CostlyAlloc {
    fn alloc(&mut self, size: usize) -> *mut u8 {
        self.now.set(self.now.get() + self.cost);
        self.inner.alloc(size)
    }

    unsafe fn free(&mut self, ptr: *mut u8, size: usize) {
        self.now.set(self.now.get() + self.cost);
        // SAFETY: forwarded from the caller.
        unsafe { self.inner.free(ptr, size) }
    }
}
