//! What every end-to-end test file needs: run the built harness binary.

use std::process::{Command, Output};

/// Runs the harness with `args` and returns what it did.
pub fn harness(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_harness"))
        .args(args)
        .output()
        .expect("run the harness")
}

/// Runs the harness and fails the test, with its stderr, unless it succeeds.
/// (Not every test file that compiles this module uses it.)
#[allow(dead_code)]
pub fn ok<S: AsRef<str> + std::fmt::Debug>(args: &[S]) -> Output {
    let argv: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
    let out = harness(&argv);
    assert!(
        out.status.success(),
        "harness {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Every workload `--workload all` runs, as named in summary.csv. (Each
/// test file compiles this module on its own; not every one uses this.)
#[allow(dead_code)]
pub const WORKLOADS: [&str; 8] = [
    "hot-path",
    "size-sweep",
    "bulk",
    "reverse-free",
    "churn",
    "request-closed",
    "request-open",
    "producer-consumer",
];

/// Builds `tests/shared_lib/<source>.c` into `dir` as a shared library
/// (a malloc replacement for `--allocator-lib`).
#[allow(dead_code)]
pub fn c_library(dir: &std::path::Path, source: &str) -> std::path::PathBuf {
    c_build(dir, "shared_lib", source, true)
}

/// Builds `tests/<under>/<source>.c` into `dir`: a shared library
/// `lib<source>.so`, or a program `<source>`.
#[allow(dead_code)]
pub fn c_build(
    dir: &std::path::Path,
    under: &str,
    source: &str,
    shared: bool,
) -> std::path::PathBuf {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(under)
        .join(format!("{source}.c"));
    let (out, flags): (_, &[&str]) = if shared {
        (
            dir.join(format!("lib{source}.so")),
            &["-shared", "-fPIC", "-O1"],
        )
    } else {
        (dir.join(source), &["-O1", "-pthread"])
    };
    let status = Command::new("cc")
        .args(flags)
        .arg("-o")
        .arg(&out)
        .arg(&src)
        .args(if shared { &["-ldl"][..] } else { &[][..] })
        .status()
        .expect("a C compiler (cc)");
    assert!(status.success(), "cc {}", src.display());
    out
}
