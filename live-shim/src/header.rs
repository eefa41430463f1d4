//! The image file's header, once mapped, and the counters kept in it: the
//! bottom layer, which every other module may use and which uses none of
//! them. Until [`image`](crate::image) maps the header, every count is
//! kept here in memory and moved in by [`publish`] (a library row's
//! bootstrap calls, made while its functions are looked up before the
//! image starts, among them).

use live_format::{header, OPS};
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};

static HEADER: AtomicPtr<u8> = AtomicPtr::new(std::ptr::null_mut());
/// Untimed calls made before the header was mapped, per op.
static EARLY: [AtomicU64; OPS] = [const { AtomicU64::new(0) }; OPS];
/// The single counters' fields (indexed by the constants below), and what
/// each counted before the header was mapped.
const SINGLE: [usize; 3] = [header::USABLE_SIZE, header::POOL_FAILED, header::BOOTSTRAP];
const USABLE_SIZE: usize = 0;
const POOL_FAILED: usize = 1;
const BOOTSTRAP: usize = 2;
static EARLY_SINGLE: [AtomicU64; 3] = [const { AtomicU64::new(0) }; 3];

/// A header field of the mapped header `h`.
pub fn field(h: *mut u8, at: usize) -> &'static AtomicU64 {
    // SAFETY: `h` is the mapped header, `at` one of its 8-byte aligned
    // fields (live-format's layout), and the mapping lives as long as the
    // process.
    unsafe { &*(h.add(at) as *const AtomicU64) }
}

/// The mapped header; null before [`publish`] or after [`forget`].
pub fn get() -> *mut u8 {
    HEADER.load(Ordering::Acquire)
}

/// Makes `h` the header the counters go to, moving in what was counted
/// before it existed.
pub fn publish(h: *mut u8) {
    // Published first: a count made after this goes to the header, and
    // one made before it is in EARLY when it is emptied below.
    HEADER.store(h, Ordering::Release);
    for (op, early) in EARLY.iter().enumerate() {
        let n = early.swap(0, Ordering::Relaxed);
        field(h, header::UNTIMED + 8 * op).fetch_add(n, Ordering::Relaxed);
    }
    for (at, early) in SINGLE.iter().zip(&EARLY_SINGLE) {
        let n = early.swap(0, Ordering::Relaxed);
        field(h, *at).fetch_add(n, Ordering::Relaxed);
    }
}

/// Drops the header (a forked child's parent's): counts go to memory again.
pub fn forget() {
    HEADER.store(std::ptr::null_mut(), Ordering::Release);
}

/// Adds one to single counter `k` (an index into [`SINGLE`]).
fn bump(k: usize) {
    let h = get();
    if h.is_null() {
        EARLY_SINGLE[k].fetch_add(1, Ordering::Relaxed);
    } else {
        field(h, SINGLE[k]).fetch_add(1, Ordering::Relaxed);
    }
}

/// Counts an untimed call of `op`.
pub fn untimed(op: usize) {
    let h = get();
    if h.is_null() {
        EARLY[op].fetch_add(1, Ordering::Relaxed);
    } else {
        field(h, header::UNTIMED + 8 * op).fetch_add(1, Ordering::Relaxed);
    }
}

/// Counts a malloc_usable_size call.
pub fn usable_size_call() {
    bump(USABLE_SIZE);
}

/// Counts a request the fixed pool could not serve.
pub fn pool_failed() {
    bump(POOL_FAILED);
}

/// Counts a call served from the bootstrap buffer.
pub fn bootstrap_call() {
    bump(BOOTSTRAP);
}

/// The image's origin and level-0 window length, in ticks.
pub fn windows() -> (u64, u64) {
    let h = get();
    if h.is_null() {
        return (0, u64::MAX);
    }
    (
        field(h, header::ORIGIN).load(Ordering::Relaxed),
        field(h, header::WINDOW_TICKS).load(Ordering::Relaxed),
    )
}
