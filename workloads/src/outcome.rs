//! What a run hands back, and how it reports along the way.

use crate::recorder::Recorder;
use std::fmt;

/// The operation a histogram times; summary.csv's `op` column, by [`Op::name`].
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    Alloc,
    Free,
    /// One whole request of the `request` workloads, from its start (closed
    /// loop) or its intended start (open loop) to its last free.
    Request,
    /// A replayed trace's calloc (a zeroed block).
    Calloc,
    /// A replayed trace's realloc.
    Realloc,
    /// A replayed trace's posix_memalign, aligned_alloc or memalign.
    Aligned,
}

impl std::fmt::Display for Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.name())
    }
}

impl Op {
    /// Every op, in [`Op::index`] order.
    pub const ALL: [Op; 6] = [
        Op::Alloc,
        Op::Free,
        Op::Request,
        Op::Calloc,
        Op::Realloc,
        Op::Aligned,
    ];

    /// The op's place in [`Op::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The name used in file names and `summary.csv`.
    pub fn name(self) -> &'static str {
        match self {
            Op::Alloc => "alloc",
            Op::Free => "free",
            Op::Request => "request",
            Op::Calloc => "calloc",
            Op::Realloc => "realloc",
            Op::Aligned => "aligned",
        }
    }
}

/// The very first alloc and free of a run, timed apart from the histograms:
/// first calls pay for lazy initialisation and cold caches.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FirstCall {
    pub alloc_ns: u64,
    pub free_ns: u64,
    /// The first request (request workloads only; 0 elsewhere).
    pub request_ns: u64,
    /// A replayed trace's first calloc, realloc and aligned call (0 elsewhere).
    pub calloc_ns: u64,
    pub realloc_ns: u64,
    pub aligned_ns: u64,
}

impl FirstCall {
    /// Where the first call of `op` is kept.
    pub fn slot_mut(&mut self, op: Op) -> &mut u64 {
        match op {
            Op::Alloc => &mut self.alloc_ns,
            Op::Free => &mut self.free_ns,
            Op::Request => &mut self.request_ns,
            Op::Calloc => &mut self.calloc_ns,
            Op::Realloc => &mut self.realloc_ns,
            Op::Aligned => &mut self.aligned_ns,
        }
    }

    /// The first call of `op`.
    pub fn of(&self, op: Op) -> u64 {
        match op {
            Op::Alloc => self.alloc_ns,
            Op::Free => self.free_ns,
            Op::Request => self.request_ns,
            Op::Calloc => self.calloc_ns,
            Op::Realloc => self.realloc_ns,
            Op::Aligned => self.aligned_ns,
        }
    }
}

/// The recorded latencies of one case.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub alloc: Recorder,
    pub free: Recorder,
    /// Whole requests (request workloads only; empty elsewhere).
    pub request: Recorder,
    /// A replayed trace's calloc, realloc and aligned calls (empty elsewhere).
    pub calloc: Recorder,
    pub realloc: Recorder,
    pub aligned: Recorder,
    pub first_call: FirstCall,
    /// Recorded operations (alloc + free; requests for the request workloads).
    pub ops: u64,
    /// Windows handed to the observer.
    pub windows: u64,
    /// The batched phase, when the observer asked for one
    /// ([`Observer::batch_ns`]) and the loop has one ([`crate::batched`]).
    pub batched: Vec<crate::Batched>,
    /// A replay's counts besides its histograms (None for other loops).
    pub replay: Option<crate::replay::Counts>,
}

impl Default for Outcome {
    fn default() -> Outcome {
        Outcome::new()
    }
}

impl Outcome {
    /// Empty histograms, nothing counted (a loop's start; `harness live`
    /// fills one from the shim's counts).
    pub fn new() -> Outcome {
        Outcome {
            alloc: Recorder::new(),
            free: Recorder::new(),
            request: Recorder::new(),
            calloc: Recorder::new(),
            realloc: Recorder::new(),
            aligned: Recorder::new(),
            first_call: FirstCall::default(),
            ops: 0,
            windows: 0,
            batched: Vec::new(),
            replay: None,
        }
    }

    pub fn recorder(&self, op: Op) -> &Recorder {
        match op {
            Op::Alloc => &self.alloc,
            Op::Free => &self.free,
            Op::Request => &self.request,
            Op::Calloc => &self.calloc,
            Op::Realloc => &self.realloc,
            Op::Aligned => &self.aligned,
        }
    }

