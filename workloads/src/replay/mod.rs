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
//! A [`Trace`] ([`trace`]) is checked whole before anything is timed.
//! The live blocks are kept in a [`Table`] ([`table`]) indexed by object.
//!
//! **One thread** ([`run`]): every call in recorded order, every recorded
//! thread's calls included, cross-thread frees made by the one replaying
//! thread. **Each recorded thread on its own** ([`run_thread`], `harness
//! replay --threads`): a thread replays its own calls in order; a call on
//! a block another thread makes waits, untimed, until that thread has made
//! it (the hand-off rule glibc's trace2wl follows), so a block is never
//! freed before it was allocated. Every dependency points back in the
//! recorded order, so no two threads can wait for each other.

pub mod table;
pub mod trace;

pub use table::Table;
pub use trace::{class_of, Trace, MAX_ALIGN, MAX_SIZE};

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
    /// The recorded thread that made it, numbered from 0.
    pub thread: u32,
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
    /// Another thread of a threaded replay stopped, so this one did too.
    Abandoned,
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
            ReplayError::Abandoned => write!(
                f,
                "another replaying thread stopped (see its error), so this one stopped too"
            ),
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
    /// The live set's peak during the replay, in bytes (as allocated) and
    /// blocks; on several threads, the largest one thread saw of the blocks
    /// it made and freed itself, not the program's.
    pub peak_bytes: u64,
    pub peak_blocks: u64,
}

impl Counts {
    /// Two threads' counts together (peaks: the larger).
    pub fn add(&mut self, o: &Counts) {
        for (a, b) in self.timed.iter_mut().zip(o.timed) {
            *a += b;
        }
        self.usable_size += o.usable_size;
        self.null_frees += o.null_frees;
        self.failed_when_recorded += o.failed_when_recorded;
        self.leaked_blocks += o.leaked_blocks;
        self.leaked_bytes += o.leaked_bytes;
        self.peak_bytes = self.peak_bytes.max(o.peak_bytes);
        self.peak_blocks = self.peak_blocks.max(o.peak_blocks);
    }
}

/// Running figures, kept outside the timed region. The live set is
/// signed: on several threads, one thread may free blocks another made.
struct Tally {
    live_bytes: i64,
    live_blocks: i64,
    outcome: Outcome,
    r: Counts,
}

impl Tally {
    fn new() -> Tally {
        Tally {
            live_bytes: 0,
            live_blocks: 0,
            outcome: Outcome::new(),
            r: Counts::default(),
        }
    }

    fn born(&mut self, size: usize) {
        self.live_bytes += size as i64;
        self.live_blocks += 1;
        self.r.peak_bytes = self.r.peak_bytes.max(self.live_bytes.max(0) as u64);
        self.r.peak_blocks = self.r.peak_blocks.max(self.live_blocks.max(0) as u64);
    }

    fn gone(&mut self, size: usize) {
        self.live_bytes -= size as i64;
        self.live_blocks -= 1;
    }

    /// The outcome, with the counts in it.
    fn finish(mut self) -> Outcome {
        self.outcome.replay = Some(self.r);
        self.outcome
    }
}

/// Replays `trace` on `alloc`, every call on this thread: an [`Outcome`]
/// whose [`Outcome::replay`] holds what was counted besides the histograms.
pub fn run<A: Allocator, C: Clock, O: Observer>(
    trace: &Trace,
    alloc: &mut A,
    clock: &mut C,
    observer: &mut O,
) -> Result<Outcome, ReplayError> {
    // Sized and written before any timed call: the loop never allocates.
    let table = Table::new(trace, false);
    let calls = trace.calls.iter().enumerate().map(|(n, c)| (n as u64, c));
    replay(
        calls,
        trace.calls.len() as u64,
        &table,
        true,
        alloc,
        clock,
        observer,
    )
}

/// Replays recorded thread `thread`'s calls of `trace` on this thread, its
/// blocks in `table`, which every thread of the replay shares (made with
/// `wait`). `frees_leaks`: one thread (and one only) frees what the trace
/// never freed, once every thread has passed [`Phase::RecordingEnds`].
pub fn run_thread<A: Allocator, C: Clock, O: Observer>(
    trace: &Trace,
    thread: u32,
    table: &Table,
    frees_leaks: bool,
    alloc: &mut A,
    clock: &mut C,
    observer: &mut O,
) -> Result<Outcome, ReplayError> {
    let mine = trace.calls_of(thread);
    let calls = mine
        .iter()
        .map(|&n| (u64::from(n), &trace.calls[n as usize]));
    replay(
        calls,
        mine.len() as u64,
        table,
        frees_leaks,
        alloc,
        clock,
        observer,
    )
}

