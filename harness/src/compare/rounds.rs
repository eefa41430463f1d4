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

use super::{Compared, FigureChange};
use crate::results::figure::Figure;
use crate::results::summary::Row;
use crate::stats::change::{Change, Verdict};
use crate::stats::rounds::{median, paired};

/// Allocator `b` against `a` in one run, paired by round: `rounds` are the
/// run's rounds' rows.
pub fn paired_in_run(rounds: &[Vec<Row>], a: &Row, b: &Row, label: String, noise: f64) -> Compared {
    let values = |row: &Row, figure: Figure| -> Option<Vec<f64>> {
        rounds
            .iter()
            .map(|r| {
                r.iter()
                    .find(|x| x.key() == row.key())
                    .and_then(|x| figure.value(x))
            })
            .collect()
    };
    let figures = Figure::COMPARED
        .into_iter()
        .filter_map(|figure| {
            let (x, y) = (values(a, figure)?, values(b, figure)?);
            Some(FigureChange {
                figure,
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
    let figures = Figure::COMPARED
        .into_iter()
        .filter_map(|figure| {
            let (x, y) = (figure.value(a)?, figure.value(b)?);
            let change = match (figure.with_interval(a), figure.with_interval(b)) {
                (Some(i), Some(j)) if i.1 > 0.0 => Change::of_intervals(i, j, noise),
                _ => Change {
                    relative: y / x - 1.0,
                    interval: None,
                    verdict: Verdict::Unknown,
                },
            };
            Some(FigureChange {
                figure,
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
        let p50 = |c: &Compared| {
            c.figures
                .iter()
                .find(|f| f.figure == Figure::P50)
                .unwrap()
                .change
        };
        // 100 (95-105) against 130 (125-135): apart by far more than the
        // rounds moved.
        let slower = across_time(&row(100, 95, 105), &row(130, 125, 135), "x".into(), 0.02);
        assert_eq!(p50(&slower).verdict, Verdict::Slower);
        // 100 (80-120) against 110 (100-125): the rounds overlap.
        let unsure = across_time(&row(100, 80, 120), &row(110, 100, 125), "x".into(), 0.02);
        assert_eq!(p50(&unsure).verdict, Verdict::WithinNoise);
        // The max has no between-round interval: no verdict.
        let max = slower
            .figures
            .iter()
            .find(|f| f.figure == Figure::Max)
            .unwrap();
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
        let p50 = c.figures.iter().find(|f| f.figure == Figure::P50).unwrap();
        assert_eq!(p50.change.verdict, Verdict::Slower);
        assert!(
            (p50.change.relative - 0.05).abs() < 0.002,
            "{}",
            p50.change.relative
        );
    }
}
