//! The batched phase: after the per-op phase, K consecutive operations are
//! timed between two clock reads, so a cost far below the clock's step
//! still shows (divan and criterion do the same; they stop there, this
//! suite keeps the per-op tail beside it). K doubles from 1 until the
//! median of five trial batches lasts at least the length the observer asks
//! for (the harness asks for 1,000 clock steps); then [`BATCHES`] batches
//! are timed, and as many empty ones (two reads, nothing between), whose
//! median is the reads' own cost, taken off every batch.
//!
//! What one batched operation is ([`BatchOp`]), by loop:
//! - hot-path: the pair (alloc, write the first and last byte, free);
//! - bulk and reverse-free: K allocations (each written) timed as one batch,
//!   then their K frees (in the loop's order) as another, so alloc and free
//!   each get a cost; K never exceeds the round's blocks;
//! - churn: K of its random steps (an alloc or a free of a random live
//!   block, the live set kept within its bound), so the cost is of the mix.
//!
//! The null allocator's batches take the loop, the random draws and the
//! writes apart from the allocator (the harness subtracts them).
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

/// What one batched operation is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BatchOp {
    /// An alloc and its free (hot-path): the same figure for both ops.
    Pair,
    /// Allocations alone (bulk, reverse-free).
    Alloc,
    /// Frees alone (bulk, reverse-free).
    Free,
    /// Churn's random steps, each an alloc or a free: the same figure for both ops.
    Mixed,
}

impl BatchOp {
    /// The name in summary.csv's `batch_op`.
    pub fn name(self) -> &'static str {
        match self {
            BatchOp::Pair => "alloc+free",
            BatchOp::Alloc => "alloc",
            BatchOp::Free => "free",
            BatchOp::Mixed => "alloc or free",
        }
    }

    /// Whether this batched figure belongs on the row of `op`.
    pub fn covers(self, op: crate::Op) -> bool {
        use crate::Op;
        match self {
            BatchOp::Pair | BatchOp::Mixed => matches!(op, Op::Alloc | Op::Free),
            BatchOp::Alloc => op == Op::Alloc,
            BatchOp::Free => op == Op::Free,
        }
    }
}

/// The batched phase of one case and op.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Batched {
    pub op: BatchOp,
    /// Operations per batch.
    pub ops_per_batch: u64,
    /// Each batch's length in ns, in the order timed.
    pub batch_ns: Vec<u64>,
    /// Each empty batch's length in ns: the two clock reads alone.
    pub empty_ns: Vec<u64>,
}

/// The smallest K (doubling from 1, at most `max_k`) whose `trial`
/// batches last `min_ns` or more at their median: `trial(k)` times one
/// batch of each op the phase has (all must reach it).
fn find_k<const N: usize>(
    min_ns: u64,
    max_k: u64,
    mut trial: impl FnMut(u64) -> Result<[u64; N], RunError>,
) -> Result<u64, RunError> {
    let mut k = 1.min(max_k);
    loop {
        let mut runs = [[0u64; N]; 5];
        for run in &mut runs {
            *run = trial(k)?;
        }
        let long_enough = (0..N).all(|op| {
            let mut t = runs.map(|run| run[op]);
            t.sort_unstable();
            t[2] >= min_ns
        });
        if long_enough || k >= max_k {
            return Ok(k);
        }
        // Never a trial beyond max_k: a pool holds no more.
        k = (k * 2).min(max_k);
    }
}

