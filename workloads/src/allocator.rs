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
}

/// Bytes of the scratch block every `NullAlloc::alloc` returns.
pub const NULL_BLOCK_BYTES: usize = 1 << 16;

/// The empty region: `alloc` returns one scratch block, `free` does nothing.
/// Timed with the same loop shape as a real allocator, it measures the clock
/// reads and the noise of the machine: the `null` row of every report.
pub struct NullAlloc {
    block: Box<[u8]>,
}

impl NullAlloc {
    /// Sizes up to [`NULL_BLOCK_BYTES`] are served (all from one block).
    pub fn new() -> NullAlloc {
        NullAlloc {
            block: vec![0; NULL_BLOCK_BYTES].into_boxed_slice(),
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
        debug_assert!(size <= NULL_BLOCK_BYTES);
        self.block.as_mut_ptr()
    }

    #[inline(always)]
    unsafe fn free(&mut self, _ptr: *mut u8, _size: usize) {}
}
