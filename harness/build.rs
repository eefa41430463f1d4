//! Records the compiler, target, git commit and the allocator crates'
//! versions (from Cargo.lock) for meta.json.

use std::process::Command;

fn main() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let version = Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=HARNESS_RUSTC_VERSION={version}");
    println!(
        "cargo:rustc-env=HARNESS_TARGET={}",
        std::env::var("TARGET").unwrap_or_default()
    );

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

    const CRATES: [&str; 11] = [
        "rlsf",
        "snmalloc-rs",
        "snmalloc-sys",
        "tikv-jemallocator",
        "tikv-jemalloc-sys",
        "mimalloc",
        "libmimalloc-sys",
        "tcmalloc-better",
        "libtcmalloc-sys",
        "hdrhistogram",
        "libc",
    ];
    let lock = std::fs::read_to_string("../Cargo.lock").unwrap_or_default();
    let mut versions = Vec::new();
    let mut name = None;
    for line in lock.lines() {
        if let Some(n) = line.strip_prefix("name = ") {
            name = Some(n.trim_matches('"').to_string());
        } else if let (Some(v), Some(n)) = (line.strip_prefix("version = "), name.take()) {
            if CRATES.contains(&n.as_str()) {
                versions.push(format!("\"{n}\":{v}"));
            }
        }
    }
    println!(
        "cargo:rustc-env=HARNESS_CRATE_VERSIONS={{{}}}",
        versions.join(",")
    );
    println!("cargo:rerun-if-changed=../Cargo.lock");
}
