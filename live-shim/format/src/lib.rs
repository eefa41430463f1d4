//! The live shim's histogram file, defined once for its writer (the
//! `live-shim` cdylib) and its reader (`harness live`).
//!
//! One file per process image (a process, or what it became by `exec`),
//! mapped `MAP_SHARED` by the shim and written in place, so what was
//! recorded is in the file whatever way the process ends (`exit`, `_exit`,
//! `abort`, a signal, `exec`): nothing is buffered.
//!
//! Layout, all fields u64 in the machine's byte order (the reader runs on
//! the machine that wrote the file):
//! - an image header of [`HEADER_BYTES`], fields at [`header`] offsets;
//! - then slots of [`SLOT_BYTES`] each: slot 0 is the shim's null timing
//!   (an empty call, timed as every call is), slot k > 0 the k-th thread
//!   that made a call. A slot is a [`slot`] header, then
//!   `WINDOWS x OPS x BUCKETS` counters: window-major, then op, then bucket.
//!
//! Latencies are in clock ticks, bucketed log-linearly ([`bucket`]):
//! exact below 256 ticks, within 1/128 (0.8 %) above, to 2^40 ticks
//! (larger values are counted in the last bucket). A thread's windows
//! each last `window_ticks << level` ticks from the image's origin; when
//! a call falls beyond the last window, the thread adds its windows
//! pairwise and doubles its level ([`slot::LEVEL`]).
//!
//! Nothing here allocates.

#![no_std]

/// The file's first 8 bytes.
pub const MAGIC: u64 = u64::from_le_bytes(*b"HLIVE\0\0\x01");
/// Ops, in the order of their counters: malloc; free; calloc; realloc;
/// posix_memalign, aligned_alloc, memalign, valloc and pvalloc.
pub const OPS: usize = 5;
pub const OP_NAMES: [&str; OPS] = ["alloc", "free", "calloc", "realloc", "aligned"];
pub mod op {
    pub const ALLOC: usize = 0;
    pub const FREE: usize = 1;
    pub const CALLOC: usize = 2;
    pub const REALLOC: usize = 3;
    pub const ALIGNED: usize = 4;
}
/// Empty calls the shim times per op at an image's start (slot 0, the
/// null row).
pub const NULL_CALLS: u32 = 10_000;
/// Windows per thread.
pub const WINDOWS: usize = 32;
/// Values below this many ticks have a bucket each.
const EXACT: u64 = 256;
/// Buckets per doubling above [`EXACT`].
const HALF: u64 = 128;
/// Values at or above 2^`TOP_BITS` ticks share the last bucket.
const TOP_BITS: u32 = 40;
/// Counters per (window, op).
pub const BUCKETS: usize = (HALF as usize) * (TOP_BITS as usize - 7) + HALF as usize;
pub const PAGE: usize = 4096;
pub const HEADER_BYTES: usize = 2 * PAGE;
pub const SLOT_HEADER_BYTES: usize = PAGE;
pub const SLOT_BYTES: usize = SLOT_HEADER_BYTES + WINDOWS * OPS * BUCKETS * 8;
const _: () = assert!(SLOT_BYTES.is_multiple_of(PAGE));

/// Byte offsets of the image header's fields.
pub mod header {
    pub const MAGIC: usize = 0;
    pub const PID: usize = 8;
    pub const PPID: usize = 16;
    /// The clock at the image's start: every window counts from it.
    pub const ORIGIN: usize = 24;
    /// A window's length at level 0, in ticks.
    pub const WINDOW_TICKS: usize = 32;
    /// Slots claimed (the null slot is the first).
    pub const SLOTS: usize = 40;
    /// 0: ticks are the TSC's; 1: nanoseconds of CLOCK_MONOTONIC.
    pub const CLOCK: usize = 48;
    /// 1 once the image ran its exit handlers (0: it ended otherwise, or
    /// is still running, or exec'd).
    pub const EXITED: usize = 56;
    /// Calls forwarded untimed, per op: made while the thread was already
    /// in the shim (the allocator's, or the loader's, own calls) or before
    /// this file existed.
    pub const UNTIMED: usize = 64;
    /// malloc_usable_size calls (forwarded, untimed).
    pub const USABLE_SIZE: usize = UNTIMED + 8 * super::OPS;
    /// Calls served from the shim's bootstrap buffer (made while the
    /// forwarded-to library was being looked up).
    pub const BOOTSTRAP: usize = USABLE_SIZE + 8;
    /// Bytes of the program's path, then the path (at most 1024 bytes).
    pub const EXE_LEN: usize = BOOTSTRAP + 8;
    pub const EXE: usize = EXE_LEN + 8;
    pub const EXE_MAX: usize = 1024;
    /// Bytes of the command line (arguments joined by spaces), then it.
    pub const CMDLINE_LEN: usize = EXE + EXE_MAX;
    pub const CMDLINE: usize = CMDLINE_LEN + 8;
    pub const CMDLINE_MAX: usize = 4096;
    /// The allocator the shim forwarded to, NUL-padded (32 bytes).
    pub const ALLOCATOR: usize = CMDLINE + CMDLINE_MAX;
    pub const ALLOCATOR_MAX: usize = 32;
    /// Requests a fixed pool (pmad) could not serve: null returned.
    pub const POOL_FAILED: usize = ALLOCATOR + ALLOCATOR_MAX;
    const _: () = assert!(POOL_FAILED + 8 <= super::HEADER_BYTES);
}

