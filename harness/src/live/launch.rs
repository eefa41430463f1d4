//! Running the command: once plain (its wall time without the shim), and
//! once per allocator with the shim preloaded, each into a directory of
//! its own for the shim's files.

use crate::shared_lib::LibArg;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant};

/// Where a run's calls went: an allocator compiled into the shim, or a
/// library preloaded after it.
#[derive(Clone, Debug)]
pub enum Target {
    /// `system`, `jemalloc` or `mimalloc` (the shim's own names).
    InShim(&'static str),
    Library(LibArg),
    /// PMAD in the shim, on the pool the sizing pass sized.
    Pmad(super::sizing::Pool),
    /// TLSF in the shim, on the region the sizing pass sized.
    Tlsf(super::sizing::Region),
}

/// One run of the command.
#[derive(Clone, Debug)]
pub struct Ran {
    pub status: ExitStatus,
    pub wall: Duration,
}

/// The shim's settings for one run.
pub struct Shim<'a> {
    pub library: &'a Path,
    pub follow: bool,
    /// A window's length at level 0, in ticks.
    pub window_ticks: u64,
}

/// LD_PRELOAD for a run: whatever was preloaded already first (a tool
/// wrapping the program keeps its place), then the shim, then the
/// library row's library.
fn preload(shim: &Path, target: &Target) -> OsString {
    let mut parts: Vec<OsString> = Vec::new();
    if let Some(p) = std::env::var_os("LD_PRELOAD").filter(|p| !p.is_empty()) {
        parts.push(p);
    }
    parts.push(shim.as_os_str().to_owned());
    if let Target::Library(l) = target {
        parts.push(l.path.as_os_str().to_owned());
    }
    let mut s = OsString::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            s.push(":");
        }
        s.push(p);
    }
    s
}

fn spawn(mut cmd: Command, program: &str) -> Result<Ran, String> {
    let t0 = Instant::now();
    let status = cmd
        .status()
        .map_err(|e| format!("live: cannot run `{program}`: {e}"))?;
    Ok(Ran {
        status,
        wall: t0.elapsed(),
    })
}

/// The command as given, nothing preloaded by the harness.
pub fn plain(command: &[String]) -> Result<Ran, String> {
    let (program, args) = command
        .split_first()
        .ok_or("live: name the command after `--`")?;
    let mut cmd = Command::new(program);
    cmd.args(args);
    spawn(cmd, program)
}

/// The command with the shim forwarding to `target`, its files into `dir`.
pub fn shimmed(
    command: &[String],
    shim: &Shim<'_>,
    target: &Target,
    dir: &Path,
) -> Result<Ran, String> {
    let (program, args) = command
        .split_first()
        .ok_or("live: name the command after `--`")?;
    let mut cmd = Command::new(program);
    cmd.args(args)
        .env("LD_PRELOAD", preload(shim.library, target))
        .env("HARNESS_LIVE_DIR", dir)
        .env(
            "HARNESS_LIVE_ALLOCATOR",
            match target {
                Target::InShim(name) => name,
                Target::Library(_) => "next",
                Target::Pmad(_) => "pmad",
                Target::Tlsf(_) => "tlsf",
            },
        )
        .env("HARNESS_LIVE_WINDOW_TICKS", shim.window_ticks.to_string());
    match target {
        Target::Pmad(pool) => {
            cmd.env("HARNESS_LIVE_PMAD", pool.env());
        }
        Target::Tlsf(region) => {
            cmd.env("HARNESS_LIVE_TLSF", region.bytes.to_string());
        }
        _ => {}
    }
    if shim.follow {
        cmd.env("HARNESS_LIVE_FOLLOW", "1");
    } else {
        cmd.env_remove("HARNESS_LIVE_FOLLOW");
    }
    spawn(cmd, program)
}

/// The shim library: `--shim`, or `liblive_shim.so` beside this binary
/// (where `cargo build --release` puts both).
pub fn shim_library(given: Option<&Path>) -> Result<PathBuf, String> {
    let path = match given {
        Some(p) => p.to_path_buf(),
        None => std::env::current_exe()
            .map_err(|e| format!("cannot find this binary's directory: {e}"))?
            .with_file_name("liblive_shim.so"),
    };
    if !path.is_file() {
        return Err(format!(
            "{}: the live shim is not there; build it with `cargo build --release -p live-shim` (or pass --shim PATH)",
            path.display()
        ));
    }
    std::fs::canonicalize(&path).map_err(|e| format!("{}: {e}", path.display()))
}
