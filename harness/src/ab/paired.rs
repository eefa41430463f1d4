//! The A/B's figures, paired by round: every series both sides recorded in
//! every round, each figure's median over rounds per side, and the change
//! as the median of the rounds' candidate / baseline ratios with its
//! sign-test interval (`stats::rounds`). Also the A/B's own reliability:
//! one side's odd rounds against its even ones (split-half), where every
//! faster or slower verdict is a false one.

use crate::compare::{case_label, Compared, FigureChange};
use crate::results::figure::Figure;
use crate::results::read::Results;
use crate::results::summary::Row;
use crate::stats::change::Verdict;
use crate::stats::rounds::{median, paired};

/// Whether two rows are the same series (allocator and case).
fn same_series(a: &Row, b: &Row) -> bool {
    a.allocator == b.allocator
        && a.workload == b.workload
        && a.size == b.size
        && a.op == b.op
        && a.threads == b.threads
}

/// One series' rows, one per round, from each side (in round order).
struct Series<'a> {
    label: String,
    a: Vec<&'a Row>,
    b: Vec<&'a Row>,
}

/// Each figure of each series, candidate rounds `b` against baseline
/// rounds `a` (`a[r]` and `b[r]` measured in round r), `noise` a fraction.
pub fn compared(a: &[Results], b: &[Results], noise: f64) -> Vec<Compared> {
    let (a, b): (Vec<&Results>, Vec<&Results>) = (a.iter().collect(), b.iter().collect());
    series(&a, &b)
        .into_iter()
        .map(|s| Compared {
            figures: figures(&s, noise),
            label: s.label,
        })
        .collect()
}

fn figures(s: &Series, noise: f64) -> Vec<FigureChange> {
    Figure::COMPARED
        .into_iter()
        .filter_map(|figure| {
            let values = |rows: &[&Row]| -> Option<Vec<f64>> {
                rows.iter().map(|r| figure.value(r)).collect()
            };
            let (a, b) = (values(&s.a)?, values(&s.b)?);
            Some(FigureChange {
                figure,
                baseline: median(&a)?,
                candidate: median(&b)?,
                change: paired(&a, &b, noise),
            })
        })
        .collect()
}

/// A side's split-half A/A: its odd rounds against its even ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SplitHalf {
    /// Pairs of rounds (1 with 2, 3 with 4, ...).
    pub pairs: usize,
    /// Figures with an interval.
    pub figures: usize,
    /// Of those, the ones that came out faster or slower: all false.
    pub changed: usize,
}

impl SplitHalf {
    /// The share of false verdicts, in percent; None without figures.
    pub fn percent(&self) -> Option<f64> {
        (self.figures > 0).then(|| 100.0 * self.changed as f64 / self.figures as f64)
    }
}

/// Rounds 1, 3, 5, ... of one side against rounds 2, 4, 6, ..., paired
/// as (1, 2), (3, 4), ...; an odd last round sits out.
pub fn split_half(rounds: &[Results], noise: f64) -> SplitHalf {
    let pairs = rounds.len() / 2;
    let (odd, even): (Vec<&Results>, Vec<&Results>) = (
        rounds.iter().step_by(2).take(pairs).collect(),
        rounds.iter().skip(1).step_by(2).take(pairs).collect(),
    );
    let mut half = SplitHalf {
        pairs,
        figures: 0,
        changed: 0,
    };
    for s in series(&odd, &even) {
        for f in figures(&s, noise) {
            match f.change.verdict {
                Verdict::Unknown => {}
                Verdict::Faster | Verdict::Slower => {
                    half.figures += 1;
                    half.changed += 1;
                }
                _ => half.figures += 1,
            }
        }
    }
    half
}

/// The series of `a`'s first round found in every round of both sides.
fn series<'a>(a: &[&'a Results], b: &[&'a Results]) -> Vec<Series<'a>> {
    let find = |rounds: &[&'a Results], row: &Row| -> Option<Vec<&'a Row>> {
        rounds
            .iter()
            .map(|r| r.rows.iter().find(|x| same_series(x, row)))
            .collect()
    };
    let Some(first) = a.first() else {
        return Vec::new();
    };
    first
        .rows
        .iter()
        .filter_map(|row| {
            Some(Series {
                label: format!("{} {}", case_label(row), row.allocator),
                a: find(a, row)?,
                b: find(b, row)?,
            })
        })
        .collect()
}
