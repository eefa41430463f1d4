//! One test per promise of PMAD's public API, checked from outside the crate.
//! The C original's 19 correctness checks are covered here and extended.

use pmad::{Error, Options, Pmad, Preset, MAX_CLASSES, MAX_CLASS_BYTES};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::NonNull;

const MIB: usize = 1 << 20;

fn reference_pool() -> Pmad {
    Pmad::new(&[16, 64, 256], &[20, 50, 30], MIB).expect("reference configuration")
}

/// The panic message of `f`, which must panic.
fn panic_message(f: impl FnOnce()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic");
    match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(p) => p
            .downcast::<&str>()
            .map(|s| s.to_string())
            .unwrap_or_default(),
    }
}

fn in_use(pool: &Pmad) -> Vec<usize> {
    pool.stats().iter().map(|s| s.in_use).collect()
}

#[test]
fn reference_configuration_builds_with_expected_capacities() {
    let pool = reference_pool();
    let stats = pool.stats();
    assert_eq!(stats.len(), 3);
    // Each block costs its size plus 5 bytes of metadata (a 4-byte stack
    // slot and an in-use byte; the bytes rounded up to 8).
    let fits = |share: usize, stride: usize| {
        let mut c = share / (stride + 5);
        while c * stride + c.next_multiple_of(8) + 4 * c > share {
            c -= 1;
        }
        c
    };
    assert_eq!(stats[0].capacity, fits(MIB / 5, 16));
    assert_eq!(stats[1].capacity, fits(MIB / 2, 64));
    assert_eq!(stats[2].capacity, fits(MIB * 3 / 10, 256));
    for s in &stats {
        let per_block = s.metadata_bytes as f64 / s.capacity as f64;
        assert!(
            (5.0..5.01).contains(&per_block),
            "{per_block} B of metadata per block"
        );
        assert!(s.capacity * s.block_bytes + s.metadata_bytes <= MIB);
    }
    let runs = pool.runs();
    assert_eq!(runs.len(), 3);
    for (run, (s, stride)) in runs.iter().zip(stats.iter().zip([16, 64, 256])) {
        // The blocks, the padding to a page, then the metadata.
        let blocks = (s.capacity * stride).next_multiple_of(4096);
        assert_eq!(run.len(), blocks + s.metadata_bytes);
        assert_eq!(run.start % 4096, 0, "runs start on a page");
        assert!(pool.mapped_range().start <= run.start && run.end <= pool.mapped_range().end);
    }
    assert!(
        runs.windows(2).all(|w| w[0].end <= w[1].start),
        "runs are disjoint and in class order"
    );
    assert_eq!(
        pool.pool_bytes(),
        runs.iter().map(|r| r.len()).sum::<usize>()
    );
}

#[test]
fn every_block_is_sixteen_byte_aligned() {
    let pool = reference_pool();
    for size in [0, 1, 7, 16, 17, 63, 64, 65, 200, 256] {
        let p = pool.alloc(size).unwrap();
        assert_eq!(p.as_ptr() as usize % 16, 0, "size {size}");
    }
}

#[test]
fn a_block_holds_its_whole_requested_size() {
    let pool = reference_pool();
    let sizes = [1, 16, 17, 64, 100, 256];
    let blocks: Vec<_> = sizes.iter().map(|&s| (pool.alloc(s).unwrap(), s)).collect();
    for (i, &(p, s)) in blocks.iter().enumerate() {
        // SAFETY: the block holds at least `s` bytes.
        unsafe { p.as_ptr().write_bytes(i as u8 + 1, s) };
    }
    for (i, &(p, s)) in blocks.iter().enumerate() {
        // SAFETY: as above; the bytes were written.
        let bytes = unsafe { std::slice::from_raw_parts(p.as_ptr(), s) };
        assert!(
            bytes.iter().all(|&b| b == i as u8 + 1),
            "block {i} was overwritten"
        );
    }
}

#[test]
fn each_size_goes_to_the_smallest_class_that_fits() {
    let pool = reference_pool();
    for (size, class) in [(1, 0), (16, 0), (17, 1), (64, 1), (65, 2), (256, 2)] {
        let before = in_use(&pool);
        let p = pool.alloc(size).unwrap();
        let after = in_use(&pool);
        assert_eq!(
            after[class],
            before[class] + 1,
            "size {size} should use class {class}"
        );
        assert_eq!(pool.block_size_for(size), Some([16, 64, 256][class]));
        // SAFETY: from this pool, not used again.
        unsafe { pool.free(p) };
    }
}

