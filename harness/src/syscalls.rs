//! `--syscalls`: exact counts of the system calls made during each recorded
//! phase, without touching the timed run.
//!
//! After the timed run, the harness runs the same plan again as a child
//! under `strace -f` (ptrace: every thread, no root needed for one's own
//! child), with markers: the child writes a short line to /dev/null at each
//! recorded phase's start and end, around its own hand-over of a churn
//! window, and from each of its helper threads. The strace log is then read
//! back: every call by any thread of the process between a phase's markers
//! counts, except the harness's own (its helper threads, its window
//! hand-over, the markers). Same seed, same plan: the traced phase makes
//! the same calls in the same order as the timed one, and the timed one was
//! never traced. The traced run's latencies are thrown away.

use std::collections::{BTreeMap, HashSet};
use std::ffi::OsString;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicI32, Ordering};

/// Set in the traced child: write the markers.
pub const MARKERS_ENV: &str = "HARNESS_SYSCALL_MARKERS";
const TAG: &str = "harness-mark ";

/// The /dev/null descriptor markers go to; -1 when markers are off.
static MARKER_FD: AtomicI32 = AtomicI32::new(-1);

/// Opens the marker descriptor when this process is the traced child.
pub fn init_markers() {
    if std::env::var_os(MARKERS_ENV).is_none() {
        return;
    }
    // SAFETY: a NUL-terminated path; the descriptor is kept for the process's life.
    let fd = unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC) };
    MARKER_FD.store(fd, Ordering::Relaxed);
}

/// Writes one marker line (a single write(2); nothing when markers are off).
/// `line` is preformatted, so marking never allocates.
pub fn mark(line: &str) {
    let fd = MARKER_FD.load(Ordering::Relaxed);
    if fd >= 0 {
        // SAFETY: fd is the open /dev/null descriptor; the buffer is `line`.
        unsafe { libc::write(fd, line.as_ptr().cast(), line.len()) };
    }
}

/// The marker lines.
pub fn start_line(allocator: &str, workload: &str, size: usize) -> String {
    format!("{TAG}start {allocator} {workload} {size}\n")
}
pub const END: &str = "harness-mark end\n";
pub const OWN_BEGIN: &str = "harness-mark own-begin\n";
pub const OWN_END: &str = "harness-mark own-end\n";
pub const HELPER: &str = "harness-mark helper\n";

/// The system calls of one recorded phase, by name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PhaseCalls {
    pub allocator: String,
    pub workload: String,
    pub size: usize,
    pub by_name: BTreeMap<String, u64>,
}

impl PhaseCalls {
    pub fn total(&self) -> u64 {
        self.by_name.values().sum()
    }

