//! The pool: a lookup table, one free-block stack and in-use map per class,
//! and the hot paths.
//!
//! The invariants are stated once in the crate docs (`lib.rs`); the comments
//! here name which one each step relies on.

use crate::grid::{self, SMALL_LIMIT};
use crate::layout::{self, ClassLayout};
use crate::region::Region;
use crate::stride::Stride;
use crate::{ClassStats, Error, Options, Preset, ALIGN, MAX_CLASSES, MAX_CLASS_BYTES};
use std::cell::Cell;
use std::ptr::NonNull;

/// Entries in the size lookup table: one per 16 bytes, 0 to `SMALL_LIMIT`.
const LOOKUP_LEN: usize = SMALL_LIMIT / ALIGN + 1;

/// Class slots: a power of two above `MAX_CLASSES`, so `free` can mask the
/// class number it derives from an address into range instead of comparing
/// it. Unused slots have nothing carved, so no pointer ever passes their checks.
const SLOTS: usize = 2 * MAX_CLASSES;

/// The slot that serves no size: sizes above the largest class map to it.
const NO_CLASS: u8 = MAX_CLASSES as u8;

/// Bytes of one slot's [`Class`]: the hot paths address a slot by its byte
/// offset in the slot array (`slot * CLASS_BYTES`), which x86 cannot scale
/// from a slot number in its addressing, so the tables hold offsets.
const CLASS_BYTES: usize = std::mem::size_of::<Class>();

/// What the hot paths touch of one class: exactly one cache line. The
/// stack and in-use map it points to are the class's metadata, on their own
/// pages after its blocks (invariant 2).
#[derive(Default)]
#[repr(C, align(64))]
struct Class {
    /// Free blocks on the stack: `stack[..free]`.
    free: Cell<u32>,
    /// The stride's trailing zero bits, and (below) the inverse of its odd
    /// part modulo 2^64: a block's index from its offset without a division
    /// (see [`Class::index_of`]).
    shift: u32,
    /// Blocks carved so far: indices below it have been handed out at least
    /// once. 64 bits wide, like `stride`, so the hot paths compare and
    /// multiply with it straight from memory (below 2^32 all the same).
    carved: Cell<u64>,
    /// Bytes between two blocks (the block itself; at most 64 MiB).
    stride: u64,
    inverse: u64,
    /// Address of block 0.
    first: usize,
    /// Address of the stack of free blocks (`u32` block indices: the
    /// index marks the in-use map with no quotient, and the address is one
    /// multiply away) and of the in-use map (a byte per block, 1 while
    /// handed out: set by a plain store, so an alloc never waits on the
    /// free before it).
    stack: usize,
    in_use: usize,
}

/// What only carving and statistics need of one class.
struct ClassInfo {
    layout: ClassLayout,
    /// Address of the run's first block.
    start: usize,
    failed: Cell<u64>,
}

/// A deterministic single-threaded pool allocator. See the crate docs.
///
/// `Send` (a pool may move to another thread with its blocks) but not `Sync`
/// (its `Cell`s make it so): one pool per thread, by construction.
pub struct Pmad {
    /// `lookup[ceil(size / 16)]` is the slot (as its byte offset in
    /// `classes`) of the smallest class that fits
    /// a size up to `SMALL_LIMIT`; `large[grid::bucket(size)]` above it.
    lookup: [u16; LOOKUP_LEN],
    large: [u16; grid::BUCKETS],
    /// `classes[..info.len()]` are the user's, in order; the rest are empty.
    classes: [Class; SLOTS],
    info: Vec<ClassInfo>,
    /// Class `i`'s run starts at `base + (i << span_shift)`: `free` finds a
    /// pointer's class by arithmetic alone (invariant 2).
    base: usize,
    span_shift: u32,
    oversize: Cell<u64>,
    /// The class `free` checks first: the one its last pointer belonged to,
    /// as its slot's byte offset in `classes` (invariant 6). A guess, never
    /// trusted: the pointer must still pass that class's checks, so a wrong
    /// guess costs only the way round.
    free_hint: Cell<u16>,
    region: Region,
}

// SAFETY: a Pmad owns its mapping and every free list in it outright; nothing
// refers to thread-local state, so moving it to another thread is sound. Its
// Cells keep it !Sync, so it is never used from two threads at once.
unsafe impl Send for Pmad {}

