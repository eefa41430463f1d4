//! Where the calls go: the allocator named by `HARNESS_LIVE_ALLOCATOR`,
//! chosen at the process's first call and never changed, so every block
//! is freed by the allocator that made it. `system` is glibc's (its
//! `__libc_*` entry points); `jemalloc` and `mimalloc` are compiled into
//! this library from the crates the harness links; `next` is whatever
//! defines malloc after this library in the lookup order (a library row:
//! `LD_PRELOAD=shim:library`), found with `dlsym(RTLD_NEXT)`; `pmad` is
//! a pool of PMAD's ([`crate::pool`]); `tlsf` a TLSF region ([`crate::tlsf`]).

use crate::bootstrap;
use libc::{c_int, c_void, size_t};
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

pub const SYSTEM: u8 = 1;
pub const JEMALLOC: u8 = 2;
pub const MIMALLOC: u8 = 3;
pub const NEXT: u8 = 4;
pub const PMAD: u8 = 5;
pub const TLSF: u8 = 6;

static CHOSEN: AtomicU8 = AtomicU8::new(0);

use preload::glibc::{__libc_calloc, __libc_free, __libc_malloc, __libc_memalign, __libc_realloc};

/// The next library's functions, found once ([`resolve`]); 0 until then.
static NEXT_FNS: [AtomicUsize; 6] = [const { AtomicUsize::new(0) }; 6];
const NAMES: [&std::ffi::CStr; 6] = [
    c"malloc",
    c"free",
    c"calloc",
    c"realloc",
    c"posix_memalign",
    c"malloc_usable_size",
];
const F_MALLOC: usize = 0;
const F_FREE: usize = 1;
const F_CALLOC: usize = 2;
const F_REALLOC: usize = 3;
const F_MEMALIGN: usize = 4;
const F_USABLE: usize = 5;

/// The chosen allocator, choosing it on the first call.
#[inline(always)]
pub fn chosen() -> u8 {
    match CHOSEN.load(Ordering::Acquire) {
        0 => choose(),
        c => c,
    }
}

/// The allocator's name as the results give it.
pub fn name() -> &'static [u8] {
    match chosen() {
        JEMALLOC => b"jemalloc",
        MIMALLOC => b"mimalloc",
        NEXT => b"next",
        PMAD => b"pmad",
        TLSF => b"tlsf",
        _ => b"system",
    }
}

fn choose() -> u8 {
    let c = match preload::env(c"HARNESS_LIVE_ALLOCATOR") {
        Some(b"jemalloc") => JEMALLOC,
        Some(b"mimalloc") => MIMALLOC,
        Some(b"next") => NEXT,
        Some(b"pmad") => PMAD,
        Some(b"tlsf") => TLSF,
        _ => SYSTEM,
    };
    // Set before the lookup: calls dlsym makes find `next` chosen and
    // its functions not yet found, and go to the bootstrap buffer.
    CHOSEN.store(c, Ordering::Release);
    if c == NEXT {
        resolve();
    }
    if c == PMAD {
        // Before the first call's clock read: a real-time user builds the
        // pool at start, not inside a call.
        crate::pool::build();
    }
    if c == TLSF {
        crate::tlsf::build();
    }
    c
}

fn resolve() {
    for (slot, name) in NEXT_FNS.iter().zip(NAMES) {
        // SAFETY: an RTLD_NEXT lookup of a NUL-terminated name.
        let f = unsafe { libc::dlsym(libc::RTLD_NEXT, name.as_ptr()) };
        slot.store(f as usize, Ordering::Release);
    }
}

/// The next library's function `i`, if found.
#[inline(always)]
fn next(i: usize) -> usize {
    NEXT_FNS[i].load(Ordering::Acquire)
}

/// The next library's function `$i` as a `$t`, if found. Used inside
/// the forwarding functions' unsafe blocks, whose SAFETY covers it: a
/// non-zero entry is dlsym's answer for that name, of that C signature.
macro_rules! next_fn {
    ($i:expr, $t:ty) => {{
        let f = next($i);
        (f != 0).then(|| std::mem::transmute::<usize, $t>(f))
    }};
}

/// # Safety
/// As C's `malloc`.
#[inline(always)]
pub unsafe fn malloc(size: size_t) -> *mut c_void {
    // SAFETY: in every arm, forwarded with the caller's arguments.
    unsafe {
        match chosen() {
            JEMALLOC => tikv_jemalloc_sys::malloc(size),
            MIMALLOC => libmimalloc_sys::mi_malloc(size),
            PMAD => crate::pool::malloc(size),
            TLSF => crate::tlsf::malloc(size),
            NEXT => match next_fn!(F_MALLOC, unsafe extern "C" fn(size_t) -> *mut c_void) {
                Some(f) => f(size),
                None => bootstrap::alloc(size, 16),
            },
            _ => __libc_malloc(size),
        }
    }
}

/// # Safety
/// As C's `free`.
#[inline(always)]
pub unsafe fn free(ptr: *mut c_void) {
    if bootstrap::owns(ptr) {
        return;
    }
    // SAFETY: in every arm, forwarded with the caller's arguments.
    unsafe {
        match chosen() {
            JEMALLOC => tikv_jemalloc_sys::free(ptr),
            MIMALLOC => libmimalloc_sys::mi_free(ptr),
            PMAD => crate::pool::free(ptr),
            TLSF => crate::tlsf::free(ptr),
            NEXT => {
                if let Some(f) = next_fn!(F_FREE, unsafe extern "C" fn(*mut c_void)) {
                    f(ptr)
                }
            }
            _ => __libc_free(ptr),
        }
    }
}

