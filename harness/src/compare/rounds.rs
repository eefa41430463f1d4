//! Comparisons of runs made of rounds (`results::rounds`).
//!
//! Two allocators of one such run are **paired by round**: both ran in
//! every round, minutes apart at most, so round r's ratio B_r / A_r
//! cancels what the round shared; the change is the median ratio with its
//! sign-test interval, as `harness ab` gives.
//!
//! Two such runs made at different times cannot be paired: nothing ties
//! round r of one to round r of the other. Each figure's interval is the
//! between-round one of its own run (summary.csv's `_lo`/`_hi`), and the
//! change's interval runs from B's low over A's high to B's high over A's
//! low ([`Change::of_intervals`]): a verdict says the figure moved between
//! the two runs by more than either run's rounds moved, which includes
//! whatever changed on the machine between them.

use super::{Compared, Figure, FIGURES};
use crate::results::summary::Row;
use crate::stats::change::{Change, Verdict};
use crate::stats::rounds::{median, paired};

/// The figures compared over rounds (here and by `harness ab`): the
/// percentiles and max, then the batched cost.
pub const NAMES: [&str; 6] = [
    FIGURES[0], FIGURES[1], FIGURES[2], FIGURES[3], FIGURES[4], "batched",
];

/// Figure `name` of `row`, in ns (batched: net of the null's, where it
/// stands clear of 0).
fn value(row: &Row, name: &str) -> Option<f64> {
    match name {
        "max" => Some(row.max_ns as f64),
        "batched" => row
            .batch_net_ns_per_op
            .filter(|_| row.batch_net_ns_per_op_lo.is_none_or(|lo| lo > 0.0)),
        p => row.percentile(p).map(|(v, _)| v as f64),
    }
}

/// The figure with its between-round interval (point, low, high).
fn with_interval(row: &Row, name: &str) -> Option<(f64, f64, f64)> {
    match name {
        "max" => None,
        "batched" => Some((
            value(row, name)?,
            row.batch_net_ns_per_op_lo?,
            row.batch_net_ns_per_op_hi?,
        )),
        p => {
            let (v, (lo, hi)) = row.percentile(p).and_then(|(v, i)| Some((v, i?)))?;
            Some((v as f64, lo as f64, hi as f64))
        }
    }
}

/// Allocator `b` against `a` in one run, paired by round: `rounds` are the
/// run's rounds' rows.
pub fn paired_in_run(rounds: &[Vec<Row>], a: &Row, b: &Row, label: String, noise: f64) -> Compared {
    let values = |row: &Row, name: &str| -> Option<Vec<f64>> {
        rounds
            .iter()
            .map(|r| {
                r.iter()
                    .find(|x| x.key() == row.key())
                    .and_then(|x| value(x, name))
            })
            .collect()
    };
    let figures = NAMES
        .iter()
        .filter_map(|&name| {
            let (x, y) = (values(a, name)?, values(b, name)?);
            Some(Figure {
                name,
                baseline: median(&x)?,
                candidate: median(&y)?,
                change: paired(&x, &y, noise),
            })
        })
        .collect();
    Compared { label, figures }
}

/// Series `b` of one run against series `a` of another made at another
/// time, each figure with its own run's between-round interval.
pub fn across_time(a: &Row, b: &Row, label: String, noise: f64) -> Compared {
    let figures = NAMES
        .iter()
        .filter_map(|&name| {
            let (x, y) = (value(a, name)?, value(b, name)?);
            let change = match (with_interval(a, name), with_interval(b, name)) {
                (Some(i), Some(j)) if i.1 > 0.0 => Change::of_intervals(i, j, noise),
                _ => Change {
                    relative: y / x - 1.0,
                    interval: None,
                    verdict: Verdict::Unknown,
                },
            };
            Some(Figure {
                name,
                baseline: x,
                candidate: y,
                change,
            })
        })
        .collect();
    Compared { label, figures }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::summary::{Figures, Floor, Key};

    fn row(p50: u64, lo: u64, hi: u64) -> Row {
        let f = Figures {
            samples: 1,
            min: 1,
            mean: 1.0,
            p50,
            p99: p50,
            p999: p50,
            p9999: p50,
            max: p50,
        };
        let mut r = Row::new(Key::example(), &f, Floor { p50: 0, jitter: 1 }, 0, 0);
        (r.p50_lo_ns, r.p50_hi_ns) = (Some(lo), Some(hi));
        r
    }

    #[test]
    fn across_time_a_change_must_clear_both_runs_rounds() {
        let p50 = |c: &Compared| c.figures.iter().find(|f| f.name == "p50").unwrap().change;
        // 100 (95-105) against 130 (125-135): apart by far more than the
        // rounds moved.
        let slower = across_time(&row(100, 95, 105), &row(130, 125, 135), "x".into(), 0.02);
        assert_eq!(p50(&slower).verdict, Verdict::Slower);
        // 100 (80-120) against 110 (100-125): the rounds overlap.
        let unsure = across_time(&row(100, 80, 120), &row(110, 100, 125), "x".into(), 0.02);
        assert_eq!(p50(&unsure).verdict, Verdict::WithinNoise);
        // The max has no between-round interval: no verdict.
        let max = slower.figures.iter().find(|f| f.name == "max").unwrap();
        assert_eq!(max.change.verdict, Verdict::Unknown);
    }

    #[test]
    fn in_one_run_the_rounds_pair_out_the_drift() {
        // B is 5 % above A in every round, while the rounds drift 1x to 2x.
        let drift = [1.0, 1.8, 1.2, 2.0, 1.1, 1.5];
        let rounds: Vec<Vec<Row>> = drift
            .iter()
            .map(|d| {
                let a = row((1000.0 * d) as u64, 0, 0);
                let mut b = row((1050.0 * d) as u64, 0, 0);
                b.allocator = crate::names::Name::Jemalloc;
                vec![a, b]
            })
            .collect();
        let (a, b) = (&rounds[0][0], &rounds[0][1]);
        let c = paired_in_run(&rounds, a, b, "x".into(), 0.02);
        let p50 = c.figures.iter().find(|f| f.name == "p50").unwrap();
        assert_eq!(p50.change.verdict, Verdict::Slower);
        assert!(
            (p50.change.relative - 0.05).abs() < 0.002,
            "{}",
            p50.change.relative
        );
    }
}
