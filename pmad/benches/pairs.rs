//! alloc+free pairs at 16 to 4096 B: PMAD against a bare intrusive free list
//! (the floor: what a pool costs with no checks and no counters) and jemalloc,
//! on the same loop; then pairs whose size changes every call, drawn from
//! the same five sizes, where `free`'s class hint is mostly wrong. Reported
//! as pairs per second (criterion "elem/s").

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use pmad::{Options, Pmad};
use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;
use std::hint::black_box;
use std::ptr::NonNull;

const SIZES: [usize; 5] = [16, 64, 256, 1024, 4096];
const BLOCKS: usize = 1024;

/// The floor: a singly linked list of 16-byte-headed blocks, head in memory
/// behind `&self`, no checks, no counters.
struct BareList {
    head: Cell<*mut usize>,
    _memory: Vec<u128>,
}

impl BareList {
    fn new(block: usize) -> BareList {
        let stride = 16 + block.next_multiple_of(16);
        let mut memory = vec![0u128; stride * BLOCKS / 16];
        let base = memory.as_mut_ptr() as *mut u8;
        let head = Cell::new(std::ptr::null_mut());
        for i in (0..BLOCKS).rev() {
            // SAFETY: block i's header lies inside `memory` and is 16-aligned.
            unsafe {
                let header = base.add(i * stride) as *mut usize;
                *header = head.get() as usize;
                head.set(header);
            }
        }
        BareList {
            head,
            _memory: memory,
        }
    }

    #[inline(always)]
    fn alloc(&self) -> Option<NonNull<u8>> {
        let header = self.head.get();
        if header.is_null() {
            return None;
        }
        // SAFETY: a non-null head is a free header inside `memory`.
        unsafe {
            self.head.set(*header as *mut usize);
            Some(NonNull::new_unchecked((header as *mut u8).add(16)))
        }
    }

    #[inline(always)]
    fn free(&self, ptr: NonNull<u8>) {
        // SAFETY: `ptr` came from `alloc`, so its header is 16 bytes before it.
        unsafe {
            let header = ptr.as_ptr().sub(16) as *mut usize;
            *header = self.head.get() as usize;
            self.head.set(header);
        }
    }
}

fn pairs(c: &mut Criterion) {
    let mut group = c.benchmark_group("alloc_free_pair");
    group.throughput(Throughput::Elements(1));
    for size in SIZES {
        // Every contender is reached through black_box(&...), so its state
        // really stays in memory, as an allocator's must between calls.
        let bare = BareList::new(size);
        let bare = black_box(&bare);
        group.bench_with_input(BenchmarkId::new("bare_list", size), &size, |b, _| {
            b.iter(|| {
                let p = black_box(bare.alloc().unwrap());
                bare.free(p);
            })
        });

        let pool = Pmad::with_options(
            &[size],
            &[100],
            BLOCKS * (size + 16),
            Options::default().prefault(true),
        )
        .expect("benchmark pool");
        let pool = black_box(&pool);
        group.bench_with_input(BenchmarkId::new("pmad_free", size), &size, |b, &size| {
            b.iter(|| {
                let p = black_box(pool.alloc(size).unwrap());
                // SAFETY: `p` came from `pool` and is not used again.
                unsafe { pool.free(p) };
            })
        });
        group.bench_with_input(
            BenchmarkId::new("pmad_free_sized", size),
            &size,
            |b, &size| {
                b.iter(|| {
                    let p = black_box(pool.alloc(size).unwrap());
                    // SAFETY: `p` came from `pool` with this size and is not used again.
                    unsafe { pool.free_sized(p, size) };
                })
            },
        );

        let layout = Layout::from_size_align(size, 16).unwrap();
        let jemalloc = black_box(&tikv_jemallocator::Jemalloc);
        group.bench_with_input(BenchmarkId::new("jemalloc", size), &size, |b, _| {
            b.iter(|| {
                // SAFETY: layout has non-zero size; the block is freed with the same layout.
                unsafe {
                    let p = black_box(jemalloc.alloc(layout));
                    jemalloc.dealloc(p, layout);
                }
            })
        });
    }
    group.finish();
}

/// Sizes in a fixed pseudo-random order (a 64-bit LCG), so the class
/// changes on about four calls in five and no branch predictor learns it.
fn mixed_sizes() -> Vec<usize> {
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    (0..4096)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            SIZES[(state >> 33) as usize % SIZES.len()]
        })
        .collect()
}

fn mixed_pairs(c: &mut Criterion) {
    let mut group = c.benchmark_group("alloc_free_pair_mixed");
    group.throughput(Throughput::Elements(1));
    let sizes = mixed_sizes();
    let pool = Pmad::with_blocks(
        &SIZES,
        &[BLOCKS; SIZES.len()],
        Options::default().prefault(true),
    )
    .expect("benchmark pool");
    let pool = black_box(&pool);
    // Each routine walks the same sequence; the index wraps with a mask.
    let mut next = 0;
    let mut size = move || {
        next = (next + 1) & (4096 - 1);
        sizes[next]
    };
    group.bench_function("pmad_free", |b| {
        b.iter(|| {
            let p = black_box(pool.alloc(size()).unwrap());
            // SAFETY: `p` came from `pool` and is not used again.
            unsafe { pool.free(p) };
        })
    });
    group.bench_function("pmad_free_sized", |b| {
        b.iter(|| {
            let size = size();
            let p = black_box(pool.alloc(size).unwrap());
            // SAFETY: `p` came from `pool` with this size and is not used again.
            unsafe { pool.free_sized(p, size) };
        })
    });
    let jemalloc = black_box(&tikv_jemallocator::Jemalloc);
    group.bench_function("jemalloc", |b| {
        b.iter(|| {
            let layout = Layout::from_size_align(size(), 16).unwrap();
            // SAFETY: layout has non-zero size; the block is freed with the same layout.
            unsafe {
                let p = black_box(jemalloc.alloc(layout));
                jemalloc.dealloc(p, layout);
            }
        })
    });
    group.finish();
}

criterion_group!(benches, pairs, mixed_pairs);
criterion_main!(benches);
