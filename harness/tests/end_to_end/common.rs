//! What every end-to-end test module needs: run the built harness binary.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;

/// Runs the harness with `args` and returns what it did.
pub fn harness(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_harness"))
        .args(args)
        .output()
        .expect("run the harness")
}

/// Runs the harness and fails the test, with its stderr, unless it succeeds.
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

/// Every workload `--workload all` runs, as named in summary.csv.
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

/// The preloaded libraries `cargo test` does not build on its own (a
/// cdylib): the live shim and the recorder, built once per test run, with
/// the harness in the package selection so the C allocators' features
/// (cc's `parallel` among them, which TCMalloc's and snmalloc's builds turn
/// on) are those `cargo test` built them with: `-p live-shim -p tracer`
/// alone would build jemalloc and mimalloc again (about 2 min from a fresh
/// clone). Returns the directory they are in (the harness binary's).
pub fn preload_libraries() -> PathBuf {
    static BUILT: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    BUILT.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let status = Command::new(env!("CARGO"))
            .args(["build", "--release", "-q"])
            .args(["-p", "harness", "-p", "live-shim", "-p", "tracer"])
            .current_dir(&root)
            .status()
            .expect("run cargo");
        assert!(
            status.success(),
            "cargo build -p live-shim -p tracer failed"
        );
    });
    let dir = PathBuf::from(env!("CARGO_BIN_EXE_harness"));
    dir.parent()
        .expect("the harness binary's directory")
        .to_path_buf()
}

/// Builds `tests/shared_lib/<source>.c` as a shared library (a malloc
/// replacement for `--allocator-lib`).
pub fn c_library(source: &str) -> PathBuf {
    c_build("shared_lib", source, true)
}

/// `tests/<under>/<source>.c` built once per test run, whichever test asks
/// first, into cargo's scratch directory for integration tests: a shared
/// library `lib<source>.so`, or a program `<source>`. Every later call gets
/// the same file.
pub fn c_build(under: &str, source: &str, shared: bool) -> PathBuf {
    static BUILT: Mutex<BTreeMap<(String, String, bool), PathBuf>> = Mutex::new(BTreeMap::new());
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    let key = (under.to_string(), source.to_string(), shared);
    if let Some(path) = built.get(&key) {
        return path.clone();
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(under)
        .join(format!("{source}.c"));
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("c").join(under);
    std::fs::create_dir_all(&dir).expect("cargo's scratch directory is writable");
    let (out, flags): (_, &[&str]) = if shared {
        (
            dir.join(format!("lib{source}.so")),
            &["-shared", "-fPIC", "-O1"],
        )
    } else {
        (dir.join(source), &["-O1", "-pthread"])
    };
    // Built under a name of this process's, then renamed: another test
    // binary running at once never sees half a file.
    let partial = dir.join(format!(".{source}.{}", std::process::id()));
    let status = Command::new("cc")
        .args(flags)
        .arg("-o")
        .arg(&partial)
        .arg(&src)
        .args(if shared { &["-ldl"][..] } else { &[][..] })
        .status()
        .expect("a C compiler (cc)");
    assert!(status.success(), "cc {}", src.display());
    std::fs::rename(&partial, &out).expect("rename the built file into place");
    built.insert(key, out.clone());
    out
}