#[test]
fn exhaustion_returns_none_exactly_at_capacity() {
    // 100 blocks of 64 B, their 4-byte stack slots and 104 in-use bytes.
    let pool = Pmad::new(&[64], &[100], 100 * 68 + 104).unwrap();
    let capacity = pool.stats()[0].capacity;
    assert_eq!(capacity, 100);
    let blocks: Vec<_> = (0..capacity)
        .map(|i| pool.alloc(64).unwrap_or_else(|| panic!("block {i}")))
        .collect();
    assert_eq!(pool.alloc(64), None);
    assert_eq!(pool.alloc(1), None);
    assert_eq!(pool.stats()[0].failed, 2);
    // SAFETY: from this pool, not used again.
    unsafe { pool.free(blocks[7]) };
    assert_eq!(
        pool.alloc(64),
        Some(blocks[7]),
        "a freed block is handed out again"
    );
}

#[test]
fn an_exhausted_class_never_borrows_from_another() {
    let pool = reference_pool();
    let small = pool.stats()[0].capacity;
    for _ in 0..small {
        pool.alloc(16).unwrap();
    }
    assert_eq!(pool.alloc(16), None);
    assert_eq!(
        in_use(&pool),
        [small, 0, 0],
        "the 64 and 256 classes stay untouched"
    );
    assert!(
        pool.alloc(64).is_some(),
        "other classes still serve their own sizes"
    );
}

#[test]
fn sizes_above_the_largest_class_return_none() {
    let pool = reference_pool();
    for size in [
        257,
        1000,
        MAX_CLASS_BYTES,
        MAX_CLASS_BYTES + 1,
        usize::MAX / 2,
        usize::MAX,
    ] {
        assert_eq!(pool.alloc(size), None, "size {size}");
        assert_eq!(pool.block_size_for(size), None);
    }
    assert_eq!(pool.oversize_requests(), 6);
    assert_eq!(in_use(&pool), [0, 0, 0]);
    assert!(
        pool.stats().iter().all(|s| s.failed == 0),
        "oversize is no class's failure"
    );
}

#[test]
fn size_zero_gets_a_distinct_block_of_the_smallest_class() {
    let pool = reference_pool();
    let a = pool.alloc(0).unwrap();
    let b = pool.alloc(0).unwrap();
    assert_ne!(a, b);
    assert_eq!(in_use(&pool), [2, 0, 0]);
    // SAFETY: from this pool, not used again.
    unsafe {
        pool.free(a);
        pool.free_sized(b, 0);
    }
    assert_eq!(in_use(&pool), [0, 0, 0]);
}

#[test]
fn freed_blocks_are_reused_last_in_first_out() {
    let pool = reference_pool();
    let a = pool.alloc(64).unwrap();
    let b = pool.alloc(64).unwrap();
    // SAFETY: from this pool, not used again.
    unsafe {
        pool.free(a);
        pool.free(b);
    }
    assert_eq!(pool.alloc(64), Some(b));
    assert_eq!(pool.alloc(64), Some(a));
}

#[test]
fn double_free_panics_and_leaves_the_pool_intact() {
    let pool = reference_pool();
    let a = pool.alloc(64).unwrap();
    let b = pool.alloc(64).unwrap();
    // SAFETY: from this pool, not used again.
    unsafe { pool.free(a) };
    // SAFETY: a deliberate double free; `free`'s contract makes it defined
    // behaviour (detected, panics before anything is modified; no header was overwritten).
    let message = panic_message(|| unsafe { pool.free(a) });
    assert!(message.contains("double free"), "{message}");
    // SAFETY: a deliberate double free; `free`'s contract makes it defined
    // behaviour (detected, panics before anything is modified; no header was overwritten).
    let message = panic_message(|| unsafe { pool.free_sized(a, 64) });
    assert!(message.contains("double free"), "{message}");
    assert_eq!(in_use(&pool), [0, 1, 0]);
    // The list still holds `a` exactly once: it comes back once, then a fresh block.
    assert_eq!(pool.alloc(64), Some(a));
    let c = pool.alloc(64).unwrap();
    assert!(c != a && c != b);
    // SAFETY: from this pool, not used again.
    unsafe {
        pool.free(b);
        pool.free(c);
        pool.free(a);
    }
    assert_eq!(in_use(&pool), [0, 0, 0]);
}

