//! The process and the OS around a run: this machine's name, the CPUs the
//! process may use, pinning, memory locking, real-time scheduling, glibc's
//! rseq registration and TCMalloc's production configuration, and the
//! [`Environment`] those left for meta.json, and the machine's facts
//! meta.json records (CPU model, kernel, tuning files). The calls are raw libc, each
//! with its SAFETY comment.

use std::sync::atomic::{AtomicBool, Ordering};

/// CPUs this process may run on (its affinity mask).
#[cfg(target_os = "linux")]
pub fn allowed_cpus() -> Vec<usize> {
    // SAFETY: cpu_set_t is plain data; zeroed is a valid empty set, and
    // sched_getaffinity writes at most size_of::<cpu_set_t>() bytes into it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            return Vec::new();
        }
        (0..libc::CPU_SETSIZE as usize)
            .filter(|&c| libc::CPU_ISSET(c, &set))
            .collect()
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
    // SAFETY: as in `allowed_cpus`; `cpu` < CPU_SETSIZE since it is in the mask.
    let rc = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set)
    };
    if rc != 0 {
        return Err(format!(
            "--cpu {cpu}: sched_setaffinity failed: {}",
            std::io::Error::last_os_error()
        ));
    }
    Ok(())
}

#[cfg(not(target_os = "linux"))]
pub fn pin(cpu: usize) -> Result<(), String> {
    Err(format!("--cpu {cpu}: pinning is only supported on Linux"))
}

/// Locks every current and future page of the process in RAM.
pub fn mlock_all() -> Result<(), String> {
    // SAFETY: mlockall takes flags only.
    if unsafe { libc::mlockall(libc::MCL_CURRENT | libc::MCL_FUTURE) } == 0 {
        Ok(())
    } else {
        Err(format!(
            "mlockall failed: {} (raise RLIMIT_MEMLOCK, e.g. `ulimit -l unlimited`)",
            std::io::Error::last_os_error()
        ))
    }
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

/// Moves the calling thread onto `cpus` (helper threads, off the measuring CPU).
#[cfg(target_os = "linux")]
pub fn set_affinity(cpus: &[usize]) {
    // SAFETY: as in `allowed_cpus`; every CPU came from the affinity mask,
    // so each is below CPU_SETSIZE.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        for &c in cpus {
            libc::CPU_SET(c, &mut set);
        }
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
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
    let mut buf = [0u8; 256];
    // SAFETY: gethostname writes at most buf.len() bytes into buf.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    let raw = if rc == 0 {
        let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
        String::from_utf8_lossy(&buf[..end]).into_owned()
    } else {
        String::new()
    };
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
