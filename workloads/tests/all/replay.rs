//! The replay loop on the counting allocator: exactly the trace's calls,
//! in order, each timed under its own op; what is not made is counted; the
//! live set follows the trace at every step; a refused or inconsistent
//! call stops it, named. On threads, a block is never freed before the
//! thread that makes it has made it.

use std::alloc::Layout;
use std::sync::{Barrier, Mutex};
use workloads::replay::{self, Call, CallKind, ReplayError, Table, Trace};
use workloads::testing::{CountingAlloc, Event, FakeClock};
use workloads::{Allocator, Observer, Op, Phase};

fn call(kind: CallKind, id: u32, old: u32, size: u64, align: u32) -> Call {
    Call {
        kind,
        id,
        old,
        size,
        align,
        thread: 0,
    }
}

#[test]
fn every_call_is_made_in_order_and_timed_under_its_op() {
    use CallKind::*;
    let calls = [
        call(Malloc, 1, 0, 24, 0),
        call(Calloc, 2, 0, 40, 0),
        call(Aligned, 3, 0, 100, 16),
        call(Realloc, 4, 1, 300, 0), // moves object 1
        call(UsableSize, 4, 0, 304, 0),
        call(Free, 2, 0, 0, 0),
        call(Free, 0, 0, 0, 0),         // free(NULL): not made
        call(Malloc, 0, 0, 1 << 40, 0), // returned null when recorded: not made
        call(Realloc, 5, 0, 8, 0),      // realloc(NULL, 8)
        call(Realloc, 0, 5, 0, 0),      // realloc(p, 0): a free
        call(Malloc, 6, 0, 0, 0),       // malloc(0): 1 byte
    ];
    let mut alloc = CountingAlloc::new();
    let mut clock = FakeClock::new(5);
    let trace = Trace::new("t", calls.to_vec()).unwrap();
    assert_eq!(trace.objects, 6);
    assert_eq!(
        trace.ops(),
        [Op::Alloc, Op::Free, Op::Calloc, Op::Realloc, Op::Aligned]
    );
    let o = replay::run(&trace, &mut alloc, &mut clock, &mut ()).unwrap();
    let r = o.replay.expect("a replay's counts");
    // What the trace's walk expected is what the replay did.
    assert_eq!(r.timed, trace.timed);
    assert_eq!(
        (r.peak_bytes, r.peak_blocks),
        (trace.peak_bytes, trace.peak_blocks)
    );
    assert_eq!(
        alloc.events,
        [
            Event::Alloc { id: 0, size: 24 },
            Event::Alloc { id: 1, size: 40 },
            Event::Alloc { id: 2, size: 100 },
            Event::Alloc { id: 3, size: 300 },
            Event::Free { id: 0, size: 24 },
            Event::Free { id: 1, size: 40 },
            Event::Alloc { id: 4, size: 8 },
            Event::Free { id: 4, size: 8 },
            Event::Alloc { id: 5, size: 1 },
            // The trace's leaks, freed after it, in object order.
            Event::Free { id: 2, size: 100 },
            Event::Free { id: 3, size: 300 },
            Event::Free { id: 5, size: 1 },
        ]
    );
    let timed = |op: Op| r.timed[op.index()];
    assert_eq!(
        [Op::Alloc, Op::Free, Op::Calloc, Op::Realloc, Op::Aligned].map(timed),
        [2, 1, 1, 3, 1]
    );
    for op in [Op::Alloc, Op::Free, Op::Calloc, Op::Realloc, Op::Aligned] {
        let h = o.recorder(op);
        assert_eq!(h.len(), timed(op), "{op}");
        assert_eq!((h.histogram().min(), h.histogram().max()), (5, 5), "{op}");
    }
    assert_eq!(
        (r.usable_size, r.null_frees, r.failed_when_recorded),
        (1, 1, 1)
    );
    assert_eq!((r.leaked_blocks, r.leaked_bytes), (3, 401));
    assert_eq!((r.peak_bytes, r.peak_blocks), (440, 3));
    assert_eq!(alloc.live(), 0);
    assert_eq!(o.ops, calls.len() as u64);
}

#[test]
fn a_refused_call_stops_the_replay_naming_it_and_frees_what_is_live() {
    use CallKind::*;
    // A 200 kB block from the counting allocator is 16-aligned, not 4096:
    // the default aligned path refuses it.
    let calls = [
        call(Malloc, 1, 0, 64, 0),
        call(Aligned, 2, 0, 200_000, 4096),
    ];
    let mut alloc = CountingAlloc::new();
    let trace = Trace::new("t", calls.to_vec()).unwrap();
    let err = replay::run(&trace, &mut alloc, &mut FakeClock::new(1), &mut ()).unwrap_err();
    assert_eq!(
        err,
        ReplayError::Refused {
            call: 1,
            kind: Aligned,
            size: 200_000,
            align: 4096
        }
    );
    assert!(err
        .to_string()
        .contains("call 1 (Aligned of 200000 bytes aligned to 4096)"));
    assert_eq!(alloc.live(), 0, "the block made before is freed");
}

