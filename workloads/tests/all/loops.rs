//! Every loop checked exactly with a fake clock and a counting allocator:
//! operation counts, every block freed, sizes and orders as specified, the
//! same sequence for the same seed.

use workloads::rng::Stream;
use workloads::sizes::{mixed_octave, MIXED_OCTAVES};
use workloads::testing::{CountingAlloc, Event, FakeClock};
use workloads::{
    Case, Kind, NullAlloc, Observer, Op, Phase, RunError, SizeSpec, Window, MIN_WINDOWS, WINDOW_OPS,
};

const COST: u64 = 7;

fn case(kind: Kind, size: SizeSpec, ops: u64) -> Case {
    Case {
        kind,
        size,
        ops,
        blocks: 100,
        max_live: 1000,
        seed: 42,
    }
}

/// Remembers every window and progress call.
#[derive(Default)]
struct Seen {
    windows: Vec<(u64, u64, u64, u64, u64, u64)>,
    live: Vec<workloads::LiveSet>,
    progress: Vec<(u64, u64)>,
    /// Phase edges, with how many progress calls came before each.
    phases: Vec<(Phase, usize)>,
}

impl Observer for Seen {
    fn progress(&mut self, done: u64, total: u64) {
        self.progress.push((done, total));
    }
    fn phase(&mut self, phase: Phase) {
        self.phases.push((phase, self.progress.len()));
    }
    fn window(&mut self, w: &Window<'_>) {
        self.windows.push((
            w.index,
            w.first_op,
            w.ops,
            w.start_ns,
            w.end_ns,
            w.alloc.len() + w.free.len(),
        ));
        self.live.push(w.live);
    }
}

fn run(case: &Case, alloc: &mut CountingAlloc, seen: &mut Seen) -> workloads::Outcome {
    workloads::run(case, alloc, &mut FakeClock::new(COST), seen).expect("run")
}

fn allocs_in_order(events: &[Event]) -> Vec<usize> {
    events
        .iter()
        .filter_map(|e| {
            if let Event::Alloc { size, .. } = e {
                Some(*size)
            } else {
                None
            }
        })
        .collect()
}

#[test]
fn hot_path_alternates_alloc_and_free_with_exact_counts() {
    let c = case(Kind::HotPath, SizeSpec::Fixed(64), 5_000);
    let (mut alloc, mut seen) = (CountingAlloc::new(), Seen::default());
    let out = run(&c, &mut alloc, &mut seen);
    let pairs = 1 + c.warmup_ops() + c.ops;
    assert_eq!(alloc.allocs() as u64, pairs);
    assert_eq!(alloc.frees() as u64, pairs);
    assert_eq!(alloc.live(), 0);
    assert_eq!(alloc.peak_live, 1);
    for (i, pair) in alloc.events.chunks(2).enumerate() {
        let id = i as u64;
        assert_eq!(
            pair,
            [Event::Alloc { id, size: 64 }, Event::Free { id, size: 64 }]
        );
    }
    assert_eq!(out.alloc.len(), c.ops);
    assert_eq!(out.free.len(), c.ops);
    assert_eq!(out.ops, 2 * c.ops);
    for op in [Op::Alloc, Op::Free] {
        let h = out.recorder(op).histogram();
        assert_eq!(
            (h.min(), h.max()),
            (COST, COST),
            "{op:?} records exactly the timed ticks"
        );
    }
    assert_eq!(
        (out.first_call.alloc_ns, out.first_call.free_ns),
        (COST, COST)
    );
    assert_eq!(seen.progress.last(), Some(&(c.ops, c.ops)));
    // MIN_WINDOWS windows of 250 pairs, holding every recorded call.
    assert_eq!(out.windows, MIN_WINDOWS);
    assert_eq!(
        seen.windows.iter().map(|w| (w.2, w.5)).collect::<Vec<_>>(),
        vec![(250, 500); MIN_WINDOWS as usize]
    );
}

