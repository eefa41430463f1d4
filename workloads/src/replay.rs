//! `replay`: a recorded program's allocator calls (`harness record`),
//! made again in their recorded order on one thread, each timed alone.
//!
//! The harness decodes the trace into [`Call`]s before the loop starts, so
//! nothing is read, decoded or allocated inside it. A call's object is an
//! index into a table sized to the trace's objects, so finding the block a
//! free names is one array read, outside the timed region.
//!
//! What is timed, per op: malloc as `alloc`, free as `free`, calloc as
//! `calloc` (the allocator's zeroed path, or alloc and zero), realloc as
//! `realloc`, posix_memalign, aligned_alloc and memalign as `aligned`.
//! Every block is written (first and last byte) once allocated, as in the
//! other loops. What is not replayed, and counted instead: `free(NULL)`,
//! calls that returned null when recorded, and malloc_usable_size, which
//! is asked (through [`Allocator::usable_size`]) but not timed. A size of
//! 0 is replayed as 1 byte. Blocks the trace never frees are freed after
//! the recorded phase, untimed, and counted as the trace's leaks. There is
//! no warm-up: the trace's first calls are part of it, so each op's first
//! call is both kept apart (as every loop keeps it) and in the histogram.

use crate::{touch, Allocator, Clock, LiveSet, Observer, Op, Outcome, Phase, Windows};
use std::fmt;

/// What a call does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallKind {
    Malloc,
    Calloc,
    /// posix_memalign, aligned_alloc or memalign.
    Aligned,
    Realloc,
    Free,
    UsableSize,
}

/// One call of a trace, decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Call {
    pub kind: CallKind,
    /// The object made, released or asked about (1-based; 0: none).
    pub id: u32,
    /// realloc's old object (0: realloc of null).
    pub old: u32,
    pub size: u64,
    /// Aligned calls' alignment; 0 otherwise.
    pub align: u32,
}

/// Why a replay stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplayError {
    /// The allocator returned null: which call, what it asked for.
    Refused {
        call: u64,
        kind: CallKind,
        size: u64,
        align: u32,
    },
    /// The trace names an object it never made, or one beyond `objects`.
    Inconsistent { call: u64, id: u32 },
}

impl fmt::Display for ReplayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReplayError::Refused {
                call,
                kind,
                size,
                align,
            } => {
                write!(f, "call {call} ({kind:?} of {size} bytes")?;
                if *align > 0 {
                    write!(f, " aligned to {align}")?;
                }
                write!(f, "): the allocator returned null; the replay stops there")
            }
            ReplayError::Inconsistent { call, id } => write!(
                f,
                "call {call} names object {id}, which is not live at that point (a damaged trace)"
            ),
        }
    }
}

impl std::error::Error for ReplayError {}

/// A replay's histograms and what it did not time.
#[derive(Debug)]
pub struct Replayed {
    pub outcome: Outcome,
    /// Calls made and timed, by op.
    pub timed: [u64; Op::ALL.len()],
    /// malloc_usable_size calls asked, untimed.
    pub usable_size: u64,
    /// `free(NULL)` calls, not made.
    pub null_frees: u64,
    /// Calls that returned null when recorded, not made.
    pub failed_when_recorded: u64,
    /// Blocks (and their bytes) the trace never freed, freed after it.
    pub leaked_blocks: u64,
    pub leaked_bytes: u64,
    /// The live set's peak during the replay, in bytes asked for and blocks.
    pub peak_bytes: u64,
    pub peak_blocks: u64,
}

/// A live block: where, its size (as allocated, >= 1) and alignment.
#[derive(Clone, Copy)]
struct Block {
    ptr: *mut u8,
    size: usize,
    align: usize,
}

const NONE: Block = Block {
    ptr: std::ptr::null_mut(),
    size: 0,
    align: 1,
};

/// Running figures, kept outside the timed region.
struct Tally {
    live_bytes: u64,
    live_blocks: u64,
    r: Replayed,
}

