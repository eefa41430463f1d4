//! The figures a summary.csv row holds, typed: each knows its column, its
//! name in compare's and ab's output, its interval columns and unit, and
//! the one rule by which compare, ab and the report's claims read it from
//! a row. No other module names a figure by string.

use crate::results::summary::Row;
use serde::Serialize;

/// A figure of one row. Every one is in ns: per call for an allocator's
/// rows (a live program's included), per request for `request`'s, per
/// batched operation for [`Figure::Batched`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Figure {
    P50,
    P99,
    P999,
    P9999,
    Max,
    /// The batched cost per operation, net of the null row's.
    Batched,
}

impl Figure {
    /// The percentiles, in the order of `stats::bootstrap::PERCENTILES`.
    pub const PERCENTILES: [Figure; 4] = [Figure::P50, Figure::P99, Figure::P999, Figure::P9999];
    /// What compare and ab compare: the percentiles and max, then the
    /// batched cost.
    pub const COMPARED: [Figure; 6] = [
        Figure::P50,
        Figure::P99,
        Figure::P999,
        Figure::P9999,
        Figure::Max,
        Figure::Batched,
    ];

    /// Its name in ab.csv and in code: "p50", "p999", "max", "batched".
    pub fn key(self) -> &'static str {
        match self {
            Figure::P50 => "p50",
            Figure::P99 => "p99",
            Figure::P999 => "p999",
            Figure::P9999 => "p9999",
            Figure::Max => "max",
            Figure::Batched => "batched",
        }
    }

    /// As tables and prose write it: "P50", "P99.9", "max", "batched".
    pub fn label(self) -> &'static str {
        match self {
            Figure::P50 => "P50",
            Figure::P99 => "P99",
            Figure::P999 => "P99.9",
            Figure::P9999 => "P99.99",
            Figure::Max => "max",
            Figure::Batched => "batched",
        }
    }

    /// Its summary.csv column.
    pub fn column(self) -> &'static str {
        match self {
            Figure::P50 => "p50_ns",
            Figure::P99 => "p99_ns",
            Figure::P999 => "p999_ns",
            Figure::P9999 => "p9999_ns",
            Figure::Max => "max_ns",
            Figure::Batched => "batch_net_ns_per_op",
        }
    }

    /// Its interval's summary.csv columns (low, high); None for max,
    /// which has none.
    pub fn interval_columns(self) -> Option<(&'static str, &'static str)> {
        Some(match self {
            Figure::P50 => ("p50_lo_ns", "p50_hi_ns"),
            Figure::P99 => ("p99_lo_ns", "p99_hi_ns"),
            Figure::P999 => ("p999_lo_ns", "p999_hi_ns"),
            Figure::P9999 => ("p9999_lo_ns", "p9999_hi_ns"),
            Figure::Max => return None,
            Figure::Batched => ("batch_net_ns_per_op_lo", "batch_net_ns_per_op_hi"),
        })
    }

    /// The quantile of a percentile (0.5 for P50); None for the others.
    pub fn quantile(self) -> Option<f64> {
        let at = Figure::PERCENTILES.iter().position(|&f| f == self)?;
        Some(crate::stats::bootstrap::PERCENTILES[at])
    }

    /// Decimals a value of this figure is written with: whole ns, and
    /// hundredths for a batched cost (below the clock's step).
    pub fn decimals(self) -> usize {
        match self {
            Figure::Batched => 2,
            _ => 0,
        }
    }

    /// The figure of `row`, by the one rule every comparison uses: a
    /// percentile or max as recorded; the batched cost only where the row
    /// has one whose whole interval stands clear of 0 (so never the null
    /// row's, which is 0 by construction).
    pub fn value(self, row: &Row) -> Option<f64> {
        match self {
            Figure::Batched => {
                let lo = row.batch_net_ns_per_op_lo?;
                row.batch_net_ns_per_op.filter(|_| lo > 0.0)
            }
            f => f.recorded(row).map(|v| v as f64),
        }
    }

    /// A percentile's or max's value as recorded (whole ns); None for the
    /// batched cost.
    pub fn recorded(self, row: &Row) -> Option<u64> {
        Some(match self {
            Figure::P50 => row.p50_ns,
            Figure::P99 => row.p99_ns,
            Figure::P999 => row.p999_ns,
            Figure::P9999 => row.p9999_ns,
            Figure::Max => row.max_ns,
            Figure::Batched => return None,
        })
    }

    /// The figure's 95 % interval in `row` (low, high), where it has one.
    pub fn interval(self, row: &Row) -> Option<(f64, f64)> {
        let whole = |lo: Option<u64>, hi: Option<u64>| Some((lo? as f64, hi? as f64));
        match self {
            Figure::P50 => whole(row.p50_lo_ns, row.p50_hi_ns),
            Figure::P99 => whole(row.p99_lo_ns, row.p99_hi_ns),
            Figure::P999 => whole(row.p999_lo_ns, row.p999_hi_ns),
            Figure::P9999 => whole(row.p9999_lo_ns, row.p9999_hi_ns),
            Figure::Max => None,
            Figure::Batched => Some((row.batch_net_ns_per_op_lo?, row.batch_net_ns_per_op_hi?)),
        }
    }

    /// [`Figure::value`] with its interval: (value, low, high).
    pub fn with_interval(self, row: &Row) -> Option<(f64, f64, f64)> {
        let (lo, hi) = self.interval(row)?;
        Some((self.value(row)?, lo, hi))
    }

    /// A percentile's recorded value and its interval in whole ns, as the
    /// report prints them; None for max and the batched cost.
    pub fn percentile(self, row: &Row) -> Option<(u64, Option<(u64, u64)>)> {
        self.quantile()?;
        let v = self.recorded(row)?;
        let i = self.interval(row).map(|(lo, hi)| (lo as u64, hi as u64));
        Some((v, i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::summary::{Figures, Floor, Key, FIXED_COLUMNS};

    fn row() -> Row {
        let f = Figures {
            samples: 10,
            min: 1,
            mean: 2.0,
            p50: 50,
            p99: 99,
            p999: 999,
            p9999: 9999,
            max: 100_000,
        };
        Row::new(Key::example(), &f, Floor { p50: 0, jitter: 1 }, 0, 0)
    }

    #[test]
    fn every_figure_names_a_summary_csv_column_and_its_interval_columns() {
        let mut out = csv::Writer::from_writer(vec![]);
        out.serialize(row()).unwrap();
        let text = String::from_utf8(out.into_inner().unwrap()).unwrap();
        let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
        for f in Figure::COMPARED {
            assert!(header.contains(&f.column()), "{f:?}: {}", f.column());
            if let Some((lo, hi)) = f.interval_columns() {
                assert!(header.contains(&lo) && header.contains(&hi), "{f:?}");
            }
            if f.quantile().is_some() || f == Figure::Max {
                assert!(FIXED_COLUMNS.contains(&f.column()), "{f:?}");
            }
        }
    }

    #[test]
    fn a_row_gives_each_figure_from_its_own_column() {
        let mut r = row();
        let got: Vec<Option<f64>> = Figure::COMPARED.iter().map(|f| f.value(&r)).collect();
        assert_eq!(
            got,
            [
                Some(50.0),
                Some(99.0),
                Some(999.0),
                Some(9999.0),
                Some(100_000.0),
                None
            ]
        );
        assert_eq!(Figure::P999.quantile(), Some(0.999));
        assert_eq!(Figure::Max.quantile(), None);
        (r.p999_lo_ns, r.p999_hi_ns) = (Some(900), Some(1100));
        assert_eq!(Figure::P999.percentile(&r), Some((999, Some((900, 1100)))));
        assert_eq!(Figure::Max.percentile(&r), None);
    }

    #[test]
    fn a_batched_cost_counts_only_where_its_interval_stands_clear_of_zero() {
        let mut r = row();
        r.batch_net_ns_per_op = Some(2.5);
        // No interval: not a figure to compare.
        assert_eq!(Figure::Batched.value(&r), None);
        (r.batch_net_ns_per_op_lo, r.batch_net_ns_per_op_hi) = (Some(2.4), Some(2.6));
        assert_eq!(Figure::Batched.value(&r), Some(2.5));
        assert_eq!(Figure::Batched.with_interval(&r), Some((2.5, 2.4, 2.6)));
        // The null row's: 0 with an interval reaching 0 or below.
        (r.batch_net_ns_per_op, r.batch_net_ns_per_op_lo) = (Some(0.0), Some(-0.01));
        assert_eq!(Figure::Batched.value(&r), None);
    }
}
