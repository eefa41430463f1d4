//! PMAD: a deterministic, single-threaded pool allocator.
//!
//! One `mmap` at start-up grabs the whole pool; the user declares block sizes
//! (classes) and the share of the pool each gets. After that, `alloc` is a
//! table lookup and a stack pop, `free` is a few checks and a stack push: no
//! syscall, no lock, no atomic, no loop, no division, no growth, no fallback
//! to another class, and neither ever reads or writes a byte of any block.
//! Dropping the pool is one `munmap`.
//!
//! ```
//! use pmad::Pmad;
//!
//! // The C original's example: classes {16, 64, 256} at {20, 50, 30} % of 1 MiB.
//! let pool = Pmad::new(&[16, 64, 256], &[20, 50, 30], 1024 * 1024)?;
//!
//! let x = pool.alloc(std::mem::size_of::<i32>() * 4).expect("class 16 has room");
//! // SAFETY: the block holds at least 16 bytes and is 16-byte aligned.
//! unsafe { x.cast::<[i32; 4]>().write([1, 2, 3, 4]) };
//! assert_eq!(pool.stats()[0].in_use, 1);
//!
//! // SAFETY: `x` came from this pool and is not used again.
//! unsafe { pool.free(x) };
//! assert_eq!(pool.stats()[0].in_use, 0);
//! drop(pool); // one munmap, gone
//! # Ok::<(), pmad::Error>(())
//! ```
//!
//! # Layout
//!
//! The pool is one mapping holding one run per class. Class `i`'s run
//! starts at `base + (i << span_shift)`, where `1 << span_shift` is the
//! largest run rounded up to a power of two: the gaps between runs are
//! reserved address space that is never touched (it costs no memory), and
//! in exchange `free` finds a pointer's class with a subtraction and a shift
//! instead of a memory load. A run is the class's blocks back to back (a
//! block of a class of `c` bytes is `round_up(c, 16)` bytes, its stride),
//! then, starting on the next page, the class's metadata: an in-use map
//! (one byte per block) and a stack of the free blocks (each a `u32` block
//! index; a class's blocks span at most 4 GiB). That is 5
//! bytes per block, and none of it lies in a block or on a page that holds
//! one. Blocks are carved from the start of
//! their run on first use, so a fresh pool touches no page until it hands
//! one out, unless [`Options::prefault`] asks for every page of every run up
//! front (and [`Options::lock`] for mlock).
//!
//! # Large classes
//!
//! A class may be as large as [`MAX_CLASS_BYTES`] (64 MiB). Up to
//! [`SMALL_CLASS_BYTES`] (64 KiB) a class's block is its size rounded up to
//! 16 bytes, and `alloc` finds a request's class in a flat table with an
//! entry per 16 bytes, as before. Above it a block is its size rounded up
//! to the next eighth of a power of two (73,728, 81,920, ... 131,072,
//! 147,456, ...: at most 1/8 of a block is rounding), and a large
//! request's class is found by its bucket on that grid: a leading-zero
//! count, a shift and a mask, then a second table with one entry per
//! bucket (80 in all). Still O(1), no search, and the hot path for small
//! sizes is the same compare and table load it was. `free` finds every
//! class from the address alone, as for small classes.
//!
//! What a large class costs is memory, and the pool says how much: the
//! mapping reserves address space only ([`Pmad::mapped_bytes`]); a page
//! is backed when the program first writes it. The pool never writes a
//! block, so a 2 MiB request of which the program writes 100 KiB costs
//! 100 KiB of RSS. With [`Options::prefault`] every page of every run is
//! faulted in at `new`: a class of `n` blocks of `b` bytes then costs
//! `n * b` bytes of RSS from the start (plus 5 bytes a block of
//! metadata), and `new` takes as long as the kernel needs to zero them;
//! in exchange no allocation ever takes a page fault. A run holds at most
//! 4 GiB of blocks (the bound `free`'s exact index check needs), so a 64 MiB class holds at most
//! 64 blocks.
//!
//! # Invariants
//!
//! 1. `lookup[i]` is the slot of the smallest class whose block holds
//!    `16 * i` bytes, and `large[k]` the slot of the smallest class whose
//!    block holds grid bucket `k`'s largest size, or the empty "no class"
//!    slot when none does. Both tables hold a slot as its byte offset in
//!    the slot array (a multiple of the 64-byte slot, below the slot
//!    count times 64). Every block size
//!    is either a multiple of 16 up to 64 KiB or a grid size above it, so
//!    no request between two grid sizes is given a block too small.
//! 2. Runs are disjoint, page-aligned and inside the mapping; class `i`'s
//!    run starts at `base + (i << span_shift)`. Block `k` of a run starts at
//!    `start + k * stride`, 16-byte aligned, for `k < capacity`, and
//!    `capacity * stride <= 2^32`. The run's in-use map (`capacity` bytes,
//!    rounded up to 8) starts on the first page boundary after the last
//!    block, and its stack (`capacity` `u32`s) right after the map. Blocks
//!    below `carved` have been handed out at least once; the others have
//!    never been touched. Slots with no class have `carved == 0` and
//!    `free == 0`.
//! 3. A carved block is either in use, with its in-use byte 1, or free, with
//!    its byte 0 and its index on the stack exactly once: `stack[..free]`
//!    holds exactly the indices of the free carved blocks. Bytes of uncarved
//!    blocks are 0.
//! 4. `carved - free` of a class is its number of blocks in use, and
//!    `carved` is the high-water mark of that number (a block is carved only
//!    when the stack is empty, i.e. every carved block is in use). The pool
//!    keeps no other counter on the hot paths.
//! 5. `alloc`, `free` and `free_sized` read and write only the lookup table,
//!    the class state and the metadata pages: never a byte of a block.
//! 6. `free`'s hint is always a slot's byte offset in the slot array (0 at
//!    first; `free` sets it only to the slot it derived from an address,
//!    masked into range), so following it never leaves the array.
//!
//! `free` first tries the class of the pointer it freed last (a hint,
//! always a valid slot, never trusted), and when the pointer is not a
//! carved block of that class derives the class from the address and makes
//! it the next hint. Either way it derives the block's index from its
//! offset (one multiply and a rotate, exact: see `stride.rs`), checks that
//! the index is below `carved`, then that the block's byte says in use. It
//! panics before touching any metadata otherwise, so a double free or a
//! foreign pointer can never break the invariants above, in release builds
//! too. [`Pmad::free_sized`] does the same with the class taken from the
//! size the caller asked for, falling back to `free` when the size does not
//! match.
//!
//! The tests check these invariants from outside: `tests/model.rs` drives a
//! million random operations against a shadow model and checks overlap,
//! alignment, bounds, contents, exhaustion and statistics after every step;
//! `tests/os.rs` frees and allocates a block whose pages are `PROT_NONE`.
//!
//! # What PMAD does not do
//!
//! Internal waste is real: a 65-byte request in a 256-byte class wastes 191
//! bytes. [`Pmad::block_size_for`] tells what a request gets, so callers can
//! report it. A write past a block's end corrupts the next block's data, but
//! never the pool's own bookkeeping, which lives outside the blocks.
//!
//! # Performance
//!
//! Measured with criterion (`cargo bench -p pmad`): the figures, the machine
//! and what they mean are in `pmad/README.md`, section "Measured".

