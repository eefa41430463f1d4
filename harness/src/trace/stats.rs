//! What a trace holds: calls by kind, threads, the peak of the live set
//! (bytes and blocks, as asked for), the sizes asked for, and the blocks
//! still live at its end (the program's leaks, or what it left to exit).

use super::{Event, Kind};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

/// Running figures over a trace's events, in order.
#[derive(Default)]
pub struct Stats {
    pub events: u64,
    pub by_kind: BTreeMap<Kind, u64>,
    pub threads: u32,
    /// Live objects: id -> bytes asked for.
    live: HashMap<u64, u64>,
    pub live_bytes: u64,
    pub peak_bytes: u64,
    pub peak_blocks: u64,
    /// Allocations by size class: the power of two at or above the size.
    pub sizes: BTreeMap<u64, u64>,
    /// Allocations that returned null.
    pub failed: u64,
    pub recorded_ns: u64,
}

impl Stats {
    pub fn add(&mut self, e: &Event) {
        self.events += 1;
        *self.by_kind.entry(e.kind).or_default() += 1;
        self.threads = self.threads.max(e.thread + 1);
        self.recorded_ns += e.dt_ns;
        if e.kind == Kind::Free || (e.kind == Kind::Realloc && (e.id != 0 || e.size == 0)) {
            let gone = if e.kind == Kind::Free { e.id } else { e.old };
            if let Some(bytes) = self.live.remove(&gone) {
                self.live_bytes -= bytes;
            }
        }
        if e.kind.allocates() {
            if e.id == 0 {
                if e.size > 0 {
                    self.failed += 1;
                }
                return;
            }
            *self.sizes.entry(e.size.next_power_of_two()).or_default() += 1;
            self.live.insert(e.id, e.size);
            self.live_bytes += e.size;
            self.peak_bytes = self.peak_bytes.max(self.live_bytes);
            self.peak_blocks = self.peak_blocks.max(self.live.len() as u64);
        }
    }

    /// Blocks and bytes live now (at the end: never freed).
    pub fn live(&self) -> (u64, u64) {
        (self.live.len() as u64, self.live_bytes)
    }

    /// The summary `harness record` prints.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{} calls on {} thread(s) over {:.3} s",
            self.events,
            self.threads,
            self.recorded_ns as f64 / 1e9
        );
        for (k, n) in &self.by_kind {
            let _ = writeln!(s, "  {:<20} {n}", k.name());
        }
        let _ = writeln!(
            s,
            "peak live: {} bytes in {} blocks (as asked for)",
            self.peak_bytes, self.peak_blocks
        );
        let (blocks, bytes) = self.live();
        let _ = writeln!(
            s,
            "live at the end (never freed): {bytes} bytes in {blocks} blocks"
        );
        if self.failed > 0 {
            let _ = writeln!(s, "allocations that returned null: {}", self.failed);
        }
        let total: u64 = self.sizes.values().sum();
        let _ = writeln!(s, "sizes asked for (share of {total} allocations):");
        for (&class, &n) in &self.sizes {
            let lo = if class <= 1 { 0 } else { class / 2 + 1 };
            let _ = writeln!(
                s,
                "  {lo:>9} - {class:<9} {n:>10}  {:5.1} %",
                100.0 * n as f64 / total.max(1) as f64
            );
        }
        s
    }
}

/// The figures of a trace file, read through once.
pub fn of_file(path: &std::path::Path) -> Result<Stats, String> {
    let mut r = super::file::Reader::open(path)?;
    let mut s = Stats::default();
    while let Some(e) = r.next_event()? {
        s.add(&e);
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(kind: Kind, id: u64, old: u64, size: u64) -> Event {
        Event {
            kind,
            thread: 0,
            dt_ns: 1,
            id,
            old,
            size,
            align: 0,
        }
    }

    #[test]
    fn the_live_set_follows_frees_and_reallocs() {
        let mut s = Stats::default();
        for ev in [
            e(Kind::Malloc, 1, 0, 100),
            e(Kind::Calloc, 2, 0, 50),
            e(Kind::Realloc, 3, 1, 300), // 1 -> 3: 350 live
            e(Kind::Free, 2, 0, 0),      // 300 live
            e(Kind::Realloc, 0, 3, 0),   // realloc to 0 frees 3
            e(Kind::Malloc, 4, 0, 10),
            e(Kind::Realloc, 0, 4, 1 << 50), // failed: 4 stays
            e(Kind::Free, 0, 0, 0),          // free(NULL)
        ] {
            s.add(&ev);
        }
        assert_eq!((s.peak_bytes, s.peak_blocks), (350, 2));
        assert_eq!(s.live(), (1, 10));
        assert_eq!(s.failed, 1);
        assert_eq!(s.by_kind[&Kind::Realloc], 3);
    }
}
