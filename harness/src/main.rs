//! The measuring harness: times every allocator call between two fenced
//! clock reads, records it in HdrHistograms (alloc and free apart), and
//! writes raw samples (.hgrm, .hlog), summary.csv and meta.json.
//!
//! Exit codes: 0 done; 1 a run failed (a pool ran out, an I/O error);
//! 2 bad input (nothing is measured or written): [`failure`].
//!
//! Where each concern lives, in the order the data flows:
//!
//! - **plan**: `cli` (flags, range-checked), `plan` (the cases of each
//!   workload), `platform` (pinning, mlockall, SCHED_FIFO, the machine's
//!   facts), `clock` (the fenced counter, its rate and step).
//! - **measure**: `run` (one run start to end), `measure` (one case on one
//!   allocator), `threads` (cases on several threads), `alloc` (the
//!   adapters and PMAD's and TLSF's pools), `usage` and `memory` (faults,
//!   RSS, live bytes), `syscalls` (the traced re-run), `tasks` (progress
//!   and the window log, off the measuring thread).
//! - **record**: `output::summary` (rows net of the floor), `stats`
//!   (intervals, block bootstrap, batched cost, change), `output::meta`
//!   (meta.json's types).
//! - **persist**: `output::series` (every results path), `output::sink`
//!   (atomic writes), `output::write`, `output::hgrm`, `output::hlog`.
//! - **render**: `render::results` (a results directory read back through
//!   the same types, errors in `output::read_error`), `render::charts`,
//!   `render::report` and `render::readme`; `compare`, `verify` (summary.csv
//!   re-derived from the raw files), `output::spread`; `count` (instruction
//!   counts under valgrind).

mod alloc;
mod cli;
mod clock;
mod compare;
mod count;
mod failure;
mod format;
mod measure;
mod memory;
mod output;
mod paths;
mod plan;
mod platform;
mod render;
mod run;
mod stats;
mod syscalls;
mod table;
mod tasks;
mod threads;
mod trace;
mod usage;
mod verify;
mod workload_name;

use clap::Parser;
use std::process::ExitCode;

pub use failure::Failure;

/// `--results`, or results/<this host>.
fn results_dir(given: Option<&std::path::Path>) -> std::path::PathBuf {
    given.map_or_else(
        || paths::default_results(&platform::host_name()),
        |p| p.to_path_buf(),
    )
}

fn main() -> ExitCode {
    platform::quiet_on_closed_pipe();
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            // One line: clap's first line names the flag, the value and why.
            let rendered = e.to_string();
            let mut lines = rendered.lines().map(str::trim).filter(|l| !l.is_empty());
            let mut first = lines.next().unwrap_or("bad arguments").to_string();
            // "... were not provided:" names them on the next line.
            if first.ends_with(':') {
                if let Some(next) = lines.next() {
                    first = format!("{first} {next}");
                }
            }
            eprintln!("harness: {}", first.trim_start_matches("error: "));
            return ExitCode::from(2);
        }
    };
    match real_main(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            let message = f.to_string();
            if !message.is_empty() {
                eprintln!("harness: {message}");
            }
            ExitCode::from(f.code())
        }
    }
}

fn real_main(cli: cli::Cli) -> Result<(), Failure> {
    syscalls::init_markers();
    match &cli.command {
        Some(cli::Command::List) => {
            list();
            Ok(())
        }
        Some(cli::Command::Count(a)) => count::main(a),
        Some(cli::Command::Record(a)) => trace::record::main(a),
        Some(cli::Command::Trace(a)) => {
            let stats = trace::stats::of_file(&a.file).map_err(Failure::usage)?;
            print!("{}", stats.render());
            Ok(())
        }
        Some(cli::Command::Replay(a)) => {
            let plan = trace::replay::plan(a).map_err(Failure::usage)?;
            measure(a.run.clone(), plan)
        }
        Some(cli::Command::Compare(a)) => compare::main(a),
        Some(cli::Command::Spread(a)) => {
            let (path, n) = output::spread::write(&a.results).map_err(Failure::usage)?;
            println!("written: {} ({n} repeats)", path.display());
            Ok(())
        }
        Some(cli::Command::Verify(a)) => verify::main(&a.results),
        Some(cli::Command::Plot(a)) => plot(a),
        Some(cli::Command::Report(a)) => report(a),
        None => {
            let plan = plan::plan(&cli.run).map_err(Failure::usage)?;
            measure(cli.run, plan)
        }
    }
}

/// `harness list`: the workloads and the allocators compiled in.
fn list() {
    println!("workloads:");
    for (name, what) in plan::WORKLOADS {
        println!("  {name:<13} {what}");
    }
    println!("allocators compiled in (the null row is always measured):");
    for name in alloc::Name::compiled() {
        println!("  {}", name.as_str());
    }
}

