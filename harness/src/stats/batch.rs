//! The batched phase's estimate (`workloads::batched`): the cost per
//! operation is the median batch, less the median empty batch (the clock
//! reads), over the operations per batch. Its 95 % interval is the
//! order-statistic interval of the median (the batches' ranks
//! n/2 -+ 0.98 sqrt(n), which needs no assumption about their
//! distribution), widened by one clock step per batch on each side: every
//! reading is rounded to a step, and with few distinct readings the ranks
//! alone would give an interval of width 0. Net of the floor, it is that
//! minus the null allocator's estimate for the same case, the interval
//! widened by the null's own.

use workloads::Batched;

/// One series' batched cost, in ns per operation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BatchCost {
    pub ops_per_batch: u64,
    pub ns: f64,
    pub lo: f64,
    pub hi: f64,
}

impl BatchCost {
    /// The estimate of `b`, timed by a clock of `step_ns`; None without
    /// batches.
    pub fn of(b: &Batched, step_ns: f64) -> Option<BatchCost> {
        let n = b.batch_ns.len();
        if n == 0 || b.ops_per_batch == 0 || b.empty_ns.is_empty() {
            return None;
        }
        let mut sorted = b.batch_ns.clone();
        sorted.sort_unstable();
        let mut empty = b.empty_ns.clone();
        empty.sort_unstable();
        let reads = median(&empty);
        let k = b.ops_per_batch as f64;
        let half = 0.98 * (n as f64).sqrt();
        let lo = ((n as f64 / 2.0 - half).floor().max(1.0) as usize - 1).min(n - 1);
        let hi = ((n as f64 / 2.0 + half).ceil() as usize).min(n) - 1;
        Some(BatchCost {
            ops_per_batch: b.ops_per_batch,
            ns: (median(&sorted) - reads) / k,
            lo: (sorted[lo] as f64 - reads - step_ns) / k,
            hi: (sorted[hi] as f64 - reads + step_ns) / k,
        })
    }

    /// This cost net of the null allocator's (`floor`): the point minus the
    /// floor's point, the interval from this low minus the floor's high to
    /// this high minus the floor's low. Never below 0 at the point.
    pub fn net_of(&self, floor: &BatchCost) -> BatchCost {
        BatchCost {
            ops_per_batch: self.ops_per_batch,
            ns: (self.ns - floor.ns).max(0.0),
            lo: self.lo - floor.hi,
            hi: self.hi - floor.lo,
        }
    }
}

