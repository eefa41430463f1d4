//! Measuring one (case, allocator) and nothing else: on one thread with the
//! progress bar, churn's interval-log writer and the phase meter, or on
//! several threads at once. Each returns one [`Done`]; the files it has
//! started are [`Partial`]s, removed if the `Done` is dropped unwritten (an
//! error anywhere later), so no early return can leave one behind.

use crate::alloc::{self, Setup};
use crate::cli::RunArgs;
use crate::clock::Timer;
use crate::failure::Failure;
use crate::memory::{MemoryLog, WindowMemory};
use crate::names::Name;
use crate::names::WorkloadName;
use crate::platform::Environment;
use crate::results::hlog;
use crate::results::hlog::HlogFile;
use crate::results::series::files_workload;
use crate::results::series::{Raw, SeriesId};
use crate::results::sink::{Partial, Sink};
use crate::stats::Intervals;
use crate::tasks::{Progress, WindowWriter};
use crate::usage::{PhaseMeter, PhaseUsage};
use crate::{format, syscalls, threads};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::time::{Duration, Instant, SystemTime};
use workloads::{Case, Kind, Observer, Op, Outcome, Phase, Window, Windows};

/// One measured (case, allocator) with its files.
pub struct Done {
    pub workload: WorkloadName,
    /// Threads that ran the case at once.
    pub threads: u32,
    /// Each thread's histograms when threads > 1 (merged into `outcome`).
    pub per_thread: Vec<Outcome>,
    pub allocator: Name,
    pub case: Case,
    pub outcome: Outcome,
    pub pmad: Option<alloc::PmadReport>,
    pub tlsf: Option<alloc::TlsfReport>,
    /// The finished interval logs, one per op, still under their temporary
    /// names: removed if this is dropped before they are committed.
    pub hlogs: Vec<Partial>,
    /// The same intervals, compacted for the bootstrap (empty for a kept null case).
    pub intervals: Vec<(Op, Intervals)>,
    /// Churn's live set and RSS per window.
    pub memory: Vec<WindowMemory>,
    pub elapsed: Duration,
    /// Faults, context switches and RSS of the recorded phase.
    pub usage: Option<PhaseUsage>,
    /// A null row whose files and rows an earlier run already wrote: this
    /// run's floor is used for its own net figures and recorded in
    /// meta.json, and the earlier files stay.
    pub keep_earlier: bool,
}

/// An allocator a case cannot run on, and why (in the tables and meta.json,
/// never silently absent).
pub struct NotApplicable {
    pub allocator: Name,
    pub workload: WorkloadName,
    pub reason: String,
}

/// Why `allocator` cannot run `case` on `threads`, if it cannot:
/// producer-consumer and a threaded replay free blocks on another thread;
/// a fixed pool may not serve a replayed trace's sizes or alignments.
pub fn not_applicable(allocator: Name, case: &Case, threads: u32) -> Option<String> {
    match case.kind {
        Kind::Handoff => alloc::cross_thread_frees(allocator).map(str::to_string),
        Kind::Replay(_) if threads > 1 => alloc::cross_thread_frees(allocator).map(str::to_string),
        Kind::Replay(trace) => alloc::cannot_replay(allocator, trace),
        _ => None,
    }
}

/// Feeds the progress bar and the case's interval logs. Both are
/// handed to helper threads: this runs inside the measured loop (between
/// timed calls) and must not allocate, format or write.
struct CaseObserver {
    progress: Progress,
    windows: Option<WindowWriter>,
    meter: PhaseMeter,
    /// Churn's live set and RSS at each window's end.
    memory: Option<MemoryLog>,
    /// The `--syscalls` marker of this case's phase start (preformatted).
    start_marker: String,
    /// The batched phase's shortest batch in ns, for the cases that have one.
    batch_ns: Option<u64>,
}