/// `harness plot`: the charts of a results directory.
fn plot(a: &cli::PlotArgs) -> Result<(), Failure> {
    let results = results_dir(a.results.as_deref());
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| paths::default_plots(&results));
    let written = render::plot(&results, &out).map_err(Failure::usage)?;
    println!(
        "{} charts (PNG and SVG) in {}",
        written.len(),
        out.display()
    );
    Ok(())
}

/// `harness report`: REPORT.md (or the README's results section), or with
/// `--check` whether the committed one is what the results render to.
fn report(a: &cli::ReportArgs) -> Result<(), Failure> {
    let results = results_dir(a.results.as_deref());
    let plots = a
        .plots
        .clone()
        .unwrap_or_else(|| paths::default_plots(&results));
    let (file, freshness) = match &a.readme {
        Some(readme) => (
            readme.clone(),
            render::report::write_readme(&results, &plots, readme, a.check),
        ),
        None => (
            output::series::report_md(&results),
            render::report::write(&results, &plots, a.check),
        ),
    };
    match freshness.map_err(Failure::usage)? {
        render::report::Freshness::UpToDate if a.check => {
            println!("{}: up to date", file.display());
            Ok(())
        }
        render::report::Freshness::UpToDate => {
            println!("written: {}", file.display());
            Ok(())
        }
        render::report::Freshness::Stale { fix } => Err(Failure::run(format!(
            "{} is stale: it is not what the results render to; run `{} {fix}` and commit it",
            file.display(),
            paths::invocation()
        ))),
    }
}

/// A measuring run of `plan` (from the flags, or `replay`'s traces): every
/// input checked first, then the process set up (pinning, mlock,
/// SCHED_FIFO), then each repeat of the plan.
fn measure(args: cli::RunArgs, plan: plan::Plan) -> Result<(), Failure> {
    if args.syscalls {
        syscalls::check_strace().map_err(Failure::usage)?;
    }
    let allowed = platform::allowed_cpus();
    if let Some(cpu) = args.cpu {
        if !allowed.contains(&cpu) {
            return Err(Failure::usage(format!(
                "--cpu {cpu}: no such CPU for this process (allowed: {allowed:?})"
            )));
        }
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| paths::fresh_run_dir(std::time::SystemTime::now(), std::process::id()));
    // Bad --out is bad input: fail before measuring (every repeat's).
    let sinks = (1..=args.repeat)
        .map(|k| output::sink::Sink::open(&output::spread::repeat_dir(&out, k), args.force))
        .collect::<Result<Vec<_>, _>>()
        .map_err(Failure::usage)?;
    let env = set_up(&args, &plan, allowed)?;
    for (k, sink) in sinks.into_iter().enumerate() {
        let mut this = args.clone();
        if k > 0 {
            this.syscalls = false;
        }
        if args.repeat > 1 {
            eprintln!(
                "harness: repeat {} of {} into {}",
                k + 1,
                args.repeat,
                sink.dir().display()
            );
        }
        run::execute(&this, &plan, sink, &env)?;
    }
    if args.repeat > 1 {
        let (path, n) = output::spread::write(&out).map_err(Failure::io)?;
        println!("\nspread across {n} repeats: {}", path.display());
    }
    let me = paths::invocation();
    let plots = paths::default_plots(&out);
    println!("\nresults: {}", out.display());
    println!(
        "charts:  {me} plot --results {} --out {}",
        out.display(),
        plots.display()
    );
    println!(
        "report:  {me} report --results {} --plots {}",
        out.display(),
        plots.display()
    );
    Ok(())
}

/// The process as the run asks: TCMalloc's needs, pinning, mlock and
/// SCHED_FIFO (the last two only warn when refused).
fn set_up(
    args: &cli::RunArgs,
    plan: &plan::Plan,
    allowed: Vec<usize>,
) -> Result<platform::Environment, Failure> {
    if plan.allocators.contains(&alloc::Name::Tcmalloc) {
        platform::reexec_without_glibc_rseq();
        // Before pinning, so the background thread is free to run elsewhere.
        platform::start_tcmalloc_background();
    }
    if let Some(cpu) = args.cpu {
        platform::pin(cpu).map_err(Failure::usage)?;
    }
    let mlock = if args.mlock {
        platform::mlock_all()
    } else {
        Ok(())
    };
    if let Err(e) = &mlock {
        eprintln!("harness: warning: --mlock: {e}; going on without it");
    }
    let fifo = args.fifo.then(platform::fifo);
    if let Some(Err(e)) = &fifo {
        eprintln!("harness: warning: --fifo: {e}; going on with normal scheduling");
    }
    Ok(platform::Environment {
        pinned: args.cpu,
        allowed_cpus: allowed,
        mlock,
        fifo,
    })
}
