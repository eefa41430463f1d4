//! A measuring run (no subcommand; `replay` too): every input checked
//! first, then the process set up (pinning, mlock, SCHED_FIFO), then each
//! repeat of the plan.

use crate::cli::RunArgs;
use crate::failure::Failure;
use crate::plan::{self, Plan};
use crate::{paths, platform, results, run, shared_lib, syscalls};

/// Plans the run from its flags and measures it.
pub fn main(args: RunArgs) -> Result<(), Failure> {
    let plan = plan::plan(&args).map_err(Failure::usage)?;
    match args.rounds {
        Some(n) if n > 1 => in_rounds(&args, &plan, n),
        _ => measure(args, plan),
    }
}

/// `--rounds N`: one process per allocator and round, then the merge.
fn in_rounds(args: &RunArgs, plan: &Plan, rounds: u32) -> Result<(), Failure> {
    if args.repeat > 1 || args.round.is_some() {
        return Err(Failure::usage(
            "--rounds runs its own rounds: leave out --repeat and --round".into(),
        ));
    }
    if args.syscalls {
        syscalls::check_strace().map_err(Failure::usage)?;
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| paths::fresh_run_dir(std::time::SystemTime::now(), std::process::id()));
    for k in 1..=rounds {
        let dir = results::rounds::round_dir(&out, k);
        results::sink::Sink::open(&dir, true).map_err(Failure::usage)?;
        let held = results::series::summary_csv(&dir).exists();
        if held && !args.force {
            return Err(Failure::usage(format!(
                "{} already holds a round's results; pass --force or choose another --out",
                dir.display()
            )));
        }
    }
    let allocators: Vec<crate::names::Name> = plan
        .allocators
        .iter()
        .copied()
        .filter(|&a| a != crate::names::Name::Null)
        .collect();
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    crate::merge::run::run_rounds(
        &argv,
        (&allocators, &plan.libraries),
        &out,
        rounds,
        args.seed,
        args.syscalls,
    )
    .map_err(Failure::run)?;
    let m = crate::merge::merge(&out, 2.0).map_err(Failure::run)?;
    println!("\nmerged {} rounds into {}", m.rounds, out.display());
    println!("{}", crate::merge::split_half_sentence(&m.split_half));
    print_next_steps(&out);
    Ok(())
}

/// Measures `plan` (from the flags, or `replay`'s traces) `--repeat` times,
/// then says where the results are and how to chart and report them.
pub fn measure(args: RunArgs, plan: Plan) -> Result<(), Failure> {
    if args.repeat > 1 && args.round.is_some() {
        return Err(Failure::usage(format!(
            "--round {}: a round runs once; leave out --repeat",
            args.round.map(|r| r.to_string()).unwrap_or_default()
        )));
    }
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
        .map(|k| results::sink::Sink::open(&results::spread::repeat_dir(&out, k), args.force))
        .collect::<Result<Vec<_>, _>>()
        .map_err(Failure::usage)?;
    shared_lib::check_preloaded().map_err(Failure::usage)?;
    let (here, elsewhere) = (plan.in_process(), plan.elsewhere());
    let env = set_up(&args, &here, allowed)?;
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
        let dir = sink.dir().to_path_buf();
        run::execute(&this, &here, sink, &env)?;
        for lib in &elsewhere {
            shared_lib::launch::measure(lib, &dir, args.force, this.syscalls)
                .map_err(Failure::run)?;
        }
    }
    if args.repeat > 1 {
        let (path, n) = results::spread::write(&out).map_err(Failure::io)?;
        println!("\nspread across {n} repeats: {}", path.display());
    }
    if shared_lib::preloaded().is_none() {
        print_next_steps(&out);
    }
    Ok(())
}

/// Where the results are, and the commands that chart and report them.
fn print_next_steps(out: &std::path::Path) {
    let me = paths::invocation();
    let plots = paths::default_plots(out);
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
}

/// The process as the run asks: TCMalloc's needs, pinning, mlock and
/// SCHED_FIFO (the last two only warn when refused).
fn set_up(
    args: &RunArgs,
    plan: &Plan,
    allowed: Vec<usize>,
) -> Result<platform::Environment, Failure> {
    if plan.allocators.contains(&crate::names::Name::Tcmalloc) {
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
