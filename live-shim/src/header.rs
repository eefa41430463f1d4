//! The image file's header, once mapped, and the counters kept in it: the
//! bottom layer, which every other module may use and which uses none of
//! them. Until [`image`](crate::image) maps the header, untimed calls are
//! counted here in memory and moved in by [`publish`].

use live_format::{header, OPS};
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};

static HEADER: AtomicPtr<u8> = AtomicPtr::new(std::ptr::null_mut());
/// Untimed calls made before the header was mapped, per op.
static EARLY: [AtomicU64; OPS] = [const { AtomicU64::new(0) }; OPS];

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
}

/// Drops the header (a forked child's parent's): counts go to memory again.
pub fn forget() {
    HEADER.store(std::ptr::null_mut(), Ordering::Release);
}

/// Adds one to field `at`, if the header is mapped.
fn bump(at: usize) {
    let h = get();
    if !h.is_null() {
        field(h, at).fetch_add(1, Ordering::Relaxed);
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
    bump(header::USABLE_SIZE);
}

/// Counts a request the fixed pool could not serve.
pub fn pool_failed() {
    bump(header::POOL_FAILED);
}

/// Counts a call served from the bootstrap buffer.
pub fn bootstrap_call() {
    bump(header::BOOTSTRAP);
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
