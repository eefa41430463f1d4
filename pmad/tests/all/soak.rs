//! Soak: 10^8 random operations (alloc, free, free_sized with the right and
//! a wrong size, and misuse) on a pool of small and large classes, against
//! a reference model kept apart from the pool. After every step: each block
//! handed out lies on a block boundary of its class's run, is not already
//! live (so no two live blocks overlap), and a class is exhausted exactly at
//! its capacity; every block's two tags survive until it is freed; every
//! misuse panics with its word and changes nothing. Every 2^16 steps the
//! pool's statistics equal the model's.
//!
//! Ignored by default (5 s in a release build here, 2026-12-07); CI's long tier
//! runs it (`cargo test --release -p pmad --test all -- --ignored soak::`).
//! `PMAD_SOAK_OPS` sets the count.

use pmad::{Options, Pmad};
use std::collections::HashSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::NonNull;

/// Small classes, the 64 KiB edge and large ones on the grid.
const CLASSES: [usize; 8] = [16, 48, 256, 4096, 65_536, 100_000, 1 << 20, 5_000_000];
const BLOCKS: [usize; 8] = [400, 400, 200, 100, 24, 12, 6, 3];

/// xorshift64*: fast, and the same sequence for the same seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

struct Live {
    addr: usize,
    size: usize,
    class: usize,
    tag: u64,
}

/// What the pool should hold, from the calls alone.
struct Model {
    blocks: Vec<usize>,
    runs: Vec<std::ops::Range<usize>>,
    capacity: Vec<usize>,
    live: Vec<Live>,
    addresses: HashSet<usize>,
    in_use: Vec<usize>,
    high_water: Vec<usize>,
    failed: Vec<u64>,
    oversize: u64,
    /// Freed blocks, most recent last, kept for double frees.
    recently_freed: Vec<usize>,
}

/// Counts of what the soak did, printed at the end.
#[derive(Default, Debug)]
struct Tally {
    allocs: u64,
    refused: u64,
    frees: u64,
    misuse_caught: u64,
}

fn tags(addr: usize, size: usize) -> (*mut u64, *mut u64) {
    // Every block is at least 16 bytes and 16-aligned; the second tag ends
    // the requested size, rounded down to 8 (the block holds at least that).
    let end = addr + size.max(16) / 8 * 8 - 8;
    (addr as *mut u64, end as *mut u64)
}

fn write_tags(b: &Live) {
    let (first, last) = tags(b.addr, b.size);
    // SAFETY: both tags lie inside the live block (see `tags`), 8-aligned.
    unsafe {
        first.write(b.tag);
        last.write(!b.tag);
    }
}

fn check_tags(b: &Live) {
    let (first, last) = tags(b.addr, b.size);
    // SAFETY: as in `write_tags`; the block is still live.
    let (x, y) = unsafe { (first.read(), last.read()) };
    assert!(x == b.tag && y == !b.tag, "block {:#x} corrupted", b.addr);
}

fn panics_with(word: &str, f: impl FnOnce()) {
    let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("misuse must panic");
    let text = payload.downcast::<String>().map(|s| *s).unwrap_or_default();
    assert!(text.contains(word), "expected {word:?}, got {text:?}");
}

impl Model {
    fn new(pool: &Pmad) -> Model {
        let stats = pool.stats();
        let n = stats.len();
        Model {
            blocks: stats.iter().map(|s| s.block_bytes).collect(),
            runs: pool.runs(),
            capacity: stats.iter().map(|s| s.capacity).collect(),
            live: Vec::new(),
            addresses: HashSet::new(),
            in_use: vec![0; n],
            high_water: vec![0; n],
            failed: vec![0; n],
            oversize: 0,
            recently_freed: Vec::new(),
        }
    }

    /// A request size: mostly inside a random class's range, sometimes
    /// above the largest class.
    fn size(&self, rng: &mut Rng) -> usize {
        if rng.below(1000) == 0 {
            return self.blocks[self.blocks.len() - 1] + 1 + rng.below(1 << 20);
        }
        let class = rng.below(self.blocks.len());
        let low = if class == 0 {
            0
        } else {
            self.blocks[class - 1]
        };
        low + 1 + rng.below(self.blocks[class] - low)
    }

    fn alloc(&mut self, pool: &Pmad, rng: &mut Rng, tally: &mut Tally) {
        let size = self.size(rng);
        let got = pool.alloc(size);
        let Some(class) = self.blocks.iter().position(|&b| size <= b) else {
            assert!(got.is_none(), "size {size} is above every class");
            self.oversize += 1;
            tally.refused += 1;
            return;
        };
        if self.in_use[class] == self.capacity[class] {
            assert!(got.is_none(), "class {class} is full");
            self.failed[class] += 1;
            tally.refused += 1;
            return;
        }
        let addr = got.expect("the class has room").as_ptr() as usize;
        let run = &self.runs[class];
        let offset = addr - run.start;
        assert!(addr >= run.start && offset.is_multiple_of(self.blocks[class]));
        assert!(
            offset / self.blocks[class] < self.capacity[class],
            "past the run"
        );
        assert!(self.addresses.insert(addr), "{addr:#x} handed out twice");
        let block = Live {
            addr,
            size,
            class,
            tag: rng.next(),
        };
        write_tags(&block);
        self.live.push(block);
        self.in_use[class] += 1;
        self.high_water[class] = self.high_water[class].max(self.in_use[class]);
        tally.allocs += 1;
    }

