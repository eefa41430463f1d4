//! TLSF as a real-time user deploys it, set up in one place for both
//! places that run it: the harness (`harness/src/alloc/tlsf_pool.rs`, one
//! region per case) and the live shim (`live-shim/src/tlsf.rs`, one region
//! per process). One anonymous mapping, prefaulted (`MAP_POPULATE`) and
//! locked when asked, handed whole to a [`Heap`] before the first call;
//! no call reaches the OS after that.
//!
//! Invariant: a [`Region`] is exactly one live mapping of `len` bytes
//! until it is dropped (unmapped) or leaked (kept for the process's life);
//! a heap it was handed to is never used after it is dropped.
//! Nothing here allocates, so the shim can call it from inside malloc.

use std::ptr::NonNull;

/// First level: 28 classes of powers of two over the 32-byte granularity
/// (so one free block can span up to 8 GiB); second level: 32 linear
/// subclasses per power of two, the classic TLSF split.
pub type Heap = Tlsf<'static, u32, u32, 28, 32>;
pub use rlsf::Tlsf;

/// [`Heap`]'s parameters, as meta.json states them.
pub const DESCRIPTION: &str = "Tlsf<u32, u32, FLLEN 28, SLLEN 32>, granularity 32 B";

/// Why a region could not be set up: the call that failed and its errno.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MapError {
    pub call: &'static str,
    pub bytes: usize,
    pub errno: i32,
}

impl std::fmt::Display for MapError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let why = std::io::Error::from_raw_os_error(self.errno);
        write!(
            f,
            "tlsf: {} of {} bytes failed: {why}",
            self.call, self.bytes
        )
    }
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// One anonymous mapping, prefaulted, unmapped on drop.
pub struct Region {
    ptr: NonNull<u8>,
    len: usize,
}

impl Region {
    /// Maps `len` bytes, every page faulted in; locked in memory when `lock`.
    pub fn map(len: usize, lock: bool) -> Result<Region, MapError> {
        // SAFETY: a fresh private anonymous mapping; no existing memory is
        // touched. MAP_POPULATE faults every page in before mmap returns.
        let raw = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_POPULATE,
                -1,
                0,
            )
        };
        let fail = |call| MapError {
            call,
            bytes: len,
            errno: errno(),
        };
        let Some(ptr) = NonNull::new(raw.cast::<u8>()).filter(|_| raw != libc::MAP_FAILED) else {
            return Err(fail("mmap"));
        };
        let region = Region { ptr, len };
        // SAFETY: the range is exactly the mapping made above.
        if lock && unsafe { libc::mlock(raw, len) } != 0 {
            return Err(fail("mlock"));
        }
        Ok(region)
    }

    /// The region's first byte.
    pub fn start(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether `p` is inside the region.
    pub fn contains(&self, p: *const u8) -> bool {
        (p as usize).wrapping_sub(self.ptr.as_ptr() as usize) < self.len
    }

    /// Hands the whole region to `heap`; false when it is too small to
    /// hold a block.
    ///
    /// # Safety
    /// `heap` is not used after this region is dropped (a leaked region
    /// lives as long as the process), and the region is handed to no
    /// other heap.
    pub unsafe fn hand_to(&self, heap: &mut Heap) -> bool {
        let block = NonNull::slice_from_raw_parts(self.ptr, self.len);
        // SAFETY: the caller keeps the region alive while `heap` is used
        // and gives it to no one else (this function's contract).
        unsafe { heap.insert_free_block_ptr(block) }.is_some()
    }

    /// Keeps the mapping for the rest of the process (the live shim's
    /// region, used until exit).
    pub fn leak(self) {
        std::mem::forget(self);
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        // SAFETY: ptr/len are the mapping made in `map`, unmapped once
        // here; heaps handed it are no longer used (hand_to's contract).
        unsafe { libc::munmap(self.ptr.as_ptr().cast(), self.len) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::alloc::Layout;

    #[test]
    fn a_heap_handed_a_region_serves_blocks_inside_it_until_it_is_full() {
        let region = Region::map(1 << 20, false).unwrap();
        let mut heap = Heap::new();
        // SAFETY: `heap` is dropped before `region`, and gets no other region.
        assert!(unsafe { region.hand_to(&mut heap) });
        let layout = Layout::from_size_align(4096, 16).unwrap();
        let mut n = 0;
        while let Some(p) = heap.allocate(layout) {
            assert!(region.contains(p.as_ptr()));
            n += 1;
        }
        // 1 MiB holds fewer than 256 blocks of 4 KiB once headers count,
        // and more than 200.
        assert!((200..256).contains(&n), "{n} blocks");
        assert!(!region.contains(std::ptr::null()));
    }

    #[test]
    fn a_mapping_the_kernel_refuses_is_an_error_naming_the_call() {
        let e = Region::map(usize::MAX / 2, false).err().expect("refused");
        assert_eq!(e.call, "mmap");
        assert!(e.to_string().starts_with("tlsf: mmap of "), "{e}");
    }
}
