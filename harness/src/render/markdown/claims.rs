//! Which allocator a table or the README may call the lowest (or highest)
//! on a percentile, and when it must say "tied" instead.
//!
//! A run made of rounds: the leader must be set apart by verdicts paired
//! by round: every other allocator's figure against the leader's, round by
//! round, the median ratio's sign-test interval wholly beyond
//! [`PAIRED_NOISE`] (`stats::rounds::paired`). Rounds shuffle the
//! allocators' order, so a drift of the machine falls on all alike and the
//! ratios within a round cancel it.
//!
//! Older runs, with within-run intervals only (every run since the block
//! bootstrap): the leader's 95 % interval must lie wholly clear of every
//! other allocator's, and, where the run was repeated (spread.csv), its
//! range across the repeats clear of every other's range too. Results
//! without intervals fall back to the single-run rule they were published
//! with: the leader [`FACTOR`] times ahead of the next and by
//! [`MIN_STEPS`] clock steps.

use crate::results::figure::Figure;
use crate::results::read::Results;
use crate::results::spread::{across_repeats, SpreadRow};
use crate::results::summary::Row;
use crate::stats::change::Verdict;
use crate::stats::rounds::paired;

/// Without intervals: how far ahead a leader must be to be called one.
pub const FACTOR: f64 = 2.0;
/// ... and by how many clock steps at least.
pub const MIN_STEPS: f64 = 2.0;
/// Paired by round: the change a verdict must clear, as `harness compare`'s
/// default `--noise`.
pub const PAIRED_NOISE: f64 = 0.02;

/// What a run holds beyond each figure's own interval: the spread across
/// repeats (older runs) and the rounds' rows (a run made of rounds).
#[derive(Clone, Copy)]
pub struct Between<'a> {
    pub spread: Option<&'a [SpreadRow]>,
    pub rounds: &'a [Vec<Row>],
}

impl<'a> Between<'a> {
    pub fn of(r: &'a Results) -> Between<'a> {
        Between {
            spread: r.spread.as_deref(),
            rounds: &r.rounds,
        }
    }

    /// Nothing beyond the rows themselves.
    pub const NONE: Between<'static> = Between {
        spread: None,
        rounds: &[],
    };

    /// Whether the run was made of rounds.
    pub fn paired(&self) -> bool {
        !self.rounds.is_empty()
    }

    /// `b`'s figure `what` against `a`'s, paired by round; None without
    /// rounds or where a round lacks either.
    pub fn verdict(&self, a: &Row, b: &Row, what: Figure) -> Option<Verdict> {
        if !self.paired() {
            return None;
        }
        let values = |row: &Row| -> Option<Vec<f64>> {
            self.rounds
                .iter()
                .map(|round| round.iter().find(|x| x.key() == row.key()))
                .map(|x| x.and_then(|x| what.value(x)))
                .collect()
        };
        Some(paired(&values(a)?, &values(b)?, PAIRED_NOISE).verdict)
    }
}

/// A row's percentile `pct` and its 95 % interval.
fn figure(r: &Row, pct: Figure) -> (u64, Option<(u64, u64)>) {
    pct.percentile(r).unwrap_or((0, None))
}

/// The allocator set apart from all others on `pct` (the lowest, or the
/// highest with `highest`), if the data sets one apart.
pub fn leader<'a>(
    rows: &[&'a Row],
    pct: Figure,
    highest: bool,
    step_ns: f64,
    between: Between<'_>,
) -> Option<&'a Row> {
    let mut sorted: Vec<&Row> = rows.to_vec();
    sorted.sort_by_key(|r| figure(r, pct).0);
    if highest {
        sorted.reverse();
    }
    let (first, second) = (*sorted.first()?, *sorted.get(1)?);
    let others = &sorted[1..];
    if between.paired() {
        let apart = if highest {
            Verdict::Faster
        } else {
            Verdict::Slower
        };
        return others
            .iter()
            .all(|o| between.verdict(first, o, pct) == Some(apart))
            .then_some(first);
    }
    if rows.iter().all(|r| figure(r, pct).1.is_some()) {
        // Clear of every other interval, and of every other repeat range.
        let clear = |mine: (u64, u64), theirs: &dyn Fn(&Row) -> Option<(u64, u64)>| {
            others.iter().all(|o| match theirs(o) {
                Some((_, hi)) if highest => mine.0 > hi,
                Some((lo, _)) => mine.1 < lo,
                None => true,
            })
        };
        let interval = |r: &Row| figure(r, pct).1;
        let within = clear(interval(first)?, &interval);
        let repeats = |r: &Row| across_repeats(between.spread, r, pct);
        let between = repeats(first).is_none_or(|mine| clear(mine, &repeats));
        return (within && between).then_some(first);
    }
    let (a, b) = (figure(first, pct).0 as f64, figure(second, pct).0 as f64);
    let (lo, hi) = if highest { (b, a) } else { (a, b) };
    (hi >= FACTOR * lo && hi - lo >= MIN_STEPS * step_ns).then_some(first)
}