impl Tally {
    fn born(&mut self, size: usize) {
        self.live_bytes += size as u64;
        self.live_blocks += 1;
        self.r.peak_bytes = self.r.peak_bytes.max(self.live_bytes);
        self.r.peak_blocks = self.r.peak_blocks.max(self.live_blocks);
    }

    fn gone(&mut self, size: usize) {
        self.live_bytes -= size as u64;
        self.live_blocks -= 1;
    }
}

/// Replays `calls` (objects numbered 1..=`objects`) on `alloc`.
pub fn run<A: Allocator, C: Clock, O: Observer>(
    calls: &[Call],
    objects: usize,
    alloc: &mut A,
    clock: &mut C,
    observer: &mut O,
) -> Result<Replayed, ReplayError> {
    // Sized and written before any timed call: the loop never allocates.
    let mut table = vec![NONE; objects + 1];
    let mut tally = Tally {
        live_bytes: 0,
        live_blocks: 0,
        r: Replayed {
            outcome: Outcome::new(),
            timed: [0; Op::ALL.len()],
            usable_size: 0,
            null_frees: 0,
            failed_when_recorded: 0,
            leaked_blocks: 0,
            leaked_bytes: 0,
            peak_bytes: 0,
            peak_blocks: 0,
        },
    };
    let mut windows = Windows::for_phase(calls.len() as u64, None);
    observer.phase(Phase::RecordingStarts);
    windows.start(clock);
    let result = replay(
        calls,
        &mut table,
        alloc,
        clock,
        observer,
        &mut windows,
        &mut tally,
    );
    observer.phase(Phase::RecordingEnds);
    for b in table.iter().filter(|b| !b.ptr.is_null()) {
        tally.r.leaked_blocks += 1;
        tally.r.leaked_bytes += b.size as u64;
        // SAFETY: every non-null entry is a live block from this allocator.
        unsafe { alloc.free_aligned(b.ptr, b.size, b.align) };
    }
    result.map(|()| tally.r)
}

/// The block of object `id`, taken out of the table.
fn take(table: &mut [Block], call: u64, id: u32) -> Result<Block, ReplayError> {
    let slot = table
        .get_mut(id as usize)
        .filter(|b| !b.ptr.is_null())
        .ok_or(ReplayError::Inconsistent { call, id })?;
    Ok(std::mem::replace(slot, NONE))
}

/// The allocator refused call `n`.
#[cold]
fn refused(n: u64, c: &Call) -> ReplayError {
    ReplayError::Refused {
        call: n,
        kind: c.kind,
        size: c.size,
        align: c.align,
    }
}

