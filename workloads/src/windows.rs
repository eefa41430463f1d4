//! Cutting a case's recorded phase into windows: consecutive runs of ops,
//! each recorded into histograms of its own and handed to the observer
//! (which writes them as the intervals of the .hlog) before being added to
//! the case's totals.
//!
//! Every case has at least [`MIN_WINDOWS`] of them, so a percentile's
//! interval can be estimated by resampling whole windows (a block
//! bootstrap: stalls come in bursts, so single samples are not
//! independent). Churn has one window per [`crate::WINDOW_OPS`] when that
//! gives more. The recorded phase is split as evenly as whole units allow:
//! window `k` of `n` ends after unit `(k + 1) * total / n`.
//!
//! The unit is the loop's own: pairs (hot-path), rounds (bulk), ops
//! (churn), requests (request), blocks allocated (producer-consumer).

use crate::{Case, Clock, Kind, LiveSet, Observer, Op, Outcome, Recorder, Window, WINDOW_OPS};

/// Windows per recorded phase, at least (fewer only when the phase has
/// fewer units).
pub const MIN_WINDOWS: u64 = 20;

/// The windows of one recorded phase, and the histograms of the open one.
pub struct Windows {
    pub alloc: Recorder,
    pub free: Recorder,
    pub request: Recorder,
    pub calloc: Recorder,
    pub realloc: Recorder,
    pub aligned: Recorder,
    /// Units in the recorded phase, and windows it is cut into.
    total: u64,
    count: u64,
    /// The unit count at which the open window closes (never, when 0 windows).
    next_cut: u64,
    index: u64,
    first_unit: u64,
    start_ns: u64,
    origin: u64,
}

impl Windows {
    /// `count` windows over `total` units (`count` is capped at `total`).
    /// With `count` 0 nothing is ever cut: warm-up records into one of these
    /// and throws it away.
    pub fn new(total: u64, count: u64) -> Windows {
        let count = count.min(total);
        let mut w = Windows {
            alloc: Recorder::new(),
            free: Recorder::new(),
            request: Recorder::new(),
            calloc: Recorder::new(),
            realloc: Recorder::new(),
            aligned: Recorder::new(),
            total,
            count,
            next_cut: u64::MAX,
            index: 0,
            first_unit: 0,
            start_ns: 0,
            origin: 0,
        };
        w.next_cut = w.end_of(0);
        w
    }

    /// The windows for a phase of `total` units: [`MIN_WINDOWS`], or one
    /// per `per_window` units when that gives more.
    pub fn for_phase(total: u64, per_window: Option<u64>) -> Windows {
        let by_size = per_window.map_or(0, |p| total.div_ceil(p.max(1)));
        Windows::new(total, MIN_WINDOWS.max(by_size))
    }

    /// The windows of `case`'s recorded phase, as its loop cuts them.
    pub fn for_case(case: &Case) -> Windows {
        match case.kind {
            Kind::Bulk { .. } => Windows::for_phase(case.rounds(), None),
            Kind::Churn => Windows::for_phase(case.ops, Some(WINDOW_OPS)),
            Kind::HotPath
            | Kind::Request { .. }
            | Kind::Handoff
            | Kind::Replay(_)
            | Kind::Live(_) => Windows::for_phase(case.ops, None),
        }
    }

    /// Where window `k` ends, in units.
    fn end_of(&self, k: u64) -> u64 {
        if k >= self.count {
            return u64::MAX;
        }
        ((u128::from(k + 1) * u128::from(self.total)) / u128::from(self.count)) as u64
    }

    /// The open window's histogram of `op`.
    pub fn recorder_mut(&mut self, op: Op) -> &mut Recorder {
        match op {
            Op::Alloc => &mut self.alloc,
            Op::Free => &mut self.free,
            Op::Request => &mut self.request,
            Op::Calloc => &mut self.calloc,
            Op::Realloc => &mut self.realloc,
            Op::Aligned => &mut self.aligned,
        }
    }

    /// Windows the phase is cut into.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Marks the start of recording: window times count from here.
    #[inline(always)]
    pub fn start<C: Clock>(&mut self, clock: &mut C) {
        self.origin = clock.start();
    }

    /// As [`Windows::start`], from a clock reading the loop already took.
    #[inline(always)]
    pub fn start_at(&mut self, origin: u64) {
        self.origin = origin;
    }

    /// Whether the open window closes after unit `done` (1-based).
    #[inline(always)]
    pub fn due(&self, done: u64) -> bool {
        done == self.next_cut
    }

    /// Closes the open window after unit `done`: reads the clock once, hands
    /// the window to `observer`, adds it to `out` and opens the next.
    /// Returns the window's end in ns since the start (the clock reading it
    /// took), so a fixed-rate loop can take the time it spent here off its
    /// schedule.
    #[inline(never)]
    pub fn cut<C: Clock, O: Observer + ?Sized>(
        &mut self,
        done: u64,
        clock: &mut C,
        observer: &mut O,
        out: &mut Outcome,
        live: LiveSet,
    ) -> u64 {
        let now = clock.stop();
        let end_ns = clock.ticks_to_ns(now.wrapping_sub(self.origin));
        observer.window(&Window {
            index: self.index,
            first_op: self.first_unit,
            ops: done - self.first_unit,
            start_ns: self.start_ns,
            end_ns,
            alloc: &self.alloc,
            free: &self.free,
            request: &self.request,
            calloc: &self.calloc,
            realloc: &self.realloc,
            aligned: &self.aligned,
            live,
        });
        for (total, open) in [
            (&mut out.alloc, &mut self.alloc),
            (&mut out.free, &mut self.free),
            (&mut out.request, &mut self.request),
            (&mut out.calloc, &mut self.calloc),
            (&mut out.realloc, &mut self.realloc),
            (&mut out.aligned, &mut self.aligned),
        ] {
            total.add(open);
            open.reset();
        }
        out.windows += 1;
        self.index += 1;
        self.first_unit = done;
        self.start_ns = end_ns;
        self.next_cut = self.end_of(self.index);
        end_ns
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ends(total: u64, count: u64) -> Vec<u64> {
        let w = Windows::new(total, count);
        (0..w.count).map(|k| w.end_of(k)).collect()
    }

    #[test]
    fn windows_split_the_phase_evenly_and_end_at_its_last_unit() {
        assert_eq!(ends(100, 20), (1..=20).map(|k| 5 * k).collect::<Vec<_>>());
        let e = ends(101, 20);
        assert_eq!(e.len(), 20);
        assert_eq!(*e.last().unwrap(), 101);
        let sizes: Vec<u64> = std::iter::once(e[0])
            .chain(e.windows(2).map(|p| p[1] - p[0]))
            .collect();
        assert!(sizes.iter().all(|&s| s == 5 || s == 6), "{sizes:?}");
        assert_eq!(ends(7, 20), (1..=7).collect::<Vec<_>>());
        assert!(ends(0, 20).is_empty());
        assert_eq!(Windows::new(10, 0).next_cut, u64::MAX);
    }

    #[test]
    fn churn_sized_windows_win_when_they_are_more() {
        assert_eq!(Windows::for_phase(64_000_000, Some(1_000_000)).count, 64);
        assert_eq!(Windows::for_phase(4_000_000, Some(1_000_000)).count, 20);
        assert_eq!(Windows::for_phase(1_000, None).count, 20);
    }
}
