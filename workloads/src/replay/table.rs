//! The live blocks of a replay, by object id: one slot per object of the
//! trace, holding its block while it is live. Each object's size and
//! alignment are the trace's, read before the replay starts, so a slot
//! holds only the pointer and the loop never allocates.
//!
//! Invariants (checked by the replay tests):
//! - a slot is null until its object is made, and null again once it is
//!   freed; object ids are never reused, so a slot is filled once and
//!   emptied at most once;
//! - only the thread that makes an object fills its slot (a Release store),
//!   and only the thread that frees it (or reallocs it) empties it, after
//!   an Acquire load has seen it filled: the block is never freed before it
//!   was allocated, on any thread;
//! - on one thread (`wait` false) a slot that is empty when a call names it
//!   is a damaged trace, refused; on several (`wait` true) the call waits
//!   for the thread that makes the block, until the replay stops.

use super::{Call, CallKind, ReplayError, Trace};
use std::sync::atomic::{AtomicBool, AtomicPtr, Ordering};

/// The live blocks of one replay, shared by its threads.
pub struct Table {
    slots: Vec<AtomicPtr<u8>>,
    /// Each object's size as allocated (at least 1) and its alignment (1
    /// unless an aligned call asked for one; a realloc keeps its old one).
    blocks: Vec<(usize, usize)>,
    /// Whether a call on a block not made yet waits for it (several threads).
    wait: bool,
    /// Set when a thread of the replay stops early.
    stopped: AtomicBool,
}

impl Table {
    /// Empty slots for `trace`'s objects, with their sizes and alignments.
    pub fn new(trace: &Trace, wait: bool) -> Table {
        let n = trace.objects + 1;
        let mut blocks = vec![(1, 1); n];
        for c in trace.calls.iter().filter(|c| makes(c)) {
            let align = match c.kind {
                CallKind::Aligned => (c.align as usize).max(1),
                CallKind::Realloc if c.old != 0 => blocks[c.old as usize].1,
                _ => 1,
            };
            blocks[c.id as usize] = ((c.size as usize).max(1), align);
        }
        Table {
            slots: (0..n)
                .map(|_| AtomicPtr::new(std::ptr::null_mut()))
                .collect(),
            blocks,
            wait,
            stopped: AtomicBool::new(false),
        }
    }

    /// Object `id`'s size and alignment.
    #[inline(always)]
    pub fn block(&self, id: u32) -> (usize, usize) {
        self.blocks[id as usize]
    }

    /// Object `id`'s block is made: `ptr`.
    #[inline(always)]
    pub fn put(&self, id: u32, ptr: *mut u8) {
        self.slots[id as usize].store(ptr, Ordering::Release);
    }

    /// Object `id`'s block, if it is live now.
    #[inline(always)]
    pub fn peek(&self, id: u32) -> Option<*mut u8> {
        let p = self.slots.get(id as usize)?.load(Ordering::Acquire);
        (!p.is_null()).then_some(p)
    }

    /// Takes object `id`'s block out (call `n` frees or reallocs it),
    /// waiting for the thread that makes it when the table waits.
    #[inline(always)]
    pub fn take(&self, n: u64, id: u32) -> Result<*mut u8, ReplayError> {
        let slot = self
            .slots
            .get(id as usize)
            .ok_or(ReplayError::Inconsistent { call: n, id })?;
        for spins in 1u64.. {
            let p = slot.load(Ordering::Acquire);
            if !p.is_null() {
                // Only this thread empties this slot (module invariants).
                slot.store(std::ptr::null_mut(), Ordering::Relaxed);
                return Ok(p);
            }
            if !self.wait {
                return Err(ReplayError::Inconsistent { call: n, id });
            }
            if self.stopped.load(Ordering::Acquire) {
                return Err(ReplayError::Abandoned);
            }
            // Yield now and then: the thread waited for may share this CPU
            // (more recorded threads than CPUs).
            if spins.is_multiple_of(256) {
                std::thread::yield_now();
            } else {
                std::hint::spin_loop();
            }
        }
        unreachable!("a u64 of spins does not run out")
    }

    /// Tells the other threads to stop waiting: this one stopped early.
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::Release);
    }

    /// Takes every block still live out, in object order, with its size and
    /// alignment (once every thread has ended).
    pub fn take_live(&self) -> impl Iterator<Item = (*mut u8, usize, usize)> + '_ {
        self.slots
            .iter()
            .zip(&self.blocks)
            .filter_map(|(s, &(size, align))| {
                let p = s.swap(std::ptr::null_mut(), Ordering::AcqRel);
                (!p.is_null()).then_some((p, size, align))
            })
    }
}

/// Whether call `c` makes a block (its object id).
pub(super) fn makes(c: &Call) -> bool {
    c.id != 0 && !matches!(c.kind, CallKind::Free | CallKind::UsableSize)
}
