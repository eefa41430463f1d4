//! The allocator interface the loops call, and the `null` allocator that
//! gives the timer's own cost and the machine's noise.

/// One allocator under test. Monomorphised into every loop: no `dyn`, no
/// global allocator between the timer reads and the call.
pub trait Allocator {
    /// A block of at least `size` bytes (size >= 1), or null when the
    /// allocator cannot serve it.
    fn alloc(&mut self, size: usize) -> *mut u8;

    /// Returns a block.
    ///
    /// # Safety
    /// `ptr` came from `self.alloc(size)` with this same `size` and has not
    /// been freed since.
    unsafe fn free(&mut self, ptr: *mut u8, size: usize);

    /// The bytes the allocator set aside for the live `size`-byte block at
    /// `ptr` (its usable size), for churn's fragmentation figures; `None`
    /// when the allocator cannot tell. Called right after `alloc`, outside
    /// the timed region, while the allocator's metadata for the block is hot.
    fn usable_size(&self, _ptr: *mut u8, _size: usize) -> Option<usize> {
        None
    }

    /// A zeroed block of `size` bytes (a replayed calloc). The default
    /// allocates and zeroes, both inside the timed call, as an allocator
    /// without a zeroed path of its own must.
    fn alloc_zeroed(&mut self, size: usize) -> *mut u8 {
        let ptr = self.alloc(size);
        if !ptr.is_null() {
            // SAFETY: a fresh block of at least `size` bytes.
            unsafe { ptr.write_bytes(0, size) };
        }
        ptr
    }

    /// A block of `size` bytes at a multiple of `align` (a power of two),
    /// or null (a replayed posix_memalign, aligned_alloc or memalign). The
    /// default takes a block from `alloc` and refuses it (null) when it is
    /// not aligned that far.
    fn alloc_aligned(&mut self, size: usize, align: usize) -> *mut u8 {
        let ptr = self.alloc(size);
        if ptr.is_null() || (ptr as usize).is_multiple_of(align) {
            return ptr;
        }
        // SAFETY: the block just came from `alloc(size)`.
        unsafe { self.free(ptr, size) };
        std::ptr::null_mut()
    }

    /// Returns a block from [`Allocator::alloc_aligned`] (or from `alloc`,
    /// with `align` 1).
    ///
    /// # Safety
    /// `ptr` came from this allocator with this `size` and `align`, and has
    /// not been freed since.
    unsafe fn free_aligned(&mut self, ptr: *mut u8, size: usize, _align: usize) {
        // SAFETY: forwarded from the caller.
        unsafe { self.free(ptr, size) }
    }

    /// The block moved to `new_size` bytes (>= 1) with its first
    /// `min(old_size, new_size)` bytes kept, or null with the old block
    /// untouched (a replayed realloc). The block keeps `align` for its
    /// free. The default allocates, copies and frees.
    ///
    /// # Safety
    /// As [`Allocator::free_aligned`] for `ptr`, `old_size` and `align`.
    unsafe fn realloc(
        &mut self,
        ptr: *mut u8,
        old_size: usize,
        align: usize,
        new_size: usize,
    ) -> *mut u8 {
        let new = self.alloc_aligned(new_size, align);
        if !new.is_null() {
            // SAFETY: both blocks are live, distinct, and at least this long.
            unsafe {
                std::ptr::copy_nonoverlapping(ptr, new, old_size.min(new_size));
                self.free_aligned(ptr, old_size, align);
            }
        }
        new
    }
}

/// Bytes of the scratch block every `NullAlloc::alloc` returns.
pub const NULL_BLOCK_BYTES: usize = 1 << 16;

/// The empty region: `alloc` returns one scratch block, `free` does nothing.
/// (Replay sizes it to the trace's largest block; calloc and realloc hand
/// back the same block, untouched.)
/// Timed with the same loop shape as a real allocator, it measures the clock
/// reads and the noise of the machine: the `null` row of every report.
pub struct NullAlloc {
    block: Box<[u8]>,
}

impl NullAlloc {
    /// Sizes up to [`NULL_BLOCK_BYTES`] are served (all from one block).
    pub fn new() -> NullAlloc {
        NullAlloc::with_block_bytes(NULL_BLOCK_BYTES)
    }

    /// Sizes up to `bytes` are served (all from one block, page-aligned
    /// as far as the block's start allows).
    pub fn with_block_bytes(bytes: usize) -> NullAlloc {
        NullAlloc {
            block: vec![0; bytes.max(1)].into_boxed_slice(),
        }
    }
}

impl Default for NullAlloc {
    fn default() -> Self {
        NullAlloc::new()
    }
}

impl Allocator for NullAlloc {
    #[inline(always)]
    fn alloc(&mut self, size: usize) -> *mut u8 {
        debug_assert!(size <= self.block.len());
        self.block.as_mut_ptr()
    }

    #[inline(always)]
    unsafe fn free(&mut self, _ptr: *mut u8, _size: usize) {}

    #[inline(always)]
    fn alloc_zeroed(&mut self, size: usize) -> *mut u8 {
        self.alloc(size)
    }

    #[inline(always)]
    fn alloc_aligned(&mut self, size: usize, _align: usize) -> *mut u8 {
        self.alloc(size)
    }

    #[inline(always)]
    unsafe fn realloc(&mut self, ptr: *mut u8, _old: usize, _align: usize, _new: usize) -> *mut u8 {
        ptr
    }
}
