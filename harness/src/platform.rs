//! The process and the OS around a run: this machine's name, the CPUs the
//! process may use, pinning, memory locking, real-time scheduling, glibc's
//! rseq registration and TCMalloc's production configuration, and the
//! [`Environment`] those left for meta.json, and the machine's facts
//! meta.json records (CPU model, kernel, tuning files). The calls go
//! through rustix where it has them (affinity, mlockall, uname); the rest
//! (SCHED_FIFO, sysconf, dlsym, the SIGPIPE disposition) are raw libc, each
//! with its SAFETY comment.

use std::sync::atomic::{AtomicBool, Ordering};

/// CPUs this process may run on (its affinity mask).
#[cfg(target_os = "linux")]
pub fn allowed_cpus() -> Vec<usize> {
    use rustix::thread::{sched_getaffinity, CpuSet};
    match sched_getaffinity(None) {
        Ok(set) => (0..CpuSet::MAX_CPU).filter(|&c| set.is_set(c)).collect(),
        Err(_) => Vec::new(),
    }
}

#[cfg(not(target_os = "linux"))]
pub fn allowed_cpus() -> Vec<usize> {
    (0..std::thread::available_parallelism().map_or(1, |n| n.get())).collect()
}

/// Pins the calling thread to `cpu`. Errors name the CPUs that exist.
#[cfg(target_os = "linux")]
pub fn pin(cpu: usize) -> Result<(), String> {
    let allowed = allowed_cpus();
    if !allowed.contains(&cpu) {
        return Err(format!(
            "--cpu {cpu}: no such CPU for this process (allowed: {allowed:?})"
        ));
    }
    let mut set = rustix::thread::CpuSet::new();
    set.set(cpu);
    rustix::thread::sched_setaffinity(None, &set)
        .map_err(|e| format!("--cpu {cpu}: sched_setaffinity failed: {e}"))
}

#[cfg(not(target_os = "linux"))]
pub fn pin(cpu: usize) -> Result<(), String> {
    Err(format!("--cpu {cpu}: pinning is only supported on Linux"))
}

/// Locks every current and future page of the process in RAM.
pub fn mlock_all() -> Result<(), String> {
    use rustix::mm::{mlockall, MlockAllFlags};
    mlockall(MlockAllFlags::CURRENT | MlockAllFlags::FUTURE).map_err(|e| {
        format!("mlockall failed: {e} (raise RLIMIT_MEMLOCK, e.g. `ulimit -l unlimited`)")
    })
}

/// Runs the calling thread under SCHED_FIFO at the lowest real-time
/// priority (enough to beat every normal task, and leave kernel threads alone).
#[cfg(target_os = "linux")]
pub fn fifo() -> Result<i32, String> {
    // SAFETY: sched_get_priority_min takes a policy constant.
    let priority = unsafe { libc::sched_get_priority_min(libc::SCHED_FIFO) };
    let param = libc::sched_param {
        sched_priority: priority,
    };
    // SAFETY: `param` is a valid sched_param for the call.
    if unsafe { libc::sched_setscheduler(0, libc::SCHED_FIFO, &param) } == 0 {
        Ok(priority)
    } else {
        Err(format!(
            "SCHED_FIFO not permitted: {} (needs root or CAP_SYS_NICE)",
            std::io::Error::last_os_error()
        ))
    }
}

#[cfg(not(target_os = "linux"))]
pub fn fifo() -> Result<i32, String> {
    Err("SCHED_FIFO is only supported on Linux".into())
}

/// Set when the environment variable that marks a re-executed harness is present.
const REEXEC_MARK: &str = "HARNESS_REEXECUTED_FOR_RSEQ";

/// TCMalloc's per-CPU caches need the thread's rseq area, which glibc >= 2.35
/// takes first. TCMalloc's own documentation says to run with
/// `GLIBC_TUNABLES=glibc.pthread.rseq=0`; glibc reads tunables only at
/// start-up, so the harness re-executes itself once with it, before any
/// measurement. Returns only when no re-exec is needed or it failed.
#[cfg(target_os = "linux")]
pub fn reexec_without_glibc_rseq() {
    use std::os::unix::process::CommandExt;
    if std::env::var_os(REEXEC_MARK).is_some() || glibc_rseq_registered() != Some(true) {
        return;
    }
    let tunables = match std::env::var("GLIBC_TUNABLES") {
        Ok(t) if !t.is_empty() => format!("{t}:glibc.pthread.rseq=0"),
        _ => "glibc.pthread.rseq=0".to_string(),
    };
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let err = std::process::Command::new(exe)
        .args(std::env::args_os().skip(1))
        .env("GLIBC_TUNABLES", tunables)
        .env(REEXEC_MARK, "1")
        .exec();
    eprintln!("harness: warning: could not re-execute with GLIBC_TUNABLES=glibc.pthread.rseq=0 ({err}); TCMalloc runs without per-CPU caches");
}

