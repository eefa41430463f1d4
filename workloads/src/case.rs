//! What one measured case is: the loop, the sizes, the counts, the seed.
//! The size model (and what a case needs from a fixed-capacity allocator)
//! is in [`crate::sizes`].

use crate::sizes::{mixed_octave, Demand, SizeRange, SizeSpec, MIXED_OCTAVES};
use crate::Op;

/// The sizes of the `size-sweep` workload: every power of two from 16 to
/// 4096 B and the sizes halfway between.
pub const SWEEP_SIZES: [usize; 17] = [
    16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096,
];

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
    /// A recorded program's calls, in recorded order (see [`crate::replay`]).
    /// The trace is decoded once and lives as long as the process: every
    /// allocator and every repeat replays the same one.
    Replay(&'static crate::replay::Trace),
    /// A running program's calls, timed by `harness live`'s shim in the
    /// program itself: never run by [`crate::run`]; the ops are the ones
    /// the program made.
    Live(&'static [Op]),
}

impl Kind {
    /// The histograms a case of this kind records, in report order.
    pub fn ops(self) -> &'static [Op] {
        match self {
            // The closed loop times each call of a twin request too.
            Kind::Request { interval_ns: None } => &[Op::Request, Op::Alloc, Op::Free],
            Kind::Request { .. } => &[Op::Request],
            Kind::Replay(trace) => trace.ops(),
            Kind::Live(ops) => ops,
            _ => &[Op::Alloc, Op::Free],
        }
    }

    /// Whether its loop has a batched phase ([`crate::batched`]) to run when
    /// the observer asks for one: every kind but the open loop, whose
    /// requests are timed against a schedule, not back to back, and replay,
    /// whose calls happen once each, in their recorded order.
    pub fn has_batched_phase(self) -> bool {
        !matches!(
            self,
            Kind::Request {
                interval_ns: Some(_)
            } | Kind::Replay(_)
                | Kind::Live(_)
        )
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
        match self.kind {
            Kind::Request { .. } => return crate::request_shape::demand(),
            Kind::Replay(trace) => return trace.demand().clone(),
            _ => {}
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
            Kind::Request { .. } | Kind::Replay(_) => unreachable!("returned above"),
            // A live program's demand is unknown: whatever it asked for.
            Kind::Live(_) => 0,
        };
        Demand {
            random_split: ranges.len() > 1,
            ranges,
            max_live,
            exact: None,
        }
    }
}
