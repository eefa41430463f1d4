//! The clock interface: two reads around the call, and a conversion.

use crate::Op;

/// A cycle-level clock. `start` and `stop` may differ (x86 fences the first
/// read before and after, the second with `rdtscp; lfence`).
pub trait Clock {
    /// The read before the timed call.
    fn start(&mut self) -> u64;
    /// The read after the timed call.
    fn stop(&mut self) -> u64;
    /// Nanoseconds in `ticks` (rounded to nearest).
    fn ticks_to_ns(&self, ticks: u64) -> u64;
    /// Called right after the `stop` of one timed allocator call, with the
    /// call's op. A clock that counts something other than time (the
    /// harness's instruction counter) books its last reading there; a real
    /// clock has nothing to do, and this compiles to nothing.
    #[inline(always)]
    fn attribute(&mut self, _op: Op) {}
}
