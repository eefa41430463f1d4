//! `summary.csv`: one row per (allocator, workload, size, op, threads), with
//! the fixed columns (README.md and METHODOLOGY.md list them) first and the harness's extras after them.

use crate::names::WorkloadName;
use crate::results::meta::PhaseUsage;
use crate::stats::batch::BatchCost;
use crate::stats::{Bootstrap, Intervals};
use serde::{Deserialize, Serialize};
use workloads::Op;
use workloads::Recorder;

/// The fixed columns, in order; scripts rely on them.
#[cfg(test)]
pub const FIXED_COLUMNS: [&str; 14] = [
    "allocator",
    "workload",
    "op",
    "size",
    "threads",
    "samples",
    "p50_ns",
    "p99_ns",
    "p999_ns",
    "p9999_ns",
    "max_ns",
    "ratio_p999_p50",
    "p50_net_ns",
    "p999_net_ns",
];

/// One row. Field order is column order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub allocator: crate::names::Name,
    pub workload: WorkloadName,
    pub op: Op,
    /// Bytes; 0 for mixed sizes.
    pub size: usize,
    pub threads: u32,
    pub samples: u64,
    pub p50_ns: u64,
    pub p99_ns: u64,
    pub p999_ns: u64,
    pub p9999_ns: u64,
    pub max_ns: u64,
    /// P99.9 / P50 of the raw figures (timer included).
    pub ratio_p999_p50: f64,
    /// P50 minus the null row's P50 for the same case (0 at or below the floor).
    pub p50_net_ns: u64,
    pub p999_net_ns: u64,
    /// Net P99.9 / net P50; empty when the net P50 is within the null's jitter.
    pub ratio_p999_p50_net: Option<f64>,
    /// Whether the net ratio means anything (net P50 above the null's jitter).
    pub ratio_meaningful: bool,
    pub p9999_net_ns: u64,
    pub max_net_ns: u64,
    pub min_ns: u64,
    pub mean_ns: f64,
    /// The null row's P50 and jitter (P99 - P50, at least the clock's resolution) for this case.
    pub null_p50_ns: u64,
    pub null_jitter_ns: u64,
    /// Values beyond the histogram's range, recorded at its top.
    pub saturated: u64,
    /// The case's very first call of this op, timed apart from the histogram.
    pub first_call_ns: u64,
    /// The case's recorded phase (alloc and free together, so the same on
    /// both rows): the measuring thread's page faults and context switches,
    /// and the process's RSS before, after and at its peak, in KiB. Empty
    /// where the OS does not tell.
    pub minor_faults: Option<u64>,
    pub major_faults: Option<u64>,
    pub voluntary_ctx_switches: Option<u64>,
    pub involuntary_ctx_switches: Option<u64>,
    pub rss_before_kb: Option<u64>,
    pub rss_after_kb: Option<u64>,
    pub rss_peak_kb: Option<u64>,
    /// `--syscalls`: the system calls made during the recorded phase by any
    /// thread but the harness's own (counted in a traced re-run of the same
    /// plan), in total and by name ("madvise=12 mmap=3"). Empty without it.
    pub syscalls: Option<u64>,
    pub syscalls_by_name: Option<String>,
    /// Churn only (empty elsewhere), over the windows of the recorded phase:
    /// mean requested and usable live KiB, internal waste
    /// (usable - requested) / usable in percent, and the largest growth of
    /// RSS since the case began over the requested bytes (memory.rs).
    pub live_requested_kb: Option<u64>,
    pub live_usable_kb: Option<u64>,
    pub internal_waste_pct: Option<f64>,
    pub rss_growth_over_requested: Option<f64>,
    /// Which run of meta.json produced the row.
    pub run_id: String,
    /// Interval histograms in the series' .hlog (`workloads::windows`).
    pub intervals: Option<u64>,
    /// 95 % intervals of P50, P99, P99.9 and P99.99: a block bootstrap over
    /// the .hlog's intervals (`stats::bootstrap`). Empty with fewer than
    /// 10 intervals.
    pub p50_lo_ns: Option<u64>,
    pub p50_hi_ns: Option<u64>,
    pub p99_lo_ns: Option<u64>,
    pub p99_hi_ns: Option<u64>,
    pub p999_lo_ns: Option<u64>,
    pub p999_hi_ns: Option<u64>,
    pub p9999_lo_ns: Option<u64>,
    pub p9999_hi_ns: Option<u64>,
    /// The batched phase (hot-path, size-sweep, bulk, reverse-free and
    /// churn on one thread; empty elsewhere): what one batched operation is
    /// ("alloc+free": the pair, and "alloc or free": churn's steps, so the
    /// alloc and free rows carry the same figures; "alloc" and "free":
    /// bulk's, each row its own), operations per
    /// batch, and the cost per operation in ns with its 95 % interval,
    /// raw (clock reads taken off) and net of the null row's
    /// (`stats::batch`).
    pub batch_op: Option<String>,
    pub batch_ops: Option<u64>,
    pub batch_ns_per_op: Option<f64>,
    pub batch_ns_per_op_lo: Option<f64>,
    pub batch_ns_per_op_hi: Option<f64>,
    pub batch_net_ns_per_op: Option<f64>,
    pub batch_net_ns_per_op_lo: Option<f64>,
    pub batch_net_ns_per_op_hi: Option<f64>,
}

