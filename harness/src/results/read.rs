//! A results directory read back from its files: summary.csv, meta.json and
//! the per-series .hgrm and .hlog. Plots and the report see nothing else, so
//! they work on results from any machine: measuring and rendering never mix.

use crate::names::Name;
use crate::names::WorkloadName;
use crate::results::counts::{self, CountRow};
use crate::results::meta::{Machine, Meta, Run};
use crate::results::read_error::ReadError;
use crate::results::series::{self, Raw, SeriesId};
use crate::results::spread::{self, SpreadRow};
use crate::results::summary::{self, Row};
use crate::results::{hgrm, hlog};
use hdrhistogram::Histogram;
use std::path::{Path, PathBuf};
use workloads::Op;

pub struct Results {
    pub dir: PathBuf,
    pub rows: Vec<Row>,
    pub meta: Meta,
    /// spread.csv, when the run was repeated.
    pub spread: Option<Vec<SpreadRow>>,
    /// A run made of rounds (`results::rounds`): each round's summary.csv
    /// rows, round 1 first, for verdicts paired by round; empty otherwise.
    pub rounds: Vec<Vec<Row>>,
    /// counts.csv (`harness count`); empty when it was not run.
    pub counts: Vec<CountRow>,
}

/// One point of a percentile distribution (a `.hgrm` data line).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    pub value_ns: f64,
    pub percentile: f64,
}

/// A `.hgrm` file: its lines and the total count from its footer.
pub struct Distribution {
    pub points: Vec<Point>,
    pub total: u64,
    pub max_ns: f64,
}

/// One churn window (one .hlog interval).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WindowFigures {
    pub samples: u64,
    pub p999_ns: u64,
    pub max_ns: u64,
}

/// Every round's rows of the run in `dir` (none without rounds).
fn round_rows(dir: &Path) -> Result<Vec<Vec<Row>>, ReadError> {
    let dirs = super::rounds::round_dirs(dir).map_err(ReadError::Described)?;
    dirs.iter()
        .map(|d| {
            let path = series::summary_csv(d);
            let csv = std::fs::read(&path).map_err(|source| ReadError::Io {
                path: path.clone(),
                source,
            })?;
            summary::from_csv(&csv).map_err(|e| ReadError::content(&path, e))
        })
        .collect()
}

impl Results {
    /// Reads `dir`'s summary.csv and meta.json; fails naming the file and why.
    pub fn load(dir: &Path) -> Result<Results, ReadError> {
        let csv_path = series::summary_csv(dir);
        let csv = std::fs::read(&csv_path).map_err(|source| ReadError::NotResults {
            path: csv_path.clone(),
            dir: dir.to_path_buf(),
            source,
        })?;
        let rows = summary::from_csv(&csv).map_err(|e| ReadError::content(&csv_path, e))?;
        if rows.is_empty() {
            return Err(ReadError::content(&csv_path, "no rows"));
        }
        let meta_path = series::meta_json(dir);
        let meta_text = std::fs::read_to_string(&meta_path).map_err(|source| ReadError::Io {
            path: meta_path.clone(),
            source,
        })?;
        let meta = Meta::parse(&meta_text).map_err(|source| ReadError::Json {
            path: meta_path.clone(),
            line: source.line(),
            column: source.column(),
            source,
        })?;
        if meta.runs.is_empty() {
            return Err(ReadError::content(&meta_path, "no `runs`"));
        }
        undeclared_library(&rows, &meta).map_err(|e| ReadError::content(&csv_path, e))?;
        Ok(Results {
            dir: dir.to_path_buf(),
            rows,
            meta,
            spread: spread::read(dir).map_err(ReadError::Described)?,
            rounds: round_rows(dir)?,
            counts: counts::read(dir).map_err(ReadError::Described)?,
        })
    }

    /// Every run recorded in meta.json (one per harness binary for run_all.sh).
    pub fn runs(&self) -> &[Run] {
        &self.meta.runs
    }

    /// The machine of the first run (run_all.sh runs every binary on one machine).
    pub fn machine(&self) -> &Machine {
        &self.runs()[0].machine
    }

    /// The machine's name as recorded (not this machine's).
    pub fn host(&self) -> String {
        self.machine().host.clone()
    }

