//! TLSF (rlsf) deployed the way a real-time user deploys it: one region per
//! case from a single mmap, prefaulted (MAP_POPULATE) and locked when
//! `--mlock` asks, handed whole to the TLSF before the case starts (the
//! region and heap type are `tlsf-region`'s, shared with the live shim). No call
//! reaches the OS after that: a full region fails the allocation, and the
//! run stops with `Exhausted`.
//!
//! Sizing: the blocks the case can have live at once (as PMAD's pool is
//! sized, with the same headroom for a random split between sizes), each at
//! its range's largest size plus TLSF's 16-byte header rounded up to its
//! 32-byte granularity, doubled for fragmentation, plus 1 MiB. A replayed
//! trace that asks for alignments above 16 bytes also gets that alignment
//! once per block it can have live, for the padding an aligned block costs.

use super::{layout, Setup, TlsfReport};
use std::ptr::NonNull;
use tlsf_region::{Heap, Region};
use workloads::{Allocator, Case, Clock, Demand, Observer};

/// The bytes a case's region gets (module docs): `align` is the largest
/// alignment the case asks for beyond 16 bytes (0: none).
fn region_bytes(demand: &Demand, align: usize) -> usize {
    let per_block = |max: usize| (max + 16).div_ceil(rlsf::GRANULARITY) * rlsf::GRANULARITY;
    let blocks: usize = demand
        .ranges
        .iter()
        .zip(demand.blocks_per_range())
        .map(|(r, n)| n * per_block(r.max))
        .sum();
    2 * blocks + demand.max_live * align + (1 << 20)
}

/// A layout with `align` or the one `layout(size)` gives, whichever is larger.
#[inline(always)]
fn aligned_layout(size: usize, align: usize) -> std::alloc::Layout {
    let plain = layout(size);
    if align <= plain.align() {
        return plain;
    }
    // SAFETY: align is a power of two (a replayed trace is checked for it)
    // of at most 1 GiB, and size a block a program was given: the rounded
    // size stays far below isize::MAX.
    unsafe { std::alloc::Layout::from_size_align_unchecked(size, align) }
}

/// The workload allocator, asking with the same layout as every
/// `GlobalAlloc` adapter (`super::layout`).
struct TlsfAlloc<'a>(&'a mut Heap);

impl Allocator for TlsfAlloc<'_> {
    #[inline(always)]
    fn alloc(&mut self, size: usize) -> *mut u8 {
        self.0
            .allocate(layout(size))
            .map_or(std::ptr::null_mut(), NonNull::as_ptr)
    }

    #[inline(always)]
    unsafe fn free(&mut self, ptr: *mut u8, size: usize) {
        // SAFETY: the caller passes a non-null pointer from `alloc(size)` of
        // this heap, not yet freed, so it was allocated with layout(size)'s
        // alignment, as `deallocate` requires.
        unsafe {
            self.0
                .deallocate(NonNull::new_unchecked(ptr), layout(size).align())
        }
    }

    #[inline(always)]
    fn alloc_aligned(&mut self, size: usize, align: usize) -> *mut u8 {
        self.0
            .allocate(aligned_layout(size, align))
            .map_or(std::ptr::null_mut(), NonNull::as_ptr)
    }

    #[inline(always)]
    unsafe fn free_aligned(&mut self, ptr: *mut u8, size: usize, align: usize) {
        // SAFETY: the caller passes a live block of this heap from
        // `alloc_aligned(size, align)` (or `alloc(size)`, align 1), which
        // asked with aligned_layout(size, align)'s alignment.
        unsafe {
            self.0.deallocate(
                NonNull::new_unchecked(ptr),
                aligned_layout(size, align).align(),
            )
        }
    }

    fn usable_size(&self, ptr: *mut u8, _size: usize) -> Option<usize> {
        // SAFETY: ptr is a live block of this heap (a fresh allocation).
        Some(unsafe { Heap::allocation_usable_size(NonNull::new_unchecked(ptr)) })
    }
}

pub fn run<C: Clock, O: Observer>(
    case: &Case,
    clock: &mut C,
    observer: &mut O,
    setup: Setup,
) -> Result<super::Measured, String> {
    let align = match case.kind {
        workloads::Kind::Replay(trace) if trace.max_align > 16 => trace.max_align as usize,
        _ => 0,
    };
    let bytes = region_bytes(&case.demand(), align);
    let region = Region::map(bytes, setup.mlock).map_err(|e| e.to_string())?;
    let mut heap = Heap::new();
    // SAFETY: the region is owned by this function and outlives every use
    // of `heap` (the last is the workload run, before `region` is dropped);
    // it is handed to this heap alone.
    if !unsafe { region.hand_to(&mut heap) } {
        return Err(format!(
            "tlsf: a {bytes}-byte region is too small for a pool"
        ));
    }
    let report = TlsfReport {
        region_bytes: bytes,
        prefault: true,
        lock: setup.mlock,
        bitmaps: tlsf_region::DESCRIPTION.into(),
    };
    let outcome = workloads::run(case, &mut TlsfAlloc(&mut heap), clock, observer);
    // The heap is never used again (rlsf's Tlsf has no Drop, so it touches
    // nothing when it goes out of scope): its region goes back to the OS.
    drop(region);
    let outcome = outcome.map_err(|e| format!("tlsf: {e} (region: {bytes} bytes)"))?;
    Ok(super::Measured {
        outcome,
        pmad: None,
        tlsf: Some(report),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use workloads::{Kind, SizeSpec};

    #[test]
    fn a_mixed_churn_at_the_default_live_set_fits_its_region() {
        let case = Case {
            kind: Kind::Churn,
            size: SizeSpec::Mixed,
            ops: 300_000,
            blocks: 1,
            max_live: 100_000,
            seed: 3,
        };
        let (mut timer, _) = crate::clock::calibrate();
        let m = run(&case, &mut timer, &mut (), Setup::default()).unwrap();
        assert_eq!(m.outcome.alloc.len() + m.outcome.free.len(), 300_000);
        assert!(m.tlsf.unwrap().region_bytes > 100_000 * 16);
    }

    #[test]
    fn the_region_holds_every_live_block_twice_over() {
        let fixed = Demand {
            ranges: vec![workloads::SizeRange {
                min: 1000,
                max: 1024,
                share: 1.0,
            }],
            max_live: 10,
            random_split: false,
            exact: None,
        };
        // 1024 + 16 header = 1040, rounded up to 32 B: 1056 per block.
        assert_eq!(region_bytes(&fixed, 0), 2 * 10 * 1056 + (1 << 20));
        assert_eq!(
            region_bytes(&fixed, 4096),
            2 * 10 * 1056 + 10 * 4096 + (1 << 20)
        );
        let split = Demand {
            random_split: true,
            ..fixed.clone()
        };
        assert_eq!(region_bytes(&split, 0), 2 * (13 + 64) * 1056 + (1 << 20));
        let exact = Demand {
            exact: Some(vec![3]),
            ..fixed
        };
        assert_eq!(region_bytes(&exact, 0), 2 * 3 * 1056 + (1 << 20));
    }
}
