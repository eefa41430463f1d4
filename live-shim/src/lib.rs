//! The timing shim behind `harness live`: a shared library loaded with
//! `LD_PRELOAD` that interposes on the malloc family, forwards every call
//! to one allocator ([`backend`]), and counts each call's latency, read
//! with the run's clock around the forwarded call alone ([`clock`]), into
//! per-thread histograms in a file mapped shared ([`image`], layout in
//! `live-format`).
//!
//! Invariants:
//! 1. **Timing never allocates.** Counters are in the mapped file; the
//!    only allocation the shim makes (glibc's `pthread_atfork` list) is a
//!    call into the shim while the thread is already in it, and every such
//!    call is forwarded untimed and counted as untimed ([`image::untimed`]).
//! 2. **Every call is forwarded to the chosen allocator**, timed or not,
//!    recording or not, so no block ever reaches an allocator that did not
//!    make it (bootstrap blocks excepted, which the shim itself frees).
//! 3. **Nothing recorded is lost**: the counters are written in place in a
//!    shared mapping, so `_exit`, `abort`, a fatal signal or `exec` leave
//!    them in the file. Only a thread stopped while merging its windows
//!    leaves a slot marked `MERGING` (the harness refuses it, saying so).
//! 4. **A thread's slot is its own**: claimed at its first call under a
//!    lock, written only by it; a forked child claims new ones.
//!
//! Layers, each using only those below it (tests/architecture.rs checks
//! that no two modules name each other):
//! 1. [`header`] (the file's header and its counters), [`clock`],
//!    [`calloc`], [`owner`];
//! 2. [`bootstrap`], [`slots`], [`null`];
//! 3. [`pool`] (PMAD), [`tlsf`];
//! 4. [`backend`] (which allocator a call goes to);
//! 5. [`image`] (the process's file and its threads' slots), [`describe`];
//!
//! and this file, the interposed functions, on top.
//!
//! Start-up order, per process: the allocator is chosen
//! ([`backend::chosen`]) before the first slot is claimed
//! ([`image::slot`]), see [`timed`].

mod backend;
mod bootstrap;
mod calloc;
mod clock;
mod describe;
mod header;
mod image;
mod null;
mod owner;
mod pool;
mod slots;
mod tlsf;

use libc::{c_int, c_void, size_t};
use live_format::op;
use preload::hook;

/// Runs `call` timed as `op` into this thread's slot, or untimed (and
/// counted as such) when the thread is already in the shim or this
/// process does not record.
#[inline(always)]
fn timed<R>(op: usize, call: impl FnOnce() -> R) -> R {
    if hook::enter() {
        header::untimed(op);
        return call();
    }
    // Start-up order: choose the allocator before claiming a slot. Choosing
    // builds PMAD's pool or TLSF's region and looks a library row's
    // functions up (dlsym allocates: those calls arrive in the hook and go
    // untimed); claiming the first slot starts the image, whose header
    // names the allocator (describe) and whose null row is timed then. So
    // no build or lookup is inside a timed call or the null row, and the
    // name written is the one every call goes to.
    backend::chosen();
    let slot = image::slot();
    let r = if slot.is_null() {
        call()
    } else {
        let t0 = clock::start();
        let r = call();
        let t1 = clock::stop();
        slots::record(slot, op, t1.saturating_sub(t0), t1);
        r
    };
    hook::restore(false);
    r
}

extern "C" fn at_exit() {
    image::exited();
}

#[used]
#[link_section = ".fini_array"]
static FINI: extern "C" fn() = at_exit;

/// # Safety
/// As C's `malloc`.
#[no_mangle]
pub unsafe extern "C" fn malloc(size: size_t) -> *mut c_void {
    // SAFETY: forwarded with the caller's arguments.
    timed(op::ALLOC, || unsafe { backend::malloc(size) })
}

/// # Safety
/// As C's `free`.
#[no_mangle]
pub unsafe extern "C" fn free(ptr: *mut c_void) {
    // SAFETY: forwarded with the caller's arguments.
    timed(op::FREE, || unsafe { backend::free(ptr) })
}

/// # Safety
/// As C's `calloc`.
#[no_mangle]
pub unsafe extern "C" fn calloc(n: size_t, size: size_t) -> *mut c_void {
    // SAFETY: forwarded with the caller's arguments.
    timed(op::CALLOC, || unsafe { backend::calloc(n, size) })
}

/// # Safety
/// As C's `realloc`.
#[no_mangle]
pub unsafe extern "C" fn realloc(old: *mut c_void, size: size_t) -> *mut c_void {
    // SAFETY: forwarded with the caller's arguments.
    timed(op::REALLOC, || unsafe { backend::realloc(old, size) })
}

/// An alignment as memalign takes it: a power of two (rounded up).
fn power_of_two(align: size_t) -> size_t {
    align.max(1).checked_next_power_of_two().unwrap_or(0)
}

/// # Safety
/// As POSIX's `posix_memalign`.
#[no_mangle]
pub unsafe extern "C" fn posix_memalign(
    out: *mut *mut c_void,
    align: size_t,
    size: size_t,
) -> c_int {
    // SAFETY: `out` is the caller's, writable as posix_memalign requires;
    // the call is forwarded with the valid alignment it checked.
    unsafe {
        preload::posix_memalign(out, align, size, |align, size| {
            timed(op::ALIGNED, || backend::aligned(align, size))
        })
    }
}

/// # Safety
/// As C's `aligned_alloc`.
#[no_mangle]
pub unsafe extern "C" fn aligned_alloc(align: size_t, size: size_t) -> *mut c_void {
    if !align.is_power_of_two() {
        // SAFETY: errno is thread-local and always writable.
        unsafe { *libc::__errno_location() = libc::EINVAL };
        return std::ptr::null_mut();
    }
    // SAFETY: forwarded with a valid alignment.
    timed(op::ALIGNED, || unsafe { backend::aligned(align, size) })
}

/// # Safety
/// As glibc's `memalign`.
#[no_mangle]
pub unsafe extern "C" fn memalign(align: size_t, size: size_t) -> *mut c_void {
    let align = power_of_two(align);
    if align == 0 {
        return std::ptr::null_mut();
    }
    // SAFETY: forwarded with a power-of-two alignment.
    timed(op::ALIGNED, || unsafe { backend::aligned(align, size) })
}

fn page() -> size_t {
    // SAFETY: sysconf has no preconditions.
    unsafe { libc::sysconf(libc::_SC_PAGESIZE) as size_t }
}

/// # Safety
/// As glibc's `valloc`.
#[no_mangle]
pub unsafe extern "C" fn valloc(size: size_t) -> *mut c_void {
    let page = page();
    // SAFETY: forwarded with the page size, a power of two.
    timed(op::ALIGNED, || unsafe { backend::aligned(page, size) })
}

/// # Safety
/// As glibc's `pvalloc`.
#[no_mangle]
pub unsafe extern "C" fn pvalloc(size: size_t) -> *mut c_void {
    let page = page();
    let Some(rounded) = size.max(1).checked_next_multiple_of(page) else {
        return std::ptr::null_mut();
    };
    // SAFETY: forwarded with the page size, a power of two.
    timed(op::ALIGNED, || unsafe { backend::aligned(page, rounded) })
}

/// # Safety
/// As glibc's `malloc_usable_size`.
#[no_mangle]
pub unsafe extern "C" fn malloc_usable_size(ptr: *mut c_void) -> size_t {
    let was_in = hook::enter();
    header::usable_size_call();
    // SAFETY: forwarded with the caller's argument.
    let n = unsafe { backend::usable_size(ptr) };
    hook::restore(was_in);
    n
}
