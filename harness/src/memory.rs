//! Churn's memory over time: at the end of every window, the live set (blocks,
//! requested bytes, the allocator's usable bytes) and the process's RSS, kept
//! in memory set aside before the phase and written as
//! `<allocator>/churn-<size>-memory.csv` afterwards. Requested vs usable is
//! the allocator's internal waste. RSS is process-wide, so it also holds the
//! harness and whatever earlier cases left behind; what this case added is
//! its growth over the RSS read just before the case began (before the
//! allocator set anything up for it: PMAD's and TLSF's prefaulted pools
//! count). Growth vs requested is everything the allocator holds beyond the
//! live bytes: free blocks kept, metadata, pages not returned.

pub use crate::results::memory::WindowMemory;
use std::fs::File;
use std::os::unix::fs::FileExt;
use workloads::Window;

/// Collects the windows of one churn case without allocating or faulting
/// inside the measured loop: the vector is sized and written beforehand, and
/// RSS is read with one pread of an already open /proc/self/statm.
pub struct MemoryLog {
    windows: Vec<WindowMemory>,
    statm: Option<File>,
    page: u64,
    base_rss_bytes: Option<u64>,
}

impl MemoryLog {
    /// Room for `windows` windows; reads the case's starting RSS, so call it
    /// before the allocator is set up for the case.
    pub fn new(windows: usize) -> MemoryLog {
        let mut v = vec![WindowMemory::default(); windows];
        v.clear();
        // SAFETY: sysconf takes a constant name.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(1) as u64;
        let mut log = MemoryLog {
            windows: v,
            statm: File::open("/proc/self/statm").ok(),
            page,
            base_rss_bytes: None,
        };
        log.base_rss_bytes = log.rss_pages().map(|p| p * page);
        log
    }

    /// Records window `w` (called on the measuring thread, between ops).
    pub fn push(&mut self, w: &Window<'_>) {
        if self.windows.len() == self.windows.capacity() {
            return; // never grow inside the loop
        }
        let live = w.live;
        self.windows.push(WindowMemory {
            window: w.index,
            ops_done: w.first_op + w.ops,
            live_blocks: live.blocks,
            requested_bytes: live.requested_bytes,
            usable_bytes: live.usable_bytes,
            internal_waste_bytes: live
                .usable_bytes
                .map(|u| u.saturating_sub(live.requested_bytes)),
            rss_bytes: None,
            rss_growth_bytes: None,
        });
        let rss = self.rss_pages().map(|p| p * self.page);
        if let Some(last) = self.windows.last_mut() {
            last.rss_bytes = rss;
            last.rss_growth_bytes = rss
                .zip(self.base_rss_bytes)
                .map(|(now, base)| now as i64 - base as i64);
        }
    }

    /// Resident pages: the second field of /proc/self/statm.
    fn rss_pages(&self) -> Option<u64> {
        let mut buf = [0u8; 128];
        let n = self.statm.as_ref()?.read_at(&mut buf, 0).ok()?;
        std::str::from_utf8(&buf[..n])
            .ok()?
            .split_ascii_whitespace()
            .nth(1)?
            .parse()
            .ok()
    }

    pub fn into_windows(self) -> Vec<WindowMemory> {
        self.windows
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::memory::*;

    fn w(requested: u64, usable: Option<u64>, growth: Option<i64>) -> WindowMemory {
        WindowMemory {
            requested_bytes: requested,
            usable_bytes: usable,
            rss_growth_bytes: growth,
            ..WindowMemory::default()
        }
    }

    #[test]
    fn waste_and_hoarding_come_from_the_windows() {
        let s = summarise(&[
            w(1024 * 100, Some(1024 * 125), Some(1024 * 300)),
            w(1024 * 300, Some(1024 * 375), Some(1024 * 450)),
        ])
        .unwrap();
        assert_eq!(s.requested_kb, 200);
        assert_eq!(s.usable_kb, Some(250));
        assert_eq!(s.internal_waste_pct, Some(20.0));
        assert_eq!(s.rss_growth_over_requested, Some(3.0));
        // One window that cannot tell makes the figure unknown, never zero.
        let s = summarise(&[w(10, Some(10), None), w(10, None, Some(20))]).unwrap();
        assert_eq!(
            (
                s.usable_kb,
                s.internal_waste_pct,
                s.rss_growth_over_requested
            ),
            (None, None, None)
        );
        assert!(summarise(&[]).is_none());
    }

    #[test]
    fn windows_round_trip_through_csv_and_rss_is_read() {
        let log = MemoryLog::new(1);
        assert!(log.rss_pages().is_some_and(|p| p > 0), "/proc/self/statm");
        let rows = vec![w(5, Some(16), Some(4096)), w(7, None, None)];
        let back = from_csv(&to_csv(&rows).unwrap()).unwrap();
        assert_eq!(back, rows);
    }
}