    /// "madvise=12 mmap=3", or "none".
    pub fn breakdown(&self) -> String {
        if self.by_name.is_empty() {
            return "none".into();
        }
        self.by_name
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Reads an `strace -f` log (`TID name(args) = ret` lines) into one entry
/// per marked phase.
pub fn parse(log: &str) -> Result<Vec<PhaseCalls>, String> {
    let mut state = Parse::default();
    for (n, line) in log.lines().enumerate() {
        let Some((tid, name, rest)) = call_of(line) else {
            continue;
        };
        if name == "write" {
            if let Some(at) = rest.find(TAG) {
                let marker = rest[at + TAG.len()..].split("\\n").next().unwrap_or("");
                state
                    .marker(tid, marker)
                    .map_err(|why| format!("strace log line {}: {why}", n + 1))?;
                continue;
            }
        }
        if let Some((measuring, calls)) = state.current.as_mut() {
            if state.helpers.contains(&tid) || (tid == *measuring && state.own) {
                continue;
            }
            *calls.by_name.entry(name.to_string()).or_default() += 1;
        }
    }
    if state.current.is_some() {
        return Err("strace log: the last phase never ended (did the traced run fail?)".into());
    }
    Ok(state.out)
}

/// A line's thread, call name and the text from the name on; None for
/// lines that are not a new call (resumed halves, signals, exits).
fn call_of(line: &str) -> Option<(u32, &str, &str)> {
    let (tid, rest) = line.split_once(char::is_whitespace)?;
    let tid = tid.parse::<u32>().ok()?;
    let rest = rest.trim_start();
    if rest.starts_with("<...") || rest.starts_with("+++") || rest.starts_with("---") {
        return None;
    }
    let name = &rest[..rest.find('(')?];
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return None;
    }
    Some((tid, name, rest))
}

/// What [`parse`] knows so far: the harness's helper threads, the phase
/// being counted (its measuring thread), whether that thread is in the
/// harness's own code, and the phases ended.
#[derive(Default)]
struct Parse {
    helpers: HashSet<u32>,
    current: Option<(u32, PhaseCalls)>,
    own: bool,
    out: Vec<PhaseCalls>,
}

impl Parse {
    /// Thread `tid` wrote `marker`; the error says why it is refused.
    fn marker(&mut self, tid: u32, marker: &str) -> Result<(), String> {
        let words: Vec<&str> = marker.split(' ').collect();
        match words.as_slice() {
            ["helper"] => {
                self.helpers.insert(tid);
            }
            ["own-begin"] => self.own = true,
            ["own-end"] => self.own = false,
            ["start", allocator, workload, size] => {
                let size = size.parse().map_err(|e| format!("size: {e}"))?;
                let calls = PhaseCalls {
                    allocator: allocator.to_string(),
                    workload: workload.to_string(),
                    size,
                    by_name: BTreeMap::new(),
                };
                self.current = Some((tid, calls));
                self.own = false;
            }
            ["end"] => match self.current.take() {
                Some((_, calls)) => self.out.push(calls),
                None => return Err("a phase end without its start".into()),
            },
            _ => return Err("unknown marker".into()),
        }
        Ok(())
    }
}

/// Whether strace can be run; the error names what to install.
pub fn check_strace() -> Result<(), String> {
    match Command::new("strace").arg("-V").output() {
        Ok(o) if o.status.success() => Ok(()),
        _ => Err("--syscalls needs strace on PATH (e.g. apt-get install strace)".into()),
    }
}

/// The flags the traced run must not repeat: it writes a scratch directory
/// of its own, quietly, and does not trace itself again.
const NOT_REPEATED: [(&str, bool); 5] = [
    ("--out", true),
    ("--repeat", true),
    ("--syscalls", false),
    ("--force", false),
    ("--no-progress", false),
];

/// The traced run's arguments: this run's own, word for word (so no flag
/// can be dropped, `--rate` included), less [`NOT_REPEATED`] (in either
/// the `--flag value` or the `--flag=value` form), then the scratch `--out`
/// and `--no-progress`.
fn child_args(original: &[OsString], out: &Path) -> Vec<OsString> {
    let mut v = Vec::with_capacity(original.len() + 3);
    let mut words = original.iter();
    while let Some(word) = words.next() {
        let text = word.to_string_lossy();
        let (flag, inline_value) = match text.split_once('=') {
            Some((flag, _)) => (flag, true),
            None => (text.as_ref(), false),
        };
        match NOT_REPEATED.iter().find(|(f, _)| *f == flag) {
            Some((_, takes_value)) => {
                if *takes_value && !inline_value {
                    words.next();
                }
            }
            None => v.push(word.clone()),
        }
    }
    v.extend([
        OsString::from("--out"),
        out.as_os_str().to_os_string(),
        OsString::from("--no-progress"),
    ]);
    v
}

/// Runs the plan again under strace, with this process's own arguments,
/// and returns each phase's calls.
pub fn count() -> Result<Vec<PhaseCalls>, String> {
    let original: Vec<OsString> = std::env::args_os().skip(1).collect();
    let scratch = std::env::temp_dir().join(format!("harness-syscalls-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).map_err(|e| format!("{}: {e}", scratch.display()))?;
    let log = scratch.join("strace.log");
    let exe = std::env::current_exe().map_err(|e| format!("--syscalls: this executable: {e}"))?;
    eprintln!(
        "harness: --syscalls: running the plan again under strace -f (its timings are discarded)"
    );
    let out = Command::new("strace")
        .args(["-f", "-qq", "-s", "128", "-o"])
        .arg(&log)
        .arg("--")
        .arg(&exe)
        .args(child_args(&original, &scratch.join("results")))
        .env(MARKERS_ENV, "1")
        .output()
        .map_err(|e| format!("--syscalls: cannot start strace: {e}"));
    let result = out.and_then(|out| {
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            let last = err.lines().last().unwrap_or("").to_string();
            return Err(format!(
                "--syscalls: the traced run failed ({}): {last}",
                out.status
            ));
        }
        let text = std::fs::read_to_string(&log).map_err(|e| format!("{}: {e}", log.display()))?;
        parse(&text)
    });
    let _ = std::fs::remove_dir_all(&scratch);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = r#"100   mmap(NULL, 4096, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000
101   write(4, "harness-mark helper\n", 20) = 20
100   write(3, "harness-mark start jemalloc churn 1024\n", 39) = 39
100   madvise(0x7f0000000000, 8192, MADV_DONTNEED) = 0
101   futex(0x55, FUTEX_WAIT_PRIVATE, 0, NULL <unfinished ...>
100   write(3, "harness-mark own-begin\n", 23) = 23
100   futex(0x55, FUTEX_WAKE_PRIVATE, 1) = 1
101   <... futex resumed>)              = 0
100   write(3, "harness-mark own-end\n", 21) = 21
102   mmap(NULL, 2097152, PROT_NONE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0 <unfinished ...>
100   madvise(0x7f0000002000, 8192, MADV_DONTNEED) = 0
102   <... mmap resumed>)               = 0x7f1000000000
100   --- SIGALRM {si_signo=SIGALRM} ---
100   write(3, "harness-mark end\n", 17) = 17
100   munmap(0x7f0000000000, 4096) = 0
100   write(3, "harness-mark start pmad churn 0\n", 32) = 32
100   write(3, "harness-mark end\n", 17) = 17
102   +++ exited with 0 +++
"#;

    #[test]
    fn only_the_allocators_calls_inside_a_phase_count() {
        let phases = parse(LOG).unwrap();
        assert_eq!(phases.len(), 2);
        let j = &phases[0];
        assert_eq!(
            (j.allocator.as_str(), j.workload.as_str(), j.size),
            ("jemalloc", "churn", 1024)
        );
        // Two madvise on the measuring thread and one mmap on another
        // (allocator) thread; the helper's futex, the hand-over's futex, the
        // markers, the signal and the resumed halves do not count.
        assert_eq!(j.breakdown(), "madvise=2 mmap=1");
        assert_eq!(j.total(), 3);
        assert_eq!(phases[1].total(), 0);
        assert_eq!(phases[1].breakdown(), "none");
        assert_eq!(phases[1].size, 0);
    }

    #[test]
    fn a_broken_log_is_an_error_not_a_count() {
        assert!(parse("100 write(3, \"harness-mark end\\n\", 17) = 17\n").is_err());
        assert!(parse("100 write(3, \"harness-mark start a b 1\\n\", 1) = 1\n").is_err());
        assert!(parse("100 write(3, \"harness-mark start a b x\\n\", 1) = 1\n100 write(3, \"harness-mark end\\n\", 1) = 1\n").is_err());
    }

    /// Every measuring flag, each set away from its default.
    const EVERY_FLAG: &[&str] = &[
        "--workload",
        "request",
        "--allocator",
        "pmad",
        "--size",
        "96",
        "--ops",
        "7",
        "--blocks",
        "5",
        "--live",
        "9",
        "--threads",
        "3",
        "--rate",
        "1234",
        "--quick",
        "--out",
        "/tmp/mine",
        "--cpu",
        "1",
        "--seed",
        "77",
        "--mlock",
        "--fifo",
        "--syscalls",
        "--force",
        "--no-progress",
        "--repeat",
        "3",
    ];

    fn parsed(words: &[OsString]) -> crate::cli::RunArgs {
        use clap::Parser;
        let argv = std::iter::once(OsString::from("harness")).chain(words.iter().cloned());
        crate::cli::Cli::try_parse_from(argv)
            .expect("the traced run's arguments parse")
            .run
    }

    #[test]
    fn the_traced_run_repeats_every_flag_but_its_own() {
        let scratch = Path::new("/tmp/scratch");
        for inline in [false, true] {
            let mut original: Vec<OsString> = EVERY_FLAG.iter().map(OsString::from).collect();
            if inline {
                // `--out=DIR` as well as `--out DIR`.
                let at = original.iter().position(|w| w == "--out").unwrap();
                original.splice(at..at + 2, [OsString::from("--out=/tmp/mine")]);
            }
            let child = parsed(&child_args(&original, scratch));
            let mine = parsed(&original);
            assert_eq!(child.out.as_deref(), Some(scratch));
            assert!(!child.syscalls && !child.force && child.no_progress);
            assert_eq!(child.repeat, 1, "the traced run measures once");
            assert_eq!(child.rate, Some(1234), "--rate must reach the traced run");
            // Everything else is the same, field for field.
            let same = crate::cli::RunArgs {
                out: mine.out.clone(),
                syscalls: mine.syscalls,
                force: mine.force,
                no_progress: mine.no_progress,
                repeat: mine.repeat,
                ..child
            };
            assert_eq!(format!("{same:?}"), format!("{mine:?}"));
        }
    }

    #[test]
    fn the_marker_lines_parse_back() {
        let line = start_line("tlsf", "bulk", 64);
        let logged = format!(
            "7 write(3, \"{}\", 1) = 1\n7 brk(NULL) = 0x1\n7 write(3, \"{}\", 1) = 1\n",
            line.replace('\n', "\\n"),
            END.replace('\n', "\\n")
        );
        let p = parse(&logged).unwrap();
        assert_eq!(p[0].allocator, "tlsf");
        assert_eq!(p[0].breakdown(), "brk=1");
    }
}
