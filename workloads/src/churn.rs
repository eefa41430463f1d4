//! `churn`: a random mix of alloc and free over a bounded live set, with one
//! interval histogram per window of ops (at most [`crate::WINDOW_OPS`], at least
//! [`crate::MIN_WINDOWS`] windows) so the worst case can be followed over
//! time.
//!
//! Before recording, the live set is filled to half its bound and
//! [`Case::warmup_ops`] random ops run unrecorded. Each recorded op is an
//! alloc when the set is empty, a free when it is full, and otherwise a fair
//! coin; a free takes a uniformly random live block. All draws happen before
//! the timer starts.

use crate::rng::Stream;
use crate::PROGRESS_EVERY;
use crate::{exhausted, timed_alloc, timed_free, touch};
use crate::{
    Allocator, Case, Clock, LiveSet, Observer, Outcome, Phase, Recorder, RunError, Windows,
};

/// The live set: pointer, requested size and usable size (0 when the
/// allocator cannot tell) of every block not yet freed.
type Live = Vec<(*mut u8, usize, usize)>;

/// Running sums over the live set, kept outside the timed region.
#[derive(Default)]
struct Sums {
    requested: u64,
    usable: u64,
    /// Whether the allocator told every block's usable size.
    usable_known: bool,
}

impl Sums {
    /// The live set of `blocks` blocks these sums describe, for a window.
    fn live_set(&self, blocks: usize) -> LiveSet {
        LiveSet {
            blocks: blocks as u64,
            requested_bytes: self.requested,
            usable_bytes: self.usable_known.then_some(self.usable),
        }
    }
}

pub(crate) fn run<A: Allocator, C: Clock, O: Observer>(
    case: &Case,
    alloc: &mut A,
    clock: &mut C,
    observer: &mut O,
) -> Result<Outcome, RunError> {
    let mut out = Outcome::new();
    let mut rng = Stream::new(case.seed);
    // Sized before any timed call: the loop itself never allocates.
    let mut live: Live = Vec::with_capacity(case.max_live);
    // Write its memory once now, so pushing into it never page-faults
    // inside the measured loop.
    live.resize(case.max_live, (std::ptr::null_mut(), 0, 0));
    live.clear();
    let mut sums = Sums {
        usable_known: true,
        ..Sums::default()
    };
    let result = measure(
        case, alloc, clock, observer, &mut rng, &mut live, &mut sums, &mut out,
    )
    .and_then(|()| match observer.batch_ns() {
        Some(min_ns) => {
            let steps =
                crate::batched::steps(case, alloc, clock, observer, &mut rng, &mut live, min_ns)?;
            out.batched.push(steps);
            Ok(())
        }
        None => Ok(()),
    });
    for (ptr, size, _) in live.drain(..) {
        // SAFETY: every live entry came from `alloc(size)` and was not freed.
        unsafe { alloc.free(ptr, size) };
    }
    result.map(|()| out)
}

#[allow(clippy::too_many_arguments)]
fn measure<A: Allocator, C: Clock, O: Observer>(
    case: &Case,
    alloc: &mut A,
    clock: &mut C,
    observer: &mut O,
    rng: &mut Stream,
    live: &mut Live,
    sums: &mut Sums,
    out: &mut Outcome,
) -> Result<(), RunError> {
    warm_up(case, alloc, clock, rng, live, sums, out)?;
    let mut windows = Windows::for_case(case);
    observer.phase(Phase::RecordingStarts);
    windows.start(clock);
    for done in 1..=case.ops {
        step(
            case,
            alloc,
            clock,
            rng,
            live,
            sums,
            &mut windows.alloc,
            &mut windows.free,
            done - 1,
        )?;
        if windows.due(done) {
            windows.cut(done, clock, observer, out, sums.live_set(live.len()));
        }
        if done % PROGRESS_EVERY == 0 {
            observer.progress(done, case.ops);
        }
    }
    observer.phase(Phase::RecordingEnds);
    observer.progress(case.ops, case.ops);
    out.ops = case.ops;
    Ok(())
}

/// Warm-up: fill to half the bound, then random ops; nothing recorded but
/// the very first alloc and free (`out.first_call`).
fn warm_up<A: Allocator, C: Clock>(
    case: &Case,
    alloc: &mut A,
    clock: &mut C,
    rng: &mut Stream,
    live: &mut Live,
    sums: &mut Sums,
    out: &mut Outcome,
) -> Result<(), RunError> {
    let mut ignore = (Recorder::new(), Recorder::new());

    for op in 0..(case.max_live / 2).max(1) as u64 {
        let ns = alloc_one(case, alloc, clock, rng, live, sums, op)?;
        if op == 0 {
            out.first_call.alloc_ns = ns;
        }
    }
    let victim = rng.below(live.len());
    out.first_call.free_ns = free_one(alloc, clock, live, sums, victim);
    for op in 0..case.warmup_ops() {
        step(
            case,
            alloc,
            clock,
            rng,
            live,
            sums,
            &mut ignore.0,
            &mut ignore.1,
            op,
        )?;
    }
    Ok(())
}

/// One random op: alloc when the set is empty, free when it is full, else a
/// fair coin.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn step<A: Allocator, C: Clock>(
    case: &Case,
    alloc: &mut A,
    clock: &mut C,
    rng: &mut Stream,
    live: &mut Live,
    sums: &mut Sums,
    allocs: &mut Recorder,
    frees: &mut Recorder,
    op: u64,
) -> Result<(), RunError> {
    let grow = live.is_empty() || (live.len() < case.max_live && rng.coin());
    if grow {
        allocs.record(alloc_one(case, alloc, clock, rng, live, sums, op)?);
    } else {
        let victim = rng.below(live.len());
        frees.record(free_one(alloc, clock, live, sums, victim));
    }
    Ok(())
}

/// Allocates one block of a drawn size into the live set; its latency in ns.
#[inline(always)]
fn alloc_one<A: Allocator, C: Clock>(
    case: &Case,
    alloc: &mut A,
    clock: &mut C,
    rng: &mut Stream,
    live: &mut Live,
    sums: &mut Sums,
    op: u64,
) -> Result<u64, RunError> {
    let size = case.size.draw(rng);
    let (ptr, ticks) = timed_alloc(alloc, clock, size);
    if ptr.is_null() {
        return Err(exhausted(op, size));
    }
    let usable = alloc.usable_size(ptr, size);
    sums.usable_known &= usable.is_some();
    let usable = usable.unwrap_or(0);
    sums.requested += size as u64;
    sums.usable += usable as u64;
    live.push((touch(ptr, size), size, usable));
    Ok(clock.ticks_to_ns(ticks))
}

/// Frees live block `victim` (swap-removed from the set); its latency in ns.
#[inline(always)]
fn free_one<A: Allocator, C: Clock>(
    alloc: &mut A,
    clock: &mut C,
    live: &mut Live,
    sums: &mut Sums,
    victim: usize,
) -> u64 {
    let (ptr, size, usable) = live.swap_remove(victim);
    sums.requested -= size as u64;
    sums.usable -= usable as u64;
    // SAFETY: the entry came from `alloc(size)`; swap_remove takes it out of
    // the set, so it is freed exactly once.
    let ticks = unsafe { timed_free(alloc, clock, ptr, size) };
    clock.ticks_to_ns(ticks)
}
