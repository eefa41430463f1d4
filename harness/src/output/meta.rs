//! `meta.json`: what is needed to judge and reproduce a run: the machine,
//! the OS's tuning, the timer and its floor, the build, every allocator's
//! settings, PMAD's pool per case, the command line.

use crate::alloc::{self, Name};
use crate::cli::RunArgs;
use crate::clock::TimerInfo;
use crate::measure::{Done, NotApplicable};
use crate::output::summary::Figures;
use crate::platform::Environment;
use serde_json::{json, Value};
use std::fs;
use std::time::SystemTime;

/// The first line of `path`, trimmed; None when unreadable.
fn read_line(path: &str) -> Option<String> {
    fs::read_to_string(path)
        .ok()
        .map(|s| s.lines().next().unwrap_or("").trim().to_string())
}

/// The bracketed choice of a sysfs multiple-choice file ("always [madvise] never").
fn bracketed(path: &str) -> Option<String> {
    let line = read_line(path)?;
    let start = line.find('[')? + 1;
    let end = line[start..].find(']')? + start;
    Some(line[start..end].to_string())
}

fn cpu_model() -> Option<String> {
    let info = fs::read_to_string("/proc/cpuinfo").ok()?;
    info.lines()
        .find(|l| {
            l.starts_with("model name") || l.starts_with("Model") || l.starts_with("CPU part")
        })
        .and_then(|l| l.split(':').nth(1))
        .map(|s| s.trim().to_string())
}

fn kernel() -> Option<String> {
    // SAFETY: utsname is plain data; uname fills it with NUL-terminated strings.
    unsafe {
        let mut u: libc::utsname = std::mem::zeroed();
        if libc::uname(&mut u) != 0 {
            return None;
        }
        let field = |f: &[libc::c_char]| {
            std::ffi::CStr::from_ptr(f.as_ptr())
                .to_string_lossy()
                .into_owned()
        };
        Some(format!(
            "{} {} {}",
            field(&u.sysname),
            field(&u.release),
            field(&u.machine)
        ))
    }
}

/// Kernel command-line flags that isolate CPUs from noise.
fn isolation_flags() -> Vec<String> {
    const FLAGS: [&str; 8] = [
        "isolcpus",
        "nohz_full",
        "rcu_nocbs",
        "irqaffinity",
        "nosmt",
        "mitigations",
        "intel_pstate",
        "processor.max_cstate",
    ];
    read_line("/proc/cmdline")
        .unwrap_or_default()
        .split_whitespace()
        .filter(|w| FLAGS.iter().any(|f| w.starts_with(f)))
        .map(str::to_string)
        .collect()
}

/// The machine and its tuning, as far as this process can read them.
pub fn machine(pinned: Option<usize>, allowed_cpus: &[usize]) -> Value {
    let cpu = pinned.unwrap_or(0);
    // SAFETY: sysconf takes a constant name.
    let online = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
    json!({
        "host": crate::platform::host_name(),
        "cpu_model": cpu_model(),
        "logical_cpus_online": online,
        "allowed_cpus_before_pinning": allowed_cpus,
        "kernel": kernel(),
        "governor": read_line(&format!("/sys/devices/system/cpu/cpu{cpu}/cpufreq/scaling_governor")),
        "smt": read_line("/sys/devices/system/cpu/smt/control"),
        "thp_enabled": bracketed("/sys/kernel/mm/transparent_hugepage/enabled"),
        "thp_defrag": bracketed("/sys/kernel/mm/transparent_hugepage/defrag"),
        "clocksource": read_line("/sys/devices/system/clocksource/clocksource0/current_clocksource"),
        "isolation_cmdline": isolation_flags(),
        "libc": crate::alloc::settings::libc_version(),
    })
}

/// The build: compiler, commit, features and the allocator crates' versions.
pub fn build() -> Value {
    json!({
        "rustc": env!("HARNESS_RUSTC_VERSION"),
        "profile": if cfg!(debug_assertions) { "debug (figures are not representative)" } else { "release" },
        "target": env!("HARNESS_TARGET"),
        "git_commit": env!("HARNESS_GIT_COMMIT"),
        "crate_versions": serde_json::from_str::<Value>(env!("HARNESS_CRATE_VERSIONS")).unwrap_or(Value::Null),
        "allocators_compiled_in": crate::alloc::Name::compiled().iter().map(|n| n.as_str()).collect::<Vec<_>>(),
    })
}

/// The timer and its measured floor.
pub fn timer(info: &TimerInfo) -> Value {
    serde_json::to_value(info).unwrap_or(Value::Null)
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
    let cases: Vec<Value> = done.iter().map(case).collect();
    json!({
        "run_id": run_id,
        "date": humantime::format_rfc3339_seconds(started).to_string(),
        "command_line": std::env::args().collect::<Vec<_>>(),
        "machine": machine(env.pinned, &env.allowed_cpus),
        "process": {
            "pinned_cpu": env.pinned,
            "mlockall": if args.mlock { json!(env.mlock.clone().map(|()| "locked")) } else { json!("not requested") },
            "sched_fifo": match &env.fifo { None => json!("not requested"), Some(r) => json!(r) },
            "glibc_rseq_registered": crate::platform::glibc_rseq_registered(),
            "reexecuted_for_tcmalloc": std::env::var_os("HARNESS_REEXECUTED_FOR_RSEQ").is_some(),
            "syscalls": if args.syscalls {
                "counted per recorded phase in a traced re-run of the same plan (strace -f, markers around each phase; the harness's own calls excluded): summary.csv syscalls, syscalls_by_name"
            } else {
                "not counted (run with --syscalls)"
            },
        },
        "timer": self::timer(timer),
        "floor": floor,
        "build": build(),
        "histograms": {"unit": "ns", "lowest": 1, "highest": workloads::recorder::HIGHEST_NS, "significant_figures": workloads::recorder::SIGFIG, "intervals": format!("each .hlog holds {} or more consecutive windows of the recorded phase (churn: one per {} ops when that gives more)", workloads::MIN_WINDOWS, workloads::WINDOW_OPS), "min_windows": workloads::MIN_WINDOWS, "churn_max_window_ops": workloads::WINDOW_OPS, "bootstrap": {"method": "block bootstrap: resample whole intervals with replacement", "replicates": crate::stats::bootstrap::REPLICATES, "interval": "2.5th to 97.5th percentile of the replicates", "min_intervals": crate::stats::bootstrap::MIN_INTERVALS}},
        "allocators": settings,
        "cases": cases,
        "not_applicable": skipped.iter().map(|n| json!({
            "allocator": n.allocator.as_str(),
            "workload": n.workload,
            "reason": n.reason,
        })).collect::<Vec<_>>(),
    })
}

/// One case's parameters, figures and pools in meta.json.
fn case(d: &Done) -> Value {
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
}
