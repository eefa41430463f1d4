//! The pool's one memory mapping: one `mmap` in, one `munmap` out.

use crate::Error;
use std::ptr::NonNull;

/// An anonymous private mapping owned by one pool.
///
/// Invariant: `base` is the start of a live mapping of exactly `len` bytes
/// (page-aligned, `len > 0`) until `drop` unmaps it.
#[derive(Debug)]
pub(crate) struct Region {
    base: NonNull<u8>,
    len: usize,
}

impl Region {
    /// Maps `len` bytes (rounded up to whole pages). `prefault` populates every
    /// page now (MAP_POPULATE); `lock` pins them in RAM (mlock).
    pub(crate) fn map(len: usize, prefault: bool, lock: bool) -> Result<Region, Error> {
        let page = page_size();
        let len = len.checked_next_multiple_of(page).ok_or(Error::MapFailed {
            bytes: len,
            errno: libc::ENOMEM,
        })?;
        let mut flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS;
        if prefault {
            flags |= libc::MAP_POPULATE;
        }
        // SAFETY: an anonymous mapping at an address of the kernel's choosing
        // touches no existing memory; the result is checked before use.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                flags,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(Error::MapFailed {
                bytes: len,
                errno: errno(),
            });
        }
        let region = Region {
            base: NonNull::new(ptr.cast()).expect("mmap returned null without MAP_FIXED"),
            len,
        };
        if lock {
            // SAFETY: the range is exactly the mapping created above.
            if unsafe { libc::mlock(region.base.as_ptr().cast(), len) } != 0 {
                return Err(Error::LockFailed {
                    bytes: len,
                    errno: errno(),
                }); // `region` unmaps on drop
            }
        }
        Ok(region)
    }

    pub(crate) fn base(&self) -> usize {
        self.base.as_ptr() as usize
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        // SAFETY: by the type's invariant this is a live mapping we own;
        // nothing uses it after drop. munmap also drops any mlock.
        unsafe {
            libc::munmap(self.base.as_ptr().cast(), self.len);
        }
    }
}

fn page_size() -> usize {
    // SAFETY: sysconf has no memory-safety preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if page > 0 {
        page as usize
    } else {
        4096
    }
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}
