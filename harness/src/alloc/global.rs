//! The general-purpose allocators, reached through their crates'
//! `GlobalAlloc` implementations: exactly what a Rust program that installs
//! them as `#[global_allocator]` calls, but called directly, so the harness's
//! own allocations never go through the allocator under test.

use super::layout;
use std::alloc::GlobalAlloc;
use workloads::Allocator;

/// The layout of a block of `size` bytes aligned to `align`: the usual
/// [`layout`] when that aligns as far, else `align` itself; None for an
/// alignment no layout can have.
fn aligned_layout(size: usize, align: usize) -> Option<std::alloc::Layout> {
    let usual = layout(size);
    if align <= usual.align() {
        return Some(usual);
    }
    std::alloc::Layout::from_size_align(size, align).ok()
}

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

    #[inline(always)]
    fn alloc_zeroed(&mut self, size: usize) -> *mut u8 {
        // SAFETY: size >= 1 (the trait's contract), so the layout is non-zero.
        unsafe { self.0.alloc_zeroed(layout(size)) }
    }

    #[inline(always)]
    fn alloc_aligned(&mut self, size: usize, align: usize) -> *mut u8 {
        match aligned_layout(size, align) {
            // SAFETY: a non-zero layout.
            Some(l) => unsafe { self.0.alloc(l) },
            None => std::ptr::null_mut(),
        }
    }

    #[inline(always)]
    unsafe fn free_aligned(&mut self, ptr: *mut u8, size: usize, align: usize) {
        let l = aligned_layout(size, align).expect("the layout the block was allocated with");
        // SAFETY: the caller passes a block allocated with this layout.
        unsafe { self.0.dealloc(ptr, l) }
    }

    #[inline(always)]
    unsafe fn realloc(
        &mut self,
        ptr: *mut u8,
        old_size: usize,
        align: usize,
        new_size: usize,
    ) -> *mut u8 {
        let (Some(old), Some(new)) = (
            aligned_layout(old_size, align),
            aligned_layout(new_size, align),
        ) else {
            return std::ptr::null_mut();
        };
        if old.align() == new.align() {
            // SAFETY: `ptr` was allocated with `old`; the block keeps its
            // alignment, which is the one `new` (its later free) names.
            return unsafe { self.0.realloc(ptr, old, new_size) };
        }
        // The size class's alignment changes (layout() aligns small blocks
        // less): allocate, copy and free, as C's realloc may.
        // SAFETY: a non-zero layout; both blocks live and distinct.
        unsafe {
            let fresh = self.0.alloc(new);
            if !fresh.is_null() {
                std::ptr::copy_nonoverlapping(ptr, fresh, old_size.min(new_size));
                self.0.dealloc(ptr, old);
            }
            fresh
        }
    }
}
