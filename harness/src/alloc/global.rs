//! The general-purpose allocators, reached through their crates'
//! `GlobalAlloc` implementations: exactly what a Rust program that installs
//! them as `#[global_allocator]` calls, but called directly, so the harness's
//! own allocations never go through the allocator under test.

use super::layout;
use std::alloc::GlobalAlloc;
use workloads::Allocator;

/// A `GlobalAlloc` as a workload allocator.
pub struct Global<G>(pub G);

/// What each allocator reports as a live block's usable size (the bytes it
/// set aside for it), asked right after the allocation, outside the timer.
pub trait UsableSize {
    fn usable(&self, ptr: *mut u8, size: usize) -> Option<usize>;
}

#[cfg(feature = "jemalloc")]
impl UsableSize for tikv_jemallocator::Jemalloc {
    fn usable(&self, ptr: *mut u8, _size: usize) -> Option<usize> {
        // SAFETY: ptr is a live block from this allocator (the trait's contract).
        Some(unsafe { tikv_jemallocator::usable_size(ptr) })
    }
}

#[cfg(feature = "mimalloc")]
impl UsableSize for mimalloc::MiMalloc {
    fn usable(&self, ptr: *mut u8, _size: usize) -> Option<usize> {
        // SAFETY: ptr is a live block from mimalloc.
        Some(unsafe { libmimalloc_sys::mi_usable_size(ptr.cast()) })
    }
}

#[cfg(feature = "tcmalloc")]
extern "C" {
    /// TCMalloc's malloc_usable_size (tcmalloc/tcmalloc.cc), C linkage.
    fn TCMallocInternalMallocSize(ptr: *mut std::ffi::c_void) -> usize;
}

#[cfg(feature = "tcmalloc")]
impl UsableSize for tcmalloc_better::TCMalloc {
    fn usable(&self, ptr: *mut u8, _size: usize) -> Option<usize> {
        // SAFETY: ptr is a live block from TCMalloc.
        Some(unsafe { TCMallocInternalMallocSize(ptr.cast()) })
    }
}

#[cfg(feature = "system")]
impl UsableSize for std::alloc::System {
    fn usable(&self, ptr: *mut u8, _size: usize) -> Option<usize> {
        // SAFETY: ptr is a live block from the C library's malloc.
        Some(unsafe { libc::malloc_usable_size(ptr.cast()) })
    }
}

#[cfg(feature = "snmalloc")]
impl UsableSize for snmalloc_rs::SnMalloc {
    fn usable(&self, ptr: *mut u8, _size: usize) -> Option<usize> {
        self.usable_size(ptr)
    }
}

impl<G: GlobalAlloc + UsableSize> Allocator for Global<G> {
    #[inline(always)]
    fn alloc(&mut self, size: usize) -> *mut u8 {
        // SAFETY: the workloads never request 0 bytes, so the layout is non-zero.
        unsafe { self.0.alloc(layout(size)) }
    }

    #[inline(always)]
    unsafe fn free(&mut self, ptr: *mut u8, size: usize) {
        // SAFETY: the caller passes a pointer from `alloc(size)`, so it was
        // allocated by this allocator with `layout(size)`.
        unsafe { self.0.dealloc(ptr, layout(size)) }
    }

    fn usable_size(&self, ptr: *mut u8, size: usize) -> Option<usize> {
        self.0.usable(ptr, size)
    }
}
