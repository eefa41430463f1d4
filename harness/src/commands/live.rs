//! `harness live -- CMD...`: a running program's calls, timed in it on
//! each allocator (see [`crate::live`]).

use crate::alloc::Setup;
use crate::cli::LiveArgs;
use crate::clock::{self, TimerInfo};
use crate::failure::Failure;
use crate::live::{self, launch, status, write, Repeat};
use crate::measure::Run;
use crate::names::Name;
use crate::results::summary::Row;
use crate::results::{self, sink::Sink};
use crate::{format, paths, persist, platform, run_meta, table};
use std::time::SystemTime;

/// Checks the inputs, then runs and writes each repeat.
pub fn main(a: &LiveArgs) -> Result<(), Failure> {
    let library = launch::shim_library(a.shim.as_deref()).map_err(Failure::usage)?;
    crate::shared_lib::check_distinct(&a.allocator_lib).map_err(Failure::usage)?;
    crate::shared_lib::probe::check_all(&a.allocator_lib).map_err(Failure::usage)?;
    let libs = crate::plan::absolute(&a.allocator_lib);
    let (allocators, not) = live::plan::chosen(&a.allocator, &libs).map_err(Failure::usage)?;
    let sinks = (1..=a.repeat)
        .map(|k| open(&results::spread::repeat_dir(&a.out, k), a.force))
        .collect::<Result<Vec<_>, _>>()?;
    let (allocators, not) = sized(a, allocators, not)?;
    let (_timer, info) = clock::calibrate();
    let shim = launch::Shim {
        library: &library,
        follow: a.follow,
        window_ticks: ((info.ticks_per_second / 1000.0) as u64).max(1),
    };
    for (k, sink) in sinks.iter().enumerate() {
        let mut order = allocators.clone();
        let n = order.len();
        order.rotate_left(k % n);
        let started = SystemTime::now();
        let rep = live::run_once(a, &shim, &order, sink.dir())?;
        print_runs(&rep, a);
        write_repeat(a, &rep, &info, sink, &not, started)?;
    }
    if a.repeat > 1 {
        let (path, n) = results::spread::write(&a.out).map_err(Failure::io)?;
        println!("\nspread across {n} repeats: {}", path.display());
    }
    let me = paths::invocation();
    let plots = paths::default_plots(&a.out);
    println!("\nresults: {}", a.out.display());
    println!(
        "charts:  {me} plot --results {} --out {}",
        a.out.display(),
        plots.display()
    );
    println!(
        "report:  {me} report --results {} --plots {}",
        a.out.display(),
        plots.display()
    );
    Ok(())
}

/// PMAD's pool sized by a recorded pass (or PMAD set aside, saying why);
/// an error when no allocator is left.
fn sized(
    a: &LiveArgs,
    mut allocators: live::plan::Rows,
    mut not: live::plan::Refused,
) -> Result<(live::plan::Rows, live::plan::Refused), Failure> {
    let scratch = tempfile::Builder::new()
        .prefix(".live-sizing-")
        .tempdir_in(&a.out)
        .map_err(|e| Failure::io(format!("{}: {e}", a.out.display())))?;
    live::plan::size_pools(&mut allocators, &mut not, &a.command, scratch.path());
    if allocators.is_empty() {
        return Err(Failure::usage(format!(
            "--allocator {}: none of these can serve this program",
            a.allocator
        )));
    }
    Ok((allocators, not))
}

/// The repeat's directory, refused when it holds results and --force is not given.
fn open(dir: &std::path::Path, force: bool) -> Result<Sink, Failure> {
    if results::series::summary_csv(dir).exists() && !force {
        return Err(Failure::usage(format!(
            "{} already holds results; pass --force or choose another --out",
            dir.display()
        )));
    }
    Sink::open(dir, force).map_err(Failure::usage)
}