#[test]
fn clock_is_read_exactly_twice_per_timed_call() {
    let c = case(Kind::HotPath, SizeSpec::Fixed(16), 1_000);
    let mut clock = FakeClock::new(COST);
    workloads::run(&c, &mut CountingAlloc::new(), &mut clock, &mut ()).unwrap();
    // Besides: one read at the start of recording, one at each window's end.
    assert_eq!(
        clock.reads,
        4 * (1 + c.warmup_ops() + c.ops) + 1 + MIN_WINDOWS
    );
}

/// Every timed call is attributed to its op right after its second read, so
/// a clock that counts (instructions) can book each reading to alloc or
/// free: the attributed ops are exactly the allocator's calls, in order.
#[test]
fn every_timed_call_is_attributed_to_its_op_in_call_order() {
    let kinds = [
        (Kind::HotPath, SizeSpec::Fixed(48)),
        (Kind::Bulk { reverse: false }, SizeSpec::Fixed(64)),
        (Kind::Bulk { reverse: true }, SizeSpec::Mixed),
        (Kind::Churn, SizeSpec::Mixed),
    ];
    for (kind, size) in kinds {
        let c = case(kind, size, 2_000);
        let (mut alloc, mut clock) = (CountingAlloc::new(), FakeClock::new(COST));
        workloads::run(&c, &mut alloc, &mut clock, &mut ()).unwrap();
        let calls: Vec<Op> = alloc
            .events
            .iter()
            .map(|e| match e {
                Event::Alloc { .. } => Op::Alloc,
                Event::Free { .. } => Op::Free,
            })
            .collect();
        let timed = clock.attributed.len();
        // Recorded calls, besides the warm-up's: churn counts ops, the
        // others pairs (or blocks, each allocated and freed).
        let recorded = if kind == Kind::Churn {
            c.ops
        } else {
            2 * c.ops
        };
        assert!(timed as u64 > recorded, "{kind:?}: {timed} attributed");
        assert_eq!(clock.attributed[..], calls[..timed], "{kind:?}");
        // Churn frees its last live set untimed, after the recorded phase.
        if kind != Kind::Churn {
            assert_eq!(timed, calls.len(), "{kind:?}: every call is timed");
        }
    }
}

fn bulk_frees(reverse: bool) {
    let mut c = case(Kind::Bulk { reverse }, SizeSpec::Fixed(256), 1_000);
    c.blocks = 100;
    let (mut alloc, mut seen) = (CountingAlloc::new(), Seen::default());
    let out = run(&c, &mut alloc, &mut seen);
    let rounds = c.rounds() + 1; // one warm-up round
    assert_eq!(c.rounds(), 10);
    assert_eq!(alloc.allocs() as u64, rounds * 100);
    assert_eq!(alloc.frees() as u64, rounds * 100);
    assert_eq!(alloc.live(), 0);
    assert_eq!(alloc.peak_live, 100);
    assert_eq!(out.alloc.len(), 1_000);
    assert_eq!(out.free.len(), 1_000);
    for (r, round) in alloc.events.chunks(200).enumerate() {
        let base = r as u64 * 100;
        let allocated: Vec<u64> = round[..100]
            .iter()
            .map(|e| match e {
                Event::Alloc { id, size: 256 } => *id,
                other => panic!("round {r} starts with 100 allocs of 256 B, saw {other:?}"),
            })
            .collect();
        assert_eq!(allocated, (base..base + 100).collect::<Vec<_>>());
        let mut freed: Vec<u64> = round[100..]
            .iter()
            .map(|e| match e {
                Event::Free { id, size: 256 } => *id,
                other => panic!("round {r} ends with 100 frees, saw {other:?}"),
            })
            .collect();
        if reverse {
            freed.reverse();
        }
        assert_eq!(freed, allocated, "reverse = {reverse}");
    }
}

