//! One thread's slot: its counters and the header that says which parts
//! are in use (layout in `live-format`). Only the owning thread writes a
//! slot, so its counters are plain memory, not atomics; the harness reads
//! the file after the program has ended.

use live_format::{bucket, counter, slot, EMPTY_RANGE, OPS, SLOT_HEADER_BYTES, WINDOWS};

fn word(s: *mut u8, at: usize) -> *mut u64 {
    // SAFETY: `s` is a mapped slot and `at` an 8-byte field of its header.
    unsafe { s.add(at).cast() }
}

fn range(s: *mut u8, window: usize, op: usize) -> *mut u32 {
    // SAFETY: inside the slot header's range table (RANGE..RANGE_END).
    unsafe { s.add(slot::RANGE + 4 * (window * OPS + op)).cast() }
}

fn counters(s: *mut u8) -> *mut u64 {
    // SAFETY: the counters follow the slot header inside the mapping.
    unsafe { s.add(SLOT_HEADER_BYTES).cast() }
}

/// A fresh slot: every range empty (the counters are the file's zeros).
pub fn init(s: *mut u8) {
    for w in 0..WINDOWS {
        for op in 0..OPS {
            // SAFETY: the slot is mapped and this thread's alone.
            unsafe { range(s, w, op).write(EMPTY_RANGE) };
        }
    }
}

pub fn set_tid(s: *mut u8, tid: u64) {
    // SAFETY: as in `init`.
    unsafe { word(s, slot::TID).write(tid) };
}

/// Counts one call of `op` that took `ticks` and ended at `now`.
#[inline(always)]
pub fn record(s: *mut u8, op: usize, ticks: u64, now: u64) {
    let (origin, window) = crate::header::windows();
    record_at(s, op, ticks, now.saturating_sub(origin), window);
}

/// [`record`] for a call ending `since` ticks after the image's origin,
/// with windows of `window` ticks at level 0.
#[inline(always)]
fn record_at(s: *mut u8, op: usize, ticks: u64, since: u64, window: u64) {
    // SAFETY: for every access below, the slot is mapped and only this
    // thread writes it; indices are within WINDOWS, OPS and BUCKETS.
    unsafe {
        let mut level = word(s, slot::LEVEL).read();
        let mut w = since / (window << level.min(40));
        while w >= WINDOWS as u64 {
            merge(s);
            level += 1;
            w = since / (window << level.min(40));
        }
        let b = bucket(ticks);
        *counters(s).add(counter(w as usize, op, b)) += 1;
        let r = range(s, w as usize, op);
        let (lo, hi) = ((*r & 0xffff) as usize, (*r >> 16) as usize);
        if b < lo || b > hi || *r == EMPTY_RANGE {
            let (lo, hi) = if *r == EMPTY_RANGE {
                (b, b)
            } else {
                (lo.min(b), hi.max(b))
            };
            *r = lo as u32 | (hi as u32) << 16;
        }
        *word(s, slot::CALLS + 8 * op) += 1;
        let first = word(s, slot::FIRST + 8 * op);
        if *first == 0 {
            *first = ticks.max(1);
        }
    }
}

/// The bucket range of (window, op), or None.
fn used(s: *mut u8, w: usize, op: usize) -> Option<(usize, usize)> {
    // SAFETY: as in `record`.
    let r = unsafe { *range(s, w, op) };
    (r != EMPTY_RANGE).then_some(((r & 0xffff) as usize, (r >> 16) as usize))
}

/// Adds windows 2i and 2i+1 into window i, for every op, empties the
/// upper half, and doubles the windows' length (raises the level).
fn merge(s: *mut u8) {
    // SAFETY: for every access below, as in `record`.
    unsafe {
        word(s, slot::MERGING).write(1);
        let c = counters(s);
        for op in 0..OPS {
            for i in 0..WINDOWS / 2 {
                let (a, b) = (used(s, 2 * i, op), used(s, 2 * i + 1, op));
                if i > 0 {
                    // Window i's own counts were window i/2's source, added already.
                    if let Some((lo, hi)) = used(s, i, op) {
                        for k in lo..=hi {
                            *c.add(counter(i, op, k)) = 0;
                        }
                    }
                }
                let mut out: Option<(usize, usize)> = None;
                for (src, r) in [(2 * i, a), (2 * i + 1, b)] {
                    let Some((lo, hi)) = r else { continue };
                    if src != i {
                        for k in lo..=hi {
                            *c.add(counter(i, op, k)) += *c.add(counter(src, op, k));
                        }
                    }
                    out = Some(out.map_or((lo, hi), |(l, h)| (l.min(lo), h.max(hi))));
                }
                *range(s, i, op) = out.map_or(EMPTY_RANGE, |(l, h)| l as u32 | (h as u32) << 16);
            }
            for w in WINDOWS / 2..WINDOWS {
                if let Some((lo, hi)) = used(s, w, op) {
                    for k in lo..=hi {
                        *c.add(counter(w, op, k)) = 0;
                    }
                }
                *range(s, w, op) = EMPTY_RANGE;
            }
        }
        *word(s, slot::LEVEL) += 1;
        word(s, slot::MERGING).write(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use live_format::{bucket, SLOT_BYTES};

    fn read(s: *mut u8, at: usize) -> u64 {
        // SAFETY: the test's slot buffer holds every header field.
        unsafe { word(s, at).read() }
    }

    fn count(s: *mut u8, w: usize, op: usize, b: usize) -> u64 {
        // SAFETY: indices are within the slot's counters.
        unsafe { *counters(s).add(counter(w, op, b)) }
    }

    /// Calls at times 0..1000 (windows of 10 ticks: 100 of them at level
    /// 0) end at level 2 (windows of 40), every call in the window its
    /// time falls in, none lost, ranges empty above the last window.
    #[test]
    fn merging_keeps_every_call_in_the_window_of_its_time() {
        let mut buf = vec![0u64; SLOT_BYTES / 8];
        let s = buf.as_mut_ptr().cast::<u8>();
        init(s);
        for t in 0..1000u64 {
            record_at(s, (t % 2) as usize, 5 + t % 300, t, 10);
        }
        assert_eq!(read(s, slot::LEVEL), 2);
        assert_eq!(read(s, slot::MERGING), 0);
        assert_eq!(read(s, slot::CALLS), 500);
        assert_eq!(read(s, slot::CALLS + 8), 500);
        let mut total = 0;
        for t in 0..1000u64 {
            let (w, op, b) = ((t / 40) as usize, (t % 2) as usize, bucket(5 + t % 300));
            assert!(count(s, w, op, b) > 0, "call at {t}");
        }
        for w in 0..WINDOWS {
            for op in 0..OPS {
                if let Some((lo, hi)) = used(s, w, op) {
                    assert!(w < 25, "window {w} in use");
                    total += (lo..=hi).map(|b| count(s, w, op, b)).sum::<u64>();
                } else {
                    assert!((0..BUCKETS_CHECKED).all(|b| count(s, w, op, b) == 0));
                }
            }
        }
        assert_eq!(total, 1000);
    }

    const BUCKETS_CHECKED: usize = 600;
}
