//! `spread.csv`: how much each figure moved between the repeats of a run
//! (`harness --repeat N`; run_all.sh runs rounds instead): for every series, the number
//! of repeats it ran in and the min, median and max of its P50, P99,
//! P99.9, P99.99, max and batched cost. The within-run intervals of
//! summary.csv see the noise inside one run; this sees the drift between
//! runs (a neighbour's load, the CPU's clock, where the pages landed).
//!
//! Layout: repeat 1 is the results directory itself; repeat k (k >= 2) is
//! `<results>/repeats/<k>`, a results directory of its own.

use super::figure::Figure;
use super::sink::Sink;
use super::summary::{self, Row};
use crate::names::Name;
use crate::names::WorkloadName;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use workloads::Op;

/// One series across the repeats. Medians are the middle value (the lower
/// of the two middle ones for an even count).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpreadRow {
    pub allocator: Name,
    pub workload: WorkloadName,
    pub op: Op,
    pub size: usize,
    pub threads: u32,
    pub repeats: u32,
    pub p50_min_ns: u64,
    pub p50_median_ns: u64,
    pub p50_max_ns: u64,
    pub p99_min_ns: u64,
    pub p99_median_ns: u64,
    pub p99_max_ns: u64,
    pub p999_min_ns: u64,
    pub p999_median_ns: u64,
    pub p999_max_ns: u64,
    pub p9999_min_ns: u64,
    pub p9999_median_ns: u64,
    pub p9999_max_ns: u64,
    pub max_min_ns: u64,
    pub max_median_ns: u64,
    pub max_max_ns: u64,
    /// The batched cost net of the floor, where every repeat has one.
    pub batch_net_min_ns: Option<f64>,
    pub batch_net_median_ns: Option<f64>,
    pub batch_net_max_ns: Option<f64>,
}

/// The directory of repeat `k` (1-based) of a run into `results`.
pub fn repeat_dir(results: &Path, k: u32) -> PathBuf {
    if k <= 1 {
        results.to_path_buf()
    } else {
        results.join("repeats").join(k.to_string())
    }
}

/// Every repeat's directory, repeat 1 first, the others by number.
pub fn repeat_dirs(results: &Path) -> Result<Vec<PathBuf>, String> {
    let mut ks: Vec<u32> = Vec::new();
    let dir = results.join("repeats");
    if dir.is_dir() {
        for e in std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))? {
            let e = e.map_err(|e| format!("{}: {e}", dir.display()))?;
            let name = e.file_name().to_string_lossy().into_owned();
            match name.parse::<u32>() {
                Ok(k) if k >= 2 => ks.push(k),
                _ => {
                    return Err(format!(
                        "{}: `{name}` is not a repeat number (2, 3, ...)",
                        dir.display()
                    ))
                }
            }
        }
    }
    ks.sort_unstable();
    Ok(std::iter::once(1)
        .chain(ks)
        .map(|k| repeat_dir(results, k))
        .collect())
}

