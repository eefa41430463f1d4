//! The command line, parsed by clap (its flags are a contract: scripts use them). Values are
//! range-checked here so a bad one fails before anything runs or is written.

use crate::names::workload::WorkloadChoice;
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Largest block size accepted: PMAD's largest class (64 KiB). Tail latency
/// of larger blocks is the page allocator's story, not the allocator's.
pub const MAX_SIZE: u64 = 65_536;
/// Most operations per case: 10^10 (hours of run time; histograms keep memory flat).
pub const MAX_OPS: u64 = 10_000_000_000;
/// Most threads for `--threads`.
pub const MAX_THREADS: u32 = 64;
/// Most blocks in a bulk batch or a churn live set: 10^7.
pub const MAX_BLOCKS: u64 = 10_000_000;
/// Highest `--rate`: one request every 10 ns, far beyond any allocator.
pub const MAX_RATE: u64 = 100_000_000;
/// Most `--repeat`s.
pub const MAX_REPEATS: u32 = 100;
/// Most `--rounds` (of a run or of `harness ab`).
pub const MAX_ROUNDS: u32 = 100;

#[derive(Parser, Debug)]
#[command(
    name = "harness",
    version,
    // `--size -5` is a bad size (and says so), not an unknown flag.
    allow_negative_numbers = true,
    about = "Times every allocator call and records it in HdrHistograms: P50 to max, per op, per allocator",
    after_help = "Results: <out>/<allocator>/<workload>-<size>-<op>.{hgrm,hlog}, <out>/summary.csv, <out>/meta.json"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// List the workloads and the allocators compiled into this binary.
    List,
    /// Render the charts of a results directory (reads files, never measures).
    Plot(PlotArgs),
    /// Write REPORT.md into a results directory (reads files, never measures).
    Report(ReportArgs),
    /// Compare two results directories, or two allocators of one: each
    /// percentile's change with its 95 % interval and a verdict.
    Compare(CompareArgs),
    /// Write <results>/spread.csv: each figure's min, median and max across
    /// the repeats in <results> and <results>/repeats/<k> (a run with
    /// --repeat N does this after its last repeat).
    Spread(SpreadArgs),
    /// Merge the rounds of a run (<results>/rounds/<k>, from --rounds N or
    /// run_all.sh) into <results>: each figure the median over rounds, its
    /// interval from them, and the run's split-half A/A in meta.json.
    Rounds(RoundsArgs),
    /// Re-derive every row of <results>/summary.csv (percentiles, net
    /// figures, their intervals) from the raw .hlog files beside it; exits
    /// 1 naming each column that differs.
    Verify(VerifyArgs),
    /// Count instructions per call, exactly, under valgrind's callgrind:
    /// each alloc and free of the recorded phase, nothing around it. Writes
    /// <out>/counts.csv; needs valgrind (it says how to install it).
    Count(CountArgs),
    /// Run a dynamically linked command with the allocation recorder
    /// preloaded and write its trace: every malloc-family call, in order.
    /// Prints what the trace holds; exits with the command's status.
    Record(RecordArgs),
    /// Run a dynamically linked command once per allocator with the timing
    /// shim preloaded: every malloc-family call the program makes, on all
    /// its threads, forwarded to that allocator and timed in the program
    /// (workload live-<program>, a null row of the shim's own cost), written
    /// as a run writes. Also runs it once plain, for its wall time.
    Live(LiveArgs),
    /// Print what a trace holds (calls by kind, threads, peak live set,
    /// sizes), as `record` printed it; a damaged trace exits 2.
    Trace(TraceArgs),
    /// Replay traces (from `record`) on every allocator compiled in, the
    /// null row first: each call made in recorded order on one thread and
    /// timed under its op (alloc, free, calloc, realloc, aligned), written
    /// as a run writes (workload replay-<file name>). Takes a run's flags
    /// that apply: --allocator, --ops (the first N calls), --out, --cpu,
    /// --mlock, --fifo, --force, --no-progress, --repeat, and --threads N
    /// (N: the threads the trace was recorded on) to replay each recorded
    /// thread on a thread of its own.
    Replay(ReplayArgs),
    /// A/B of two builds or two settings on this machine: baseline and
    /// candidate run alternately (ABBA), a fresh process per side and
    /// round, each round into <out>/<side> (round 1) or
    /// <out>/<side>/repeats/<k>. Every figure is the median over rounds;
    /// the change is the median of the rounds' candidate / baseline ratios,
    /// with its sign-test 95 % interval. Writes <out>/verdicts.csv and
    /// <out>/ab.json, prints the table; exits 1 under --fail-above. Takes a
    /// run's flags after `ab` (--workload, --allocator, --size, --ops,
    /// --quick, --cpu, ...), passed to every process.
    Ab(AbArgs),
}

