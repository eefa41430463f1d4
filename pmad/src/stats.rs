//! Per-class counters, read outside the hot path.

/// What one class holds and has done. Plain counters kept by `alloc` and `free`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClassStats {
    /// The class as declared, in bytes.
    pub class_bytes: usize,
    /// Usable bytes per block (the class rounded up to 16).
    pub block_bytes: usize,
    /// Blocks the class's share of the pool holds.
    pub capacity: usize,
    /// Blocks handed out and not yet freed.
    pub in_use: usize,
    /// Most blocks ever in use at once.
    pub high_water: usize,
    /// Allocations refused because the class was exhausted.
    pub failed: u64,
    /// Bytes of the class's metadata (its in-use map and stack of free
    /// blocks, outside the blocks): 5 bytes per block of capacity.
    pub metadata_bytes: usize,
}
