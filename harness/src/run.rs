//! One measuring run, start to end: plan the files, calibrate the clock,
//! measure every case on every allocator (the null row first), count
//! syscalls in a traced re-run when asked, then persist and print.
//!
//! The data flows one way: `plan` (what to run) -> `measure` (one case, one
//! allocator: histograms and costs) -> `results::summary` (rows net of the
//! floor) -> `persist` (raw files, summary.csv, meta.json) ->
//! `render` (charts and REPORT.md, from the files alone).

use crate::alloc::Setup;
use crate::cli::RunArgs;
use crate::clock::{self, TimerInfo};
use crate::failure::Failure;
use crate::format::size_tag;
use crate::measure::{self, not_applicable, Done, Job, NotApplicable, Run};
use crate::names::Name;
use crate::persist;
use crate::plan::{Plan, Workload};
use crate::platform::Environment;
use crate::results::series::{self, files_workload, memory_csv, Raw, SeriesId};
use crate::results::sink::Sink;
use crate::results::summary::{self, Figures, Floor, Key, Row};
use crate::stats::batch::BatchCost;
use crate::{syscalls, table};
use std::path::PathBuf;
use std::time::SystemTime;
use workloads::Case;

/// A batch of the batched phase lasts at least this many clock steps, so
/// the rounding of its two readings moves it by 0.1 % at most (divan's rule
/// is 100).
const BATCH_STEPS: f64 = 1000.0;

/// Measures the plan into `sink` (opened, and so proven writable, before
/// anything else ran).
pub fn execute(args: &RunArgs, plan: &Plan, sink: Sink, env: &Environment) -> Result<(), Failure> {
    let previous = previous_summary(&sink, args.force)?;
    let kept = kept_null_cases(plan, &sink, &previous, args.force);
    sink.check_free(&planned_files(plan, &sink, &kept))
        .map_err(Failure::usage)?;
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
    let run = Run {
        args,
        env,
        sink: &sink,
        setup: Setup { mlock: args.mlock },
        started: SystemTime::now(),
        batch_ns: (BATCH_STEPS * timer_info.resolution_ns).ceil() as u64,
    };
    measure::warm_up(&run, &mut timer)?;
    let (mut done, skipped) = measure_all(plan, &run, &kept, &mut timer)?;
    // Any early return from here drops `done`, and its partial files with it.
    let calls = if args.syscalls {
        syscalls::count().map_err(|e| Failure::run(format!("{e}; nothing was written")))?
    } else {
        Vec::new()
    };
    let rows = rows(&done, &timer_info, &run_id, &calls);
    let this_run = crate::run_meta::run(
        &done,
        &skipped,
        &timer_info,
        &run_id,
        run.started,
        args,
        env,
    );
    let cases = done.len();
    for d in &mut done {
        persist::case_files(&sink, d).map_err(|f| discarded(f, cases, &sink))?;
    }
    persist::summary_and_meta(&sink, &done, &rows, previous, this_run)
        .map_err(|f| discarded(f, cases, &sink))?;
    print_tables(plan, &rows, &skipped);
    Ok(())
}

/// Measures every case of the plan in order, or skips it with the reason.
/// A case that fails stops the run: the cases measured before it are
/// discarded with their partial files, and the error says so.
fn measure_all(
    plan: &Plan,
    run: &Run<'_>,
    kept: &std::collections::HashSet<(String, usize)>,
    timer: &mut crate::clock::Timer,
) -> Result<(Vec<Done>, Vec<NotApplicable>), Failure> {
    let mut done: Vec<Done> = Vec::new();
    let mut skipped: Vec<NotApplicable> = Vec::new();
    for (w, a, c) in series(plan) {
        let threads = plan.threads_for(w.name);
        let fw = files_workload(w.name, threads);
        let job = Job {
            workload: w.name,
            allocator: a,
            case: c,
            threads,
            label: format!("{} {} {}", fw, size_tag(c.size.label()), a.as_str()),
            keep_earlier: a == Name::Null && kept.contains(&(fw, c.size.label())),
        };
        if let Some(reason) = not_applicable(a, c, threads) {
            eprintln!("harness: {}: not applicable: {reason}", job.label);
            skipped.push(NotApplicable {
                allocator: a,
                workload: w.name,
                reason,
            });
        } else if threads > 1 {
            let d = measure::threaded(&job, run, *timer);
            done.push(d.map_err(|f| discarded(f, done.len(), run.sink))?);
        } else {
            let d = measure::single(&job, run, timer);
            done.push(d.map_err(|f| discarded(f, done.len(), run.sink))?);
        }
    }
    Ok((done, skipped))
}