#[test]
fn foreign_pointers_outside_the_pool_panic() {
    let pool = reference_pool();
    let mut on_stack = [0u128; 4];
    let heap = Box::new([0u128; 4]);
    let range = pool.mapped_range();
    let candidates = [
        NonNull::from(&mut on_stack[1]).cast::<u8>(),
        NonNull::from(&heap[1]).cast::<u8>(),
        NonNull::new((range.start + 8) as *mut u8).unwrap(), // inside the mapping, before any payload
        NonNull::new(range.end as *mut u8).unwrap(),
        NonNull::new(usize::MAX as *mut u8).unwrap(),
        NonNull::new(16 as *mut u8).unwrap(),
    ];
    for p in candidates {
        // SAFETY: a deliberate foreign pointer; `free`'s contract makes it defined
        // behaviour (detected, panics before anything is modified).
        let message = panic_message(|| unsafe { pool.free(p) });
        assert!(message.contains("foreign pointer"), "{p:?}: {message}");
        // SAFETY: a deliberate foreign pointer; `free`'s contract makes it defined
        // behaviour (detected, panics before anything is modified).
        let message = panic_message(|| unsafe { pool.free_sized(p, 64) });
        assert!(message.contains("foreign pointer"), "{p:?}: {message}");
    }
}

#[test]
fn pointers_inside_a_block_panic_as_foreign() {
    let pool = reference_pool();
    let a = pool.alloc(256).unwrap();
    // SAFETY: the block holds 256 bytes; fill it with zeros (as a free list's end would look).
    unsafe { a.as_ptr().write_bytes(0, 256) };
    for offset in [1, 8, 15, 16, 32, 128, 240] {
        // SAFETY: `offset` stays inside the 256-byte block.
        let inner = unsafe { NonNull::new_unchecked(a.as_ptr().add(offset)) };
        // SAFETY: a deliberate foreign pointer; `free`'s contract makes it defined
        // behaviour (detected, panics before anything is modified).
        let message = panic_message(|| unsafe { pool.free(inner) });
        assert!(
            message.contains("foreign pointer"),
            "offset {offset}: {message}"
        );
        // SAFETY: a deliberate foreign pointer; `free`'s contract makes it defined
        // behaviour (detected, panics before anything is modified).
        let message = panic_message(|| unsafe { pool.free_sized(inner, 256) });
        assert!(
            message.contains("foreign pointer"),
            "offset {offset}: {message}"
        );
    }
    assert_eq!(in_use(&pool), [0, 0, 1]);
    // SAFETY: from this pool, not used again.
    unsafe { pool.free(a) };
}

#[test]
fn blocks_never_handed_out_panic_as_foreign() {
    let pool = reference_pool();
    let a = pool.alloc(64).unwrap();
    // The next block of the run has not been carved yet.
    // SAFETY: a stride (64) further is still inside the class's run.
    let next = unsafe { NonNull::new_unchecked(a.as_ptr().add(64)) };
    // SAFETY: a deliberate foreign pointer; `free`'s contract makes it defined
    // behaviour (detected, panics before anything is modified).
    let message = panic_message(|| unsafe { pool.free(next) });
    assert!(message.contains("foreign pointer"), "{message}");
    // SAFETY: from this pool, not used again.
    unsafe { pool.free(a) };
}

#[test]
fn a_block_of_another_pool_is_foreign() {
    let first = reference_pool();
    let second = reference_pool();
    let p = second.alloc(64).unwrap();
    // SAFETY: a deliberate foreign pointer; `free`'s contract makes it defined
    // behaviour (detected, panics before anything is modified).
    let message = panic_message(|| unsafe { first.free(p) });
    assert!(message.contains("foreign pointer"), "{message}");
    // SAFETY: from `second`, not used again.
    unsafe { second.free(p) };
}

