//! A library row's measuring process: this binary again, with the
//! library preloaded and [`super::ENV_PRELOADED`] naming it, given this
//! process's command line with its own `--allocator NAME` (and the one
//! `--allocator-lib`), `--out` and the switches it needs.

use super::{LibArg, ENV_PRELOADED};
use crate::argv::strip;
use std::ffi::OsString;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

/// The flags each library process gets in its own form.
const VALUED: [&str; 5] = [
    "--allocator",
    "--allocator-lib",
    "--out",
    "--repeat",
    "--rounds",
];
const SWITCHES: [&str; 3] = ["--no-progress", "--syscalls", "--force"];

/// Preloads `lib` into the process `cmd` starts and tells it which row it
/// measures.
pub fn preload(cmd: &mut Command, lib: &LibArg) {
    cmd.env("LD_PRELOAD", &lib.path)
        .env(ENV_PRELOADED, lib.flag_value());
}

/// The command line of `lib`'s process: `argv` (this one's, program
/// first) with the library's row alone, into `out`.
pub fn arguments(
    argv: &[OsString],
    lib: &LibArg,
    out: &Path,
    force: bool,
    syscalls: bool,
) -> Vec<OsString> {
    let mut args = strip(&argv[1..], &VALUED, &SWITCHES);
    args.extend([
        "--allocator".into(),
        lib.name.as_str().into(),
        "--allocator-lib".into(),
        lib.flag_value(),
        "--out".into(),
        out.as_os_str().to_owned(),
        "--no-progress".into(),
    ]);
    if force {
        args.push("--force".into());
    }
    if syscalls {
        args.push("--syscalls".into());
    }
    args
}

/// Measures library row `lib` into `out` in a process of its own; its
/// tables and messages go where this process's do.
pub fn measure(lib: &LibArg, out: &Path, force: bool, syscalls: bool) -> Result<(), String> {
    let me = std::env::current_exe().map_err(|e| format!("finding this binary: {e}"))?;
    let argv: Vec<OsString> = std::env::args_os().collect();
    let started = Instant::now();
    let mut cmd = Command::new(&me);
    cmd.args(arguments(&argv, lib, out, force, syscalls))
        .stdin(Stdio::null());
    preload(&mut cmd, lib);
    eprintln!(
        "harness: {}: measured in a process of its own with {} preloaded",
        lib.name.as_str(),
        lib.path.display()
    );
    let status = cmd
        .status()
        .map_err(|e| format!("starting {}: {e}", me.display()))?;
    if !status.success() {
        return Err(format!(
            "{}: its process ({} with {} preloaded) {status}; its messages are above",
            lib.name.as_str(),
            me.display(),
            lib.path.display()
        ));
    }
    eprintln!(
        "harness: {}: done in {:.1} s",
        lib.name.as_str(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_library_process_gets_its_own_row_and_out_and_every_other_flag() {
        let lib = super::super::parse_arg("tbb=/x/libtbb.so").unwrap();
        let argv: Vec<OsString> = [
            "harness",
            "replay",
            "t.trace",
            "--allocator",
            "pmad,tbb",
            "--allocator-lib=tbb=/x/libtbb.so",
            "--out",
            "d",
            "--repeat",
            "3",
            "--force",
            "--cpu",
            "0",
            "--syscalls",
        ]
        .iter()
        .map(OsString::from)
        .collect();
        let got = arguments(&argv, &lib, Path::new("d/repeats/2"), true, false);
        let want: Vec<OsString> = [
            "replay",
            "t.trace",
            "--cpu",
            "0",
            "--allocator",
            "tbb",
            "--allocator-lib",
            "tbb=/x/libtbb.so",
            "--out",
            "d/repeats/2",
            "--no-progress",
            "--force",
        ]
        .iter()
        .map(OsString::from)
        .collect();
        assert_eq!(got, want);
    }
}
