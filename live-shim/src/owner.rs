//! The single-threaded allocators' rule: the first thread to call owns
//! the allocator; a call from any other thread stops the program with a
//! message saying why (no lock is added to the timed call).

use preload::die;
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};

static OWNED: AtomicBool = AtomicBool::new(false);

thread_local! {
    static OWNER: Cell<bool> = const { Cell::new(false) };
}

/// Passes on the owning thread; stops the program on any other.
#[inline(always)]
pub fn check() {
    if !OWNER.with(Cell::get) {
        if OWNED.swap(true, Ordering::AcqRel) {
            die(b"live-shim: a second thread called malloc; the allocator (pmad or tlsf) serves one thread (single-threaded by design), so this program cannot run on it\n");
        }
        OWNER.with(|o| o.set(true));
    }
}