impl Class {
    /// The index of the carved block of this class that starts at `addr`,
    /// or None when `addr` is not one. One multiply, one rotate, one
    /// compare: the rotated product is the exact quotient `offset / stride`
    /// when the stride divides the offset, and above `u64::MAX / stride`
    /// (at least 2^38, for strides of at most 64 MiB: above any carved
    /// count, since a run holds at most 2^32 bytes of blocks) when it does
    /// not (Hacker's Delight, 10-17). Unused slots have
    /// `carved == 0` and say None for every address.
    ///
    /// (`carved * stride <= 2^32 < u64::MAX`, so no carved count reaches
    /// the quotient of a misaligned offset.)
    #[inline(always)]
    fn index_of(&self, addr: usize) -> Option<usize> {
        let q = crate::stride::quotient(addr.wrapping_sub(self.first), self.inverse, self.shift);
        (q < self.carved.get()).then_some(q as usize)
    }

    /// The address of block `index`.
    #[inline(always)]
    fn address(&self, index: usize) -> usize {
        self.first + index * self.stride as usize
    }

    /// The in-use mark of block `index`: 1 while handed out, 0 otherwise.
    ///
    /// # Safety
    ///
    /// `index < capacity` of this class (so the mark is inside its map).
    #[inline(always)]
    unsafe fn mark(&self, index: usize) -> *mut u8 {
        // SAFETY: the map holds one byte per block of capacity (invariant 2)
        // and index < capacity (the caller's promise).
        unsafe { (self.in_use as *mut u8).add(index) }
    }
}

/// A size-to-class table: entry `i` is the smallest class whose block
/// holds `largest(i)` bytes (increasing in `i`), [`NO_CLASS`] above the largest.
/// Entries are slot byte offsets (`slot * CLASS_BYTES`, below 2^16), as the
/// hot paths address slots.
fn size_table<const N: usize>(
    layouts: &[ClassLayout],
    largest: impl Fn(usize) -> usize,
) -> [u16; N] {
    let mut table = [(NO_CLASS as usize * CLASS_BYTES) as u16; N];
    let mut class = 0;
    for (i, entry) in table.iter_mut().enumerate() {
        while class < layouts.len() && layouts[class].block < largest(i) {
            class += 1;
        }
        if class == layouts.len() {
            break;
        }
        *entry = (class * CLASS_BYTES) as u16;
    }
    table
}

/// A class's hot fields for its run placed at `base + run.offset`.
fn class_at(base: usize, run: &ClassLayout) -> Class {
    let stride = Stride::new(run.stride);
    Class {
        stride: run.stride as u64,
        shift: stride.shift,
        inverse: stride.inverse,
        first: base + run.offset,
        stack: base + run.offset + run.stack_offset(),
        in_use: base + run.offset + run.map_offset(),
        ..Class::default()
    }
}

impl Pmad {
    /// Builds a pool with one `mmap`, mapping pages lazily (see [`Options`]).
    pub fn new(classes: &[usize], percentages: &[usize], pool_bytes: usize) -> Result<Pmad, Error> {
        Pmad::with_options(classes, percentages, pool_bytes, Options::default())
    }

    /// Builds a pool from one of the PMAD README's reference profiles.
    pub fn from_preset(preset: Preset, pool_bytes: usize, options: Options) -> Result<Pmad, Error> {
        Pmad::with_options(preset.classes(), preset.percentages(), pool_bytes, options)
    }

    /// Builds a pool with one `mmap` (plus one `mlock` when asked).
    pub fn with_options(
        classes: &[usize],
        percentages: &[usize],
        pool_bytes: usize,
        options: Options,
    ) -> Result<Pmad, Error> {
        Pmad::from_plan(layout::plan(classes, percentages, pool_bytes)?, options)
    }

    /// Builds a pool whose class `i` holds exactly `blocks[i]` blocks, for a
    /// caller that knows its peak (a replayed trace, a sized workload):
    /// nothing is rounded to a percentage, so nothing is prefaulted that
    /// no block needs. One `mmap` (plus one `mlock` when asked).
    ///
    /// ```
    /// let pool = pmad::Pmad::with_blocks(&[64, 2 << 20], &[1000, 3], Default::default())?;
    /// assert_eq!(pool.stats()[1].capacity, 3);
    /// assert!(pool.alloc(1 << 20).is_some(), "a 1 MiB request gets a 2 MiB block");
    /// # Ok::<(), pmad::Error>(())
    /// ```
    pub fn with_blocks(
        classes: &[usize],
        blocks: &[usize],
        options: Options,
    ) -> Result<Pmad, Error> {
        Pmad::from_plan(layout::plan_blocks(classes, blocks)?, options)
    }

