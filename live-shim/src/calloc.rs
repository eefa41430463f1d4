//! calloc for the allocators without one of their own (PMAD, TLSF).

use libc::{c_void, size_t};

/// `n * size` zeroed bytes from `malloc`: null on overflow or when
/// `malloc` gives null.
pub fn zeroed(n: size_t, size: size_t, malloc: fn(size_t) -> *mut c_void) -> *mut c_void {
    let Some(total) = n.checked_mul(size) else {
        return std::ptr::null_mut();
    };
    let b = malloc(total);
    if !b.is_null() {
        // SAFETY: the block holds at least `total` bytes.
        unsafe { std::ptr::write_bytes(b.cast::<u8>(), 0, total) };
    }
    b
}
