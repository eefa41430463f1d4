//! The allocators under test: one adapter each behind its Cargo feature,
//! monomorphised into the workload loops (no `dyn`, never the process's
//! global allocator), plus the `null` allocator that is always compiled in
//! and a library row's adapter (`preloaded`), used in the process the
//! library is preloaded into.

mod global;
#[cfg(feature = "pmad")]
mod pmad_pool;
mod preloaded;

pub mod settings;
#[cfg_attr(not(feature = "inject-slowdown"), allow(dead_code))]
pub mod slowed;
#[cfg(feature = "tlsf")]
mod tlsf_pool;

use crate::clock::Timer;
use workloads::handoff::Mailbox;
use workloads::{Allocator, Case, Clock, NullAlloc, Observer, Outcome};

pub use crate::names::Name;
pub use crate::results::pools::{PmadReport, TlsfReport};

/// The layout of a `size`-byte request: alignment 16 (what malloc promises
/// on x86_64 and aarch64), or the size rounded up to a power of two when it is
/// smaller, so every crate takes its plain malloc path (System, for one, uses
/// an aligned allocation when the alignment exceeds the size).
#[inline(always)]
pub(crate) fn layout(size: usize) -> std::alloc::Layout {
    let align = if size >= 16 {
        16
    } else {
        size.next_power_of_two()
    };
    // SAFETY: align is a power of two no larger than 16, and size is at most
    // 64 KiB (the CLI's limit) or a block a recorded program was given
    // (replay), which a 48-bit address space keeps far below isize::MAX - 16:
    // the rounded size cannot overflow isize.
    unsafe { std::alloc::Layout::from_size_align_unchecked(size, align) }
}

/// How allocators are set up for a run.
#[derive(Clone, Copy, Debug, Default)]
pub struct Setup {
    /// Lock PMAD's pool and TLSF's region in RAM (their real-time deployment).
    #[cfg_attr(not(any(feature = "pmad", feature = "tlsf")), allow(dead_code))]
    pub mlock: bool,
}

/// One case's latencies, and PMAD's pool or TLSF's region when they served it.
pub struct Measured {
    pub outcome: Outcome,
    pub pmad: Option<PmadReport>,
    pub tlsf: Option<TlsfReport>,
}

/// A loop to run on an allocator whose blocks any thread may free (every
/// one but PMAD and TLSF, which are single-threaded pools).
pub trait OnHeap {
    type Out;
    fn run<A: Allocator>(self, alloc: &mut A) -> Self::Out;
}

/// The null allocator's one block for `case`: a replay's largest block,
/// else [`workloads::allocator::NULL_BLOCK_BYTES`].
fn null_block_bytes(case: &Case) -> usize {
    match case.kind {
        workloads::Kind::Replay(trace) => trace.largest,
        _ => workloads::allocator::NULL_BLOCK_BYTES,
    }
}

/// Runs `body` on allocator `name` (the null allocator with a block of
/// `null_bytes`); None for PMAD and TLSF (their own pools, see
/// [`run_case`]) and for an allocator not compiled in.
fn on_heap<B: OnHeap>(name: Name, null_bytes: usize, body: B) -> Option<B::Out> {
    match name {
        Name::Null => Some(body.run(&mut NullAlloc::with_block_bytes(null_bytes))),
        #[cfg(feature = "jemalloc")]
        Name::Jemalloc => Some(heap(
            name,
            global::Global(tikv_jemallocator::Jemalloc),
            body,
        )),
        #[cfg(feature = "mimalloc")]
        Name::Mimalloc => Some(heap(name, global::Global(mimalloc::MiMalloc), body)),
        #[cfg(feature = "tcmalloc")]
        Name::Tcmalloc => Some(heap(name, global::Global(tcmalloc_better::TCMalloc), body)),
        #[cfg(feature = "system")]
        Name::System => Some(heap(name, global::Global(std::alloc::System), body)),
        #[cfg(feature = "snmalloc")]
        Name::Snmalloc => Some(heap(name, global::Global(snmalloc_rs::SnMalloc), body)),
        Name::Lib(l) if crate::shared_lib::measured_here(l) => {
            Some(heap(name, global::Global(preloaded::Preloaded), body))
        }
        _ => None,
    }
}

/// Runs `body` on `alloc` (allocator `name`), through the injected
/// slowdown when this is a test double build that slows `name`.
#[inline(always)]
fn heap<B: OnHeap, A: Allocator>(name: Name, mut alloc: A, body: B) -> B::Out {
    #[cfg(feature = "inject-slowdown")]
    if let Some(steps) = slowed::steps_for(name) {
        return body.run(&mut slowed::Slowed::new(alloc, steps));
    }
    let _ = name;
    body.run(&mut alloc)
}

fn not_compiled(name: Name) -> String {
    if name.is_lib() {
        return format!(
            "library row {} is measured only in the process it is preloaded into",
            name.as_str()
        );
    }
    format!(
        "allocator {} is not compiled into this binary",
        name.as_str()
    )
}

/// One case through `workloads::run`.
struct Plain<'a, C, O> {
    case: &'a Case,
    clock: &'a mut C,
    observer: &'a mut O,
}

impl<C: Clock, O: Observer> OnHeap for Plain<'_, C, O> {
    type Out = Result<Outcome, workloads::RunError>;
    fn run<A: Allocator>(self, alloc: &mut A) -> Self::Out {
        workloads::run(self.case, alloc, self.clock, self.observer)
    }
}

