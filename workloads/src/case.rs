//! What one measured case is: the loop, the sizes, the counts, the seed; and
//! what it needs from a fixed-capacity allocator ([`Demand`]).

use crate::rng::Stream;
use crate::Op;

/// The sizes of the `size-sweep` workload: every power of two from 16 to
/// 4096 B and the sizes halfway between.
pub const SWEEP_SIZES: [usize; 17] = [
    16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096,
];

/// Number of octaves in [`SizeSpec::Mixed`].
pub const MIXED_OCTAVES: usize = 8;

/// The loop a case runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// alloc then free the same size, back to back (`hot-path`, `size-sweep`).
    HotPath,
    /// allocate `blocks`, then free them all, in allocation order or reversed
    /// (`bulk`, `reverse-free`); repeated.
    Bulk { reverse: bool },
    /// A random mix of alloc and free over a bounded live set (`churn`).
    Churn,
    /// Request-shaped bursts (see [`crate::request`]): back to back when
    /// `interval_ns` is None (closed loop), else one request due every
    /// `interval_ns` (open loop, latency from the due time).
    Request { interval_ns: Option<u64> },
    /// Blocks allocated by one thread and freed by the next
    /// (`producer-consumer`, see [`crate::handoff`]).
    Handoff,
}

impl Kind {
    /// The histograms a case of this kind records, in report order.
    pub fn ops(self) -> &'static [Op] {
        match self {
            // The closed loop times each call of a twin request too.
            Kind::Request { interval_ns: None } => &[Op::Request, Op::Alloc, Op::Free],
            Kind::Request { .. } => &[Op::Request],
            _ => &[Op::Alloc, Op::Free],
        }
    }
}

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
}

impl Demand {
    /// The blocks each range must hold for a fixed pool to serve the case:
    /// every live block, or, when the split between ranges is random, the
    /// range's share of them with 25 % headroom plus 64 (PMAD's pools and
    /// TLSF's regions are both sized from this).
    pub fn blocks_per_range(&self) -> Vec<usize> {
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

/// One measured case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    pub kind: Kind,
    pub size: SizeSpec,
    /// Recorded operations: pairs for hot-path; blocks allocated (and freed)
    /// for bulk, in whole rounds of `blocks`; alloc + free operations for
    /// churn; requests for request; blocks each thread allocates (and its
    /// neighbour frees) for handoff.
    pub ops: u64,
    /// Blocks per round (bulk); blocks in flight per hand-over link (handoff).
    pub blocks: usize,
    /// Live-set bound (churn).
    pub max_live: usize,
    pub seed: u64,
}

impl Case {
    /// Unrecorded pairs (hot-path) or ops (churn) run before recording.
    pub fn warmup_ops(&self) -> u64 {
        match self.kind {
            // A request is dozens of calls: 10,000 of them warm up as much.
            Kind::Request { .. } => (self.ops / 10).clamp(1, 10_000),
            _ => (self.ops / 10).clamp(1, 100_000),
        }
    }

    /// Rounds of a bulk case: `ops / blocks`, at least one.
    pub fn rounds(&self) -> u64 {
        (self.ops / self.blocks.max(1) as u64).max(1)
    }

    /// What the case can hold at once (see [`Demand`]).
    pub fn demand(&self) -> Demand {
        if let Kind::Request { .. } = self.kind {
            return crate::request::demand();
        }
        let ranges = match self.size {
            SizeSpec::Fixed(size) => vec![SizeRange {
                min: size,
                max: size,
                share: 1.0,
            }],
            SizeSpec::Mixed => (0..MIXED_OCTAVES).map(mixed_octave).collect(),
        };
        let max_live = match self.kind {
            Kind::HotPath => 1,
            Kind::Bulk { .. } => self.blocks,
            Kind::Churn => self.max_live,
            Kind::Handoff => self.blocks,
            Kind::Request { .. } => unreachable!("returned above"),
        };
        Demand {
            random_split: ranges.len() > 1,
            ranges,
            max_live,
        }
    }
}
