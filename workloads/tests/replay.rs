//! The replay loop on the counting allocator: exactly the trace's calls,
//! in order, each timed under its own op; what is not made is counted; the
//! live set follows the trace at every step; a refused or inconsistent
//! call stops it, named.

use workloads::replay::{self, Call, CallKind, ReplayError};
use workloads::testing::{CountingAlloc, Event, FakeClock};
use workloads::Op;

fn call(kind: CallKind, id: u32, old: u32, size: u64, align: u32) -> Call {
    Call {
        kind,
        id,
        old,
        size,
        align,
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
    let r = replay::run(&calls, 6, &mut alloc, &mut clock, &mut ()).unwrap();
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
        let h = r.outcome.recorder(op);
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
    assert_eq!(r.outcome.ops, calls.len() as u64);
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
    let err = replay::run(&calls, 2, &mut alloc, &mut FakeClock::new(1), &mut ()).unwrap_err();
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

    let damaged = [call(Free, 1, 0, 0, 0)];
    let err = replay::run(&damaged, 1, &mut alloc, &mut FakeClock::new(1), &mut ()).unwrap_err();
    assert_eq!(err, ReplayError::Inconsistent { call: 0, id: 1 });
}
