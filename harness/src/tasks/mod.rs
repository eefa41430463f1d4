//! Work the harness does while a case runs, moved off the measuring thread
//! so that nothing in a measured loop allocates, formats or writes: the
//! progress bar ([`progress`]) and churn's interval-log writer
//! ([`window_log`]). Both run on a CPU other than the pinned one when there
//! is one, and announce themselves to a `--syscalls` trace first.

mod progress;
mod window_log;

pub use progress::Progress;
pub use window_log::WindowWriter;

use std::sync::Arc;
use std::thread::JoinHandle;

/// Spawns a helper thread kept off `avoid` (the measuring CPU) when another
/// allowed CPU exists.
pub(crate) fn spawn<T: Send + 'static>(
    avoid: Option<usize>,
    allowed: &[usize],
    f: impl FnOnce() -> T + Send + 'static,
) -> JoinHandle<T> {
    let others: Vec<usize> = allowed
        .iter()
        .copied()
        .filter(|&c| Some(c) != avoid)
        .collect();
    // The spawner waits until the helper has announced itself to a
    // `--syscalls` trace, so none of the helper's calls (its start-up
    // included) can be taken for the allocator's.
    let ready = Arc::new(std::sync::Barrier::new(2));
    let ready_in_helper = ready.clone();
    let handle = std::thread::spawn(move || {
        crate::syscalls::mark(crate::syscalls::HELPER);
        ready_in_helper.wait();
        if avoid.is_some() && !others.is_empty() {
            crate::platform::set_affinity(&others);
        }
        f()
    });
    ready.wait();
    handle
}
