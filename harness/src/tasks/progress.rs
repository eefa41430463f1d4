//! The progress of the running case: one relaxed atomic store per update on
//! the measuring thread; a background thread draws the bar.

use indicatif::ProgressBar;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

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
            super::spawn(avoid, allowed, move || {
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
