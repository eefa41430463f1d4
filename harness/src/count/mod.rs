//! `harness count`: instructions per call, exactly, under valgrind's
//! callgrind; a view no clock step and no noisy neighbour can move.
//!
//! The timed loops run unchanged with an instruction counter in the clock's
//! place ([`clock`]): each alloc and free of the recorded phase is counted
//! alone, with its simulated cache misses. The data flows: `launch` (run
//! again under callgrind) -> `plan` (the cases, shorter than a timed run)
//! -> `clock` (one reading per call, read back from callgrind's dumps) ->
//! `rows` (exact order statistics, net of null) -> `results::counts`
//! (counts.csv, merged) -> `guard` (committed limits, for CI).
//!
//! What counts cannot see: system calls and page faults (the kernel's
//! work), the TLB, and real contention (valgrind runs one thread at a time).

mod callgrind;
mod clock;
mod guard;
pub mod launch;
pub mod plan;
mod rows;
pub mod valgrind;

use crate::alloc::{self, Setup};
use crate::cli::CountArgs;
use crate::failure::Failure;
use crate::format;
use crate::names::Name;
use crate::names::WorkloadName;
use crate::results::counts::{self, CountRow};
use crate::results::sink::Sink;
use callgrind::DumpReader;
use clock::{CountClock, CountObserver, Tally};
use std::cell::Cell;
use std::path::Path;
use std::rc::Rc;
use std::time::Instant;
use workloads::Case;
use workloads::Op;

/// The count itself, under callgrind.
pub fn inside(args: &CountArgs, dumps: &Path) -> Result<(), Failure> {
    let workloads = plan::plan(args).map_err(Failure::usage)?;
    let mut allocators =
        crate::plan::allocators(&args.allocator, &Name::compiled(), &args.allocator_lib)
            .map_err(Failure::usage)?;
    // A library row is counted in the valgrind process it is preloaded
    // into, with the null row; every other row in the one without.
    let preloaded = crate::shared_lib::preloaded();
    allocators.retain(|&a| match a {
        Name::Lib(l) => crate::shared_lib::measured_here(l),
        Name::Null => true,
        _ => preloaded.is_none(),
    });
    crate::shared_lib::check_preloaded().map_err(Failure::usage)?;
    allocators.retain(|&a| match alloc::not_countable(a) {
        Some(why) => {
            eprintln!("harness: count: {} not counted: {why}", a.as_str());
            false
        }
        None => true,
    });
    if args.allocator != "null" && allocators == [Name::Null] {
        // Only the null row would be left: nothing to compare it with.
        return Ok(());
    }
    let out = args
        .out
        .as_deref()
        .ok_or_else(|| Failure::usage("count: no --out under valgrind".into()))?;
    let sink = Sink::open(out, true).map_err(Failure::usage)?;
    let mut reader = DumpReader::new(&dumps.join("cg.out"));
    let ctx = rows::Context {
        valgrind: std::env::var(launch::ENV_VALGRIND).unwrap_or_else(|_| "valgrind".into()),
        caches: launch::CACHES_LABEL.into(),
        git_commit: env!("HARNESS_GIT_COMMIT").into(),
    };
    let mut fresh = Vec::new();
    for w in &workloads {
        for case in &w.cases {
            fresh.extend(count_allocators(
                w.name,
                case,
                &allocators,
                &mut reader,
                &ctx,
            )?);
        }
    }
    let path = counts::write(&sink, fresh.clone()).map_err(Failure::io)?;
    print!("{}", table(&fresh));
    eprintln!("harness: count: written {}", path.display());
    if let Some(file) = &args.guard {
        apply_guard(file, args.update_guard, &fresh, &sink)?;
    }
    Ok(())
}