#[cfg(not(target_os = "linux"))]
pub fn reexec_without_glibc_rseq() {}

#[cfg_attr(not(feature = "tcmalloc"), allow(dead_code))]
static TCMALLOC_BACKGROUND: AtomicBool = AtomicBool::new(false);

/// Starts TCMalloc's background-actions thread (memory release, cache
/// resizing), as its crate documents for production use.
pub fn start_tcmalloc_background() {
    #[cfg(feature = "tcmalloc")]
    if tcmalloc_better::TCMalloc::process_background_actions_thread().is_some() {
        TCMALLOC_BACKGROUND.store(true, Ordering::Relaxed);
    }
}

#[cfg_attr(not(feature = "tcmalloc"), allow(dead_code))]
pub fn tcmalloc_background_started() -> bool {
    TCMALLOC_BACKGROUND.load(Ordering::Relaxed)
}

/// Moves the calling thread onto `cpus` (helper threads, off the measuring
/// CPU). Best effort: a helper left where it was still works.
#[cfg(target_os = "linux")]
pub fn set_affinity(cpus: &[usize]) {
    let mut set = rustix::thread::CpuSet::new();
    for &c in cpus {
        set.set(c);
    }
    let _ = rustix::thread::sched_setaffinity(None, &set);
}

#[cfg(not(target_os = "linux"))]
pub fn set_affinity(_cpus: &[usize]) {}

/// What the process set up before measuring, for meta.json.
pub struct Environment {
    pub pinned: Option<usize>,
    /// The affinity mask before `--cpu` narrowed it.
    pub allowed_cpus: Vec<usize>,
    pub mlock: Result<(), String>,
    pub fifo: Option<Result<i32, String>>,
}

/// Whether glibc registered an rseq area for this thread (glibc >= 2.35
/// exports `__rseq_size`, non-zero once registered). None when the symbol
/// is absent.
pub fn glibc_rseq_registered() -> Option<bool> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: dlsym with RTLD_DEFAULT and a NUL-terminated name only looks
        // the symbol up; when found, it is glibc's `const unsigned int`.
        unsafe {
            let sym = libc::dlsym(libc::RTLD_DEFAULT, c"__rseq_size".as_ptr());
            if sym.is_null() {
                None
            } else {
                Some(*(sym as *const u32) != 0)
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    None
}

/// This machine's name, made safe for a directory name.
pub fn host_name() -> String {
    let raw = rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .into_owned();
    let safe: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if safe.is_empty() {
        "unknown-host".into()
    } else {
        safe
    }
}

/// The first line of `path`, trimmed; None when unreadable.
pub fn first_line(path: &str) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.lines().next().unwrap_or("").trim().to_string())
}

/// The bracketed choice of a sysfs multiple-choice file ("always [madvise] never").
pub fn bracketed(path: &str) -> Option<String> {
    let line = first_line(path)?;
    let start = line.find('[')? + 1;
    let end = line[start..].find(']')? + start;
    Some(line[start..end].to_string())
}

/// The CPU's model name from /proc/cpuinfo (x86 and ARM spell it differently).
pub fn cpu_model() -> Option<String> {
    let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    info.lines()
        .find(|l| {
            l.starts_with("model name") || l.starts_with("Model") || l.starts_with("CPU part")
        })
        .and_then(|l| l.split(':').nth(1))
        .map(|s| s.trim().to_string())
}

/// "Linux 6.1.0 x86_64", from uname.
pub fn kernel() -> Option<String> {
    let u = rustix::system::uname();
    Some(format!(
        "{} {} {}",
        u.sysname().to_string_lossy(),
        u.release().to_string_lossy(),
        u.machine().to_string_lossy()
    ))
}

/// Kernel command-line flags that isolate CPUs from noise.
pub fn isolation_flags() -> Vec<String> {
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
    first_line("/proc/cmdline")
        .unwrap_or_default()
        .split_whitespace()
        .filter(|w| FLAGS.iter().any(|f| w.starts_with(f)))
        .map(str::to_string)
        .collect()
}

/// Logical CPUs online (sysconf); -1 when the OS does not say.
pub fn cpus_online() -> i64 {
    // SAFETY: sysconf takes a constant name and reads no memory of ours.
    unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) as i64 }
}

/// Lets a closed stdout end the process quietly, as it ends `cat`: Rust
/// ignores SIGPIPE, so `harness compare A B | head` would otherwise panic in
/// `println!` once `head` has read its lines. Results are always written
/// before anything is printed to stdout, so nothing is lost.
#[cfg(unix)]
pub fn quiet_on_closed_pipe() {
    // SAFETY: restoring SIGPIPE's default disposition, before any thread is
    // started, touches no memory of this process.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

#[cfg(not(unix))]
pub fn quiet_on_closed_pipe() {}
