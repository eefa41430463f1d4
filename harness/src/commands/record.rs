//! `harness record -- CMD...`: a command's malloc-family calls, as a trace.

use crate::cli::RecordArgs;
use crate::failure::Failure;
use crate::trace::record::{convert, tracer_library};
use std::ffi::OsString;
use std::path::Path;
use std::process::ExitStatus;

/// Runs the command with the recorder preloaded, converts what it wrote
/// into the trace at `--out`, prints what the trace holds, and exits with
/// the command's own status.
pub fn main(a: &RecordArgs) -> Result<(), Failure> {
    let lib = tracer_library(a.tracer.as_deref())?;
    let (program, args) = a
        .command
        .split_first()
        .ok_or_else(|| Failure::usage("record: name the command after `--`".into()))?;
    let dir = a
        .out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.is_dir() {
        return Err(Failure::usage(format!(
            "--out {}: directory {} does not exist",
            a.out.display(),
            dir.display()
        )));
    }
    let raw = tempfile::Builder::new()
        .prefix(".alloctrace-raw-")
        .tempdir_in(dir)
        .map_err(|e| {
            Failure::io(format!(
                "cannot make a temporary directory in {}: {e}",
                dir.display()
            ))
        })?;
    let raw_path = raw.path().join("events.raw");
    let status = std::process::Command::new(program)
        .args(args)
        .env("LD_PRELOAD", preload_with(&lib))
        .env("ALLOC_TRACE_RAW", &raw_path)
        .status()
        .map_err(|e| Failure::usage(format!("record: cannot run `{program}`: {e}")))?;
    if !raw_path.exists() {
        return Err(Failure::run(format!(
            "record: `{program}` wrote no trace: it is statically linked, or cleared LD_PRELOAD, or never allocated"
        )));
    }
    let (stats, conv) = convert(&raw_path, &a.out, a.max_events)?;
    print!("{}", stats.render());
    if stats.events == 0 {
        eprintln!("harness: record: warning: {}", no_calls(program));
    }
    if conv.foreign > 0 {
        println!(
            "left out: {} frees of blocks allocated before recording began",
            conv.foreign
        );
    }
    if conv.reused_live > 0 {
        println!(
            "out of order: {} allocations at an address still live in the trace",
            conv.reused_live
        );
    }
    eprintln!("harness: record: written {}", a.out.display());
    exit_like(status)
}

/// Why a trace can hold no call although the recorder was loaded: only
/// the process the command starts is recorded (across its execs).
fn no_calls(program: &str) -> String {
    format!(
        "`{program}` made no malloc-family call in the process recorded (the one the command starts, across its own execs), so the trace is empty. \
         Programs it started as child processes are not recorded: a shell (`sh -c`) running a pipeline or more than one command, a launcher or build tool that spawns. \
         Record the program itself (or have the shell `exec` it as its last command)"
    )
}

/// LD_PRELOAD with the recorder first, before whatever was preloaded already.
fn preload_with(lib: &Path) -> OsString {
    let mut s = lib.as_os_str().to_os_string();
    match std::env::var_os("LD_PRELOAD") {
        Some(p) if !p.is_empty() => {
            s.push(":");
            s.push(p);
            s
        }
        _ => s,
    }
}

/// The recorded command's status as ours: its code, or 128 + its signal.
fn exit_like(status: ExitStatus) -> Result<(), Failure> {
    match status.code() {
        Some(0) => Ok(()),
        Some(code) => Err(Failure::silent(code.clamp(1, 255) as u8)),
        None => {
            use std::os::unix::process::ExitStatusExt;
            let sig = status.signal().unwrap_or(0);
            Err(Failure::silent((128 + sig).clamp(1, 255) as u8))
        }
    }
}