#[test]
fn free_sized_with_the_wrong_size_still_frees_the_right_class() {
    let pool = reference_pool();
    let p = pool.alloc(200).unwrap();
    // SAFETY: from this pool, not used again; the size hint is wrong on purpose.
    unsafe { pool.free_sized(p, 16) };
    assert_eq!(in_use(&pool), [0, 0, 0]);
    let q = pool.alloc(10).unwrap();
    // SAFETY: as above, with a size above every class.
    unsafe { pool.free_sized(q, usize::MAX) };
    assert_eq!(in_use(&pool), [0, 0, 0]);
}

#[test]
fn statistics_count_use_high_water_and_failures() {
    // 47 % of 1,600 B = 752 B: 20 blocks of 32 B with a 4-byte stack slot
    // and an in-use byte each (20 * 36 + 24 = 744 B; 21 would need 780).
    // 53 % = 848 B: 6 blocks of 128 B (6 * 132 + 8 = 800 B; 7 would need 932).
    let pool = Pmad::new(&[32, 128], &[47, 53], 1600).unwrap();
    let blocks: Vec<_> = (0..7).map(|_| pool.alloc(20).unwrap()).collect();
    for &p in &blocks[..5] {
        // SAFETY: from this pool, not used again.
        unsafe { pool.free(p) };
    }
    let _big = pool.alloc(100).unwrap();
    let stats = pool.stats();
    assert_eq!((stats[0].class_bytes, stats[0].block_bytes), (32, 32));
    assert_eq!(
        (
            stats[0].capacity,
            stats[0].in_use,
            stats[0].high_water,
            stats[0].failed
        ),
        (20, 2, 7, 0)
    );
    assert_eq!(
        (
            stats[1].capacity,
            stats[1].in_use,
            stats[1].high_water,
            stats[1].failed
        ),
        (6, 1, 1, 0)
    );
    let more: Vec<_> = (0..18).map(|_| pool.alloc(32).unwrap()).collect();
    assert_eq!(pool.alloc(32), None);
    assert_eq!(pool.alloc(1), None);
    let stats = pool.stats();
    assert_eq!(
        (stats[0].in_use, stats[0].high_water, stats[0].failed),
        (20, 20, 2)
    );
    assert_eq!(stats[1].failed, 0);
    drop(more);
}

#[test]
fn reference_presets_build_and_serve_their_classes() {
    for preset in Preset::ALL {
        assert_eq!(preset.classes().len(), preset.percentages().len());
        assert_eq!(preset.percentages().iter().sum::<usize>(), 100);
        let pool = Pmad::from_preset(preset, MIB, Options::default()).unwrap();
        let classes: Vec<_> = pool.stats().iter().map(|s| s.class_bytes).collect();
        assert_eq!(classes, preset.classes(), "{}", preset.name());
        for &class in preset.classes() {
            let p = pool.alloc(class).unwrap();
            // SAFETY: from this pool, not used again.
            unsafe { pool.free_sized(p, class) };
        }
    }
    assert_eq!(Preset::Balanced.classes(), [64, 256, 1024]);
    assert_eq!(Preset::Balanced.percentages(), [60, 30, 10]);
    assert_eq!(Preset::LatencyOptimised.classes(), [32, 128]);
    assert_eq!(Preset::LatencyOptimised.percentages(), [80, 20]);
    assert_eq!(Preset::MaxThroughput.classes(), [16]);
    assert_eq!(Preset::MinOverhead.classes(), [4096]);
}

#[test]
fn classes_up_to_the_maximum_are_supported() {
    let pool = Pmad::new(
        &[MAX_CLASS_BYTES],
        &[100],
        // Four blocks and their metadata (a 4-byte stack slot each, and 8 in-use bytes).
        4 * MAX_CLASS_BYTES + 4 * 4 + 8,
    )
    .unwrap();
    let p = pool.alloc(MAX_CLASS_BYTES).unwrap();
    // SAFETY: the block holds MAX_CLASS_BYTES bytes.
    unsafe { p.as_ptr().write_bytes(0xAB, MAX_CLASS_BYTES) };
    // SAFETY: from this pool, not used again.
    unsafe { pool.free(p) };
    let many: Vec<usize> = (1..=MAX_CLASSES).map(|i| i * 16).collect();
    let mut shares = vec![3; MAX_CLASSES];
    shares[0] += 100 - 3 * MAX_CLASSES;
    assert!(Pmad::new(&many, &shares, MIB).is_ok());
}