/// A stop after `cases` cases were measured, said plainly: nothing of
/// this run was kept, and the results directory holds what it held before.
fn discarded(f: Failure, cases: usize, sink: &Sink) -> Failure {
    let what = format!(
        "; the {cases} case(s) this run had measured were discarded with it, and {} holds only what it held before",
        sink.dir().display()
    );
    match f {
        Failure::Io(m) => Failure::Io(format!("{m}{what}")),
        Failure::Run(m) if cases > 0 => Failure::Run(format!("{m}{what}")),
        other => other,
    }
}

/// Every file the plan will write, so a run that would overwrite earlier
/// results fails before measuring.
fn planned_files(
    plan: &Plan,
    sink: &Sink,
    kept: &std::collections::HashSet<(String, usize)>,
) -> Vec<PathBuf> {
    let mut planned: Vec<PathBuf> = Vec::new();
    for (w, a, c) in series(plan) {
        let threads = plan.threads_for(w.name);
        let fw = files_workload(w.name, threads);
        if a == Name::Null && kept.contains(&(fw, c.size.label()))
            || not_applicable(a, c, threads).is_some()
        {
            continue;
        }
        for &op in c.kind.ops() {
            let id = SeriesId::new(a, w.name, threads, c.size.label(), op);
            for raw in Raw::BOTH {
                planned.push(id.path(sink.dir(), raw));
            }
            if threads > 1 {
                for i in 0..threads as usize {
                    planned.push(id.thread_hgrm(sink.dir(), i));
                }
            }
        }
        if c.kind == workloads::Kind::Churn && threads == 1 {
            planned.push(memory_csv(sink.dir(), a, c.size.label()));
        }
    }
    planned
}

fn print_tables(plan: &Plan, rows: &[Row], skipped: &[NotApplicable]) {
    for w in &plan.workloads {
        let these: Vec<&Row> = rows.iter().filter(|r| r.workload == w.name).collect();
        println!("{}", table::render(w.name, &these));
        for n in skipped.iter().filter(|n| n.workload == w.name) {
            println!("{:<9} not applicable: {}", n.allocator.as_str(), n.reason);
        }
    }
    println!("{}", table::LEGEND);
}

/// Null cases an earlier run in this directory already wrote in full (all
/// four files and both rows): a run of other allocators keeps them, so that
/// one directory collects one binary per allocator (run_all.sh) with one
/// null row per case. `--force` measures them anew, except in a library
/// row's own process: the run that started it measured them.
fn kept_null_cases(
    plan: &Plan,
    sink: &Sink,
    previous: &[Row],
    force: bool,
) -> std::collections::HashSet<(String, usize)> {
    let mut kept = std::collections::HashSet::new();
    if force && crate::shared_lib::preloaded().is_none() {
        return kept;
    }
    for w in &plan.workloads {
        let threads = plan.threads_for(w.name);
        let fw = files_workload(w.name, threads);
        for c in &w.cases {
            let size = c.size.label();
            let ops = c.kind.ops();
            let files = ops.iter().all(|&op| {
                let id = SeriesId::new(Name::Null, w.name, threads, size, op);
                Raw::BOTH
                    .iter()
                    .all(|&raw| id.path(sink.dir(), raw).exists())
            });
            let rows = ops.iter().all(|&op| {
                previous.iter().any(|r| {
                    r.allocator == crate::names::Name::Null
                        && r.workload == w.name
                        && r.threads == threads
                        && r.size == size
                        && r.op == op
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

/// Rows of an earlier summary.csv in the same directory, kept unless this
/// run replaces them.
fn previous_summary(sink: &Sink, force: bool) -> Result<Vec<Row>, Failure> {
    let path = series::summary_csv(sink.dir());
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
            let first = d.outcome.first_call.of(op);
            let key = Key {
                allocator: d.allocator,
                workload: d.workload,
                op,
                size: d.case.size.label(),
                threads: d.threads,
                run_id,
            };
            let step = timer.resolution_ns;
            // The batched phase that covers this op (hot-path's pair and
            // churn's steps cover both rows; bulk's allocs and frees one each).
            let batch = |d: &Done| {
                d.outcome
                    .batched
                    .iter()
                    .find(|b| b.op.covers(op))
                    .and_then(|b| Some((b.op.name(), BatchCost::of(b, step)?)))
            };
            let row = Row::new(key, &Figures::of(rec), floor, rec.saturated(), first)
                .with_batch(batch(d), batch(null).map(|(_, c)| c));
            // Threaded cases write no markers: their syscalls are not counted.
            let traced = calls.iter().find(|p| {
                d.threads == 1
                    && p.allocator == d.allocator.as_str()
                    && p.workload == d.workload.as_str()
                    && p.size == d.case.size.label()
            });
            let intervals = d.intervals.iter().find(|(o, _)| *o == op).map(|(_, i)| i);
            rows.push(
                row.with_usage(d.usage)
                    .with_syscalls(traced.map(|c| (c.total(), c.breakdown())))
                    .with_memory(crate::results::memory::summarise(&d.memory))
                    .with_intervals(intervals),
            );
        }
    }
    rows
}
