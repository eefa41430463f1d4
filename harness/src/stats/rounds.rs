//! Figures over rounds. A run made of rounds gives each figure one value
//! per round, each from a fresh process; the machine's drift between
//! minutes moves those values far more than anything inside one process
//! does, so a figure's interval has to come from the rounds.
//!
//! The interval is the sign test's for a median: with the `n` values
//! sorted, `[x(k), x(n+1-k)]` (1-based) covers the true median with
//! probability `1 - 2 P(Bin(n, 1/2) < k)`, whatever the values'
//! distribution, provided the rounds are exchangeable (an order shuffled
//! or alternated per round is what makes them so). `k` is the largest
//! that keeps the coverage at 95 % or more; below 6 rounds no `k` does,
//! and the interval is the whole range with the coverage it has (5
//! rounds: 93.75 %). Fewer than [`LEAST_ROUNDS`] values give no interval.
//!
//! Two sides measured in the same rounds are paired: round r's ratio
//! B_r / A_r cancels the drift the round shares, and the change is the
//! median of those ratios with the same interval.

use super::change::{verdict, Change, Verdict};

/// Fewest values for an interval: 5, whose range covers the median with
/// probability 93.75 % (4 would give 87.5 %).
pub const LEAST_ROUNDS: usize = 5;

/// The coverage the interval aims at.
const AIM: f64 = 0.95;

/// A median over rounds with its distribution-free interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Median {
    pub median: f64,
    pub lo: f64,
    pub hi: f64,
    /// The probability that `[lo, hi]` covers the true median.
    pub coverage: f64,
    pub rounds: usize,
}

/// The median of `values` (the mean of the middle two for an even count).
pub fn median(values: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = values.to_vec();
    v.sort_unstable_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
    }
}

/// The order statistic `k` (1-based, from each end) whose interval covers
/// the median of `n` values with at least [`AIM`], or 1 (the range) when
/// none does; with the coverage it gives.
pub fn order_statistic(n: usize) -> (usize, f64) {
    let mut pmf = 0.5f64.powi(n as i32); // P(X = k - 1)
    let mut below = pmf; // P(X < k)
    let mut k = 1;
    // k + 1 must leave the interval's ends in order: k + 1 <= n - k.
    while 2 * (k + 1) <= n {
        pmf *= (n - k + 1) as f64 / k as f64; // now P(X = k)
        if 1.0 - 2.0 * (below + pmf) < AIM {
            break;
        }
        below += pmf;
        k += 1;
    }
    (k, 1.0 - 2.0 * below)
}

/// The median of `values` and its interval; None for fewer than
/// [`LEAST_ROUNDS`] values or any that is not finite.
pub fn median_interval(values: &[f64]) -> Option<Median> {
    if values.len() < LEAST_ROUNDS || values.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_unstable_by(f64::total_cmp);
    let n = v.len();
    let (k, coverage) = order_statistic(n);
    Some(Median {
        median: median(&v)?,
        lo: v[k - 1],
        hi: v[n - k],
        coverage,
        rounds: n,
    })
}

