//! The request workloads checked exactly with the fake clock: every block
//! freed at its request's end, the shape of each request, each request's
//! latency, and the open loop's schedule (intended start times, and a late
//! request charged from when it was due).

use workloads::request::{BUFFER_BYTES, DOC_BYTES, EXTRA_BUFFERS, MAX_BLOCKS, OBJECTS};
use workloads::testing::{CountingAlloc, Event, FakeClock};
use workloads::{Case, Kind, Observer, Recorder, RequestTimes, SizeSpec, MIN_WINDOWS};

const COST: u64 = 7;

fn case(interval_ns: Option<u64>, requests: u64) -> Case {
    Case {
        kind: Kind::Request { interval_ns },
        size: SizeSpec::Mixed,
        ops: requests,
        blocks: 1,
        max_live: 1,
        seed: 9,
    }
}

#[derive(Default)]
struct Times(Vec<RequestTimes>);

impl Observer for Times {
    fn request(&mut self, t: &RequestTimes) {
        self.0.push(*t);
    }
}

/// Splits the event log into requests: each is a run of allocs followed by
/// the frees of exactly those blocks, in the same order.
fn requests(events: &[Event]) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < events.len() {
        let mut ids = Vec::new();
        let mut sizes = Vec::new();
        while let Some(Event::Alloc { id, size }) = events.get(i) {
            ids.push(*id);
            sizes.push(*size);
            i += 1;
        }
        for (k, &id) in ids.iter().enumerate() {
            assert_eq!(
                events[i],
                Event::Free { id, size: sizes[k] },
                "request {}: frees follow allocs in allocation order",
                out.len()
            );
            i += 1;
        }
        out.push(sizes);
    }
    out
}

#[test]
fn every_request_frees_all_its_blocks_and_has_the_json_shape() {
    let c = case(None, 3_000);
    let mut alloc = CountingAlloc::new();
    let mut times = Times::default();
    let out = workloads::run(&c, &mut alloc, &mut FakeClock::new(COST), &mut times).unwrap();
    assert_eq!(alloc.live(), 0, "every block is freed");
    assert!(alloc.peak_live <= MAX_BLOCKS);
    let reqs = requests(&alloc.events);
    let warmup = c.warmup_ops() as usize;
    // Warm-up and recording both serve pairs: a whole request, then its
    // twin timed per call.
    assert_eq!(reqs.len(), 2 * warmup + 2 * 3_000);
    assert_eq!(out.request.len(), 3_000);
    assert_eq!(out.ops, 3_000);
    let twins: usize = reqs[2 * warmup..]
        .iter()
        .skip(1)
        .step_by(2)
        .map(Vec::len)
        .sum();
    assert_eq!(out.alloc.len(), twins as u64);
    assert_eq!(out.free.len(), twins as u64);
    let mut seen_extra = [false; EXTRA_BUFFERS.1 + 1];
    for sizes in &reqs {
        assert!((DOC_BYTES.0..=DOC_BYTES.1).contains(&sizes[0]));
        let objects = sizes[1..].iter().filter(|&&s| s <= 512).count();
        let buffers = sizes.len() - 1 - objects;
        assert!((OBJECTS.0..=OBJECTS.1).contains(&objects), "{objects}");
        assert!(buffers <= EXTRA_BUFFERS.1);
        seen_extra[buffers] = true;
        assert!(sizes[1..]
            .iter()
            .all(|&s| (16..=512).contains(&s) || (BUFFER_BYTES.0..=BUFFER_BYTES.1).contains(&s)));
    }
    assert!(
        seen_extra.iter().all(|&x| x),
        "0 to 3 extra buffers all occur"
    );
    // Object sizes span the 16-512 B octaves.
    let all: Vec<usize> = reqs.iter().flatten().copied().collect();
    for (lo, hi) in [(16, 32), (33, 64), (65, 128), (129, 256), (257, 512)] {
        assert!(all.iter().any(|s| (lo..=hi).contains(s)), "{lo}..={hi}");
    }
}

#[test]
fn a_closed_loop_request_reads_the_clock_only_at_its_edges() {
    let c = case(None, 500);
    let mut alloc = CountingAlloc::new();
    let mut times = Times::default();
    let mut clock = FakeClock::new(COST);
    let out = workloads::run(&c, &mut alloc, &mut clock, &mut times).unwrap();
    assert_eq!(times.0.len(), 500);
    let mut expected = Recorder::new();
    for (i, t) in times.0.iter().enumerate() {
        assert_eq!(t.index, i as u64);
        assert_eq!(t.intended_ns, t.start_ns, "closed loop: due when it starts");
        // One start (1 tick) and one stop (COST) around the whole request:
        // no clock read inside it.
        assert_eq!(t.end_ns - t.start_ns, COST);
        expected.record(t.end_ns - t.intended_ns);
    }
    assert_eq!(out.request.histogram(), expected.histogram());
    // Per call, the twins: every timed call measures exactly COST.
    assert_eq!(out.alloc.histogram().max(), COST);
    assert_eq!(out.free.histogram().min(), COST);
    // Clock reads: 2 per whole request, 2 per twin call, 1 origin, 1 at
    // each window's end.
    let reqs = requests(&alloc.events);
    let calls: u64 = reqs
        .iter()
        .skip(1)
        .step_by(2)
        .map(|r| 2 * r.len() as u64)
        .sum();
    let whole = reqs.len() as u64 / 2;
    assert_eq!(clock.reads, 2 * whole + 2 * calls + 1 + MIN_WINDOWS);
}

