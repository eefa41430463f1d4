//! One measuring run: every case of the plan on every allocator (the null
//! row first), then the results written atomically and the tables printed.

use crate::alloc::{self, Name, Setup};
use crate::cli::RunArgs;
use crate::clock::{self, TimerInfo};
use crate::helpers::{Progress, WindowWriter};
use crate::memory::{self, MemoryLog, WindowMemory};
use crate::output::hlog::HlogFile;
use crate::output::series::{files_workload, memory_csv, SeriesId};
use crate::output::sink::Sink;
use crate::output::summary::{self, Figures, Floor, Key, Row};
use crate::output::{hgrm, meta};
use crate::plan::{Plan, Workload};
use crate::threads;
use crate::usage::{PhaseMeter, PhaseUsage};
use crate::{syscalls, table, Failure};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};
use workloads::{Case, Observer, Op, Outcome, Phase, Window};

/// One measured (case, allocator) with its files.
struct Done {
    workload: &'static str,
    /// Threads that ran the case at once.
    threads: u32,
    /// Each thread's histograms when threads > 1 (merged into `outcome`).
    per_thread: Vec<Outcome>,
    allocator: Name,
    case: Case,
    outcome: Outcome,
    pmad: Option<alloc::PmadReport>,
    tlsf: Option<alloc::TlsfReport>,
    /// Finished partial .hlog files: (partial, final), alloc then free.
    hlogs: Vec<(PathBuf, PathBuf)>,
    /// Churn's live set and RSS per window.
    memory: Vec<WindowMemory>,
    elapsed: Duration,
    /// Faults, context switches and RSS of the recorded phase.
    usage: Option<PhaseUsage>,
    /// A null row whose files and rows an earlier run already wrote: this
    /// run's floor is used for its own net figures and recorded in
    /// meta.json, and the earlier files stay.
    keep_earlier: bool,
}

/// An allocator a case cannot run on, and why (in the tables and meta.json,
/// never silently absent).
struct NotApplicable {
    allocator: Name,
    workload: &'static str,
    reason: &'static str,
}

/// Why `allocator` cannot run `case`, if it cannot: producer-consumer
/// frees every block on another thread.
fn not_applicable(allocator: Name, case: &Case) -> Option<&'static str> {
    (case.kind == workloads::Kind::Handoff)
        .then(|| alloc::cross_thread_frees(allocator))
        .flatten()
}

/// Feeds the progress bar and the churn windows' interval logs. Both are
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

/// What the process set up before measuring, for meta.json.
pub struct Environment {
    pub pinned: Option<usize>,
    /// The affinity mask before `--cpu` narrowed it.
    pub allowed_cpus: Vec<usize>,
    pub mlock: Result<(), String>,
    pub fifo: Option<Result<i32, String>>,
}