#[derive(clap::Args, Debug, Clone)]
pub struct AbArgs {
    /// The baseline's harness binary (default: this one).
    #[arg(long, value_name = "PATH")]
    pub baseline_bin: Option<PathBuf>,
    /// The candidate's harness binary (default: this one).
    #[arg(long, value_name = "PATH")]
    pub candidate_bin: Option<PathBuf>,
    /// An environment variable set for the baseline's processes (repeatable).
    #[arg(long, value_name = "K=V", value_parser = env_pair)]
    pub baseline_env: Vec<(String, String)>,
    /// An environment variable set for the candidate's processes (repeatable).
    #[arg(long, value_name = "K=V", value_parser = env_pair)]
    pub candidate_env: Vec<(String, String)>,
    /// The noise threshold in percent: a change is faster or slower only
    /// when its whole 95 % interval lies beyond it.
    #[arg(
        long,
        default_value_t = 2.0,
        value_name = "PCT",
        allow_negative_numbers = true
    )]
    pub noise: f64,
    /// Exit 1 when any figure is slower by more than PCT percent (its
    /// whole interval above it).
    #[arg(long, value_name = "PCT", allow_negative_numbers = true)]
    pub fail_above: Option<f64>,
    /// Print a Markdown table instead of the terminal one.
    #[arg(long)]
    pub markdown: bool,

    /// The run's flags (--out is the A/B's directory, required).
    #[command(flatten)]
    pub run: RunArgs,
}

/// `K=V` for `--*-env`: a name that is not empty and holds no `=` or NUL.
fn env_pair(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() && !s.contains('\0') => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("'{s}' is not NAME=VALUE")),
    }
}

#[derive(clap::Args, Debug, Clone)]
pub struct ReplayArgs {
    /// The trace files; each is the workload replay-<its name without .trace>.
    #[arg(value_name = "FILE", required = true)]
    pub traces: Vec<PathBuf>,

    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(clap::Args, Debug, Clone)]
pub struct LiveArgs {
    /// Allocators, comma-separated: system, jemalloc and mimalloc (compiled
    /// into the shim), library rows' names, or `all` (the built-ins that
    /// cannot serve a running program are listed with the reason).
    #[arg(
        long,
        default_value = "system,jemalloc,mimalloc",
        value_name = "NAME,...|all"
    )]
    pub allocator: String,

    /// A row NAME on the shared library at PATH, preloaded after the shim
    /// (repeatable).
    #[arg(long = "allocator-lib", value_name = "NAME=PATH", value_parser = crate::shared_lib::parse_arg)]
    pub allocator_lib: Vec<crate::shared_lib::LibArg>,

    /// Run the command N times on each allocator (the order rotated each
    /// time); repeats 2.. go to <out>/repeats/<k>, with spread.csv.
    #[arg(long, default_value_t = 1, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub repeat: u32,

    /// The results directory.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// Replace results already in --out.
    #[arg(long)]
    pub force: bool,

    /// Time child processes too: every process image that loads the shim
    /// (one workload per program).
    #[arg(long)]
    pub follow: bool,

    /// The shim library (default: liblive_shim.so beside this binary).
    #[arg(long, value_name = "PATH")]
    pub shim: Option<PathBuf>,

    /// The command to run, after `--`.
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<String>,
}

