//! The batched phase: after the per-op phase, K consecutive operations are
//! timed between two clock reads, so a cost far below the clock's step
//! still shows (divan and criterion do the same; they stop there, this
//! suite keeps the per-op tail beside it). K doubles from 1 until the
//! fastest of five trial batches lasts at least the length the observer
//! asks for (the harness asks for 1,000 clock steps): noise only slows a
//! batch, so the fastest is the one a disturbance cannot stop K short at
//! (at their median, three disturbed trials did: TLSF's hot path once
//! stopped at 32 pairs, a batch of 40 steps, and read 12.8 ns a pair where
//! 2,048 pairs read 7.3); then [`BATCHES`] batches
//! are timed, and as many empty ones (two reads, nothing between), whose
//! median is the reads' own cost, taken off every batch.
//!
//! What one batched operation is ([`BatchOp`]), by loop (one module each):
//! - hot-path ([`pairs`]): the pair (alloc, write the first and last byte,
//!   free);
//! - bulk and reverse-free ([`rounds`]): K allocations (each written) timed
//!   as one batch, then their K frees (in the loop's order) as another, so
//!   alloc and free each get a cost; K never exceeds the round's blocks;
//! - churn ([`steps`]): K of its random steps (an alloc or a free of a
//!   random live block, the live set kept within its bound), so the cost is
//!   of the mix;
//! - producer-consumer ([`handoff`]): K allocations (each written) timed as
//!   one batch and sent on, then K blocks from the previous thread freed as
//!   another, so the free is the cross-thread free;
//! - request-closed ([`requests`]): K passes over a fixed deck of whole
//!   requests, each one's allocations and its frees timed apart, the
//!   readings of each summed.
//!
//! Threads that run one case at once agree on one K through the observer
//! ([`crate::Observer::ops_per_batch`]) and start timing together, so the
//! allocator sees them all, as in the per-op phase.
//!
//! The null allocator's batches take the loop, the random draws and the
//! writes apart from the allocator (the harness subtracts them).
//!
//! Each batch holds no clock read and no fence inside: the calls overlap
//! in the CPU as they do in a program, which is why a batched cost is lower
//! than the per-op histogram's mean (each timed call there is fenced).

mod handoff;
mod pairs;
mod requests;
mod rounds;
mod steps;

pub(crate) use handoff::handoff;
pub(crate) use pairs::pairs;
pub(crate) use requests::requests;
pub(crate) use rounds::rounds;
pub(crate) use steps::steps;

use crate::{Clock, Observer, RunError};

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

/// The smallest K (doubling from 1, at most `max_k`) whose five `trial`
/// batches all last `min_ns` or more (the fastest does): `trial(k)` times
/// one batch of each op the phase has (all must reach it).
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
        let long_enough = (0..N).all(|op| runs.iter().all(|run| run[op] >= min_ns));
        if long_enough || k >= max_k {
            return Ok(k);
        }
        // Never a trial beyond max_k: a pool holds no more.
        k = (k * 2).min(max_k);
    }
}

/// Two clock reads with nothing between: an empty batch, in ns.
#[inline(always)]
fn empty<C: Clock>(clock: &mut C) -> u64 {
    let t0 = clock.start();
    let t1 = clock.stop();
    clock.ticks_to_ns(t1.wrapping_sub(t0))
}

/// How one loop's batched phase is shaped: what its ops are, the largest
/// K it can serve, and how many pairs of clock reads a batch of K makes
/// (its empty batch makes as many). A batch holds K operations (requests
/// rewrite that: theirs is K passes over their deck's blocks).
struct Shape<const N: usize, R> {
    ops: [BatchOp; N],
    /// A pool sized for the case, a link's depth.
    max_k: u64,
    reads_per_batch: R,
}

/// The phase: K found with `one(clock, k, true)` (trial batches, which a
/// loop may serve on its own, without its neighbours), agreed with the
/// observer, then [`BATCHES`] of `one(clock, k, false)`, which times one
/// batch of each op, each followed by an empty batch of as many reads.
fn timed<const N: usize, C, O, R>(
    shape: Shape<N, R>,
    clock: &mut C,
    observer: &mut O,
    min_ns: u64,
    mut one: impl FnMut(&mut C, u64, bool) -> Result<[u64; N], RunError>,
) -> Result<[Batched; N], RunError>
where
    C: Clock,
    O: Observer,
    R: Fn(u64) -> u64,
{
    let found = find_k(min_ns, shape.max_k, |k| one(clock, k, true))?;
    let k = observer.ops_per_batch(found).clamp(1, shape.max_k);
    let reads = (shape.reads_per_batch)(k);
    let mut phases = shape.ops.map(|op| Batched {
        op,
        ops_per_batch: k,
        batch_ns: Vec::with_capacity(BATCHES),
        empty_ns: Vec::with_capacity(BATCHES),
    });
    for _ in 0..BATCHES {
        let ns = one(clock, k, false)?;
        for (p, ns) in phases.iter_mut().zip(ns) {
            p.batch_ns.push(ns);
            p.empty_ns.push((0..reads).map(|_| empty(clock)).sum());
        }
    }
    Ok(phases)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A batch of K costs 10 K ns, but three trials in five are disturbed
    /// (a 50 us stall) while K is small: K still grows until an undisturbed
    /// batch lasts 10 us (1,024), where the median rule stopped at 1.
    #[test]
    fn a_disturbed_trial_does_not_stop_k_short() {
        let mut n = 0u64;
        let k = find_k(10_000, MAX_OPS_PER_BATCH, |k| {
            n += 1;
            let stall = if k < 64 && n % 5 < 3 { 50_000 } else { 0 };
            Ok([10 * k + stall])
        })
        .unwrap();
        assert_eq!(k, 1024);
        // Never beyond the cap, whatever the trials say.
        assert_eq!(find_k(u64::MAX, 100, |k| Ok([k])).unwrap(), 100);
    }
}
