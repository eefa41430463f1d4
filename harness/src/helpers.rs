//! Work the harness does while a case runs, moved off the measuring thread
//! so that nothing in a measured loop allocates, formats or writes: a
//! progress-bar thread that polls an atomic counter, and a writer thread that
//! serialises churn windows into their interval logs. Both run on a CPU
//! other than the pinned one when there is one.

use crate::output::hlog::HlogFile;
use indicatif::ProgressBar;
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;
use workloads::{Recorder, Window};

/// Spawns a helper thread kept off `avoid` (the measuring CPU) when another
/// allowed CPU exists.
fn spawn<T: Send + 'static>(
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
            crate::runtime::set_affinity(&others);
        }
        f()
    });
    ready.wait();
    handle
}

/// The progress of the running case: one relaxed atomic store per update on
/// the measuring thread; a helper thread draws the bar.
pub struct Progress {
    done: Arc<AtomicU64>,
    total: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    drawer: Option<JoinHandle<()>>,
}

impl Progress {
    pub fn start(bar: ProgressBar, avoid: Option<usize>, allowed: &[usize]) -> Progress {
        let (done, total, stop) = (
            Arc::new(AtomicU64::new(0)),
            Arc::new(AtomicU64::new(0)),
            Arc::new(AtomicBool::new(false)),
        );
        let drawer = (!bar.is_hidden()).then(|| {
            let (d, t, s) = (done.clone(), total.clone(), stop.clone());
            spawn(avoid, allowed, move || {
                while !s.load(Ordering::Relaxed) {
                    bar.set_length(t.load(Ordering::Relaxed));
                    bar.set_position(d.load(Ordering::Relaxed));
                    std::thread::sleep(Duration::from_millis(100));
                }
                bar.finish_and_clear();
            })
        });
        Progress {
            done,
            total,
            stop,
            drawer,
        }
    }

    #[inline]
    pub fn update(&self, done: u64, total: u64) {
        self.total.store(total, Ordering::Relaxed);
        self.done.store(done, Ordering::Relaxed);
    }

    pub fn finish(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(drawer) = self.drawer.take() {
            let _ = drawer.join();
        }
    }
}

/// One window handed to the writer.
struct Filled {
    alloc: Recorder,
    free: Recorder,
    start_ns: u64,
    end_ns: u64,
}

#[derive(Default)]
struct Queue {
    /// Emptied recorder pairs ready for the next window.
    spare: VecDeque<(Recorder, Recorder)>,
    /// Windows waiting to be written, oldest first.
    filled: VecDeque<Filled>,
    closed: bool,
}

struct Exchange {
    queue: Mutex<Queue>,
    changed: Condvar,
}

/// Hands churn windows to a writer thread without allocating: two recorder
/// pairs are made up front and cycle between the threads; a window is copied
/// into a spare pair (reset + add, which never allocates for histograms of
/// the same shape) and queued. The measuring thread waits only if the
/// writer is two windows behind.
pub struct WindowWriter {
    exchange: Arc<Exchange>,
    writer: JoinHandle<std::io::Result<[PathBuf; 2]>>,
}

/// Recorder pairs in flight: one being written, one being filled.
const PAIRS: usize = 2;

impl WindowWriter {
    pub fn start(logs: [HlogFile; 2], avoid: Option<usize>, allowed: &[usize]) -> WindowWriter {
        let mut queue = Queue {
            spare: VecDeque::with_capacity(PAIRS),
            filled: VecDeque::with_capacity(PAIRS),
            closed: false,
        };
        for _ in 0..PAIRS {
            queue.spare.push_back((Recorder::new(), Recorder::new()));
        }
        let exchange = Arc::new(Exchange {
            queue: Mutex::new(queue),
            changed: Condvar::new(),
        });
        let ex = exchange.clone();
        let writer = spawn(avoid, allowed, move || write_windows(&ex, logs));
        WindowWriter { exchange, writer }
    }

    /// Queues a copy of `w` (called on the measuring thread, between ops).
    pub fn push(&self, w: &Window<'_>) {
        let mut q = self
            .exchange
            .queue
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        while q.spare.is_empty() && !q.closed {
            q = self
                .exchange
                .changed
                .wait(q)
                .unwrap_or_else(|e| e.into_inner());
        }
        let Some((mut alloc, mut free)) = q.spare.pop_front() else {
            return;
        };
        alloc.reset();
        alloc.add(w.alloc);
        free.reset();
        free.add(w.free);
        q.filled.push_back(Filled {
            alloc,
            free,
            start_ns: w.start_ns,
            end_ns: w.end_ns,
        });
        self.exchange.changed.notify_all();
    }

    /// Waits for every window to be written; the finished partial files.
    pub fn finish(self) -> std::io::Result<[PathBuf; 2]> {
        {
            let mut q = self
                .exchange
                .queue
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            q.closed = true;
            self.exchange.changed.notify_all();
        }
        self.writer
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("the interval-log writer panicked")))
    }
}

fn write_windows(ex: &Exchange, logs: [HlogFile; 2]) -> std::io::Result<[PathBuf; 2]> {
    let [mut a, mut f] = logs;
    let mut failed = None;
    loop {
        let next = {
            let mut q = ex.queue.lock().unwrap_or_else(|e| e.into_inner());
            while q.filled.is_empty() && !q.closed {
                q = ex.changed.wait(q).unwrap_or_else(|e| e.into_inner());
            }
            match q.filled.pop_front() {
                Some(w) => w,
                None => break,
            }
        };
        if failed.is_none() {
            let start = Duration::from_nanos(next.start_ns);
            let length = Duration::from_nanos(next.end_ns - next.start_ns);
            if let Err(e) = a
                .interval(next.alloc.histogram(), start, length)
                .and_then(|()| f.interval(next.free.histogram(), start, length))
            {
                failed = Some(e);
            }
        }
        let mut q = ex.queue.lock().unwrap_or_else(|e| e.into_inner());
        q.spare.push_back((next.alloc, next.free));
        ex.changed.notify_all();
    }
    if let Some(e) = failed {
        return Err(e);
    }
    Ok([a.finish()?, f.finish()?])
}
