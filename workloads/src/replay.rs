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
//!
//! A [`Trace`] is checked whole before anything is timed: every free and
//! realloc names a live object, every alignment is a power of two. The same
//! walk measures what the trace holds at once, per size class: a
//! fixed-capacity pool (PMAD, TLSF) is sized from exactly that
//! ([`Trace::demand`]). Classes are powers of two from 16 bytes up; a
//! realloc's new block counts as live before its old one is freed, since a
//! pool without an in-place path allocates, copies, then frees.

use crate::{
    touch, Allocator, Clock, Demand, LiveSet, Observer, Op, Outcome, Phase, SizeRange, Windows,
};
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
    /// A call no allocator can be asked for: an alignment that is not a
    /// power of two, or a size beyond [`MAX_SIZE`].
    Invalid { call: u64, why: &'static str },
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
            ReplayError::Invalid { call, why } => write!(f, "call {call}: {why}"),
        }
    }
}

impl std::error::Error for ReplayError {}

/// What a replay did besides its histograms ([`Outcome::replay`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
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

/// The largest size a replay asks for: 1 TiB, far beyond any block a
/// program was given, and far below where a `Layout` overflows.
pub const MAX_SIZE: u64 = 1 << 40;

/// The largest alignment a replay asks for: 1 GiB.
pub const MAX_ALIGN: u32 = 1 << 30;

/// A trace ready to replay: its calls, checked whole, and what it needs.
pub struct Trace {
    /// Its name, for messages.
    pub name: String,
    pub calls: Vec<Call>,
    /// Objects are numbered 1..=`objects`.
    pub objects: usize,
    /// The largest size it asks for (at least 1).
    pub largest: usize,
    /// The largest alignment an aligned call asks for (0: none).
    pub max_align: u32,
    /// Calls a replay times, by op ([`Op::index`]).
    pub timed: [u64; Op::ALL.len()],
    /// The live set's peak, in bytes (as the replay allocates them: a size
    /// of 0 as 1) and blocks, a realloc's old block gone before its new one
    /// is counted, as the replay loop counts it.
    pub peak_bytes: u64,
    pub peak_blocks: u64,
    /// The timed ops it makes, in [`Op::ALL`] order.
    ops: Vec<Op>,
    demand: Demand,
}

impl std::fmt::Debug for Trace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Trace({}: {} calls, {} objects)",
            self.name,
            self.calls.len(),
            self.objects
        )
    }
}

/// Two traces are the same trace, not two with equal calls: a case holds
/// its trace by reference, and compares as its own.
impl PartialEq for Trace {
    fn eq(&self, other: &Trace) -> bool {
        std::ptr::eq(self, other)
    }
}

impl Eq for Trace {}

/// The size class a block counts in when a pool is sized: the power of
/// two at or above it, 16 bytes at least (PMAD's alignment).
pub fn class_of(size: u64) -> u64 {
    size.max(16).next_power_of_two()
}

/// Live blocks per class while walking a trace, and their peaks.
#[derive(Default)]
struct Classes {
    /// Per class: live now, its peak, and allocations made.
    live: std::collections::BTreeMap<u64, (u64, u64, u64)>,
    /// Blocks live now over all classes, and their peak.
    total: u64,
    peak: u64,
}

impl Classes {
    /// One more block of `size` live (and one more allocation in its class).
    fn born(&mut self, size: u64) {
        let (live, peak, made) = self.live.entry(class_of(size)).or_default();
        *live += 1;
        *peak = (*peak).max(*live);
        *made += 1;
        self.total += 1;
        self.peak = self.peak.max(self.total);
    }

    fn gone(&mut self, size: u64) {
        if let Some((live, _, _)) = self.live.get_mut(&class_of(size)) {
            *live -= 1;
            self.total -= 1;
        }
    }
}

