//! `meta.json`: what is needed to judge and reproduce a run: the machine,
//! the OS's tuning, the timer and its floor, the build, every allocator's
//! settings, PMAD's pool per case, the command line. One set of types
//! writes it (`run`) and reads it back (`render::results`), so a reader
//! cannot ask for a field the writer does not produce. Keys are written
//! sorted (through `serde_json::Value`), as they always were.

use crate::alloc::{self, PmadReport, TlsfReport};
use crate::cli::RunArgs;
use crate::clock::TimerInfo;
use crate::measure::{Done, NotApplicable};
use crate::names::Name;
use crate::names::WorkloadName;
use crate::output::summary::Figures;
use crate::platform::{self, Environment};
use crate::usage::PhaseUsage;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::SystemTime;

/// The whole file: one entry per harness run that still owns a row of
/// summary.csv (run_all.sh runs one binary per allocator).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Meta {
    pub runs: Vec<Run>,
}

/// One harness run.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Run {
    pub run_id: String,
    /// RFC 3339, UTC, to the second.
    pub date: String,
    pub command_line: Vec<String>,
    pub machine: Machine,
    pub process: Process,
    pub timer: TimerInfo,
    /// The null's hot-path (or first) case: the cost of the clock reads.
    pub floor: Option<FloorEntry>,
    pub build: Build,
    pub histograms: Histograms,
    /// Each allocator's settings as it reports them at run time: their
    /// keys are the allocator's own (jemalloc's mallctl names, mimalloc's
    /// options), so they stay a JSON object.
    pub allocators: BTreeMap<String, Value>,
    pub cases: Vec<CaseEntry>,
    pub not_applicable: Vec<NotApplicableEntry>,
}

/// The machine and its tuning, as far as the process could read them.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Machine {
    pub host: String,
    pub cpu_model: Option<String>,
    pub logical_cpus_online: i64,
    pub allowed_cpus_before_pinning: Vec<usize>,
    pub kernel: Option<String>,
    pub governor: Option<String>,
    pub smt: Option<String>,
    pub thp_enabled: Option<String>,
    pub thp_defrag: Option<String>,
    pub clocksource: Option<String>,
    /// Kernel command-line flags that isolate CPUs from noise.
    pub isolation_cmdline: Vec<String>,
    pub libc: Option<String>,
}

/// What the process set up before measuring.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Process {
    pub pinned_cpu: Option<usize>,
    /// "not requested", "locked", or why the OS refused.
    pub mlockall: String,
    /// "not requested", "priority N", or why the OS refused.
    pub sched_fifo: String,
    pub glibc_rseq_registered: Option<bool>,
    pub reexecuted_for_tcmalloc: bool,
    /// How system calls were counted, or that they were not.
    pub syscalls: String,
}

/// The null's P50s in its first case.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FloorEntry {
    pub workload: WorkloadName,
    pub alloc_p50_ns: u64,
    pub free_p50_ns: u64,
}

/// The build: compiler, commit, features and the allocator crates' versions.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Build {
    pub rustc: String,
    pub profile: String,
    pub target: String,
    pub git_commit: String,
    pub crate_versions: BTreeMap<String, String>,
    pub allocators_compiled_in: Vec<String>,
}

/// How the histograms were kept and how their intervals are bootstrapped.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Histograms {
    pub unit: String,
    pub lowest: u64,
    pub highest: u64,
    pub significant_figures: u8,
    pub intervals: String,
    pub min_windows: u64,
    pub churn_max_window_ops: u64,
    pub bootstrap: BootstrapMethod,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BootstrapMethod {
    pub method: String,
    pub replicates: usize,
    pub interval: String,
    pub min_intervals: usize,
}

/// An op pair of figures (`first_call_ns`, `p50_ns`).
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct AllocFree {
    pub alloc: u64,
    pub free: u64,
}

/// One case's parameters, figures and pools.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CaseEntry {
    pub allocator: Name,
    pub workload: WorkloadName,
    /// Bytes; 0 for mixed sizes (summary.csv's `size`).
    pub size: usize,
    /// `workloads::Kind`, debug-printed.
    pub kind: String,
    pub ops: u64,
    pub blocks: usize,
    pub max_live: usize,
    pub warmup_ops: u64,
    pub seed: u64,
    pub recorded_ops: u64,
    pub windows: u64,
    pub seconds: f64,
    pub first_call_ns: AllocFree,
    pub recorded_phase: Option<PhaseUsage>,
    pub null_files_kept_from_earlier_run: bool,
    pub threads: u32,
    pub request_interval_ns: Option<u64>,
    pub p50_ns: AllocFree,
    pub pmad: Option<PmadReport>,
    pub tlsf: Option<TlsfReport>,
    /// A replayed trace's case: what was made, counted and left over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replay: Option<ReplayEntry>,
}

/// What a replay did, beside its histograms: checked against its trace
/// before anything was written (`trace::replay::check`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ReplayEntry {
    /// The trace file, as named on the command line.
    pub trace: String,
    /// Calls replayed: the trace's first `--ops`, or all.
    pub calls: u64,
    /// Calls made and timed, by op.
    pub timed: BTreeMap<String, u64>,
    /// malloc_usable_size calls: asked, not timed.
    pub usable_size: u64,
    /// free(NULL): not made.
    pub null_frees: u64,
    /// Calls that returned null when recorded: not made.
    pub failed_when_recorded: u64,
    /// Blocks the trace never freed (its leaks, or what it left to exit),
    /// freed after the replay, untimed.
    pub leaked_blocks: u64,
    pub leaked_bytes: u64,
    /// The live set's peak during the replay (bytes as allocated).
    pub peak_live_bytes: u64,
    pub peak_live_blocks: u64,
}

/// An allocator a workload cannot run on, and why.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NotApplicableEntry {
    pub allocator: Name,
    pub workload: WorkloadName,
    pub reason: String,
}

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

/// What the `built` crate recorded at build time (build.rs).
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
    }
}

fn histograms() -> Histograms {
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

impl Meta {
    /// Reads meta.json's text; the error says where and what is wrong.
    pub fn parse(text: &str) -> Result<Meta, serde_json::Error> {
        serde_json::from_str(text)
    }
}
