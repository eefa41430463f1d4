//! What PMAD's pool and TLSF's region were for one case: plain data, the
//! same whichever allocators are compiled in, so every binary writes and
//! reads meta.json's `cases[].pmad` and `cases[].tlsf` with one type.

use serde::{Deserialize, Serialize};

/// PMAD's configuration for one case and what the case used of it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PmadReport {
    pub classes: Vec<usize>,
    /// Each class's block size (its size rounded up: 16 bytes up to 64
    /// KiB, the grid above). Empty in runs made before large classes.
    #[serde(default)]
    pub blocks: Vec<usize>,
    /// Bytes of the runs (blocks and metadata): what a prefaulted pool
    /// keeps resident from the start.
    pub pool_bytes: usize,
    /// Address space the one mapping reserves (runs and the untouched gaps
    /// between them). 0 in runs made before it was recorded.
    #[serde(default)]
    pub reserved_bytes: usize,
    pub prefault: bool,
    pub lock: bool,
    /// Blocks each class was sized for.
    pub needed: Vec<usize>,
    /// Blocks each class holds.
    pub capacity: Vec<usize>,
    /// Most blocks in use at once, per class, over the whole case.
    pub high_water: Vec<usize>,
    /// Allocations refused, per class.
    pub failed: Vec<u64>,
}

impl PmadReport {
    /// The pool in words, for an error: each class with its blocks, its
    /// high water and its refusals.
    pub fn describe(&self) -> String {
        let classes: Vec<String> = (0..self.classes.len())
            .map(|i| {
                let at = |v: &[usize]| v.get(i).copied().unwrap_or(0);
                format!(
                    "{} B: {} blocks, at most {} in use, {} refused",
                    self.classes[i],
                    at(&self.capacity),
                    at(&self.high_water),
                    self.failed.get(i).copied().unwrap_or(0)
                )
            })
            .collect();
        format!(
            "a pool of {} bytes; {}",
            self.pool_bytes,
            classes.join("; ")
        )
    }
}

/// The TLSF configuration of one case.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TlsfReport {
    pub region_bytes: usize,
    pub prefault: bool,
    pub lock: bool,
    /// The bitmap widths and level counts of the `rlsf::Tlsf` type.
    pub bitmaps: String,
}