impl CaseObserver {
    /// The observer of `job`'s case: its bar, its window logs (none when
    /// an earlier run's files are kept), churn's memory log, its marker.
    fn start(job: &Job<'_>, run: &Run<'_>, logs: Option<Vec<(Op, HlogFile)>>) -> CaseObserver {
        let (c, env) = (job.case, run.env);
        let churn = c.kind == Kind::Churn;
        CaseObserver {
            progress: Progress::start(
                bar(run.args, job.label.clone()),
                env.pinned,
                &env.allowed_cpus,
            ),
            windows: logs.map(|logs| WindowWriter::start(logs, env.pinned, &env.allowed_cpus)),
            meter: PhaseMeter::default(),
            memory: (churn && !job.keep_earlier)
                .then(|| MemoryLog::new(Windows::for_case(c).count() as usize + 2)),
            start_marker: syscalls::start_line(
                job.allocator.as_str(),
                job.workload.as_str(),
                c.size.label(),
            ),
            batch_ns: c.kind.has_batched_phase().then_some(run.batch_ns),
        }
    }
}

impl Observer for CaseObserver {
    fn phase(&mut self, phase: Phase) {
        // The markers sit inside the meter's reads, so a trace counts
        // neither the meter's calls nor the marker's neighbours.
        match phase {
            Phase::RecordingStarts => {
                self.meter.start();
                syscalls::mark(&self.start_marker);
            }
            Phase::RecordingEnds => {
                syscalls::mark(syscalls::END);
                self.meter.finish();
            }
        }
    }

    fn progress(&mut self, done: u64, total: u64) {
        self.progress.update(done, total);
    }

    fn window(&mut self, w: &Window<'_>) {
        syscalls::mark(syscalls::OWN_BEGIN);
        if let Some(windows) = &self.windows {
            windows.push(w);
        }
        if let Some(memory) = &mut self.memory {
            memory.push(w);
        }
        syscalls::mark(syscalls::OWN_END);
    }

    fn batch_ns(&self) -> Option<u64> {
        self.batch_ns
    }
}

fn bar(args: &RunArgs, label: String) -> ProgressBar {
    let target = if args.no_progress {
        ProgressDrawTarget::hidden()
    } else {
        ProgressDrawTarget::stderr()
    };
    let bar = ProgressBar::with_draw_target(Some(0), target);
    bar.set_style(
        ProgressStyle::with_template(
            "{prefix:<28} [{bar:30}] {human_pos}/{human_len} ops {elapsed}",
        )
        .expect("static template")
        .progress_chars("=> "),
    );
    bar.set_prefix(label);
    bar
}

/// What every case of a run shares.
pub struct Run<'a> {
    pub args: &'a RunArgs,
    pub env: &'a Environment,
    pub sink: &'a Sink,
    pub setup: Setup,
    /// When the run started: the interval logs' base time.
    pub started: SystemTime,
    /// The batched phase's shortest batch: 1,000 clock steps, in ns.
    pub batch_ns: u64,
}

/// One case as the run sees it: which series, its label for messages, and
/// whether an earlier run's null files are kept.
pub struct Job<'a> {
    pub workload: WorkloadName,
    pub allocator: Name,
    pub case: &'a Case,
    pub threads: u32,
    pub label: String,
    pub keep_earlier: bool,
}

