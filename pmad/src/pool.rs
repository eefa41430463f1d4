//! The pool: a lookup table, one free list per class, and the hot paths.
//!
//! The invariants are stated once in the crate docs (`lib.rs`); the comments
//! here name which one each step relies on.

use crate::layout::{self, ClassLayout};
use crate::region::Region;
use crate::stride::Stride;
use crate::{ClassStats, Error, Options, Preset, HEADER_BYTES, MAX_CLASSES, MAX_CLASS_BYTES};
use std::cell::Cell;
use std::ptr::{self, NonNull};

/// Entries in the size lookup table: one per 16 bytes, 0 to `MAX_CLASS_BYTES`.
const LOOKUP_LEN: usize = MAX_CLASS_BYTES / HEADER_BYTES + 1;

/// Class slots: a power of two above `MAX_CLASSES`, so `free` can mask a
/// header's class index into range instead of comparing it. Unused slots
/// have nothing carved, so no pointer ever passes their checks.
const SLOTS: usize = 2 * MAX_CLASSES;

/// The slot that serves no size: sizes above the largest class map to it.
const NO_CLASS: u8 = MAX_CLASSES as u8;

/// `Header::next` of a block that is handed out. Free blocks hold 0 or an
/// aligned header address there, never 1, so this marks "in use" exactly.
const IN_USE: usize = 1;

/// The 16 bytes in front of every block.
#[repr(C, align(16))]
struct Header {
    /// Free: the next free header of the class (0 at the end). In use: `IN_USE`.
    next: usize,
    /// Index of the block's class.
    class: u32,
    _reserved: u32,
}

/// What the hot paths touch of one class: exactly one cache line.
#[derive(Default)]
#[repr(C, align(64))]
struct Class {
    /// Top of the free list: a header address, or 0 when empty.
    head: Cell<usize>,
    /// Bytes of the run carved so far: blocks at offsets below it have been
    /// handed out at least once.
    carved: Cell<usize>,
    /// Address of the first block's payload.
    first_payload: usize,
    /// Blocks handed out, ever. Only `alloc` writes it and only `free` writes
    /// `frees`: one shared in-use counter would chain every alloc to the free
    /// before it through memory (measured: 7.5 against 4.5 ns a pair).
    allocs: Cell<u64>,
    frees: Cell<u64>,
    stride: Stride,
}

/// What only carving and statistics need of one class.
struct ClassInfo {
    layout: ClassLayout,
    /// Address of the run's first header.
    start: usize,
    failed: Cell<u64>,
}

/// A deterministic single-threaded pool allocator. See the crate docs.
///
/// `Send` (a pool may move to another thread with its blocks) but not `Sync`
/// (its `Cell`s make it so): one pool per thread, by construction.
pub struct Pmad {
    /// `lookup[ceil(size / 16)]` is the slot of the smallest class that fits.
    lookup: [u8; LOOKUP_LEN],
    /// `classes[..info.len()]` are the user's, in order; the rest are empty.
    classes: [Class; SLOTS],
    info: Vec<ClassInfo>,
    /// Class `i`'s run starts at `base + (i << span_shift)`: `free` finds a
    /// pointer's class by arithmetic alone (invariant 2).
    base: usize,
    span_shift: u32,
    oversize: Cell<u64>,
    region: Region,
}

// SAFETY: a Pmad owns its mapping and every free list in it outright; nothing
// refers to thread-local state, so moving it to another thread is sound. Its
// Cells keep it !Sync, so it is never used from two threads at once.
unsafe impl Send for Pmad {}

impl Class {
    /// True when `addr` is a block start of this class that has been handed
    /// out at least once: inside the carved part of its run, a whole number of
    /// strides in (invariant 2). Unused slots have carved == 0 and say no.
    #[inline(always)]
    fn holds_carved_block(&self, addr: usize) -> bool {
        let offset = addr.wrapping_sub(self.first_payload);
        offset < self.carved.get() && self.stride.divides(offset)
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
        let plan = layout::plan(classes, percentages, pool_bytes)?;
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

        let mut lookup = [NO_CLASS; LOOKUP_LEN];
        let mut class = 0;
        for (slot, entry) in lookup.iter_mut().enumerate() {
            while class < layouts.len() && layouts[class].block < slot * HEADER_BYTES {
                class += 1;
            }
            if class == layouts.len() {
                break;
            }
            *entry = class as u8;
        }

        let classes = std::array::from_fn(|i| match layouts.get(i) {
            Some(run) => Class {
                first_payload: base + run.offset + HEADER_BYTES,
                stride: Stride::new(run.stride),
                ..Class::default()
            },
            None => Class::default(),
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
            classes,
            info,
            base,
            span_shift: plan.span_shift,
            oversize: Cell::new(0),
            region,
        })
    }