#[derive(clap::Args, Debug, Clone)]
pub struct TraceArgs {
    /// The trace file.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

#[derive(clap::Args, Debug, Clone)]
pub struct RecordArgs {
    /// The trace file to write (zstd-compressed, format version 1).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,

    /// Keep only the first N calls.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_events: Option<u64>,

    /// The recorder library (default: libtracer.so beside this binary).
    #[arg(long, value_name = "PATH")]
    pub tracer: Option<PathBuf>,

    /// The command to record, after `--`.
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<String>,
}

#[derive(clap::Args, Debug, Clone)]
pub struct CountArgs {
    /// Workload to count: hot-path, size-sweep, bulk, reverse-free, churn or all.
    #[arg(long, value_enum, default_value = "all", value_name = "NAME|all")]
    pub workload: WorkloadChoice,

    /// Allocators to count: a comma-separated list of names (`all`: every
    /// one compiled in). The null row is always counted.
    #[arg(long, default_value = "all", value_name = "NAME,...|all")]
    pub allocator: String,

    /// A row NAME counted on the shared library at PATH, preloaded
    /// (repeatable), as for a run.
    #[arg(long = "allocator-lib", value_name = "NAME=PATH", value_parser = crate::shared_lib::parse_arg)]
    pub allocator_lib: Vec<crate::shared_lib::LibArg>,

    /// Recorded operations per case, as for a run (default: 2,000 hot-path
    /// pairs; 500 per size-sweep size; 2,000 bulk blocks; 5,000 churn ops).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub ops: Option<u64>,

    /// Results directory to add counts.csv to (default: a fresh
    /// <cargo target dir>/harness/<UTC time>-<pid>).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Seed of every random choice, as for a run.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub seed: u64,

    /// Check the counts against the limits in FILE (allocator, workload,
    /// size, op, max instructions per call); exit 1 when any is exceeded.
    #[arg(long, value_name = "FILE")]
    pub guard: Option<PathBuf>,

    /// With --guard: write this count's figures into FILE as the new limits
    /// (after an intended change; see METHODOLOGY.md).
    #[arg(long, requires = "guard")]
    pub update_guard: bool,
}

#[derive(clap::Args, Debug)]
pub struct SpreadArgs {
    /// The results directory of repeat 1, holding repeats/<k> for the others.
    #[arg(long, value_name = "DIR")]
    pub results: PathBuf,
}

#[derive(clap::Args, Debug)]
pub struct RoundsArgs {
    /// The run's results directory, holding rounds/<k>.
    #[arg(long, value_name = "DIR")]
    pub results: PathBuf,
    /// The noise threshold of the split-half A/A in percent: a figure is
    /// faster or slower only when its whole interval lies beyond it.
    #[arg(long, default_value_t = 2.0, value_name = "PCT")]
    pub noise: f64,
}

#[derive(clap::Args, Debug)]
pub struct VerifyArgs {
    /// The results directory whose summary.csv to check.
    #[arg(long, value_name = "DIR")]
    pub results: PathBuf,
}

#[derive(clap::Args, Debug)]
pub struct CompareArgs {
    /// The baseline results directory.
    #[arg(value_name = "BASELINE")]
    pub baseline: PathBuf,
    /// The candidate results directory (omit it to compare two allocators
    /// of the baseline, with --allocators).
    #[arg(value_name = "CANDIDATE")]
    pub candidate: Option<PathBuf>,
    /// With one directory: the two allocators to compare, baseline first
    /// (`--allocators pmad,jemalloc`). With two: compare only these.
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    pub allocators: Vec<String>,
    /// The noise threshold in percent: a change is faster or slower only
    /// when its whole 95 % interval lies beyond it.
    #[arg(
        long,
        default_value_t = 2.0,
        value_name = "PCT",
        allow_negative_numbers = true
    )]
    pub noise: f64,
    /// Exit 1 when any percentile is slower by more than PCT percent (its
    /// whole interval above it): for CI.
    #[arg(long, value_name = "PCT", allow_negative_numbers = true)]
    pub fail_above: Option<f64>,
    /// Print a Markdown table instead of the terminal one.
    #[arg(long)]
    pub markdown: bool,
}