/// # Safety
/// As C's `calloc`.
#[inline(always)]
pub unsafe fn calloc(n: size_t, size: size_t) -> *mut c_void {
    // SAFETY: in every arm, forwarded with the caller's arguments.
    unsafe {
        match chosen() {
            JEMALLOC => tikv_jemalloc_sys::calloc(n, size),
            MIMALLOC => libmimalloc_sys::mi_calloc(n, size),
            PMAD => crate::pool::calloc(n, size),
            TLSF => crate::tlsf::calloc(n, size),
            NEXT => match next_fn!(
                F_CALLOC,
                unsafe extern "C" fn(size_t, size_t) -> *mut c_void
            ) {
                Some(f) => f(n, size),
                None => match n.checked_mul(size) {
                    Some(total) => bootstrap::alloc(total, 16),
                    None => std::ptr::null_mut(),
                },
            },
            _ => __libc_calloc(n, size),
        }
    }
}

/// # Safety
/// As C's `realloc`.
#[inline(always)]
pub unsafe fn realloc(ptr: *mut c_void, size: size_t) -> *mut c_void {
    if bootstrap::owns(ptr) {
        // SAFETY: a bootstrap block moves to a block of the allocator.
        return unsafe { from_bootstrap(ptr, size) };
    }
    // SAFETY: in every arm, forwarded with the caller's arguments.
    unsafe {
        match chosen() {
            JEMALLOC => tikv_jemalloc_sys::realloc(ptr, size),
            MIMALLOC => libmimalloc_sys::mi_realloc(ptr, size),
            PMAD => crate::pool::realloc(ptr, size),
            TLSF => crate::tlsf::realloc(ptr, size),
            NEXT => match next_fn!(
                F_REALLOC,
                unsafe extern "C" fn(*mut c_void, size_t) -> *mut c_void
            ) {
                Some(f) => f(ptr, size),
                None => from_bootstrap(ptr, size),
            },
            _ => __libc_realloc(ptr, size),
        }
    }
}

/// A new block of `size` with a bootstrap block's bytes (or null's).
unsafe fn from_bootstrap(ptr: *mut c_void, size: size_t) -> *mut c_void {
    // SAFETY: malloc as C's.
    let new = unsafe { malloc(size) };
    if !new.is_null() && !ptr.is_null() {
        let n = bootstrap::size_of(ptr).min(size);
        // SAFETY: both blocks hold at least `n` bytes and do not overlap.
        unsafe { std::ptr::copy_nonoverlapping(ptr.cast::<u8>(), new.cast::<u8>(), n) };
    }
    new
}

/// An aligned block (`align` a power of two): null when out of memory.
///
/// # Safety
/// As glibc's `memalign`.
#[inline(always)]
pub unsafe fn aligned(align: size_t, size: size_t) -> *mut c_void {
    let word = std::mem::size_of::<*mut c_void>();
    let align = align.max(word);
    let mut out: *mut c_void = std::ptr::null_mut();
    // SAFETY: in every arm, forwarded with a power-of-two alignment, a
    // multiple of the word size, and a writable out pointer.
    unsafe {
        match chosen() {
            JEMALLOC => {
                tikv_jemalloc_sys::posix_memalign(&mut out, align, size);
                out
            }
            MIMALLOC => libmimalloc_sys::mi_malloc_aligned(size, align),
            PMAD => crate::pool::aligned(align, size),
            TLSF => crate::tlsf::aligned(align, size),
            NEXT => match next_fn!(
                F_MEMALIGN,
                unsafe extern "C" fn(*mut *mut c_void, size_t, size_t) -> c_int
            ) {
                Some(f) => {
                    f(&mut out, align, size);
                    out
                }
                None => bootstrap::alloc(size, align),
            },
            _ => __libc_memalign(align, size),
        }
    }
}

/// # Safety
/// As glibc's `malloc_usable_size`.
pub unsafe fn usable_size(ptr: *mut c_void) -> size_t {
    if ptr.is_null() {
        return 0;
    }
    if bootstrap::owns(ptr) {
        return bootstrap::size_of(ptr);
    }
    // SAFETY: in every arm, forwarded with the caller's argument.
    unsafe {
        match chosen() {
            JEMALLOC => tikv_jemalloc_sys::malloc_usable_size(ptr),
            MIMALLOC => libmimalloc_sys::mi_usable_size(ptr),
            PMAD => crate::pool::usable_size(ptr),
            TLSF => crate::tlsf::usable_size(ptr),
            NEXT => match next_fn!(F_USABLE, unsafe extern "C" fn(*mut c_void) -> size_t) {
                Some(f) => f(ptr),
                None => 0,
            },
            _ => glibc_usable_size(ptr),
        }
    }
}

/// glibc's own malloc_usable_size (it has no `__libc_` name), found once.
unsafe fn glibc_usable_size(ptr: *mut c_void) -> size_t {
    static FOUND: AtomicUsize = AtomicUsize::new(0);
    let mut f = FOUND.load(Ordering::Acquire);
    if f == 0 {
        // SAFETY: an RTLD_NEXT lookup of a NUL-terminated name.
        f = unsafe { libc::dlsym(libc::RTLD_NEXT, c"malloc_usable_size".as_ptr()) } as usize;
        FOUND.store(f, Ordering::Release);
    }
    if f == 0 {
        return 0;
    }
    // SAFETY: dlsym's answer for this name has this signature; the
    // argument is the caller's.
    unsafe { std::mem::transmute::<usize, unsafe extern "C" fn(*mut c_void) -> size_t>(f)(ptr) }
}