    /// A block of at least `size` bytes, 16-byte aligned, from the smallest
    /// class that fits. O(1): a table lookup and a list pop. `None` when that
    /// class is exhausted (no other class is tried) or `size` is larger than
    /// the largest class. Size 0 is served like size 1: a real, distinct
    /// block of the smallest class, which must be freed like any other.
    #[inline]
    pub fn alloc(&self, size: usize) -> Option<NonNull<u8>> {
        if size > MAX_CLASS_BYTES {
            return self.refuse_oversize();
        }
        // Cannot overflow after the check above; `div_ceil` costs 5 instructions to this 2.
        #[allow(clippy::manual_div_ceil)]
        let slot = self.lookup[(size + HEADER_BYTES - 1) / HEADER_BYTES] as usize;
        // SAFETY: every lookup entry is below SLOTS (invariant 1).
        let class = unsafe { self.classes.get_unchecked(slot) };
        let header = class.head.get();
        if header == 0 {
            return self.carve(slot);
        }
        // SAFETY: a non-zero head is the header of a free block of this class
        // inside the live mapping (invariant 3); its `next` is the rest of the list.
        unsafe {
            let header = header as *mut Header;
            class.head.set((*header).next);
            (*header).next = IN_USE;
        }
        class.allocs.set(class.allocs.get() + 1);
        // SAFETY: header + 16 is inside the block, so not null.
        Some(unsafe { NonNull::new_unchecked((header + HEADER_BYTES) as *mut u8) })
    }

    /// Returns a block to its class's free list. O(1): checks, then a push.
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
    /// be read or written through `ptr` or any copy of it. The bytes in front
    /// of every block (its header) must not have been overwritten.
    ///
    /// Passing `ptr` to `free` again, or passing a pointer this pool never
    /// handed out, is *not* undefined behaviour under that condition: it is
    /// detected and panics before anything is modified (see Panics). Tests
    /// rely on this.
    #[inline]
    pub unsafe fn free(&self, ptr: NonNull<u8>) {
        let addr = ptr.as_ptr() as usize;
        // The run `addr` would belong to. Masking keeps any address, even one
        // below `base` or far above, inside the slot array; the checks below
        // then reject it unless it really is a block of that slot's class.
        let slot = (addr.wrapping_sub(self.base) >> self.span_shift) % SLOTS;
        // SAFETY: slot < SLOTS.
        let class = unsafe { self.classes.get_unchecked(slot) };
        // SAFETY: forwarded from the caller.
        unsafe { self.release(class, addr) }
    }

    /// Pushes `addr` onto `class`'s list after checking that it is a carved
    /// block start of that class. Panics otherwise, touching nothing.
    ///
    /// # Safety
    ///
    /// As for [`Pmad::free`].
    #[inline(always)]
    unsafe fn release(&self, class: &Class, addr: usize) {
        if !class.holds_carved_block(addr) {
            foreign_pointer(addr);
        }
        // SAFETY: forwarded from the caller; `addr` was just checked.
        unsafe { self.push(class, addr) }
    }

    /// Checks that the block at `addr` is in use, then pushes it. Panics
    /// with "double free" otherwise, touching nothing.
    ///
    /// # Safety
    ///
    /// `class.holds_carved_block(addr)` is true, and as for [`Pmad::free`].
    #[inline(always)]
    unsafe fn push(&self, class: &Class, addr: usize) {
        let header = (addr - HEADER_BYTES) as *mut Header;
        // SAFETY: `header` is the aligned header of a carved block of `class`
        // (invariant 2), so in use or on this list (invariant 3).
        unsafe {
            if (*header).next != IN_USE {
                double_free(addr);
            }
            (*header).next = class.head.get();
        }
        class.head.set(header as usize);
        class.frees.set(class.frees.get() + 1);
    }

