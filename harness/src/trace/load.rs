//! A trace file made ready to replay (`harness replay`): decoded whole
//! before anything is timed (the replay loop reads and decodes nothing),
//! kept to its first `--ops` calls, checked by [`Trace::new`], and kept for
//! the rest of the process, since every allocator and every repeat replays
//! the same one.
//!
//! How each C call becomes a replayed call: malloc, calloc, realloc and
//! free as themselves; posix_memalign, aligned_alloc and memalign as an
//! aligned call at their alignment (memalign's rounded up to a power of
//! two, as glibc does); valloc as an aligned call at 4096 bytes, and
//! pvalloc too, its size rounded up to whole 4096-byte pages (what glibc
//! hands out); malloc_usable_size as a question, asked and not timed.

use super::{file::Reader, Event, Kind};
use std::path::Path;
use workloads::replay::{Call, CallKind, Trace};

/// valloc's and pvalloc's alignment, and pvalloc's unit: a page.
const PAGE: u64 = 4096;

/// The replayed call of one recorded event; errors name the call.
fn call_of(n: u64, e: &Event) -> Result<Call, String> {
    let id = |v: u64| {
        u32::try_from(v).map_err(|_| {
            format!("call {n}: object {v} is beyond the 2^32 objects a replay can hold")
        })
    };
    let (kind, size, align) = match e.kind {
        Kind::Malloc => (CallKind::Malloc, e.size, 0),
        Kind::Calloc => (CallKind::Calloc, e.size, 0),
        Kind::Realloc => (CallKind::Realloc, e.size, 0),
        Kind::Free => (CallKind::Free, 0, 0),
        Kind::UsableSize => (CallKind::UsableSize, e.size, 0),
        Kind::PosixMemalign | Kind::AlignedAlloc | Kind::Memalign => (
            CallKind::Aligned,
            e.size,
            e.align.max(1).checked_next_power_of_two().unwrap_or(0),
        ),
        Kind::Valloc => (CallKind::Aligned, e.size, PAGE),
        Kind::Pvalloc => (
            CallKind::Aligned,
            e.size.max(1).div_ceil(PAGE).saturating_mul(PAGE),
            PAGE,
        ),
    };
    Ok(Call {
        kind,
        id: id(e.id)?,
        old: id(e.old)?,
        size,
        // Beyond u32: refused by Trace::new as not an alignment it serves.
        align: u32::try_from(align).unwrap_or(3),
        thread: e.thread,
    })
}

/// Reads `path` (its first `max_calls` calls, or all), names it `name`, and
/// checks it whole. Every error is one line naming the file.
pub fn load(path: &Path, name: &str, max_calls: Option<u64>) -> Result<&'static Trace, String> {
    let shown = path.display();
    let mut reader = Reader::open(path)?;
    let mut calls = Vec::new();
    while max_calls.is_none_or(|m| (calls.len() as u64) < m) {
        let Some(e) = reader.next_event()? else {
            break;
        };
        calls.push(call_of(calls.len() as u64, &e).map_err(|e| format!("{shown}: {e}"))?);
    }
    if calls.is_empty() {
        return Err(format!(
            "{shown}: the trace holds no calls: nothing to replay"
        ));
    }
    let trace = Trace::new(name, calls).map_err(|e| format!("{shown}: {e}"))?;
    Ok(Box::leak(Box::new(trace)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: Kind, size: u64, align: u64) -> Event {
        Event {
            kind,
            thread: 0,
            dt_ns: 0,
            id: 1,
            old: 0,
            size,
            align,
        }
    }

    #[test]
    fn page_calls_are_aligned_calls_and_pvalloc_takes_whole_pages() {
        let c = call_of(0, &event(Kind::Valloc, 100, 0)).unwrap();
        assert_eq!((c.kind, c.size, c.align), (CallKind::Aligned, 100, 4096));
        let c = call_of(0, &event(Kind::Pvalloc, 4097, 0)).unwrap();
        assert_eq!((c.size, c.align), (8192, 4096));
        let c = call_of(0, &event(Kind::Pvalloc, 0, 0)).unwrap();
        assert_eq!(c.size, 4096);
        let c = call_of(0, &event(Kind::Memalign, 10, 48)).unwrap();
        assert_eq!(c.align, 64, "rounded up to a power of two, as glibc does");
        let c = call_of(0, &event(Kind::AlignedAlloc, 10, 1 << 40)).unwrap();
        assert!(!c.align.is_power_of_two(), "refused later: {}", c.align);
    }

    #[test]
    fn an_object_beyond_u32_is_named() {
        let mut e = event(Kind::Malloc, 8, 0);
        e.id = 1 << 33;
        let err = call_of(7, &e).unwrap_err();
        assert!(err.starts_with("call 7: object 8589934592"), "{err}");
    }
}
