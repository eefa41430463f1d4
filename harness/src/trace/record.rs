//! `harness record --out FILE -- CMD [ARGS...]`: runs the command with the
//! recorder preloaded, turns its raw events into a trace (addresses become
//! object ids), prints what the trace holds, and exits with the command's
//! own status.

use super::file::Writer;
use super::raw::{RawEvent, RawReader};
use super::stats::Stats;
use super::{Event, Kind};
use crate::failure::Failure;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The recorder library: `--tracer`, or `libtracer.so` beside this binary
/// (where `cargo build --release` puts both).
pub fn tracer_library(given: Option<&Path>) -> Result<PathBuf, Failure> {
    let path = match given {
        Some(p) => p.to_path_buf(),
        None => std::env::current_exe()
            .map_err(|e| Failure::usage(format!("cannot find this binary's directory: {e}")))?
            .with_file_name("libtracer.so"),
    };
    if !path.is_file() {
        return Err(Failure::usage(format!(
            "{}: the recorder library is not there; build it with `cargo build --release -p tracer` (or pass --tracer PATH)",
            path.display()
        )));
    }
    std::fs::canonicalize(&path).map_err(|e| Failure::usage(format!("{}: {e}", path.display())))
}

/// Addresses to object ids, threads to indices, and what had to be left out.
#[derive(Default)]
pub struct Converter {
    live: HashMap<u64, u64>,
    next_id: u64,
    threads: HashMap<u32, u32>,
    last_ns: Option<u64>,
    /// Frees (and realloc sources) of blocks the trace never allocated.
    pub foreign: u64,
    /// Allocations at an address already live in the trace: the order
    /// broken. The recorder's lock keeps this at 0 (tests check it).
    pub reused_live: u64,
}

impl Converter {
    fn take(&mut self, ptr: u64) -> Option<u64> {
        self.live.remove(&ptr)
    }

    fn give(&mut self, ptr: u64) -> u64 {
        if ptr == 0 {
            return 0;
        }
        self.next_id += 1;
        if self.live.insert(ptr, self.next_id).is_some() {
            self.reused_live += 1;
        }
        self.next_id
    }

    /// The trace event for a raw one; None for one left out (a free of a
    /// block allocated before recording began).
    pub fn convert(&mut self, r: &RawEvent) -> Option<Event> {
        let next = self.threads.len() as u32;
        let thread = *self.threads.entry(r.tid).or_insert(next);
        let dt_ns = self.last_ns.map_or(0, |l| r.ns.saturating_sub(l));
        self.last_ns = Some(r.ns);
        let mut e = Event {
            kind: r.kind,
            thread,
            dt_ns,
            id: 0,
            old: 0,
            size: r.size,
            align: r.align,
        };
        match r.kind {
            Kind::Free => {
                if r.ptr != 0 {
                    e.id = self.take(r.ptr).or_else(|| {
                        self.foreign += 1;
                        None
                    })?;
                }
            }
            Kind::UsableSize => e.id = self.live.get(&r.ptr).copied().unwrap_or(0),
            Kind::Realloc => {
                // A failed realloc (null for a non-zero size) keeps its block.
                let released = r.ptr != 0 || r.size == 0;
                if r.old != 0 && released {
                    e.old = self.take(r.old).unwrap_or_else(|| {
                        self.foreign += 1;
                        0
                    });
                } else if r.old != 0 {
                    e.old = self.live.get(&r.old).copied().unwrap_or(0);
                }
                e.id = self.give(r.ptr);
            }
            _ => e.id = self.give(r.ptr),
        }
        Some(e)
    }
}

/// Converts a raw file into a trace at `out` (at most `max` events);
/// returns the trace's figures and the converter (what it left out).
pub fn convert(raw: &Path, out: &Path, max: Option<u64>) -> Result<(Stats, Converter), Failure> {
    let mut reader = RawReader::open(raw).map_err(Failure::run)?;
    let dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = tempfile::NamedTempFile::new_in(dir)
        .map_err(|e| Failure::io(format!("{}: {e}", dir.display())))?;
    let io = |e: std::io::Error| Failure::io(format!("{}: {e}", out.display()));
    let mut w = Writer::new(std::io::BufWriter::new(tmp)).map_err(io)?;
    let (mut conv, mut stats) = (Converter::default(), Stats::default());
    while let Some(r) = reader.next_event().map_err(Failure::run)? {
        if max.is_some_and(|m| stats.events >= m) {
            break;
        }
        if let Some(e) = conv.convert(&r) {
            stats.add(&e);
            w.push(&e).map_err(io)?;
        }
    }
    let tmp = w
        .finish()
        .map_err(io)?
        .into_inner()
        .map_err(|e| io(e.into_error()))?;
    use std::os::unix::fs::PermissionsExt;
    let file = tmp.as_file();
    file.set_permissions(std::fs::Permissions::from_mode(0o644))
        .map_err(io)?;
    file.sync_all().map_err(io)?;
    tmp.persist(out).map_err(|e| io(e.error))?;
    Ok((stats, conv))
}
