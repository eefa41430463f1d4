//! The general-purpose allocators, reached through their crates'
//! `GlobalAlloc` implementations: exactly what a Rust program that installs
//! them as `#[global_allocator]` calls, but called directly, so the harness's
//! own allocations never go through the allocator under test.

use std::alloc::{GlobalAlloc, Layout};
use workloads::Allocator;

/// A `GlobalAlloc` as a workload allocator.
pub struct Global<G>(pub G);

/// The layout of a `size`-byte request: alignment 16 (what malloc promises
/// on x86_64 and aarch64), or the size rounded up to a power of two when it is
/// smaller, so every crate takes its plain malloc path (System, for one, uses
/// an aligned allocation when the alignment exceeds the size).
#[inline(always)]
fn layout(size: usize) -> Layout {
    let align = if size >= 16 {
        16
    } else {
        size.next_power_of_two()
    };
    // SAFETY: align is a power of two no larger than 16, and size <= 64 KiB
    // (the CLI's limit), so the rounded size cannot overflow isize.
    unsafe { Layout::from_size_align_unchecked(size, align) }
}

impl<G: GlobalAlloc> Allocator for Global<G> {
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
}