/// Puts a new block in the table as object `id`.
fn put(table: &mut [Block], call: u64, id: u32, b: Block) -> Result<(), ReplayError> {
    let slot = table
        .get_mut(id as usize)
        .filter(|s| s.ptr.is_null() && id != 0)
        .ok_or(ReplayError::Inconsistent { call, id })?;
    *slot = b;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn replay<A: Allocator, C: Clock, O: Observer>(
    calls: &[Call],
    table: &mut [Block],
    alloc: &mut A,
    clock: &mut C,
    observer: &mut O,
    windows: &mut Windows,
    tally: &mut Tally,
) -> Result<(), ReplayError> {
    let total = calls.len() as u64;
    for (i, c) in calls.iter().enumerate() {
        let n = i as u64;
        step(n, c, table, alloc, clock, windows, tally)?;
        let done = n + 1;
        if windows.due(done) {
            let live = LiveSet {
                blocks: tally.live_blocks,
                requested_bytes: tally.live_bytes,
                usable_bytes: None,
            };
            windows.cut(done, clock, observer, &mut tally.r.outcome, live);
        }
        if done.is_multiple_of(crate::PROGRESS_EVERY) || done == total {
            observer.progress(done, total);
        }
    }
    tally.r.outcome.ops = total;
    Ok(())
}

/// One call: made and timed, or counted.
fn step<A: Allocator, C: Clock>(
    n: u64,
    c: &Call,
    table: &mut [Block],
    alloc: &mut A,
    clock: &mut C,
    windows: &mut Windows,
    tally: &mut Tally,
) -> Result<(), ReplayError> {
    let size = (c.size as usize).max(1);
    let (op, ticks) = match c.kind {
        CallKind::UsableSize => {
            if let Some(b) = table.get(c.id as usize).filter(|b| !b.ptr.is_null()) {
                std::hint::black_box(alloc.usable_size(b.ptr, b.size));
            }
            tally.r.usable_size += 1;
            return Ok(());
        }
        CallKind::Free if c.id == 0 => {
            tally.r.null_frees += 1;
            return Ok(());
        }
        CallKind::Free => {
            let b = take(table, n, c.id)?;
            let t0 = clock.start();
            // SAFETY: the table holds only live blocks of this allocator.
            unsafe { alloc.free_aligned(b.ptr, b.size, b.align) };
            let t1 = clock.stop();
            tally.gone(b.size);
            (Op::Free, t1.wrapping_sub(t0))
        }
        CallKind::Realloc => return realloc(n, c, size, table, alloc, clock, windows, tally),
        _ if c.id == 0 => {
            tally.r.failed_when_recorded += 1;
            return Ok(());
        }
        kind => {
            let align = (c.align as usize).max(1);
            let t0 = clock.start();
            let ptr = match kind {
                CallKind::Calloc => alloc.alloc_zeroed(size),
                CallKind::Aligned => alloc.alloc_aligned(size, align),
                _ => alloc.alloc(size),
            };
            let t1 = clock.stop();
            if ptr.is_null() {
                return Err(refused(n, c));
            }
            touch(ptr, size);
            put(table, n, c.id, Block { ptr, size, align })?;
            tally.born(size);
            let op = match kind {
                CallKind::Calloc => Op::Calloc,
                CallKind::Aligned => Op::Aligned,
                _ => Op::Alloc,
            };
            (op, t1.wrapping_sub(t0))
        }
    };
    record(op, ticks, clock, windows, tally);
    Ok(())
}

/// A realloc: of null (an allocation), to 0 bytes (a free), or a move.
#[allow(clippy::too_many_arguments)]
fn realloc<A: Allocator, C: Clock>(
    n: u64,
    c: &Call,
    size: usize,
    table: &mut [Block],
    alloc: &mut A,
    clock: &mut C,
    windows: &mut Windows,
    tally: &mut Tally,
) -> Result<(), ReplayError> {
    if c.id == 0 && c.size > 0 {
        tally.r.failed_when_recorded += 1;
        return Ok(());
    }
    let old = if c.old == 0 {
        None
    } else {
        Some(take(table, n, c.old)?)
    };
    let t0 = clock.start();
    let ptr = match old {
        // realloc(p, 0) frees p (glibc).
        Some(b) if c.id == 0 => {
            // SAFETY: a live block of this allocator, taken out of the table.
            unsafe { alloc.free_aligned(b.ptr, b.size, b.align) };
            std::ptr::null_mut()
        }
        // SAFETY: as above; the allocator keeps `b` when it returns null.
        Some(b) => unsafe { alloc.realloc(b.ptr, b.size, b.align, size) },
        None => alloc.alloc(size),
    };
    let t1 = clock.stop();
    if let Some(b) = old {
        if c.id != 0 && ptr.is_null() {
            table[c.old as usize] = b;
            return Err(refused(n, c));
        }
        tally.gone(b.size);
    }
    if c.id != 0 {
        if ptr.is_null() {
            return Err(refused(n, c));
        }
        touch(ptr, size);
        let align = old.map_or(1, |b| b.align);
        put(table, n, c.id, Block { ptr, size, align })?;
        tally.born(size);
    }
    record(Op::Realloc, t1.wrapping_sub(t0), clock, windows, tally);
    Ok(())
}

#[inline(always)]
fn record<C: Clock>(op: Op, ticks: u64, clock: &mut C, windows: &mut Windows, tally: &mut Tally) {
    clock.attribute(op);
    let ns = clock.ticks_to_ns(ticks);
    windows.recorder_mut(op).record(ns);
    if tally.r.timed[op.index()] == 0 {
        *tally.r.outcome.first_call.slot_mut(op) = ns;
    }
    tally.r.timed[op.index()] += 1;
}
