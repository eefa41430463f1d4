//! One request's blocks allocated, written and freed with no clock read:
//! the untimed half of every request, shared by the per-op loop
//! (`request.rs`) and the batched phase (`batched/requests.rs`).

use crate::request_shape::MAX_BLOCKS;
use crate::{exhausted, Allocator, RunError};

/// Allocates and writes every block of `sizes` into `live`, no clock read;
/// on a null, frees what it holds.
#[inline(always)]
pub(crate) fn fill<A: Allocator>(
    alloc: &mut A,
    sizes: &[usize],
    live: &mut [*mut u8; MAX_BLOCKS],
    request: u64,
) -> Result<(), RunError> {
    for (k, &size) in sizes.iter().enumerate() {
        let ptr = alloc.alloc(size);
        live[k] = written(alloc, ptr, size, &sizes[..k], live, request)?;
    }
    Ok(())
}

/// Frees every block of a filled request, in allocation order.
#[inline(always)]
pub(crate) fn release<A: Allocator>(alloc: &mut A, sizes: &[usize], live: &[*mut u8; MAX_BLOCKS]) {
    for (&ptr, &size) in live.iter().zip(sizes) {
        // SAFETY: every block of the request came from `alloc(size)` in
        // `fill` and is freed exactly once, here.
        unsafe { alloc.free(ptr, size) };
    }
}

/// `ptr` (just returned for `size`) written in full, as a parser writes
/// what it allocates; on a null, the request's earlier blocks (`before`,
/// in `live`) are freed and the run stops.
#[inline(always)]
pub(crate) fn written<A: Allocator>(
    alloc: &mut A,
    ptr: *mut u8,
    size: usize,
    before: &[usize],
    live: &[*mut u8; MAX_BLOCKS],
    request: u64,
) -> Result<*mut u8, RunError> {
    if ptr.is_null() {
        for (&p, &s) in live.iter().zip(before) {
            // SAFETY: the earlier blocks of this request came from
            // `alloc(s)` and were not freed.
            unsafe { alloc.free(p, s) };
        }
        return Err(exhausted(request, size));
    }
    let ptr = std::hint::black_box(ptr);
    // SAFETY: `ptr` is a fresh, non-null block of at least `size` bytes.
    unsafe { ptr.write_bytes(0x5A, size) };
    Ok(ptr)
}