/// Percentiles of one histogram.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Figures {
    pub samples: u64,
    pub min: u64,
    pub mean: f64,
    pub p50: u64,
    pub p99: u64,
    pub p999: u64,
    pub p9999: u64,
    pub max: u64,
}

impl Figures {
    pub fn of(rec: &Recorder) -> Figures {
        Figures::of_histogram(rec.histogram())
    }

    /// The figures of one histogram (a series' .hlog intervals merged, for
    /// `harness verify`).
    pub fn of_histogram(h: &hdrhistogram::Histogram<u64>) -> Figures {
        let q = |q: f64| h.value_at_quantile(q);
        Figures {
            samples: h.len(),
            min: h.min(),
            mean: if h.is_empty() { 0.0 } else { h.mean() },
            p50: q(0.5),
            p99: q(0.99),
            p999: q(0.999),
            p9999: q(0.9999),
            max: h.max(),
        }
    }
}

/// The floor a row is measured against: the null row of the same case.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Floor {
    pub p50: u64,
    pub jitter: u64,
}

impl Floor {
    /// The null's P50, and its jitter: P99 - P50, never below the clock's
    /// resolution.
    pub fn of(null: &Figures, resolution_ns: f64) -> Floor {
        let tick = resolution_ns.ceil() as u64;
        Floor {
            p50: null.p50,
            jitter: (null.p99 - null.p50).max(tick),
        }
    }
}

/// Where a row comes from.
pub struct Key<'a> {
    pub allocator: crate::names::Name,
    pub workload: WorkloadName,
    pub op: Op,
    pub size: usize,
    pub threads: u32,
    pub run_id: &'a str,
}

#[cfg(test)]
impl Key<'static> {
    /// PMAD's hot-path alloc at 64 B on one thread: the tests' usual row.
    pub fn example() -> Key<'static> {
        Key {
            allocator: crate::names::Name::Pmad,
            workload: WorkloadName::HotPath,
            op: Op::Alloc,
            size: 64,
            threads: 1,
            run_id: "r",
        }
    }
}