    /// Adds another thread's histograms and ops, and its batches to this
    /// one's batched phase of the same op and K (threads that ran at once
    /// agreed on K: [`Observer::ops_per_batch`]); first calls stay this one's.
    pub fn add(&mut self, other: &Outcome) {
        self.alloc.add(&other.alloc);
        self.free.add(&other.free);
        self.request.add(&other.request);
        self.calloc.add(&other.calloc);
        self.realloc.add(&other.realloc);
        self.aligned.add(&other.aligned);
        self.ops += other.ops;
        match (&mut self.replay, &other.replay) {
            (Some(mine), Some(theirs)) => mine.add(theirs),
            (None, Some(theirs)) => self.replay = Some(*theirs),
            _ => {}
        }
        for b in &mut self.batched {
            let same = other
                .batched
                .iter()
                .find(|o| o.op == b.op && o.ops_per_batch == b.ops_per_batch);
            if let Some(o) = same {
                b.batch_ns.extend_from_slice(&o.batch_ns);
                b.empty_ns.extend_from_slice(&o.empty_ns);
            }
        }
    }
}

/// One recorded request's times, in ns since the start of recording: when it
/// was due (open loop: its slot in the fixed-rate schedule; closed loop: when
/// it started), when it started, and when its last free returned. Its latency
/// is `end_ns - intended_ns`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestTimes {
    pub index: u64,
    pub intended_ns: u64,
    pub start_ns: u64,
    pub end_ns: u64,
}

/// One window of the recorded phase ([`crate::windows`]): its histograms
/// and times, in the loop's own unit (pairs, rounds, ops, requests or
/// blocks allocated).
pub struct Window<'a> {
    pub index: u64,
    /// Units recorded before this window.
    pub first_op: u64,
    /// Units in this window.
    pub ops: u64,
    /// Clock time since the start of recording, in ns.
    pub start_ns: u64,
    pub end_ns: u64,
    pub alloc: &'a Recorder,
    pub free: &'a Recorder,
    pub request: &'a Recorder,
    pub calloc: &'a Recorder,
    pub realloc: &'a Recorder,
    pub aligned: &'a Recorder,
    /// The live set when the window closed (churn; empty elsewhere).
    pub live: LiveSet,
}

impl Window<'_> {
    /// The window's histogram of `op`.
    pub fn recorder(&self, op: Op) -> &Recorder {
        match op {
            Op::Alloc => self.alloc,
            Op::Free => self.free,
            Op::Request => self.request,
            Op::Calloc => self.calloc,
            Op::Realloc => self.realloc,
            Op::Aligned => self.aligned,
        }
    }
}

/// What the live set holds: blocks, the bytes the workload asked for, and
/// the bytes the allocator set aside for them (None when it cannot tell).
/// Usable minus requested is the allocator's internal waste.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LiveSet {
    pub blocks: u64,
    pub requested_bytes: u64,
    pub usable_bytes: Option<u64>,
}

/// The edges of the recorded phase (after warm-up, before the first
/// recorded op; after the last one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    RecordingStarts,
    RecordingEnds,
}

/// Sees a run's progress; called outside the timed region only.
pub trait Observer {
    /// The recorded phase starts or ends: the place to snapshot counters
    /// (page faults, context switches, RSS) that belong to it alone.
    fn phase(&mut self, _phase: Phase) {}
    /// `done` of `total` recorded ops are finished; called every
    /// [`crate::PROGRESS_EVERY`] ops and at the end.
    fn progress(&mut self, _done: u64, _total: u64) {}
    /// A window of the recorded phase is complete ([`crate::windows`]).
    fn window(&mut self, _window: &Window<'_>) {}
    /// A recorded request is complete (request workloads).
    fn request(&mut self, _times: &RequestTimes) {}
    /// The shortest batch, in ns, of a batched phase after the recorded one
    /// ([`crate::batched`]); None (the default) for no batched phase.
    fn batch_ns(&self) -> Option<u64> {
        None
    }
    /// The batched phase found `k` operations per batch enough; returns the
    /// K to use. Called once per batched phase, after K is found and before
    /// any batch is timed. Threads that run one case at once settle here on
    /// one K (the largest any found), so their batches can be pooled, and
    /// start timing them together; alone, K stands.
    fn ops_per_batch(&mut self, k: u64) -> u64 {
        k
    }
}

/// Observes nothing.
impl Observer for () {}

/// Why a run stopped early.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunError {
    /// The allocator returned null for an allocation of `size` bytes at
    /// recorded-op index `op` (warm-up ops count from 0 too).
    Exhausted { op: u64, size: usize },
    /// A thread this one hands blocks to or from stopped early
    /// (producer-consumer), so this one stopped too.
    Abandoned,
    /// A replayed call failed, or the trace is damaged.
    Replay(crate::replay::ReplayError),
    /// A live case was handed to the loops: it is timed in the program.
    Live,
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Exhausted { op, size } => write!(
                f,
                "the allocator returned null for {size} bytes at op {op}: it ran out of memory \
                 (a fixed pool too small for this workload?); the run stops instead of recording a fake fast failure"
            ),
            RunError::Replay(e) => write!(f, "replay: {e}"),
            RunError::Live => write!(f, "a live case is timed in its program by `harness live`, not run"),
            RunError::Abandoned => write!(
                f,
                "a neighbouring thread stopped early, so this one stopped too (see that thread's error)"
            ),
        }
    }
}

impl std::error::Error for RunError {}
