//! PMAD, configured per case from the case's own [`Demand`]: one class per
//! size range (its largest size), each holding the most blocks the case can
//! have live at once (with 25 % headroom plus 64 blocks when the split between
//! classes is random), prefaulted as a real-time user deploys it, and locked
//! when `--mlock` asks. A pool that runs out mid-run stops the run.

use super::{PmadReport, Setup};
use pmad::{Options, Pmad};
use std::ptr::NonNull;
use workloads::{Allocator, Case, Clock, Demand, Observer};

/// Integer percentages (each >= 1, summing to 100) close to each class's
/// share of `bytes`: largest remainder first.
fn percentages(bytes: &[usize]) -> Vec<usize> {
    let total: usize = bytes.iter().sum();
    let exact: Vec<f64> = bytes
        .iter()
        .map(|&b| b as f64 * 100.0 / total as f64)
        .collect();
    let mut pct: Vec<usize> = exact.iter().map(|&e| (e.floor() as usize).max(1)).collect();
    while pct.iter().sum::<usize>() < 100 {
        let i = (0..pct.len())
            .max_by(|&a, &b| (exact[a] - pct[a] as f64).total_cmp(&(exact[b] - pct[b] as f64)))
            .expect("at least one class");
        pct[i] += 1;
    }
    while pct.iter().sum::<usize>() > 100 {
        let i = (0..pct.len())
            .max_by_key(|&i| pct[i])
            .expect("at least one class");
        pct[i] -= 1;
    }
    pct
}

/// Builds the pool for `demand`; checks every class holds what it needs.
pub fn build(demand: &Demand, setup: Setup) -> Result<(Pmad, PmadReport), String> {
    let classes: Vec<usize> = demand.ranges.iter().map(|r| r.max).collect();
    let needed = demand.blocks_per_range();
    let bytes: Vec<usize> = classes
        .iter()
        .zip(&needed)
        .map(|(&class, &n)| pmad::bytes_for(class, n))
        .collect();
    let percentages = percentages(&bytes);
    let pool_bytes = bytes
        .iter()
        .zip(&percentages)
        .map(|(&b, &p)| (b * 100).div_ceil(p))
        .max()
        .expect("at least one class");
    let options = Options::default().prefault(true).lock(setup.mlock);
    let pool = Pmad::with_options(&classes, &percentages, pool_bytes, options)
        .map_err(|e| format!("pmad: cannot build the pool for this case: {e}"))?;
    let capacity: Vec<usize> = pool.stats().iter().map(|s| s.capacity).collect();
    if let Some(i) = (0..classes.len()).find(|&i| capacity[i] < needed[i]) {
        return Err(format!(
            "pmad: class {} holds {} blocks, the case needs {} (pool sizing bug)",
            classes[i], capacity[i], needed[i]
        ));
    }
    let report = PmadReport {
        classes,
        percentages,
        pool_bytes,
        prefault: options.prefault,
        lock: options.lock,
        needed,
        capacity,
        high_water: Vec::new(),
        failed: Vec::new(),
    };
    Ok((pool, report))
}

/// PMAD as a workload allocator: `free_sized`, since every other allocator
/// is also told the size (Rust's `dealloc` passes the layout).
struct PmadAlloc<'a>(&'a Pmad);

impl Allocator for PmadAlloc<'_> {
    #[inline(always)]
    fn alloc(&mut self, size: usize) -> *mut u8 {
        self.0
            .alloc(size)
            .map_or(std::ptr::null_mut(), NonNull::as_ptr)
    }

    #[inline(always)]
    unsafe fn free(&mut self, ptr: *mut u8, size: usize) {
        // SAFETY: the caller passes a non-null pointer from `alloc(size)` of
        // this pool, not yet freed: the contract of `free_sized`.
        unsafe { self.0.free_sized(NonNull::new_unchecked(ptr), size) }
    }

    fn usable_size(&self, _ptr: *mut u8, size: usize) -> Option<usize> {
        self.0.block_size_for(size)
    }
}

