//! The pool's one memory mapping: one `mmap` in, one `munmap` out.

use crate::Error;
use std::ops::Range;
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
    /// Reserves `len` bytes (rounded up to whole pages) of address space,
    /// backed lazily: no page is touched and none counts against the commit
    /// limit (MAP_NORESERVE) until it is written.
    pub(crate) fn reserve(len: usize) -> Result<Region, Error> {
        let len = len
            .checked_next_multiple_of(page_size())
            .ok_or(Error::MapFailed {
                bytes: len,
                errno: libc::ENOMEM,
            })?;
        let flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE;
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
        Ok(Region {
            base: NonNull::new(ptr.cast()).expect("mmap returned null without MAP_FIXED"),
            len,
        })
    }

    /// Faults in every page of `range` now, writable, so using it later takes
    /// no page fault. One madvise(MADV_POPULATE_WRITE) (Linux 5.14+); on older
    /// kernels, a write to each page.
    pub(crate) fn populate(&self, range: Range<usize>) {
        let range = self.whole_pages(range);
        // SAFETY: the range lies inside our live mapping (checked by whole_pages).
        let done = unsafe {
            libc::madvise(
                range.start as *mut libc::c_void,
                range.len(),
                libc::MADV_POPULATE_WRITE,
            )
        } == 0;
        if !done {
            for page in range.step_by(page_size()) {
                // SAFETY: `page` is inside our live, writable mapping and holds no block yet.
                unsafe { std::ptr::write_volatile(page as *mut u8, 0) };
            }
        }
    }

    /// Locks `range` in RAM (mlock).
    pub(crate) fn lock(&self, range: Range<usize>) -> Result<(), Error> {
        let range = self.whole_pages(range);
        // SAFETY: the range lies inside our live mapping.
        if unsafe { libc::mlock(range.start as *const libc::c_void, range.len()) } != 0 {
            return Err(Error::LockFailed {
                bytes: range.len(),
                errno: errno(),
            });
        }
        Ok(())
    }

    pub(crate) fn base(&self) -> usize {
        self.base.as_ptr() as usize
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// `range` widened to whole pages, and checked to lie inside the mapping.
    fn whole_pages(&self, range: Range<usize>) -> Range<usize> {
        let page = page_size();
        let start = range.start / page * page;
        let end = range.end.next_multiple_of(page).min(self.base() + self.len);
        assert!(
            start >= self.base() && start <= end,
            "range outside the pool's mapping"
        );
        start..end
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