/// Measures the plan into `sink` (opened, and so proven writable, before
/// anything else ran).
pub fn execute(args: &RunArgs, plan: &Plan, sink: Sink, env: Environment) -> Result<(), Failure> {
    let previous = previous_summary(&sink, args.force)?;
    let kept = kept_null_cases(plan, &sink, &previous, args.force);
    let mut planned: Vec<PathBuf> = Vec::new();
    for (w, a, c) in series(plan) {
        let threads = plan.threads_for(w.name);
        let fw = files_workload(w.name, threads);
        if a == Name::Null && kept.contains(&(fw.clone(), c.size.label())) {
            continue;
        }
        if not_applicable(a, c).is_some() {
            continue;
        }
        for op in c.kind.ops().iter().map(|op| op.name()) {
            let id = SeriesId::new(a.as_str(), w.name, threads, c.size.label(), op);
            for ext in ["hgrm", "hlog"] {
                planned.push(id.path(sink.dir(), ext));
            }
            if threads > 1 {
                for i in 0..threads as usize {
                    planned.push(id.thread_hgrm(sink.dir(), i));
                }
            }
        }
        if c.kind == workloads::Kind::Churn && threads == 1 {
            planned.push(memory_csv(sink.dir(), a.as_str(), c.size.label()));
        }
    }
    sink.check_free(&planned).map_err(Failure::usage)?;

    let (mut timer, timer_info) = clock::calibrate();
    eprintln!(
        "harness: timer {} at {:.4} GHz, resolution {:.2} ns ({}), invariant: {:?}",
        timer_info.source,
        timer_info.ticks_per_second / 1e9,
        timer_info.resolution_ns,
        timer_info.sequence,
        timer_info.invariant
    );
    let run_id = format!(
        "{}-{}",
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        std::process::id()
    );
    let started = SystemTime::now();
    let setup = Setup { mlock: args.mlock };

    let mut done: Vec<Done> = Vec::new();
    let mut skipped: Vec<NotApplicable> = Vec::new();
    let cleanup = |done: &[Done]| {
        for d in done {
            for (partial, _) in &d.hlogs {
                let _ = std::fs::remove_file(partial);
            }
        }
    };
    for (w, a, c) in series(plan) {
        let threads = plan.threads_for(w.name);
        let fw = files_workload(w.name, threads);
        let label = format!("{} {} {}", fw, size_label(c.size.label()), a.as_str());
        let keep_earlier = a == Name::Null && kept.contains(&(fw.clone(), c.size.label()));
        if let Some(reason) = not_applicable(a, c) {
            eprintln!("harness: {label}: not applicable: {reason}");
            skipped.push(NotApplicable {
                allocator: a,
                workload: w.name,
                reason,
            });
            continue;
        }
        if threads > 1 {
            let t0 = Instant::now();
            let t = if c.kind == workloads::Kind::Handoff {
                threads::run_ring(a, c, threads as usize, timer, env.pinned, &env.allowed_cpus)
            } else {
                threads::run(
                    a,
                    c,
                    threads as usize,
                    timer,
                    setup,
                    env.pinned,
                    &env.allowed_cpus,
                )
            }
            .map_err(|e| {
                cleanup(&done);
                Failure::run(format!("{label}: {e}; nothing was written"))
            })?;
            let elapsed = t0.elapsed();
            eprintln!(
                "harness: {label}: {} ops on {threads} threads in {:.2} s",
                t.merged.ops,
                elapsed.as_secs_f64()
            );
            done.push(Done {
                workload: w.name,
                threads,
                per_thread: t.per_thread,
                allocator: a,
                case: c.clone(),
                outcome: t.merged,
                pmad: None,
                tlsf: None,
                hlogs: Vec::new(),
                elapsed,
                usage: t.usage,
                memory: Vec::new(),
                keep_earlier,
            });
            continue;
        }
        let logs = if c.kind == workloads::Kind::Churn && !keep_earlier {
            let open = |op: &str| {
                let path = SeriesId::new(a.as_str(), w.name, 1, c.size.label(), op)
                    .path(sink.dir(), "hlog");
                Sink::make_parent(&path)?;
                let comment = format!(
                    "{} {} {} {op}: one interval per {} ops",
                    a.as_str(),
                    w.name,
                    size_label(c.size.label()),
                    workloads::WINDOW_OPS
                );
                HlogFile::create(&Sink::partial(&path), &comment, started)
                    .map_err(|e| format!("{}: {e}", path.display()))
            };
            match (open("alloc"), open("free")) {
                (Ok(x), Ok(y)) => Some([x, y]),
                (Err(e), _) | (_, Err(e)) => {
                    cleanup(&done);
                    return Err(Failure::io(e));
                }
            }
        } else {
            None
        };
        let progress = Progress::start(bar(args, label.clone()), env.pinned, &env.allowed_cpus);
        let windows = logs.map(|logs| WindowWriter::start(logs, env.pinned, &env.allowed_cpus));
        let mut observer = CaseObserver {
            progress,
            windows,
            meter: PhaseMeter::default(),
            memory: (c.kind == workloads::Kind::Churn && !keep_earlier)
                .then(|| MemoryLog::new((c.ops / workloads::WINDOW_OPS) as usize + 2)),
            start_marker: syscalls::start_line(a.as_str(), w.name, c.size.label()),
        };
        let t0 = Instant::now();
        let measured = alloc::run_case(a, c, &mut timer, &mut observer, setup);
        let elapsed = t0.elapsed();
        let CaseObserver {
            progress,
            windows,
            meter,
            memory,
            ..
        } = observer;
        progress.finish();
        let mut hlogs = Vec::new();
        let mut log_error = None;
        if let Some(windows) = windows {
            match windows.finish() {
                Ok(partials) => {
                    for (partial, op) in partials.into_iter().zip(["alloc", "free"]) {
                        let id = SeriesId::new(a.as_str(), w.name, 1, c.size.label(), op);
                        hlogs.push((partial, id.path(sink.dir(), "hlog")));
                    }
                }
                Err(e) => log_error = Some(e),
            }
        }
        let measured = match (measured, log_error) {
            (Ok(m), None) => m,
            (Err(e), _) => {
                cleanup(&done);
                for (p, _) in &hlogs {
                    let _ = std::fs::remove_file(p);
                }
                return Err(Failure::run(format!("{label}: {e}; nothing was written")));
            }
            (_, Some(e)) => {
                cleanup(&done);
                return Err(Failure::io(format!(
                    "{label}: writing the interval log: {e}"
                )));
            }
        };
        eprintln!(
            "harness: {label}: {} ops in {:.2} s",
            measured.outcome.ops,
            elapsed.as_secs_f64()
        );
        done.push(Done {
            workload: w.name,
            threads,
            per_thread: Vec::new(),
            allocator: a,
            case: c.clone(),
            outcome: measured.outcome,
            pmad: measured.pmad,
            tlsf: measured.tlsf,
            hlogs,
            elapsed,
            usage: meter.result(),
            memory: memory.map_or_else(Vec::new, MemoryLog::into_windows),
            keep_earlier,
        });
    }

    let calls = if args.syscalls {
        match syscalls::count() {
            Ok(c) => c,
            Err(e) => {
                cleanup(&done);
                return Err(Failure::run(format!("{e}; nothing was written")));
            }
        }
    } else {
        Vec::new()
    };
    let rows = rows(&done, &timer_info, &run_id, &calls);
    let result = write_all(
        &sink,
        &done,
        &skipped,
        &rows,
        previous,
        &timer_info,
        &run_id,
        started,
        args,
        &env,
    );
    cleanup(&done);
    result?;

    for w in &plan.workloads {
        let these: Vec<&Row> = rows.iter().filter(|r| r.workload == w.name).collect();
        println!("{}", table::render(w.name, &these));
        for n in skipped.iter().filter(|n| n.workload == w.name) {
            println!("{:<9} not applicable: {}", n.allocator.as_str(), n.reason);
        }
    }
    println!("{}", table::LEGEND);
    Ok(())
}

