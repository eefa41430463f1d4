//! `request-closed` and `request-open`: service-shaped bursts of small mixed
//! allocations. Each request asks of the allocator what parsing one 2 to
//! 4 KB JSON document asks (METHODOLOGY.md, "Requests"): the
//! document's buffer, then dozens of objects of 16 to 512 B (one per dict,
//! list and string) with a few more buffers of up to 4 KB among them. Every
//! block is written in full, as a parser writes what it allocates, and all
//! are freed at the request's end in allocation order (the document dropped).
//!
//! Closed loop: requests run back to back; a request's latency runs from its
//! start to its last free. Open loop: request `i` is due `i * interval` after
//! recording starts and waits for that moment if it is early; its latency
//! runs from the due time, not from when it could start, so a stall is
//! charged to every request it delays (no coordinated omission). The one
//! pause that is not the allocator's, the harness closing a window
//! ([`crate::windows`], 20 times a case), moves the schedule on by its own
//! length instead.
//!
//! A request is timed as a whole, with no clock read inside it: dozens of
//! fenced clock reads would cost more than the allocator. The per-op
//! histograms come from a twin request served right after each recorded one
//! in the closed loop (drawn from the same stream, same shape), with every
//! alloc and free timed on its own; the open loop records requests only.
//! The null row measures the floor of both (writes, loop, clock reads).
//!
//! Asked for one, the closed loop's batched phase follows
//! ([`crate::batched`]): whole requests, their allocations and their frees
//! timed apart, so the per-call cost shows below the clock's step.

use crate::request_fill::{fill, release, written};
pub use crate::request_shape::{
    demand, draw, BUFFER_BYTES, DOC_BYTES, EXTRA_BUFFERS, MAX_BLOCKS, OBJECTS, OBJECT_OCTAVES,
};
use crate::rng::Stream;
use crate::{timed_alloc, timed_free};
use crate::{
    Allocator, Case, Clock, LiveSet, Observer, Outcome, Phase, Recorder, RequestTimes, RunError,
    Windows, PROGRESS_EVERY,
};

pub(crate) fn run<A: Allocator, C: Clock, O: Observer>(
    case: &Case,
    interval_ns: Option<u64>,
    alloc: &mut A,
    clock: &mut C,
    observer: &mut O,
) -> Result<Outcome, RunError> {
    let mut out = Outcome::new();
    let mut rng = Stream::new(case.seed);
    // On the stack and written once here: the loop never allocates.
    let mut sizes = [0usize; MAX_BLOCKS];
    let mut live = [std::ptr::null_mut::<u8>(); MAX_BLOCKS];
    let mut ignore = (Recorder::new(), Recorder::new());
    warm_up(
        case,
        alloc,
        clock,
        &mut rng,
        (&mut sizes, &mut live),
        &mut out,
    )?;

    let mut windows = Windows::for_case(case);
    observer.phase(Phase::RecordingStarts);
    let origin = clock.start();
    windows.start_at(origin);
    // Time the harness spent closing windows (open loop): the schedule
    // moves on by it, so its own pause is never charged to a request.
    let mut paused_ns = 0;
    let since = |clock: &C, t: u64| clock.ticks_to_ns(t.wrapping_sub(origin));
    for i in 0..case.ops {
        let n = draw(&mut rng, &mut sizes);
        let due = interval_ns.map(|interval| i * interval + paused_ns);
        let (intended_ns, start_ns) = start(clock, origin, due);
        serve::<A, C, false>(
            alloc,
            clock,
            &sizes[..n],
            &mut live,
            (&mut ignore.0, &mut ignore.1),
            i,
        )?;
        let t = clock.stop();
        let end_ns = since(clock, t);
        windows.request.record(end_ns - intended_ns);
        observer.request(&RequestTimes {
            index: i,
            intended_ns,
            start_ns,
            end_ns,
        });
        if interval_ns.is_none() {
            let n = draw(&mut rng, &mut sizes);
            let per_op = (&mut windows.alloc, &mut windows.free);
            serve::<A, C, true>(alloc, clock, &sizes[..n], &mut live, per_op, i)?;
        }
        if windows.due(i + 1) {
            let closed_at = windows.cut(i + 1, clock, observer, &mut out, LiveSet::default());
            paused_ns += pause(clock, origin, closed_at, interval_ns.is_some());
        }
        if (i + 1) % PROGRESS_EVERY == 0 {
            observer.progress(i + 1, case.ops);
        }
    }
    observer.phase(Phase::RecordingEnds);
    observer.progress(case.ops, case.ops);
    out.ops = case.ops;
    if interval_ns.is_none() {
        batched_twin(alloc, clock, observer, &mut rng, &mut live, &mut out)?;
    }
    Ok(out)
}