/// Runs `job` on its threads at once (each the whole case, histograms merged).
pub fn threaded(job: &Job<'_>, run: &Run<'_>, timer: Timer) -> Result<Done, Failure> {
    let (a, c, n) = (job.allocator, job.case, job.threads as usize);
    let env = run.env;
    let t0 = Instant::now();
    let on = threads::OnThreads {
        n,
        timer,
        pinned: env.pinned,
        allowed: &env.allowed_cpus,
        batch_ns: c.kind.has_batched_phase().then_some(run.batch_ns),
    };
    let t = match c.kind {
        Kind::Handoff => threads::run_ring(a, c, &on),
        Kind::Replay(trace) => threads::run_replay(a, c, trace, &on),
        _ => threads::run(a, c, run.setup, &on),
    }
    .map_err(|e| Failure::run(format!("{}: {e}; nothing was written", job.label)))?;
    crate::trace::replay::check(c, &t.merged, true).map_err(|e| {
        Failure::run(format!(
            "{}: the replay does not match its trace: {e}; nothing was written",
            job.label
        ))
    })?;
    let elapsed = t0.elapsed();
    let (hlogs, intervals) = if job.keep_earlier {
        (Vec::new(), Vec::new())
    } else {
        let hlogs = write_windows(job, run, &t.windows)?;
        let intervals = read_intervals(c, &hlogs)?;
        (hlogs, intervals)
    };
    eprintln!(
        "harness: {}: {} ops on {n} threads in {:.2} s",
        job.label,
        t.merged.ops,
        elapsed.as_secs_f64()
    );
    Ok(Done {
        workload: job.workload,
        threads: job.threads,
        per_thread: t.per_thread,
        allocator: a,
        case: c.clone(),
        outcome: t.merged,
        pmad: None,
        tlsf: None,
        hlogs,
        intervals,
        elapsed,
        usage: t.usage,
        memory: Vec::new(),
        keep_earlier: job.keep_earlier,
    })
}

/// A case's open interval logs (one per op) and their temporary files.
type WindowLogs = (Vec<(Op, HlogFile)>, Vec<Partial>);

/// The case's interval logs, one per op it records, opened under temporary
/// names.
fn open_window_logs(job: &Job<'_>, run: &Run<'_>) -> Result<WindowLogs, Failure> {
    let windows = Windows::for_case(job.case).count();
    let mut logs = Vec::new();
    let mut partials = Vec::new();
    for &op in job.case.kind.ops() {
        let path = SeriesId::new(
            job.allocator,
            job.workload,
            job.threads,
            job.case.size.label(),
            op,
        )
        .path(run.sink.dir(), Raw::Hlog);
        Sink::make_parent(&path).map_err(Failure::io)?;
        let comment = format!(
            "{} {} {} {}: {windows} intervals, consecutive windows of the recorded phase{}",
            job.allocator.as_str(),
            files_workload(job.workload, job.threads),
            format::size_tag(job.case.size.label()),
            op.name(),
            if job.threads > 1 {
                format!(
                    " (window k: every thread's window k added up, {} threads)",
                    job.threads
                )
            } else {
                String::new()
            }
        );
        let partial = Partial::new(&path);
        let log = HlogFile::create(partial.temporary(), &comment, run.started)
            .map_err(|e| Failure::io(format!("{}: {e}", path.display())))?;
        logs.push((op, log));
        partials.push(partial);
    }
    Ok((logs, partials))
}

/// A threaded case's interval logs, from the windows its threads kept.
pub(crate) fn write_windows(
    job: &Job<'_>,
    run: &Run<'_>,
    windows: &[threads::CaseWindow],
) -> Result<Vec<Partial>, Failure> {
    let (mut logs, partials) = open_window_logs(job, run)?;
    for (i, (_, log)) in logs.iter_mut().enumerate() {
        for w in windows {
            let start = Duration::from_nanos(w.start_ns);
            let length = Duration::from_nanos(w.end_ns.saturating_sub(w.start_ns));
            log.interval(w.recorders[i].histogram(), start, length)
                .map_err(|e| Failure::io(format!("{}: {e}", job.label)))?;
        }
    }
    for (_, log) in logs {
        log.finish()
            .map_err(|e| Failure::io(format!("{}: {e}", job.label)))?;
    }
    Ok(partials)
}

