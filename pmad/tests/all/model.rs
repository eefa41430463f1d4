//! Model-based property test: random sequences of alloc, free, free_sized,
//! verify and misuse run against PMAD and against a shadow model, and after
//! every single step the pool must agree with the model:
//! no two live blocks overlap, every block is aligned and
//! inside the mapping, a block's bytes survive until it is freed, each class
//! is exhausted exactly at its capacity, and the statistics equal the model's.
//!
//! 256 cases x 4,096 operations = 1,048,576 random operations per run on
//! small classes, and 32 x 4,096 on a pool with large classes too (blocks
//! up to 2 MiB, filled and checked whole).

use pmad::{Pmad, ALIGN};
use proptest::prelude::*;
use std::collections::{BTreeMap, HashSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::NonNull;

const CLASSES: [usize; 5] = [16, 40, 128, 512, 1024];
const SHARES: [usize; 5] = [20, 20, 20, 20, 20];
const POOL: usize = 16 * 1024;
const OPS: usize = 4096;

/// Small classes, one on the 64 KiB edge and three large ones on the grid
/// (blocks 65,536, 81,920, 327,680 and 2,097,152 bytes), a few blocks each.
const LARGE_CLASSES: [usize; 6] = [32, 1000, 65_536, 80_000, 300_000, 2 << 20];
const LARGE_SHARES: [usize; 6] = [1, 1, 8, 10, 20, 60];
const LARGE_POOL: usize = 24 << 20;

#[derive(Clone, Debug)]
enum Op {
    Alloc(usize),
    Free(usize),
    FreeSized(usize),
    FreeWithWrongSize(usize, usize),
    Verify(usize),
    DoubleFree(usize),
    FreeInterior(usize, usize),
}

/// Allocations mostly up to `small`, sometimes up to `large` (past the
/// largest class, to check refusals), frees, checks and misuse.
fn op(small: usize, large: usize) -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (0usize..small).prop_map(Op::Alloc),
        1 => (small..large).prop_map(Op::Alloc),
        4 => any::<usize>().prop_map(Op::Free),
        3 => any::<usize>().prop_map(Op::FreeSized),
        1 => (any::<usize>(), 0usize..large).prop_map(|(i, s)| Op::FreeWithWrongSize(i, s)),
        2 => any::<usize>().prop_map(Op::Verify),
        1 => any::<usize>().prop_map(Op::DoubleFree),
        1 => (any::<usize>(), 1usize..1024).prop_map(|(i, o)| Op::FreeInterior(i, o)),
    ]
}

struct Live {
    addr: usize,
    size: usize,
    class: usize,
    fill: u8,
}

/// What the pool should hold, kept independently of it.
struct Model {
    blocks: Vec<usize>,
    capacity: Vec<usize>,
    live: Vec<Live>,
    /// Header start -> payload end of every live block, to check overlaps.
    extents: BTreeMap<usize, usize>,
    /// Blocks freed and not handed out since: freeing one again is a double free.
    freed: HashSet<usize>,
    in_use: Vec<usize>,
    high_water: Vec<usize>,
    failed: Vec<u64>,
    oversize: u64,
    next_fill: u8,
}

impl Model {
    fn new(pool: &Pmad) -> Model {
        let stats = pool.stats();
        let n = stats.len();
        Model {
            blocks: stats.iter().map(|s| s.block_bytes).collect(),
            capacity: stats.iter().map(|s| s.capacity).collect(),
            live: Vec::new(),
            extents: BTreeMap::new(),
            freed: HashSet::new(),
            in_use: vec![0; n],
            high_water: vec![0; n],
            failed: vec![0; n],
            oversize: 0,
            next_fill: 0,
        }
    }

    fn class_for(&self, size: usize) -> Option<usize> {
        self.blocks.iter().position(|&b| size <= b)
    }
}

fn bytes_of(addr: usize, len: usize) -> &'static mut [u8] {
    // SAFETY: only called on live blocks of at least `len` bytes, which no one
    // else touches while the test holds them.
    unsafe { std::slice::from_raw_parts_mut(addr as *mut u8, len) }
}

