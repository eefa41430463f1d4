//! `<allocator>/churn-<size>-memory.csv`: churn's live set and RSS at the
//! end of every window (measured by `crate::memory`), and the summary of
//! them that summary.csv carries.

use serde::{Deserialize, Serialize};

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
