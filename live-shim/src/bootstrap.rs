//! Memory for the calls made before the forwarded-to library is found:
//! `dlsym` itself may call calloc while the shim looks the library's
//! functions up. A static bump buffer, never reused; each block is
//! preceded by its size, so realloc and malloc_usable_size can answer.

use libc::c_void;
use std::sync::atomic::{AtomicUsize, Ordering};

const BYTES: usize = 256 << 10;
const ALIGN: usize = 16;

#[repr(C, align(4096))]
struct Buffer(std::cell::UnsafeCell<[u8; BYTES]>);
// SAFETY: blocks are handed out by an atomic bump (`NEXT`), so no two
// callers ever get the same bytes.
unsafe impl Sync for Buffer {}
static BUFFER: Buffer = Buffer(std::cell::UnsafeCell::new([0; BYTES]));
static NEXT: AtomicUsize = AtomicUsize::new(0);

fn base() -> usize {
    BUFFER.0.get() as usize
}

/// A zeroed block of `size` bytes aligned to `align` (at most 4096), or
/// null when the buffer is spent.
pub fn alloc(size: usize, align: usize) -> *mut c_void {
    let align = align.clamp(ALIGN, 4096);
    let mut at = NEXT.load(Ordering::Relaxed);
    loop {
        let start = (base() + at + ALIGN).next_multiple_of(align) - base();
        let end = match start.checked_add(size) {
            Some(e) if e <= BYTES => e,
            _ => return std::ptr::null_mut(),
        };
        match NEXT.compare_exchange_weak(at, end, Ordering::AcqRel, Ordering::Relaxed) {
            Ok(_) => {
                crate::header::bootstrap_call();
                // SAFETY: [start - 8, end) is inside the buffer and this
                // caller's alone (the bump above); start >= 16.
                unsafe { ((base() + start - 8) as *mut usize).write(size) };
                return (base() + start) as *mut c_void;
            }
            Err(now) => at = now,
        }
    }
}

/// Whether `p` is one of the buffer's blocks.
pub fn owns(p: *mut c_void) -> bool {
    let p = p as usize;
    p >= base() && p < base() + BYTES
}

/// The size asked for when `p` (one of [`owns`]'s) was handed out.
pub fn size_of(p: *mut c_void) -> usize {
    // SAFETY: `p` is a block of the buffer, preceded by its size.
    unsafe { ((p as usize - 8) as *const usize).read() }
}