    /// "vm (AMD EPYC, 2 CPUs)": the machine, said in every chart title;
    /// for a run made of rounds, also that every figure drawn is a median
    /// over them (", median of 10 rounds").
    pub fn machine_label(&self) -> String {
        let m = self.machine();
        let rounds = match &self.meta.rounds {
            Some(r) => format!(", median of {} rounds", r.count),
            None => String::new(),
        };
        format!(
            "{} ({}, {} CPUs){rounds}",
            self.host(),
            m.cpu_model.as_deref().unwrap_or("unknown CPU"),
            m.logical_cpus_online
        )
    }

    /// The clock's step (`clock::smallest_step`) as the first run measured it.
    pub fn timer_step_ns(&self) -> f64 {
        self.runs()[0].timer.resolution_ns
    }

    /// Ops (alloc + free) per window of the churn case of `size`: its
    /// samples over its intervals (the windows split the ops evenly, to
    /// one op); without intervals, the most a churn window holds.
    pub fn window_ops(&self, size: usize) -> u64 {
        let of = |op: Op| {
            self.rows.iter().find(|r| {
                r.workload == WorkloadName::Churn && r.size == size && r.op == op && r.threads == 1
            })
        };
        if let (Some(a), Some(f)) = (of(Op::Alloc), of(Op::Free)) {
            if let Some(n) = a.intervals.filter(|&n| n > 0) {
                return (a.samples + f.samples) / n;
            }
        }
        self.runs()[0].histograms.churn_max_window_ops
    }

    /// The allocators with rows, in report order.
    pub fn allocators(&self) -> Vec<Name> {
        let mut names: Vec<Name> = self.rows.iter().map(|r| r.allocator).collect();
        names.sort_by_key(|n| n.report_key());
        names.dedup();
        names
    }

    /// The workloads with rows, in the order they first appear.
    pub fn workloads(&self) -> Vec<WorkloadName> {
        let mut names: Vec<WorkloadName> = Vec::new();
        for r in &self.rows {
            if !names.contains(&r.workload) {
                names.push(r.workload);
            }
        }
        names
    }

    /// The sizes a workload was measured at, ascending (0, mixed, last).
    pub fn sizes(&self, workload: WorkloadName) -> Vec<usize> {
        let mut sizes: Vec<usize> = self
            .rows
            .iter()
            .filter(|r| r.workload == workload)
            .map(|r| r.size)
            .collect();
        sizes.sort_by_key(|&s| if s == 0 { usize::MAX } else { s });
        sizes.dedup();
        sizes
    }

    /// The single-threaded row of a series.
    pub fn row(
        &self,
        allocator: Name,
        workload: WorkloadName,
        size: usize,
        op: Op,
    ) -> Option<&Row> {
        self.row_on(1, allocator, workload, size, op)
    }

    /// A series' row on `threads` threads.
    fn row_on(
        &self,
        threads: u32,
        allocator: Name,
        workload: WorkloadName,
        size: usize,
        op: Op,
    ) -> Option<&Row> {
        self.rows.iter().find(|r| {
            r.threads == threads
                && r.allocator == allocator
                && r.workload == workload
                && r.size == size
                && r.op == op
        })
    }

    /// The ops recorded for a workload, in report order (request first).
    pub fn ops(&self, workload: WorkloadName) -> Vec<Op> {
        [
            Op::Request,
            Op::Alloc,
            Op::Free,
            Op::Calloc,
            Op::Realloc,
            Op::Aligned,
        ]
        .into_iter()
        .filter(|&op| {
            self.rows
                .iter()
                .any(|r| r.workload == workload && r.op == op)
        })
        .collect()
    }

    /// The threads a workload runs on by itself: 1, or for a workload that
    /// needs several (producer-consumer) the fewest it was measured on.
    pub fn own_threads(&self, workload: WorkloadName) -> u32 {
        self.rows
            .iter()
            .filter(|r| r.workload == workload)
            .map(|r| r.threads)
            .min()
            .unwrap_or(1)
    }

    /// A series' row at the workload's own thread count.
    pub fn own_row(
        &self,
        allocator: Name,
        workload: WorkloadName,
        size: usize,
        op: Op,
    ) -> Option<&Row> {
        self.row_on(self.own_threads(workload), allocator, workload, size, op)
    }

