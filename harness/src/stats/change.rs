//! Whether a percentile changed between two series, by criterion's rule:
//! the relative change B / A - 1 gets a 95 % interval from the two series'
//! bootstraps (replicate i of B over replicate i of A; the two are drawn
//! independently), and the change is real only when that whole interval
//! lies beyond a noise threshold: above +noise is slower (a latency grew),
//! below -noise is faster, anything else is within noise.

use super::bootstrap::{central_95, Bootstrap};

/// The default noise threshold: 2 %, criterion's (`--noise`'s default).
#[cfg(test)]
const DEFAULT_NOISE: f64 = 0.02;

/// What a change says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Faster,
    Slower,
    WithinNoise,
    /// No interval: too few intervals on either side.
    Unknown,
    /// The interval lies beyond the threshold, but the two series' ranges
    /// across repeated runs overlap: not a change a rerun would keep.
    WithinRepeats,
}

impl Verdict {
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Faster => "faster",
            Verdict::Slower => "slower",
            Verdict::WithinNoise => "within noise",
            Verdict::Unknown => "no interval",
            Verdict::WithinRepeats => "within repeat spread",
        }
    }
}

/// B against A for one percentile.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Change {
    /// B / A - 1 of the figures themselves.
    pub relative: f64,
    /// Its 95 % interval, when both sides have one.
    pub interval: Option<(f64, f64)>,
    pub verdict: Verdict,
}

impl Change {
    /// Percentile `q` (an index into the bootstraps' quantiles) of B
    /// against A, figures `a` and `b`.
    pub fn of(
        a: u64,
        b: u64,
        boot: Option<(&Bootstrap, &Bootstrap)>,
        q: usize,
        noise: f64,
    ) -> Change {
        let relative = ratio(b, a) - 1.0;
        let Some((ba, bb)) = boot else {
            return Change {
                relative,
                interval: None,
                verdict: Verdict::Unknown,
            };
        };
        let mut r: Vec<f64> = ba
            .replicates(q)
            .iter()
            .zip(bb.replicates(q))
            .map(|(&x, &y)| ratio(y, x) - 1.0)
            .collect();
        r.sort_unstable_by(f64::total_cmp);
        let (lo, hi) = central_95(r.len());
        let (lo, hi) = (r[lo], r[hi]);
        Change {
            relative,
            interval: Some((lo, hi)),
            verdict: verdict(lo, hi, noise),
        }
    }
}

impl Change {
    /// Keeps a faster or slower verdict only where the ranges of the two
    /// series across repeated runs, (min, max) each, are apart in the same
    /// direction; no ranges, no change.
    pub fn across_repeats(mut self, a: Option<(f64, f64)>, b: Option<(f64, f64)>) -> Change {
        if let (Some(a), Some(b)) = (a, b) {
            let kept = match self.verdict {
                Verdict::Slower => b.0 > a.1,
                Verdict::Faster => b.1 < a.0,
                _ => true,
            };
            if !kept {
                self.verdict = Verdict::WithinRepeats;
            }
        }
        self
    }

    /// B against A for two estimates that carry their own 95 % intervals
    /// (point, low, high; the batched costs, all above 0): the change's
    /// interval runs from B's low over A's high to B's high over A's low,
    /// wider than either (so a verdict from it is conservative).
    pub fn of_intervals(a: (f64, f64, f64), b: (f64, f64, f64), noise: f64) -> Change {
        let (lo, hi) = (b.1 / a.2 - 1.0, b.2 / a.1 - 1.0);
        Change {
            relative: b.0 / a.0 - 1.0,
            interval: Some((lo, hi)),
            verdict: verdict(lo, hi, noise),
        }
    }
}

/// criterion's rule: beyond the threshold with the whole interval.
pub(crate) fn verdict(lo: f64, hi: f64, noise: f64) -> Verdict {
    if lo > noise {
        Verdict::Slower
    } else if hi < -noise {
        Verdict::Faster
    } else {
        Verdict::WithinNoise
    }
}

