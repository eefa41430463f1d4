//! `counts.csv`: instructions per call (and the simulated caches' misses)
//! from `harness count`, one row per (allocator, workload, size, op,
//! threads), keyed like summary.csv. The same struct writes and reads it.

use super::sink::Sink;
use crate::names::Name;
use crate::names::WorkloadName;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use workloads::Op;

/// One row. Field order is column order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CountRow {
    pub allocator: Name,
    pub workload: WorkloadName,
    pub op: Op,
    /// Bytes; 0 for mixed sizes.
    pub size: usize,
    pub threads: u32,
    /// Calls counted (the recorded phase's, warm-up excluded).
    pub calls: u64,
    /// Instructions per call: fewest, median, 99th percentile, most (exact,
    /// nearest rank over every call), and mean.
    pub ir_min: u64,
    pub ir_p50: u64,
    pub ir_p99: u64,
    pub ir_max: u64,
    pub ir_mean: f64,
    /// The same net of this binary's null row (the toggles' own
    /// instructions and the loop's call); 0 at or below it.
    pub ir_p50_net: u64,
    pub ir_max_net: u64,
    pub ir_mean_net: f64,
    /// Data reads plus writes per call.
    pub data_refs_mean: f64,
    /// Simulated I1 + D1 misses, and last-level misses, per call.
    pub l1_misses_mean: f64,
    pub ll_misses_mean: f64,
    /// Estimated cycles per call: L1 hits + 5 x LL hits + 35 x RAM accesses.
    pub est_cycles_mean: f64,
    pub est_cycles_mean_net: f64,
    /// The null row's mean instructions and estimated cycles used for the
    /// net figures (this binary's own).
    pub null_ir_mean: f64,
    pub null_est_cycles_mean: f64,
    /// What counted: valgrind's version and the simulated caches.
    pub valgrind: String,
    pub caches: String,
    /// The harness build that ran (commit, "-dirty" when it had changes).
    pub git_commit: String,
    /// What differs from the timed run, if anything (TCMalloc without its
    /// per-CPU caches under valgrind).
    pub note: String,
}

/// A row's identity.
pub type CountKey = (Name, WorkloadName, usize, Op, u32);

impl CountRow {
    pub fn key(&self) -> CountKey {
        (
            self.allocator,
            self.workload,
            self.size,
            self.op,
            self.threads,
        )
    }
}

/// `<results>/counts.csv`.
pub fn path(results: &Path) -> PathBuf {
    super::series::counts_csv(results)
}

/// The rows of `<results>/counts.csv`; empty when there is none. A file
/// that cannot be read as counts says where.
pub fn read(results: &Path) -> Result<Vec<CountRow>, String> {
    let path = path(results);
    if !path.exists() {
        return Ok(Vec::new());
    }
    let mut reader =
        csv::Reader::from_path(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    reader
        .deserialize()
        .map(|r| {
            r.map_err(|e| {
                let line = e.position().map_or(0, |p| p.line());
                format!("{} line {line}: not a counts.csv row: {e}", path.display())
            })
        })
        .collect()
}

/// The text of counts.csv for `rows`.
pub fn to_csv(rows: &[CountRow]) -> Result<String, String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in rows {
        w.serialize(r).map_err(|e| e.to_string())?;
    }
    let bytes = w.into_inner().map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|e| e.to_string())
}

/// Merges `fresh` into the earlier rows: a fresh row replaces the earlier
/// one of its key, except the null row, whose first count stays (as in
/// summary.csv: every binary nets its figures by its own null, recorded in
/// `null_ir_mean`). Rows keep a stable order: allocator, workload, size, op.
pub fn merge(earlier: Vec<CountRow>, fresh: Vec<CountRow>) -> Vec<CountRow> {
    let earlier_null: HashSet<CountKey> = earlier
        .iter()
        .filter(|r| r.allocator == Name::Null)
        .map(CountRow::key)
        .collect();
    let fresh: Vec<CountRow> = fresh
        .into_iter()
        .filter(|r| !earlier_null.contains(&r.key()))
        .collect();
    let replaced: HashSet<CountKey> = fresh.iter().map(CountRow::key).collect();
    let mut all: Vec<CountRow> = earlier
        .into_iter()
        .filter(|r| !replaced.contains(&r.key()))
        .chain(fresh)
        .collect();
    // By the names as written (workload and op alphabetically), as
    // counts.csv has always been ordered.
    all.sort_by_key(|r| {
        (
            r.allocator,
            r.workload.as_str(),
            r.size,
            r.op.name(),
            r.threads,
        )
    });
    all
}

/// Writes counts.csv into the sink's directory, merged with what is there.
pub fn write(sink: &Sink, fresh: Vec<CountRow>) -> Result<PathBuf, String> {
    let earlier = read(sink.dir())?;
    let text = to_csv(&merge(earlier, fresh))?;
    let path = path(sink.dir());
    sink.write(&path, text.as_bytes())?;
    Ok(path)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn row(allocator: Name, op: Op, ir: u64) -> CountRow {
        CountRow {
            allocator,
            workload: WorkloadName::HotPath,
            op,
            size: 64,
            threads: 1,
            calls: 10,
            ir_min: ir,
            ir_p50: ir,
            ir_p99: ir,
            ir_max: ir,
            ir_mean: ir as f64,
            ir_p50_net: 0,
            ir_max_net: 0,
            ir_mean_net: 0.0,
            data_refs_mean: 1.5,
            l1_misses_mean: 0.0,
            ll_misses_mean: 0.0,
            est_cycles_mean: ir as f64,
            est_cycles_mean_net: 0.0,
            null_ir_mean: 0.0,
            null_est_cycles_mean: 0.0,
            valgrind: "valgrind-3.19.0".into(),
            caches: "I1 32768,8,64".into(),
            git_commit: "abc".into(),
            note: String::new(),
        }
    }

    #[test]
    fn rows_round_trip_through_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let sink = Sink::open(dir.path(), false).unwrap();
        let rows = vec![
            row(Name::Pmad, Op::Alloc, 20),
            row(Name::Null, Op::Alloc, 9),
        ];
        write(&sink, rows.clone()).unwrap();
        let back = read(dir.path()).unwrap();
        assert_eq!(back, merge(Vec::new(), rows));
        assert_eq!(
            back[0].allocator,
            Name::Pmad,
            "report order: pmad first, null last"
        );
    }

    #[test]
    fn a_fresh_row_replaces_its_key_but_the_first_null_stays() {
        let earlier = vec![
            row(Name::Pmad, Op::Alloc, 20),
            row(Name::Null, Op::Alloc, 9),
        ];
        let fresh = vec![
            row(Name::Pmad, Op::Alloc, 21),
            row(Name::System, Op::Alloc, 50),
            row(Name::Null, Op::Alloc, 10),
        ];
        let all = merge(earlier, fresh);
        let got: Vec<(&str, u64)> = all
            .iter()
            .map(|r| (r.allocator.as_str(), r.ir_max))
            .collect();
        assert_eq!(got, [("pmad", 21), ("system", 50), ("null", 9)]);
    }

    #[test]
    fn a_damaged_file_names_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let text = to_csv(&[row(Name::Pmad, Op::Alloc, 20)]).unwrap();
        std::fs::write(path(dir.path()), text.replace(",20,", ",x,")).unwrap();
        let err = read(dir.path()).unwrap_err();
        assert!(
            err.contains("counts.csv line 2: not a counts.csv row"),
            "{err}"
        );
    }
}
