//! producer-consumer's batched phase: each thread allocates K blocks (each
//! written) as one timed batch and sends them on, then takes K blocks from
//! the previous thread and frees them as another, so the free batch is of
//! blocks another thread allocated and wrote (a ring of one frees its own).
//! Sending and taking are not timed. K is found on the thread's own blocks
//! (a trial frees what it allocated: it needs no neighbour, and a local
//! free costs no more than a cross-thread one), then agreed by every
//! thread of the ring, so each takes exactly what the previous one sends.
//!
//! No deadlock: a link holds the case's blocks, at least K. A thread
//! waiting to send round r waits for its neighbour to take round r - 1,
//! which that neighbour does right after its own send of round r - 1; a
//! thread waiting to take round r waits for the previous thread's send of
//! round r. Around the ring, a wait always ends, unless a thread stopped
//! early and closed its links: then the others stop too
//! ([`RunError::Abandoned`]).

use super::rounds::{alloc_batch, free_batch};
use super::{timed, BatchOp, Batched, Shape, MAX_OPS_PER_BATCH};
use crate::mailbox::{wait, Mailbox};
use crate::rng::Stream;
use crate::{Allocator, Case, Clock, Observer, RunError};

/// Times producer-consumer's allocations and frees in batches, through
/// `links` (inbox, outbox); `held` has room for the case's blocks. Returns
/// the alloc and the free phase.
#[allow(clippy::too_many_arguments)]
pub(crate) fn handoff<A: Allocator, C: Clock, O: Observer, M: Mailbox>(
    case: &Case,
    alloc: &mut A,
    clock: &mut C,
    observer: &mut O,
    rng: &mut Stream,
    (inbox, outbox): (&M, &M),
    held: &mut Vec<(*mut u8, usize)>,
    min_ns: u64,
) -> Result<[Batched; 2], RunError> {
    let shape = Shape {
        ops: [BatchOp::Alloc, BatchOp::Free],
        max_k: (case.blocks as u64).clamp(1, MAX_OPS_PER_BATCH),
        reads_per_batch: |_| 1,
    };
    timed(shape, clock, observer, min_ns, |clock, k, trial| {
        let a = alloc_batch(case, alloc, clock, rng, held, k)?;
        if !trial {
            send_all(alloc, held, (inbox, outbox))?;
            take(k, alloc, held, (inbox, outbox))?;
        }
        Ok([a, free_batch(alloc, clock, held, false)])
    })
}

/// Sends every block of `held` on, in order, and empties it; on an early
/// stop, frees what was not sent.
fn send_all<A: Allocator, M: Mailbox>(
    alloc: &mut A,
    held: &mut Vec<(*mut u8, usize)>,
    (inbox, outbox): (&M, &M),
) -> Result<(), RunError> {
    for i in 0..held.len() {
        let (ptr, size) = held[i];
        while !outbox.send(ptr, size) {
            if let Err(e) = wait(inbox, outbox) {
                for &(p, s) in &held[i..] {
                    // SAFETY: blocks i.. came from `alloc(s)` in this batch
                    // and were neither sent nor freed.
                    unsafe { alloc.free(p, s) };
                }
                held.clear();
                return Err(e);
            }
        }
    }
    held.clear();
    Ok(())
}

/// Takes `k` blocks from `inbox` into `held` (empty, with room for them);
/// on an early stop, frees what it took.
fn take<A: Allocator, M: Mailbox>(
    k: u64,
    alloc: &mut A,
    held: &mut Vec<(*mut u8, usize)>,
    (inbox, outbox): (&M, &M),
) -> Result<(), RunError> {
    while (held.len() as u64) < k {
        match inbox.receive() {
            Some(block) => held.push(block),
            None => {
                if let Err(e) = wait(inbox, outbox) {
                    for (p, s) in held.drain(..) {
                        // SAFETY: the previous thread sent each block once
                        // after `alloc(s)`, and this one received it once.
                        unsafe { alloc.free(p, s) };
                    }
                    return Err(e);
                }
            }
        }
    }
    Ok(())
}
