//! A case's windows into its interval logs (one per op), written by a
//! background thread. Two recorder sets are made up front and cycle between
//! the measuring thread and the writer over two bounded channels: a window
//! is copied into a spare set (reset + add, which never allocates for
//! histograms of the same shape) and sent; the writer sends the set back
//! once written. The measuring thread waits only when the writer is two
//! windows behind, and allocates nothing: the channels' buffers are made
//! when they are, and the blocking path is warmed up before the case starts.

use crate::results::hlog::HlogFile;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::JoinHandle;
use std::time::Duration;
use workloads::{Op, Recorder, Window};

/// Recorder sets in flight: one being written, one being filled.
const SETS: usize = 2;

/// One window's histograms, one per op in `Op::ALL` order.
type Set = [Recorder; Op::ALL.len()];

/// One window handed to the writer.
struct Filled {
    set: Set,
    start_ns: u64,
    end_ns: u64,
}

pub struct WindowWriter {
    filled: SyncSender<Filled>,
    spare: Receiver<Set>,
    writer: JoinHandle<Result<(), String>>,
}

impl WindowWriter {
    /// Starts the writer of `logs`, one per op the case records.
    pub fn start(
        logs: Vec<(Op, HlogFile)>,
        avoid: Option<usize>,
        allowed: &[usize],
    ) -> WindowWriter {
        let (filled, to_write) = sync_channel::<Filled>(SETS);
        let (give_back, spare) = sync_channel::<Set>(SETS);
        for _ in 0..SETS {
            give_back
                .send(std::array::from_fn(|_| Recorder::new()))
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
        let Ok(mut set) = self.spare.recv() else {
            return;
        };
        for (mine, op) in set.iter_mut().zip(Op::ALL) {
            mine.reset();
            mine.add(w.recorder(op));
        }
        let _ = self.filled.send(Filled {
            set,
            start_ns: w.start_ns,
            end_ns: w.end_ns,
        });
    }

    /// Waits until every window is written and both logs are synced.
    /// The error is a sentence naming the file and the cause.
    pub fn finish(self) -> Result<(), String> {
        drop(self.filled);
        self.writer
            .join()
            .unwrap_or_else(|_| Err("the interval-log writer panicked".into()))
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
    mut logs: Vec<(Op, HlogFile)>,
    to_write: &Receiver<Filled>,
    give_back: &SyncSender<Set>,
) -> Result<(), String> {
    let mut failed = None;
    for next in to_write {
        if failed.is_none() {
            let start = Duration::from_nanos(next.start_ns);
            let length = Duration::from_nanos(next.end_ns - next.start_ns);
            failed = logs
                .iter_mut()
                .try_for_each(|(op, log)| {
                    log.interval(next.set[op.index()].histogram(), start, length)
                })
                .err();
        }
        // The measuring thread may be gone (the case ended): nothing to return to.
        let _ = give_back.send(next.set);
    }
    if let Some(e) = failed {
        return Err(e);
    }
    for (_, log) in logs {
        log.finish()?;
    }
    Ok(())
}