#[test]
fn bulk_frees_in_allocation_order() {
    bulk_frees(false);
}

#[test]
fn reverse_free_frees_newest_first() {
    bulk_frees(true);
}

#[test]
fn churn_counts_windows_and_bounds_the_live_set() {
    let ops = 2 * WINDOW_OPS + 12_345;
    let mut c = case(Kind::Churn, SizeSpec::Fixed(1024), ops);
    c.max_live = 200;
    let (mut alloc, mut seen) = (CountingAlloc::new(), Seen::default());
    let out = run(&c, &mut alloc, &mut seen);
    assert_eq!(out.alloc.len() + out.free.len(), ops);
    assert_eq!(out.ops, ops);
    assert_eq!(alloc.live(), 0, "every block freed at the end");
    assert_eq!(alloc.allocs(), alloc.frees());
    assert_eq!(
        alloc.peak_live, 200,
        "a fair coin over 2M ops reaches the bound, never more"
    );
    assert!(allocs_in_order(&alloc.events).iter().all(|&s| s == 1024));

    // Fewer than MIN_WINDOWS windows of WINDOW_OPS would fit: MIN_WINDOWS
    // windows split the ops as evenly as whole ops allow, contiguous in ops
    // and in time, each holding exactly its ops' samples.
    assert_eq!(out.windows, MIN_WINDOWS);
    let w = &seen.windows;
    assert_eq!(w.len() as u64, MIN_WINDOWS);
    let even = ops / MIN_WINDOWS;
    assert!(w.iter().all(|w| w.2 == even || w.2 == even + 1), "{w:?}");
    assert!(w.iter().all(|w| w.5 == w.2));
    assert_eq!(w.iter().map(|w| w.2).sum::<u64>(), ops);
    for pair in w.windows(2) {
        assert_eq!(pair[1].1, pair[0].1 + pair[0].2, "ops contiguous");
        assert_eq!(
            pair[1].3, pair[0].4,
            "next window starts where the last ended"
        );
        assert!(pair[1].4 > pair[1].3);
    }
    assert_eq!((w[0].0, w[0].1, w[0].3), (0, 0, 0));
    // The live set at each window's end: 1 KiB blocks, usable = requested
    // (the counting allocator rounds to 16 B), within the bound.
    for l in &seen.live {
        assert!(l.blocks >= 1 && l.blocks <= 200, "{l:?}");
        assert_eq!(l.requested_bytes, l.blocks * 1024);
        assert_eq!(l.usable_bytes, Some(l.requested_bytes));
    }
    // Allocation and free are both common: the live set does random walk.
    assert!(out.alloc.len() > ops / 3 && out.free.len() > ops / 3);
}

#[test]
fn churn_windows_report_the_live_set_and_its_waste() {
    let ops = WINDOW_OPS + 5;
    let mut c = case(Kind::Churn, SizeSpec::Mixed, ops);
    c.max_live = 300;
    let (mut alloc, mut seen) = (CountingAlloc::new(), Seen::default());
    run(&c, &mut alloc, &mut seen);
    assert_eq!(seen.live.len() as u64, MIN_WINDOWS);
    for l in &seen.live {
        let usable = l.usable_bytes.expect("the counting allocator tells");
        // Each block wastes less than the 16-byte rounding.
        assert!(usable >= l.requested_bytes && usable - l.requested_bytes < 16 * l.blocks);
        assert!(l.requested_bytes >= 16 * l.blocks && l.requested_bytes <= 4096 * l.blocks);
    }
    // An allocator that cannot tell its usable size leaves it unknown.
    let mut seen = Seen::default();
    workloads::run(
        &c,
        &mut NullAlloc::new(),
        &mut FakeClock::new(COST),
        &mut seen,
    )
    .unwrap();
    assert!(seen
        .live
        .iter()
        .all(|l| l.usable_bytes.is_none() && l.blocks > 0));
}