/// y / x, with 0 / 0 = 1 and y / 0 = y + 1 (a figure of 0 is an empty series).
fn ratio(y: u64, x: u64) -> f64 {
    if x == 0 {
        return if y == 0 { 1.0 } else { (y + 1) as f64 };
    }
    y as f64 / x as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::bootstrap::{PERCENTILES, SEED};
    use crate::stats::Intervals;
    use hdrhistogram::Histogram;
    use workloads::rng::Stream;

    /// One run: 20 intervals of `n / 20` samples of 20 + Exp(mean 100) ns,
    /// with every sample above the true P99 stretched by `tail` (so the
    /// P99.9 moves by exactly that factor).
    fn run(rng: &mut Stream, n: usize, tail: f64) -> Intervals {
        let p99 = 20.0 + 100.0 * 100f64.ln();
        let hs: Vec<Histogram<u64>> = (0..20)
            .map(|_| {
                let mut h = Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3).unwrap();
                for _ in 0..n / 20 {
                    let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
                    let mut v = 20.0 - 100.0 * (1.0 - u).ln();
                    if v > p99 {
                        v *= tail;
                    }
                    h.record(v.round() as u64).unwrap();
                }
                h
            })
            .collect();
        Intervals::of(&hs)
    }

    /// Verdicts on P99.9 over `pairs` pairs of runs of `n` samples, B's
    /// tail stretched by `tail`.
    fn verdicts(pairs: u64, n: usize, tail: f64) -> Vec<Verdict> {
        let mut rng = Stream::new(2024);
        (0..pairs)
            .map(|i| {
                let (a, b) = (run(&mut rng, n, 1.0), run(&mut rng, n, tail));
                let ba = Bootstrap::run(&a, &PERCENTILES, 400, SEED ^ i).unwrap();
                let bb = Bootstrap::run(&b, &PERCENTILES, 400, !SEED ^ i).unwrap();
                let (pa, pb) = (a.quantiles(&[0.999])[0], b.quantiles(&[0.999])[0]);
                Change::of(pa, pb, Some((&ba, &bb)), 2, DEFAULT_NOISE).verdict
            })
            .collect()
    }

    fn share(v: &[Verdict], of: Verdict) -> f64 {
        v.iter().filter(|&&x| x == of).count() as f64 / v.len() as f64
    }

    #[test]
    fn the_same_distribution_is_within_noise_in_at_least_95_percent_of_pairs() {
        let v = verdicts(200, 1_000_000, 1.0);
        let s = share(&v, Verdict::WithinNoise);
        assert!(s >= 0.95, "within noise in {s:.3} of 200 pairs");
    }

    #[test]
    fn a_tail_10_percent_higher_is_slower_in_at_least_95_percent_of_pairs() {
        let v = verdicts(200, 1_000_000, 1.1);
        let s = share(&v, Verdict::Slower);
        assert!(s >= 0.95, "slower in {s:.3} of 200 pairs");
    }

    #[test]
    fn estimates_with_intervals_compare_conservatively() {
        let a = (10.0, 9.9, 10.1);
        let c = Change::of_intervals(a, (12.0, 11.9, 12.1), DEFAULT_NOISE);
        assert_eq!(c.verdict, Verdict::Slower);
        let (lo, hi) = c.interval.unwrap();
        assert!(
            (lo - (11.9 / 10.1 - 1.0)).abs() < 1e-12 && (hi - (12.1 / 9.9 - 1.0)).abs() < 1e-12
        );
        assert_eq!(
            Change::of_intervals(a, (10.1, 10.0, 10.2), DEFAULT_NOISE).verdict,
            Verdict::WithinNoise
        );
        assert_eq!(
            Change::of_intervals(a, (5.0, 4.9, 5.1), DEFAULT_NOISE).verdict,
            Verdict::Faster
        );
    }

    #[test]
    fn a_change_the_repeats_do_not_keep_is_within_their_spread() {
        let slower = Change {
            relative: 0.1,
            interval: Some((0.05, 0.15)),
            verdict: Verdict::Slower,
        };
        assert_eq!(
            slower
                .across_repeats(Some((10.0, 12.0)), Some((13.0, 14.0)))
                .verdict,
            Verdict::Slower
        );
        assert_eq!(
            slower
                .across_repeats(Some((10.0, 12.0)), Some((12.0, 14.0)))
                .verdict,
            Verdict::WithinRepeats
        );
        assert_eq!(
            slower.across_repeats(None, Some((1.0, 2.0))).verdict,
            Verdict::Slower
        );
        let faster = Change {
            verdict: Verdict::Faster,
            ..slower
        };
        assert_eq!(
            faster
                .across_repeats(Some((10.0, 12.0)), Some((8.0, 9.0)))
                .verdict,
            Verdict::Faster
        );
        assert_eq!(
            faster
                .across_repeats(Some((10.0, 12.0)), Some((8.0, 10.0)))
                .verdict,
            Verdict::WithinRepeats
        );
    }

    #[test]
    fn no_interval_no_verdict_and_empty_series_do_not_divide_by_zero() {
        let c = Change::of(100, 110, None, 0, DEFAULT_NOISE);
        assert_eq!(c.verdict, Verdict::Unknown);
        assert!((c.relative - 0.1).abs() < 1e-12);
        assert_eq!(ratio(0, 0), 1.0);
        assert_eq!(ratio(5, 0), 6.0);
    }
}