    /// Maps and sets up the pool `plan` describes.
    fn from_plan(plan: layout::Plan, options: Options) -> Result<Pmad, Error> {
        let layouts = plan.runs;
        let region = Region::reserve(plan.reserve)?;
        let base = region.base();
        for run in &layouts {
            let bytes = base + run.offset..base + run.offset + run.bytes();
            if options.prefault {
                region.populate(bytes.clone());
            }
            if options.lock {
                region.lock(bytes)?; // on error `region` unmaps itself
            }
        }

        let lookup = size_table(&layouts, |slot| slot * ALIGN);
        let large = size_table(&layouts, grid::bucket_bytes);
        let classes = std::array::from_fn(|i| {
            layouts
                .get(i)
                .map_or(Class::default(), |run| class_at(base, run))
        });
        let info = layouts
            .iter()
            .map(|&layout| ClassInfo {
                layout,
                start: base + layout.offset,
                failed: Cell::new(0),
            })
            .collect();
        Ok(Pmad {
            lookup,
            large,
            classes,
            info,
            base,
            span_shift: plan.span_shift,
            oversize: Cell::new(0),
            free_hint: Cell::new(0),
            region,
        })
    }

    /// A block of at least `size` bytes, 16-byte aligned, from the smallest
    /// class that fits. O(1): a table lookup and a stack pop. `None` when that
    /// class is exhausted (no other class is tried) or `size` is larger than
    /// the largest class. Size 0 is served like size 1: a real, distinct
    /// block of the smallest class, which must be freed like any other.
    /// Touches no byte of any block.
    #[inline]
    pub fn alloc(&self, size: usize) -> Option<NonNull<u8>> {
        if size > SMALL_LIMIT {
            return self.alloc_large(size);
        }
        // Cannot overflow after the check above; `div_ceil` costs 5 instructions to this 2.
        #[allow(clippy::manual_div_ceil)]
        let offset = self.lookup[(size + ALIGN - 1) / ALIGN] as usize;
        // SAFETY: every lookup entry is a slot's offset (invariant 1).
        unsafe { self.pop(offset) }
    }

    /// `alloc` above [`SMALL_LIMIT`]: the class from the grid bucket's
    /// table. Out of line, so the small path stays as short as it was.
    #[inline(never)]
    fn alloc_large(&self, size: usize) -> Option<NonNull<u8>> {
        if size > MAX_CLASS_BYTES {
            return self.refuse_oversize();
        }
        let offset = self.large[grid::bucket(size)] as usize;
        // SAFETY: every table entry is a slot's offset (invariant 1).
        unsafe { self.pop(offset) }
    }

    /// The class in the slot at byte `offset` of the slot array.
    ///
    /// # Safety
    ///
    /// `offset` is a multiple of `CLASS_BYTES` below `SLOTS * CLASS_BYTES`.
    #[inline(always)]
    unsafe fn class_at(&self, offset: usize) -> &Class {
        // SAFETY: the caller's promise puts a whole, aligned `Class` of the
        // array at `offset`.
        unsafe {
            &*self
                .classes
                .as_ptr()
                .cast::<u8>()
                .add(offset)
                .cast::<Class>()
        }
    }

    /// Takes a block of the class at byte `offset` of the slot array: the
    /// top of its stack, or a block never handed out, or None.
    ///
    /// # Safety
    ///
    /// `offset` is a slot's offset: a multiple of `CLASS_BYTES` below
    /// `SLOTS * CLASS_BYTES`.
    #[inline(always)]
    unsafe fn pop(&self, offset: usize) -> Option<NonNull<u8>> {
        // SAFETY: forwarded from the caller.
        let class = unsafe { self.class_at(offset) };
        let Some(top) = class.free.get().checked_sub(1) else {
            return self.carve(offset / CLASS_BYTES);
        };
        // SAFETY: `stack[..free]` holds the indices of free carved blocks
        // (invariant 3), so `stack[top]` is inside the stack.
        let index = unsafe { *(class.stack as *const u32).add(top as usize) } as usize;
        class.free.set(top);
        // SAFETY: index < carved <= capacity; the mark is in this class's
        // map, in the live mapping. A plain store, not a read-modify-write:
        // the next `free` of this block does not wait on an earlier one.
        unsafe { *class.mark(index) = 1 };
        // SAFETY: a block address inside the live mapping, so not null.
        Some(unsafe { NonNull::new_unchecked(class.address(index) as *mut u8) })
    }

