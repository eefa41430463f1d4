//! `meta.json`: what is needed to judge and reproduce a run: the machine,
//! the OS's tuning, the timer and its floor, the build, every allocator's
//! settings, PMAD's pool per case, the command line.

use crate::clock::TimerInfo;
use serde_json::{json, Value};
use std::fs;

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
        "host": crate::host_name(),
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
