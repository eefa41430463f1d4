//! A trace ready to replay: its calls, checked whole before anything is
//! timed, and what they need. The walk that checks them (every object named
//! is live where it is named, every alignment a power of two, every size
//! within [`MAX_SIZE`]) also counts each op's calls, the live set's peak,
//! each recorded thread's calls and the frees made on another thread than
//! the allocation, and what the trace holds at once per size class, from
//! which a fixed-capacity pool (PMAD, TLSF) is sized ([`Trace::demand`]).
//! Classes are powers of two from 16 bytes up; a realloc's new block counts
//! as live before its old one is freed, since a pool without an in-place
//! path allocates, copies, then frees.

use super::{Call, CallKind, ReplayError};
use crate::{Demand, Op, SizeRange};
use std::fmt;

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
    /// Threads it was recorded on.
    pub threads: u32,
    /// Frees and reallocs of a block another recorded thread made.
    pub cross_thread: u64,
    /// Each recorded thread's calls, as indices into `calls`, in order.
    by_thread: Vec<Vec<u32>>,
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

impl Classes {
    /// What a pool needs to hold the walk's peaks: one range per class,
    /// shared by the allocations made in it, with its own peak of blocks.
    fn demand(&self) -> Demand {
        let made: u64 = self.live.values().map(|&(_, _, m)| m).sum();
        let mut ranges = Vec::new();
        let mut exact = Vec::new();
        let mut min = 1;
        for (&class, &(_, peak, m)) in &self.live {
            ranges.push(SizeRange {
                min,
                max: class as usize,
                share: m as f64 / made.max(1) as f64,
            });
            exact.push(peak as usize);
            min = class as usize + 1;
        }
        Demand {
            max_live: self.peak as usize,
            random_split: false,
            ranges,
            exact: Some(exact),
        }
    }
}

/// Refuses a call no program could have made: a block beyond [`MAX_SIZE`],
/// an alignment that is not a power of two up to [`MAX_ALIGN`].
fn check_call(n: u64, c: &Call) -> Result<(), ReplayError> {
    if !super::table::makes(c) {
        return Ok(());
    }
    if c.size > MAX_SIZE {
        return Err(ReplayError::Invalid {
            call: n,
            why: "a block beyond 1 TiB, more than any program was given (a damaged trace)",
        });
    }
    if c.kind == CallKind::Aligned && (!c.align.is_power_of_two() || c.align > MAX_ALIGN) {
        return Err(ReplayError::Invalid {
            call: n,
            why: "an alignment that is not a power of two up to 1 GiB (a damaged trace)",
        });
    }
    Ok(())
}

/// The walk over a trace's calls in order, and what it has counted so far.
struct Walk {
    /// Each object's size and thread while it is live; None while not.
    live: Vec<Option<(u64, u32)>>,
    by_thread: Vec<Vec<u32>>,
    cross_thread: u64,
    classes: Classes,
    largest: u64,
    max_align: u32,
    timed: [u64; Op::ALL.len()],
    /// The live set as the replay loop counts it (not as pools need it).
    bytes: u64,
    blocks: u64,
    peak_bytes: u64,
    peak_blocks: u64,
}

impl Walk {
    fn new(objects: usize) -> Walk {
        Walk {
            live: vec![None; objects + 1],
            by_thread: Vec::new(),
            cross_thread: 0,
            classes: Classes::default(),
            largest: 1,
            max_align: 0,
            timed: [0; Op::ALL.len()],
            bytes: 0,
            blocks: 0,
            peak_bytes: 0,
            peak_blocks: 0,
        }
    }

    /// Object `id` ends its life at call `n` (made by thread `made_on`'s
    /// call, ended by `thread`'s): its size, or the call is inconsistent.
    fn take(&mut self, n: u64, id: u32, thread: u32) -> Result<u64, ReplayError> {
        let (size, made_on) = self
            .live
            .get_mut(id as usize)
            .and_then(Option::take)
            .ok_or(ReplayError::Inconsistent { call: n, id })?;
        self.cross_thread += u64::from(made_on != thread);
        self.classes.gone(size);
        (self.bytes, self.blocks) = (self.bytes - size, self.blocks - 1);
        Ok(size)
    }