/// The median of sorted `v` (not empty).
fn median(v: &[u64]) -> f64 {
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2] as f64
    } else {
        (v[n / 2 - 1] + v[n / 2]) as f64 / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;
    use std::rc::Rc;
    use workloads::testing::{CostlyAlloc, SteppedClock};
    use workloads::{BatchOp, Case, Kind, NullAlloc, Observer, SizeSpec};

    /// Asks for batches of at least 1,000 clock steps.
    struct Batches(u64);

    impl Observer for Batches {
        fn batch_ns(&self) -> Option<u64> {
            Some(self.0)
        }
    }

    /// A case of `kind` on an allocator whose calls cost `cost` ticks each,
    /// timed by a clock of 10-tick steps whose reads jitter by up to 30
    /// ticks: the batched cost of each batched op, with what it is.
    fn measure_kind(kind: Kind, cost: u64) -> Vec<(BatchOp, BatchCost)> {
        let now = Rc::new(Cell::new(0));
        let mut clock = SteppedClock {
            now: now.clone(),
            step: 10,
            jitter: 30,
            rng: workloads::rng::Stream::new(cost),
        };
        let mut alloc = CostlyAlloc {
            now,
            cost,
            inner: NullAlloc::new(),
        };
        let case = Case {
            kind,
            size: SizeSpec::Fixed(64),
            ops: 1_000,
            blocks: 5_000,
            max_live: 100,
            seed: 1,
        };
        let out = workloads::run(&case, &mut alloc, &mut clock, &mut Batches(10 * 1000)).unwrap();
        out.batched
            .iter()
            .map(|b| (b.op, BatchCost::of(b, 10.0).unwrap()))
            .collect()
    }

    fn measure(cost: u64) -> BatchCost {
        let all = measure_kind(Kind::HotPath, cost);
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].0, BatchOp::Pair);
        all[0].1
    }

    #[test]
    fn a_cost_below_the_clock_step_is_recovered_within_its_interval() {
        // The null's calls cost 1 tick (the loop around them), the
        // allocator's 4: net, a pair costs 6, under the 10-tick step that
        // every per-op reading is rounded to.
        let (costly, null) = (measure(4), measure(1));
        assert!(costly.ops_per_batch * 8 >= 10_000, "{costly:?}");
        let net = costly.net_of(&null);
        assert!(net.lo <= 6.0 && 6.0 <= net.hi, "{net:?}");
        assert!(net.hi - net.lo < 0.1, "a tight interval: {net:?}");
        assert!((net.ns - 6.0).abs() < 0.05, "{net:?}");
        // Twice the cost is told apart: the intervals do not overlap.
        let twice = measure(7).net_of(&null);
        assert!(
            twice.lo > net.hi && (twice.ns - 12.0).abs() < 0.05,
            "{twice:?} against {net:?}"
        );
    }

    /// Bulk's, the ring's and requests' allocations and frees are batched
    /// apart, churn's steps together: each per-op cost (3 ticks above the
    /// null's 1) is recovered within its interval, under the clock's
    /// 10-tick step (a batch of requests reads the clock twice per request
    /// and op, and its empty batch as often).
    #[test]
    fn bulk_allocs_and_frees_and_churn_steps_are_each_recovered() {
        for (kind, ops) in [
            (
                Kind::Bulk { reverse: false },
                vec![BatchOp::Alloc, BatchOp::Free],
            ),
            (
                Kind::Bulk { reverse: true },
                vec![BatchOp::Alloc, BatchOp::Free],
            ),
            (Kind::Churn, vec![BatchOp::Mixed]),
            (Kind::Handoff, vec![BatchOp::Alloc, BatchOp::Free]),
            (
                Kind::Request { interval_ns: None },
                vec![BatchOp::Alloc, BatchOp::Free],
            ),
        ] {
            let (costly, null) = (measure_kind(kind, 4), measure_kind(kind, 1));
            assert_eq!(
                costly.iter().map(|c| c.0).collect::<Vec<_>>(),
                ops,
                "{kind:?}"
            );
            for ((op, c), (_, n)) in costly.iter().zip(&null) {
                let net = c.net_of(n);
                assert!(net.lo <= 3.0 && 3.0 <= net.hi, "{kind:?} {op:?}: {net:?}");
                assert!((net.ns - 3.0).abs() < 0.05, "{kind:?} {op:?}: {net:?}");
                assert!(c.ops_per_batch * 4 >= 10_000, "{kind:?} {op:?}: {c:?}");
            }
        }
    }

    #[test]
    fn the_median_and_its_order_statistic_interval() {
        let b = Batched {
            op: BatchOp::Pair,
            ops_per_batch: 10,
            batch_ns: (1..=1000).rev().map(|v| v + 7).collect(),
            empty_ns: vec![6, 7, 8],
        };
        let c = BatchCost::of(&b, 2.0).unwrap();
        assert_eq!(c.ns, 50.05);
        // Ranks 500 -+ 31: the 469th and the 531st smallest, one step (2)
        // wider each way.
        assert_eq!((c.lo, c.hi), (46.7, 53.3));
        assert!(BatchCost::of(
            &Batched {
                op: BatchOp::Pair,
                ops_per_batch: 1,
                batch_ns: vec![],
                empty_ns: vec![1],
            },
            1.0
        )
        .is_none());
    }
}
