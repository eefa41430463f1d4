//! The meta.json record of one run, built from what the run measured and
//! set up (the machine, the process, the build, every case) and handed to
//! the results format (`results::meta`) to write.

use crate::alloc;
use crate::cli::RunArgs;
use crate::clock::TimerInfo;
use crate::measure::{Done, NotApplicable};
use crate::names::Name;
use crate::platform::{self, Environment};
use crate::results::meta::*;
use crate::results::summary::Figures;
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::SystemTime;

/// The machine and its tuning, as far as this process can read them.
pub fn machine(pinned: Option<usize>, allowed_cpus: &[usize]) -> Machine {
    let cpu = pinned.unwrap_or(0);
    let line = platform::first_line;
    Machine {
        host: platform::host_name(),
        cpu_model: platform::cpu_model(),
        logical_cpus_online: platform::cpus_online(),
        allowed_cpus_before_pinning: allowed_cpus.to_vec(),
        kernel: platform::kernel(),
        governor: line(&format!(
            "/sys/devices/system/cpu/cpu{cpu}/cpufreq/scaling_governor"
        )),
        smt: line("/sys/devices/system/cpu/smt/control"),
        thp_enabled: platform::bracketed("/sys/kernel/mm/transparent_hugepage/enabled"),
        thp_defrag: platform::bracketed("/sys/kernel/mm/transparent_hugepage/defrag"),
        clocksource: line("/sys/devices/system/clocksource/clocksource0/current_clocksource"),
        isolation_cmdline: platform::isolation_flags(),
        libc: alloc::settings::libc_version(),
    }
}

/// The compiler, target and locked versions build.rs recorded.
mod built_info {
    include!(concat!(env!("OUT_DIR"), "/built.rs"));
}

/// The locked crates whose versions meta.json records: the allocators'
/// and the histograms'.
const RECORDED_CRATES: [&str; 11] = [
    "rlsf",
    "snmalloc-rs",
    "snmalloc-sys",
    "tikv-jemallocator",
    "tikv-jemalloc-sys",
    "mimalloc",
    "libmimalloc-sys",
    "tcmalloc-better",
    "libtcmalloc-sys",
    "hdrhistogram",
    "libc",
];

/// The build, from what build.rs recorded.
pub fn build() -> Build {
    Build {
        rustc: built_info::RUSTC_VERSION.into(),
        profile: if cfg!(debug_assertions) {
            "debug (figures are not representative)"
        } else {
            "release"
        }
        .into(),
        target: built_info::TARGET.into(),
        git_commit: env!("HARNESS_GIT_COMMIT").into(),
        crate_versions: built_info::DEPENDENCIES
            .iter()
            .filter(|(name, _)| RECORDED_CRATES.contains(name))
            .map(|&(name, version)| (name.to_string(), version.to_string()))
            .collect(),
        allocators_compiled_in: Name::compiled()
            .iter()
            .map(|n| n.as_str().to_string())
            .collect(),
        injected_slowdown: injected_slowdown(),
    }
}

/// The test double's slowdown, when this build has one and it is set.
fn injected_slowdown() -> Option<String> {
    #[cfg(feature = "inject-slowdown")]
    return crate::alloc::slowed::describe();
    #[cfg(not(feature = "inject-slowdown"))]
    None
}

pub fn histograms() -> Histograms {
    use crate::stats::bootstrap;
    use workloads::recorder;
    Histograms {
        unit: "ns".into(),
        lowest: 1,
        highest: recorder::HIGHEST_NS,
        significant_figures: recorder::SIGFIG,
        intervals: format!(
            "each .hlog holds {} or more consecutive windows of the recorded phase (churn: one per {} ops when that gives more)",
            workloads::MIN_WINDOWS,
            workloads::WINDOW_OPS
        ),
        min_windows: workloads::MIN_WINDOWS,
        churn_max_window_ops: workloads::WINDOW_OPS,
        bootstrap: BootstrapMethod {
            method: "block bootstrap: resample whole intervals with replacement".into(),
            replicates: bootstrap::REPLICATES,
            interval: "2.5th to 97.5th percentile of the replicates".into(),
            min_intervals: bootstrap::MIN_INTERVALS,
        },
    }
}