fn verify(block: &Live) -> Result<(), TestCaseError> {
    let bytes = bytes_of(block.addr, block.size);
    prop_assert!(
        bytes.iter().all(|&b| b == block.fill),
        "block {:#x} was overwritten",
        block.addr
    );
    Ok(())
}

fn panic_text(f: impl FnOnce()) -> Option<String> {
    catch_unwind(AssertUnwindSafe(f))
        .err()
        .map(|p| match p.downcast::<String>() {
            Ok(s) => *s,
            Err(_) => String::new(),
        })
}

fn step(pool: &Pmad, model: &mut Model, op: &Op) -> Result<(), TestCaseError> {
    match *op {
        Op::Alloc(size) => step_alloc(pool, model, size)?,
        Op::Free(i) | Op::FreeSized(i) | Op::FreeWithWrongSize(i, _) => {
            step_free(pool, model, op, i)?
        }
        Op::Verify(i) => {
            if !model.live.is_empty() {
                verify(&model.live[i % model.live.len()])?;
            }
        }
        Op::DoubleFree(i) => step_double_free(pool, model, i)?,
        Op::FreeInterior(i, offset) => step_free_interior(pool, model, i, offset)?,
    }
    check_stats(pool, model)
}

/// An allocation: refused above every class or in a full class, else a
/// block inside the pool, aligned, overlapping no live block, filled.
fn step_alloc(pool: &Pmad, model: &mut Model, size: usize) -> Result<(), TestCaseError> {
    let range = pool.mapped_range();
    let got = pool.alloc(size);
    match model.class_for(size) {
        None => {
            prop_assert!(got.is_none(), "size {size} is above every class");
            model.oversize += 1;
        }
        Some(class) if model.in_use[class] == model.capacity[class] => {
            prop_assert!(
                got.is_none(),
                "class {class} is full at {}",
                model.capacity[class]
            );
            model.failed[class] += 1;
        }
        Some(class) => {
            let p = got.ok_or_else(|| TestCaseError::fail(format!("class {class} has room")))?;
            let addr = p.as_ptr() as usize;
            let block = model.blocks[class];
            prop_assert_eq!(addr % ALIGN, 0);
            prop_assert!(addr >= range.start && addr + block <= range.end);
            let start = addr;
            let end = addr + block;
            if let Some((_, &prev_end)) = model.extents.range(..=start).next_back() {
                prop_assert!(prev_end <= start, "overlaps the block before");
            }
            if let Some((&next_start, _)) = model.extents.range(start..).next() {
                prop_assert!(next_start >= end, "overlaps the block after");
            }
            model.extents.insert(start, end);
            model.freed.remove(&addr);
            model.next_fill = model.next_fill.wrapping_add(1);
            // Fill the whole block, not only the request: the block is the caller's.
            bytes_of(addr, block).fill(model.next_fill);
            model.live.push(Live {
                addr,
                size: block,
                class,
                fill: model.next_fill,
            });
            model.in_use[class] += 1;
            model.high_water[class] = model.high_water[class].max(model.in_use[class]);
        }
    }
    Ok(())
}

/// A free of a live block (plain, sized, or with a wrong size hint),
/// its bytes checked first.
fn step_free(pool: &Pmad, model: &mut Model, op: &Op, i: usize) -> Result<(), TestCaseError> {
    if model.live.is_empty() {
        return Ok(());
    }
    let block = model.live.swap_remove(i % model.live.len());
    verify(&block)?;
    let p = NonNull::new(block.addr as *mut u8).unwrap();
    // SAFETY: a live block of this pool, not used again.
    unsafe {
        match *op {
            Op::Free(_) => pool.free(p),
            Op::FreeSized(_) => pool.free_sized(p, block.size),
            _ => pool.free_sized(p, op_wrong_size(op)),
        }
    }
    model.extents.remove(&block.addr);
    model.freed.insert(block.addr);
    model.in_use[block.class] -= 1;
    Ok(())
}

