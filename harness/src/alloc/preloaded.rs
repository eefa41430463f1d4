//! A library row's adapter, in the process the library is preloaded into
//! (`crate::shared_lib`): the C library's malloc-family calls, which the
//! dynamic loader binds to the library, made through `std::alloc::System`
//! (malloc, calloc and realloc for the usual alignments, posix_memalign
//! beyond them), exactly as the `system` row makes them to glibc.

use super::global::UsableSize;
use std::alloc::{GlobalAlloc, Layout, System};
use std::ffi::c_void;
use std::sync::OnceLock;

/// The preloaded library's malloc, reached through the C library's names.
pub struct Preloaded;

// SAFETY: every method forwards to System with the same arguments, so
// System's guarantees (the C library's malloc contract, here kept by the
// preloaded library, which defines every function System calls: the probe
// and the row's process check that before anything is timed) hold.
unsafe impl GlobalAlloc for Preloaded {
    #[inline(always)]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller keeps GlobalAlloc::alloc's contract.
        unsafe { System.alloc(layout) }
    }

    #[inline(always)]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller keeps GlobalAlloc::dealloc's contract.
        unsafe { System.dealloc(ptr, layout) }
    }

    #[inline(always)]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller keeps GlobalAlloc::alloc_zeroed's contract.
        unsafe { System.alloc_zeroed(layout) }
    }

    #[inline(always)]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller keeps GlobalAlloc::realloc's contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

type UsableFn = unsafe extern "C" fn(*mut c_void) -> usize;

/// The library's own malloc_usable_size, if it defines one (glibc's would
/// be handed a block it does not own).
fn usable_fn() -> Option<UsableFn> {
    static F: OnceLock<Option<UsableFn>> = OnceLock::new();
    *F.get_or_init(|| {
        let facts = crate::shared_lib::preloaded_facts()?.as_ref().ok()?;
        if !facts.defines("malloc_usable_size") {
            return None;
        }
        // SAFETY: a NUL-terminated name; RTLD_DEFAULT is the scope calls bind in.
        let f = unsafe { libc::dlsym(libc::RTLD_DEFAULT, c"malloc_usable_size".as_ptr()) };
        // SAFETY: the library defines malloc_usable_size (just checked),
        // whose C signature is `size_t (void *)`.
        (!f.is_null()).then(|| unsafe { std::mem::transmute::<*mut c_void, UsableFn>(f) })
    })
}

impl UsableSize for Preloaded {
    fn usable(&self, ptr: *mut u8, _size: usize) -> Option<usize> {
        // SAFETY: ptr is a live block from the library (the trait's
        // contract), and f is the library's own malloc_usable_size.
        usable_fn().map(|f| unsafe { f(ptr.cast()) })
    }
}
