//! The measured loops of the allocator tail-latency suite, generic over an
//! allocator ([`Allocator`]) and a clock ([`Clock`]).
//!
//! Every loop follows the timed-region rules (METHODOLOGY.md): only the
//! allocator call sits between the two clock reads; random numbers, writing
//! the block (first and last byte, pointer through `black_box`) and recording
//! into histograms all happen outside it; nothing is allocated inside a
//! measured loop (every buffer the loop needs is sized before it starts).
//!
//! The loops are checked exactly in this crate's tests with a fake clock and
//! a counting allocator ([`testing`]).

pub mod allocator;
pub mod batched;
mod bulk;
pub mod case;
mod churn;
pub mod clock;
pub mod handoff;
mod hot_path;
mod mailbox;
pub mod outcome;
pub mod recorder;
pub mod replay;
pub mod request;
mod request_fill;
mod request_shape;
pub mod rng;
pub mod sizes;
pub mod testing;
pub mod windows;

pub use allocator::{Allocator, NullAlloc};
pub use batched::{BatchOp, Batched};
pub use case::{Case, Kind, SWEEP_SIZES};
pub use clock::Clock;
pub use outcome::{
    FirstCall, LiveSet, Observer, Op, Outcome, Phase, RequestTimes, RunError, Window,
};
pub use recorder::Recorder;
pub use sizes::{Demand, SizeRange, SizeSpec};
pub use windows::{Windows, MIN_WINDOWS};

/// Ops between two calls of [`Observer::progress`]: rare enough to cost
/// nothing per op, frequent enough for a live progress bar.
pub const PROGRESS_EVERY: u64 = 1 << 16;

/// Ops per churn window at most (one interval histogram per window; a
/// shorter churn still gets [`MIN_WINDOWS`]).
pub const WINDOW_OPS: u64 = 1_000_000;

/// Runs one measured case: warm-up, then the recorded operations.
///
/// Fails only when the allocator returns null (a pool ran out): the run stops
/// there instead of recording a fake fast failure.
pub fn run<A: Allocator, C: Clock, O: Observer>(
    case: &Case,
    alloc: &mut A,
    clock: &mut C,
    observer: &mut O,
) -> Result<Outcome, RunError> {
    match case.kind {
        Kind::HotPath => hot_path::run(case, alloc, clock, observer),
        Kind::Bulk { reverse } => bulk::run(case, reverse, alloc, clock, observer),
        Kind::Churn => churn::run(case, alloc, clock, observer),
        Kind::Request { interval_ns } => request::run(case, interval_ns, alloc, clock, observer),
        // A ring of one: the thread frees its own blocks through the link.
        // The harness runs this kind on several threads with `handoff::run`.
        Kind::Handoff => {
            let link = handoff::Loopback::new(case.blocks.max(1));
            handoff::run(case, alloc, clock, observer, &link, &link)
        }
        Kind::Replay(trace) => replay::run(trace, alloc, clock, observer).map_err(RunError::Replay),
        Kind::Live(_) => Err(RunError::Live),
    }
}

/// Writes the first and last byte of a fresh block, outside the timed
/// region, so no allocator wins by handing out memory nobody touches, and
/// passes the pointer through `black_box` so the pair cannot be elided.
#[inline(always)]
fn touch(ptr: *mut u8, size: usize) -> *mut u8 {
    let ptr = std::hint::black_box(ptr);
    // SAFETY: the caller got `ptr` from `Allocator::alloc(size)` with size >= 1
    // and checked it is not null: both bytes are inside the block.
    unsafe {
        ptr.write(0xA5);
        ptr.add(size - 1).write(0x5A);
    }
    ptr
}

/// The failure for a null pointer from `alloc`.
#[cold]
fn exhausted(op: u64, size: usize) -> RunError {
    RunError::Exhausted { op, size }
}

/// One timed allocation: the raw ticks between the two clock reads.
#[inline(always)]
fn timed_alloc<A: Allocator, C: Clock>(
    alloc: &mut A,
    clock: &mut C,
    size: usize,
) -> (*mut u8, u64) {
    let t0 = clock.start();
    let ptr = alloc.alloc(size);
    let t1 = clock.stop();
    clock.attribute(Op::Alloc);
    (ptr, t1.wrapping_sub(t0))
}

/// One timed free: the raw ticks between the two clock reads.
///
/// # Safety
/// As [`Allocator::free`].
#[inline(always)]
unsafe fn timed_free<A: Allocator, C: Clock>(
    alloc: &mut A,
    clock: &mut C,
    ptr: *mut u8,
    size: usize,
) -> u64 {
    let t0 = clock.start();
    // SAFETY: forwarded from the caller.
    unsafe { alloc.free(ptr, size) };
    let t1 = clock.stop();
    clock.attribute(Op::Free);
    t1.wrapping_sub(t0)
}
