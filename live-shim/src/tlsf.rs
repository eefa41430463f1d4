//! TLSF (rlsf) as the shim's allocator (`HARNESS_LIVE_ALLOCATOR=tlsf`):
//! one region of `HARNESS_LIVE_TLSF` bytes (sized by `harness live` from a
//! recorded pass of the command), mapped and prefaulted at the process's
//! first call, before its clock read, and handed whole to the TLSF, as
//! the harness deploys it in a run (`harness/src/alloc/tlsf_pool.rs`).
//!
//! The heap type and the region's mapping are `tlsf-region`'s, shared
//! with the harness.
//!
//! Invariants: one thread ([`crate::owner`]); every block 16-byte aligned
//! (an alignment above 16 fails, and the sizing pass refuses programs
//! that ask for one), so free passes 16; a request the region cannot
//! serve returns null and is counted (`header::POOL_FAILED`).

use crate::owner;
use libc::{c_void, size_t};
use preload::die;
use std::alloc::Layout;
use std::cell::UnsafeCell;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use tlsf_region::{Heap, Region};

const ALIGN: usize = 16;

struct Slot(UnsafeCell<Heap>);
// SAFETY: set up once before READY, then used by the owning thread only.
unsafe impl Sync for Slot {}
static HEAP: Slot = Slot(UnsafeCell::new(Heap::new()));
/// 0 not built, 1 building, 2 ready.
static STATE: AtomicU8 = AtomicU8::new(0);
static REGION: (AtomicUsize, AtomicUsize) = (AtomicUsize::new(0), AtomicUsize::new(0));

/// Maps the region and hands it to the TLSF, once.
pub fn build() {
    if STATE
        .compare_exchange(0, 1, Ordering::AcqRel, Ordering::Acquire)
        .is_err()
    {
        return;
    }
    let bytes = preload::env(c"HARNESS_LIVE_TLSF")
        .and_then(|v| std::str::from_utf8(v).ok()?.parse::<usize>().ok())
        .unwrap_or_else(|| {
            die(b"live-shim: tlsf: HARNESS_LIVE_TLSF (the region's bytes) is not set\n")
        });
    let Ok(region) = Region::map(bytes, false) else {
        die(b"live-shim: tlsf: the region could not be mapped\n");
    };
    // SAFETY: STATE is 1: this thread alone touches the heap; the region
    // is leaked below (mapped for the life of the process), given to no
    // other heap.
    if !unsafe { region.hand_to(&mut *HEAP.0.get()) } {
        die(b"live-shim: tlsf: the region is too small for a pool\n");
    }
    REGION.0.store(region.start() as usize, Ordering::Relaxed);
    REGION.1.store(region.len(), Ordering::Relaxed);
    region.leak();
    STATE.store(2, Ordering::Release);
}

#[inline(always)]
fn heap() -> Option<&'static mut Heap> {
    if STATE.load(Ordering::Acquire) == 0 {
        build();
    }
    if STATE.load(Ordering::Acquire) != 2 {
        return None;
    }
    owner::check();
    // SAFETY: ready, and used by the owning thread alone (checked above).
    Some(unsafe { &mut *HEAP.0.get() })
}

fn ours(p: *mut c_void) -> Option<NonNull<u8>> {
    let (base, len) = (
        REGION.0.load(Ordering::Relaxed),
        REGION.1.load(Ordering::Relaxed),
    );
    ((p as usize).wrapping_sub(base) < len)
        .then(|| NonNull::new(p.cast()))
        .flatten()
}

fn layout(size: usize) -> Layout {
    Layout::from_size_align(size.max(1), ALIGN).unwrap_or(Layout::new::<u8>())
}

fn failed() -> *mut c_void {
    crate::header::pool_failed();
    std::ptr::null_mut()
}

pub fn malloc(size: size_t) -> *mut c_void {
    match heap() {
        Some(h) => h
            .allocate(layout(size))
            .map_or_else(failed, |b| b.as_ptr().cast()),
        None => crate::bootstrap::alloc(size, ALIGN),
    }
}

/// # Safety
/// As C's `free`.
pub unsafe fn free(ptr: *mut c_void) {
    let (Some(h), Some(b)) = (heap(), ours(ptr)) else {
        return;
    };
    // SAFETY: a block of this heap, allocated with ALIGN.
    unsafe { h.deallocate(b, ALIGN) };
}

pub fn calloc(n: size_t, size: size_t) -> *mut c_void {
    crate::calloc::zeroed(n, size, malloc)
}

/// # Safety
/// As C's `realloc`.
pub unsafe fn realloc(ptr: *mut c_void, size: size_t) -> *mut c_void {
    let Some(b) = ours(ptr) else {
        return malloc(size);
    };
    let Some(h) = heap() else {
        return std::ptr::null_mut();
    };
    // SAFETY: a block of this heap, allocated with ALIGN, and a layout of ALIGN.
    match unsafe { h.reallocate(b, layout(size)) } {
        Some(p) => p.as_ptr().cast(),
        None => failed(),
    }
}

pub fn aligned(align: size_t, size: size_t) -> *mut c_void {
    if align > ALIGN {
        return failed();
    }
    malloc(size)
}

pub fn usable_size(ptr: *mut c_void) -> size_t {
    match ours(ptr) {
        // SAFETY: a block of this heap.
        Some(b) => unsafe { Heap::allocation_usable_size(b) },
        None => 0,
    }
}
