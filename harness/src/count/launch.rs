//! Starting the count: `harness count` runs itself again under valgrind's
//! callgrind with the same arguments, and passes on its exit code.
//!
//! Callgrind starts with collection off (so nothing is counted until the
//! counter toggles it on around a call) and simulates fixed caches, the
//! same on every machine, so counts from two machines compare. Address
//! space randomisation is turned off for the child, so two runs of the same
//! binary place every block at the same address and count the same.

use crate::failure::Failure;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The dump directory, for the run under callgrind.
pub const ENV_DUMPS: &str = "HARNESS_COUNT_DUMPS";
/// valgrind's version, for the rows.
pub const ENV_VALGRIND: &str = "HARNESS_COUNT_VALGRIND";

/// The simulated caches: size in bytes, associativity, line size. A
/// typical x86-64 core's L1s, and an 8 MiB last level.
const CACHES: [&str; 3] = ["--I1=32768,8,64", "--D1=32768,8,64", "--LL=8388608,16,64"];

/// The caches as counts.csv states them.
pub const CACHES_LABEL: &str = "I1 32 KiB 8-way, D1 32 KiB 8-way, LL 8 MiB 16-way, 64 B lines";

/// What to tell a user without valgrind.
fn install_hint() -> String {
    "valgrind is not installed: `harness count` runs itself under valgrind's callgrind. \
     Install it (Debian/Ubuntu: apt-get install valgrind; Fedora: dnf install valgrind; \
     Arch: pacman -S valgrind) and run the command again"
        .into()
}

/// `valgrind --version` ("valgrind-3.19.0"), or the install hint (exit 2).
pub fn valgrind_version() -> Result<String, Failure> {
    let out = Command::new("valgrind")
        .arg("--version")
        .output()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Failure::usage(install_hint()),
            _ => Failure::usage(format!("valgrind --version: {e}")),
        })?;
    let version = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if !out.status.success() || version.is_empty() {
        return Err(Failure::usage(format!(
            "valgrind --version failed ({}): is valgrind installed correctly?",
            out.status
        )));
    }
    Ok(version)
}

/// A directory of its own for the dumps, removed when the count ends.
struct DumpDir(PathBuf);

impl Drop for DumpDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs this binary again under callgrind with the same arguments (and
/// `--out`, resolved here when not given), and returns its exit code;
/// with `lib`, the library preloaded into it, which then counts that
/// library's row (and the null row) alone.
pub fn relaunch(
    out: &Path,
    out_given: bool,
    lib: Option<&crate::shared_lib::LibArg>,
) -> Result<(), Failure> {
    let version = valgrind_version()?;
    let exe = std::env::current_exe()
        .map_err(|e| Failure::run(format!("count: cannot find this executable: {e}")))?;
    let dumps = DumpDir(std::env::temp_dir().join(format!("harness-count-{}", std::process::id())));
    std::fs::create_dir_all(&dumps.0)
        .map_err(|e| Failure::io(format!("{}: {e}", dumps.0.display())))?;
    let mut cmd = callgrind(exe, &dumps.0, &version);
    if !out_given {
        cmd.arg("--out").arg(out);
    }
    if let Some(lib) = lib {
        crate::shared_lib::launch::preload(&mut cmd, lib);
    }
    cmd.stderr(std::process::Stdio::piped());
    let mut child = cmd
        .spawn()
        .map_err(|e| Failure::run(format!("count: starting valgrind: {e}")))?;
    let held = pass_on_stderr(&mut child);
    let status = child
        .wait()
        .map_err(|e| Failure::run(format!("count: waiting for valgrind: {e}")))?;
    if status.code().is_none() {
        for line in &held {
            eprintln!("{line}");
        }
    }
    match status.code() {
        Some(0) => Ok(()),
        // The run under valgrind has said why.
        Some(code) => Err(Failure::silent(code.clamp(1, 255) as u8)),
        None => Err(Failure::run(format!(
            "count: valgrind was stopped by a signal ({status})"
        ))),
    }
}

/// valgrind's callgrind on `exe` with this run's arguments, dumping into
/// `dumps`, counting from the harness's toggles only.
fn callgrind(exe: PathBuf, dumps: &Path, version: &str) -> Command {
    let mut cmd = Command::new("valgrind");
    cmd.args([
        "--tool=callgrind",
        "--collect-atstart=no",
        "--cache-sim=yes",
        "--dump-instr=no",
        "--dump-line=no",
        "--compress-strings=no",
        "--compress-pos=no",
        "-q",
    ])
    .args(CACHES)
    .arg(format!(
        "--callgrind-out-file={}",
        dumps.join("cg.out").display()
    ))
    .arg(exe)
    .args(std::env::args_os().skip(1))
    .env(ENV_DUMPS, dumps)
    .env(ENV_VALGRIND, version);
    no_randomisation(&mut cmd);
    cmd
}

/// Passes the child's stderr on line by line, but for valgrind's own
/// notes (its cache auto-detection, `==pid==` lines), held back and
/// returned, to be shown only if valgrind was killed; the harness's
/// lines, and valgrind's own startup errors (`valgrind: ...`), pass on.
fn pass_on_stderr(child: &mut std::process::Child) -> Vec<String> {
    let mut held = Vec::new();
    if let Some(stderr) = child.stderr.take() {
        for line in std::io::BufRead::lines(std::io::BufReader::new(stderr)).map_while(Result::ok) {
            if is_valgrind_note(&line) {
                held.push(line);
            } else {
                eprintln!("{line}");
            }
        }
    }
    held
}

/// A line valgrind itself wrote: `==123== ...` or `--123-- ...`.
fn is_valgrind_note(line: &str) -> bool {
    let mut parts = line.splitn(2, ' ');
    let tag = parts.next().unwrap_or("");
    let pid = |t: &str, mark: &str| {
        t.strip_prefix(mark)
            .and_then(|r| r.strip_suffix(mark))
            .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    };
    pid(tag, "==") || pid(tag, "--")
}

/// Turns off address space randomisation in the child (as `setarch -R`).
#[cfg(target_os = "linux")]
fn no_randomisation(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: the closure runs between fork and exec, where only
    // async-signal-safe calls are allowed: personality(2) is a plain
    // system call that touches no lock and allocates nothing.
    unsafe {
        cmd.pre_exec(|| {
            let current = libc::personality(0xffff_ffff);
            if current != -1 {
                libc::personality((current | libc::ADDR_NO_RANDOMIZE) as libc::c_ulong);
            }
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn no_randomisation(_cmd: &mut Command) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valgrinds_own_lines_are_told_from_the_harness_lines() {
        assert!(is_valgrind_note("==25709== Using source line as position."));
        assert!(is_valgrind_note("--25709-- warning: L3 cache found"));
        assert!(!is_valgrind_note(
            "harness: count: null hot-path 64B: 2000 calls"
        ));
        assert!(!is_valgrind_note("==== not a pid"));
        assert!(!is_valgrind_note("--x-- no"));
    }
}