#[test]
fn class_list_errors_name_the_bad_value() {
    let cases: Vec<(Result<Pmad, Error>, Error, &str)> = vec![
        (
            Pmad::new(&[], &[], MIB),
            Error::NoClasses,
            "no size classes",
        ),
        (
            Pmad::new(&[16, 64], &[100], MIB),
            Error::LengthMismatch {
                classes: 2,
                percentages: 1,
            },
            "2 classes but 1 percentages",
        ),
        (
            Pmad::new(&[64, 16], &[50, 50], MIB),
            Error::NotIncreasing {
                index: 1,
                previous: 64,
                size: 16,
            },
            "class 1 is 16 bytes",
        ),
        (
            Pmad::new(&[64, 64], &[50, 50], MIB),
            Error::NotIncreasing {
                index: 1,
                previous: 64,
                size: 64,
            },
            "strictly increasing",
        ),
        (
            Pmad::new(&[8, 16], &[50, 50], MIB),
            Error::SameBlockSize {
                index: 1,
                previous: 8,
                size: 16,
                block: 16,
            },
            "both round up to 16",
        ),
        (
            Pmad::new(&[70_000, 72_000], &[50, 50], MIB),
            Error::SameBlockSize {
                index: 1,
                previous: 70_000,
                size: 72_000,
                block: 73_728,
            },
            "73728",
        ),
    ];
    expect_errors(cases);
}

#[test]
fn size_and_share_errors_name_the_bad_value() {
    let cases: Vec<(Result<Pmad, Error>, Error, &str)> = vec![
        (
            Pmad::new(&[0, 16], &[50, 50], MIB),
            Error::ZeroClass { index: 0 },
            "class 0 is 0 bytes",
        ),
        (
            Pmad::new(&[16, MAX_CLASS_BYTES + 1], &[50, 50], MIB),
            Error::ClassTooLarge {
                index: 1,
                size: MAX_CLASS_BYTES + 1,
                max: MAX_CLASS_BYTES,
            },
            "67108865 bytes",
        ),
        (
            Pmad::new(&[16, 64], &[50, 40], MIB),
            Error::PercentagesSum { sum: 90 },
            "add up to 90",
        ),
        (
            Pmad::new(&[16, 64], &[60, 50], MIB),
            Error::PercentagesSum { sum: 110 },
            "add up to 110",
        ),
        (
            Pmad::new(&[16, 64], &[usize::MAX, 1], MIB),
            Error::PercentagesSum { sum: usize::MAX },
            "not 100",
        ),
        (
            Pmad::new(&[16, 64], &[100, 0], MIB),
            Error::ZeroPercentage { index: 1 },
            "class 1 is given 0 %",
        ),
        (
            Pmad::new(&[16, 4096], &[99, 1], 100_000),
            Error::PoolTooSmall {
                index: 1,
                class: 4096,
                share: 1000,
                // A block, its 4-byte stack slot and its in-use byte (rounded to 8).
                block_with_metadata: 4096 + 4 + 8,
            },
            "less than one block",
        ),
        (
            Pmad::new(&[16], &[100], 27),
            Error::PoolTooSmall {
                index: 0,
                class: 16,
                share: 27,
                block_with_metadata: 28,
            },
            "27 bytes",
        ),
        (
            Pmad::new(&vec![16; MAX_CLASSES + 1], &vec![1; MAX_CLASSES + 1], MIB),
            Error::TooManyClasses {
                count: MAX_CLASSES + 1,
                max: MAX_CLASSES,
            },
            "at most 32",
        ),
    ];
    expect_errors(cases);
}

/// Each result is its expected error, whose message names `words`.
fn expect_errors(cases: Vec<(Result<Pmad, Error>, Error, &str)>) {
    for (result, expected, words) in cases {
        let error = result
            .err()
            .unwrap_or_else(|| panic!("expected {expected:?}"));
        assert_eq!(error, expected);
        assert!(
            error.to_string().contains(words),
            "{error} should mention {words:?}"
        );
    }
}

