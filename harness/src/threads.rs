//! One case on N threads at once (`--threads`, hot-path and churn): each
//! thread runs the whole case with its own recorders and its own seed, and
//! all of them enter their recorded phase together (a barrier after the
//! warm-up), so the allocator sees N callers at the same time. PMAD and TLSF
//! get one pool per thread (shared-nothing, their intended deployment); the
//! general allocators share their one heap, as in real programs.
//!
//! producer-consumer runs here too, as a ring: thread i hands its blocks to
//! thread i + 1 over a bounded lock-free queue ([`Link`]), which frees them.
//! So does a threaded replay: recorded thread i on thread i, the blocks in
//! one table they share ([`workloads::replay::Table`]).
//!
//! No progress bar, churn memory log or syscall markers here: the figures
//! are the merged histograms (plus each thread's, kept in the raw output),
//! each thread's faults and context switches, summed, and the windows:
//! each thread keeps copies of its own in memory made before the start, and
//! window k of the case is every thread's window k added up.

use crate::alloc::{self, Setup};
use crate::clock::Timer;
use crate::names::Name;
use crate::usage::{PhaseMeter, PhaseUsage};
use crossbeam_queue::ArrayQueue;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Barrier;
use workloads::handoff::Mailbox;
use workloads::{Case, Observer, Op, Outcome, Phase, Recorder, Window, Windows};

/// Where the threads of one case meet: the start of recording, its end (so
/// that no thread's batched phase runs beside another's recorded one), and
/// the batched phase's K, which all take the largest of.
pub struct Meeting {
    start: Barrier,
    end: Barrier,
    agree: Barrier,
    ops_per_batch: AtomicU64,
}

impl Meeting {
    fn new(n: usize) -> Meeting {
        Meeting {
            start: Barrier::new(n),
            end: Barrier::new(n),
            agree: Barrier::new(n),
            ops_per_batch: AtomicU64::new(0),
        }
    }
}

/// What one thread sees: the shared meeting points, then its own meter and
/// windows.
pub struct ThreadObserver<'a> {
    meeting: &'a Meeting,
    /// Which meeting points this thread has passed: start, end, agreement.
    passed: [bool; 3],
    /// The batched phase's shortest batch, when the case has one.
    batch_ns: Option<u64>,
    meter: PhaseMeter,
    ops: &'static [Op],
    /// Copies of this thread's windows, made (and written) before the start
    /// so that copying into them never allocates or faults.
    windows: Vec<CaseWindow>,
    filled: usize,
}

/// One window of a case: its times (ns since the start of recording) and a
/// histogram per op, in the order of `Kind::ops`.
#[derive(Clone)]
pub struct CaseWindow {
    pub start_ns: u64,
    pub end_ns: u64,
    pub recorders: Vec<Recorder>,
}

impl CaseWindow {
    fn empty(ops: usize) -> CaseWindow {
        CaseWindow {
            start_ns: 0,
            end_ns: 0,
            recorders: (0..ops).map(|_| Recorder::new()).collect(),
        }
    }
}

impl Observer for ThreadObserver<'_> {
    fn phase(&mut self, phase: Phase) {
        match phase {
            Phase::RecordingStarts => {
                self.meeting.start.wait();
                self.passed[0] = true;
                self.meter.start();
            }
            Phase::RecordingEnds => {
                self.meter.finish();
                self.meeting.end.wait();
                self.passed[1] = true;
            }
        }
    }

    fn batch_ns(&self) -> Option<u64> {
        self.batch_ns
    }

    fn ops_per_batch(&mut self, k: u64) -> u64 {
        let agreed = &self.meeting.ops_per_batch;
        agreed.fetch_max(k, Ordering::AcqRel);
        // Every thread has offered its K once all have arrived.
        self.meeting.agree.wait();
        self.passed[2] = true;
        agreed.load(Ordering::Acquire)
    }

    fn window(&mut self, w: &Window<'_>) {
        let Some(mine) = self.windows.get_mut(self.filled) else {
            return;
        };
        mine.start_ns = w.start_ns;
        mine.end_ns = w.end_ns;
        for (r, &op) in mine.recorders.iter_mut().zip(self.ops) {
            r.add(w.recorder(op));
        }
        self.filled += 1;
    }
}

