//! Where results go, written atomically (temporary file, fsync, rename) and
//! never over an earlier result unless `--force`.
//!
//! Layout: `<out>/<allocator>/<workload>-<size>-<op>.{hgrm,hlog}`,
//! `<out>/summary.csv`, `<out>/meta.json`.

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
        Ok(Sink {
            dir: dir.to_path_buf(),
            force,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file of one (allocator, workload, size, op) series.
    pub fn series_path(
        &self,
        allocator: &str,
        workload: &str,
        size: usize,
        op: &str,
        ext: &str,
    ) -> PathBuf {
        self.dir
            .join(allocator)
            .join(format!("{workload}-{size}-{op}.{ext}"))
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
        })
    }
}