#[test]
fn large_classes_serve_round_to_the_grid_and_catch_misuse() {
    // 100,000 B rounds up to 106,496 (13 steps of 8 KiB); 3 MB to 3,145,728.
    let pool = Pmad::new(&[64, 100_000, 3_000_000], &[1, 9, 90], 64 * MIB).unwrap();
    let blocks: Vec<usize> = pool.stats().iter().map(|s| s.block_bytes).collect();
    assert_eq!(blocks, [64, 106_496, 3_145_728]);
    assert_eq!(pool.block_size_for(65), Some(106_496), "no class between");
    assert_eq!(pool.block_size_for(106_497), Some(3_145_728));
    assert_eq!(pool.block_size_for(3_145_729), None);
    let big = pool.alloc(3_145_728).unwrap();
    let mid = pool.alloc(70_000).unwrap();
    assert_eq!(big.as_ptr() as usize % 4096, 0, "large blocks start a page");
    // SAFETY: each block holds its class's whole block size.
    unsafe {
        big.as_ptr().write_bytes(1, 3_145_728);
        mid.as_ptr().write_bytes(2, 106_496);
    }
    let inner = NonNull::new(big.as_ptr().wrapping_add(4096)).unwrap();
    // SAFETY: a deliberate foreign pointer: detected, nothing modified.
    let text = panic_message(|| unsafe { pool.free(inner) });
    assert!(text.contains("foreign pointer"), "{text}");
    // SAFETY: from this pool, not used again (the second free is deliberate).
    unsafe { pool.free_sized(big, 3_145_728) };
    // SAFETY: a deliberate double free: detected, nothing modified.
    let text = panic_message(|| unsafe { pool.free(big) });
    assert!(text.contains("double free"), "{text}");
    // A wrong size hint still frees the right class.
    // SAFETY: from this pool, not used again.
    unsafe { pool.free_sized(mid, 3_000_000) };
    assert_eq!(in_use(&pool), [0, 0, 0]);
    assert_eq!(pool.alloc(3_000_000), Some(big), "last in, first out");
    assert_eq!(pool.alloc(MAX_CLASS_BYTES), None);
    assert_eq!(pool.oversize_requests(), 1);
}

#[test]
fn a_class_of_more_than_4_gib_is_refused() {
    let error = Pmad::new(&[16], &[100], 1 << 62)
        .err()
        .expect("2^62 bytes of 16 B blocks");
    match &error {
        Error::TooManyBlocks {
            index: 0,
            class: 16,
            blocks,
            max,
        } => {
            assert_eq!(*max, 1 << 28, "4 GiB of 16 B blocks");
            assert!(*blocks > 1 << 57);
        }
        other => panic!("expected TooManyBlocks, got {other:?}"),
    }
    assert!(error.to_string().contains("4 GiB"), "{error}");
}

#[test]
fn a_pool_the_os_refuses_to_map_is_an_error() {
    // A child with 64 MiB of address space asks for a 1 GiB pool.
    // SAFETY: the child only builds a pool, reports, and exits without
    // unwinding; glibc keeps malloc usable across fork.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let limit = libc::rlimit {
            rlim_cur: 64 << 20,
            rlim_max: 64 << 20,
        };
        // SAFETY: setrlimit reads one rlimit.
        let code = if unsafe { libc::setrlimit(libc::RLIMIT_AS, &limit) } != 0 {
            2
        } else {
            match Pmad::new(&[64], &[100], 1 << 30) {
                Err(ref e @ Error::MapFailed { bytes, errno })
                    if bytes >= 1 << 29
                        && errno == libc::ENOMEM
                        && e.to_string().contains("mmap of") =>
                {
                    0
                }
                Err(_) => 3,
                Ok(_) => 4,
            }
        };
        // SAFETY: ends the child at once, without unwinding.
        unsafe { libc::_exit(code) };
    }
    let mut status = 0;
    // SAFETY: `pid` is our child; `status` is a valid out-pointer.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert!(libc::WIFEXITED(status));
    assert_eq!(
        libc::WEXITSTATUS(status),
        0,
        "2: setrlimit, 3: another error, 4: mapped"
    );
}

#[test]
fn a_pool_can_serve_from_another_thread_after_a_move() {
    let pool = reference_pool();
    let p = pool.alloc(64).unwrap().as_ptr() as usize;
    let pool = std::thread::spawn(move || {
        // SAFETY: `p` came from this pool, which moved here with its blocks.
        unsafe { pool.free(NonNull::new(p as *mut u8).unwrap()) };
        assert!(pool.alloc(64).is_some());
        pool
    })
    .join()
    .unwrap();
    assert_eq!(in_use(&pool), [0, 1, 0]);
}