/// Runs `case` on allocator `name` with `clock` (the platform clock, or
/// `count`'s instruction counter). Errors are one readable line (a pool that
/// cannot be built or ran out).
pub fn run_case<C: Clock, O: Observer>(
    name: Name,
    case: &Case,
    clock: &mut C,
    observer: &mut O,
    setup: Setup,
) -> Result<Measured, String> {
    match name {
        #[cfg(feature = "pmad")]
        Name::Pmad => pmad_pool::run(case, clock, observer, setup),
        #[cfg(feature = "tlsf")]
        Name::Tlsf => tlsf_pool::run(case, clock, observer, setup),
        other => {
            let _ = setup;
            let body = Plain {
                case,
                clock,
                observer,
            };
            on_heap(other, null_block_bytes(case), body)
                .ok_or_else(|| not_compiled(other))?
                .map(|outcome| Measured {
                    outcome,
                    pmad: None,
                    tlsf: None,
                })
                .map_err(|e| e.to_string())
        }
    }
}

/// Why an allocator cannot take a block freed by another thread, or None
/// when it can (producer-consumer runs only those).
pub fn cross_thread_frees(name: Name) -> Option<&'static str> {
    match name {
        Name::Pmad => Some(
            "single-threaded by design (no locks, no atomics; one pool per thread): a block must be freed by the thread that allocated it",
        ),
        Name::Tlsf => Some(
            "one single-threaded pool (rlsf's Tlsf takes &mut self, no lock): a block must be freed by the thread that owns the pool",
        ),
        _ => None,
    }
}

/// Why allocator `name` cannot replay `trace` (a fixed pool that cannot
/// serve its sizes or alignments), or None when it can.
pub fn cannot_replay(name: Name, trace: &workloads::replay::Trace) -> Option<String> {
    match name {
        #[cfg(feature = "pmad")]
        Name::Pmad => pmad_pool::cannot_serve(trace),
        _ => {
            let _ = trace;
            None
        }
    }
}

/// Why `harness count` cannot run an allocator under valgrind, or None
/// when it can.
pub fn not_countable(name: Name) -> Option<&'static str> {
    match name {
        Name::Snmalloc => Some(
            "snmalloc reserves its 256 GiB pagemap at its first call, more address space than valgrind gives a program (128 GiB on x86-64): the reservation fails and snmalloc aborts",
        ),
        _ => None,
    }
}

/// One recorded thread of a threaded replay.
struct ReplayThread<'a, O> {
    trace: &'a workloads::replay::Trace,
    thread: u32,
    table: &'a workloads::replay::Table,
    clock: &'a mut Timer,
    observer: &'a mut O,
}

impl<O: Observer> OnHeap for ReplayThread<'_, O> {
    type Out = Result<Outcome, workloads::replay::ReplayError>;
    fn run<A: Allocator>(self, alloc: &mut A) -> Self::Out {
        workloads::replay::run_thread(
            self.trace,
            self.thread,
            self.table,
            self.thread == 0,
            alloc,
            self.clock,
            self.observer,
        )
    }
}

/// Replays recorded thread `thread` of `trace` on allocator `name`, which
/// must take cross-thread frees ([`cross_thread_frees`]); its blocks in
/// `table`, shared by the replay's threads. Thread 0 frees the leaks.
pub fn run_replay_thread<O: Observer>(
    name: Name,
    (trace, thread): (&workloads::replay::Trace, u32),
    table: &workloads::replay::Table,
    clock: &mut Timer,
    observer: &mut O,
) -> Result<Outcome, String> {
    if let Some(why) = cross_thread_frees(name) {
        return Err(format!("{}: not applicable: {why}", name.as_str()));
    }
    let body = ReplayThread {
        trace,
        thread,
        table,
        clock,
        observer,
    };
    on_heap(name, trace.largest, body)
        .ok_or_else(|| not_compiled(name))?
        .map_err(|e| format!("replay: {e}"))
}

/// One thread's part of the producer-consumer ring.
struct Handoff<'a, O, M> {
    case: &'a Case,
    clock: &'a mut Timer,
    observer: &'a mut O,
    inbox: &'a M,
    outbox: &'a M,
}

impl<O: Observer, M: Mailbox> OnHeap for Handoff<'_, O, M> {
    type Out = Result<Outcome, workloads::RunError>;
    fn run<A: Allocator>(self, alloc: &mut A) -> Self::Out {
        workloads::handoff::run(
            self.case,
            alloc,
            self.clock,
            self.observer,
            self.inbox,
            self.outbox,
        )
    }
}

/// Runs one thread of the producer-consumer ring on allocator `name`, which
/// must take cross-thread frees ([`cross_thread_frees`]).
pub fn run_handoff<O: Observer, M: Mailbox>(
    name: Name,
    case: &Case,
    clock: &mut Timer,
    observer: &mut O,
    (inbox, outbox): (&M, &M),
) -> Result<Outcome, String> {
    if let Some(why) = cross_thread_frees(name) {
        return Err(format!("{}: not applicable: {why}", name.as_str()));
    }
    let body = Handoff {
        case,
        clock,
        observer,
        inbox,
        outbox,
    };
    on_heap(name, null_block_bytes(case), body)
        .ok_or_else(|| not_compiled(name))?
        .map_err(|e| e.to_string())
}