/// One producer-consumer link: a bounded queue written before the run (no
/// allocation on send or receive), and a flag either end sets when it stops
/// early.
pub struct Link {
    queue: ArrayQueue<(usize, usize)>,
    closed: AtomicBool,
}

impl Link {
    pub fn new(depth: usize) -> Link {
        Link {
            queue: ArrayQueue::new(depth.max(1)),
            closed: AtomicBool::new(false),
        }
    }
}

impl Mailbox for Link {
    #[inline(always)]
    fn send(&self, ptr: *mut u8, size: usize) -> bool {
        self.queue.push((ptr as usize, size)).is_ok()
    }

    #[inline(always)]
    fn receive(&self) -> Option<(*mut u8, usize)> {
        self.queue.pop().map(|(p, s)| (p as *mut u8, s))
    }

    fn close(&self) {
        self.closed.store(true, Ordering::Release);
    }

    fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
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
    /// Window k: every thread's window k added up, from the earliest start
    /// to the latest end.
    pub windows: Vec<CaseWindow>,
}

/// How a case runs on threads: how many, timed how, where, and the
/// batched phase's shortest batch when the case has one.
pub struct OnThreads<'a> {
    pub n: usize,
    pub timer: Timer,
    pub pinned: Option<usize>,
    pub allowed: &'a [usize],
    pub batch_ns: Option<u64>,
}

/// One case on `on.n` threads, each running the whole case.
pub fn run(name: Name, case: &Case, setup: Setup, on: &OnThreads<'_>) -> Result<Threaded, String> {
    on_threads(case, on, |i, timer, observer| {
        alloc::run_case(name, &thread_case(case, i), timer, observer, setup).map(|m| m.outcome)
    })
}

/// producer-consumer on `on.n` threads in a ring: thread i sends to i + 1.
pub fn run_ring(name: Name, case: &Case, on: &OnThreads<'_>) -> Result<Threaded, String> {
    let n = on.n;
    let links: Vec<Link> = (0..n).map(|_| Link::new(case.blocks)).collect();
    on_threads(case, on, |i, timer, observer| {
        let inbox = &links[(i + n - 1) % n];
        let outbox = &links[i];
        alloc::run_handoff(
            name,
            &thread_case(case, i),
            timer,
            observer,
            (inbox, outbox),
        )
    })
}

/// A trace's recorded threads, each replayed on a thread of its own
/// (`on.n` is the trace's thread count), sharing one table of live blocks.
pub fn run_replay(
    name: Name,
    case: &Case,
    trace: &workloads::replay::Trace,
    on: &OnThreads<'_>,
) -> Result<Threaded, String> {
    let table = workloads::replay::Table::new(trace, true);
    on_threads(case, on, |i, timer, observer| {
        alloc::run_replay_thread(name, (trace, i as u32), &table, timer, observer)
    })
}

/// What one measuring thread ends with.
type Ended = (Outcome, Option<PhaseUsage>, Vec<CaseWindow>);

