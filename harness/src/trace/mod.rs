//! Allocation traces of real programs: recorded by the `tracer` library
//! under `harness record`, stored in the versioned format of [`file`], and
//! summarised by [`stats`].
//!
//! A trace is every malloc-family call of one process, in the order the
//! calls took effect (the recorder serialises them), each with its thread,
//! its time since the previous call, the object it made or released (an
//! id, never an address) and its size and alignment.

pub mod file;
pub mod load;
pub mod raw;
pub mod record;
pub mod replay;
pub mod stats;

use std::fmt;

use tracer_format::kind as code;

/// A malloc-family call. The codes are the raw file's and the trace's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Malloc = code::MALLOC as isize,
    Free = code::FREE as isize,
    Calloc = code::CALLOC as isize,
    Realloc = code::REALLOC as isize,
    PosixMemalign = code::POSIX_MEMALIGN as isize,
    AlignedAlloc = code::ALIGNED_ALLOC as isize,
    Memalign = code::MEMALIGN as isize,
    Valloc = code::VALLOC as isize,
    Pvalloc = code::PVALLOC as isize,
    UsableSize = code::USABLE_SIZE as isize,
}

impl Kind {
    pub const ALL: [Kind; 10] = [
        Kind::Malloc,
        Kind::Free,
        Kind::Calloc,
        Kind::Realloc,
        Kind::PosixMemalign,
        Kind::AlignedAlloc,
        Kind::Memalign,
        Kind::Valloc,
        Kind::Pvalloc,
        Kind::UsableSize,
    ];

    pub fn from_code(code: u8) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| *k as u8 == code)
    }

    /// The C function's name.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Malloc => "malloc",
            Kind::Free => "free",
            Kind::Calloc => "calloc",
            Kind::Realloc => "realloc",
            Kind::PosixMemalign => "posix_memalign",
            Kind::AlignedAlloc => "aligned_alloc",
            Kind::Memalign => "memalign",
            Kind::Valloc => "valloc",
            Kind::Pvalloc => "pvalloc",
            Kind::UsableSize => "malloc_usable_size",
        }
    }

    /// Whether the call hands out a new block (realloc hands out one and
    /// takes back another).
    pub fn allocates(self) -> bool {
        !matches!(self, Kind::Free | Kind::UsableSize)
    }

    /// Whether the call asks for an alignment.
    pub fn aligned(self) -> bool {
        matches!(
            self,
            Kind::PosixMemalign | Kind::AlignedAlloc | Kind::Memalign
        )
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// One call of a trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    pub kind: Kind,
    /// The thread, numbered from 0 in order of its first call.
    pub thread: u32,
    /// Nanoseconds since the previous event (0 for the first).
    pub dt_ns: u64,
    /// The object made (allocations) or released (free) or asked about
    /// (usable size), numbered from 1 in order of allocation; 0 for a null
    /// result or `free(NULL)`.
    pub id: u64,
    /// realloc's old object (0: realloc of null, a malloc); 0 otherwise.
    pub old: u64,
    /// Bytes asked for (calloc: count x size); usable size's answer; 0 for free.
    pub size: u64,
    /// The alignment asked for (aligned calls), else 0.
    pub align: u64,
}
