//! request-closed's batched phase: K whole requests, each one's allocations
//! (each block written in full) timed between two clock reads and its frees
//! between two more, the K readings of each summed into one batch. A
//! request's calls overlap in the CPU as in a program; the reads between
//! its two halves are what keeps the allocations and the frees apart, and
//! the empty batch (K read pairs) takes them off again.
//!
//! The K requests are drawn once, while K is found, and every batch serves
//! the same ones (so every batch holds the same blocks, and a batch's
//! figure per block is its length over their count).

use super::{timed, BatchOp, Batched, Shape};
use crate::request::{draw, fill, release, MAX_BLOCKS};
use crate::rng::Stream;
use crate::{Allocator, Clock, Observer, RunError};

/// Requests per batch at most: about a second's worth at a microsecond each.
const MAX_REQUESTS: u64 = 1 << 20;

/// Times request-closed's allocations and frees in batches of whole
/// requests, with `live` to hold one request's blocks. Returns the alloc
/// and the free phase; their K is the blocks of a batch's requests.
pub(crate) fn requests<A: Allocator, C: Clock, O: Observer>(
    alloc: &mut A,
    clock: &mut C,
    observer: &mut O,
    rng: &mut Stream,
    live: &mut [*mut u8; MAX_BLOCKS],
    min_ns: u64,
) -> Result<[Batched; 2], RunError> {
    // Every block's size, request after request, and where each request ends.
    let (mut sizes, mut ends) = (Vec::new(), Vec::new());
    let mut one = [0usize; MAX_BLOCKS];
    let shape = Shape {
        ops: [BatchOp::Alloc, BatchOp::Free],
        max_k: MAX_REQUESTS,
        reads_per_batch: |k| k,
    };
    let mut phases = timed(shape, clock, observer, min_ns, |clock, k, _| {
        while (ends.len() as u64) < k {
            let n = draw(rng, &mut one);
            sizes.extend_from_slice(&one[..n]);
            ends.push(sizes.len());
        }
        let (mut alloc_ticks, mut free_ticks, mut from) = (0u64, 0u64, 0);
        for (r, &to) in ends.iter().take(k as usize).enumerate() {
            let request = &sizes[from..to];
            let t0 = clock.start();
            fill(alloc, request, live, r as u64)?;
            let t1 = clock.stop();
            let t2 = clock.start();
            release(alloc, request, live);
            let t3 = clock.stop();
            alloc_ticks = alloc_ticks.wrapping_add(t1.wrapping_sub(t0));
            free_ticks = free_ticks.wrapping_add(t3.wrapping_sub(t2));
            from = to;
        }
        Ok([alloc_ticks, free_ticks].map(|t| clock.ticks_to_ns(t)))
    })?;
    let requests = phases[0].ops_per_batch as usize;
    for p in &mut phases {
        p.ops_per_batch = ends[requests - 1] as u64;
    }
    Ok(phases)
}