impl Trace {
    /// Checks `calls` whole (every object named is live where it is named,
    /// every alignment a power of two, every size within [`MAX_SIZE`]) and
    /// measures what they hold at once, per class.
    pub fn new(name: &str, calls: Vec<Call>) -> Result<Trace, ReplayError> {
        let objects = calls
            .iter()
            .map(|c| c.id.max(c.old) as usize)
            .max()
            .unwrap_or(0);
        // Each object's size while it is live; None while it is not.
        let mut live: Vec<Option<u64>> = vec![None; objects + 1];
        let mut classes = Classes::default();
        let (mut largest, mut max_align) = (1u64, 0u32);
        let mut timed = [0u64; Op::ALL.len()];
        // The live set as the replay loop counts it (not as pools need it).
        let (mut bytes, mut blocks, mut peak_bytes, mut peak_blocks) = (0u64, 0u64, 0u64, 0u64);
        for (n, c) in calls.iter().enumerate() {
            let n = n as u64;
            let makes = c.id != 0 && !matches!(c.kind, CallKind::Free | CallKind::UsableSize);
            if makes && c.size > MAX_SIZE {
                return Err(ReplayError::Invalid {
                    call: n,
                    why: "a block beyond 1 TiB, more than any program was given (a damaged trace)",
                });
            }
            if makes
                && c.kind == CallKind::Aligned
                && (!c.align.is_power_of_two() || c.align > MAX_ALIGN)
            {
                return Err(ReplayError::Invalid {
                    call: n,
                    why: "an alignment that is not a power of two up to 1 GiB (a damaged trace)",
                });
            }
            let size = c.size.max(1);
            let mut take = |id: u32| {
                live.get_mut(id as usize)
                    .and_then(Option::take)
                    .ok_or(ReplayError::Inconsistent { call: n, id })
            };
            let op = match c.kind {
                CallKind::UsableSize => None,
                CallKind::Free if c.id == 0 => None,
                CallKind::Free => {
                    let gone = take(c.id)?;
                    classes.gone(gone);
                    (bytes, blocks) = (bytes - gone, blocks - 1);
                    Some(Op::Free)
                }
                CallKind::Realloc if c.id == 0 && c.size > 0 => None,
                CallKind::Realloc => {
                    let old = if c.old == 0 { None } else { Some(take(c.old)?) };
                    if c.id != 0 {
                        classes.born(size);
                    }
                    if let Some(old) = old {
                        classes.gone(old);
                        (bytes, blocks) = (bytes - old, blocks - 1);
                    }
                    Some(Op::Realloc)
                }
                _ if c.id == 0 => None,
                kind => {
                    classes.born(size);
                    Some(match kind {
                        CallKind::Calloc => Op::Calloc,
                        CallKind::Aligned => Op::Aligned,
                        _ => Op::Alloc,
                    })
                }
            };
            if makes {
                let slot = live
                    .get_mut(c.id as usize)
                    .filter(|s| s.is_none())
                    .ok_or(ReplayError::Inconsistent { call: n, id: c.id })?;
                *slot = Some(size);
                (bytes, blocks) = (bytes + size, blocks + 1);
                peak_bytes = peak_bytes.max(bytes);
                peak_blocks = peak_blocks.max(blocks);
                largest = largest.max(size);
                if c.kind == CallKind::Aligned {
                    max_align = max_align.max(c.align);
                }
            }
            if let Some(op) = op {
                timed[op.index()] += 1;
            }
        }
        let made: u64 = classes.live.values().map(|&(_, _, m)| m).sum();
        let mut ranges = Vec::new();
        let mut exact = Vec::new();
        let mut min = 1;
        for (&class, &(_, peak, m)) in &classes.live {
            ranges.push(SizeRange {
                min,
                max: class as usize,
                share: m as f64 / made.max(1) as f64,
            });
            exact.push(peak as usize);
            min = class as usize + 1;
        }
        let demand = Demand {
            max_live: classes.peak as usize,
            random_split: false,
            ranges,
            exact: Some(exact),
        };
        Ok(Trace {
            name: name.to_string(),
            objects,
            largest: largest as usize,
            max_align,
            ops: Op::ALL
                .into_iter()
                .filter(|op| timed[op.index()] > 0)
                .collect(),
            timed,
            peak_bytes,
            peak_blocks,
            demand,
            calls,
        })
    }

    /// The ops it times, in [`Op::ALL`] order.
    pub fn ops(&self) -> &[Op] {
        &self.ops
    }

    /// What it holds at once: one range per power-of-two class it uses,
    /// each with its own peak of live blocks ([`Demand::exact`]).
    pub fn demand(&self) -> &Demand {
        &self.demand
    }
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
    outcome: Outcome,
    r: Counts,
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

/// Replays `trace` on `alloc`: an [`Outcome`] whose [`Outcome::replay`]
/// holds what was counted besides the histograms.
pub fn run<A: Allocator, C: Clock, O: Observer>(
    trace: &Trace,
    alloc: &mut A,
    clock: &mut C,
    observer: &mut O,
) -> Result<Outcome, ReplayError> {
    let calls = &trace.calls[..];
    // Sized and written before any timed call: the loop never allocates.
    let mut table = vec![NONE; trace.objects + 1];
    let mut tally = Tally {
        live_bytes: 0,
        live_blocks: 0,
        outcome: Outcome::new(),
        r: Counts::default(),
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
    result.map(|()| {
        tally.outcome.replay = Some(tally.r);
        tally.outcome
    })
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
            windows.cut(done, clock, observer, &mut tally.outcome, live);
        }
        if done.is_multiple_of(crate::PROGRESS_EVERY) || done == total {
            observer.progress(done, total);
        }
    }
    tally.outcome.ops = total;
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
        *tally.outcome.first_call.slot_mut(op) = ns;
    }
    tally.r.timed[op.index()] += 1;
}
