//! PMAD, configured per case from the case's own [`Demand`]: one class per
//! size range (its largest size), each holding exactly the most blocks the
//! case can have live at once (with 25 % headroom plus 64 blocks when the
//! split between classes is random; a replayed trace's exact peak per
//! power-of-two class, walked before anything is timed, with no headroom,
//! since a replay makes the same calls every time), prefaulted as a
//! real-time user deploys it, and locked when `--mlock` asks. A pool that
//! runs out mid-run stops the run; one above [`POOL_CAP_BYTES`] is not
//! built, and the reason names its size.

use super::{PmadReport, Setup};
use pmad::{Options, Pmad};
use std::ptr::NonNull;
use workloads::{Allocator, Case, Clock, Demand, Observer};

/// The most bytes a pool may have backed when it is prefaulted: past it a
/// case is not applicable, and the reason names both numbers. A fixed pool
/// pays in memory for every block it may need at once, so a trace whose
/// peak per class is vast is honestly out of PMAD's reach on this machine.
pub const POOL_CAP_BYTES: usize = 8 << 30;

/// The bytes a pool holding `needed[i]` blocks of `classes[i]` backs: its
/// blocks and their metadata (page padding aside).
fn pool_bytes(classes: &[usize], needed: &[usize]) -> usize {
    classes
        .iter()
        .zip(needed)
        .map(|(&class, &n)| pmad::bytes_for(class, n))
        .fold(0usize, usize::saturating_add)
}

/// Builds the pool for `demand`: each class holds exactly the blocks the
/// case needs ([`Demand::blocks_per_range`]), none rounded to a share.
pub fn build(demand: &Demand, setup: Setup) -> Result<(Pmad, PmadReport), String> {
    let classes: Vec<usize> = demand.ranges.iter().map(|r| r.max).collect();
    let needed = demand.blocks_per_range();
    let bytes = pool_bytes(&classes, &needed);
    if bytes > POOL_CAP_BYTES {
        return Err(format!(
            "pmad: the pool would hold {bytes} bytes, above the harness's cap of {POOL_CAP_BYTES} bytes for a prefaulted pool"
        ));
    }
    let options = Options::default().prefault(true).lock(setup.mlock);
    let pool = Pmad::with_blocks(&classes, &needed, options)
        .map_err(|e| format!("pmad: cannot build the pool for this case: {e}"))?;
    let stats = pool.stats();
    let report = PmadReport {
        classes,
        blocks: stats.iter().map(|s| s.block_bytes).collect(),
        pool_bytes: pool.pool_bytes(),
        reserved_bytes: pool.mapped_bytes(),
        prefault: options.prefault,
        lock: options.lock,
        needed,
        capacity: stats.iter().map(|s| s.capacity).collect(),
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

/// Why PMAD cannot serve `trace`: a block beyond its largest class, an
/// alignment beyond the 16 bytes every block has, or a pool beyond
/// [`POOL_CAP_BYTES`].
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
    let demand = trace.demand();
    let classes: Vec<usize> = demand.ranges.iter().map(|r| r.max).collect();
    let bytes = pool_bytes(&classes, &demand.blocks_per_range());
    (bytes > POOL_CAP_BYTES).then(|| {
        format!(
            "a pool holding the trace's peak of every class would be {bytes} bytes, above the harness's cap of {POOL_CAP_BYTES} bytes for a prefaulted pool"
        )
    })
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
