//! Where results go, written atomically (temporary file, fsync, rename,
//! fsync of the directory) and
//! never over an earlier result unless `--force`.
//!
//! A temporary file is `<name>.partial-<pid>`. A run killed mid-way leaves
//! its partial files behind (never a half-written final file); the next run
//! into the same directory removes those whose process is gone, and says so.
//!
//! The layout (which file holds what) is in `series.rs`.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

pub struct Sink {
    dir: PathBuf,
    force: bool,
}

impl Sink {
    /// Creates `dir` if needed and proves it is writable, before anything is
    /// measured.
    pub fn open(dir: &Path, force: bool) -> Result<Sink, String> {
        fs::create_dir_all(dir)
            .map_err(|e| format!("--out {}: cannot create the directory: {e}", dir.display()))?;
        let probe = dir.join(format!(".harness-probe-{}", std::process::id()));
        fs::write(&probe, b"probe")
            .map_err(|e| format!("--out {}: not writable: {e}", dir.display()))?;
        let _ = fs::remove_file(&probe);
        let removed = remove_orphaned_partials(dir)?;
        if let Some(first) = removed.first() {
            eprintln!(
                "harness: removed {} partial file(s) left by a run that was killed before it finished (first: {})",
                removed.len(),
                first.display()
            );
        }
        Ok(Sink {
            dir: dir.to_path_buf(),
            force,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Fails, naming the first one, when any of `paths` already exists and
    /// `--force` was not given.
    pub fn check_free<'a>(
        &self,
        paths: impl IntoIterator<Item = &'a PathBuf>,
    ) -> Result<(), String> {
        if self.force {
            return Ok(());
        }
        let mut existing = paths.into_iter().filter(|p| p.exists());
        if let Some(first) = existing.next() {
            let more = existing.count();
            return Err(format!(
                "{} already exists{}: earlier results are never overwritten; pass --force or choose another --out",
                first.display(),
                if more > 0 { format!(" (and {more} more)") } else { String::new() }
            ));
        }
        Ok(())
    }

    /// The pid a temporary file's name carries, if it is one.
    pub fn partial_owner(path: &Path) -> Option<u32> {
        let name = path.file_name()?.to_str()?;
        let (_, pid) = name.rsplit_once(".partial-")?;
        pid.parse().ok()
    }

    /// The temporary name a file is written under before its rename.
    pub fn partial(path: &Path) -> PathBuf {
        let mut name = path.file_name().unwrap_or_default().to_os_string();
        name.push(format!(".partial-{}", std::process::id()));
        path.with_file_name(name)
    }

    /// Makes the parent directory of `path`.
    pub fn make_parent(path: &Path) -> Result<(), String> {
        match path.parent() {
            Some(parent) => {
                fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))
            }
            None => Ok(()),
        }
    }

    /// Writes `bytes` to `path` atomically.
    pub fn write(&self, path: &Path, bytes: &[u8]) -> Result<(), String> {
        Sink::make_parent(path)?;
        let partial = Sink::partial(path);
        let result = (|| {
            let mut f = fs::File::create(&partial)?;
            f.write_all(bytes)?;
            f.sync_all()
        })();
        if let Err(e) = result {
            let _ = fs::remove_file(&partial);
            return Err(format!("{}: {e}", path.display()));
        }
        Sink::commit(&partial, path)
    }

    /// Renames a finished temporary file into place.
    pub fn commit(partial: &Path, path: &Path) -> Result<(), String> {
        fs::rename(partial, path).map_err(|e| {
            let _ = fs::remove_file(partial);
            format!("{}: {e}", path.display())
        })?;
        // The rename is durable only once the directory is synced too.
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        fs::File::open(dir).and_then(|d| d.sync_all()).map_err(|e| {
            format!(
                "{}: syncing the directory after writing {}: {e}",
                dir.display(),
                path.display()
            )
        })
    }
}

/// A file being written under its temporary name (`<name>.partial-<pid>`):
/// renamed into place by [`Partial::commit`], removed if dropped first, so
/// no early return leaves one behind.
pub struct Partial {
    partial: PathBuf,
    path: PathBuf,
}

impl Partial {
    /// The temporary file for the final `path`.
    pub fn new(path: &Path) -> Partial {
        Partial {
            partial: Sink::partial(path),
            path: path.to_path_buf(),
        }
    }

    /// Where to write: the temporary name.
    pub fn temporary(&self) -> &Path {
        &self.partial
    }

    /// Renames the finished file into place.
    pub fn commit(self) -> Result<(), String> {
        Sink::commit(&self.partial, &self.path)
        // Drop then finds nothing to remove.
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.partial);
    }
}

/// Removes the partial files in `dir` and its allocator subdirectories whose
/// writing process no longer runs (a live pid may be another run writing
/// here now: its files are left alone); returns what it removed.
fn remove_orphaned_partials(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut removed = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    for entry in fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let path = entry.map_err(|e| format!("{}: {e}", dir.display()))?.path();
        if path.is_dir() {
            dirs.push(path);
        }
    }
    for d in dirs {
        for entry in fs::read_dir(&d).map_err(|e| format!("{}: {e}", d.display()))? {
            let path = entry.map_err(|e| format!("{}: {e}", d.display()))?.path();
            let Some(pid) = Sink::partial_owner(&path) else {
                continue;
            };
            if Path::new("/proc").join(pid.to_string()).exists() {
                continue;
            }
            fs::remove_file(&path).map_err(|e| {
                format!(
                    "{}: a partial file from a killed run, cannot be removed: {e}",
                    path.display()
                )
            })?;
            removed.push(path);
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_files_of_dead_processes_are_removed_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("pmad");
        fs::create_dir_all(&sub).unwrap();
        // pid_max is at most 2^22 on Linux: this pid cannot be running.
        let dead = sub.join("churn-1024-alloc.hlog.partial-4194305");
        let mine = sub.join(format!(
            "churn-1024-free.hlog.partial-{}",
            std::process::id()
        ));
        let top = dir.path().join("summary.csv.partial-4194306");
        let final_file = sub.join("churn-1024-alloc.hgrm");
        for f in [&dead, &mine, &top, &final_file] {
            fs::write(f, b"x").unwrap();
        }
        let mut removed = remove_orphaned_partials(dir.path()).unwrap();
        removed.sort();
        let mut expected = vec![dead.clone(), top.clone()];
        expected.sort();
        assert_eq!(removed, expected);
        assert!(!dead.exists() && !top.exists());
        assert!(mine.exists() && final_file.exists());
        assert_eq!(Sink::partial_owner(&mine), Some(std::process::id()));
        assert_eq!(Sink::partial_owner(&final_file), None);
    }
}