mod error;
mod grid;
mod layout;
mod options;
mod pool;
mod region;
mod stats;
mod stride;

pub use error::Error;
pub use options::{Options, Preset};
pub use pool::Pmad;
pub use stats::ClassStats;

/// The alignment of every block, and the granularity of block sizes.
pub const ALIGN: usize = 16;
/// The largest class a pool accepts, in bytes: 64 MiB.
pub const MAX_CLASS_BYTES: usize = 64 * 1024 * 1024;
/// The largest class whose block is its size rounded up to [`ALIGN`]
/// (64 KiB); a larger class's block is its size rounded up to the next
/// eighth of a power of two (see "Large classes" in the crate docs).
pub const SMALL_CLASS_BYTES: usize = grid::SMALL_LIMIT;
/// The most classes a pool accepts.
pub const MAX_CLASSES: usize = 32;

/// The share of a pool (in bytes) a class of `class_bytes` needs to hold
/// `blocks` blocks: the blocks, rounded up to [`ALIGN`], and their metadata
/// (5 bytes each). A class given at least this much holds at least
/// that many blocks.
pub fn bytes_for(class_bytes: usize, blocks: usize) -> usize {
    blocks * layout::block_bytes(class_bytes) + layout::metadata_bytes(blocks)
}

/// `Pmad` is `Send` and not `Sync`: one pool per thread, by construction.
///
/// ```compile_fail
/// fn shared_between_threads<T: Sync>() {}
/// shared_between_threads::<pmad::Pmad>();
/// ```
///
/// ```
/// fn moved_to_a_thread<T: Send>() {}
/// moved_to_a_thread::<pmad::Pmad>();
/// ```
pub mod thread_safety {}

/// The README's examples, compiled and run as doc tests so they cannot rot.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
