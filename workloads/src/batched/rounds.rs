//! bulk's and reverse-free's batched phase: K allocations, then their K
//! frees, each timed as one batch.

use super::{timed, BatchOp, Batched, Shape, MAX_OPS_PER_BATCH};
use crate::rng::Stream;
use crate::{exhausted, touch, Allocator, Case, Clock, Observer, RunError};

/// Times bulk's allocations and frees in batches: K allocations into
/// `held` (sized for the round's blocks before the loop), then their K
/// frees, in allocation order or reversed. Returns the alloc and the free
/// phase.
#[allow(clippy::too_many_arguments)]
pub(crate) fn rounds<A: Allocator, C: Clock, O: Observer>(
    case: &Case,
    reverse: bool,
    alloc: &mut A,
    clock: &mut C,
    observer: &mut O,
    rng: &mut Stream,
    held: &mut Vec<(*mut u8, usize)>,
    min_ns: u64,
) -> Result<[Batched; 2], RunError> {
    let shape = Shape {
        ops: [BatchOp::Alloc, BatchOp::Free],
        max_k: (case.blocks as u64).clamp(1, MAX_OPS_PER_BATCH),
        reads_per_batch: |_| 1,
    };
    timed(shape, clock, observer, min_ns, |clock, k, _| {
        let a = alloc_batch(case, alloc, clock, rng, held, k)?;
        let f = free_batch(alloc, clock, held, reverse);
        Ok([a, f])
    })
}

/// K allocations, each written, timed as one; the blocks go into `held`.
/// On a null every block of the batch is freed (untimed).
#[inline(always)]
pub(super) fn alloc_batch<A: Allocator, C: Clock>(
    case: &Case,
    alloc: &mut A,
    clock: &mut C,
    rng: &mut Stream,
    held: &mut Vec<(*mut u8, usize)>,
    k: u64,
) -> Result<u64, RunError> {
    held.clear();
    let t0 = clock.start();
    for op in 0..k {
        let size = case.size.draw(rng);
        let ptr = alloc.alloc(size);
        if ptr.is_null() {
            for (p, s) in held.drain(..) {
                // SAFETY: every held block came from `alloc(s)` in this
                // batch and was not freed.
                unsafe { alloc.free(p, s) };
            }
            return Err(exhausted(op, size));
        }
        held.push((touch(ptr, size), size));
    }
    let t1 = clock.stop();
    Ok(clock.ticks_to_ns(t1.wrapping_sub(t0)))
}

/// Frees every block in `held`, timed as one batch.
#[inline(always)]
pub(super) fn free_batch<A: Allocator, C: Clock>(
    alloc: &mut A,
    clock: &mut C,
    held: &mut Vec<(*mut u8, usize)>,
    reverse: bool,
) -> u64 {
    let t0 = clock.start();
    let free = |alloc: &mut A, &(p, s): &(*mut u8, usize)| {
        // SAFETY: every held block came from `alloc(s)` in the batch just
        // allocated and is freed exactly once (`held` is cleared after).
        unsafe { alloc.free(p, s) }
    };
    if reverse {
        held.iter().rev().for_each(|b| free(alloc, b));
    } else {
        held.iter().for_each(|b| free(alloc, b));
    }
    let t1 = clock.stop();
    held.clear();
    clock.ticks_to_ns(t1.wrapping_sub(t0))
}