    /// `free` for a caller that knows the size it asked for (as Rust's
    /// `GlobalAlloc::dealloc` does). Same checks, same panics, same safety
    /// contract as [`Pmad::free`]; the size only picks which class to check
    /// first. Faster because the list head's address then depends on `size`,
    /// not on a load from the block's header: the next `alloc` need not wait
    /// for that load. A size that does not match the block's class falls back
    /// to the full `free` path, so a wrong size is never unsafe.
    ///
    /// # Safety
    ///
    /// As for [`Pmad::free`].
    #[inline]
    pub unsafe fn free_sized(&self, ptr: NonNull<u8>, size: usize) {
        let addr = ptr.as_ptr() as usize;
        let Some(&slot) = self
            .lookup
            .get(size.wrapping_add(HEADER_BYTES - 1) / HEADER_BYTES)
        else {
            // SAFETY: forwarded from the caller.
            return unsafe { self.free_unhinted(ptr) };
        };
        // SAFETY: every lookup entry is below SLOTS (invariant 1).
        let class = unsafe { self.classes.get_unchecked(slot as usize) };
        if !class.holds_carved_block(addr) {
            // Not a carved block of the class `size` maps to: let `free` decide.
            // SAFETY: forwarded from the caller.
            return unsafe { self.free_unhinted(ptr) };
        }
        // SAFETY: `addr` was just checked; the rest is forwarded from the caller.
        unsafe { self.push(class, addr) }
    }

    /// `free_sized`'s way out when the size hint does not match: kept out of
    /// line so the hinted path stays straight.
    ///
    /// # Safety
    ///
    /// As for [`Pmad::free`].
    #[cold]
    #[inline(never)]
    unsafe fn free_unhinted(&self, ptr: NonNull<u8>) {
        // SAFETY: forwarded from the caller.
        unsafe { self.free(ptr) }
    }

    /// The block size a request of `size` bytes would get, without allocating:
    /// `None` when no class fits. For reporting internal waste.
    pub fn block_size_for(&self, size: usize) -> Option<usize> {
        let slot = *self.lookup.get(size.div_ceil(HEADER_BYTES))? as usize;
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
                in_use: (class.allocs.get() - class.frees.get()) as usize,
                high_water: class.carved.get() / info.layout.stride,
                failed: info.failed.get(),
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

    /// The address range of each class's run of blocks (headers included),
    /// smallest class first: the only memory the pool ever touches.
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

    /// The class's free list is empty: hand out its next never-used block, or
    /// fail. A block is carved only when every carved block is in use, so the
    /// number carved is exactly the high-water mark of blocks in use.
    #[inline(never)]
    fn carve(&self, slot: usize) -> Option<NonNull<u8>> {
        let Some(info) = self.info.get(slot) else {
            return self.refuse_oversize();
        };
        let class = &self.classes[slot];
        let carved = class.carved.get();
        if carved == info.layout.bytes() {
            info.failed.set(info.failed.get() + 1);
            return None;
        }
        let header = info.start + carved;
        // SAFETY: carved < capacity * stride, so `header` starts an uncarved
        // block of this class's run inside the live mapping, 16-aligned
        // (invariant 2); no one else refers to it.
        unsafe {
            ptr::write(
                header as *mut Header,
                Header {
                    next: IN_USE,
                    class: slot as u32,
                    _reserved: 0,
                },
            );
        }
        class.carved.set(carved + info.layout.stride);
        class.allocs.set(class.allocs.get() + 1);
        // SAFETY: header + 16 is inside the block, so not null.
        Some(unsafe { NonNull::new_unchecked((header + HEADER_BYTES) as *mut u8) })
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

#[cold]
#[inline(never)]
fn double_free(addr: usize) -> ! {
    panic!("pmad: double free of block {addr:#x}: it is already free")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hot_class_state_is_one_cache_line() {
        assert_eq!(std::mem::size_of::<Class>(), 64);
        assert_eq!(std::mem::size_of::<Header>(), HEADER_BYTES);
    }

    #[test]
    fn lookup_maps_every_size_to_the_smallest_fitting_class() {
        let pool = Pmad::new(&[16, 64, 256, 1000], &[25, 25, 25, 25], 1 << 20).unwrap();
        for size in 0..=MAX_CLASS_BYTES {
            let expected = [16, 64, 256, 1008].iter().position(|&b| size <= b);
            let slot = pool.lookup[size.div_ceil(16)];
            match expected {
                Some(class) => assert_eq!(slot as usize, class, "size {size}"),
                None => assert_eq!(slot, NO_CLASS, "size {size}"),
            }
        }
    }
}
