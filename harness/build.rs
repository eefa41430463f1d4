//! Records the build for meta.json: the compiler (`$RUSTC -V`), the target,
//! every locked crate's version (Cargo.lock, read with the `toml` crate),
//! and the git commit (with `-dirty` when tracked files outside results/
//! and plots/ differ from it) through the git CLI.

use std::process::Command;

/// `$OUT_DIR/built.rs`: RUSTC_VERSION, TARGET and DEPENDENCIES (name,
/// version) of every package in the workspace's Cargo.lock.
fn write_built_file() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let version = Command::new(&rustc)
        .arg("-V")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    let target = std::env::var("TARGET").expect("cargo sets TARGET for build scripts");
    let lock = std::fs::read_to_string("../Cargo.lock")
        .expect("harness build script: reading ../Cargo.lock");
    let table: toml::Table = lock
        .parse()
        .expect("harness build script: Cargo.lock is TOML");
    let packages = table
        .get("package")
        .and_then(|p| p.as_array())
        .expect("Cargo.lock lists packages");
    let mut deps = String::new();
    for p in packages {
        let field = |k: &str| {
            p.get(k)
                .and_then(|v| v.as_str())
                .expect("a package's name and version")
        };
        deps.push_str(&format!(
            "    ({:?}, {:?}),\n",
            field("name"),
            field("version")
        ));
    }
    let out = format!(
        "pub const RUSTC_VERSION: &str = {version:?};\npub const TARGET: &str = {target:?};\npub const DEPENDENCIES: &[(&str, &str)] = &[\n{deps}];\n"
    );
    let dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR for build scripts");
    std::fs::write(std::path::Path::new(&dir).join("built.rs"), out)
        .expect("harness build script: writing built.rs");
}

fn main() {
    write_built_file();

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
