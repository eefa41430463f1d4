//! Where results and charts go when the user names no directory.
//!
//! A measuring run without `--out` writes a fresh directory of its own,
//! `<cargo target dir>/harness/<UTC time>-<pid>/`, so an ad-hoc run never
//! collides with, or modifies, the committed `results/<host>/`. Publishing
//! there is explicit (`--out results/<host>`, or `./run_all.sh --publish`).
//! `plot` and `report` only read results; their defaults put charts beside
//! the results they come from.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// A fresh results directory for a run started at `now` by process `pid`:
/// under the cargo target directory this binary was built into (found by
/// the `CACHEDIR.TAG` cargo writes there), else under `./harness-runs/`.
pub fn fresh_run_dir(now: SystemTime, pid: u32) -> PathBuf {
    let base = cargo_target_dir()
        .map(|t| t.join("harness"))
        .unwrap_or_else(|| PathBuf::from("harness-runs"));
    base.join(run_dir_name(now, pid))
}

/// `2026-12-02T021500Z-4242`: sorts by time, unique per process, and has
/// no colon (a path separator on some systems, awkward in a shell).
pub fn run_dir_name(now: SystemTime, pid: u32) -> String {
    let stamp = humantime::format_rfc3339_seconds(now).to_string();
    format!("{}-{pid}", stamp.replace(':', ""))
}

/// The target directory holding this executable: `target/` for
/// `target/release/harness` and for run_all.sh's `target/run_all/harness-X`.
fn cargo_target_dir() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let target = exe.parent()?.parent()?;
    target
        .join("CACHEDIR.TAG")
        .is_file()
        .then(|| target.to_path_buf())
}

/// The results `plot` and `report` read when `--results` is not given:
/// the published directory of this machine.
pub fn default_results(host: &str) -> PathBuf {
    Path::new("results").join(host)
}

/// `--results` as given, or results/<this host>.
pub fn results_or_default(given: Option<&Path>) -> PathBuf {
    given.map_or_else(
        || default_results(&crate::platform::host_name()),
        Path::to_path_buf,
    )
}

/// Where the charts of `results` go by default: the published layout
/// `results/<name>` pairs with `plots/<name>` beside it; any other results
/// directory (an ad-hoc run's) keeps its charts inside it, in `plots/`.
pub fn default_plots(results: &Path) -> PathBuf {
    let parent = results.parent();
    let published = parent.and_then(Path::file_name) == Some("results".as_ref());
    match (published, results.file_name()) {
        (true, Some(name)) => parent
            .and_then(Path::parent)
            .unwrap_or(Path::new(""))
            .join("plots")
            .join(name),
        _ => results.join("plots"),
    }
}

/// How the user reaches this binary again: through cargo when cargo ran it.
pub fn invocation() -> String {
    if std::env::var("CARGO_PKG_NAME").as_deref() == Ok("harness") {
        "cargo run --release --".into()
    } else {
        std::env::current_exe()
            .ok()
            .and_then(|exe| {
                let here = std::env::current_dir().ok()?;
                pathdiff::diff_paths(&exe, here)
            })
            .map_or("harness".into(), |p| p.display().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_run_directory_is_named_by_utc_time_and_process() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_341_998);
        assert_eq!(run_dir_name(t, 42), "2026-11-22T100638Z-42");
        let dir = fresh_run_dir(t, 42);
        assert_eq!(dir.file_name(), Some("2026-11-22T100638Z-42".as_ref()));
        assert!(!dir.starts_with("results"), "{}", dir.display());
    }

    #[test]
    fn published_results_pair_with_plots_beside_them_others_keep_their_own() {
        assert_eq!(
            default_plots(Path::new("results/vm")),
            PathBuf::from("plots/vm")
        );
        assert_eq!(
            default_plots(Path::new("/x/y/results/box")),
            PathBuf::from("/x/y/plots/box")
        );
        assert_eq!(
            default_plots(Path::new("target/harness/2026-11-22T100638Z-42")),
            PathBuf::from("target/harness/2026-11-22T100638Z-42/plots")
        );
        assert_eq!(default_plots(Path::new("vm")), PathBuf::from("vm/plots"));
    }
}
