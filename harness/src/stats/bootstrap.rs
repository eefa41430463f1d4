//! A 95 % interval for each percentile of a series, by a block bootstrap
//! over its interval histograms: draw as many intervals as there are, with
//! replacement, add them up, take the percentile; repeat [`REPLICATES`]
//! times; the interval runs from the 2.5th to the 97.5th percentile of
//! those replicates. Whole intervals are drawn, never single samples:
//! stalls come in bursts (a page-fault storm, a noisy neighbour), and a
//! resample of single samples would treat a burst as independent draws and
//! give an interval far too narrow.
//!
//! The seed is fixed, so the same files give the same interval.

use super::Intervals;
use workloads::rng::Stream;

/// The percentiles summary.csv gives an interval for: P50, P99, P99.9, P99.99.
pub const PERCENTILES: [f64; 4] = [0.5, 0.99, 0.999, 0.9999];

/// Replicates per bootstrap: the 2.5 % and 97.5 % points of 1,000 are the
/// 25th and the 975th, stable to a few tenths of a percent.
pub const REPLICATES: usize = 1000;

/// Fewer intervals than this give no interval: a resample of a handful of
/// blocks cannot show how much a percentile moves.
pub const MIN_INTERVALS: usize = 10;

/// The seed of a series' own bootstrap.
pub const SEED: u64 = 0x0b00_75ea_d5ee_d001;

/// A 95 % interval, in ns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ci {
    pub lo: u64,
    pub hi: u64,
}

/// The replicates of each percentile of one series.
#[derive(Clone, Debug)]
pub struct Bootstrap {
    /// `replicates[q]`: the percentile `quantiles[q]` of every replicate, in
    /// the order drawn (so two series' replicates can be paired).
    replicates: Vec<Vec<u64>>,
}

impl Bootstrap {
    /// Resamples `intervals` `replicates` times; None with fewer than
    /// [`MIN_INTERVALS`] intervals. `quantiles` ascending.
    pub fn run(
        intervals: &Intervals,
        quantiles: &[f64],
        replicates: usize,
        seed: u64,
    ) -> Option<Bootstrap> {
        let k = intervals.len();
        if k < MIN_INTERVALS {
            return None;
        }
        let mut rng = Stream::new(seed);
        let mut weights = vec![0u32; k];
        let mut dense = Vec::new();
        let mut one = vec![0u64; quantiles.len()];
        let mut out = vec![Vec::with_capacity(replicates); quantiles.len()];
        for _ in 0..replicates {
            weights.fill(0);
            for _ in 0..k {
                weights[rng.below(k)] += 1;
            }
            intervals.quantiles_weighted(&weights, quantiles, &mut dense, &mut one);
            for (o, &v) in out.iter_mut().zip(&one) {
                o.push(v);
            }
        }
        Some(Bootstrap { replicates: out })
    }

    /// The [`PERCENTILES`] of `intervals` with the fixed [`SEED`].
    pub fn percentiles(intervals: &Intervals) -> Option<Bootstrap> {
        Bootstrap::run(intervals, &PERCENTILES, REPLICATES, SEED)
    }

    /// The 95 % interval of percentile `q` (an index into the quantiles).
    pub fn ci(&self, q: usize) -> Ci {
        let mut r = self.replicates[q].clone();
        r.sort_unstable();
        let (lo, hi) = central_95(r.len());
        Ci {
            lo: r[lo],
            hi: r[hi],
        }
    }

    /// Every replicate of percentile `q`, in the order drawn.
    pub fn replicates(&self, q: usize) -> &[u64] {
        &self.replicates[q]
    }
}

/// The indices of the 2.5 % and 97.5 % points of `n` sorted replicates.
pub fn central_95(n: usize) -> (usize, usize) {
    let lo = ((n as f64) * 0.025).floor() as usize;
    let hi = (((n as f64) * 0.975).ceil() as usize).saturating_sub(1);
    (lo.min(n - 1), hi.min(n - 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hdrhistogram::Histogram;

    /// 20 intervals of `per` samples from an exponential of mean `scale`
    /// ns above 20 ns.
    fn run_of(rng: &mut Stream, per: usize, scale: f64) -> Vec<Histogram<u64>> {
        (0..20)
            .map(|_| {
                let mut h = Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3).unwrap();
                for _ in 0..per {
                    let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
                    h.record((20.0 - scale * (1.0 - u).ln()).round() as u64)
                        .unwrap();
                }
                h
            })
            .collect()
    }

    #[test]
    fn the_interval_covers_the_true_percentile_about_95_percent_of_the_time() {
        // The true P50 and P99 of 20 + Exp(mean 500): 20 + 500 ln 2 and
        // 20 + 500 ln 100. 200 simulated runs of 20 x 2,000 samples.
        let truth = [20.0 + 500.0 * 2f64.ln(), 20.0 + 500.0 * 100f64.ln()];
        let mut rng = Stream::new(11);
        let mut covered = [0; 2];
        let runs = 200;
        for r in 0..runs {
            let hs = run_of(&mut rng, 2_000, 500.0);
            let b = Bootstrap::run(&Intervals::of(&hs), &[0.5, 0.99], 400, r).unwrap();
            for (q, t) in truth.iter().enumerate() {
                let ci = b.ci(q);
                // Values are stored within 0.1 %: allow that much.
                if ci.lo as f64 <= t * 1.001 && ci.hi as f64 >= t * 0.999 {
                    covered[q] += 1;
                }
            }
        }
        for (q, c) in covered.iter().enumerate() {
            let rate = *c as f64 / runs as f64;
            assert!(
                (0.88..=0.995).contains(&rate),
                "percentile {q}: covered in {rate:.3} of runs, expected about 0.95"
            );
        }
    }

    #[test]
    fn too_few_intervals_give_no_interval_and_one_seed_gives_one_answer() {
        let mut rng = Stream::new(3);
        let hs = run_of(&mut rng, 100, 50.0);
        assert!(Bootstrap::run(&Intervals::of(&hs[..MIN_INTERVALS - 1]), &[0.5], 10, 1).is_none());
        let iv = Intervals::of(&hs);
        let (a, b) = (
            Bootstrap::percentiles(&iv).unwrap(),
            Bootstrap::percentiles(&iv).unwrap(),
        );
        for q in 0..PERCENTILES.len() {
            assert_eq!(a.ci(q), b.ci(q));
            assert!(a.ci(q).lo <= a.ci(q).hi);
        }
        assert_eq!(central_95(1000), (25, 974));
        assert_eq!(central_95(1), (0, 0));
    }
}
