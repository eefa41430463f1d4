//! request-closed's batched phase: whole requests, each one's allocations
//! (each block written in full) timed between two clock reads and its frees
//! between two more, the readings of each summed into one batch. A
//! request's calls overlap in the CPU as in a program; the reads between
//! its two halves are what keeps the allocations and the frees apart, and
//! the empty batch (K read pairs) takes them off again.
//!
//! The batch's requests are a deck of [`DECK`] requests, drawn once after
//! the recorded phase (from the same stream, so every allocator's deck is
//! the same): K is the passes over the deck per batch, so every batch of
//! every allocator holds the same blocks (a batch's cost per block is its
//! length over their count, and the null's is of the same blocks).

use super::{timed, BatchOp, Batched, Shape, MAX_OPS_PER_BATCH};
use crate::request_fill::{fill, release};
use crate::request_shape::{draw, MAX_BLOCKS};
use crate::rng::Stream;
use crate::{Allocator, Clock, Observer, RunError};

/// Requests in the deck: about 2,000 blocks, a few microseconds of work
/// at the least (the null's writes alone), so one pass fills a batch on
/// a 10 ns clock step and a few on a 41.7 ns one.
pub const DECK: usize = 32;

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
    let (mut sizes, mut ends) = (Vec::new(), Vec::with_capacity(DECK));
    let mut one = [0usize; MAX_BLOCKS];
    for _ in 0..DECK {
        let n = draw(rng, &mut one);
        sizes.extend_from_slice(&one[..n]);
        ends.push(sizes.len());
    }
    let blocks = sizes.len() as u64;
    let shape = Shape {
        ops: [BatchOp::Alloc, BatchOp::Free],
        max_k: (MAX_OPS_PER_BATCH / blocks).max(1),
        reads_per_batch: |k| k * DECK as u64,
    };
    let mut phases = timed(shape, clock, observer, min_ns, |clock, k, _| {
        let (mut alloc_ticks, mut free_ticks) = (0u64, 0u64);
        for _ in 0..k {
            let mut from = 0;
            for (r, &to) in ends.iter().enumerate() {
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
        }
        Ok([alloc_ticks, free_ticks].map(|t| clock.ticks_to_ns(t)))
    })?;
    for p in &mut phases {
        p.ops_per_batch *= blocks;
    }
    Ok(phases)
}