/// The recorded phase over `calls` (each with its index in the trace),
/// then the leaks freed when `frees_leaks`.
fn replay<'t, A: Allocator, C: Clock, O: Observer>(
    calls: impl Iterator<Item = (u64, &'t Call)>,
    total: u64,
    table: &Table,
    frees_leaks: bool,
    alloc: &mut A,
    clock: &mut C,
    observer: &mut O,
) -> Result<Outcome, ReplayError> {
    let mut tally = Tally::new();
    let mut windows = Windows::for_phase(total, None);
    observer.phase(Phase::RecordingStarts);
    windows.start(clock);
    let mut result = Ok(());
    for (done, (n, c)) in (1..).zip(calls) {
        if let Err(e) = step(n, c, table, alloc, clock, &mut windows, &mut tally) {
            // Threads waiting on this one's blocks stop too.
            table.stop();
            result = Err(e);
            break;
        }
        if windows.due(done) {
            let live = LiveSet {
                blocks: tally.live_blocks.max(0) as u64,
                requested_bytes: tally.live_bytes.max(0) as u64,
                usable_bytes: None,
            };
            windows.cut(done, clock, observer, &mut tally.outcome, live);
        }
        if done.is_multiple_of(crate::PROGRESS_EVERY) || done == total {
            observer.progress(done, total);
        }
    }
    tally.outcome.ops = total;
    // On several threads: every thread has ended its calls after this.
    observer.phase(Phase::RecordingEnds);
    if frees_leaks {
        for (ptr, size, align) in table.take_live() {
            tally.r.leaked_blocks += 1;
            tally.r.leaked_bytes += size as u64;
            // SAFETY: a live block of this allocator (the table holds no
            // other), taken out of the table, freed once.
            unsafe { alloc.free_aligned(ptr, size, align) };
        }
    }
    result.map(|()| tally.finish())
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

/// One call: made and timed, or counted.
fn step<A: Allocator, C: Clock>(
    n: u64,
    c: &Call,
    table: &Table,
    alloc: &mut A,
    clock: &mut C,
    windows: &mut Windows,
    tally: &mut Tally,
) -> Result<(), ReplayError> {
    let (op, ticks) = match c.kind {
        CallKind::UsableSize => {
            usable_size(c, table, alloc, tally);
            return Ok(());
        }
        CallKind::Free if c.id == 0 => {
            tally.r.null_frees += 1;
            return Ok(());
        }
        CallKind::Free => {
            let ptr = table.take(n, c.id)?;
            let (size, align) = table.block(c.id);
            let t0 = clock.start();
            // SAFETY: the table held it: a live block of this allocator,
            // made with this size and alignment, now taken out.
            unsafe { alloc.free_aligned(ptr, size, align) };
            let t1 = clock.stop();
            tally.gone(size);
            (Op::Free, t1.wrapping_sub(t0))
        }
        CallKind::Realloc => return realloc(n, c, table, alloc, clock, windows, tally),
        _ if c.id == 0 => {
            tally.r.failed_when_recorded += 1;
            return Ok(());
        }
        _ => make(n, c, table, alloc, clock, tally)?,
    };
    record(op, ticks, clock, windows, tally);
    Ok(())
}

/// A usable-size query, asked only of a block live at this moment (never
/// waited for), and counted, not timed.
fn usable_size<A: Allocator>(c: &Call, table: &Table, alloc: &mut A, tally: &mut Tally) {
    if let Some(ptr) = table.peek(c.id) {
        let (size, _) = table.block(c.id);
        std::hint::black_box(alloc.usable_size(ptr, size));
    }
    tally.r.usable_size += 1;
}

/// An alloc, calloc or aligned alloc, timed: its op and ticks.
#[inline(always)]
fn make<A: Allocator, C: Clock>(
    n: u64,
    c: &Call,
    table: &Table,
    alloc: &mut A,
    clock: &mut C,
    tally: &mut Tally,
) -> Result<(Op, u64), ReplayError> {
    let (size, align) = table.block(c.id);
    let t0 = clock.start();
    let ptr = match c.kind {
        CallKind::Calloc => alloc.alloc_zeroed(size),
        CallKind::Aligned => alloc.alloc_aligned(size, align),
        _ => alloc.alloc(size),
    };
    let t1 = clock.stop();
    if ptr.is_null() {
        return Err(refused(n, c));
    }
    touch(ptr, size);
    table.put(c.id, ptr);
    tally.born(size);
    let op = match c.kind {
        CallKind::Calloc => Op::Calloc,
        CallKind::Aligned => Op::Aligned,
        _ => Op::Alloc,
    };
    Ok((op, t1.wrapping_sub(t0)))
}

/// A realloc: of null (an allocation), to 0 bytes (a free), or a move.
fn realloc<A: Allocator, C: Clock>(
    n: u64,
    c: &Call,
    table: &Table,
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
        Some((table.take(n, c.old)?, table.block(c.old)))
    };
    let size = (c.size as usize).max(1);
    let t0 = clock.start();
    let ptr = match old {
        // realloc(p, 0) frees p (glibc).
        Some((p, (old_size, align))) if c.id == 0 => {
            // SAFETY: a live block of this allocator, taken out of the table.
            unsafe { alloc.free_aligned(p, old_size, align) };
            std::ptr::null_mut()
        }
        // SAFETY: as above; the allocator keeps the block when it returns null.
        Some((p, (old_size, align))) => unsafe { alloc.realloc(p, old_size, align, size) },
        None => alloc.alloc(size),
    };
    let t1 = clock.stop();
    if let Some((p, (old_size, _))) = old {
        if c.id != 0 && ptr.is_null() {
            table.put(c.old, p);
            return Err(refused(n, c));
        }
        tally.gone(old_size);
    }
    if c.id != 0 {
        if ptr.is_null() {
            return Err(refused(n, c));
        }
        touch(ptr, size);
        table.put(c.id, ptr);
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
