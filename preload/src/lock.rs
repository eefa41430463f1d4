//! A spin lock over one atomic: no memory to allocate, no futex, usable
//! from inside malloc. Held only around short sections (a slot claimed,
//! one event written), so spinning is cheaper than sleeping there.

use std::sync::atomic::{AtomicBool, Ordering};

pub struct SpinLock(AtomicBool);

impl SpinLock {
    pub const fn new() -> SpinLock {
        SpinLock(AtomicBool::new(false))
    }

    pub fn lock(&self) {
        while self
            .0
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            std::hint::spin_loop();
        }
    }

    pub fn unlock(&self) {
        self.0.store(false, Ordering::Release);
    }

    /// Frees the lock whoever held it: in a forked child, where the thread
    /// that held it in the parent does not exist.
    pub fn reset_after_fork(&self) {
        self.0.store(false, Ordering::Relaxed);
    }
}

impl Default for SpinLock {
    fn default() -> SpinLock {
        SpinLock::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_keeps_a_counter_exact_across_threads() {
        static LOCK: SpinLock = SpinLock::new();
        static mut COUNT: u64 = 0;
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..10_000 {
                        LOCK.lock();
                        // SAFETY: COUNT is only touched with LOCK held.
                        unsafe { COUNT += 1 };
                        LOCK.unlock();
                    }
                });
            }
        });
        // SAFETY: every thread has joined.
        assert_eq!(unsafe { COUNT }, 40_000);
    }
}