/// Why PMAD cannot serve `trace`: a block beyond its largest class, or an
/// alignment beyond the 16 bytes every block has.
pub fn cannot_serve(trace: &workloads::replay::Trace) -> Option<String> {
    if trace.largest > pmad::MAX_CLASS_BYTES {
        return Some(format!(
            "the trace asks for blocks up to {} bytes; PMAD's largest class is {} bytes (pmad::MAX_CLASS_BYTES), and a fixed pool has nowhere else to put them",
            trace.largest,
            pmad::MAX_CLASS_BYTES
        ));
    }
    if trace.max_align as usize > pmad::ALIGN {
        return Some(format!(
            "the trace asks for {}-byte alignment; PMAD's blocks are {}-byte aligned (pmad::ALIGN) and it has no aligned path",
            trace.max_align,
            pmad::ALIGN
        ));
    }
    None
}

pub fn run<C: Clock, O: Observer>(
    case: &Case,
    clock: &mut C,
    observer: &mut O,
    setup: Setup,
) -> Result<super::Measured, String> {
    let (pool, mut report) = build(&case.demand(), setup)?;
    let outcome = workloads::run(case, &mut PmadAlloc(&pool), clock, observer);
    let stats = pool.stats();
    report.high_water = stats.iter().map(|s| s.high_water).collect();
    report.failed = stats.iter().map(|s| s.failed).collect();
    let outcome = outcome.map_err(|e| format!("pmad: {e} ({})", report.describe()))?;
    Ok(super::Measured {
        outcome,
        pmad: Some(report),
        tlsf: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use workloads::{Kind, SizeSpec};

    #[test]
    fn percentages_sum_to_100_and_never_zero() {
        for bytes in [
            vec![1, 1_000_000],
            vec![5, 5, 5],
            vec![48, 96, 4112 * 1000],
            vec![7],
        ] {
            let p = percentages(&bytes);
            assert_eq!(p.iter().sum::<usize>(), 100, "{bytes:?} -> {p:?}");
            assert!(p.iter().all(|&x| x >= 1), "{bytes:?} -> {p:?}");
        }
    }

    #[test]
    fn every_case_gets_a_pool_that_holds_what_it_needs() {
        let cases = [
            (Kind::HotPath, SizeSpec::Fixed(16), 1, 1),
            (
                Kind::Bulk { reverse: true },
                SizeSpec::Fixed(4096),
                10_000,
                1,
            ),
            (Kind::Churn, SizeSpec::Fixed(1024), 1, 100_000),
            (Kind::Churn, SizeSpec::Mixed, 1, 100_000),
        ];
        for (kind, size, blocks, max_live) in cases {
            let case = Case {
                kind,
                size,
                ops: 1,
                blocks,
                max_live,
                seed: 1,
            };
            let (pool, report) = build(&case.demand(), Setup::default()).unwrap();
            assert!(
                report
                    .capacity
                    .iter()
                    .zip(&report.needed)
                    .all(|(c, n)| c >= n),
                "{report:?}"
            );
            assert_eq!(pool.stats().len(), report.classes.len());
        }
    }

    #[test]
    fn a_pmad_churn_at_the_default_live_set_completes() {
        let case = Case {
            kind: Kind::Churn,
            size: SizeSpec::Mixed,
            ops: 300_000,
            blocks: 1,
            max_live: 100_000,
            seed: 9,
        };
        let (mut timer, _) = crate::clock::calibrate();
        let m = run(&case, &mut timer, &mut (), Setup::default()).unwrap();
        let report = m.pmad.unwrap();
        assert!(report.failed.iter().all(|&f| f == 0));
        assert!(report
            .high_water
            .iter()
            .zip(&report.capacity)
            .all(|(h, c)| h <= c));
        assert_eq!(m.outcome.alloc.len() + m.outcome.free.len(), 300_000);
    }
}