#[derive(clap::Args, Debug)]
pub struct PlotArgs {
    /// Results directory to read (default: results/<this host>).
    #[arg(long, value_name = "DIR")]
    pub results: Option<PathBuf>,
    /// Where the charts go (default: plots/<name> for results/<name>, else <results>/plots).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
pub struct ReportArgs {
    /// Results directory to read; REPORT.md is written into it (default: results/<this host>).
    #[arg(long, value_name = "DIR")]
    pub results: Option<PathBuf>,
    /// The charts to embed (default: plots/<name> for results/<name>, else <results>/plots).
    #[arg(long, value_name = "DIR")]
    pub plots: Option<PathBuf>,
    /// Instead of REPORT.md, rewrite the results section of this README
    /// (between its `<!-- results: begin ... -->` and `<!-- results: end -->` lines).
    #[arg(long, value_name = "FILE")]
    pub readme: Option<PathBuf>,
    /// Write nothing; exit 1 if the file on disk differs from what would be
    /// written (CI's staleness check).
    #[arg(long)]
    pub check: bool,
}

/// `--workload`'s values, from the names (one definition: [`WorkloadChoice`]).
impl ValueEnum for WorkloadChoice {
    fn value_variants<'a>() -> &'a [Self] {
        static EVERY: std::sync::OnceLock<Vec<WorkloadChoice>> = std::sync::OnceLock::new();
        EVERY.get_or_init(WorkloadChoice::every)
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        let value = clap::builder::PossibleValue::new(self.as_str());
        Some(match self {
            WorkloadChoice::Request => value.help("request-closed and request-open"),
            _ => value,
        })
    }
}

#[derive(clap::Args, Debug, Clone)]
pub struct RunArgs {
    /// Workload to run.
    #[arg(long, value_enum, default_value = "all", value_name = "NAME|all")]
    pub workload: WorkloadChoice,

    /// Allocators to run: a comma-separated list of names (`all`: every
    /// one compiled in). The null row is always measured.
    #[arg(long, default_value = "all", value_name = "NAME,...|all")]
    pub allocator: String,

    /// Also a row NAME whose every timed call goes to the malloc, free,
    /// calloc, realloc and posix_memalign of the shared library at PATH
    /// (repeatable). It is measured in a process of this binary of its own
    /// with the library preloaded (LD_PRELOAD), and labelled NAME in every
    /// file, table and chart; meta.json records the library's file, hash,
    /// version and where the process's malloc resolved.
    #[arg(long = "allocator-lib", value_name = "NAME=PATH", value_parser = crate::shared_lib::parse_arg)]
    pub allocator_lib: Vec<crate::shared_lib::LibArg>,

    /// Block size in bytes, 1 to 65536 (default: 64; churn: 1024 and mixed 16-4096; size-sweep: 16 to 4096).
    #[arg(long, value_name = "BYTES", value_parser = clap::value_parser!(u64).range(1..=MAX_SIZE))]
    pub size: Option<u64>,

    /// Recorded operations per case: pairs for hot-path and size-sweep (per size),
    /// blocks for bulk and reverse-free, alloc+free ops for churn, requests
    /// for request, blocks per thread for producer-consumer; a replay's
    /// first N calls. 1 to 10^10.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=MAX_OPS))]
    pub ops: Option<u64>,

    /// Blocks per bulk / reverse-free round (default 10000).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=MAX_BLOCKS))]
    pub blocks: Option<u64>,

    /// Most live blocks in churn (default 100000).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=MAX_BLOCKS))]
    pub live: Option<u64>,

