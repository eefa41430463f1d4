//! `bulk` and `reverse-free`: allocate a batch, then free it all, in
//! allocation order or reversed; repeated in rounds.

use crate::rng::Stream;
use crate::{exhausted, timed_alloc, timed_free, touch};
use crate::{
    Allocator, Case, Clock, LiveSet, Observer, Outcome, Phase, Recorder, RunError, Windows,
    PROGRESS_EVERY,
};

pub(crate) fn run<A: Allocator, C: Clock, O: Observer>(
    case: &Case,
    reverse: bool,
    alloc: &mut A,
    clock: &mut C,
    observer: &mut O,
) -> Result<Outcome, RunError> {
    let mut out = Outcome::new();
    let mut rng = Stream::new(case.seed);
    let mut batch = batch_for(case.blocks);
    let rounds = case.rounds();
    let total = rounds * case.blocks as u64 * 2;

    // One unrecorded round warms the allocator up; its first alloc and first
    // free are the first calls of the run.
    let mut warm = Rounds {
        alloc: None,
        free: None,
        first: Some(&mut out.first_call),
    };
    round(
        case, reverse, alloc, clock, &mut rng, &mut batch, &mut warm, 0,
    )?;

    let mut done = 0;
    let mut windows = Windows::for_case(case);
    observer.phase(Phase::RecordingStarts);
    windows.start(clock);
    for r in 0..rounds {
        let mut rec = Rounds {
            alloc: Some(&mut windows.alloc),
            free: Some(&mut windows.free),
            first: None,
        };
        round(
            case, reverse, alloc, clock, &mut rng, &mut batch, &mut rec, r,
        )?;
        if windows.due(r + 1) {
            windows.cut(r + 1, clock, observer, &mut out, LiveSet::default());
        }
        let before = done;
        done += 2 * case.blocks as u64;
        if done / PROGRESS_EVERY != before / PROGRESS_EVERY {
            observer.progress(done, total);
        }
    }
    observer.phase(Phase::RecordingEnds);
    observer.progress(total, total);
    out.ops = total;
    if let Some(min_ns) = observer.batch_ns() {
        let phases = crate::batched::rounds(
            case, reverse, alloc, clock, observer, &mut rng, &mut batch, min_ns,
        )?;
        out.batched.extend(phases);
    }
    Ok(out)
}

/// An empty batch with room for `blocks`, sized before any timed call so
/// the loop never allocates, and written once so pushing never page-faults.
fn batch_for(blocks: usize) -> Vec<(*mut u8, usize)> {
    let mut batch = Vec::with_capacity(blocks);
    batch.resize(blocks, (std::ptr::null_mut(), 0));
    batch.clear();
    batch
}

/// Where one round records (nothing during warm-up).
struct Rounds<'a> {
    alloc: Option<&'a mut Recorder>,
    free: Option<&'a mut Recorder>,
    first: Option<&'a mut crate::FirstCall>,
}

#[allow(clippy::too_many_arguments)]
fn round<A: Allocator, C: Clock>(
    case: &Case,
    reverse: bool,
    alloc: &mut A,
    clock: &mut C,
    rng: &mut Stream,
    batch: &mut Vec<(*mut u8, usize)>,
    rec: &mut Rounds<'_>,
    round: u64,
) -> Result<(), RunError> {
    batch.clear();
    for i in 0..case.blocks {
        let size = case.size.draw(rng);
        let (ptr, ticks) = timed_alloc(alloc, clock, size);
        if ptr.is_null() {
            free_all(alloc, batch);
            return Err(exhausted(round * case.blocks as u64 * 2 + i as u64, size));
        }
        batch.push((touch(ptr, size), size));
        let ns = clock.ticks_to_ns(ticks);
        if let Some(first) = rec.first.as_deref_mut().filter(|_| i == 0) {
            first.alloc_ns = ns;
        }
        if let Some(hist) = rec.alloc.as_deref_mut() {
            hist.record(ns);
        }
    }
    let mut free_one = |i: usize, (ptr, size): (*mut u8, usize)| {
        // SAFETY: every batch entry came from `alloc(size)` this round and is
        // freed exactly once.
        let ticks = unsafe { timed_free(alloc, clock, ptr, size) };
        let ns = clock.ticks_to_ns(ticks);
        if let Some(first) = rec.first.as_deref_mut().filter(|_| i == 0) {
            first.free_ns = ns;
        }
        if let Some(hist) = rec.free.as_deref_mut() {
            hist.record(ns);
        }
    };
    if reverse {
        for (i, &block) in batch.iter().rev().enumerate() {
            free_one(i, block);
        }
    } else {
        for (i, &block) in batch.iter().enumerate() {
            free_one(i, block);
        }
    }
    batch.clear();
    Ok(())
}

/// Frees what a failed round had allocated (untimed).
fn free_all<A: Allocator>(alloc: &mut A, batch: &mut Vec<(*mut u8, usize)>) {
    for (ptr, size) in batch.drain(..) {
        // SAFETY: each entry came from `alloc(size)` and was not freed yet.
        unsafe { alloc.free(ptr, size) };
    }
}
