//! The batched phase: after the per-op phase, K consecutive operations are
//! timed between two clock reads, so a cost far below the clock's step
//! still shows (divan and criterion do the same; they stop there, this
//! suite keeps the per-op tail beside it). K doubles from 1 until the
//! median of five trial batches lasts at least the length the observer asks
//! for (the harness asks for 1,000 clock steps); then [`BATCHES`] batches
//! are timed, and as many empty ones (two reads, nothing between), whose
//! median is the reads' own cost, taken off every batch. Only the hot-path loop has a batched form: its operation is
//! the pair (alloc, write the first and last byte, free), so the figure is
//! the cost of a pair, which the null allocator's batches take apart from
//! the loop and the writes.
//!
//! Each batch holds no clock read and no fence inside: the calls overlap
//! in the CPU as they do in a program, which is why a batched cost is lower
//! than the per-op histogram's mean (each timed call there is fenced).

use crate::rng::Stream;
use crate::{exhausted, touch, Allocator, Case, Clock, RunError};

/// Batches timed once K is found.
pub const BATCHES: usize = 1000;

/// K never grows beyond this, whatever the clock says (a clock that does not
/// advance with the work would otherwise double it forever).
pub const MAX_OPS_PER_BATCH: u64 = 1 << 20;

/// The batched phase of one case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Batched {
    /// Operations (pairs) per batch.
    pub ops_per_batch: u64,
    /// Each batch's length in ns, in the order timed.
    pub batch_ns: Vec<u64>,
    /// Each empty batch's length in ns: the two clock reads alone.
    pub empty_ns: Vec<u64>,
}

/// Times hot-path pairs in batches of at least `min_batch_ns` each.
pub(crate) fn pairs<A: Allocator, C: Clock>(
    case: &Case,
    alloc: &mut A,
    clock: &mut C,
    rng: &mut Stream,
    min_batch_ns: u64,
) -> Result<Batched, RunError> {
    let mut k = 1;
    loop {
        let mut trial = [0u64; 5];
        for t in &mut trial {
            *t = batch(case, alloc, clock, rng, k)?;
        }
        trial.sort_unstable();
        if trial[2] >= min_batch_ns || k >= MAX_OPS_PER_BATCH {
            break;
        }
        k *= 2;
    }
    let mut batch_ns = Vec::with_capacity(BATCHES);
    let mut empty_ns = Vec::with_capacity(BATCHES);
    for _ in 0..BATCHES {
        batch_ns.push(batch(case, alloc, clock, rng, k)?);
        empty_ns.push(batch(case, alloc, clock, rng, 0)?);
    }
    Ok(Batched {
        ops_per_batch: k,
        batch_ns,
        empty_ns,
    })
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
