//! From one case's tallies to counts.csv rows: exact order statistics of
//! the instructions, means of the other counters, net of the null row.

use super::clock::Tally;
use crate::names::Name;
use crate::names::WorkloadName;
use crate::results::counts::CountRow;
use workloads::Op;

/// What every row of one count shares.
pub struct Context {
    pub valgrind: String,
    pub caches: String,
    pub git_commit: String,
}

/// The series a tally belongs to.
pub struct Series<'a> {
    pub allocator: Name,
    pub workload: WorkloadName,
    pub op: Op,
    pub size: usize,
    /// counts.csv's `note`.
    pub note: &'a str,
}

/// Nearest-rank percentile `q` (0 < q <= 1) of sorted values.
fn nearest_rank(sorted: &[u64], q: f64) -> u64 {
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The row of `tally`, net of `null` (the same case and op on the null
/// allocator, counted by this binary); None for a tally with no call.
pub fn row(s: &Series<'_>, tally: &Tally, null: &Tally, ctx: &Context) -> Option<CountRow> {
    let calls = tally.instructions.len() as u64;
    if calls == 0 {
        return None;
    }
    let mut sorted = tally.instructions.clone();
    sorted.sort_unstable();
    let per_call = |total: u64| total as f64 / calls as f64;
    let null_calls = null.instructions.len().max(1) as f64;
    let null_ir_mean = null.sum.instructions() as f64 / null_calls;
    let null_cycles_mean = null.sum.estimated_cycles() as f64 / null_calls;
    let null_max = null.instructions.iter().copied().max().unwrap_or(0);
    let null_p50 = {
        let mut n = null.instructions.clone();
        n.sort_unstable();
        if n.is_empty() {
            0
        } else {
            nearest_rank(&n, 0.5)
        }
    };
    let (ir_p50, ir_max) = (nearest_rank(&sorted, 0.5), sorted[sorted.len() - 1]);
    let ir_mean = per_call(tally.sum.instructions());
    let est_cycles_mean = per_call(tally.sum.estimated_cycles());
    Some(CountRow {
        allocator: s.allocator,
        workload: s.workload,
        op: s.op,
        size: s.size,
        threads: 1,
        calls,
        ir_min: sorted[0],
        ir_p50,
        ir_p99: nearest_rank(&sorted, 0.99),
        ir_max,
        ir_mean,
        ir_p50_net: ir_p50.saturating_sub(null_p50),
        ir_max_net: ir_max.saturating_sub(null_max),
        ir_mean_net: (ir_mean - null_ir_mean).max(0.0),
        data_refs_mean: per_call(tally.sum.data_refs()),
        l1_misses_mean: per_call(tally.sum.l1_misses()),
        ll_misses_mean: per_call(tally.sum.ll_misses()),
        est_cycles_mean,
        est_cycles_mean_net: (est_cycles_mean - null_cycles_mean).max(0.0),
        null_ir_mean,
        null_est_cycles_mean: null_cycles_mean,
        valgrind: ctx.valgrind.clone(),
        caches: ctx.caches.clone(),
        git_commit: ctx.git_commit.clone(),
        note: s.note.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::count::callgrind::Events;

    fn tally(instructions: &[u64]) -> Tally {
        let mut sum = Events::default();
        for &i in instructions {
            // Each call: its instructions, 2 data refs, one L1 miss that hits LL.
            sum.add(&Events([i, 1, 1, 0, 1, 0, 0, 0, 0]));
        }
        Tally {
            instructions: instructions.to_vec(),
            sum,
        }
    }

    #[test]
    fn order_statistics_are_exact_and_net_of_the_null_row() {
        let ctx = Context {
            valgrind: "valgrind-3.19.0".into(),
            caches: "c".into(),
            git_commit: "g".into(),
        };
        let s = Series {
            allocator: Name::Pmad,
            workload: WorkloadName::HotPath,
            op: Op::Alloc,
            size: 64,
            note: "",
        };
        // 100 calls: 98 of 20 instructions, one of 30, one of 500.
        let mut calls = vec![20; 98];
        calls.extend([30, 500]);
        let r = row(&s, &tally(&calls), &tally(&[9; 100]), &ctx).unwrap();
        assert_eq!((r.calls, r.ir_min, r.ir_p50, r.ir_max), (100, 20, 20, 500));
        assert_eq!(r.ir_p99, 30, "the 99th of 100 sorted calls");
        assert_eq!(r.ir_mean, (98.0 * 20.0 + 30.0 + 500.0) / 100.0);
        assert_eq!((r.ir_p50_net, r.ir_max_net), (11, 491));
        assert_eq!(r.null_ir_mean, 9.0);
        assert_eq!(r.ir_mean_net, r.ir_mean - 9.0);
        assert_eq!(
            (r.data_refs_mean, r.l1_misses_mean, r.ll_misses_mean),
            (2.0, 1.0, 0.0)
        );
        // Per call: (Ir + 2 - 1) L1 hits + 5 x 1 LL hit.
        assert_eq!(r.est_cycles_mean, r.ir_mean + 1.0 + 5.0);
        assert_eq!(r.est_cycles_mean_net, r.ir_mean - 9.0);
        assert!(row(&s, &tally(&[]), &tally(&[9]), &ctx).is_none());
    }
}
