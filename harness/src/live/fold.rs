//! From the shim's counts to a run's histograms: each bucket's calls
//! recorded at the bucket's middle, converted to ns with the harness's
//! calibration; a program's threads added up (every thread's window k
//! over the same span of time: a thread at a finer level is folded to the
//! image's coarsest), and its images one after the other.

use super::image::{bucket_value, Image, Slot};
use crate::clock::{ns_per_tick_q32, scale};
use crate::threads::CaseWindow;
use live_format::OPS;
use workloads::{Op, Outcome, Recorder};

/// The shim's op order, as the results name them.
pub const OPS_AS: [Op; OPS] = [Op::Alloc, Op::Free, Op::Calloc, Op::Realloc, Op::Aligned];

/// Ticks to ns for one image.
#[derive(Clone, Copy)]
pub struct Ticks {
    q32: Option<u64>,
}

impl Ticks {
    pub fn new(ticks_per_second: f64, image: &Image) -> Ticks {
        Ticks {
            q32: (!image.clock_ns).then(|| ns_per_tick_q32(ticks_per_second)),
        }
    }

    pub fn ns(self, ticks: u64) -> u64 {
        self.q32.map_or(ticks, |q| scale(ticks, q))
    }
}

fn recorder(o: &mut Outcome, op: Op) -> &mut Recorder {
    match op {
        Op::Alloc => &mut o.alloc,
        Op::Free => &mut o.free,
        Op::Calloc => &mut o.calloc,
        Op::Realloc => &mut o.realloc,
        Op::Aligned => &mut o.aligned,
        Op::Request => &mut o.request,
    }
}

/// One program's calls in one run: every image of it, every thread.
pub struct Folded {
    pub outcome: Outcome,
    /// The windows, each with one recorder per op of `ops`.
    pub windows: Vec<CaseWindow>,
    pub threads: usize,
}

/// Where a slot's windows go: folded to `level`, from `start_ns`, one
/// recorder per op of `ops`.
struct Span<'a> {
    level: u32,
    ops: &'a [Op],
    start_ns: u64,
}

/// A slot's counts into `out`, and its windows into `windows` (as `span` says).
fn add_slot(
    s: &Slot,
    t: Ticks,
    image: &Image,
    span: &Span<'_>,
    out: &mut Outcome,
    windows: &mut Vec<CaseWindow>,
) {
    let (level, ops, start_ns) = (span.level, span.ops, span.start_ns);
    let len = image.window_ticks << level;
    for (w, per_op) in s.windows.iter().enumerate() {
        let k = w >> (level - s.level.min(level));
        while windows.len() <= k {
            let i = windows.len() as u64;
            windows.push(CaseWindow {
                start_ns: start_ns + t.ns(i * len),
                end_ns: start_ns + t.ns((i + 1) * len),
                recorders: ops.iter().map(|_| Recorder::new()).collect(),
            });
        }
        for (op, buckets) in per_op.iter().enumerate() {
            let as_op = OPS_AS[op];
            let place = ops.iter().position(|&o| o == as_op);
            for &(b, n) in buckets {
                let ns = t.ns(bucket_value(b));
                recorder(out, as_op).record_n(ns, n);
                if let Some(i) = place {
                    windows[k].recorders[i].record_n(ns, n);
                }
                out.ops += n;
            }
        }
    }
}

/// The threads of `images` (one program's, in start order) added up.
pub fn threads(images: &[&Image], ticks_per_second: f64, ops: &[Op]) -> Folded {
    let mut f = Folded {
        outcome: Outcome::new(),
        windows: Vec::new(),
        threads: 0,
    };
    let first_origin = images.first().map_or(0, |i| i.origin);
    for image in images {
        let t = Ticks::new(ticks_per_second, image);
        let level = image.threads.iter().map(|s| s.level).max().unwrap_or(0);
        let start_ns = f
            .windows
            .last()
            .map_or(0, |w| w.end_ns)
            .max(t.ns(image.origin.saturating_sub(first_origin)));
        let mut windows = Vec::new();
        let span = Span {
            level,
            ops,
            start_ns,
        };
        for s in &image.threads {
            add_slot(s, t, image, &span, &mut f.outcome, &mut windows);
        }
        f.windows.extend(windows);
        f.threads += image.threads.len();
    }
    if let Some(first) = images
        .first()
        .and_then(|i| i.threads.first().map(|s| (i, s)))
    {
        let t = Ticks::new(ticks_per_second, first.0);
        for (op, &ticks) in first.1.first.iter().enumerate() {
            *f.outcome.first_call.slot_mut(OPS_AS[op]) = t.ns(ticks);
        }
    }
    f.outcome.windows = f.windows.len() as u64;
    f
}

/// The null slot of `image`: the shim timing an empty call.
pub fn null(image: &Image, ticks_per_second: f64, ops: &[Op]) -> Folded {
    let t = Ticks::new(ticks_per_second, image);
    let mut f = Folded {
        outcome: Outcome::new(),
        windows: Vec::new(),
        threads: 1,
    };
    let s = &image.null;
    let span = Span {
        level: s.level,
        ops,
        start_ns: 0,
    };
    add_slot(s, t, image, &span, &mut f.outcome, &mut f.windows);
    f.outcome.windows = f.windows.len() as u64;
    f
}