/// Times hot-path pairs in batches of at least `min_batch_ns` each.
pub(crate) fn pairs<A: Allocator, C: Clock>(
    case: &Case,
    alloc: &mut A,
    clock: &mut C,
    rng: &mut Stream,
    min_batch_ns: u64,
) -> Result<Batched, RunError> {
    let k = find_k(min_batch_ns, MAX_OPS_PER_BATCH, |k| {
        Ok([batch(case, alloc, clock, rng, k)?])
    })?;
    let mut batch_ns = Vec::with_capacity(BATCHES);
    let mut empty_ns = Vec::with_capacity(BATCHES);
    for _ in 0..BATCHES {
        batch_ns.push(batch(case, alloc, clock, rng, k)?);
        empty_ns.push(batch(case, alloc, clock, rng, 0)?);
    }
    Ok(Batched {
        op: BatchOp::Pair,
        ops_per_batch: k,
        batch_ns,
        empty_ns,
    })
}

/// Two clock reads with nothing between: an empty batch, in ns.
#[inline(always)]
fn empty<C: Clock>(clock: &mut C) -> u64 {
    let t0 = clock.start();
    let t1 = clock.stop();
    clock.ticks_to_ns(t1.wrapping_sub(t0))
}

/// Times bulk's allocations and frees in batches: K allocations into
/// `held` (sized for the round's blocks before the loop), then their K
/// frees, in allocation order or reversed. Returns the alloc and the free
/// phase.
pub(crate) fn rounds<A: Allocator, C: Clock>(
    case: &Case,
    reverse: bool,
    alloc: &mut A,
    clock: &mut C,
    rng: &mut Stream,
    held: &mut Vec<(*mut u8, usize)>,
    min_batch_ns: u64,
) -> Result<[Batched; 2], RunError> {
    let max_k = (case.blocks as u64).clamp(1, MAX_OPS_PER_BATCH);
    let mut one = |clock: &mut C, k| -> Result<[u64; 2], RunError> {
        let a = alloc_batch(case, alloc, clock, rng, held, k)?;
        let f = free_batch(alloc, clock, held, reverse);
        Ok([a, f])
    };
    let k = find_k(min_batch_ns, max_k, |k| one(clock, k))?;
    let mut phases = [BatchOp::Alloc, BatchOp::Free].map(|op| Batched {
        op,
        ops_per_batch: k,
        batch_ns: Vec::with_capacity(BATCHES),
        empty_ns: Vec::with_capacity(BATCHES),
    });
    for _ in 0..BATCHES {
        let [a, f] = one(clock, k)?;
        phases[0].batch_ns.push(a);
        phases[1].batch_ns.push(f);
        for p in &mut phases {
            p.empty_ns.push(empty(clock));
        }
    }
    Ok(phases)
}

/// K allocations, each written, timed as one; the blocks go into `held`.
/// On a null every block of the batch is freed (untimed).
#[inline(always)]
fn alloc_batch<A: Allocator, C: Clock>(
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
fn free_batch<A: Allocator, C: Clock>(
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

/// Times churn's random steps in batches over the live set `live`
/// (pointer and size of every block not yet freed; never beyond
/// `case.max_live`, its capacity).
pub(crate) fn steps<A: Allocator, C: Clock>(
    case: &Case,
    alloc: &mut A,
    clock: &mut C,
    rng: &mut Stream,
    live: &mut Vec<(*mut u8, usize, usize)>,
    min_batch_ns: u64,
) -> Result<Batched, RunError> {
    let mut one = |clock: &mut C, k| -> Result<[u64; 1], RunError> {
        let t0 = clock.start();
        for op in 0..k {
            churn_step(case, alloc, rng, live, op)?;
        }
        let t1 = clock.stop();
        Ok([clock.ticks_to_ns(t1.wrapping_sub(t0))])
    };
    let k = find_k(min_batch_ns, MAX_OPS_PER_BATCH, |k| one(clock, k))?;
    let mut batch_ns = Vec::with_capacity(BATCHES);
    let mut empty_ns = Vec::with_capacity(BATCHES);
    for _ in 0..BATCHES {
        batch_ns.push(one(clock, k)?[0]);
        empty_ns.push(empty(clock));
    }
    Ok(Batched {
        op: BatchOp::Mixed,
        ops_per_batch: k,
        batch_ns,
        empty_ns,
    })
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