/// The interval logs just written (still under their temporary names), read
/// back for the bootstrap: the figures come from the files a reader gets.
pub(crate) fn read_intervals(
    case: &Case,
    hlogs: &[Partial],
) -> Result<Vec<(Op, Intervals)>, Failure> {
    case.kind
        .ops()
        .iter()
        .zip(hlogs)
        .map(|(&op, p)| {
            let hs = hlog::read(p.temporary()).map_err(|e| Failure::io(e.to_string()))?;
            Ok((op, Intervals::of(&hs.unwrap_or_default())))
        })
        .collect()
}

/// Runs a small hot-path case on the null allocator through everything a
/// measured case uses (the window hand-over, its histograms, the phase
/// meter, the batched phase) with nothing written: the first execution of
/// that code faults its pages in, and it should not do so inside the first
/// measured case.
pub fn warm_up(run: &Run<'_>, timer: &mut Timer) -> Result<(), Failure> {
    let env = run.env;
    let case = Case {
        kind: Kind::HotPath,
        size: workloads::SizeSpec::Fixed(64),
        ops: 20_000,
        blocks: 1,
        max_live: 1,
        seed: 1,
    };
    let mut observer = CaseObserver {
        progress: Progress::start(ProgressBar::hidden(), env.pinned, &env.allowed_cpus),
        windows: Some(WindowWriter::start(
            Vec::new(),
            env.pinned,
            &env.allowed_cpus,
        )),
        meter: PhaseMeter::default(),
        memory: None,
        // A phase of its own in a --syscalls trace, matched by no row.
        start_marker: syscalls::start_line("null", "warm-up", 64),
        batch_ns: Some(1000),
    };
    let measured = alloc::run_case(Name::Null, &case, timer, &mut observer, run.setup);
    observer.progress.finish();
    let written = observer.windows.map_or(Ok(()), WindowWriter::finish);
    measured.map_err(|e| Failure::run(format!("warming up: {e}")))?;
    written.map_err(|e| Failure::io(format!("warming up: {e}")))
}

/// Runs `job` on this thread, with the progress bar, churn's window log and
/// memory log, and the phase meter.
pub fn single(job: &Job<'_>, run: &Run<'_>, timer: &mut Timer) -> Result<Done, Failure> {
    let (a, c) = (job.allocator, job.case);
    let (logs, hlogs) = if job.keep_earlier {
        (None, Vec::new())
    } else {
        let (logs, partials) = open_window_logs(job, run)?;
        (Some(logs), partials)
    };
    let mut observer = CaseObserver::start(job, run, logs);
    let t0 = Instant::now();
    let measured = alloc::run_case(a, c, timer, &mut observer, run.setup);
    let elapsed = t0.elapsed();
    let CaseObserver {
        progress,
        windows,
        meter,
        memory,
        ..
    } = observer;
    progress.finish();
    let written = windows.map_or(Ok(()), WindowWriter::finish);
    // On either error `hlogs` is dropped here, and its files with it.
    let measured =
        measured.map_err(|e| Failure::run(format!("{}: {e}; nothing was written", job.label)))?;
    crate::trace::replay::check(c, &measured.outcome, false).map_err(|e| {
        Failure::run(format!(
            "{}: the replay does not match its trace: {e}; nothing was written",
            job.label
        ))
    })?;
    written.map_err(|e| Failure::io(format!("{}: {e}", job.label)))?;
    let intervals = read_intervals(c, &hlogs)?;
    eprintln!(
        "harness: {}: {} ops in {:.2} s",
        job.label,
        measured.outcome.ops,
        elapsed.as_secs_f64()
    );
    Ok(Done {
        workload: job.workload,
        threads: job.threads,
        per_thread: Vec::new(),
        allocator: a,
        case: c.clone(),
        outcome: measured.outcome,
        pmad: measured.pmad,
        tlsf: measured.tlsf,
        hlogs,
        intervals,
        elapsed,
        usage: meter.result(),
        memory: memory.map_or_else(Vec::new, MemoryLog::into_windows),
        keep_earlier: job.keep_earlier,
    })
}