/// Byte offsets of a slot header's fields.
pub mod slot {
    use super::{OPS, WINDOWS};
    /// The thread's kernel id.
    pub const TID: usize = 0;
    /// Windows last `window_ticks << LEVEL` ticks.
    pub const LEVEL: usize = 8;
    /// 1 while the thread adds its windows together: a file left with 1
    /// was cut off mid-merge (its counts are not to be trusted).
    pub const MERGING: usize = 16;
    /// Timed calls per op (the sum of the op's counters).
    pub const CALLS: usize = 24;
    /// The first call of each op, in ticks (0: none yet).
    pub const FIRST: usize = CALLS + 8 * OPS;
    /// Per (window, op): the lowest and highest bucket written, as two
    /// u16 in one u32 (low half lowest; 0xffff_0000 none), window-major.
    pub const RANGE: usize = FIRST + 8 * OPS;
    pub const RANGE_END: usize = RANGE + 4 * OPS * WINDOWS;
    const _: () = assert!(RANGE_END <= super::SLOT_HEADER_BYTES);
}

/// A range no bucket is in.
pub const EMPTY_RANGE: u32 = 0xffff_0000;

/// The bucket of a latency of `ticks`.
#[inline(always)]
pub const fn bucket(ticks: u64) -> usize {
    if ticks < EXACT {
        return ticks as usize;
    }
    let top = 63 - ticks.leading_zeros();
    if top >= TOP_BITS {
        return BUCKETS - 1;
    }
    let shift = top - 7;
    (HALF * shift as u64 + (ticks >> shift)) as usize
}

/// The lowest and highest tick counts of bucket `b`.
pub const fn bucket_range(b: usize) -> (u64, u64) {
    let b = b as u64;
    if b < EXACT {
        return (b, b);
    }
    let shift = b / HALF - 1;
    let mantissa = b - HALF * shift;
    (mantissa << shift, ((mantissa + 1) << shift) - 1)
}

/// Index of counter (window, op, bucket) among a slot's counters.
#[inline(always)]
pub const fn counter(window: usize, op: usize, bucket: usize) -> usize {
    (window * OPS + op) * BUCKETS + bucket
}

/// Where slot `k` starts in the file.
pub const fn slot_offset(k: usize) -> usize {
    HEADER_BYTES + k * SLOT_BYTES
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_cover_every_value_once_in_order() {
        let mut last = 0;
        for b in 0..BUCKETS {
            let (lo, hi) = bucket_range(b);
            assert!(lo <= hi);
            if b > 0 {
                assert_eq!(lo, last + 1, "bucket {b}");
            }
            assert_eq!(bucket(lo), b);
            assert_eq!(bucket(hi), b);
            // Width within 1/128 of the value above the exact range.
            assert!((hi - lo) * 128 <= lo.max(1));
            last = hi;
        }
        assert_eq!(last, (1u64 << TOP_BITS) - 1);
        assert_eq!(bucket(1 << TOP_BITS), BUCKETS - 1);
        assert_eq!(bucket(u64::MAX), BUCKETS - 1);
    }

    #[test]
    fn slots_are_page_aligned() {
        assert_eq!(slot_offset(3) % PAGE, 0);
        assert_eq!(BUCKETS, 4352);
    }
}