    /// Returns a block to its class's stack of free blocks. O(1): checks, then a
    /// push. Touches no byte of any block.
    ///
    /// # Panics
    ///
    /// With a message containing "foreign pointer" when `ptr` is not the
    /// start of a block this pool handed out (outside the pool, inside it but
    /// not at a block start, or in a part never handed out), and "double free"
    /// when the block is already free. Both are checked in release builds
    /// too, before any list is touched, so the pool stays intact and usable.
    ///
    /// # Safety
    ///
    /// After this call the block's bytes are the pool's again: they must not
    /// be read or written through `ptr` or any copy of it.
    ///
    /// Passing `ptr` to `free` again, or passing a pointer this pool never
    /// handed out, is *not* undefined behaviour: it is detected and panics
    /// before anything is modified (see Panics). Tests rely on this. (The
    /// pool keeps no data inside blocks, so no write to a block can hide it.)
    #[inline]
    pub unsafe fn free(&self, ptr: NonNull<u8>) {
        let addr = ptr.as_ptr() as usize;
        // First the class of the last freed pointer: its state is found
        // without waiting on `addr`, so the push's loads and stores need not
        // wait for the arithmetic below (the common case in a loop that frees
        // what it allocates). The checks decide; the guess only saves time.
        // SAFETY: the hint is always a slot's offset (invariant 6).
        let class = unsafe { self.class_at(self.free_hint.get() as usize) };
        match class.index_of(addr) {
            // SAFETY: `index` was just derived; the rest is forwarded from the caller.
            Some(index) => unsafe { self.push(class, index) },
            // SAFETY: forwarded from the caller.
            None => unsafe { self.free_located(addr) },
        }
    }

    /// `free` when the hinted class is not the pointer's: the class from the
    /// address by arithmetic alone, which becomes the next hint.
    ///
    /// # Safety
    ///
    /// As for [`Pmad::free`].
    #[inline(never)]
    unsafe fn free_located(&self, addr: usize) {
        // The run `addr` would belong to. Masking keeps any address, even one
        // below `base` or far above, inside the slot array; the checks below
        // then reject it unless it really is a block of that slot's class.
        let slot = (addr.wrapping_sub(self.base) >> self.span_shift) % SLOTS;
        // SAFETY: slot < SLOTS.
        let class = unsafe { self.classes.get_unchecked(slot) };
        // SAFETY: forwarded from the caller.
        unsafe { self.release(class, addr) };
        self.free_hint.set((slot * CLASS_BYTES) as u16); // SLOTS * 64 < 2^16
    }

    /// Pushes `addr` onto `class`'s stack after checking that it is a carved
    /// block start of that class. Panics otherwise, touching nothing.
    ///
    /// # Safety
    ///
    /// As for [`Pmad::free`].
    #[inline(always)]
    unsafe fn release(&self, class: &Class, addr: usize) {
        let Some(index) = class.index_of(addr) else {
            foreign_pointer(addr);
        };
        // SAFETY: forwarded from the caller; `index` was just derived.
        unsafe { self.push(class, index) }
    }

    /// Checks that block `index` is in use, then marks it free and pushes
    /// its index. Panics with "double free" otherwise, touching nothing (the
    /// address for the message is rebuilt from the index, off the hot path).
    ///
    /// # Safety
    ///
    /// `index` is a carved block of `class` (below `carved`), and as for
    /// [`Pmad::free`].
    #[inline(always)]
    unsafe fn push(&self, class: &Class, index: usize) {
        // SAFETY: index < carved <= capacity.
        let mark = unsafe { class.mark(index) };
        // SAFETY: `mark` is in this class's map, in the live mapping.
        if unsafe { *mark } == 0 {
            double_free(class, index);
        }
        // SAFETY: as above.
        unsafe { *mark = 0 };
        let free = class.free.get();
        // SAFETY: the block was in use, so fewer than `carved` blocks are on
        // the stack (invariant 3): `stack[free]` is inside it.
        unsafe { *(class.stack as *mut u32).add(free as usize) = index as u32 }; // < capacity < 2^32
        class.free.set(free + 1);
    }

