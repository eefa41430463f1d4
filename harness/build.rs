//! Records the build for meta.json: the compiler, target and the locked
//! crates' versions through the `built` crate, and the git commit (with
//! `-dirty` when tracked files outside results/ and plots/ differ from it)
//! through the git CLI, which
//! `built` would need libgit2 for.

use std::process::Command;

fn main() {
    // The compiler, target, profile and every locked package's version, by
    // the `built` crate (into $OUT_DIR/built.rs, read by run_meta).
    built::write_built_file().expect("harness build script: writing built.rs");

    let commit = Command::new("git")
        .args(["rev-parse", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    // --no-optional-locks: status must not refresh .git/index, which would
    // make this script (watching the index) run again on the next build.
    let dirty = Command::new("git")
        .args([
            "--no-optional-locks",
            "status",
            "--porcelain",
            "--untracked-files=no",
            // What a run writes (results/, plots/) does not change the
            // binary: a publish over an earlier one is not "dirty".
            "--",
            ":/",
            ":(top,exclude)results",
            ":(top,exclude)plots",
        ])
        .output()
        .ok()
        .is_some_and(|o| !o.stdout.is_empty());
    println!(
        "cargo:rustc-env=HARNESS_GIT_COMMIT={commit}{}",
        if dirty { "-dirty" } else { "" }
    );
    // snmalloc's cc build takes NDEBUG from CXXFLAGS (.cargo/config.toml):
    // meta.json says what it was.
    println!(
        "cargo:rustc-env=HARNESS_CXXFLAGS={}",
        std::env::var("CXXFLAGS")
            .unwrap_or_else(|_| "(unset: snmalloc's debug assertions are on)".into())
    );
    println!("cargo:rerun-if-env-changed=CXXFLAGS");
    println!("cargo:rerun-if-changed=../.git/HEAD");
    println!("cargo:rerun-if-changed=../.git/index");
    println!("cargo:rerun-if-changed=../Cargo.lock");
}
