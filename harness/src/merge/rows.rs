//! summary.csv of a merged run: one row per series found in every round,
//! each figure the median of the rounds' values with its sign-test
//! interval over them (`stats::rounds`), because the machine drifts
//! between minutes far more than inside one process: the rounds' spread is
//! the one that tells how sure a figure is. The median, not the merged
//! histogram's percentile, because one slow round moves a merged
//! percentile and not the median, and because the paired verdicts are
//! made on the rounds' values too. Two figures are not medians: `max` is
//! the largest of all rounds (a maximum is the worst seen), `min` the
//! smallest; counts (samples, saturated, intervals) are summed; syscalls
//! are round 1's (the only one that counts them).

use crate::results::summary::Row;
use crate::stats::rounds::{median, median_interval};

/// The merged row of one series from its rows in every round (round order).
pub fn merge(rounds: &[&Row]) -> Row {
    let first = rounds[0];
    let u = |f: &dyn Fn(&Row) -> u64| -> Vec<f64> { rounds.iter().map(|r| f(r) as f64).collect() };
    let mid = |f: &dyn Fn(&Row) -> u64| median(&u(f)).map_or(0, |m| m.round() as u64);
    let span = |f: &dyn Fn(&Row) -> u64| match median_interval(&u(f)) {
        Some(m) => (Some(m.lo.round() as u64), Some(m.hi.round() as u64)),
        None => (None, None),
    };
    let samples: u64 = rounds.iter().map(|r| r.samples).sum();
    let (p50, p999) = (mid(&|r| r.p50_ns), mid(&|r| r.p999_ns));
    let (p50_net, p999_net) = (mid(&|r| r.p50_net_ns), mid(&|r| r.p999_net_ns));
    let meaningful = 2 * rounds.iter().filter(|r| r.ratio_meaningful).count() > rounds.len();
    let ((p50_lo, p50_hi), (p99_lo, p99_hi)) = (span(&|r| r.p50_ns), span(&|r| r.p99_ns));
    let ((p999_lo, p999_hi), (p9999_lo, p9999_hi)) = (span(&|r| r.p999_ns), span(&|r| r.p9999_ns));
    let mean = rounds
        .iter()
        .map(|r| r.mean_ns * r.samples as f64)
        .sum::<f64>()
        / samples.max(1) as f64;
    let mut row = Row {
        samples,
        p50_ns: p50,
        p99_ns: mid(&|r| r.p99_ns),
        p999_ns: p999,
        p9999_ns: mid(&|r| r.p9999_ns),
        max_ns: rounds.iter().map(|r| r.max_ns).max().unwrap_or(0),
        ratio_p999_p50: round3(p999 as f64 / p50.max(1) as f64),
        p50_net_ns: p50_net,
        p999_net_ns: p999_net,
        ratio_p999_p50_net: (meaningful && p50_net > 0)
            .then(|| round3(p999_net as f64 / p50_net as f64)),
        ratio_meaningful: meaningful,
        p9999_net_ns: mid(&|r| r.p9999_net_ns),
        max_net_ns: rounds.iter().map(|r| r.max_net_ns).max().unwrap_or(0),
        min_ns: rounds.iter().map(|r| r.min_ns).min().unwrap_or(0),
        mean_ns: round3(mean),
        null_p50_ns: mid(&|r| r.null_p50_ns),
        null_jitter_ns: mid(&|r| r.null_jitter_ns),
        saturated: rounds.iter().map(|r| r.saturated).sum(),
        first_call_ns: mid(&|r| r.first_call_ns),
        p50_lo_ns: p50_lo,
        p50_hi_ns: p50_hi,
        p99_lo_ns: p99_lo,
        p99_hi_ns: p99_hi,
        p999_lo_ns: p999_lo,
        p999_hi_ns: p999_hi,
        p9999_lo_ns: p9999_lo,
        p9999_hi_ns: p9999_hi,
        intervals: rounds.iter().map(|r| r.intervals).sum(),
        ..first.clone()
    };
    merge_usage(&mut row, rounds);
    merge_batch(&mut row, rounds);
    row
}

