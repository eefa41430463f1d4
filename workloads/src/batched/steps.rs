//! churn's batched phase: K random steps between two clock reads.

use super::{timed, BatchOp, Batched, Shape, MAX_OPS_PER_BATCH};
use crate::rng::Stream;
use crate::{exhausted, touch, Allocator, Case, Clock, Observer, RunError};

/// Times churn's random steps in batches over the live set `live`
/// (pointer and size of every block not yet freed; never beyond
/// `case.max_live`, its capacity).
pub(crate) fn steps<A: Allocator, C: Clock, O: Observer>(
    case: &Case,
    alloc: &mut A,
    clock: &mut C,
    observer: &mut O,
    rng: &mut Stream,
    live: &mut Vec<(*mut u8, usize, usize)>,
    min_ns: u64,
) -> Result<Batched, RunError> {
    let shape = Shape {
        ops: [BatchOp::Mixed],
        max_k: MAX_OPS_PER_BATCH,
        reads_per_batch: |_| 1,
    };
    let [steps] = timed(shape, clock, observer, min_ns, |clock, k, _| {
        let t0 = clock.start();
        for op in 0..k {
            churn_step(case, alloc, rng, live, op)?;
        }
        let t1 = clock.stop();
        Ok([clock.ticks_to_ns(t1.wrapping_sub(t0))])
    })?;
    Ok(steps)
}

/// One churn step without its bookkeeping of sizes: alloc (written) when
/// the set is empty, free when it is full, else a fair coin; a free takes
/// a uniformly random live block.
#[inline(always)]
fn churn_step<A: Allocator>(
    case: &Case,
    alloc: &mut A,
    rng: &mut Stream,
    live: &mut Vec<(*mut u8, usize, usize)>,
    op: u64,
) -> Result<(), RunError> {
    if live.is_empty() || (live.len() < case.max_live && rng.coin()) {
        let size = case.size.draw(rng);
        let ptr = alloc.alloc(size);
        if ptr.is_null() {
            return Err(exhausted(op, size));
        }
        live.push((touch(ptr, size), size, 0));
    } else {
        let (ptr, size, _) = live.swap_remove(rng.below(live.len()));
        // SAFETY: the entry came from `alloc(size)`; swap_remove takes it
        // out of the set, so it is freed exactly once.
        unsafe { alloc.free(ptr, size) };
    }
    Ok(())
}
