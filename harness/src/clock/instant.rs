//! Other targets: `std::time::Instant`, in nanoseconds.

use super::TimerInfo;
use std::time::Instant;

#[derive(Clone, Copy, Debug)]
pub struct InstantClock {
    epoch: Instant,
}

impl workloads::Clock for InstantClock {
    #[inline(always)]
    fn start(&mut self) -> u64 {
        self.epoch.elapsed().as_nanos() as u64
    }

    #[inline(always)]
    fn stop(&mut self) -> u64 {
        self.epoch.elapsed().as_nanos() as u64
    }

    #[inline(always)]
    fn ticks_to_ns(&self, ticks: u64) -> u64 {
        ticks
    }
}

pub fn calibrate() -> (InstantClock, TimerInfo) {
    let epoch = Instant::now();
    let info = TimerInfo {
        source: "instant".into(),
        sequence: "Instant::now | call | Instant::now".into(),
        ticks_per_second: 1e9,
        ns_per_tick: 1.0,
        resolution_ns: super::smallest_step(|| epoch.elapsed().as_nanos() as u64) as f64,
        calibration: "std::time::Instant, nanoseconds; its real resolution is the OS's".into(),
        invariant: None,
    };
    (InstantClock { epoch }, info)
}
