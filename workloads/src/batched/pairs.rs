//! hot-path's batched phase: K pairs between two clock reads.

use super::{timed, BatchOp, Batched, Shape, MAX_OPS_PER_BATCH};
use crate::rng::Stream;
use crate::{exhausted, touch, Allocator, Case, Clock, Observer, RunError};

/// Times hot-path pairs in batches of at least `min_ns` each.
pub(crate) fn pairs<A: Allocator, C: Clock, O: Observer>(
    case: &Case,
    alloc: &mut A,
    clock: &mut C,
    observer: &mut O,
    rng: &mut Stream,
    min_ns: u64,
) -> Result<Batched, RunError> {
    let shape = Shape {
        ops: [BatchOp::Pair],
        max_k: MAX_OPS_PER_BATCH,
        reads_per_batch: |_| 1,
    };
    let [pairs] = timed(shape, clock, observer, min_ns, |clock, k, _| {
        Ok([batch(case, alloc, clock, rng, k)?])
    })?;
    Ok(pairs)
}

/// One batch of `k` pairs between two clock reads; its length in ns.
#[inline(always)]
fn batch<A: Allocator, C: Clock>(
    case: &Case,
    alloc: &mut A,
    clock: &mut C,
    rng: &mut Stream,
    k: u64,
) -> Result<u64, RunError> {
    let t0 = clock.start();
    for op in 0..k {
        let size = case.size.draw(rng);
        let ptr = alloc.alloc(size);
        if ptr.is_null() {
            return Err(exhausted(op, size));
        }
        let ptr = touch(ptr, size);
        // SAFETY: `ptr` came from `alloc(size)` just above and is freed once.
        unsafe { alloc.free(ptr, size) };
    }
    let t1 = clock.stop();
    Ok(clock.ticks_to_ns(t1.wrapping_sub(t0)))
}
