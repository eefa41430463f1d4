//! Whether this thread is inside the interposer now. A call that arrives
//! while it is (dlsym's calloc, pthread_atfork's malloc, the forwarded-to
//! allocator's own calls) must be forwarded plainly: recording or timing
//! it would recurse, or count the interposer's work as the program's.

use std::cell::Cell;

thread_local! {
    static IN_HOOK: Cell<bool> = const { Cell::new(false) };
}

/// Marks this thread inside; whether it already was.
#[inline(always)]
pub fn enter() -> bool {
    IN_HOOK.with(|h| h.replace(true))
}

/// Restores the mark [`enter`] returned (`false` after an outermost call).
#[inline(always)]
pub fn restore(was_in: bool) {
    IN_HOOK.with(|h| h.set(was_in));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nested_enter_sees_the_outer_one_and_each_thread_has_its_own() {
        assert!(!enter());
        assert!(enter());
        restore(true);
        std::thread::spawn(|| assert!(!enter())).join().unwrap();
        restore(false);
        assert!(!enter());
        restore(false);
    }
}
