//! PMAD as the shim's allocator (`HARNESS_LIVE_ALLOCATOR=pmad`): one pool,
//! built at the process's first call from `HARNESS_LIVE_PMAD`
//! (`CLASS:BLOCKS,...`, sized by `harness live` from a recorded pass of
//! the same command), prefaulted as a real-time user deploys it.
//!
//! Invariants:
//! 1. **One thread.** PMAD is single-threaded (Send, not Sync): the
//!    pool is [`crate::owner`]'s, served to the first thread that calls.
//! 2. **Fixed.** A request the pool cannot serve (its class exhausted, a
//!    size above the largest class, an alignment above 16) returns null
//!    and is counted in the file (`header::POOL_FAILED`); `harness live`
//!    then sets the row aside, saying so.
//! 3. The pool's own small allocations, made while it is built, come from
//!    the bootstrap buffer (the thread is inside the shim).

use crate::owner;
use libc::{c_void, size_t};
use pmad::{Options, Pmad};
use preload::die;
use std::cell::UnsafeCell;
use std::mem::MaybeUninit;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU8, Ordering};

struct Slot(UnsafeCell<MaybeUninit<Pmad>>);
// SAFETY: written once before READY is set, then only used by the owning
// thread (invariant 1).
unsafe impl Sync for Slot {}
static POOL: Slot = Slot(UnsafeCell::new(MaybeUninit::uninit()));
/// 0 not built, 1 building, 2 ready, 3 could not be built.
static STATE: AtomicU8 = AtomicU8::new(0);

/// Parses `CLASS:BLOCKS,...` into the arrays; the number of classes.
fn parse(v: &[u8], classes: &mut [usize], blocks: &mut [usize]) -> Option<usize> {
    let mut n = 0;
    for item in v.split(|&b| b == b',') {
        let mut parts = item.split(|&b| b == b':');
        let num = |p: Option<&[u8]>| std::str::from_utf8(p?).ok()?.parse::<usize>().ok();
        let (c, b) = (num(parts.next())?, num(parts.next())?);
        if n == classes.len() {
            return None;
        }
        classes[n] = c;
        blocks[n] = b;
        n += 1;
    }
    Some(n)
}

/// Builds the pool from the environment, once.
pub fn build() {
    if STATE
        .compare_exchange(0, 1, Ordering::AcqRel, Ordering::Acquire)
        .is_err()
    {
        return;
    }
    let Some(v) = preload::env(c"HARNESS_LIVE_PMAD") else {
        die(b"live-shim: pmad: HARNESS_LIVE_PMAD is not set (harness live sets it from its sizing pass)\n");
    };
    let (mut classes, mut blocks) = ([0usize; pmad::MAX_CLASSES], [0usize; pmad::MAX_CLASSES]);
    let Some(n) = parse(v, &mut classes, &mut blocks) else {
        die(b"live-shim: pmad: HARNESS_LIVE_PMAD is not CLASS:BLOCKS,...\n");
    };
    let options = Options::default().prefault(true);
    match Pmad::with_blocks(&classes[..n], &blocks[..n], options) {
        Ok(p) => {
            // SAFETY: STATE is 1: this thread alone writes the slot, once.
            unsafe { (*POOL.0.get()).write(p) };
            STATE.store(2, Ordering::Release);
        }
        Err(_) => die(b"live-shim: pmad: the pool could not be built from HARNESS_LIVE_PMAD\n"),
    }
}

/// The pool, for the owning thread; None while it is being built.
#[inline(always)]
fn pool() -> Option<&'static Pmad> {
    if STATE.load(Ordering::Acquire) == 0 {
        build();
    }
    if STATE.load(Ordering::Acquire) != 2 {
        return None;
    }
    owner::check();
    // SAFETY: STATE 2: written and never written again (invariant 1).
    Some(unsafe { (*POOL.0.get()).assume_init_ref() })
}

fn failed() -> *mut c_void {
    crate::header::pool_failed();
    std::ptr::null_mut()
}

pub fn malloc(size: size_t) -> *mut c_void {
    match pool() {
        Some(p) => p.alloc(size).map_or_else(failed, |b| b.as_ptr().cast()),
        None => crate::bootstrap::alloc(size, 16),
    }
}

/// # Safety
/// As C's `free` (a pointer of the pool's, or the bootstrap buffer's).
pub unsafe fn free(ptr: *mut c_void) {
    let Some(p) = pool() else { return };
    if let Some(b) = NonNull::new(ptr.cast::<u8>()).filter(|b| p.contains(b.as_ptr())) {
        // SAFETY: a block of this pool, passed by the program to free.
        unsafe { p.free(b) };
    }
}

pub fn calloc(n: size_t, size: size_t) -> *mut c_void {
    crate::calloc::zeroed(n, size, malloc)
}

/// # Safety
/// As C's `realloc`.
pub unsafe fn realloc(ptr: *mut c_void, size: size_t) -> *mut c_void {
    if ptr.is_null() {
        return malloc(size);
    }
    let Some(p) = pool() else {
        return crate::bootstrap::alloc(size, 16);
    };
    let new = malloc(size.max(1));
    if new.is_null() {
        return new;
    }
    let old = p.block_bytes_at(ptr.cast()).unwrap_or(0).min(size);
    // SAFETY: both blocks hold at least `old` bytes and do not overlap.
    unsafe {
        std::ptr::copy_nonoverlapping(ptr.cast::<u8>(), new.cast::<u8>(), old);
        free(ptr);
    }
    new
}

pub fn aligned(align: size_t, size: size_t) -> *mut c_void {
    if align > pmad::ALIGN {
        return failed();
    }
    malloc(size)
}

pub fn usable_size(ptr: *mut c_void) -> size_t {
    pool()
        .and_then(|p| p.block_bytes_at(ptr.cast()))
        .unwrap_or(0)
}
