//! `producer-consumer`: every thread allocates blocks, writes them and hands
//! them to the next thread in a ring, which frees them (the pattern of
//! mimalloc-bench's xmalloc-test). Every timed free is of a block another
//! thread allocated and wrote, so the free histogram is the cost of a
//! cross-thread free.
//!
//! Each thread alternates: allocate one block and send it on (when the link
//! is full, free what has arrived until it has room), then free every block
//! that has arrived. A thread finishes a phase when it has allocated and
//! freed `n` blocks; links are first in, first out and every thread frees
//! exactly the warm-up's blocks before recording, so recorded frees are of
//! recorded allocations. A thread with nothing to do yields the CPU. A thread that stops early (a null from its
//! allocator) closes both its links, and a thread that finds a link closed
//! stops too, so no thread waits forever.
//!
//! Asked for one, a batched phase follows the recorded one
//! ([`crate::batched`]): allocations and cross-thread frees, K at a time.

use crate::mailbox::wait;
pub use crate::mailbox::{Loopback, Mailbox};
use crate::rng::Stream;
use crate::PROGRESS_EVERY;
use crate::{exhausted, timed_alloc, timed_free, touch};
use crate::{
    Allocator, Case, Clock, LiveSet, Observer, Outcome, Phase, Recorder, RunError, Windows,
};

/// One thread's part of the ring: allocates `case.ops` blocks into `outbox`
/// and frees `case.ops` blocks from `inbox` (after the same warm-up).
pub fn run<A: Allocator, C: Clock, O: Observer, M: Mailbox>(
    case: &Case,
    alloc: &mut A,
    clock: &mut C,
    observer: &mut O,
    inbox: &M,
    outbox: &M,
) -> Result<Outcome, RunError> {
    let mut out = Outcome::new();
    let mut rng = Stream::new(case.seed);
    let mut ring = Ring {
        alloc,
        clock,
        inbox,
        outbox,
    };
    // Made before any timed call; the warm-up's windows are never cut and
    // what they record is thrown away.
    let mut warm = (Windows::new(case.warmup_ops(), 0), Outcome::new());
    let mut windows = Windows::for_case(case);
    let result = (|| {
        let first = ring.phase(
            case,
            &mut rng,
            case.warmup_ops(),
            &mut warm.0,
            &mut (),
            &mut warm.1,
        )?;
        out.first_call.alloc_ns = first.0;
        out.first_call.free_ns = first.1;
        observer.phase(Phase::RecordingStarts);
        windows.start(ring.clock);
        ring.phase(case, &mut rng, case.ops, &mut windows, observer, &mut out)?;
        observer.phase(Phase::RecordingEnds);
        observer.progress(case.ops, case.ops);
        if let Some(min_ns) = observer.batch_ns() {
            let mut held = Vec::with_capacity(case.blocks.max(1));
            let links = (inbox, outbox);
            let (alloc, clock) = (&mut *ring.alloc, &mut *ring.clock);
            let phases = crate::batched::handoff(
                case, alloc, clock, observer, &mut rng, links, &mut held, min_ns,
            )?;
            out.batched.extend(phases);
        }
        Ok(())
    })();
    if result.is_err() {
        ring.close_and_drain();
    }
    result.map(|()| {
        out.ops = 2 * case.ops;
        out
    })
}

struct Ring<'a, A, C, M> {
    alloc: &'a mut A,
    clock: &'a mut C,
    inbox: &'a M,
    outbox: &'a M,
}

impl<A: Allocator, C: Clock, M: Mailbox> Ring<'_, A, C, M> {
    /// Stops the ring after a failure: closes both links and frees what
    /// the previous thread sent before it saw the link closed, and what
    /// this thread sent that the next one never freed. This thread's last
    /// send precedes this drain, so its outbox ends empty whenever the next
    /// thread stopped draining; no block is leaked.
    fn close_and_drain(&mut self) {
        self.inbox.close();
        self.outbox.close();
        for link in [self.inbox, self.outbox] {
            while let Some((ptr, size)) = link.receive() {
                // SAFETY: as in `free_arrived`: sent once, received once
                // (the link hands each block to one receiver), never freed.
                unsafe { self.alloc.free(ptr, size) };
            }
        }
    }

    /// Allocates and frees `n` blocks each, recording into `windows` and
    /// cutting them by blocks allocated (the last window closes when the
    /// phase's last block is freed); returns the first alloc's and first
    /// free's ns.
    fn phase<O: Observer>(
        &mut self,
        case: &Case,
        rng: &mut Stream,
        n: u64,
        windows: &mut Windows,
        observer: &mut O,
        out: &mut Outcome,
    ) -> Result<(u64, u64), RunError> {
        let (mut allocated, mut freed) = (0u64, 0u64);
        let mut first = (0, 0);
        while allocated < n || freed < n {
            if allocated < n {
                let size = case.size.draw(rng);
                let (ptr, ticks) = timed_alloc(self.alloc, self.clock, size);
                if ptr.is_null() {
                    return Err(exhausted(allocated, size));
                }
                let ns = self.clock.ticks_to_ns(ticks);
                windows.alloc.record(ns);
                if allocated == 0 {
                    first.0 = ns;
                }
                let ptr = touch(ptr, size);
                while !self.outbox.send(ptr, size) {
                    if self.free_arrived(n, &mut freed, &mut first, &mut windows.free) == 0 {
                        if let Err(e) = self.wait() {
                            // SAFETY: allocated above from this allocator, never sent.
                            unsafe { self.alloc.free(ptr, size) };
                            return Err(e);
                        }
                    }
                }
                allocated += 1;
                if allocated < n && windows.due(allocated) {
                    windows.cut(allocated, self.clock, observer, out, LiveSet::default());
                }
                if allocated % PROGRESS_EVERY == 0 {
                    observer.progress(allocated, n);
                }
            }
            if self.free_arrived(n, &mut freed, &mut first, &mut windows.free) == 0
                && allocated == n
            {
                self.wait()?;
            }
        }
        if windows.due(n) {
            windows.cut(n, self.clock, observer, out, LiveSet::default());
        }
        Ok(first)
    }

    /// Frees every block that has arrived, up to `n` in the phase; returns
    /// how many it freed.
    #[inline(always)]
    fn free_arrived(
        &mut self,
        n: u64,
        freed: &mut u64,
        first: &mut (u64, u64),
        record: &mut Recorder,
    ) -> u64 {
        let before = *freed;
        while *freed < n {
            let Some((ptr, size)) = self.inbox.receive() else {
                break;
            };
            // SAFETY: the previous thread got `ptr` from `alloc(size)` of an
            // allocator whose blocks any thread may free (the harness runs
            // this loop only on those), sent it exactly once and kept no copy.
            let ticks = unsafe { timed_free(self.alloc, self.clock, ptr, size) };
            let ns = self.clock.ticks_to_ns(ticks);
            record.record(ns);
            if *freed == 0 {
                first.1 = ns;
            }
            *freed += 1;
        }
        *freed - before
    }

    #[inline(always)]
    fn wait(&self) -> Result<(), RunError> {
        wait(self.inbox, self.outbox)
    }
}
