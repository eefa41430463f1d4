//! The percentile table printed per workload.

use crate::names::WorkloadName;
use crate::results::figure::Figure;
use crate::results::summary::Row;

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
        "allocator",
        "size",
        "op",
        "samples",
        Figure::P50.label(),
        Figure::P99.label(),
        Figure::P999.label(),
        Figure::P9999.label(),
        Figure::Max.label(),
        "P999/P50",
        "net P50",
        "net P99.9",
        "net ratio"
    );
    for r in rows {
        let size = if r.workload.is_replay() {
            "trace".to_string()
        } else if r.workload.is_program() {
            "live".to_string()
        } else if r.size == 0 {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::summary::{Figures, Floor, Key, Row};
    use workloads::Op;

    #[test]
    fn every_row_lines_up_with_the_header() {
        let f = Figures {
            samples: 10,
            min: 1,
            mean: 2.0,
            p50: 50,
            p99: 60,
            p999: 90,
            p9999: 90,
            max: 90,
        };
        let floor = Floor {
            p50: 20,
            jitter: 10,
        };
        let rows: Vec<Row> = [Op::Alloc, Op::Realloc]
            .into_iter()
            .map(|op| {
                Row::new(
                    Key {
                        op,
                        ..Key::example()
                    },
                    &f,
                    floor,
                    0,
                    7,
                )
            })
            .collect();
        let table = render(WorkloadName::HotPath, &rows.iter().collect::<Vec<_>>());
        let lines: Vec<&str> = table.lines().skip(2).collect();
        assert_eq!(lines.len(), 3, "{table}");
        // The names are padded to their columns (a Display that ignores
        // the width would shift every column after them).
        assert!(lines[1].starts_with("pmad         64   alloc"), "{table}");
        assert!(lines[2].starts_with("pmad         64 realloc"), "{table}");
        assert!(lines.iter().all(|l| l.len() == lines[0].len()), "{table}");
    }
}