#[test]
fn a_damaged_trace_is_refused_before_anything_is_timed() {
    use CallKind::*;
    let refused = |calls: &[Call]| Trace::new("t", calls.to_vec()).unwrap_err();
    // A free of an object never made, a double free, an object made twice.
    assert_eq!(
        refused(&[call(Free, 1, 0, 0, 0)]),
        ReplayError::Inconsistent { call: 0, id: 1 }
    );
    assert_eq!(
        refused(&[
            call(Malloc, 1, 0, 8, 0),
            call(Free, 1, 0, 0, 0),
            call(Free, 1, 0, 0, 0)
        ]),
        ReplayError::Inconsistent { call: 2, id: 1 }
    );
    assert_eq!(
        refused(&[call(Malloc, 1, 0, 8, 0), call(Calloc, 1, 0, 8, 0)]),
        ReplayError::Inconsistent { call: 1, id: 1 }
    );
    // A realloc of an object that is not live.
    assert_eq!(
        refused(&[call(Realloc, 2, 1, 8, 0)]),
        ReplayError::Inconsistent { call: 0, id: 1 }
    );
    let e = refused(&[call(Aligned, 1, 0, 64, 48)]);
    assert!(e.to_string().contains("call 0: an alignment"), "{e}");
    let e = refused(&[call(Malloc, 1, 0, replay::MAX_SIZE + 1, 0)]);
    assert!(e.to_string().contains("beyond 1 TiB"), "{e}");
    // A huge request that failed when recorded is fine: it is not made.
    assert!(Trace::new("t", vec![call(Malloc, 0, 0, u64::MAX, 0)]).is_ok());
}

#[test]
fn the_demand_is_each_classs_own_peak_with_realloc_holding_both_blocks() {
    use CallKind::*;
    let calls = [
        call(Malloc, 1, 0, 10, 0),    // class 16
        call(Malloc, 2, 0, 17, 0),    // class 32
        call(Realloc, 3, 1, 12, 0),   // class 16: 1 and 3 live at once
        call(Free, 2, 0, 0, 0),       //
        call(Aligned, 4, 0, 100, 64), // class 128
        call(Calloc, 5, 0, 5000, 0),  // class 8192
        call(Free, 5, 0, 0, 0),       //
        call(Malloc, 6, 0, 7000, 0),  // class 8192 again: peak stays 1
        call(Realloc, 0, 3, 0, 0),    // a free
    ];
    let trace = Trace::new("t", calls.to_vec()).unwrap();
    let d = trace.demand();
    let classes: Vec<usize> = d.ranges.iter().map(|r| r.max).collect();
    assert_eq!(classes, [16, 32, 128, 8192]);
    let mins: Vec<usize> = d.ranges.iter().map(|r| r.min).collect();
    assert_eq!(mins, [1, 17, 33, 129]);
    assert_eq!(d.blocks_per_range(), [2, 1, 1, 1]);
    // Allocations per class: 2 of 6 at 16 B, 1 at 32 and 128 B, 2 at 8 kB.
    let shares: Vec<f64> = d.ranges.iter().map(|r| r.share * 6.0).collect();
    assert_eq!(shares, [2.0, 1.0, 1.0, 2.0]);
    // At most 3 at once: 1, 2 and 3 at the realloc; 3, 4 and 5 after it.
    assert_eq!(d.max_live, 3);
    assert_eq!((trace.largest, trace.max_align), (7000, 64));
    assert_eq!(replay::class_of(0), 16);
    assert_eq!(replay::class_of(4097), 8192);
}

/// A thread-safe allocator for threaded replays: real blocks, each alloc
/// and free logged in one order under a lock (a free before its block goes
/// back, so a reused address is logged after the free that released it).
#[derive(Clone, Copy)]
struct Logged<'a>(&'a Mutex<Vec<(bool, usize)>>);

fn layout(size: usize) -> Layout {
    Layout::from_size_align(size, 16).unwrap()
}

impl Allocator for Logged<'_> {
    fn alloc(&mut self, size: usize) -> *mut u8 {
        // SAFETY: size >= 1 (the replay asks for at least 1 byte).
        let p = unsafe { std::alloc::alloc(layout(size)) };
        self.0.lock().unwrap().push((true, p as usize));
        p
    }

    unsafe fn free(&mut self, ptr: *mut u8, size: usize) {
        self.0.lock().unwrap().push((false, ptr as usize));
        // SAFETY: from `alloc(size)` above, freed once (the caller's promise).
        unsafe { std::alloc::dealloc(ptr, layout(size)) };
    }
}