/// Runs `body` on `on.n` pinned threads that share their meeting points,
/// and merges what they recorded.
fn on_threads<F>(case: &Case, on: &OnThreads<'_>, body: F) -> Result<Threaded, String>
where
    F: Fn(usize, &mut Timer, &mut ThreadObserver<'_>) -> Result<Outcome, String> + Sync,
{
    let n = on.n;
    let meeting = Meeting::new(n);
    let (ops, count) = (case.kind.ops(), Windows::for_case(case).count() as usize);
    let results: Vec<Result<Ended, String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let (meeting, body) = (&meeting, &body);
                s.spawn(move || {
                    if let Some(cpu) = cpu_for(i, on.pinned, on.allowed) {
                        crate::platform::set_affinity(&[cpu]);
                    }
                    let mut timer = on.timer;
                    let mut observer = ThreadObserver {
                        meeting,
                        passed: [false; 3],
                        batch_ns: on.batch_ns,
                        meter: PhaseMeter::default(),
                        ops,
                        windows: vec![CaseWindow::empty(ops.len()); count],
                        filled: 0,
                    };
                    let outcome = body(i, &mut timer, &mut observer);
                    observer.release_the_others();
                    observer.windows.truncate(observer.filled);
                    outcome.map(|o| (o, observer.meter.result(), observer.windows))
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
    merge(results)
}

/// Every thread's outcome, usage and windows merged into the case's; the
/// first thread's error, named by its index, if any failed.
fn merge(results: Vec<Result<Ended, String>>) -> Result<Threaded, String> {
    let n = results.len();
    let mut per_thread = Vec::with_capacity(n);
    let mut usages = Vec::with_capacity(n);
    let mut windows: Vec<CaseWindow> = Vec::new();
    for (i, r) in results.into_iter().enumerate() {
        let (o, u, w) = r.map_err(|e| format!("thread {i}: {e}"))?;
        per_thread.push(o);
        usages.push(u);
        add_windows(&mut windows, w, i == 0);
    }
    let mut merged = per_thread[0].clone();
    for o in &per_thread[1..] {
        merged.add(o);
    }
    Ok(Threaded {
        merged,
        per_thread,
        usage: sum_usage(&usages),
        windows,
    })
}

impl ThreadObserver<'_> {
    /// A thread that stopped early meets the others at every point it did
    /// not reach, so none waits for it forever. Every thread of a case runs
    /// the same loop, so the others pass each point once: the agreement
    /// only when the case has a batched phase.
    fn release_the_others(&self) {
        let m = self.meeting;
        let points = [&m.start, &m.end, &m.agree];
        for (i, point) in points.into_iter().enumerate() {
            if !self.passed[i] && (i < 2 || self.batch_ns.is_some()) {
                point.wait();
            }
        }
    }
}

/// Adds one thread's windows into the case's (the first thread's are taken as they are).
fn add_windows(total: &mut Vec<CaseWindow>, thread: Vec<CaseWindow>, first: bool) {
    if first {
        *total = thread;
        return;
    }
    for (t, w) in total.iter_mut().zip(thread) {
        t.start_ns = t.start_ns.min(w.start_ns);
        t.end_ns = t.end_ns.max(w.end_ns);
        for (a, b) in t.recorders.iter_mut().zip(&w.recorders) {
            a.add(b);
        }
    }
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

    fn on(n: usize, timer: Timer, batch_ns: Option<u64>) -> OnThreads<'static> {
        OnThreads {
            n,
            timer,
            pinned: None,
            allowed: &[0],
            batch_ns,
        }
    }

    /// Every thread runs the batched phase with the K all agreed on, and
    /// the merged phase pools every thread's batches.
    #[test]
    fn threads_agree_on_one_k_and_their_batches_are_pooled() {
        let _alone = crate::usage::METER_TESTS
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let (timer, _) = crate::clock::calibrate();
        let batches = workloads::batched::BATCHES;
        for (kind, blocks) in [(Kind::HotPath, 1), (Kind::Churn, 1), (Kind::Handoff, 64)] {
            let case = Case {
                kind,
                size: SizeSpec::Fixed(64),
                ops: 20_000,
                blocks,
                max_live: 100,
                seed: 5,
            };
            let t = if kind == Kind::Handoff {
                run_ring(Name::Null, &case, &on(3, timer, Some(2_000)))
            } else {
                run(
                    Name::Null,
                    &case,
                    Setup::default(),
                    &on(3, timer, Some(2_000)),
                )
            }
            .unwrap();
            let phases = t.merged.batched.len();
            assert_eq!(phases, if kind == Kind::Handoff { 2 } else { 1 });
            for (p, merged) in t.merged.batched.iter().enumerate() {
                assert_eq!(merged.batch_ns.len(), 3 * batches, "{kind:?}");
                assert_eq!(merged.empty_ns.len(), 3 * batches, "{kind:?}");
                for o in &t.per_thread {
                    assert_eq!(o.batched[p].ops_per_batch, merged.ops_per_batch);
                }
            }
        }
    }

    /// Where a thread stops early: before the start line, between the end
    /// of recording and the agreement on K, or after the agreement.
    #[derive(Clone, Copy, Debug)]
    enum Stop {
        BeforeStart,
        BeforeAgreement,
        AfterAgreement,
    }

    /// One thread of three stops early at each point, with a batched phase
    /// asked for: the others run their case to its end (none waits for it
    /// forever), and the run names the thread that stopped.
    #[test]
    fn a_thread_that_stops_early_releases_the_others_at_every_meeting_point() {
        let _alone = crate::usage::METER_TESTS
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let (timer, _) = crate::clock::calibrate();
        let case = Case {
            kind: Kind::HotPath,
            size: SizeSpec::Fixed(64),
            ops: 5_000,
            blocks: 1,
            max_live: 1,
            seed: 9,
        };
        for stop in [
            Stop::BeforeStart,
            Stop::BeforeAgreement,
            Stop::AfterAgreement,
        ] {
            let finished = AtomicU64::new(0);
            let result = on_threads(&case, &on(3, timer, Some(2_000)), |i, timer, observer| {
                if i == 1 {
                    if !matches!(stop, Stop::BeforeStart) {
                        observer.phase(Phase::RecordingStarts);
                        observer.phase(Phase::RecordingEnds);
                    }
                    if matches!(stop, Stop::AfterAgreement) {
                        observer.ops_per_batch(1);
                    }
                    return Err(format!("stopped {stop:?}"));
                }
                let out = alloc::run_case(Name::Null, &case, timer, observer, Setup::default());
                finished.fetch_add(1, Ordering::Relaxed);
                out.map(|m| m.outcome)
            });
            let err = result.err().expect("a thread stopped");
            assert!(err.starts_with("thread 1: stopped"), "{err}");
            assert_eq!(finished.load(Ordering::Relaxed), 2, "{stop:?}");
        }
    }

    #[test]
    fn threads_take_the_pinned_cpu_then_the_next_ones() {
        assert_eq!(cpu_for(0, Some(2), &[0, 1, 2, 3]), Some(2));
        assert_eq!(cpu_for(1, Some(2), &[0, 1, 2, 3]), Some(3));
        assert_eq!(cpu_for(2, Some(2), &[0, 1, 2, 3]), Some(0));
        assert_eq!(cpu_for(1, None, &[0, 1]), None);
    }

    #[test]
    fn every_thread_runs_the_whole_case_with_its_own_seed() {
        let _alone = crate::usage::METER_TESTS
            .lock()
            .unwrap_or_else(|e| e.into_inner());
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
        let t = run(Name::Null, &case, Setup::default(), &on(3, timer, None)).unwrap();
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

    #[test]
    fn a_ring_frees_every_block_on_the_next_thread_and_refuses_single_threaded_pools() {
        let _alone = crate::usage::METER_TESTS
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let case = Case {
            kind: Kind::Handoff,
            size: SizeSpec::Fixed(64),
            ops: 50_000,
            blocks: 32,
            max_live: 1,
            seed: 3,
        };
        let (timer, _) = crate::clock::calibrate();
        let t = run_ring(Name::Null, &case, &on(3, timer, None)).unwrap();
        assert_eq!(t.per_thread.len(), 3);
        for o in &t.per_thread {
            assert_eq!((o.alloc.len(), o.free.len()), (50_000, 50_000));
        }
        assert_eq!(t.merged.free.len(), 150_000);
        #[cfg(feature = "system")]
        {
            let t = run_ring(Name::System, &case, &on(2, timer, None)).unwrap();
            assert_eq!(t.merged.alloc.len(), 100_000);
            assert_eq!(t.merged.free.len(), 100_000);
        }
        for name in [Name::Pmad, Name::Tlsf] {
            let err = run_ring(name, &case, &on(2, timer, None)).err().unwrap();
            assert!(err.contains("not applicable"), "{err}");
        }
    }
}
