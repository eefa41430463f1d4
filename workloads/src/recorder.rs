//! One latency histogram that never drops a value.

use hdrhistogram::Histogram;

/// Highest value tracked exactly: 60 s in nanoseconds.
pub const HIGHEST_NS: u64 = 60_000_000_000;

/// Significant figures kept: a value is stored within 0.1 %.
pub const SIGFIG: u8 = 3;

/// A histogram in nanoseconds (1 ns to 60 s, 3 significant figures) that
/// saturates a value beyond its range at [`HIGHEST_NS`] and counts it.
#[derive(Clone, Debug)]
pub struct Recorder {
    hist: Histogram<u64>,
    saturated: u64,
}

impl Recorder {
    /// A recorder whose memory is already written, so recording never
    /// takes a page fault (the counts start as untouched zero pages).
    pub fn new() -> Recorder {
        let mut hist = Histogram::new_with_bounds(1, HIGHEST_NS, SIGFIG)
            .expect("1 ns .. 60 s at 3 significant figures is a valid histogram");
        hist.reset();
        Recorder { hist, saturated: 0 }
    }

    /// Records one value; never allocates (the range is fixed at creation).
    #[inline(always)]
    pub fn record(&mut self, ns: u64) {
        let ns = if ns > HIGHEST_NS {
            self.saturated += 1;
            HIGHEST_NS
        } else {
            ns
        };
        // Cannot fail: ns is within the range the histogram was built for.
        let _ = self.hist.record(ns);
    }

    /// Records `count` values of `ns` at once (as [`Recorder::record`]
    /// `count` times).
    pub fn record_n(&mut self, ns: u64, count: u64) {
        let ns = if ns > HIGHEST_NS {
            self.saturated += count;
            HIGHEST_NS
        } else {
            ns
        };
        // Cannot fail: ns is within the range the histogram was built for.
        let _ = self.hist.record_n(ns, count);
    }

    /// Adds every value of `other` (used to fold a window into a total).
    pub fn add(&mut self, other: &Recorder) {
        self.hist
            .add(&other.hist)
            .expect("recorders share one range, so adding cannot fail");
        self.saturated += other.saturated;
    }

    /// Empties the recorder, keeping its memory.
    pub fn reset(&mut self) {
        self.hist.reset();
        self.saturated = 0;
    }

    pub fn histogram(&self) -> &Histogram<u64> {
        &self.hist
    }

    /// Values that were beyond [`HIGHEST_NS`] and were recorded as it.
    pub fn saturated(&self) -> u64 {
        self.saturated
    }

    pub fn len(&self) -> u64 {
        self.hist.len()
    }

    pub fn is_empty(&self) -> bool {
        self.hist.is_empty()
    }
}

impl Default for Recorder {
    fn default() -> Self {
        Recorder::new()
    }
}
