//! The results layout, in one place: a series' identity and every file name
//! derived from it. The sink writes these paths, the results reader and the
//! charts read them, and the report links the charts' names; nothing else
//! builds a results path or a chart name.
//!
//! ```text
//! <results>/summary.csv, meta.json, REPORT.md, spread.csv, counts.csv
//! <results>/<allocator>/<files>-<size>-<op>.hgrm       the percentile distribution
//! <results>/<allocator>/<files>-<size>-<op>.hlog       the interval log
//! <results>/<allocator>/<files>-thread<i>-<size>-<op>.hgrm   one thread's own (threads > 1)
//! <results>/<allocator>/churn-<size>-memory.csv        churn's memory per window
//! ```
//!
//! `<files>` is the workload, with `-t<N>` when it ran on N > 1 threads;
//! `<size>` is bytes, 0 for mixed sizes.

use crate::names::Name;
use crate::names::WorkloadName;
use std::path::{Path, PathBuf};
use workloads::Op;

/// A series' raw files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Raw {
    /// The percentile distribution (Java's HistogramLogProcessor format).
    Hgrm,
    /// The interval log.
    Hlog,
}

impl Raw {
    pub const BOTH: [Raw; 2] = [Raw::Hgrm, Raw::Hlog];

    fn ext(self) -> &'static str {
        match self {
            Raw::Hgrm => "hgrm",
            Raw::Hlog => "hlog",
        }
    }
}

/// `<results>/summary.csv`.
pub fn summary_csv(results: &Path) -> PathBuf {
    results.join("summary.csv")
}

/// `<results>/meta.json`.
pub fn meta_json(results: &Path) -> PathBuf {
    results.join("meta.json")
}

/// `<results>/REPORT.md`.
pub fn report_md(results: &Path) -> PathBuf {
    results.join("REPORT.md")
}

/// `<results>/spread.csv` (runs with `--repeat`).
pub fn spread_csv(results: &Path) -> PathBuf {
    results.join("spread.csv")
}

/// `<results>/counts.csv` (`harness count`).
pub fn counts_csv(results: &Path) -> PathBuf {
    results.join("counts.csv")
}

/// One recorded series: a row of summary.csv and its raw files.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SeriesId {
    pub allocator: Name,
    pub workload: WorkloadName,
    pub threads: u32,
    pub size: usize,
    pub op: Op,
}

impl SeriesId {
    pub fn new(
        allocator: Name,
        workload: WorkloadName,
        threads: u32,
        size: usize,
        op: Op,
    ) -> SeriesId {
        SeriesId {
            allocator,
            workload,
            threads,
            size,
            op,
        }
    }

    /// The series a summary.csv row describes.
    pub fn of(row: &super::summary::Row) -> SeriesId {
        SeriesId::new(row.allocator, row.workload, row.threads, row.size, row.op)
    }

    /// The workload as it appears in file names: `hot-path`, or
    /// `hot-path-t2` on 2 threads (summary.csv keeps `hot-path`, threads 2).
    pub fn files_workload(&self) -> String {
        files_workload(self.workload, self.threads)
    }

    /// `<files>-<size>-<op>`: the stem of the series' raw files.
    pub fn stem(&self) -> String {
        format!("{}-{}-{}", self.files_workload(), self.size, self.op)
    }

    /// `<dir>/<allocator>/<stem>.hgrm` or `.hlog`.
    pub fn path(&self, dir: &Path, raw: Raw) -> PathBuf {
        dir.join(self.allocator.as_str())
            .join(format!("{}.{}", self.stem(), raw.ext()))
    }

    /// Thread `i`'s own distribution of a threaded series.
    pub fn thread_hgrm(&self, dir: &Path, i: usize) -> PathBuf {
        dir.join(self.allocator.as_str()).join(format!(
            "{}-thread{i}-{}-{}.hgrm",
            self.files_workload(),
            self.size,
            self.op
        ))
    }
}

/// `hot-path`, or `hot-path-t2` for a workload run on 2 threads.
pub fn files_workload(workload: WorkloadName, threads: u32) -> String {
    if threads > 1 {
        format!("{workload}-t{threads}")
    } else {
        workload.to_string()
    }
}

/// `<dir>/<allocator>/churn-<size>-memory.csv`.
pub fn memory_csv(dir: &Path, allocator: Name, size: usize) -> PathBuf {
    dir.join(allocator.as_str())
        .join(format!("churn-{size}-memory.csv"))
}

/// The chart names that are not one series' percentile chart.
pub mod chart {
    pub const HOT_PATH: &str = "hot-path";
    pub const SIZE_SWEEP: &str = "size-sweep";
    pub const REQUEST_LATENCY: &str = "request-latency";
    /// Instructions per call against size (`harness count`).
    pub const SIZE_SWEEP_INSTRUCTIONS: &str = "size-sweep-instructions";

    use crate::names::WorkloadName;
    use workloads::Op;

    pub fn churn_windows(size: usize, op: Op) -> String {
        format!("churn-windows-{size}-{op}")
    }
    pub fn churn_memory(size: usize) -> String {
        format!("churn-memory-{size}")
    }
    pub fn threads(workload: WorkloadName, size: usize) -> String {
        format!("threads-{workload}-{size}")
    }
    /// Every allocator's distribution of one series (`files`: the workload
    /// as in file names, see [`super::files_workload`]).
    pub fn percentiles(files: &str, size: usize, op: Op) -> String {
        format!("percentiles-{files}-{size}-{op}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_is_the_committed_layout() {
        let dir = Path::new("results/vm");
        let one = SeriesId::new(Name::Pmad, WorkloadName::Churn, 1, 1024, Op::Free);
        assert_eq!(
            one.path(dir, Raw::Hgrm),
            Path::new("results/vm/pmad/churn-1024-free.hgrm")
        );
        assert_eq!(
            chart::percentiles(&one.files_workload(), one.size, one.op),
            "percentiles-churn-1024-free"
        );
        let two = SeriesId::new(Name::Jemalloc, WorkloadName::HotPath, 2, 64, Op::Alloc);
        assert_eq!(
            two.path(dir, Raw::Hlog),
            Path::new("results/vm/jemalloc/hot-path-t2-64-alloc.hlog")
        );
        assert_eq!(
            two.thread_hgrm(dir, 1),
            Path::new("results/vm/jemalloc/hot-path-t2-thread1-64-alloc.hgrm")
        );
        assert_eq!(
            memory_csv(dir, Name::Tlsf, 0),
            Path::new("results/vm/tlsf/churn-0-memory.csv")
        );
        assert_eq!(
            chart::threads(WorkloadName::Churn, 1024),
            "threads-churn-1024"
        );
    }
}