    fn free(&mut self, pool: &Pmad, rng: &mut Rng, tally: &mut Tally) {
        if self.live.is_empty() {
            return;
        }
        let block = self.live.swap_remove(rng.below(self.live.len()));
        check_tags(&block);
        let ptr = NonNull::new(block.addr as *mut u8).unwrap();
        // SAFETY: a live block of this pool, not used again.
        unsafe {
            match rng.below(4) {
                0 => pool.free(ptr),
                1 => pool.free_sized(ptr, self.size(rng)), // most often wrong
                _ => pool.free_sized(ptr, block.size),
            }
        }
        self.addresses.remove(&block.addr);
        self.in_use[block.class] -= 1;
        self.recently_freed.push(block.addr);
        if self.recently_freed.len() > 64 {
            self.recently_freed.remove(0);
        }
        tally.frees += 1;
    }

    /// A double free, a pointer inside a live block, or one outside the pool.
    fn misuse(&mut self, pool: &Pmad, rng: &mut Rng, tally: &mut Tally) {
        let addresses = &self.addresses;
        self.recently_freed.retain(|a| !addresses.contains(a));
        match rng.below(3) {
            0 if !self.recently_freed.is_empty() => {
                let addr = self.recently_freed[rng.below(self.recently_freed.len())];
                let ptr = NonNull::new(addr as *mut u8).unwrap();
                // SAFETY: a deliberate double free: detected, nothing modified.
                panics_with("double free", || unsafe { pool.free(ptr) });
            }
            1 if !self.live.is_empty() => {
                let b = &self.live[rng.below(self.live.len())];
                let steps = self.blocks[b.class] / 16;
                if steps < 2 {
                    return;
                }
                let inner = b.addr + 16 * (1 + rng.below(steps - 1));
                let ptr = NonNull::new(inner as *mut u8).unwrap();
                // SAFETY: a deliberate foreign pointer: detected, nothing modified.
                panics_with("foreign pointer", || unsafe { pool.free(ptr) });
            }
            _ => {
                let local = 0u128;
                let ptr = NonNull::from(&local).cast::<u8>();
                // SAFETY: a deliberate foreign pointer: detected, nothing modified.
                panics_with("foreign pointer", || unsafe { pool.free(ptr) });
            }
        }
        tally.misuse_caught += 1;
    }

    fn check_stats(&self, pool: &Pmad) {
        for (class, s) in pool.stats().iter().enumerate() {
            assert_eq!(s.in_use, self.in_use[class], "in use, class {class}");
            assert_eq!(
                s.high_water, self.high_water[class],
                "high water, class {class}"
            );
            assert_eq!(s.failed, self.failed[class], "refusals, class {class}");
        }
        assert_eq!(pool.oversize_requests(), self.oversize);
    }
}

#[test]
#[ignore = "10^8 operations: CI's long tier runs it"]
fn hundred_million_random_operations_agree_with_the_model() {
    let ops: u64 = std::env::var("PMAD_SOAK_OPS")
        .ok()
        .map(|v| v.parse().expect("PMAD_SOAK_OPS must be a count"))
        .unwrap_or(100_000_000);
    std::panic::set_hook(Box::new(|_| {}));
    let pool = Pmad::with_blocks(&CLASSES, &BLOCKS, Options::default()).unwrap();
    let mut model = Model::new(&pool);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut tally = Tally::default();
    for step in 0..ops {
        // Allocation-heavy and free-heavy phases in turn, so every class
        // fills, empties and refuses many times over.
        let alloc_share = if (step >> 15) % 2 == 0 { 75 } else { 25 };
        match rng.below(1000) {
            0 => model.misuse(&pool, &mut rng, &mut tally),
            x if x % 100 < alloc_share => model.alloc(&pool, &mut rng, &mut tally),
            _ => model.free(&pool, &mut rng, &mut tally),
        }
        if step % (1 << 16) == 0 {
            model.check_stats(&pool);
        }
    }
    while !model.live.is_empty() {
        model.free(&pool, &mut rng, &mut tally);
    }
    model.check_stats(&pool);
    let _ = std::panic::take_hook();
    println!("soak: {ops} operations, 0 corruptions: {tally:?}");
    assert!(tally.allocs > ops / 4 && tally.misuse_caught > ops / 2000);
    assert!(
        model.failed.iter().all(|&f| f > 0),
        "every class ran out: {:?}",
        model.failed
    );
}