/// B against A measured in the same rounds (`a[r]` and `b[r]` from round
/// r): the median of the rounds' ratios B / A - 1, its interval, and the
/// verdict against `noise` (a fraction). No interval (too few rounds, or a
/// round where A is not above 0) gives [`Verdict::Unknown`].
pub fn paired(a: &[f64], b: &[f64], noise: f64) -> Change {
    assert_eq!(a.len(), b.len(), "paired figures come from the same rounds");
    let ratios: Vec<f64> = a.iter().zip(b).map(|(&x, &y)| y / x - 1.0).collect();
    let relative = match (median(b), median(a)) {
        (Some(y), Some(x)) if x > 0.0 => y / x - 1.0,
        _ => f64::NAN,
    };
    let usable = a.iter().all(|&x| x > 0.0);
    match median_interval(&ratios).filter(|_| usable) {
        Some(m) => Change {
            relative: m.median,
            interval: Some((m.lo, m.hi)),
            verdict: verdict(m.lo, m.hi, noise),
        },
        None => Change {
            relative,
            interval: None,
            verdict: Verdict::Unknown,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use workloads::rng::Stream;

    /// The exact coverage of `[x(k), x(n+1-k)]`, summed from the binomial.
    fn exact_coverage(n: usize, k: usize) -> f64 {
        let choose = |n: usize, i: usize| -> f64 {
            (0..i).fold(1.0, |c, j| c * (n - j) as f64 / (j + 1) as f64)
        };
        let below: f64 = (0..k).map(|i| choose(n, i)).sum::<f64>() / 2f64.powi(n as i32);
        1.0 - 2.0 * below
    }

    #[test]
    fn the_order_statistic_is_the_largest_that_keeps_95_percent() {
        assert_eq!(order_statistic(5), (1, 0.9375));
        // n = 6: k = 1 gives 1 - 2/64; k = 2 would give 1 - 14/64.
        assert_eq!(order_statistic(6).0, 1);
        // n = 10: P(X <= 1) = 11/1024, P(X <= 2) = 56/1024.
        assert_eq!(order_statistic(10).0, 2);
        for n in 5..=100 {
            let (k, c) = order_statistic(n);
            assert!((c - exact_coverage(n, k)).abs() < 1e-9, "n = {n}");
            assert!(n < 6 || c >= AIM, "n = {n}: coverage {c}");
            assert!(
                exact_coverage(n, k + 1) < AIM,
                "n = {n}: k = {k} is not the largest"
            );
        }
    }

    #[test]
    fn too_few_rounds_or_a_non_finite_value_give_no_interval() {
        assert_eq!(median_interval(&[1.0, 2.0, 3.0, 4.0]), None);
        assert_eq!(median_interval(&[1.0, 2.0, f64::NAN, 4.0, 5.0]), None);
        let m = median_interval(&[5.0, 1.0, 4.0, 2.0, 3.0]).unwrap();
        assert_eq!((m.median, m.lo, m.hi, m.rounds), (3.0, 1.0, 5.0, 5));
    }

    /// Exp(1) draws shifted by `shift`, scaled by `scale`: the median is
    /// `scale * (shift + ln 2)`.
    fn draws(rng: &mut Stream, n: usize, shift: f64, scale: f64) -> Vec<f64> {
        (0..n)
            .map(|_| {
                let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
                scale * (shift - (1.0 - u).ln())
            })
            .collect()
    }

    #[test]
    fn the_interval_covers_a_skewed_distributions_median_as_often_as_it_says() {
        let mut rng = Stream::new(7);
        let truth = 2f64.ln();
        for n in [5, 10, 20] {
            let trials = 4000;
            let covered = (0..trials)
                .filter(|_| {
                    let m = median_interval(&draws(&mut rng, n, 0.0, 1.0)).unwrap();
                    m.lo <= truth && truth <= m.hi
                })
                .count() as f64
                / trials as f64;
            let said = order_statistic(n).1;
            // 4000 trials: a standard error under 0.4 %.
            assert!(
                (covered - said).abs() < 0.02,
                "n = {n}: covered {covered}, said {said}"
            );
        }
    }

    fn uniform(rng: &mut Stream) -> f64 {
        (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// `trials` A/B pairs of `n` rounds. Each round's two figures share a
    /// drift factor (1 to 1.6), each process adds its own (1 to 1.02),
    /// and B's is scaled by `slower`; the verdicts.
    fn verdicts(trials: usize, n: usize, slower: f64) -> Vec<Verdict> {
        let mut rng = Stream::new(11);
        (0..trials)
            .map(|_| {
                let (mut a, mut b) = (Vec::new(), Vec::new());
                for _ in 0..n {
                    let shared = 1.0 + 0.6 * uniform(&mut rng);
                    let mut side = |scale: f64| {
                        let own = 1.0 + 0.02 * uniform(&mut rng);
                        20.0 * shared * own * scale
                    };
                    a.push(side(1.0));
                    b.push(side(slower));
                }
                paired(&a, &b, 0.02).verdict
            })
            .collect()
    }

    fn share(v: &[Verdict], of: Verdict) -> f64 {
        v.iter().filter(|&&x| x == of).count() as f64 / v.len() as f64
    }

    #[test]
    fn pairing_cancels_shared_drift_same_sides_are_within_noise() {
        let v = verdicts(1000, 10, 1.0);
        let s = share(&v, Verdict::WithinNoise);
        assert!(s >= 0.95, "within noise in {s:.3} of 1000 A/A pairs");
    }

    #[test]
    fn pairing_finds_a_ten_percent_slowdown_under_a_sixty_percent_drift() {
        let v = verdicts(1000, 10, 1.1);
        let s = share(&v, Verdict::Slower);
        assert!(s >= 0.95, "slower in {s:.3} of 1000 pairs");
        let v = verdicts(1000, 10, 1.0 / 1.1);
        assert!(share(&v, Verdict::Faster) >= 0.95);
    }

    #[test]
    fn a_side_at_zero_has_no_interval() {
        let c = paired(&[0.0; 6], &[1.0; 6], 0.02);
        assert_eq!(c.verdict, Verdict::Unknown);
        let c = paired(&[2.0; 6], &[3.0; 6], 0.02);
        assert_eq!(c.verdict, Verdict::Slower);
        assert!((c.relative - 0.5).abs() < 1e-12);
    }
}