/// Null cases an earlier run in this directory already wrote in full (all
/// four files and both rows): a run of other allocators keeps them, so that
/// one directory collects one binary per allocator (run_all.sh) with one
/// null row per case. `--force` measures them anew.
fn kept_null_cases(
    plan: &Plan,
    sink: &Sink,
    previous: &[Row],
    force: bool,
) -> std::collections::HashSet<(String, usize)> {
    let mut kept = std::collections::HashSet::new();
    if force {
        return kept;
    }
    for w in &plan.workloads {
        let threads = plan.threads_for(w.name);
        let fw = files_workload(w.name, threads);
        for c in &w.cases {
            let size = c.size.label();
            let ops: Vec<&str> = c.kind.ops().iter().map(|op| op.name()).collect();
            let files = ops.iter().all(|op| {
                let id = SeriesId::new("null", w.name, threads, size, op);
                ["hgrm", "hlog"]
                    .iter()
                    .all(|ext| id.path(sink.dir(), ext).exists())
            });
            let rows = ops.iter().all(|op| {
                previous.iter().any(|r| {
                    r.allocator == "null"
                        && r.workload == w.name
                        && r.threads == threads
                        && r.size == size
                        && r.op == *op
                })
            });
            if files && rows {
                kept.insert((fw.clone(), size));
            }
        }
    }
    kept
}