/// What closing a window that ended at `closed_at` (ns since `origin`)
/// took, for the open loop's schedule to move on by; 0 in the closed loop.
#[inline(always)]
fn pause<C: Clock>(clock: &mut C, origin: u64, closed_at: u64, open: bool) -> u64 {
    if !open {
        return 0;
    }
    let t = clock.start();
    clock
        .ticks_to_ns(t.wrapping_sub(origin))
        .saturating_sub(closed_at)
}

/// The closed loop's batched phase (`batched::requests`), after the
/// recorded one, when the run asks for batches.
fn batched_twin<A: Allocator, C: Clock, O: Observer>(
    alloc: &mut A,
    clock: &mut C,
    observer: &mut O,
    rng: &mut Stream,
    live: &mut [*mut u8; MAX_BLOCKS],
    out: &mut Outcome,
) -> Result<(), RunError> {
    if let Some(min_ns) = observer.batch_ns() {
        let phases = crate::batched::requests(alloc, clock, observer, rng, live, min_ns)?;
        out.batched.extend(phases);
    }
    Ok(())
}

/// Warm-up: pairs of a whole request and a timed-per-op one, nothing
/// recorded but the very first of each (`out.first_call`).
fn warm_up<A: Allocator, C: Clock>(
    case: &Case,
    alloc: &mut A,
    clock: &mut C,
    rng: &mut Stream,
    (sizes, live): (&mut [usize; MAX_BLOCKS], &mut [*mut u8; MAX_BLOCKS]),
    out: &mut Outcome,
) -> Result<(), RunError> {
    let mut ignore = (Recorder::new(), Recorder::new());
    for r in 0..case.warmup_ops() {
        let n = draw(rng, sizes);
        let t0 = clock.start();
        serve::<A, C, false>(
            alloc,
            clock,
            &sizes[..n],
            live,
            (&mut ignore.0, &mut ignore.1),
            2 * r,
        )?;
        let t1 = clock.stop();
        let n = draw(rng, sizes);
        let first = serve::<A, C, true>(
            alloc,
            clock,
            &sizes[..n],
            live,
            (&mut ignore.0, &mut ignore.1),
            2 * r + 1,
        )?;
        if r == 0 {
            out.first_call.request_ns = clock.ticks_to_ns(t1.wrapping_sub(t0));
            out.first_call.alloc_ns = first.0;
            out.first_call.free_ns = first.1;
        }
    }
    Ok(())
}

/// A request's intended and actual start, in ns since `origin`: now and
/// now in the closed loop (`due` None); in the open loop, `due` and the
/// first clock read at or after it, spinning until then (a sleep would add
/// the kernel's wake-up to every request).
#[inline(always)]
fn start<C: Clock>(clock: &mut C, origin: u64, due: Option<u64>) -> (u64, u64) {
    loop {
        let t = clock.start();
        let now = clock.ticks_to_ns(t.wrapping_sub(origin));
        match due {
            None => return (now, now),
            Some(due) if now >= due => return (due, now),
            Some(_) => std::hint::spin_loop(),
        }
    }
}

/// One request: allocates and writes every block of `sizes`, then frees them
/// in the same order. With `TIMED`, each call is timed into `record` (alloc,
/// free) and the first alloc's and first free's ns are returned; without it
/// no clock is read. On a null, frees what it holds.
#[inline(always)]
fn serve<A: Allocator, C: Clock, const TIMED: bool>(
    alloc: &mut A,
    clock: &mut C,
    sizes: &[usize],
    live: &mut [*mut u8; MAX_BLOCKS],
    record: (&mut Recorder, &mut Recorder),
    request: u64,
) -> Result<(u64, u64), RunError> {
    if !TIMED {
        fill(alloc, sizes, live, request)?;
        release(alloc, sizes, live);
        return Ok((0, 0));
    }
    let mut first = (0, 0);
    for (k, &size) in sizes.iter().enumerate() {
        let (ptr, ticks) = timed_alloc(alloc, clock, size);
        let ns = clock.ticks_to_ns(ticks);
        record.0.record(ns);
        if k == 0 {
            first.0 = ns;
        }
        live[k] = written(alloc, ptr, size, &sizes[..k], live, request)?;
    }
    for (k, (&ptr, &size)) in live.iter().zip(sizes).enumerate() {
        // SAFETY: every block of this request came from `alloc(size)`
        // above and is freed exactly once, here.
        let ticks = unsafe { timed_free(alloc, clock, ptr, size) };
        let ns = clock.ticks_to_ns(ticks);
        record.1.record(ns);
        if k == 0 {
            first.1 = ns;
        }
    }
    Ok(first)
}
