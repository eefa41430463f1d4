//! `hot-path` and `size-sweep`: alloc then free the same size, back to back.

use crate::rng::Stream;
use crate::{exhausted, timed_alloc, timed_free, touch};
use crate::{
    Allocator, Case, Clock, LiveSet, Observer, Outcome, Phase, RunError, Windows, PROGRESS_EVERY,
};

pub(crate) fn run<A: Allocator, C: Clock, O: Observer>(
    case: &Case,
    alloc: &mut A,
    clock: &mut C,
    observer: &mut O,
) -> Result<Outcome, RunError> {
    let mut out = Outcome::new();
    let mut rng = Stream::new(case.seed);

    let size = case.size.draw(&mut rng);
    let (ptr, alloc_ticks) = timed_alloc(alloc, clock, size);
    if ptr.is_null() {
        return Err(exhausted(0, size));
    }
    let ptr = touch(ptr, size);
    // SAFETY: `ptr` came from `alloc(size)` just above.
    let free_ticks = unsafe { timed_free(alloc, clock, ptr, size) };
    out.first_call.alloc_ns = clock.ticks_to_ns(alloc_ticks);
    out.first_call.free_ns = clock.ticks_to_ns(free_ticks);

    for op in 0..case.warmup_ops() {
        pair(alloc, clock, &mut rng, case, op)?;
    }
    let mut windows = Windows::for_case(case);
    observer.phase(Phase::RecordingStarts);
    windows.start(clock);
    for done in 1..=case.ops {
        let (alloc_ticks, free_ticks) = pair(alloc, clock, &mut rng, case, done - 1)?;
        windows.alloc.record(clock.ticks_to_ns(alloc_ticks));
        windows.free.record(clock.ticks_to_ns(free_ticks));
        if windows.due(done) {
            windows.cut(done, clock, observer, &mut out, LiveSet::default());
        }
        if done % PROGRESS_EVERY == 0 {
            observer.progress(done, case.ops);
        }
    }
    observer.phase(Phase::RecordingEnds);
    observer.progress(case.ops, case.ops);
    out.ops = 2 * case.ops;
    if let Some(min_ns) = observer.batch_ns() {
        let pairs = crate::batched::pairs(case, alloc, clock, observer, &mut rng, min_ns)?;
        out.batched.push(pairs);
    }
    Ok(out)
}

/// One alloc + free pair; returns the ticks of each call.
#[inline(always)]
fn pair<A: Allocator, C: Clock>(
    alloc: &mut A,
    clock: &mut C,
    rng: &mut Stream,
    case: &Case,
    op: u64,
) -> Result<(u64, u64), RunError> {
    let size = case.size.draw(rng);
    let (ptr, alloc_ticks) = timed_alloc(alloc, clock, size);
    if ptr.is_null() {
        return Err(exhausted(op, size));
    }
    let ptr = touch(ptr, size);
    // SAFETY: `ptr` came from `alloc(size)` just above and is freed once.
    let free_ticks = unsafe { timed_free(alloc, clock, ptr, size) };
    Ok((alloc_ticks, free_ticks))
}
