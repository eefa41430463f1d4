//! The links of the producer-consumer ring: the [`Mailbox`] a thread hands
//! blocks through, the one-thread [`Loopback`], and [`wait`] for a
//! neighbour. Shared by the per-op loop (`handoff.rs`) and the batched
//! phase (`batched/handoff.rs`).

use crate::RunError;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;

/// One direction of the ring: blocks from one thread to the next. It must
/// not allocate in `send` or `receive` (they run between timed calls).
pub trait Mailbox {
    /// Hands a block on; false when the link is full (try again later).
    fn send(&self, ptr: *mut u8, size: usize) -> bool;
    /// The oldest block handed over, if any. After `close`, both ends
    /// receive (an early stop drains both links), so a link shared between
    /// threads must hand each block to exactly one of two receivers.
    fn receive(&self) -> Option<(*mut u8, usize)>;
    /// Marks the link dead: a thread at one end stopped early.
    fn close(&self);
    fn is_closed(&self) -> bool;
}

/// A link from a thread to itself: the ring of one that `workloads::run`
/// uses, so the loop can be checked on one thread with the fake clock.
pub struct Loopback {
    queue: RefCell<VecDeque<(*mut u8, usize)>>,
    capacity: usize,
    closed: Cell<bool>,
}

impl Loopback {
    pub fn new(capacity: usize) -> Loopback {
        Loopback {
            queue: RefCell::new(VecDeque::with_capacity(capacity)),
            capacity,
            closed: Cell::new(false),
        }
    }
}

impl Mailbox for Loopback {
    fn send(&self, ptr: *mut u8, size: usize) -> bool {
        let mut q = self.queue.borrow_mut();
        if q.len() == self.capacity {
            return false;
        }
        q.push_back((ptr, size));
        true
    }

    fn receive(&self) -> Option<(*mut u8, usize)> {
        self.queue.borrow_mut().pop_front()
    }

    fn close(&self) {
        self.closed.set(true);
    }

    fn is_closed(&self) -> bool {
        self.closed.get()
    }
}

/// Nothing to do until a neighbour moves: give up the CPU, or stop when
/// a link is closed. A yield, not a bare spin: with two threads on one
/// CPU (a narrow affinity mask, the traced re-run of `--syscalls`) a
/// spinning thread would hold the CPU for its whole time slice while the
/// neighbour it waits for cannot run.
#[inline(always)]
pub(crate) fn wait<M: Mailbox>(inbox: &M, outbox: &M) -> Result<(), RunError> {
    if inbox.is_closed() || outbox.is_closed() {
        return Err(RunError::Abandoned);
    }
    std::thread::yield_now();
    Ok(())
}