impl Row {
    pub fn new(key: Key<'_>, f: &Figures, floor: Floor, saturated: u64, first_call_ns: u64) -> Row {
        let net = |v: u64| v.saturating_sub(floor.p50);
        let (p50_net, p999_net) = (net(f.p50), net(f.p999));
        let meaningful = p50_net > floor.jitter;
        Row {
            allocator: key.allocator,
            workload: key.workload,
            op: key.op,
            size: key.size,
            threads: key.threads,
            samples: f.samples,
            p50_ns: f.p50,
            p99_ns: f.p99,
            p999_ns: f.p999,
            p9999_ns: f.p9999,
            max_ns: f.max,
            ratio_p999_p50: round3(f.p999 as f64 / f.p50.max(1) as f64),
            p50_net_ns: p50_net,
            p999_net_ns: p999_net,
            ratio_p999_p50_net: meaningful.then(|| round3(p999_net as f64 / p50_net as f64)),
            ratio_meaningful: meaningful,
            p9999_net_ns: net(f.p9999),
            max_net_ns: net(f.max),
            min_ns: f.min,
            mean_ns: round3(f.mean),
            null_p50_ns: floor.p50,
            null_jitter_ns: floor.jitter,
            saturated,
            first_call_ns,
            minor_faults: None,
            major_faults: None,
            voluntary_ctx_switches: None,
            involuntary_ctx_switches: None,
            rss_before_kb: None,
            rss_after_kb: None,
            rss_peak_kb: None,
            syscalls: None,
            syscalls_by_name: None,
            live_requested_kb: None,
            live_usable_kb: None,
            internal_waste_pct: None,
            rss_growth_over_requested: None,
            run_id: key.run_id.to_string(),
            intervals: None,
            p50_lo_ns: None,
            p50_hi_ns: None,
            p99_lo_ns: None,
            p99_hi_ns: None,
            p999_lo_ns: None,
            p999_hi_ns: None,
            p9999_lo_ns: None,
            p9999_hi_ns: None,
            batch_op: None,
            batch_ops: None,
            batch_ns_per_op: None,
            batch_ns_per_op_lo: None,
            batch_ns_per_op_hi: None,
            batch_net_ns_per_op: None,
            batch_net_ns_per_op_lo: None,
            batch_net_ns_per_op_hi: None,
        }
    }

    /// Adds the batched cost and, given the null row's, the net one.
    /// `cost` is (what one batched operation is, its cost).
    pub fn with_batch(mut self, cost: Option<(&str, BatchCost)>, null: Option<BatchCost>) -> Row {
        let Some((op, c)) = cost else {
            return self;
        };
        let r = |x: f64| (x * 1000.0).round() / 1000.0;
        self.batch_op = Some(op.into());
        self.batch_ops = Some(c.ops_per_batch);
        (
            self.batch_ns_per_op,
            self.batch_ns_per_op_lo,
            self.batch_ns_per_op_hi,
        ) = (Some(r(c.ns)), Some(r(c.lo)), Some(r(c.hi)));
        if let Some(n) = null.map(|n| c.net_of(&n)) {
            (
                self.batch_net_ns_per_op,
                self.batch_net_ns_per_op_lo,
                self.batch_net_ns_per_op_hi,
            ) = (Some(r(n.ns)), Some(r(n.lo)), Some(r(n.hi)));
        }
        self
    }

    /// Adds the interval count and, with enough intervals, each
    /// percentile's 95 % interval.
    pub fn with_intervals(mut self, intervals: Option<&Intervals>) -> Row {
        let Some(iv) = intervals else {
            return self;
        };
        self.intervals = Some(iv.len() as u64);
        if let Some(b) = Bootstrap::percentiles(iv) {
            let ci = |q| {
                let c = b.ci(q);
                (Some(c.lo), Some(c.hi))
            };
            (self.p50_lo_ns, self.p50_hi_ns) = ci(0);
            (self.p99_lo_ns, self.p99_hi_ns) = ci(1);
            (self.p999_lo_ns, self.p999_hi_ns) = ci(2);
            (self.p9999_lo_ns, self.p9999_hi_ns) = ci(3);
        }
        self
    }

    /// Adds the recorded phase's faults, context switches and RSS.
    pub fn with_usage(mut self, usage: Option<PhaseUsage>) -> Row {
        if let Some(u) = usage {
            self.minor_faults = Some(u.minor_faults);
            self.major_faults = Some(u.major_faults);
            self.voluntary_ctx_switches = Some(u.voluntary_ctx_switches);
            self.involuntary_ctx_switches = Some(u.involuntary_ctx_switches);
            (self.rss_before_kb, self.rss_after_kb, self.rss_peak_kb) =
                (u.rss_before_kb, u.rss_after_kb, u.rss_peak_kb);
        }
        self
    }