/// Counts one case on every allocator (null first), as rows.
fn count_allocators(
    workload: WorkloadName,
    case: &Case,
    allocators: &[Name],
    reader: &mut DumpReader,
    ctx: &rows::Context,
) -> Result<Vec<CountRow>, Failure> {
    let size = case.size.label();
    let mut null: Option<(Tally, Tally)> = None;
    let mut out = Vec::new();
    for &a in allocators {
        let t0 = Instant::now();
        let (alloc_t, free_t) = count_case(a, case, reader).map_err(|e| {
            Failure::run(format!(
                "count: {} {workload} {}: {e}",
                a.as_str(),
                format::size_tag(size)
            ))
        })?;
        eprintln!(
            "harness: count: {} {workload} {}: {} alloc and {} free calls in {:.1} s",
            a.as_str(),
            format::size_tag(size),
            alloc_t.instructions.len(),
            free_t.instructions.len(),
            t0.elapsed().as_secs_f64()
        );
        let floor = null.get_or_insert_with(|| (alloc_t.clone(), free_t.clone()));
        let note = note(a);
        for (op, tally, floor) in [
            (Op::Alloc, &alloc_t, &floor.0),
            (Op::Free, &free_t, &floor.1),
        ] {
            let series = rows::Series {
                allocator: a,
                workload,
                op,
                size,
                note,
            };
            out.extend(rows::row(&series, tally, floor, ctx));
        }
    }
    Ok(out)
}

/// How `name` ran under valgrind, where it differs from the timed run.
fn note(name: Name) -> &'static str {
    #[cfg(feature = "tcmalloc")]
    if name == Name::Tcmalloc && !alloc::settings::tcmalloc_per_cpu_active() {
        return "per-CPU caches off (valgrind has no rseq): every call takes TCMalloc's central path, not the per-CPU path of the timed run";
    }
    let _ = name;
    ""
}

/// One case on one allocator: every alloc's and every free's counters.
fn count_case(name: Name, case: &Case, reader: &mut DumpReader) -> Result<(Tally, Tally), String> {
    let recording = Rc::new(Cell::new(false));
    let mut clock = CountClock::new(reader, recording.clone(), plan::calls_bound(case) + 1);
    let mut observer = CountObserver { recording };
    alloc::run_case(name, case, &mut clock, &mut observer, Setup::default())?;
    if let Some(e) = clock.error.take() {
        return Err(e);
    }
    if clock.alloc.instructions.is_empty() {
        return Err("no call was counted (is this running under callgrind?)".into());
    }
    Ok((clock.alloc, clock.free))
}

/// Checks the fresh rows against the guard file, or rewrites it.
fn apply_guard(file: &Path, update: bool, fresh: &[CountRow], sink: &Sink) -> Result<(), Failure> {
    if update {
        let limits = guard::limits_of(fresh);
        let text = guard::to_csv(&limits).map_err(Failure::io)?;
        sink.write(file, text.as_bytes()).map_err(Failure::io)?;
        println!(
            "guard: {} limits written to {}",
            limits.len(),
            file.display()
        );
        return Ok(());
    }
    let limits = guard::read(file).map_err(Failure::usage)?;
    match guard::check(&limits, fresh).map_err(Failure::usage)? {
        guard::Verdict::Held(lines) => {
            for l in lines {
                println!("guard: {l}");
            }
            println!("guard: every limit in {} held", file.display());
            Ok(())
        }
        guard::Verdict::Exceeded(lines) => {
            for l in lines {
                println!("guard: {l}");
            }
            Err(Failure::run(format!(
                "guard: instructions per call above the limits in {}; if the change is intended, rewrite them with --update-guard (METHODOLOGY.md, Instruction counts)",
                file.display()
            )))
        }
    }
}

/// The terminal table of a count.
fn table(rows: &[CountRow]) -> String {
    let mut s =
        format!(
        "{:<10} {:<13} {:>6} {:<5} {:>6} {:>6} {:>6} {:>6} {:>7} {:>8} {:>9} {:>7} {:>7} {:>8}\n",
        "allocator", "workload", "size", "op", "calls", "min", "P50", "P99", "max", "mean",
        "mean net", "L1 miss", "LL miss", "est cyc"
    );
    for r in rows {
        s += &format!(
            "{:<10} {:<13} {:>6} {:<5} {:>6} {:>6} {:>6} {:>6} {:>7} {:>8.1} {:>9.1} {:>7.2} {:>7.2} {:>8.1}\n",
            r.allocator,
            r.workload,
            format::size_tag(r.size),
            r.op,
            r.calls,
            r.ir_min,
            r.ir_p50,
            r.ir_p99,
            r.ir_max,
            r.ir_mean,
            r.ir_mean_net,
            r.l1_misses_mean,
            r.ll_misses_mean,
            r.est_cycles_mean
        );
    }
    s
}
