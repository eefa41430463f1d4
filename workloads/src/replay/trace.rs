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
        // Each object's size and thread while it is live; None while not.
        let mut live: Vec<Option<(u64, u32)>> = vec![None; objects + 1];
        let mut by_thread: Vec<Vec<u32>> = Vec::new();
        let mut cross_thread = 0u64;
        let mut classes = Classes::default();
        let (mut largest, mut max_align) = (1u64, 0u32);
        let mut timed = [0u64; Op::ALL.len()];
        // The live set as the replay loop counts it (not as pools need it).
        let (mut bytes, mut blocks, mut peak_bytes, mut peak_blocks) = (0u64, 0u64, 0u64, 0u64);
        for (n, c) in calls.iter().enumerate() {
            let n = n as u64;
            let t = c.thread as usize;
            if by_thread.len() <= t {
                by_thread.resize_with(t + 1, Vec::new);
            }
            by_thread[t].push(n as u32);
            let makes = super::table::makes(c);
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
                let (size, made_on) = live
                    .get_mut(id as usize)
                    .and_then(Option::take)
                    .ok_or(ReplayError::Inconsistent { call: n, id })?;
                cross_thread += u64::from(made_on != c.thread);
                Ok(size)
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
                *slot = Some((size, c.thread));
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
            threads: by_thread.len() as u32,
            cross_thread,
            by_thread,
            demand,
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
