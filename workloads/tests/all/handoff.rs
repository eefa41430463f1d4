//! The producer-consumer ring checked with the fake clock: on one thread
//! (a loopback link) the exact counts and first-in-first-out frees; on two
//! threads, every block freed by the thread that did not allocate it; and
//! a thread that fails stops its neighbour instead of leaving it waiting.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::thread::ThreadId;
use workloads::handoff::{self, Mailbox};
use workloads::testing::{CountingAlloc, Event, FakeClock};
use workloads::{Allocator, Case, Kind, RunError, SizeSpec};

fn case(ops: u64, in_flight: usize) -> Case {
    Case {
        kind: Kind::Handoff,
        size: SizeSpec::Fixed(64),
        ops,
        blocks: in_flight,
        max_live: 1,
        seed: 5,
    }
}

#[test]
fn a_ring_of_one_frees_every_block_first_in_first_out() {
    let c = case(10_000, 16);
    let mut alloc = CountingAlloc::new();
    let out = workloads::run(&c, &mut alloc, &mut FakeClock::new(4), &mut ()).unwrap();
    let total = (c.warmup_ops() + c.ops) as usize;
    assert_eq!(
        (alloc.allocs(), alloc.frees(), alloc.live()),
        (total, total, 0)
    );
    assert_eq!((out.alloc.len(), out.free.len()), (10_000, 10_000));
    assert_eq!(out.ops, 20_000);
    assert!(
        alloc.peak_live <= 16 + 1,
        "at most the link's depth in flight"
    );
    let freed: Vec<u64> = alloc
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Free { id, .. } => Some(*id),
            _ => None,
        })
        .collect();
    assert_eq!(freed, (0..total as u64).collect::<Vec<_>>());
}

/// A link between two threads (pointers as addresses: they cross threads).
struct Link {
    queue: Mutex<VecDeque<(usize, usize)>>,
    depth: usize,
    closed: AtomicBool,
}

impl Link {
    fn new(depth: usize) -> Link {
        Link {
            queue: Mutex::new(VecDeque::new()),
            depth,
            closed: AtomicBool::new(false),
        }
    }
}

impl Mailbox for Link {
    fn send(&self, ptr: *mut u8, size: usize) -> bool {
        let mut q = self.queue.lock().unwrap();
        if q.len() == self.depth {
            return false;
        }
        q.push_back((ptr as usize, size));
        true
    }
    fn receive(&self) -> Option<(*mut u8, usize)> {
        let (p, s) = self.queue.lock().unwrap().pop_front()?;
        Some((p as *mut u8, s))
    }
    fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
    }
    fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }
}

/// One counting allocator shared by every thread, remembering which thread
/// allocated each block.
struct Heap {
    inner: Mutex<(CountingAlloc, HashMap<usize, ThreadId>)>,
    own_frees: AtomicU64,
    cross_frees: AtomicU64,
}

/// The heap as one thread sees it; it returns null once `allocs_left` reaches 0.
struct Shared<'a>(&'a Heap, u64);

impl Allocator for Shared<'_> {
    fn alloc(&mut self, size: usize) -> *mut u8 {
        if self.1 == 0 {
            return std::ptr::null_mut();
        }
        self.1 -= 1;
        let mut g = self.0.inner.lock().unwrap();
        let p = g.0.alloc(size);
        if !p.is_null() {
            g.1.insert(p as usize, std::thread::current().id());
        }
        p
    }
    unsafe fn free(&mut self, ptr: *mut u8, size: usize) {
        let mut g = self.0.inner.lock().unwrap();
        let owner = g.1.remove(&(ptr as usize)).expect("a live block");
        let counter = if owner == std::thread::current().id() {
            &self.0.own_frees
        } else {
            &self.0.cross_frees
        };
        counter.fetch_add(1, Ordering::SeqCst);
        // SAFETY: forwarded from the caller.
        unsafe { g.0.free(ptr, size) };
    }
}

/// Runs the ring on two threads; thread 0's allocator fails after `fail_after` allocations.
fn ring_of_two(
    c: &Case,
    heap: &Heap,
    fail_after: u64,
) -> Vec<Result<workloads::Outcome, RunError>> {
    let links = [Link::new(c.blocks), Link::new(c.blocks)];
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..2)
            .map(|i| {
                let (inbox, outbox) = (&links[(i + 1) % 2], &links[i]);
                s.spawn(move || {
                    handoff::run(
                        c,
                        &mut Shared(heap, if i == 0 { fail_after } else { u64::MAX }),
                        &mut FakeClock::new(3),
                        &mut (),
                        inbox,
                        outbox,
                    )
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

fn heap() -> Heap {
    Heap {
        inner: Mutex::new((CountingAlloc::new(), HashMap::new())),
        own_frees: AtomicU64::new(0),
        cross_frees: AtomicU64::new(0),
    }
}

#[test]
fn on_two_threads_every_block_is_freed_by_the_other_thread() {
    let c = case(20_000, 64);
    let heap = heap();
    for out in ring_of_two(&c, &heap, u64::MAX) {
        let out = out.unwrap();
        assert_eq!((out.alloc.len(), out.free.len()), (20_000, 20_000));
    }
    let g = heap.inner.lock().unwrap();
    let total = 2 * (c.warmup_ops() + c.ops) as usize;
    assert_eq!((g.0.allocs(), g.0.frees(), g.0.live()), (total, total, 0));
    assert_eq!(heap.own_frees.load(Ordering::SeqCst), 0);
    assert_eq!(heap.cross_frees.load(Ordering::SeqCst), total as u64);
}

#[test]
fn a_thread_that_fails_stops_its_neighbour_instead_of_leaving_it_waiting() {
    let c = case(20_000, 64);
    let heap = heap();
    let results = ring_of_two(&c, &heap, c.warmup_ops() + 500);
    assert_eq!(
        results[0].as_ref().err(),
        Some(&RunError::Exhausted { op: 500, size: 64 })
    );
    assert_eq!(results[1].as_ref().err(), Some(&RunError::Abandoned));
    // Nothing leaks: every block either thread allocated was freed, those
    // in flight in the links and in hand included.
    let g = heap.inner.lock().unwrap();
    assert!(g.0.allocs() > 0);
    assert_eq!(
        (g.0.live(), g.1.len()),
        (0, 0),
        "blocks left live after the failure"
    );
    assert_eq!(g.0.allocs(), g.0.frees());
}
