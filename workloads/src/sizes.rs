//! The size model: which sizes a case requests ([`SizeSpec`]), the octaves
//! of mixed sizes ([`mixed_octave`]), and what a case can hold at once
//! ([`Demand`]), from which fixed-capacity allocators (PMAD, TLSF) are sized.

use crate::rng::Stream;

/// Number of octaves in [`SizeSpec::Mixed`].
pub const MIXED_OCTAVES: usize = 8;

/// The sizes a case requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SizeSpec {
    /// Always this many bytes.
    Fixed(usize),
    /// 16 to 4096 B, log-uniform: one of 8 octaves ([16, 32], [33, 64], ...,
    /// [2049, 4096]) with equal chance, then uniform within it. Small blocks
    /// are as common as large ones per octave, as in real programs.
    Mixed,
}

impl SizeSpec {
    /// The size recorded in file names and `summary.csv`: 0 for mixed.
    pub fn label(self) -> usize {
        match self {
            SizeSpec::Fixed(size) => size,
            SizeSpec::Mixed => 0,
        }
    }

    /// The largest size this spec requests.
    pub fn max(self) -> usize {
        match self {
            SizeSpec::Fixed(size) => size,
            SizeSpec::Mixed => mixed_octave(MIXED_OCTAVES - 1).max,
        }
    }

    /// Draws the next size (does not touch the stream for a fixed size).
    #[inline(always)]
    pub fn draw(self, rng: &mut Stream) -> usize {
        match self {
            SizeSpec::Fixed(size) => size,
            SizeSpec::Mixed => {
                let r = rng.next_u64();
                let octave = mixed_octave((r >> 61) as usize);
                let span = (octave.max - octave.min + 1) as u64;
                // Top 3 bits pick the octave, the low 32 the offset within it.
                octave.min + (((r & 0xFFFF_FFFF) * span) >> 32) as usize
            }
        }
    }
}

/// Sizes `min..=max` (inclusive) requested with probability `share`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SizeRange {
    pub min: usize,
    pub max: usize,
    pub share: f64,
}

/// Octave `k` of [`SizeSpec::Mixed`].
pub fn mixed_octave(k: usize) -> SizeRange {
    let max = 32 << k;
    let min = if k == 0 { 16 } else { (16 << k) + 1 };
    SizeRange {
        min,
        max,
        share: 1.0 / MIXED_OCTAVES as f64,
    }
}

/// What a case can hold at once: enough for a fixed-capacity allocator such
/// as PMAD to be sized for the workload's own needs.
#[derive(Clone, Debug, PartialEq)]
pub struct Demand {
    /// Disjoint size ranges, ascending, with the share of requests in each.
    pub ranges: Vec<SizeRange>,
    /// Most blocks live at once, over all ranges.
    pub max_live: usize,
    /// True when the split of live blocks between ranges is random (mixed
    /// sizes), so each range needs headroom above `share * max_live`.
    pub random_split: bool,
    /// Each range's own peak of live blocks, when it is known exactly (a
    /// replayed trace, walked before it is timed).
    pub exact: Option<Vec<usize>>,
}

impl Demand {
    /// The blocks each range must hold for a fixed pool to serve the case:
    /// each range's exact peak when known; else every live block, or, when
    /// the split between ranges is random, the range's share of them with
    /// 25 % headroom plus 64 (PMAD's pools and TLSF's regions are both sized
    /// from this).
    pub fn blocks_per_range(&self) -> Vec<usize> {
        if let Some(exact) = &self.exact {
            return exact.clone();
        }
        self.ranges
            .iter()
            .map(|r| {
                if self.random_split {
                    (self.max_live as f64 * r.share * 1.25).ceil() as usize + 64
                } else {
                    self.max_live
                }
            })
            .collect()
    }
}