/// Every (workload, allocator, case) in run order: per case, the null row
/// first, then each allocator, so drift in the machine hits all alike.
fn series(plan: &Plan) -> impl Iterator<Item = (&Workload, Name, &Case)> {
    plan.workloads.iter().flat_map(move |w| {
        w.cases
            .iter()
            .flat_map(move |c| plan.allocators.iter().map(move |&a| (w, a, c)))
    })
}

fn size_label(size: usize) -> String {
    if size == 0 {
        "mixed".into()
    } else {
        format!("{size}B")
    }
}

/// Rows of an earlier summary.csv in the same directory, kept unless this
/// run replaces them.
fn previous_summary(sink: &Sink, force: bool) -> Result<Vec<Row>, Failure> {
    let path = sink.dir().join("summary.csv");
    let Ok(text) = std::fs::read(&path) else {
        return Ok(Vec::new());
    };
    match summary::from_csv(&text) {
        Ok(rows) => Ok(rows),
        Err(_) if force => Ok(Vec::new()),
        Err(e) => Err(Failure::usage(format!(
            "{}: written by another harness version or damaged ({e}); pass --force to replace it or choose another --out",
            path.display()
        ))),
    }
}

/// One summary row per (allocator, case, op), net of the same case's null row.
fn rows(
    done: &[Done],
    timer: &TimerInfo,
    run_id: &str,
    calls: &[syscalls::PhaseCalls],
) -> Vec<Row> {
    let mut rows = Vec::new();
    for d in done {
        let null = done
            .iter()
            .find(|n| {
                n.allocator == Name::Null
                    && n.workload == d.workload
                    && n.threads == d.threads
                    && n.case == d.case
            })
            .expect("the null row is measured first for every case");
        for &op in d.case.kind.ops() {
            let floor = Floor::of(&Figures::of(null.outcome.recorder(op)), timer.resolution_ns);
            let rec = d.outcome.recorder(op);
            let first = match op {
                Op::Alloc => d.outcome.first_call.alloc_ns,
                Op::Free => d.outcome.first_call.free_ns,
                Op::Request => d.outcome.first_call.request_ns,
            };
            let key = Key {
                allocator: d.allocator.as_str(),
                workload: d.workload,
                op: op.name(),
                size: d.case.size.label(),
                threads: d.threads,
                run_id,
            };
            let row = Row::new(key, &Figures::of(rec), floor, rec.saturated(), first);
            // Threaded cases write no markers: their syscalls are not counted.
            let traced = calls.iter().find(|p| {
                d.threads == 1
                    && p.allocator == d.allocator.as_str()
                    && p.workload == d.workload
                    && p.size == d.case.size.label()
            });
            rows.push(
                row.with_usage(d.usage)
                    .with_syscalls(traced)
                    .with_memory(memory::summarise(&d.memory)),
            );
        }
    }
    rows
}