/// A block freed twice: detected, nothing modified.
fn step_double_free(pool: &Pmad, model: &Model, i: usize) -> Result<(), TestCaseError> {
    if model.freed.is_empty() {
        return Ok(());
    }
    let mut freed: Vec<_> = model.freed.iter().copied().collect();
    freed.sort_unstable();
    let addr = freed[i % freed.len()];
    // SAFETY: a deliberate double free; `free`'s contract makes it defined
    // behaviour (detected, panics before anything is modified).
    let text = panic_text(|| unsafe { pool.free(NonNull::new(addr as *mut u8).unwrap()) });
    prop_assert!(
        text.as_deref().is_some_and(|t| t.contains("double free")),
        "{text:?}"
    );
    Ok(())
}

/// A pointer inside a live block: a foreign pointer, detected.
fn step_free_interior(
    pool: &Pmad,
    model: &Model,
    i: usize,
    offset: usize,
) -> Result<(), TestCaseError> {
    if model.live.is_empty() {
        return Ok(());
    }
    let block = &model.live[i % model.live.len()];
    let offset = offset % block.size.max(1);
    if offset == 0 {
        return Ok(());
    }
    let inner = NonNull::new((block.addr + offset) as *mut u8).unwrap();
    // SAFETY: a deliberate foreign pointer (inside a block); `free`'s contract
    // makes it defined behaviour (detected, panics before anything is modified).
    let text = panic_text(|| unsafe { pool.free(inner) });
    prop_assert!(
        text.as_deref()
            .is_some_and(|t| t.contains("foreign pointer")),
        "{text:?}"
    );
    Ok(())
}

/// The pool's counters agree with the model's.
fn check_stats(pool: &Pmad, model: &Model) -> Result<(), TestCaseError> {
    let stats = pool.stats();
    for (class, s) in stats.iter().enumerate() {
        prop_assert_eq!(s.in_use, model.in_use[class], "in_use of class {}", class);
        prop_assert_eq!(
            s.high_water,
            model.high_water[class],
            "high_water of class {}",
            class
        );
        prop_assert_eq!(s.failed, model.failed[class], "failed of class {}", class);
    }
    prop_assert_eq!(pool.oversize_requests(), model.oversize);
    Ok(())
}

fn op_wrong_size(op: &Op) -> usize {
    match *op {
        Op::FreeWithWrongSize(_, size) => size,
        _ => unreachable!(),
    }
}

/// Runs `ops` on `pool` and its model, checking after every step, then
/// drains it: every block verifies and frees cleanly, and the pool is empty.
fn agrees(pool: &Pmad, ops: &[Op]) -> Result<(), TestCaseError> {
    // Misuse ops panic on purpose and are caught: keep their messages quiet.
    std::panic::set_hook(Box::new(|_| {}));
    let mut model = Model::new(pool);
    for op in ops {
        step(pool, &mut model, op)?;
    }
    while let Some(block) = model.live.pop() {
        verify(&block)?;
        // SAFETY: a live block of this pool, not used again.
        unsafe { pool.free(NonNull::new(block.addr as *mut u8).unwrap()) };
    }
    prop_assert!(pool.stats().iter().all(|s| s.in_use == 0));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn pool_agrees_with_its_model_after_every_step(
        ops in proptest::collection::vec(op(1100, 70_000), OPS)
    ) {
        agrees(&Pmad::new(&CLASSES, &SHARES, POOL).unwrap(), &ops)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn a_pool_with_large_classes_agrees_with_its_model(
        ops in proptest::collection::vec(op(70_000, 2_200_000), OPS)
    ) {
        let pool = Pmad::new(&LARGE_CLASSES, &LARGE_SHARES, LARGE_POOL).unwrap();
        prop_assert_eq!(
            pool.stats().iter().map(|s| s.block_bytes).collect::<Vec<_>>(),
            [32, 1008, 65_536, 81_920, 327_680, 2 << 20]
        );
        agrees(&pool, &ops)?;
    }
}
