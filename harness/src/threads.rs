//! One case on N threads at once (`--threads`, hot-path and churn): each
//! thread runs the whole case with its own recorders and its own seed, and
//! all of them enter their recorded phase together (a barrier after the
//! warm-up), so the allocator sees N callers at the same time. PMAD and TLSF
//! get one pool per thread (shared-nothing, their intended deployment); the
//! general allocators share their one heap, as in real programs.
//!
//! No progress bar, churn window log or syscall markers here: the figures
//! are the merged histograms (plus each thread's, kept in the raw output)
//! and each thread's faults and context switches, summed.

use crate::alloc::{self, Measured, Name, Setup};
use crate::clock::Timer;
use crate::usage::{PhaseMeter, PhaseUsage};
use std::sync::Barrier;
use workloads::{Case, Observer, Outcome, Phase};

/// What one thread sees: the shared start line, then its own meter.
struct ThreadObserver<'a> {
    start: &'a Barrier,
    meter: PhaseMeter,
}

impl Observer for ThreadObserver<'_> {
    fn phase(&mut self, phase: Phase) {
        match phase {
            Phase::RecordingStarts => {
                self.start.wait();
                self.meter.start();
            }
            Phase::RecordingEnds => self.meter.finish(),
        }
    }
}

/// The case as thread `i` runs it: the same, with a seed of its own.
pub fn thread_case(case: &Case, i: usize) -> Case {
    let mut c = case.clone();
    c.seed = case
        .seed
        .wrapping_add((i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    c
}

/// The CPU for thread `i`: the pinned CPU first, then the next allowed ones
/// in turn; None when nothing is pinned.
pub fn cpu_for(i: usize, pinned: Option<usize>, allowed: &[usize]) -> Option<usize> {
    let start = allowed.iter().position(|&c| Some(c) == pinned)?;
    Some(allowed[(start + i) % allowed.len()])
}

/// One case on `n` threads.
pub struct Threaded {
    /// Every thread's histograms added together (ops summed; first calls of thread 0).
    pub merged: Outcome,
    pub per_thread: Vec<Outcome>,
    /// Faults and context switches summed over the threads; RSS of thread 0's reads.
    pub usage: Option<PhaseUsage>,
}

#[allow(clippy::too_many_arguments)]
pub fn run(
    name: Name,
    case: &Case,
    n: usize,
    timer: Timer,
    setup: Setup,
    pinned: Option<usize>,
    allowed: &[usize],
) -> Result<Threaded, String> {
    let start = Barrier::new(n);
    let results: Vec<Result<(Measured, Option<PhaseUsage>), String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let start = &start;
                let case = thread_case(case, i);
                s.spawn(move || {
                    if let Some(cpu) = cpu_for(i, pinned, allowed) {
                        crate::runtime::set_affinity(&[cpu]);
                    }
                    let mut timer = timer;
                    let mut observer = ThreadObserver {
                        start,
                        meter: PhaseMeter::default(),
                    };
                    let measured = alloc::run_case(name, &case, &mut timer, &mut observer, setup);
                    measured.map(|m| (m, observer.meter.result()))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("a measuring thread panicked".into()))
            })
            .collect()
    });
    let mut per_thread = Vec::with_capacity(n);
    let mut usages = Vec::with_capacity(n);
    for (i, r) in results.into_iter().enumerate() {
        let (m, u) = r.map_err(|e| format!("thread {i}: {e}"))?;
        per_thread.push(m.outcome);
        usages.push(u);
    }
    let mut merged = per_thread[0].clone();
    for o in &per_thread[1..] {
        merged.alloc.add(&o.alloc);
        merged.free.add(&o.free);
        merged.ops += o.ops;
    }
    Ok(Threaded {
        merged,
        per_thread,
        usage: sum_usage(&usages),
    })
}

/// Faults and switches added up; RSS as thread 0 read it (it is the process's).
fn sum_usage(usages: &[Option<PhaseUsage>]) -> Option<PhaseUsage> {
    let all: Vec<PhaseUsage> = usages.iter().copied().collect::<Option<Vec<_>>>()?;
    let mut total = *all.first()?;
    for u in &all[1..] {
        total.minor_faults += u.minor_faults;
        total.major_faults += u.major_faults;
        total.voluntary_ctx_switches += u.voluntary_ctx_switches;
        total.involuntary_ctx_switches += u.involuntary_ctx_switches;
        total.rss_peak_kb = total.rss_peak_kb.max(u.rss_peak_kb);
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use workloads::{Kind, SizeSpec};

    #[test]
    fn threads_take_the_pinned_cpu_then_the_next_ones() {
        assert_eq!(cpu_for(0, Some(2), &[0, 1, 2, 3]), Some(2));
        assert_eq!(cpu_for(1, Some(2), &[0, 1, 2, 3]), Some(3));
        assert_eq!(cpu_for(2, Some(2), &[0, 1, 2, 3]), Some(0));
        assert_eq!(cpu_for(1, None, &[0, 1]), None);
    }

    #[test]
    fn every_thread_runs_the_whole_case_with_its_own_seed() {
        let case = Case {
            kind: Kind::Churn,
            size: SizeSpec::Mixed,
            ops: 20_000,
            blocks: 1,
            max_live: 500,
            seed: 7,
        };
        assert_eq!(thread_case(&case, 0), case);
        assert_ne!(thread_case(&case, 1).seed, case.seed);
        let (timer, _) = crate::clock::calibrate();
        let t = run(Name::Null, &case, 3, timer, Setup::default(), None, &[0]).unwrap();
        assert_eq!(t.per_thread.len(), 3);
        assert_eq!(t.merged.ops, 3 * 20_000);
        assert_eq!(
            t.merged.alloc.len() + t.merged.free.len(),
            t.per_thread
                .iter()
                .map(|o| o.alloc.len() + o.free.len())
                .sum::<u64>()
        );
        assert!(t.usage.is_some());
    }
}
