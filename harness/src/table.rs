//! The percentile table printed per workload.

use crate::output::summary::Row;
use crate::workload_name::WorkloadName;

fn ratio(r: &Row) -> String {
    match r.ratio_p999_p50_net {
        Some(x) => format!("{x:.2}"),
        None => "n/m".into(),
    }
}

/// One table for one workload: raw figures, the raw ratio, then net figures.
pub fn render(workload: WorkloadName, rows: &[&Row]) -> String {
    let mut out = format!(
        "\n{workload}\n{:<9} {:>5} {:>7} {:>9} {:>8} {:>8} {:>8} {:>9} {:>10} {:>8} {:>8} {:>9} {:>9}\n",
        "allocator", "size", "op", "samples", "P50", "P99", "P99.9", "P99.99", "max", "P999/P50", "net P50", "net P99.9", "net ratio"
    );
    for r in rows {
        let size = if r.size == 0 {
            "mixed".to_string()
        } else {
            r.size.to_string()
        };
        out.push_str(&format!(
            "{:<9} {:>5} {:>7} {:>9} {:>8} {:>8} {:>8} {:>9} {:>10} {:>8.2} {:>8} {:>9} {:>9}\n",
            r.allocator,
            size,
            r.op,
            r.samples,
            r.p50_ns,
            r.p99_ns,
            r.p999_ns,
            r.p9999_ns,
            r.max_ns,
            r.ratio_p999_p50,
            r.p50_net_ns,
            r.p999_net_ns,
            ratio(r)
        ));
    }
    out
}

/// The legend printed once under the tables.
pub const LEGEND: &str =
    "All figures in ns. net = minus the null row's P50 for the same case (the timer's own cost).\n\
net ratio = net P99.9 / net P50; n/m = not meaningful: the net P50 is within the null's jitter
(P99 - P50, or the clock's resolution when that is larger).";