/// Meets the other replaying threads where recording ends, as the harness's
/// thread observer does, so one thread can free the leaks after all ended.
struct Meet<'a>(&'a Barrier);

impl Observer for Meet<'_> {
    fn phase(&mut self, phase: Phase) {
        if matches!(phase, Phase::RecordingEnds) {
            self.0.wait();
        }
    }
}

/// Two recorded threads, each freeing every block the other makes, right
/// after it is made (in recorded order), and one leak on thread 1.
fn two_threads_freeing_each_others_blocks(pairs: u32) -> Vec<Call> {
    let on = |mut c: Call, thread: u32| {
        c.thread = thread;
        c
    };
    let mut calls = Vec::new();
    for i in 0..pairs {
        let (a, b) = (2 * i + 1, 2 * i + 2);
        calls.push(on(call(CallKind::Malloc, a, 0, 32, 0), 0));
        calls.push(on(call(CallKind::Malloc, b, 0, 48, 0), 1));
        calls.push(on(call(CallKind::Free, a, 0, 0, 0), 1));
        calls.push(on(call(CallKind::Free, b, 0, 0, 0), 0));
    }
    calls.push(on(call(CallKind::Malloc, 2 * pairs + 1, 0, 8, 0), 1));
    calls
}

#[test]
fn on_threads_a_block_is_never_freed_before_another_thread_made_it() {
    let pairs = 20_000;
    let trace = Trace::new("t", two_threads_freeing_each_others_blocks(pairs)).unwrap();
    assert_eq!(
        (trace.threads, trace.cross_thread),
        (2, 2 * u64::from(pairs))
    );
    assert_eq!(trace.calls_of(1).len() as u32, 2 * pairs + 1);
    let table = Table::new(&trace, true);
    let log = Mutex::new(Vec::new());
    let barrier = Barrier::new(2);
    let outcomes: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2)
            .map(|t| {
                let (trace, table, log, barrier) = (&trace, &table, &log, &barrier);
                s.spawn(move || {
                    replay::run_thread(
                        trace,
                        t,
                        table,
                        t == 0,
                        &mut Logged(log),
                        &mut FakeClock::new(3),
                        &mut Meet(barrier),
                    )
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap().unwrap())
            .collect()
    });
    // The rule: in the one order the allocator saw, every free is of a
    // block live at that moment, and nothing is live at the end.
    let mut live = std::collections::HashSet::new();
    for &(alloc, p) in log.lock().unwrap().iter() {
        if alloc {
            assert!(live.insert(p), "{p:#x} handed out twice");
        } else {
            assert!(live.remove(&p), "{p:#x} freed before it was made");
        }
    }
    assert!(live.is_empty());
    let counts: Vec<_> = outcomes.iter().map(|o| o.replay.unwrap()).collect();
    for (t, c) in counts.iter().enumerate() {
        assert_eq!(c.timed[Op::Alloc.index()], u64::from(pairs) + t as u64);
        assert_eq!(c.timed[Op::Free.index()], u64::from(pairs));
    }
    // Thread 0 freed the leak, after both ended.
    assert_eq!((counts[0].leaked_blocks, counts[0].leaked_bytes), (1, 8));
    assert_eq!(counts[1].leaked_blocks, 0);
    let mut merged = outcomes[0].clone();
    merged.add(&outcomes[1]);
    let all = merged.replay.unwrap();
    assert_eq!(all.timed, trace.timed);
    assert_eq!(merged.recorder(Op::Free).len(), 2 * u64::from(pairs));
}

#[test]
fn a_thread_that_stops_releases_the_one_waiting_for_it() {
    // Thread 1 frees object 2, which thread 0 makes after a call the
    // allocator refuses: thread 0 stops, and thread 1 must not wait forever.
    let mut calls = vec![
        call(CallKind::Aligned, 1, 0, 200_000, 4096),
        call(CallKind::Malloc, 2, 0, 16, 0),
        call(CallKind::Free, 2, 0, 0, 0),
    ];
    calls[2].thread = 1;
    let trace = Trace::new("t", calls).unwrap();
    let table = Table::new(&trace, true);
    let barrier = Barrier::new(2);
    let results: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2)
            .map(|t| {
                let (trace, table, barrier) = (&trace, &table, &barrier);
                s.spawn(move || {
                    // The counting allocator's blocks are 16-aligned: the
                    // default aligned path refuses 4096.
                    replay::run_thread(
                        trace,
                        t,
                        table,
                        t == 0,
                        &mut CountingAlloc::new(),
                        &mut FakeClock::new(1),
                        &mut Meet(barrier),
                    )
                    .map(|_| ())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(matches!(
        results[0],
        Err(ReplayError::Refused { call: 0, .. })
    ));
    assert_eq!(results[1], Err(ReplayError::Abandoned));
}