#[test]
fn churn_mixed_sizes_cover_every_octave_16_to_4096() {
    let c = case(Kind::Churn, SizeSpec::Mixed, 200_000);
    let mut alloc = CountingAlloc::new();
    run(&c, &mut alloc, &mut Seen::default());
    let sizes = allocs_in_order(&alloc.events);
    assert!(sizes.iter().all(|&s| (16..=4096).contains(&s)));
    for k in 0..MIXED_OCTAVES {
        let o = mixed_octave(k);
        let n = sizes
            .iter()
            .filter(|&&s| (o.min..=o.max).contains(&s))
            .count();
        let expect = sizes.len() / MIXED_OCTAVES;
        assert!(
            n.abs_diff(expect) < expect / 10,
            "octave {k} [{}, {}]: {n} of {}",
            o.min,
            o.max,
            sizes.len()
        );
    }
    // Both ends of the range are reached (a fixed seed: this run is the same every time).
    assert_eq!(sizes.iter().min(), Some(&16));
    assert!(
        sizes.iter().max().is_some_and(|&m| m > 4000),
        "{:?}",
        sizes.iter().max()
    );
}

#[test]
fn mixed_draws_are_log_uniform_over_disjoint_octaves() {
    let mut rng = Stream::new(7);
    let mut per_octave = [0usize; MIXED_OCTAVES];
    let (mut lowest, mut highest) = (usize::MAX, 0);
    for _ in 0..800_000 {
        let s = SizeSpec::Mixed.draw(&mut rng);
        lowest = lowest.min(s);
        highest = highest.max(s);
        let k = (0..MIXED_OCTAVES)
            .find(|&k| s <= mixed_octave(k).max)
            .unwrap();
        assert!(s >= mixed_octave(k).min);
        per_octave[k] += 1;
    }
    assert_eq!((lowest, highest), (16, 4096));
    for (k, n) in per_octave.iter().enumerate() {
        assert!(n.abs_diff(100_000) < 2_000, "octave {k}: {n} of 800000");
    }
}

#[test]
fn the_same_seed_gives_the_same_sequence_and_another_seed_does_not() {
    let events = |seed| {
        let mut c = case(Kind::Churn, SizeSpec::Mixed, 50_000);
        c.seed = seed;
        let mut alloc = CountingAlloc::new();
        run(&c, &mut alloc, &mut Seen::default());
        std::mem::take(&mut alloc.events)
    };
    assert_eq!(events(1), events(1));
    assert_ne!(events(1), events(2));
}

#[test]
fn an_allocator_that_runs_out_stops_the_run_and_everything_is_freed() {
    for kind in [
        Kind::Churn,
        Kind::Bulk { reverse: false },
        Kind::Bulk { reverse: true },
    ] {
        let mut c = case(kind, SizeSpec::Fixed(64), 10_000);
        c.blocks = 100;
        c.max_live = 1000;
        let mut alloc = CountingAlloc::with_limit(50);
        let err = workloads::run(&c, &mut alloc, &mut FakeClock::new(COST), &mut ()).unwrap_err();
        assert!(
            matches!(err, RunError::Exhausted { size: 64, .. }),
            "{kind:?}: {err:?}"
        );
        assert_eq!(
            alloc.live(),
            0,
            "{kind:?}: blocks left live after the failure"
        );
        assert!(err.to_string().contains("returned null for 64 bytes"));
    }
    let c = case(Kind::HotPath, SizeSpec::Fixed(64), 10);
    let err = workloads::run(
        &c,
        &mut CountingAlloc::with_limit(0),
        &mut FakeClock::new(1),
        &mut (),
    )
    .unwrap_err();
    assert_eq!(err, RunError::Exhausted { op: 0, size: 64 });
}