fn process(args: &RunArgs, env: &Environment) -> Process {
    const NOT_REQUESTED: &str = "not requested";
    Process {
        pinned_cpu: env.pinned,
        mlockall: match (&env.mlock, args.mlock) {
            (_, false) => NOT_REQUESTED.into(),
            (Ok(()), true) => "locked".into(),
            (Err(why), true) => format!("refused: {why}"),
        },
        sched_fifo: match &env.fifo {
            None => NOT_REQUESTED.into(),
            Some(Ok(priority)) => format!("priority {priority}"),
            Some(Err(why)) => format!("refused: {why}"),
        },
        glibc_rseq_registered: platform::glibc_rseq_registered(),
        reexecuted_for_tcmalloc: std::env::var_os("HARNESS_REEXECUTED_FOR_RSEQ").is_some(),
        syscalls: if args.syscalls {
            "counted per recorded phase in a traced re-run of the same plan (strace -f, markers around each phase; the harness's own calls excluded): summary.csv syscalls, syscalls_by_name"
        } else {
            "not counted (run with --syscalls)"
        }
        .into(),
    }
}

/// This run's entry in meta.json: when, how, on what, with which settings,
/// and each case's parameters and pools.
pub fn run(
    done: &[Done],
    skipped: &[NotApplicable],
    timer: &TimerInfo,
    run_id: &str,
    started: SystemTime,
    args: &RunArgs,
    env: &Environment,
) -> Run {
    let floor = done
        .iter()
        .find(|d| d.allocator == Name::Null)
        .map(|d| FloorEntry {
            workload: d.workload,
            alloc_p50_ns: Figures::of(&d.outcome.alloc).p50,
            free_p50_ns: Figures::of(&d.outcome.free).p50,
        });
    let allocators: BTreeMap<String, Value> = done
        .iter()
        .map(|d| {
            (
                d.allocator.as_str().to_string(),
                alloc::settings::settings(d.allocator),
            )
        })
        .collect();
    Run {
        run_id: run_id.into(),
        date: humantime::format_rfc3339_seconds(started).to_string(),
        command_line: std::env::args().collect(),
        machine: machine(env.pinned, &env.allowed_cpus),
        process: process(args, env),
        timer: timer.clone(),
        floor,
        build: build(),
        histograms: histograms(),
        allocators,
        cases: done.iter().map(case).collect(),
        not_applicable: skipped
            .iter()
            .map(|n| NotApplicableEntry {
                allocator: n.allocator,
                workload: n.workload,
                reason: n.reason.clone(),
            })
            .collect(),
        round: args.round.map(|r| r.to_string()),
    }
}

/// One case's parameters, figures and pools.
fn case(d: &Done) -> CaseEntry {
    let p50 = |rec| Figures::of(rec).p50;
    CaseEntry {
        allocator: d.allocator,
        workload: d.workload,
        size: d.case.size.label(),
        kind: format!("{:?}", d.case.kind),
        ops: d.case.ops,
        blocks: d.case.blocks,
        max_live: d.case.max_live,
        warmup_ops: d.case.warmup_ops(),
        seed: d.case.seed,
        recorded_ops: d.outcome.ops,
        windows: d.outcome.windows,
        seconds: d.elapsed.as_secs_f64(),
        first_call_ns: AllocFree {
            alloc: d.outcome.first_call.alloc_ns,
            free: d.outcome.first_call.free_ns,
        },
        recorded_phase: d.usage,
        null_files_kept_from_earlier_run: d.keep_earlier,
        threads: d.threads,
        request_interval_ns: match d.case.kind {
            workloads::Kind::Request { interval_ns } => interval_ns,
            _ => None,
        },
        p50_ns: AllocFree {
            alloc: p50(&d.outcome.alloc),
            free: p50(&d.outcome.free),
        },
        pmad: d.pmad.clone(),
        tlsf: d.tlsf.clone(),
        replay: replay(d),
        live: None,
    }
}

/// A replayed case's entry (None for the other workloads).
fn replay(d: &Done) -> Option<ReplayEntry> {
    let (workloads::Kind::Replay(trace), Some(r)) = (d.case.kind, d.outcome.replay) else {
        return None;
    };
    Some(ReplayEntry {
        trace: trace.name.clone(),
        calls: trace.calls.len() as u64,
        timed: workloads::Op::ALL
            .into_iter()
            .filter(|op| r.timed[op.index()] > 0)
            .map(|op| (op.name().to_string(), r.timed[op.index()]))
            .collect(),
        usable_size: r.usable_size,
        null_frees: r.null_frees,
        failed_when_recorded: r.failed_when_recorded,
        leaked_blocks: r.leaked_blocks,
        leaked_bytes: r.leaked_bytes,
        peak_live_bytes: r.peak_bytes,
        peak_live_blocks: r.peak_blocks,
    })
}