    /// Threads running hot-path and churn at once, each with its own
    /// histograms (merged in summary.csv, kept apart in the raw output).
    /// PMAD and TLSF get a pool per thread; the others share their heap.
    /// producer-consumer runs on this many threads, at least 2; other
    /// workloads run on one thread.
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..=MAX_THREADS as i64))]
    pub threads: u32,

    /// Requests per second of request-open, the open loop: request i is due
    /// i / RATE seconds after recording starts (default 50000).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=MAX_RATE))]
    pub rate: Option<u64>,

    /// Shrink every workload so all allocators x all workloads take about a minute.
    #[arg(long)]
    pub quick: bool,

    /// Results directory (default: a fresh <cargo target dir>/harness/<UTC time>-<pid>;
    /// the committed results/<host> only when named here).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Pin the measuring thread to this CPU.
    #[arg(long, value_name = "N")]
    pub cpu: Option<usize>,

    /// Seed of every random choice (churn's ops, sizes and victims).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub seed: u64,

    /// Lock all memory (mlockall) and PMAD's pools in RAM.
    #[arg(long)]
    pub mlock: bool,

    /// Run under SCHED_FIFO (needs CAP_SYS_NICE; warns and goes on without it).
    #[arg(long)]
    pub fifo: bool,

    /// Also count each recorded phase's system calls: the plan runs a second
    /// time under `strace -f` (needs strace; its timings are discarded).
    #[arg(long)]
    pub syscalls: bool,

    /// Overwrite earlier results in --out.
    #[arg(long)]
    pub force: bool,

    /// No progress bar (it is also hidden when stderr is not a terminal).
    #[arg(long)]
    pub no_progress: bool,
    /// Run the whole plan N times: repeat 1 into --out, repeat k into
    /// <out>/repeats/<k>; then <out>/spread.csv gives each figure's min,
    /// median and max across them (--syscalls counts in repeat 1 only).
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..=MAX_REPEATS as i64))]
    pub repeat: u32,
    /// Run in N rounds: in each, every allocator runs every case once, in
    /// a fresh process of this binary, in an order shuffled per round;
    /// each case's ops are split across the rounds (not multiplied).
    /// Round k goes into <out>/rounds/<k>; then <out> holds the merged
    /// run: each figure the median over rounds, its interval from them.
    /// Default 1 (no rounds). `harness ab`: its rounds, each running both
    /// sides once (default 12, at least 5: five rounds' range covers a
    /// median with 93.75 %; 12 also give the split-half A/A 6 pairs).
    #[arg(long, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=MAX_ROUNDS as i64))]
    pub rounds: Option<u32>,
    /// This process is round K of N (set by --rounds and run_all.sh):
    /// each case runs 1/N of its ops (rounded up), and meta.json says so.
    #[arg(long, value_name = "K/N", value_parser = parse_round)]
    pub round: Option<RoundOf>,
}

/// One round of a run made of several (`--round K/N`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RoundOf {
    pub k: u32,
    pub n: u32,
}

impl RoundOf {
    /// A case's share of `ops` in this round: ops / n, rounded up.
    pub fn share(&self, ops: u64) -> u64 {
        ops.div_ceil(u64::from(self.n))
    }
}

impl std::fmt::Display for RoundOf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.k, self.n)
    }
}

/// `K/N` with 1 <= K <= N <= [`MAX_ROUNDS`].
fn parse_round(s: &str) -> Result<RoundOf, String> {
    let bad = || format!("'{s}' is not K/N (round K of N, 1 <= K <= N <= {MAX_ROUNDS})");
    let (k, n) = s.split_once('/').ok_or_else(bad)?;
    let (k, n): (u32, u32) = (k.parse().map_err(|_| bad())?, n.parse().map_err(|_| bad())?);
    if k == 0 || k > n || n > MAX_ROUNDS {
        return Err(bad());
    }
    Ok(RoundOf { k, n })
}
