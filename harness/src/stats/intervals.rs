//! A case's interval histograms (its .hlog, [`workloads::windows`]) in the
//! compact form resampling needs: the distinct values recorded, ascending,
//! and each interval's (value, count) pairs. A percentile of any weighted
//! sum of intervals is then one pass over the values, and equals what
//! hdrhistogram's `value_at_quantile` gives for the same sum.

use hdrhistogram::Histogram;

/// Interval histograms of one series, compacted.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Intervals {
    /// Every distinct value recorded in any interval (each bucket's highest
    /// equivalent value, as hdrhistogram reports percentiles), ascending.
    values: Vec<u64>,
    /// Per interval: (index into `values`, count), by ascending index.
    counts: Vec<Vec<(u32, u64)>>,
}

impl Intervals {
    /// Compacts `histograms` (one per interval, in order); empty intervals are kept.
    pub fn of<'a>(histograms: impl IntoIterator<Item = &'a Histogram<u64>>) -> Intervals {
        let raw: Vec<Vec<(u64, u64)>> = histograms
            .into_iter()
            .map(|h| {
                h.iter_recorded()
                    .map(|v| {
                        (
                            h.highest_equivalent(v.value_iterated_to()),
                            v.count_at_value(),
                        )
                    })
                    .collect()
            })
            .collect();
        let mut values: Vec<u64> = raw.iter().flatten().map(|&(v, _)| v).collect();
        values.sort_unstable();
        values.dedup();
        let counts = raw
            .iter()
            .map(|pairs| {
                pairs
                    .iter()
                    .map(|&(v, c)| {
                        let i = values.binary_search(&v).expect("collected above");
                        (i as u32, c)
                    })
                    .collect()
            })
            .collect();
        Intervals { values, counts }
    }

    /// Intervals held.
    pub fn len(&self) -> usize {
        self.counts.len()
    }

    /// Whether it holds no interval.
    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// Samples in all intervals.
    #[cfg(test)]
    pub fn samples(&self) -> u64 {
        self.counts.iter().flatten().map(|&(_, c)| c).sum()
    }

    /// The percentiles `quantiles` (ascending, in 0..=1) of the sum of the
    /// intervals, interval `k` counted `weights[k]` times; `dense` is
    /// scratch space (resized here). 0 for each when the sum is empty.
    pub fn quantiles_weighted(
        &self,
        weights: &[u32],
        quantiles: &[f64],
        dense: &mut Vec<u64>,
        out: &mut [u64],
    ) {
        debug_assert_eq!(weights.len(), self.counts.len());
        debug_assert!(quantiles.windows(2).all(|p| p[0] <= p[1]));
        dense.clear();
        dense.resize(self.values.len(), 0);
        let mut total = 0u64;
        for (interval, &w) in self.counts.iter().zip(weights) {
            if w == 0 {
                continue;
            }
            for &(i, c) in interval {
                dense[i as usize] += u64::from(w) * c;
                total += u64::from(w) * c;
            }
        }
        if total == 0 {
            out.fill(0);
            return;
        }
        // hdrhistogram's rule: the first value whose cumulative count
        // reaches ceil(q * total), at least 1.
        let mut running = 0u64;
        let mut next = 0;
        for (i, &c) in dense.iter().enumerate() {
            running += c;
            while next < quantiles.len() && running >= target(quantiles[next], total) {
                out[next] = self.values[i];
                next += 1;
            }
            if next == quantiles.len() {
                return;
            }
        }
        for o in &mut out[next..] {
            *o = *self.values.last().expect("total > 0");
        }
    }

    /// The percentiles of all intervals together, each counted once.
    #[cfg(test)]
    pub fn quantiles(&self, quantiles: &[f64]) -> Vec<u64> {
        let mut out = vec![0; quantiles.len()];
        self.quantiles_weighted(&vec![1; self.len()], quantiles, &mut Vec::new(), &mut out);
        out
    }
}

/// The cumulative count a quantile needs, as hdrhistogram computes it.
fn target(q: f64, total: u64) -> u64 {
    ((q.min(1.0) * total as f64).ceil() as u64).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use workloads::rng::Stream;

    fn histogram(seed: u64, n: usize, scale: f64) -> Histogram<u64> {
        let mut h = Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3).unwrap();
        let mut rng = Stream::new(seed);
        for _ in 0..n {
            // Exponential with a heavy-ish tail, 10 ns and up.
            let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
            h.record((10.0 - scale * (1.0 - u).ln()) as u64).unwrap();
        }
        h
    }

    #[test]
    fn percentiles_of_the_sum_match_hdrhistogram_exactly() {
        let hs: Vec<_> = (0..20).map(|s| histogram(s, 5_000, 40.0)).collect();
        let iv = Intervals::of(&hs);
        let mut all = hs[0].clone();
        for h in &hs[1..] {
            all.add(h).unwrap();
        }
        let qs = [0.0, 0.1, 0.5, 0.9, 0.99, 0.999, 0.9999, 1.0];
        let got = iv.quantiles(&qs);
        for (q, g) in qs.iter().zip(&got) {
            let want = if *q == 0.0 {
                all.highest_equivalent(all.min())
            } else {
                all.value_at_quantile(*q)
            };
            assert_eq!(*g, want, "q = {q}");
        }
        assert_eq!(iv.samples(), all.len());
        assert_eq!(iv.len(), 20);
    }

    #[test]
    fn weights_count_an_interval_that_many_times() {
        let hs: Vec<_> = (0..3)
            .map(|s| histogram(s, 1_000, 10.0 * (s + 1) as f64))
            .collect();
        let iv = Intervals::of(&hs);
        let mut sum = hs[0].clone();
        sum.add(&hs[2]).unwrap();
        sum.add(&hs[2]).unwrap();
        let qs = [0.5, 0.99];
        let mut out = [0; 2];
        iv.quantiles_weighted(&[1, 0, 2], &qs, &mut Vec::new(), &mut out);
        assert_eq!(
            out,
            [sum.value_at_quantile(0.5), sum.value_at_quantile(0.99)]
        );
        iv.quantiles_weighted(&[0, 0, 0], &qs, &mut Vec::new(), &mut out);
        assert_eq!(out, [0, 0]);
    }
}