#[allow(clippy::too_many_arguments)]
fn write_all(
    sink: &Sink,
    done: &[Done],
    skipped: &[NotApplicable],
    rows: &[Row],
    previous: Vec<Row>,
    timer: &TimerInfo,
    run_id: &str,
    started: SystemTime,
    args: &RunArgs,
    env: &Environment,
) -> Result<(), Failure> {
    for d in done.iter().filter(|d| !d.keep_earlier) {
        let id = |op: Op| {
            SeriesId::new(
                d.allocator.as_str(),
                d.workload,
                d.threads,
                d.case.size.label(),
                op.name(),
            )
        };
        if !d.memory.is_empty() {
            let path = memory_csv(sink.dir(), d.allocator.as_str(), d.case.size.label());
            let text = memory::to_csv(&d.memory).map_err(Failure::io)?;
            sink.write(&path, &text).map_err(Failure::io)?;
        }
        for &op in d.case.kind.ops() {
            let h = d.outcome.recorder(op).histogram();
            let path = id(op).path(sink.dir(), "hgrm");
            sink.write(&path, hgrm::render(h).as_bytes())
                .map_err(Failure::io)?;
        }
        // Each thread's own distribution, beside the merged one.
        for (i, o) in d.per_thread.iter().enumerate() {
            for &op in d.case.kind.ops() {
                let path = id(op).thread_hgrm(sink.dir(), i);
                sink.write(&path, hgrm::render(o.recorder(op).histogram()).as_bytes())
                    .map_err(Failure::io)?;
            }
        }
        if d.hlogs.is_empty() {
            // One interval: the whole case.
            for &op in d.case.kind.ops() {
                let path = id(op).path(sink.dir(), "hlog");
                Sink::make_parent(&path).map_err(Failure::io)?;
                let comment = format!(
                    "{} {} {} {}: one interval, the whole case",
                    d.allocator.as_str(),
                    files_workload(d.workload, d.threads),
                    size_label(d.case.size.label()),
                    op.name()
                );
                let partial = Sink::partial(&path);
                let written = HlogFile::create(&partial, &comment, started)
                    .and_then(|mut log| {
                        log.interval(
                            d.outcome.recorder(op).histogram(),
                            Duration::ZERO,
                            d.elapsed,
                        )
                        .map(|()| log)
                    })
                    .and_then(HlogFile::finish);
                if let Err(e) = written {
                    let _ = std::fs::remove_file(&partial);
                    return Err(Failure::io(format!("{}: {e}", path.display())));
                }
                Sink::commit(&partial, &path).map_err(Failure::io)?;
            }
        }
        for (partial, path) in &d.hlogs {
            Sink::commit(partial, path).map_err(Failure::io)?;
        }
    }

    // summary.csv: earlier rows with other keys stay; this run's rows replace the same keys.
    let is_kept = |r: &Row| {
        r.allocator == Name::Null.as_str()
            && done.iter().any(|d| {
                d.keep_earlier
                    && d.workload == r.workload
                    && d.threads == r.threads
                    && d.case.size.label() == r.size
            })
    };
    let fresh: Vec<Row> = rows.iter().filter(|r| !is_kept(r)).cloned().collect();
    let replaced: std::collections::HashSet<_> = fresh.iter().map(Row::key).collect();
    let mut all: Vec<Row> = previous
        .into_iter()
        .filter(|r| !replaced.contains(&r.key()))
        .collect();
    all.extend(fresh);
    let kept_runs: std::collections::HashSet<String> =
        all.iter().map(|r| r.run_id.clone()).collect();
    let csv = summary::to_csv(&all).map_err(Failure::io)?;

    let mut runs: Vec<Value> = std::fs::read(sink.dir().join("meta.json"))
        .ok()
        .and_then(|t| serde_json::from_slice::<Value>(&t).ok())
        .and_then(|v| v.get("runs").and_then(Value::as_array).cloned())
        .unwrap_or_default();
    runs.retain(|r| {
        r.get("run_id")
            .and_then(Value::as_str)
            .is_some_and(|id| kept_runs.contains(id))
    });
    runs.push(run_meta(done, skipped, timer, run_id, started, args, env));
    let meta = serde_json::to_vec_pretty(&json!({ "runs": runs }))
        .map_err(|e| Failure::io(e.to_string()))?;

    sink.write(&sink.dir().join("summary.csv"), &csv)
        .map_err(Failure::io)?;
    sink.write(&sink.dir().join("meta.json"), &meta)
        .map_err(Failure::io)?;
    Ok(())
}