    /// The recorded phase's system calls: their total and breakdown
    /// ("madvise=12 mmap=3").
    pub fn with_syscalls(mut self, calls: Option<(u64, String)>) -> Row {
        if let Some((total, breakdown)) = calls {
            self.syscalls = Some(total);
            self.syscalls_by_name = Some(breakdown);
        }
        self
    }

    pub fn with_memory(mut self, m: Option<crate::results::memory::MemorySummary>) -> Row {
        if let Some(m) = m {
            self.live_requested_kb = Some(m.requested_kb);
            self.live_usable_kb = m.usable_kb;
            self.internal_waste_pct = m.internal_waste_pct;
            self.rss_growth_over_requested = m.rss_growth_over_requested;
        }
        self
    }

    /// The identity of a row: a later run replaces an earlier row with the same key.
    pub fn key(&self) -> (crate::names::Name, WorkloadName, Op, usize, u32) {
        (
            self.allocator,
            self.workload,
            self.op,
            self.size,
            self.threads,
        )
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// The CSV text of `rows`, header first.
pub fn to_csv(rows: &[Row]) -> Result<Vec<u8>, String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for row in rows {
        w.serialize(row).map_err(|e| format!("summary.csv: {e}"))?;
    }
    if rows.is_empty() {
        return Err("summary.csv: no rows".into());
    }
    w.into_inner().map_err(|e| format!("summary.csv: {e}"))
}

/// Reads a summary.csv written by this harness version.
pub fn from_csv(text: &[u8]) -> Result<Vec<Row>, String> {
    csv::Reader::from_reader(text)
        .deserialize()
        .collect::<Result<Vec<Row>, _>>()
        .map_err(|e| format!("{e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(p50: u64, p99: u64, p999: u64) -> Figures {
        Figures {
            samples: 10,
            min: 1,
            mean: 2.0,
            p50,
            p99,
            p999,
            p9999: p999,
            max: p999,
        }
    }

    #[test]
    fn the_fixed_columns_come_first_in_order() {
        let floor = Floor {
            p50: 20,
            jitter: 10,
        };
        let csv = to_csv(&[Row::new(Key::example(), &figures(50, 60, 90), floor, 0, 7)]).unwrap();
        let header = String::from_utf8(csv.clone())
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .to_string();
        assert!(header.starts_with(&FIXED_COLUMNS.join(",")), "{header}");
        let back = from_csv(&csv).unwrap();
        assert_eq!(back[0].p50_net_ns, 30);
        assert_eq!(back[0].ratio_p999_p50_net, Some(2.333));
        assert_eq!(back[0].first_call_ns, 7);
    }

    #[test]
    fn a_ratio_within_the_floor_jitter_is_not_meaningful() {
        let floor = Floor::of(&figures(20, 30, 30), 9.81);
        assert_eq!(
            floor,
            Floor {
                p50: 20,
                jitter: 10
            }
        );
        let key = || Key {
            allocator: crate::names::Name::Pmad,
            workload: WorkloadName::Churn,
            op: Op::Free,
            size: 0,
            threads: 1,
            run_id: "r",
        };
        let close = Row::new(key(), &figures(30, 40, 300), floor, 0, 0);
        assert_eq!(
            (
                close.p50_net_ns,
                close.ratio_meaningful,
                close.ratio_p999_p50_net
            ),
            (10, false, None)
        );
        assert_eq!(close.ratio_p999_p50, 10.0, "the raw ratio is always given");
        let clear = Row::new(key(), &figures(60, 70, 420), floor, 0, 0);
        assert_eq!(
            (clear.ratio_meaningful, clear.ratio_p999_p50_net),
            (true, Some(10.0))
        );
        // Below the floor, net figures are 0, never negative.
        let below = Row::new(key(), &figures(10, 10, 10), floor, 0, 0);
        assert_eq!((below.p50_net_ns, below.p999_net_ns), (0, 0));
        // A jitter of 0 is raised to the clock's resolution.
        assert_eq!(Floor::of(&figures(20, 20, 20), 0.4).jitter, 1);
    }
}
