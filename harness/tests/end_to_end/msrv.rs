//! The workspace's `rust-version` is true: no dependency in Cargo.lock
//! declares a higher one. (clippy's `incompatible_msrv` lint, on by default
//! and denied in CI, checks our own code's use of the standard library
//! against the same figure.)

use serde_json::Value;
use std::process::Command;

/// "1.88" or "1.88.0" as (1, 88, 0).
fn parse(v: &str) -> (u64, u64, u64) {
    let mut parts = v.split('.').map(|p| p.parse::<u64>().unwrap_or(0));
    (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    )
}

/// The host's target triple, from `rustc -vV`.
fn host_triple() -> String {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let out = Command::new(rustc)
        .arg("-vV")
        .output()
        .expect("run rustc -vV");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .expect("rustc -vV names the host")
        .to_string()
}

#[test]
fn rust_version_is_at_least_every_dependencys() {
    let workspace = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    // Only the packages this host builds: a fresh clone's `cargo test`
    // has downloaded those and no others (offline, the rest would fail).
    let host = host_triple();
    let out = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--locked", "--offline"])
        .args(["--filter-platform", &host])
        .current_dir(workspace)
        .output()
        .expect("run cargo metadata");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: Value = serde_json::from_slice(&out.stdout).unwrap();
    let packages = meta["packages"].as_array().unwrap();
    let members: Vec<&str> = meta["workspace_members"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let declared = |p: &Value| p["rust_version"].as_str().map(parse);
    let ours: Vec<(u64, u64, u64)> = packages
        .iter()
        .filter(|p| members.contains(&p["id"].as_str().unwrap_or("")))
        .map(|p| declared(p).expect("every workspace member declares rust-version"))
        .collect();
    assert_eq!(ours.len(), members.len());
    let ours = ours[0];
    let highest = packages
        .iter()
        .filter(|p| !members.contains(&p["id"].as_str().unwrap_or("")))
        .filter_map(|p| Some((declared(p)?, p["name"].as_str()?.to_string())))
        .max()
        .expect("dependencies declare rust-version");
    assert!(
        ours >= highest.0,
        "Cargo.toml says rust-version {ours:?}, but {} needs {:?}",
        highest.1,
        highest.0
    );
}

#[test]
fn versions_compare_as_numbers() {
    assert!(parse("1.88") > parse("1.9.0"));
    assert_eq!(parse("1.88"), parse("1.88.0"));
}