    /// `free` for a caller that knows the size it asked for (as Rust's
    /// `GlobalAlloc::dealloc` does). Same checks, same panics, same safety
    /// contract as [`Pmad::free`]; the size only picks which class to check
    /// first, from the lookup table instead of the address. A size that does
    /// not match the block's class falls back to the full `free` path, so a
    /// wrong size is never unsafe.
    ///
    /// # Safety
    ///
    /// As for [`Pmad::free`].
    #[inline]
    pub unsafe fn free_sized(&self, ptr: NonNull<u8>, size: usize) {
        let addr = ptr.as_ptr() as usize;
        let Some(&offset) = self.lookup.get(size.wrapping_add(ALIGN - 1) / ALIGN) else {
            // SAFETY: forwarded from the caller.
            return unsafe { self.free_located(addr) };
        };
        // SAFETY: every lookup entry is a slot's offset (invariant 1).
        let class = unsafe { self.class_at(offset as usize) };
        let Some(index) = class.index_of(addr) else {
            // Not a carved block of the class `size` maps to: let `free` decide.
            // SAFETY: forwarded from the caller.
            return unsafe { self.free_located(addr) };
        };
        // SAFETY: `index` was just derived; the rest is forwarded from the caller.
        unsafe { self.push(class, index) }
    }

    /// The block size a request of `size` bytes would get, without allocating:
    /// `None` when no class fits. For reporting internal waste.
    pub fn block_size_for(&self, size: usize) -> Option<usize> {
        let offset = match size {
            0..=SMALL_LIMIT => self.lookup[size.div_ceil(ALIGN)],
            _ if size <= MAX_CLASS_BYTES => self.large[grid::bucket(size)],
            _ => return None,
        };
        self.info
            .get(offset as usize / CLASS_BYTES)
            .map(|info| info.layout.block)
    }

    /// The usable bytes of the block that starts at `ptr` (one this pool
    /// handed out, free or not): what a realloc may copy and
    /// malloc_usable_size answers. `None` for any other pointer. O(1), by
    /// address arithmetic; touches no byte of any block.
    pub fn block_bytes_at(&self, ptr: *const u8) -> Option<usize> {
        let addr = ptr as usize;
        if !self.contains(ptr) {
            return None;
        }
        let slot = (addr.wrapping_sub(self.base) >> self.span_shift) % SLOTS;
        // SAFETY: slot < SLOTS.
        let class = unsafe { self.classes.get_unchecked(slot) };
        class.index_of(addr)?;
        self.info.get(slot).map(|info| info.layout.block)
    }

    /// True when `ptr` points into this pool's mapping.
    pub fn contains(&self, ptr: *const u8) -> bool {
        (ptr as usize).wrapping_sub(self.region.base()) < self.region.len()
    }

    /// Per-class counters, smallest class first.
    pub fn stats(&self) -> Vec<ClassStats> {
        self.info
            .iter()
            .zip(&self.classes)
            .map(|(info, class)| ClassStats {
                class_bytes: info.layout.size,
                block_bytes: info.layout.block,
                capacity: info.layout.capacity,
                in_use: (class.carved.get() - u64::from(class.free.get())) as usize,
                high_water: class.carved.get() as usize,
                failed: info.failed.get(),
                metadata_bytes: info.layout.metadata_bytes(),
            })
            .collect()
    }

    /// Requests refused because they were larger than the largest class.
    pub fn oversize_requests(&self) -> u64 {
        self.oversize.get()
    }

    /// Address space the pool reserves: every run, and the untouched gaps
    /// that put each run at a power-of-two offset.
    pub fn mapped_bytes(&self) -> usize {
        self.region.len()
    }

    /// The mapping's address range `[start, end)`, for tools that inspect it.
    pub fn mapped_range(&self) -> std::ops::Range<usize> {
        self.region.base()..self.region.base() + self.region.len()
    }

    /// The address range of each class's run (its blocks, then on its own
    /// pages its metadata), smallest class first: the only memory the pool
    /// uses. The pool itself writes only the metadata pages.
    pub fn runs(&self) -> Vec<std::ops::Range<usize>> {
        self.info
            .iter()
            .map(|i| i.start..i.start + i.layout.bytes())
            .collect()
    }

    /// Bytes of all runs together: what a prefaulted pool keeps resident.
    pub fn pool_bytes(&self) -> usize {
        self.info.iter().map(|i| i.layout.bytes()).sum()
    }

    /// The class's stack is empty: hand out its next never-used block, or
    /// fail. A block is carved only when every carved block is in use, so the
    /// number carved is exactly the high-water mark of blocks in use.
    #[inline(never)]
    fn carve(&self, slot: usize) -> Option<NonNull<u8>> {
        let Some(info) = self.info.get(slot) else {
            return self.refuse_oversize();
        };
        let class = &self.classes[slot];
        let index = class.carved.get() as usize;
        if index == info.layout.capacity {
            info.failed.set(info.failed.get() + 1);
            return None;
        }
        // SAFETY: index < capacity; the mark is in this class's map, in the
        // live mapping (the block was never handed out, so it was 0).
        unsafe { *class.mark(index) = 1 };
        class.carved.set(index as u64 + 1);
        // SAFETY: a block address inside the live mapping, so not null.
        Some(unsafe { NonNull::new_unchecked(class.address(index) as *mut u8) })
    }

