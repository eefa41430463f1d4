//! What an `LD_PRELOAD` malloc interposer needs besides its own purpose,
//! shared by `tracer` (records every call) and `live-shim` (times every
//! call). Nothing here allocates: it runs inside the program's malloc.
//!
//! - [`glibc`]: glibc's own allocator, reached by its `__libc_*` names,
//!   which an interposed `malloc` cannot shadow.
//! - [`SpinLock`]: a lock that needs no memory and no futex set-up.
//! - [`hook`]: the per-thread flag that tells a call made from inside
//!   the interposer (dlsym's, pthread_atfork's) from the program's.
//! - [`posix_memalign`]: POSIX's argument rules around any aligned
//!   allocation.
//! - [`env`] and [`die`]: the environment and a last message, without malloc.

pub mod glibc;
pub mod hook;
mod lock;

pub use lock::SpinLock;

use ::libc::{c_int, c_void, size_t};

/// `posix_memalign` around `aligned(align, size)`: EINVAL for an
/// alignment that is not a power of two times the pointer size (nothing
/// allocated), ENOMEM when `aligned` gives null, else 0 with `*out` set.
///
/// # Safety
/// `out` is writable, as posix_memalign requires of its caller.
#[inline(always)]
pub unsafe fn posix_memalign(
    out: *mut *mut c_void,
    align: size_t,
    size: size_t,
    aligned: impl FnOnce(size_t, size_t) -> *mut c_void,
) -> c_int {
    let valid = align.is_power_of_two() && align.is_multiple_of(std::mem::size_of::<*mut c_void>());
    if !valid {
        return ::libc::EINVAL;
    }
    let p = aligned(align, size);
    if p.is_null() {
        return ::libc::ENOMEM;
    }
    // SAFETY: the caller passes a writable pointer (this function's contract).
    unsafe { *out = p };
    0
}

/// The environment variable `name`'s bytes, if set. Read with getenv,
/// which does not allocate; the slice lives as long as the environment
/// is not changed (callers read it at start).
pub fn env(name: &std::ffi::CStr) -> Option<&'static [u8]> {
    // SAFETY: the name is NUL-terminated; getenv does not allocate.
    let v = unsafe { ::libc::getenv(name.as_ptr()) };
    // SAFETY: getenv's result, when not null, is NUL-terminated.
    (!v.is_null()).then(|| unsafe { std::ffi::CStr::from_ptr(v) }.to_bytes())
}

/// Writes `message` to stderr and aborts: for a program that cannot go on
/// (the interposer cannot return an error a malloc caller would read).
pub fn die(message: &[u8]) -> ! {
    // SAFETY: writes a readable slice to stderr, then aborts.
    unsafe {
        ::libc::write(2, message.as_ptr().cast(), message.len());
        ::libc::abort()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posix_memalign_refuses_an_alignment_that_is_not_a_pointer_multiple_power_of_two() {
        let mut out = std::ptr::null_mut();
        let mut called = false;
        let mut block = [0u64; 4];
        let p = block.as_mut_ptr().cast::<c_void>();
        for bad in [0, 3, 4, 24] {
            // SAFETY: `out` is writable.
            let r = unsafe {
                posix_memalign(&mut out, bad, 8, |_, _| {
                    called = true;
                    p
                })
            };
            assert_eq!(r, ::libc::EINVAL, "align {bad}");
        }
        assert!(!called && out.is_null());
        // SAFETY: as above.
        let none = unsafe { posix_memalign(&mut out, 16, 8, |_, _| std::ptr::null_mut()) };
        assert_eq!(none, ::libc::ENOMEM);
        // SAFETY: as above.
        let some = unsafe {
            posix_memalign(&mut out, 32, 8, |a, s| {
                assert_eq!((a, s), (32, 8));
                p
            })
        };
        assert_eq!(some, 0);
        assert_eq!(out, p);
    }

    #[test]
    fn env_reads_a_set_variable_and_not_an_unset_one() {
        assert_eq!(env(c"PRELOAD_TEST_SURELY_UNSET_VARIABLE"), None);
        assert!(env(c"PATH").is_some_and(|v| !v.is_empty()));
    }
}