    /// (allocator, why) for each allocator a workload could not run on,
    /// from every run's meta.json.
    pub fn not_applicable(&self, workload: WorkloadName) -> Vec<(Name, String)> {
        let mut out: Vec<(Name, String)> = Vec::new();
        for run in self.runs() {
            for n in run.not_applicable.iter().filter(|n| n.workload == workload) {
                if !out.iter().any(|(x, _)| *x == n.allocator) {
                    out.push((n.allocator, n.reason.clone()));
                }
            }
        }
        out
    }

    /// A replayed trace's counts, as the null row's case recorded them in
    /// meta.json (every allocator replays the same calls; the null row's
    /// case is in every run that replayed it). None for other workloads.
    pub fn replay(&self, workload: WorkloadName) -> Option<&crate::results::meta::ReplayEntry> {
        self.runs()
            .iter()
            .flat_map(|run| &run.cases)
            .filter(|c| c.workload == workload)
            .find_map(|c| c.replay.as_ref())
    }

    /// PMAD's pool for a workload (its configuration and what it used),
    /// from the run that ran PMAD on it.
    pub fn pmad_pool(&self, workload: WorkloadName) -> Option<&crate::results::pools::PmadReport> {
        self.runs()
            .iter()
            .flat_map(|run| &run.cases)
            .filter(|c| c.workload == workload)
            .find_map(|c| c.pmad.as_ref())
    }

    /// The rows of a workload run on more than one thread (`--threads`).
    pub fn threaded(&self, workload: WorkloadName) -> Vec<&Row> {
        self.rows
            .iter()
            .filter(|r| r.threads > 1 && r.workload == workload)
            .collect()
    }

    /// The identity of a series at the workload's own thread count.
    pub fn series_id(
        &self,
        allocator: Name,
        workload: WorkloadName,
        size: usize,
        op: Op,
    ) -> SeriesId {
        SeriesId::new(allocator, workload, self.own_threads(workload), size, op)
    }

    /// The `.hgrm` of one series; None when the file is not there.
    pub fn distribution(&self, id: &SeriesId) -> Result<Option<Distribution>, String> {
        let path = id.path(&self.dir, Raw::Hgrm);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        let (lines, total) = hgrm::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let max_ns = lines.iter().map(|l| l.value).fold(0.0, f64::max);
        Ok(Some(Distribution {
            points: lines
                .iter()
                .map(|l| Point {
                    value_ns: l.value,
                    percentile: l.percentile,
                })
                .collect(),
            total,
            max_ns,
        }))
    }

    /// P99.9 and max of every interval of one series' `.hlog`, in order;
    /// None when the file is not there.
    pub fn windows(&self, id: &SeriesId) -> Result<Option<Vec<WindowFigures>>, ReadError> {
        Ok(self.intervals(id)?.map(|hs| {
            hs.iter()
                .map(|h| WindowFigures {
                    samples: h.len(),
                    p999_ns: h.value_at_quantile(0.999),
                    max_ns: h.max(),
                })
                .collect()
        }))
    }

    /// Every interval histogram of one series' `.hlog`, in order; None when
    /// the file is not there.
    pub fn intervals(&self, id: &SeriesId) -> Result<Option<Vec<Histogram<u64>>>, ReadError> {
        hlog::read(&id.path(&self.dir, Raw::Hlog))
    }
}

impl Results {
    /// A churn case's `<allocator>/churn-<size>-memory.csv`; None when absent.
    pub fn memory(
        &self,
        allocator: Name,
        size: usize,
    ) -> Result<Option<Vec<crate::results::memory::WindowMemory>>, String> {
        let path = series::memory_csv(&self.dir, allocator, size);
        match std::fs::read(&path) {
            Ok(b) => crate::results::memory::from_csv(&b)
                .map(Some)
                .map_err(|e| format!("{}: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }
}

/// A row of an allocator the suite does not compile in that no run of
/// meta.json measured as a library row (`--allocator-lib`): a misspelt
/// name, said with its line.
fn undeclared_library(rows: &[Row], meta: &Meta) -> Result<(), String> {
    for (i, r) in rows.iter().enumerate() {
        let name = r.allocator.as_str();
        if r.allocator.is_lib()
            && !meta
                .runs
                .iter()
                .any(|run| run.allocators.contains_key(name))
        {
            return Err(format!(
                "line: {}: allocator `{name}` is none the suite compiles in, and no run in meta.json measured it as a library row (--allocator-lib)",
                i + 2
            ));
        }
    }
    Ok(())
}