    #[cold]
    #[inline(never)]
    fn refuse_oversize(&self) -> Option<NonNull<u8>> {
        self.oversize.set(self.oversize.get() + 1);
        None
    }
}

#[cold]
#[inline(never)]
fn foreign_pointer(addr: usize) -> ! {
    panic!("pmad: foreign pointer {addr:#x} passed to free: not the start of a block this pool handed out")
}

/// Panics for a double free of block `index` of `class`. The address for
/// the message is rebuilt here, so the hot path keeps nothing alive for it.
#[cold]
#[inline(never)]
fn double_free(class: &Class, index: usize) -> ! {
    let addr = class.address(index);
    panic!("pmad: double free of block {addr:#x}: it is already free")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blocks_bytes_are_read_from_its_address_alone() {
        let pool = Pmad::with_blocks(&[16, 100, 5000, 1 << 20], &[3, 3, 3, 2], Options::default())
            .unwrap();
        for size in [1, 16, 17, 100, 4000, 5000, 70_000, 1 << 20] {
            let p = pool.alloc(size).unwrap();
            assert_eq!(
                pool.block_bytes_at(p.as_ptr()),
                pool.block_size_for(size),
                "{size}"
            );
            // A pointer inside the block is not a block start.
            assert_eq!(
                pool.block_bytes_at(p.as_ptr().wrapping_add(16)),
                None,
                "{size}"
            );
            // SAFETY: `p` came from this pool and is freed once.
            unsafe { pool.free(p) };
        }
        assert_eq!(pool.block_bytes_at(std::ptr::null()), None);
        let outside = 0u64;
        assert_eq!(pool.block_bytes_at((&outside as *const u64).cast()), None);
    }

    #[test]
    fn hot_class_state_is_one_cache_line() {
        assert_eq!(std::mem::size_of::<Class>(), 64);
    }

    #[test]
    fn lookup_maps_every_size_to_the_smallest_fitting_class() {
        let pool = Pmad::new(&[16, 64, 256, 1000], &[25, 25, 25, 25], 1 << 20).unwrap();
        for size in 0..=SMALL_LIMIT {
            let expected = [16, 64, 256, 1008].iter().position(|&b| size <= b);
            let offset = pool.lookup[size.div_ceil(16)] as usize;
            assert_eq!(offset % CLASS_BYTES, 0, "size {size}: not a slot's offset");
            let slot = (offset / CLASS_BYTES) as u8;
            match expected {
                Some(class) => assert_eq!(slot as usize, class, "size {size}"),
                None => assert_eq!(slot, NO_CLASS, "size {size}"),
            }
        }
        let none = (NO_CLASS as usize * CLASS_BYTES) as u16;
        assert!(pool.large.iter().all(|&offset| offset == none));
    }

    #[test]
    fn large_requests_find_the_smallest_large_class_that_fits() {
        // A small class, one on the 64 KiB edge, and three on the grid.
        let classes = [48, SMALL_LIMIT, 100_000, 1 << 20, MAX_CLASS_BYTES];
        let blocks = [48, SMALL_LIMIT, 106_496, 1 << 20, MAX_CLASS_BYTES];
        let pool = Pmad::new(&classes, &[1, 1, 1, 1, 96], 1 << 28).unwrap();
        let expect = |size: usize| blocks.iter().position(|&b| size <= b);
        let edges = (0..grid::BUCKETS).flat_map(|k| {
            let b = grid::bucket_bytes(k);
            [b - 1, b, b + 1]
        });
        for size in (0..=SMALL_LIMIT + 1)
            .chain(edges)
            .chain([MAX_CLASS_BYTES + 1])
        {
            let got = pool.block_size_for(size);
            assert_eq!(got, expect(size).map(|i| blocks[i]), "size {size}");
        }
        for (slot, &entry) in pool.large.iter().enumerate() {
            let want = expect(grid::bucket_bytes(slot)).map_or(NO_CLASS as usize, |i| i);
            assert_eq!(entry as usize, want * CLASS_BYTES, "bucket {slot}");
        }
    }
}
