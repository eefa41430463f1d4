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

use serde::{Deserialize, Serialize};
use std::fs::File;
use std::os::unix::fs::FileExt;
use workloads::Window;

/// One window's figures (one CSV row).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WindowMemory {
    pub window: u64,
    /// Recorded ops (alloc + free) done when the window closed.
    pub ops_done: u64,
    pub live_blocks: u64,
    pub requested_bytes: u64,
    /// Empty when the allocator cannot tell its blocks' usable size.
    pub usable_bytes: Option<u64>,
    /// usable - requested.
    pub internal_waste_bytes: Option<u64>,
    /// The process's resident set (VmRSS) when the window closed.
    pub rss_bytes: Option<u64>,
    /// RSS minus the RSS just before the case began (negative when the
    /// allocator gave back memory that earlier cases left resident).
    pub rss_growth_bytes: Option<i64>,
}

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

/// The CSV text of a case's windows.
pub fn to_csv(windows: &[WindowMemory]) -> Result<Vec<u8>, String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for row in windows {
        w.serialize(row).map_err(|e| format!("memory csv: {e}"))?;
    }
    w.into_inner().map_err(|e| format!("memory csv: {e}"))
}

/// Reads a `churn-<size>-memory.csv` back.
pub fn from_csv(text: &[u8]) -> Result<Vec<WindowMemory>, String> {
    csv::Reader::from_reader(text)
        .deserialize()
        .collect::<Result<Vec<WindowMemory>, _>>()
        .map_err(|e| e.to_string())
}

/// A case's summary of its windows, for summary.csv.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct MemorySummary {
    /// Mean requested live bytes over the windows, in KiB.
    pub requested_kb: u64,
    /// Mean usable live bytes, in KiB (None when unknown).
    pub usable_kb: Option<u64>,
    /// (usable - requested) / usable of the means, in percent.
    pub internal_waste_pct: Option<f64>,
    /// The largest RSS growth / requested over the windows.
    pub rss_growth_over_requested: Option<f64>,
}

pub fn summarise(windows: &[WindowMemory]) -> Option<MemorySummary> {
    if windows.is_empty() {
        return None;
    }
    let n = windows.len() as f64;
    let requested = windows
        .iter()
        .map(|w| w.requested_bytes as f64)
        .sum::<f64>()
        / n;
    let usable = windows
        .iter()
        .map(|w| w.usable_bytes.map(|u| u as f64))
        .sum::<Option<f64>>()
        .map(|s| s / n);
    let ratio = windows
        .iter()
        .filter(|w| w.requested_bytes > 0)
        .map(|w| {
            w.rss_growth_bytes
                .map(|r| r as f64 / w.requested_bytes as f64)
        })
        .collect::<Option<Vec<f64>>>()
        .and_then(|v| v.into_iter().reduce(f64::max));
    let round = |x: f64, places: i32| (x * 10f64.powi(places)).round() / 10f64.powi(places);
    Some(MemorySummary {
        requested_kb: (requested / 1024.0).round() as u64,
        usable_kb: usable.map(|u| (u / 1024.0).round() as u64),
        internal_waste_pct: usable
            .filter(|&u| u > 0.0)
            .map(|u| round(100.0 * (u - requested) / u, 2)),
        rss_growth_over_requested: ratio.map(|r| round(r, 3)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
