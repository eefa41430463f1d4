//! Churn's windows into their interval logs, written by a background
//! thread. Two recorder pairs are made up front and cycle between the
//! measuring thread and the writer over two bounded channels: a window is
//! copied into a spare pair (reset + add, which never allocates for
//! histograms of the same shape) and sent; the writer sends the pair back
//! once written. The measuring thread waits only when the writer is two
//! windows behind, and allocates nothing: the channels' buffers are made
//! when they are, and the blocking path is warmed up before the case starts.

use crate::output::hlog::HlogFile;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::JoinHandle;
use std::time::Duration;
use workloads::{Recorder, Window};

/// Recorder pairs in flight: one being written, one being filled.
const PAIRS: usize = 2;

/// One window handed to the writer.
struct Filled {
    alloc: Recorder,
    free: Recorder,
    start_ns: u64,
    end_ns: u64,
}

pub struct WindowWriter {
    filled: SyncSender<Filled>,
    spare: Receiver<(Recorder, Recorder)>,
    writer: JoinHandle<std::io::Result<()>>,
}

impl WindowWriter {
    /// Starts the writer of `logs` (alloc, free).
    pub fn start(logs: [HlogFile; 2], avoid: Option<usize>, allowed: &[usize]) -> WindowWriter {
        let (filled, to_write) = sync_channel::<Filled>(PAIRS);
        let (give_back, spare) = sync_channel::<(Recorder, Recorder)>(PAIRS);
        for _ in 0..PAIRS {
            give_back
                .send((Recorder::new(), Recorder::new()))
                .expect("the receiver is alive and the channel has room");
        }
        warm_up_blocking_receive();
        let writer = super::spawn(avoid, allowed, move || {
            write_windows(logs, &to_write, &give_back)
        });
        WindowWriter {
            filled,
            spare,
            writer,
        }
    }

    /// Sends a copy of `w` to the writer (called on the measuring thread,
    /// between ops). A writer that stopped (a write failed) is reported by
    /// [`WindowWriter::finish`].
    pub fn push(&self, w: &Window<'_>) {
        let Ok((mut alloc, mut free)) = self.spare.recv() else {
            return;
        };
        alloc.reset();
        alloc.add(w.alloc);
        free.reset();
        free.add(w.free);
        let _ = self.filled.send(Filled {
            alloc,
            free,
            start_ns: w.start_ns,
            end_ns: w.end_ns,
        });
    }

    /// Waits until every window is written and both logs are synced.
    pub fn finish(self) -> std::io::Result<()> {
        drop(self.filled);
        self.writer
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("the interval-log writer panicked")))
    }
}

/// A blocking receive sets up this thread's waiting state (a thread-local,
/// allocated on first use): do it now, before any measured loop, on an
/// empty channel with a deadline already near.
fn warm_up_blocking_receive() {
    let (_keep, rx) = sync_channel::<()>(1);
    let _ = rx.recv_timeout(Duration::from_micros(1));
}

fn write_windows(
    logs: [HlogFile; 2],
    to_write: &Receiver<Filled>,
    give_back: &SyncSender<(Recorder, Recorder)>,
) -> std::io::Result<()> {
    let [mut a, mut f] = logs;
    let mut failed = None;
    for next in to_write {
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
        // The measuring thread may be gone (the case ended): nothing to return to.
        let _ = give_back.send((next.alloc, next.free));
    }
    if let Some(e) = failed {
        return Err(e);
    }
    a.finish()?;
    f.finish()?;
    Ok(())
}