/// Windows closed before open-loop request `i` of `n`: each moves the
/// schedule on by the fake clock's one-tick pause (the read after the
/// close), since the harness's own pause is never charged to a request.
fn windows_closed_before(i: usize, n: u64) -> u64 {
    i as u64 / (n / MIN_WINDOWS)
}

#[test]
fn an_open_loop_request_starts_at_its_slot_when_the_server_keeps_up() {
    let interval = 50; // longer than any request (1 + COST ticks)
    let c = case(Some(interval), 400);
    let mut times = Times::default();
    workloads::run(
        &c,
        &mut CountingAlloc::new(),
        &mut FakeClock::new(COST),
        &mut times,
    )
    .unwrap();
    for (i, t) in times.0.iter().enumerate() {
        assert_eq!(t.index, i as u64);
        assert_eq!(
            t.intended_ns,
            i as u64 * interval + windows_closed_before(i, 400),
            "request {i}'s slot"
        );
        // The wait reads the clock once per tick, so it starts on time (the
        // first is due at the very read that starts the recording).
        assert!(
            t.start_ns - t.intended_ns <= u64::from(i == 0),
            "request {i} starts at its slot"
        );
        assert!(t.end_ns < t.intended_ns + interval);
    }
}

#[test]
fn an_open_loop_request_that_starts_late_is_charged_from_its_slot() {
    // One request due every 2 ticks, each taking 8 (a clock read and COST):
    // the server falls further behind with every request, and the latency
    // shows it.
    let interval = 2;
    let c = case(Some(interval), 300);
    let mut times = Times::default();
    let out = workloads::run(
        &c,
        &mut CountingAlloc::new(),
        &mut FakeClock::new(COST),
        &mut times,
    )
    .unwrap();
    let mut expected = Recorder::new();
    for (i, t) in times.0.iter().enumerate() {
        assert_eq!(
            t.intended_ns,
            i as u64 * interval + windows_closed_before(i, 300)
        );
        if i > 0 {
            let previous = times.0[i - 1];
            assert!(t.start_ns > t.intended_ns, "request {i} starts late");
            // Late: it starts at the first clock read after the previous one
            // ended (after a window's close: its read, COST, and the read
            // that measures the pause, 1).
            let cut = windows_closed_before(i, 300) - windows_closed_before(i - 1, 300);
            assert_eq!(t.start_ns, previous.end_ns + 1 + cut * (COST + 1));
            assert!(
                t.end_ns - t.intended_ns > previous.end_ns - previous.intended_ns,
                "the queue grows, and so does each request's latency"
            );
        }
        expected.record(t.end_ns - t.intended_ns);
    }
    assert_eq!(out.request.histogram(), expected.histogram());
    let last = times.0.last().unwrap();
    assert_eq!(
        out.request.histogram().max(),
        out.request
            .histogram()
            .highest_equivalent(last.end_ns - last.intended_ns)
    );
}

#[test]
fn the_same_seed_gives_the_same_requests() {
    let sizes = |seed| {
        let mut c = case(None, 200);
        c.seed = seed;
        let mut alloc = CountingAlloc::new();
        workloads::run(&c, &mut alloc, &mut FakeClock::new(1), &mut ()).unwrap();
        requests(&alloc.events)
    };
    assert_eq!(sizes(1), sizes(1));
    assert_ne!(sizes(1), sizes(2));
}

#[test]
fn a_pool_that_runs_out_mid_request_stops_the_run_with_every_block_freed() {
    let c = case(None, 100);
    // Every request has at least 25 blocks, so a limit of 20 stops the first.
    let mut alloc = CountingAlloc::with_limit(20);
    let err = workloads::run(&c, &mut alloc, &mut FakeClock::new(1), &mut ()).unwrap_err();
    assert!(matches!(err, workloads::RunError::Exhausted { op: 0, .. }));
    assert_eq!(alloc.live(), 0);
}

#[test]
fn a_per_request_pool_holds_every_block_of_a_request_in_any_range() {
    let d = case(None, 1).demand();
    assert!(!d.random_split);
    assert_eq!(d.max_live, MAX_BLOCKS);
    assert_eq!(d.blocks_per_range(), vec![MAX_BLOCKS; 6]);
    let bounds: Vec<(usize, usize)> = d.ranges.iter().map(|r| (r.min, r.max)).collect();
    assert_eq!(
        bounds,
        [
            (16, 32),
            (33, 64),
            (65, 128),
            (129, 256),
            (257, 512),
            (513, 4096)
        ]
    );
    let share: f64 = d.ranges.iter().map(|r| r.share).sum();
    assert!((share - 1.0).abs() < 1e-9);
}