/// One line per allocator: how the program ended, its wall time with and
/// without the shim, its threads and calls.
fn print_runs(rep: &Repeat, a: &LiveArgs) {
    println!(
        "\n{}: {:.3} s without the shim ({})",
        a.command.join(" "),
        rep.plain.wall.as_secs_f64(),
        status::describe(&rep.plain.status)
    );
    for r in &rep.runs {
        let timed: u64 = r.images.iter().map(|i| i.timed().iter().sum::<u64>()).sum();
        let untimed: u64 = r.images.iter().map(|i| i.untimed.iter().sum::<u64>()).sum();
        let threads: usize = r.images.iter().map(|i| i.threads.len()).sum();
        println!(
            "{:<9} {:.3} s with the shim ({}), {} process image(s), {threads} thread(s), {} calls timed, {} untimed",
            r.allocator.as_str(),
            r.ran.wall.as_secs_f64(),
            status::describe(&r.ran.status),
            r.images.len(),
            format::thousands(timed),
            format::thousands(untimed),
        );
    }
}

/// Writes one repeat's results into `sink`, as a run writes its own.
fn write_repeat(
    a: &LiveArgs,
    rep: &Repeat,
    info: &TimerInfo,
    sink: &Sink,
    not: &[(Name, String)],
    started: SystemTime,
) -> Result<(), Failure> {
    let args = write::no_run_flags();
    let env = environment();
    let run = Run {
        args: &args,
        env: &env,
        sink,
        setup: Setup { mlock: false },
        started,
        batch_ns: 0,
    };
    let series = write::series(rep, info, a.follow, &a.command, &run)?;
    if series.is_empty() {
        return Err(Failure::run(format!(
            "{}; nothing was written",
            live::no_calls(&a.command[0], a.follow)
        )));
    }
    let run_id = format!(
        "{}-{}",
        started
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        std::process::id()
    );
    let rows = write::rows(&series, info, &run_id);
    let not = with_refused(not, rep);
    let skipped = write::skipped(&series, &not);
    let (mut done, lives): (Vec<_>, Vec<_>) = series.into_iter().map(|s| (s.done, s.live)).unzip();
    let mut this_run = run_meta::run(&done, &skipped, info, &run_id, started, &args, &env);
    for (case, live) in this_run.cases.iter_mut().zip(lives) {
        case.live = live;
    }
    this_run.allocators.insert(
        "null".into(),
        serde_json::json!({ "what": format!(
            "the live shim timing an empty call ({} per op at each process image's start), through the same clock reads around an indirect call as every forwarded call: the shim's own cost per call", live_format::NULL_CALLS
        )}),
    );
    for r in &rep.runs {
        this_run
            .allocators
            .insert(r.allocator.as_str().to_string(), write::settings(r));
    }
    for d in &mut done {
        persist::case_files(sink, d)?;
    }
    persist::summary_and_meta(sink, &done, &rows, Vec::new(), this_run)?;
    print_tables(&done, &rows, &not);
    Ok(())
}

/// `not` and the runs of `rep` set aside, each with its reason.
fn with_refused(not: &[(Name, String)], rep: &Repeat) -> Vec<(Name, String)> {
    let mut all = not.to_vec();
    all.extend(
        rep.runs
            .iter()
            .filter_map(|r| r.refused.clone().map(|why| (r.allocator, why))),
    );
    all
}

/// Each program's table, and the allocators that could not run it.
fn print_tables(done: &[crate::measure::Done], rows: &[Row], not: &[(Name, String)]) {
    let mut programs: Vec<_> = done.iter().map(|d| d.workload).collect();
    programs.dedup();
    for w in programs {
        let these: Vec<_> = rows.iter().filter(|r| r.workload == w).collect();
        println!("{}", table::render(w, &these));
        for (n, why) in not {
            println!("{:<9} not applicable: {why}", n.as_str());
        }
    }
    println!("{}", table::LEGEND);
}

/// A live run's process: no pinning, no mlock, no FIFO.
fn environment() -> platform::Environment {
    platform::Environment {
        pinned: None,
        allowed_cpus: platform::allowed_cpus(),
        mlock: Ok(()),
        fifo: None,
    }
}
