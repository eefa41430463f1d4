//! `meta.json`: what is needed to judge and reproduce a run: the machine,
//! the OS's tuning, the timer and its floor, the build, every allocator's
//! settings, PMAD's pool per case, the command line. One set of types
//! writes it (`run_meta` builds the record) and reads it back (`read`), so a reader
//! cannot ask for a field the writer does not produce. Keys are written
//! sorted (through `serde_json::Value`), as they always were.

use crate::names::Name;
use crate::names::WorkloadName;
use crate::results::pools::{PmadReport, TlsfReport};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// The whole file: one entry per harness run that still owns a row of
/// summary.csv (run_all.sh runs one binary per allocator).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Meta {
    pub runs: Vec<Run>,
    /// A merged run's rounds (`results::rounds`): absent in a run without.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rounds: Option<crate::results::rounds::RoundsRecord>,
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
    /// `--round K/N`: this process was round K of N, each case running
    /// 1/N of its ops. Absent in a run without rounds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub round: Option<String>,
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
    /// The slowdown a test double build injects (`inject-slowdown`), when
    /// it injects one: figures from such a run are not any allocator's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub injected_slowdown: Option<String>,
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live: Option<LiveEntry>,
}

/// A program timed live (`harness live`): what ran, how it ended, what
/// the shim saw and cost.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LiveEntry {
    pub program: String,
    pub command: Vec<String>,
    /// Whether child processes were timed too (--follow).
    pub follow: bool,
    pub exit_status: String,
    pub wall_seconds: f64,
    /// The same command without the shim, run just before.
    pub wall_seconds_without_shim: f64,
    /// Threads that made a call, over all images.
    pub threads: usize,
    /// Timed calls per op (the rows' samples).
    pub timed: BTreeMap<String, u64>,
    /// Calls forwarded untimed per op: made inside the shim (the
    /// allocator's, the loader's or glibc's own) or before its file existed.
    pub untimed: BTreeMap<String, u64>,
    pub usable_size_calls: u64,
    /// Calls served from the shim's bootstrap buffer.
    pub bootstrap_calls: u64,
    /// The shim's null row in this process: an empty call's P50 per op.
    pub shim_null_p50_ns: BTreeMap<String, u64>,
    pub images: Vec<LiveImage>,
}

/// One process image of a live program.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LiveImage {
    pub pid: u64,
    pub ppid: u64,
    pub exe: String,
    pub cmdline: Vec<String>,
    pub threads: usize,
    pub timed: BTreeMap<String, u64>,
    pub untimed: BTreeMap<String, u64>,
    /// It ran its exit handlers (else it ended by _exit, abort, a signal
    /// or exec; its counts are complete all the same).
    pub exited: bool,
    /// Threads whose counts were lost (stopped mid-merge).
    pub cut_off_threads: usize,
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

impl Meta {
    /// Reads meta.json's text; the error says where and what is wrong.
    pub fn parse(text: &str) -> Result<Meta, serde_json::Error> {
        serde_json::from_str(text)
    }
}

/// What the clock is and how far to trust it; goes into meta.json and the
/// terminal header.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimerInfo {
    /// "tsc", "cntvct_el0" or "instant".
    pub source: String,
    /// The instructions around the timed call.
    pub sequence: String,
    /// Ticks per second, measured (x86) or read from the hardware (aarch64).
    pub ticks_per_second: f64,
    pub ns_per_tick: f64,
    /// The step between back-to-back reads, in ns ([`smallest_step`]): an
    /// upper bound of the clock's resolution. Some counters step by more than one
    /// tick (AMD Zen's TSC moves at 100 MHz in steps of rate/100 MHz, 10 ns);
    /// a figure below it cannot be resolved.
    pub resolution_ns: f64,
    /// How the rate was found.
    pub calibration: String,
    /// Whether the counter keeps a constant rate through P-states and C-states
    /// (None when the platform cannot say).
    pub invariant: Option<bool>,
}

/// The recorded phase's counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhaseUsage {
    pub minor_faults: u64,
    pub major_faults: u64,
    pub voluntary_ctx_switches: u64,
    pub involuntary_ctx_switches: u64,
    pub rss_before_kb: Option<u64>,
    pub rss_after_kb: Option<u64>,
    /// Peak RSS during the phase; None where the peak cannot be reset.
    pub rss_peak_kb: Option<u64>,
}