/// "25 (24-26)": a figure with its interval, when it has one (the
/// tables' plain numbers).
pub fn with_interval(r: &Row, pct: Figure) -> String {
    formatted(r, pct, |v| v.to_string())
}

/// "2,455 (2,301-2,610)": the same, with thousands separators (prose).
pub fn with_interval_prose(r: &Row, pct: Figure) -> String {
    formatted(r, pct, crate::format::thousands)
}

fn formatted(r: &Row, pct: Figure, f: impl Fn(u64) -> String) -> String {
    match figure(r, pct) {
        (v, Some((lo, hi))) => format!("{} ({}-{})", f(v), f(lo), f(hi)),
        (v, None) => f(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(allocator: &str, p50: u64, ci: Option<(u64, u64)>) -> Row {
        let key = crate::results::summary::Key {
            allocator: crate::names::Name::parse(allocator).expect("a known allocator"),
            workload: crate::names::workload::WorkloadName::HotPath,
            op: workloads::Op::Alloc,
            size: 64,
            threads: 1,
            run_id: "r",
        };
        let f = crate::results::summary::Figures {
            samples: 1,
            min: 1,
            mean: 1.0,
            p50,
            p99: p50,
            p999: p50,
            p9999: p50,
            max: p50,
        };
        let floor = crate::results::summary::Floor { p50: 0, jitter: 1 };
        let mut r = Row::new(key, &f, floor, 0, 0);
        (r.p50_lo_ns, r.p50_hi_ns) = (ci.map(|c| c.0), ci.map(|c| c.1));
        r
    }

    #[test]
    fn without_intervals_a_leader_needs_twice_the_lead_and_two_clock_steps() {
        let (a, b, c) = (
            row("pmad", 100, None),
            row("jemalloc", 210, None),
            row("mimalloc", 500, None),
        );
        assert_eq!(
            leader(&[&c, &a, &b], Figure::P50, false, 10.0, Between::NONE)
                .unwrap()
                .allocator
                .as_str(),
            "pmad"
        );
        let b2 = row("jemalloc", 190, None);
        assert!(leader(&[&a, &b2, &c], Figure::P50, false, 10.0, Between::NONE).is_none());
        let (x, y) = (row("tlsf", 10, None), row("snmalloc", 25, None));
        assert!(leader(&[&x, &y], Figure::P50, false, 10.0, Between::NONE).is_none());
        assert_eq!(
            leader(&[&x, &y], Figure::P50, false, 5.0, Between::NONE)
                .unwrap()
                .allocator
                .as_str(),
            "tlsf"
        );
        // Highest: 500 against 210 is twice.
        assert_eq!(
            leader(&[&a, &b, &c], Figure::P50, true, 10.0, Between::NONE)
                .unwrap()
                .allocator
                .as_str(),
            "mimalloc"
        );
        assert!(leader(&[&a], Figure::P50, false, 10.0, Between::NONE).is_none());
    }

    #[test]
    fn with_intervals_the_leader_must_be_clear_of_every_other_interval() {
        let a = row("pmad", 30, Some((29, 31)));
        let b = row("jemalloc", 33, Some((32, 40)));
        // 10 % apart, far from twice, but the intervals do not overlap.
        assert_eq!(
            leader(&[&b, &a], Figure::P50, false, 10.0, Between::NONE)
                .unwrap()
                .allocator
                .as_str(),
            "pmad"
        );
        // A third allocator whose interval reaches down to a's: tied.
        let c = row("mimalloc", 50, Some((30, 90)));
        assert!(leader(&[&a, &b, &c], Figure::P50, false, 10.0, Between::NONE).is_none());
        // Twice as far, with overlapping intervals: tied all the same.
        let d = row("tcmalloc", 100, Some((20, 200)));
        assert!(leader(&[&a, &d], Figure::P50, false, 10.0, Between::NONE).is_none());
        assert_eq!(with_interval(&a, Figure::P50), "30 (29-31)");
        assert_eq!(
            with_interval(&row("system", 1234, None), Figure::P50),
            "1234"
        );
        assert_eq!(
            with_interval_prose(&row("system", 1234, None), Figure::P50),
            "1,234"
        );
    }

    #[test]
    fn across_repeats_the_ranges_must_be_clear_too() {
        let a = row("pmad", 30, Some((29, 31)));
        let b = row("jemalloc", 33, Some((32, 40)));
        let spread = |name: &str, min: u64, max: u64| SpreadRow {
            allocator: crate::names::Name::parse(name).expect("a known allocator"),
            workload: crate::names::workload::WorkloadName::HotPath,
            op: workloads::Op::Alloc,
            size: 64,
            threads: 1,
            repeats: 3,
            p50_min_ns: min,
            p50_median_ns: min,
            p50_max_ns: max,
            p99_min_ns: 0,
            p99_median_ns: 0,
            p99_max_ns: 0,
            p999_min_ns: 0,
            p999_median_ns: 0,
            p999_max_ns: 0,
            p9999_min_ns: 0,
            p9999_median_ns: 0,
            p9999_max_ns: 0,
            max_min_ns: 0,
            max_median_ns: 0,
            max_max_ns: 0,
            batch_net_min_ns: None,
            batch_net_median_ns: None,
            batch_net_max_ns: None,
        };
        let apart = [spread("pmad", 29, 31), spread("jemalloc", 32, 35)];
        assert_eq!(
            leader(&[&a, &b], Figure::P50, false, 10.0, spread_only(&apart))
                .unwrap()
                .allocator
                .as_str(),
            "pmad"
        );
        // Another repeat put a where b is: tied.
        let moved = [spread("pmad", 29, 34), spread("jemalloc", 32, 35)];
        assert!(leader(&[&a, &b], Figure::P50, false, 10.0, spread_only(&moved)).is_none());
    }

    fn spread_only(s: &[SpreadRow]) -> Between<'_> {
        Between {
            spread: Some(s),
            rounds: &[],
        }
    }

    /// Rounds where every allocator's P50 is `base[i] * drift[r]`: the
    /// machine's drift moves all alike, so the pairing cancels it.
    fn rounds_of(base: &[(&str, u64)], drift: &[f64]) -> Vec<Vec<Row>> {
        drift
            .iter()
            .map(|d| {
                base.iter()
                    .map(|&(a, p50)| row(a, (p50 as f64 * d).round() as u64, None))
                    .collect()
            })
            .collect()
    }

    #[test]
    fn with_rounds_the_leader_is_the_one_the_paired_verdicts_set_apart() {
        // A drift of 2x between rounds dwarfs the 10 % gap, yet in every
        // round pmad is 10 % below jemalloc: paired, pmad leads.
        let drift = [1.0, 2.0, 1.3, 1.9, 1.1, 1.6, 1.0];
        let rounds = rounds_of(&[("pmad", 100), ("jemalloc", 110)], &drift);
        let between = Between {
            spread: None,
            rounds: &rounds,
        };
        let (a, b) = (row("pmad", 130, None), row("jemalloc", 143, None));
        let lead = leader(&[&b, &a], Figure::P50, false, 1.0, between).unwrap();
        assert_eq!(lead.allocator.as_str(), "pmad");
        assert!(
            leader(&[&b, &a], Figure::P50, true, 1.0, between)
                .unwrap()
                .allocator
                .as_str()
                == "jemalloc"
        );
        // Within 1 % of each other in every round: below the noise, tied.
        let close = rounds_of(&[("pmad", 1000), ("jemalloc", 1010)], &drift);
        let between = Between {
            spread: None,
            rounds: &close,
        };
        assert!(leader(&[&a, &b], Figure::P50, false, 1.0, between).is_none());
        // Fewer than 5 rounds give no interval: no leader, however far apart.
        let few = rounds_of(&[("pmad", 100), ("jemalloc", 300)], &drift[..4]);
        let between = Between {
            spread: None,
            rounds: &few,
        };
        assert!(leader(&[&a, &b], Figure::P50, false, 1.0, between).is_none());
    }
}