fn run_meta(
    done: &[Done],
    skipped: &[NotApplicable],
    timer: &TimerInfo,
    run_id: &str,
    started: SystemTime,
    args: &RunArgs,
    env: &Environment,
) -> Value {
    let floor = done
        .iter()
        .find(|d| d.allocator == Name::Null)
        .map(|d| json!({"workload": d.workload, "alloc_p50_ns": Figures::of(&d.outcome.alloc).p50, "free_p50_ns": Figures::of(&d.outcome.free).p50}));
    let mut allocators: Vec<Name> = done.iter().map(|d| d.allocator).collect();
    allocators.sort();
    allocators.dedup();
    let settings: serde_json::Map<String, Value> = allocators
        .iter()
        .map(|&a| (a.as_str().to_string(), alloc::settings::settings(a)))
        .collect();
    let cases: Vec<Value> = done
        .iter()
        .map(|d| {
            json!({
                "allocator": d.allocator.as_str(),
                "workload": d.workload,
                "size": d.case.size.label(),
                "kind": format!("{:?}", d.case.kind),
                "ops": d.case.ops,
                "blocks": d.case.blocks,
                "max_live": d.case.max_live,
                "warmup_ops": d.case.warmup_ops(),
                "seed": d.case.seed,
                "recorded_ops": d.outcome.ops,
                "windows": d.outcome.windows,
                "seconds": d.elapsed.as_secs_f64(),
                "first_call_ns": {"alloc": d.outcome.first_call.alloc_ns, "free": d.outcome.first_call.free_ns},
                "recorded_phase": d.usage,
                "null_files_kept_from_earlier_run": d.keep_earlier,
                "threads": d.threads,
                "request_interval_ns": match d.case.kind {
                    workloads::Kind::Request { interval_ns } => json!(interval_ns),
                    _ => Value::Null,
                },
                "p50_ns": {"alloc": Figures::of(&d.outcome.alloc).p50, "free": Figures::of(&d.outcome.free).p50},
                "pmad": d.pmad,
                "tlsf": d.tlsf,
            })
        })
        .collect();
    json!({
        "run_id": run_id,
        "date": humantime::format_rfc3339_seconds(started).to_string(),
        "command_line": std::env::args().collect::<Vec<_>>(),
        "machine": meta::machine(env.pinned, &env.allowed_cpus),
        "process": {
            "pinned_cpu": env.pinned,
            "mlockall": if args.mlock { json!(env.mlock.clone().map(|()| "locked")) } else { json!("not requested") },
            "sched_fifo": match &env.fifo { None => json!("not requested"), Some(r) => json!(r) },
            "glibc_rseq_registered": alloc::settings::glibc_rseq_registered(),
            "reexecuted_for_tcmalloc": std::env::var_os("HARNESS_REEXECUTED_FOR_RSEQ").is_some(),
            "syscalls": if args.syscalls {
                "counted per recorded phase in a traced re-run of the same plan (strace -f, markers around each phase; the harness's own calls excluded): summary.csv syscalls, syscalls_by_name"
            } else {
                "not counted (run with --syscalls)"
            },
        },
        "timer": meta::timer(timer),
        "floor": floor,
        "build": meta::build(),
        "histograms": {"unit": "ns", "lowest": 1, "highest": workloads::recorder::HIGHEST_NS, "significant_figures": workloads::recorder::SIGFIG, "window_ops": workloads::WINDOW_OPS},
        "allocators": settings,
        "cases": cases,
        "not_applicable": skipped.iter().map(|n| json!({
            "allocator": n.allocator.as_str(),
            "workload": n.workload,
            "reason": n.reason,
        })).collect::<Vec<_>>(),
    })
}
