//! The block sizes a class may have, and the size-to-bucket arithmetic for
//! requests above [`SMALL_LIMIT`].
//!
//! Up to [`SMALL_LIMIT`] a class's block is its size rounded up to 16
//! bytes, and a flat table with an entry per 16 bytes finds a request's
//! class. A flat table up to [`crate::MAX_CLASS_BYTES`] would be 4 Mi
//! entries, so above [`SMALL_LIMIT`] blocks come from a grid instead, as in
//! TLSF and mimalloc: each power of two is cut into [`STEPS`] equal steps,
//! a block is a size rounded up to the next step (at most 1/8 wasted), and a
//! request's bucket is a leading-zero count, a shift and a mask: no search,
//! no loop. A class owns its block's bucket, so a second table with one
//! entry per bucket (80 of them) finds the class of any large request.
//!
//! Every grid block is a multiple of 8 KiB, so a large block covers whole
//! pages: a program touches only the pages it writes.

/// The largest size whose block is its size rounded up to 16 bytes.
pub(crate) const SMALL_LIMIT: usize = 64 * 1024;

/// Steps per power of two above [`SMALL_LIMIT`] (a power of two itself).
const STEPS: usize = 8;

/// log2 of [`SMALL_LIMIT`] and of [`STEPS`].
const SMALL_SHIFT: u32 = SMALL_LIMIT.trailing_zeros();
const STEP_SHIFT: u32 = STEPS.trailing_zeros();

/// Buckets between [`SMALL_LIMIT`] and [`crate::MAX_CLASS_BYTES`].
pub(crate) const BUCKETS: usize =
    (crate::MAX_CLASS_BYTES.trailing_zeros() - SMALL_SHIFT) as usize * STEPS;

/// The bucket of a request of `size` bytes, for
/// `SMALL_LIMIT < size <= MAX_CLASS_BYTES`: the `k` with
/// `bucket_bytes(k - 1) < size <= bucket_bytes(k)`.
#[inline(always)]
pub(crate) fn bucket(size: usize) -> usize {
    debug_assert!(size > SMALL_LIMIT && size <= crate::MAX_CLASS_BYTES);
    let below = size - 1;
    // 2^power <= below < 2^(power + 1), power >= SMALL_SHIFT.
    let power = usize::BITS - 1 - below.leading_zeros();
    let step = (below >> (power - STEP_SHIFT)) & (STEPS - 1);
    (power - SMALL_SHIFT) as usize * STEPS + step
}

/// The block size of bucket `k`: the largest size it holds.
pub(crate) fn bucket_bytes(k: usize) -> usize {
    let power = SMALL_SHIFT + (k / STEPS) as u32;
    (1 << power) + (k % STEPS + 1) * (1 << (power - STEP_SHIFT))
}

/// Usable bytes of a block of a class of `size` (1..=MAX_CLASS_BYTES): up
/// to [`SMALL_LIMIT`], rounded up to [`crate::ALIGN`]; above it, rounded up
/// to the grid.
pub(crate) fn block_bytes(size: usize) -> usize {
    if size <= SMALL_LIMIT {
        size.next_multiple_of(crate::ALIGN)
    } else {
        bucket_bytes(bucket(size))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MAX_CLASS_BYTES;

    #[test]
    fn buckets_tile_the_large_sizes_in_order() {
        assert_eq!(bucket_bytes(0), SMALL_LIMIT + SMALL_LIMIT / STEPS);
        assert_eq!(bucket_bytes(BUCKETS - 1), MAX_CLASS_BYTES);
        for k in 1..BUCKETS {
            let (low, high) = (bucket_bytes(k - 1), bucket_bytes(k));
            assert!(low < high, "bucket {k}");
            assert_eq!(bucket(low), k - 1);
            assert_eq!(bucket(low + 1), k);
            assert_eq!(bucket(high), k);
            assert!(high.is_multiple_of(8192), "whole pages");
            // At most one step of eight of the power of two below is wasted.
            assert!((high - low) * STEPS <= high, "bucket {k}");
        }
        assert_eq!(bucket(SMALL_LIMIT + 1), 0);
        assert_eq!(bucket(MAX_CLASS_BYTES), BUCKETS - 1);
    }

    #[test]
    fn every_block_holds_its_size_and_wastes_at_most_an_eighth() {
        let sizes = (1..=SMALL_LIMIT + 100)
            .step_by(7)
            .chain((SMALL_LIMIT..=MAX_CLASS_BYTES).step_by(4093))
            .chain([
                SMALL_LIMIT,
                SMALL_LIMIT + 1,
                MAX_CLASS_BYTES - 1,
                MAX_CLASS_BYTES,
            ]);
        for size in sizes {
            let block = block_bytes(size);
            assert!(
                block >= size && block.is_multiple_of(crate::ALIGN),
                "size {size}"
            );
            if size > SMALL_LIMIT {
                assert!((block - size) * STEPS < block, "size {size}");
                assert_eq!(block, bucket_bytes(bucket(size)));
            } else {
                assert!(block - size < crate::ALIGN, "size {size}");
            }
        }
    }
}