/// The spread of every series of the first summary across all of them.
pub fn compute(summaries: &[Vec<Row>]) -> Vec<SpreadRow> {
    let Some(first) = summaries.first() else {
        return Vec::new();
    };
    first
        .iter()
        .map(|r| {
            let same: Vec<&Row> = summaries
                .iter()
                .filter_map(|s| s.iter().find(|x| x.key() == r.key()))
                .collect();
            let stat = |f: &dyn Fn(&Row) -> u64| {
                let mut v: Vec<u64> = same.iter().map(|x| f(x)).collect();
                v.sort_unstable();
                (v[0], v[(v.len() - 1) / 2], v[v.len() - 1])
            };
            let (p50, p99, p999) = (
                stat(&|x| x.p50_ns),
                stat(&|x| x.p99_ns),
                stat(&|x| x.p999_ns),
            );
            let (p9999, max) = (stat(&|x| x.p9999_ns), stat(&|x| x.max_ns));
            let mut batch: Vec<f64> = same.iter().filter_map(|x| x.batch_net_ns_per_op).collect();
            batch.sort_by(f64::total_cmp);
            let batch = (batch.len() == same.len() && !batch.is_empty()).then(|| {
                (
                    batch[0],
                    batch[(batch.len() - 1) / 2],
                    batch[batch.len() - 1],
                )
            });
            SpreadRow {
                allocator: r.allocator,
                workload: r.workload,
                op: r.op,
                size: r.size,
                threads: r.threads,
                repeats: same.len() as u32,
                p50_min_ns: p50.0,
                p50_median_ns: p50.1,
                p50_max_ns: p50.2,
                p99_min_ns: p99.0,
                p99_median_ns: p99.1,
                p99_max_ns: p99.2,
                p999_min_ns: p999.0,
                p999_median_ns: p999.1,
                p999_max_ns: p999.2,
                p9999_min_ns: p9999.0,
                p9999_median_ns: p9999.1,
                p9999_max_ns: p9999.2,
                max_min_ns: max.0,
                max_median_ns: max.1,
                max_max_ns: max.2,
                batch_net_min_ns: batch.map(|b| b.0),
                batch_net_median_ns: batch.map(|b| b.1),
                batch_net_max_ns: batch.map(|b| b.2),
            }
        })
        .collect()
}

/// Reads every repeat's summary.csv and writes `<results>/spread.csv`;
/// returns its path and the number of repeats.
pub fn write(results: &Path) -> Result<(PathBuf, usize), String> {
    let dirs = repeat_dirs(results)?;
    let mut summaries = Vec::with_capacity(dirs.len());
    for d in &dirs {
        let path = super::series::summary_csv(d);
        let text = std::fs::read(&path).map_err(|e| {
            format!(
                "{}: {e} (every repeat's directory needs its summary.csv)",
                path.display()
            )
        })?;
        summaries.push(summary::from_csv(&text).map_err(|e| format!("{}: {e}", path.display()))?);
    }
    let rows = compute(&summaries);
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in &rows {
        w.serialize(r).map_err(|e| format!("spread.csv: {e}"))?;
    }
    let bytes = w.into_inner().map_err(|e| format!("spread.csv: {e}"))?;
    let path = super::series::spread_csv(results);
    Sink::open(results, true)?.write(&path, &bytes)?;
    Ok((path, dirs.len()))
}

/// `<results>/spread.csv`, if there is one.
pub fn read(results: &Path) -> Result<Option<Vec<SpreadRow>>, String> {
    let path = super::series::spread_csv(results);
    let text = match std::fs::read(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    csv::Reader::from_reader(text.as_slice())
        .deserialize()
        .collect::<Result<Vec<SpreadRow>, _>>()
        .map(Some)
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// The row's line of spread.csv, when the run was repeated.
pub fn spread_of<'a>(spread: Option<&'a [SpreadRow]>, r: &Row) -> Option<&'a SpreadRow> {
    spread?
        .iter()
        .find(|s| {
            s.allocator == r.allocator
                && s.workload == r.workload
                && s.op == r.op
                && s.size == r.size
                && s.threads == r.threads
        })
        .filter(|s| s.repeats > 1)
}

/// The row's range of `pct` across the repeats, when spread.csv has it.
pub fn across_repeats(spread: Option<&[SpreadRow]>, r: &Row, pct: Figure) -> Option<(u64, u64)> {
    let s = spread_of(spread, r)?;
    let range = match pct {
        Figure::P50 => (s.p50_min_ns, s.p50_max_ns),
        Figure::P99 => (s.p99_min_ns, s.p99_max_ns),
        Figure::P999 => (s.p999_min_ns, s.p999_max_ns),
        Figure::P9999 => (s.p9999_min_ns, s.p9999_max_ns),
        Figure::Max | Figure::Batched => return None,
    };
    Some(range)
}
