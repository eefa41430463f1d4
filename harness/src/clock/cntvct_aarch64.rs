//! aarch64: the generic timer's virtual count, `isb; mrs cntvct_el0`, at the
//! rate in `cntfrq_el0`. Its resolution is coarse on some machines (24 MHz,
//! 41.67 ns per tick, on Apple silicon): meta.json states it.

use super::{monotonic_raw_ns, ns_per_tick_q32, scale, TimerInfo};
use std::arch::asm;

#[derive(Clone, Copy, Debug)]
pub struct Cntvct {
    q32: u64,
}

#[inline(always)]
fn read() -> u64 {
    let t: u64;
    // SAFETY: cntvct_el0 is readable from EL0 on Linux and macOS; isb orders
    // the read after earlier instructions.
    unsafe { asm!("isb", "mrs {t}, cntvct_el0", t = out(reg) t, options(nostack)) };
    t
}

impl workloads::Clock for Cntvct {
    #[inline(always)]
    fn start(&mut self) -> u64 {
        read()
    }

    #[inline(always)]
    fn stop(&mut self) -> u64 {
        read()
    }

    #[inline(always)]
    fn ticks_to_ns(&self, ticks: u64) -> u64 {
        scale(ticks, self.q32)
    }
}

/// Reads the counter's rate from `cntfrq_el0` and checks it over 200 ms
/// against CLOCK_MONOTONIC_RAW.
pub fn calibrate() -> (Cntvct, TimerInfo) {
    let freq: u64;
    // SAFETY: cntfrq_el0 is readable from EL0.
    unsafe { asm!("mrs {f}, cntfrq_el0", f = out(reg) freq, options(nostack)) };
    let (t0, n0) = (read(), monotonic_raw_ns());
    std::thread::sleep(std::time::Duration::from_millis(200));
    let (t1, n1) = (read(), monotonic_raw_ns());
    let measured = (t1 - t0) as f64 * 1e9 / (n1 - n0) as f64;
    let info = TimerInfo {
        source: "cntvct_el0".into(),
        sequence: "isb; mrs cntvct_el0 | call | isb; mrs cntvct_el0".into(),
        ticks_per_second: freq as f64,
        ns_per_tick: 1e9 / freq as f64,
        resolution_ns: super::smallest_step(read) as f64 * 1e9 / freq as f64,
        calibration: format!("cntfrq_el0 = {freq} Hz; measured {measured:.0} Hz over 200 ms"),
        invariant: Some(true),
    };
    (
        Cntvct {
            q32: ns_per_tick_q32(freq as f64),
        },
        info,
    )
}