#[test]
fn the_null_allocator_runs_every_loop_shape() {
    for kind in [
        Kind::HotPath,
        Kind::Bulk { reverse: false },
        Kind::Bulk { reverse: true },
        Kind::Churn,
        Kind::Request { interval_ns: None },
        Kind::Request {
            interval_ns: Some(100),
        },
        Kind::Handoff,
    ] {
        let c = case(kind, SizeSpec::Mixed, 3_000);
        let out =
            workloads::run(&c, &mut NullAlloc::new(), &mut FakeClock::new(3), &mut ()).unwrap();
        if let Kind::Request { .. } = kind {
            assert_eq!(out.request.len(), 3_000, "{kind:?}");
        }
        if kind
            != (Kind::Request {
                interval_ns: Some(100),
            })
        {
            assert_eq!(out.alloc.histogram().max(), 3, "{kind:?}");
            assert!(out.alloc.len() + out.free.len() >= 3_000, "{kind:?}");
        }
    }
}

#[test]
fn demand_describes_what_a_case_holds_at_once() {
    let mut c = case(Kind::Bulk { reverse: false }, SizeSpec::Fixed(512), 1);
    c.blocks = 77;
    let d = c.demand();
    assert_eq!((d.max_live, d.ranges.len(), d.random_split), (77, 1, false));
    assert_eq!((d.ranges[0].min, d.ranges[0].max), (512, 512));
    assert_eq!(
        case(Kind::HotPath, SizeSpec::Fixed(8), 1).demand().max_live,
        1
    );
    let d = case(Kind::Churn, SizeSpec::Mixed, 1).demand();
    assert_eq!(
        (d.max_live, d.ranges.len(), d.random_split),
        (1000, 8, true)
    );
    for pair in d.ranges.windows(2) {
        assert_eq!(
            pair[1].min,
            pair[0].max + 1,
            "octaves are disjoint and contiguous"
        );
    }
}

#[test]
fn every_loop_marks_its_recorded_phase_once_before_the_final_progress() {
    for kind in [
        Kind::HotPath,
        Kind::Bulk { reverse: false },
        Kind::Churn,
        Kind::Request { interval_ns: None },
        Kind::Handoff,
    ] {
        // A request is dozens of calls: fewer of them keep the test quick.
        let ops = if matches!(kind, Kind::Request { .. }) {
            2_000
        } else {
            200_000
        };
        let c = case(kind, SizeSpec::Fixed(32), ops);
        let mut seen = Seen::default();
        run(&c, &mut CountingAlloc::new(), &mut seen);
        let phases: Vec<Phase> = seen.phases.iter().map(|p| p.0).collect();
        assert_eq!(
            phases,
            [Phase::RecordingStarts, Phase::RecordingEnds],
            "{kind:?}"
        );
        assert_eq!(
            seen.phases[0].1, 0,
            "{kind:?}: no progress before recording starts"
        );
        assert_eq!(
            seen.phases[1].1,
            seen.progress.len() - 1,
            "{kind:?}: the end comes before the final progress"
        );
    }
}

/// Adds up every window's samples, by op.
#[derive(Default)]
struct WindowSums {
    windows: u64,
    samples: [u64; 3],
    units: u64,
}

impl Observer for WindowSums {
    fn window(&mut self, w: &Window<'_>) {
        assert_eq!(w.index, self.windows, "windows come in order");
        assert_eq!(w.first_op, self.units, "windows are contiguous");
        self.windows += 1;
        self.units += w.ops;
        self.samples[0] += w.alloc.len();
        self.samples[1] += w.free.len();
        self.samples[2] += w.request.len();
    }
}