/// The process's figures (faults, context switches, RSS) and churn's
/// memory figures: medians over rounds, empty unless every round has one.
fn merge_usage(row: &mut Row, rounds: &[&Row]) {
    let opt = |f: &dyn Fn(&Row) -> Option<u64>| -> Option<u64> {
        let v: Option<Vec<f64>> = rounds.iter().map(|r| f(r).map(|x| x as f64)).collect();
        median(&v?).map(|m| m.round() as u64)
    };
    let optf = |f: &dyn Fn(&Row) -> Option<f64>| -> Option<f64> {
        let v: Option<Vec<f64>> = rounds.iter().map(|r| f(r)).collect();
        median(&v?).map(round3)
    };
    row.minor_faults = opt(&|r| r.minor_faults);
    row.major_faults = opt(&|r| r.major_faults);
    row.voluntary_ctx_switches = opt(&|r| r.voluntary_ctx_switches);
    row.involuntary_ctx_switches = opt(&|r| r.involuntary_ctx_switches);
    row.rss_before_kb = opt(&|r| r.rss_before_kb);
    row.rss_after_kb = opt(&|r| r.rss_after_kb);
    row.rss_peak_kb = opt(&|r| r.rss_peak_kb);
    row.live_requested_kb = opt(&|r| r.live_requested_kb);
    row.live_usable_kb = opt(&|r| r.live_usable_kb);
    row.internal_waste_pct = optf(&|r| r.internal_waste_pct);
    row.rss_growth_over_requested = optf(&|r| r.rss_growth_over_requested);
}

/// The batched cost's median and interval over rounds, raw and net; empty
/// unless every round has one.
fn merge_batch(row: &mut Row, rounds: &[&Row]) {
    let all = |f: &dyn Fn(&Row) -> Option<f64>| -> Option<Vec<f64>> {
        rounds.iter().map(|r| f(r)).collect()
    };
    let figure = |v: Option<Vec<f64>>| -> (Option<f64>, Option<f64>, Option<f64>) {
        let Some(v) = v else {
            return (None, None, None);
        };
        let m = median_interval(&v);
        (
            median(&v).map(round3),
            m.map(|m| round3(m.lo)),
            m.map(|m| round3(m.hi)),
        )
    };
    (
        row.batch_ns_per_op,
        row.batch_ns_per_op_lo,
        row.batch_ns_per_op_hi,
    ) = figure(all(&|r| r.batch_ns_per_op));
    (
        row.batch_net_ns_per_op,
        row.batch_net_ns_per_op_lo,
        row.batch_net_ns_per_op_hi,
    ) = figure(all(&|r| r.batch_net_ns_per_op));
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::summary::{Figures, Floor, Key};

    fn row(p50: u64, max: u64, samples: u64, batch: f64) -> Row {
        let f = Figures {
            samples,
            min: p50 / 2,
            mean: p50 as f64,
            p50,
            p99: 2 * p50,
            p999: 3 * p50,
            p9999: 4 * p50,
            max,
        };
        let mut r = Row::new(Key::example(), &f, Floor { p50: 10, jitter: 2 }, 1, 0);
        r.batch_net_ns_per_op = Some(batch);
        r.batch_ns_per_op = Some(batch + 1.0);
        r
    }

    #[test]
    fn figures_are_medians_max_the_largest_counts_summed_intervals_from_rounds() {
        let rounds = [
            row(30, 500, 10, 4.0),
            row(50, 900, 10, 9.0),
            row(31, 400, 10, 4.1),
            row(29, 450, 10, 3.9),
            row(32, 420, 10, 4.2),
        ];
        let refs: Vec<&Row> = rounds.iter().collect();
        let m = merge(&refs);
        assert_eq!(m.p50_ns, 31, "the median, not the mean (34.4)");
        assert_eq!(m.p999_ns, 93);
        assert_eq!(m.max_ns, 900, "the largest of any round");
        assert_eq!(m.min_ns, 14);
        assert_eq!(m.samples, 50);
        assert_eq!(m.saturated, 5);
        // Five rounds: the interval is their range (93.75 %).
        assert_eq!((m.p50_lo_ns, m.p50_hi_ns), (Some(29), Some(50)));
        assert_eq!(m.batch_net_ns_per_op, Some(4.1));
        assert_eq!(
            (m.batch_net_ns_per_op_lo, m.batch_net_ns_per_op_hi),
            (Some(3.9), Some(9.0))
        );
        assert_eq!(m.p50_net_ns, 21);
        // Four rounds give no interval.
        let m = merge(&refs[..4]);
        assert_eq!((m.p50_lo_ns, m.batch_net_ns_per_op_lo), (None, None));
        assert_eq!(m.p50_ns, 31, "the mean of the middle two, 30.5, rounded");
    }
}
