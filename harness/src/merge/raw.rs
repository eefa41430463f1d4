//! The raw files of a merged run: every series' .hlog holds all rounds'
//! intervals one round after another (each round's times shifted to
//! start where the one before ended, so a chart over time shows the
//! rounds in order), its .hgrm the distribution of all of them together,
//! and churn's memory log all rounds' windows in order (window numbers and
//! ops continued). Each thread's own .hgrm stays in its round's directory:
//! it has no interval log to merge from.

use crate::results::hgrm;
use crate::results::hlog::{self, HlogFile};
use crate::results::memory;
use crate::results::sink::{Partial, Sink};
use hdrhistogram::Histogram;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Writes the merged raw files of every allocator directory of round 1
/// into `out`; returns how many series it merged.
pub fn write(out: &Sink, rounds: &[PathBuf]) -> Result<usize, String> {
    let mut merged = 0;
    for dir in subdirs(&rounds[0])? {
        let name = dir.file_name().unwrap_or_default().to_owned();
        for file in files(&dir)? {
            let each: Vec<PathBuf> = rounds.iter().map(|r| r.join(&name).join(&file)).collect();
            let target = out.dir().join(&name).join(&file);
            if file.ends_with(".hlog") {
                merge_hlog(out, &each, &target)?;
                merged += 1;
            } else if file.ends_with("-memory.csv") {
                merge_memory(out, &each, &target)?;
            }
        }
    }
    Ok(merged)
}

/// The allocator directories of a results directory.
fn subdirs(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut v = Vec::new();
    for e in std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let p = e.map_err(|e| format!("{}: {e}", dir.display()))?.path();
        if p.is_dir() {
            v.push(p);
        }
    }
    v.sort();
    Ok(v)
}

/// The file names in `dir`, sorted.
fn files(dir: &Path) -> Result<Vec<String>, String> {
    let mut v = Vec::new();
    for e in std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let e = e.map_err(|e| format!("{}: {e}", dir.display()))?;
        if e.path().is_file() {
            v.push(e.file_name().to_string_lossy().into_owned());
        }
    }
    v.sort();
    Ok(v)
}

/// One series' interval logs, round after round, into `target` (.hlog)
/// and their sum into the .hgrm beside it.
fn merge_hlog(out: &Sink, each: &[PathBuf], target: &Path) -> Result<(), String> {
    Sink::make_parent(target)?;
    let log = Partial::new(target);
    let mut file = HlogFile::create(
        log.temporary(),
        &format!("{} rounds merged, one after another", each.len()),
        SystemTime::UNIX_EPOCH,
    )
    .map_err(|e| format!("{}: {e}", target.display()))?;
    let mut total: Option<Histogram<u64>> = None;
    let mut offset = Duration::ZERO;
    for path in each {
        let intervals = hlog::read_timed(path)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("{}: missing (round 1 has it)", path.display()))?;
        let base = intervals.first().map_or(Duration::ZERO, |i| i.start);
        let mut end = offset;
        for i in &intervals {
            let start = offset + i.start.saturating_sub(base);
            file.interval(&i.histogram, start, i.length)?;
            end = end.max(start + i.length);
            match &mut total {
                Some(t) => t
                    .add(&i.histogram)
                    .map_err(|e| format!("{}: adding an interval: {e:?}", path.display()))?,
                None => total = Some(i.histogram.clone()),
            }
        }
        offset = end;
    }
    file.finish()?;
    log.commit()?;
    let hgrm_path = target.with_extension("hgrm");
    let text = total.as_ref().map(hgrm::render).unwrap_or_default();
    out.write(&hgrm_path, text.as_bytes())
}

/// Churn's memory logs, round after round, their windows and ops continued.
fn merge_memory(out: &Sink, each: &[PathBuf], target: &Path) -> Result<(), String> {
    let mut all = Vec::new();
    let (mut window, mut ops) = (0, 0);
    for path in each {
        let text = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let rows = memory::from_csv(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let last = rows.last().map_or((0, 0), |w| (w.window + 1, w.ops_done));
        all.extend(rows.into_iter().map(|mut w| {
            w.window += window;
            w.ops_done += ops;
            w
        }));
        (window, ops) = (window + last.0, ops + last.1);
    }
    out.write(target, &memory::to_csv(&all)?)
}