#[test]
fn every_loop_cuts_min_windows_that_hold_every_recorded_sample() {
    let mut bulk = case(Kind::Bulk { reverse: false }, SizeSpec::Fixed(64), 4_000);
    bulk.blocks = 100;
    let cases = [
        (case(Kind::HotPath, SizeSpec::Fixed(64), 1_000), 1_000),
        (bulk, 40),
        (case(Kind::Churn, SizeSpec::Mixed, 30_000), 30_000),
        (
            case(Kind::Request { interval_ns: None }, SizeSpec::Mixed, 200),
            200,
        ),
        (
            case(
                Kind::Request {
                    interval_ns: Some(10),
                },
                SizeSpec::Mixed,
                200,
            ),
            200,
        ),
        (case(Kind::Handoff, SizeSpec::Fixed(64), 3_000), 3_000),
    ];
    for (c, units) in cases {
        let mut sums = WindowSums::default();
        let mut alloc = CountingAlloc::new();
        let out =
            workloads::run(&c, &mut alloc, &mut FakeClock::new(COST), &mut sums).expect("run");
        assert_eq!(
            (sums.windows, out.windows),
            (MIN_WINDOWS, MIN_WINDOWS),
            "{c:?}"
        );
        assert_eq!(sums.units, units, "{c:?}: the windows cover the phase");
        assert_eq!(
            sums.samples,
            [out.alloc.len(), out.free.len(), out.request.len()],
            "{c:?}: every recorded sample is in one window"
        );
        assert_eq!(alloc.live(), 0);
    }
}

/// Asks for a batched phase of batches at least `.0` ns long.
struct Batching(u64);

impl Observer for Batching {
    fn batch_ns(&self) -> Option<u64> {
        Some(self.0)
    }
}

/// The batched phases hold no more blocks at once than the case's own
/// bound (a pool sized for the case serves them), time the ops they say,
/// and free every block they took.
#[test]
fn batched_phases_stay_within_the_cases_bound_and_free_everything() {
    for (kind, bound, ops) in [
        (Kind::HotPath, 1, vec![workloads::BatchOp::Pair]),
        (
            Kind::Bulk { reverse: false },
            100,
            vec![workloads::BatchOp::Alloc, workloads::BatchOp::Free],
        ),
        (
            Kind::Bulk { reverse: true },
            100,
            vec![workloads::BatchOp::Alloc, workloads::BatchOp::Free],
        ),
        (Kind::Churn, 1000, vec![workloads::BatchOp::Mixed]),
        // A ring of one: its link holds the case's blocks, and one more is
        // in hand while the link is full.
        (
            Kind::Handoff,
            101,
            vec![workloads::BatchOp::Alloc, workloads::BatchOp::Free],
        ),
        (
            Kind::Request { interval_ns: None },
            workloads::request::MAX_BLOCKS,
            vec![workloads::BatchOp::Alloc, workloads::BatchOp::Free],
        ),
    ] {
        let c = case(kind, SizeSpec::Mixed, 2_000);
        let mut alloc = CountingAlloc::with_limit(bound);
        // The fake clock does not advance with the work: a batch lasts
        // COST ticks whatever K is, so asking for longer ones grows K to
        // its cap (the case's blocks, for bulk and the ring; 2^20 elsewhere,
        // too many for the counting allocator, so those are asked for one
        // step).
        let capped = matches!(kind, Kind::Bulk { .. } | Kind::Handoff);
        let min_ns = if capped { 1 << 40 } else { COST };
        let out = workloads::run(
            &c,
            &mut alloc,
            &mut FakeClock::new(COST),
            &mut Batching(min_ns),
        )
        .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
        assert_eq!(
            out.batched.iter().map(|b| b.op).collect::<Vec<_>>(),
            ops,
            "{kind:?}"
        );
        for b in &out.batched {
            assert_eq!(b.batch_ns.len(), workloads::batched::BATCHES, "{kind:?}");
            assert_eq!(b.empty_ns.len(), workloads::batched::BATCHES, "{kind:?}");
            if capped {
                assert_eq!(
                    b.ops_per_batch, 100,
                    "{kind:?}: capped at the case's blocks"
                );
            }
        }
        assert!(
            alloc.peak_live <= bound,
            "{kind:?}: {} live at once",
            alloc.peak_live
        );
        assert_eq!(alloc.live(), 0, "{kind:?}: every block freed");
    }
}