    /// Call `n`'s effect on the live set, and the op a replay times it as.
    fn step(&mut self, n: u64, c: &Call) -> Result<(), ReplayError> {
        let t = c.thread as usize;
        if self.by_thread.len() <= t {
            self.by_thread.resize_with(t + 1, Vec::new);
        }
        self.by_thread[t].push(n as u32);
        check_call(n, c)?;
        let size = c.size.max(1);
        let op = match c.kind {
            CallKind::UsableSize => None,
            CallKind::Free if c.id == 0 => None,
            CallKind::Free => {
                self.take(n, c.id, c.thread)?;
                Some(Op::Free)
            }
            CallKind::Realloc if c.id == 0 && c.size > 0 => None,
            CallKind::Realloc => {
                // The new block is born before the old one goes: a pool
                // without an in-place path allocates, copies, then frees.
                let old = self.live.get(c.old as usize).copied().flatten();
                if c.old != 0 && old.is_none() {
                    return Err(ReplayError::Inconsistent { call: n, id: c.old });
                }
                if c.id != 0 {
                    self.classes.born(size);
                }
                if c.old != 0 {
                    self.take(n, c.old, c.thread)?;
                }
                Some(Op::Realloc)
            }
            _ if c.id == 0 => None,
            kind => {
                self.classes.born(size);
                Some(match kind {
                    CallKind::Calloc => Op::Calloc,
                    CallKind::Aligned => Op::Aligned,
                    _ => Op::Alloc,
                })
            }
        };
        if super::table::makes(c) {
            self.made(n, c, size)?;
        }
        if let Some(op) = op {
            self.timed[op.index()] += 1;
        }
        Ok(())
    }

    /// Call `n` made object `c.id`, of `size` bytes.
    fn made(&mut self, n: u64, c: &Call, size: u64) -> Result<(), ReplayError> {
        let slot = self
            .live
            .get_mut(c.id as usize)
            .filter(|s| s.is_none())
            .ok_or(ReplayError::Inconsistent { call: n, id: c.id })?;
        *slot = Some((size, c.thread));
        (self.bytes, self.blocks) = (self.bytes + size, self.blocks + 1);
        self.peak_bytes = self.peak_bytes.max(self.bytes);
        self.peak_blocks = self.peak_blocks.max(self.blocks);
        self.largest = self.largest.max(size);
        if c.kind == CallKind::Aligned {
            self.max_align = self.max_align.max(c.align);
        }
        Ok(())
    }
}

impl Trace {
    /// Checks `calls` whole (every object named is live where it is named,
    /// every alignment a power of two, every size within [`MAX_SIZE`]) and
    /// measures what they hold at once, per class.
    pub fn new(name: &str, calls: Vec<Call>) -> Result<Trace, ReplayError> {
        if calls.len() > u32::MAX as usize {
            return Err(ReplayError::Invalid {
                call: u64::from(u32::MAX),
                why: "more than 2^32 calls: replay the first ones with --ops",
            });
        }
        let objects = calls
            .iter()
            .map(|c| c.id.max(c.old) as usize)
            .max()
            .unwrap_or(0);
        let mut walk = Walk::new(objects);
        for (n, c) in calls.iter().enumerate() {
            walk.step(n as u64, c)?;
        }
        Ok(Trace {
            name: name.to_string(),
            objects,
            largest: walk.largest as usize,
            max_align: walk.max_align,
            ops: Op::ALL
                .into_iter()
                .filter(|op| walk.timed[op.index()] > 0)
                .collect(),
            timed: walk.timed,
            peak_bytes: walk.peak_bytes,
            peak_blocks: walk.peak_blocks,
            threads: walk.by_thread.len() as u32,
            cross_thread: walk.cross_thread,
            demand: walk.classes.demand(),
            by_thread: walk.by_thread,
            calls,
        })
    }

    /// Recorded thread `thread`'s calls, as indices into `calls`, in order.
    pub fn calls_of(&self, thread: u32) -> &[u32] {
        self.by_thread
            .get(thread as usize)
            .map_or(&[], Vec::as_slice)
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
