//! x86_64: the time-stamp counter, fenced so the timed call cannot leak out
//! of the region: `lfence; rdtsc; lfence` before, `rdtscp; lfence` after.

use super::{monotonic_raw_ns, ns_per_tick_q32, scale, TimerInfo};
use std::arch::x86_64::{__cpuid, __rdtscp, _mm_lfence, _rdtsc};

/// The fenced TSC with its measured rate.
#[derive(Clone, Copy, Debug)]
pub struct Tsc {
    q32: u64,
}

impl workloads::Clock for Tsc {
    #[inline(always)]
    fn start(&mut self) -> u64 {
        // SAFETY: lfence and rdtsc exist on every x86_64 CPU.
        unsafe {
            _mm_lfence();
            let t = _rdtsc();
            _mm_lfence();
            t
        }
    }

    #[inline(always)]
    fn stop(&mut self) -> u64 {
        let mut aux = 0u32;
        // SAFETY: rdtscp is checked at calibration (CPUID 0x80000001 EDX bit 27).
        unsafe {
            let t = __rdtscp(&mut aux);
            _mm_lfence();
            t
        }
    }

    #[inline(always)]
    fn ticks_to_ns(&self, ticks: u64) -> u64 {
        scale(ticks, self.q32)
    }
}

/// Measures the TSC rate over about 200 ms against CLOCK_MONOTONIC_RAW, and
/// reads the invariant-TSC flag. Exits with a clear message on a CPU
/// without rdtscp.
pub fn calibrate() -> (Tsc, TimerInfo) {
    if !has_rdtscp() {
        eprintln!("harness: this x86_64 CPU has no rdtscp instruction; the timed region needs it");
        std::process::exit(1);
    }
    let (t0, n0) = paired_read();
    std::thread::sleep(std::time::Duration::from_millis(200));
    let (t1, n1) = paired_read();
    let ticks_per_second = (t1 - t0) as f64 * 1e9 / (n1 - n0) as f64;
    // SAFETY: rdtsc exists on every x86_64 CPU.
    let step = super::smallest_step(|| unsafe { _rdtsc() });
    let info = TimerInfo {
        source: "tsc".into(),
        sequence: "lfence; rdtsc; lfence | call | rdtscp; lfence".into(),
        ticks_per_second,
        ns_per_tick: 1e9 / ticks_per_second,
        resolution_ns: step as f64 * 1e9 / ticks_per_second,
        calibration: format!(
            "{} ticks over {} ns of CLOCK_MONOTONIC_RAW",
            t1 - t0,
            n1 - n0
        ),
        invariant: Some(invariant_tsc()),
    };
    (
        Tsc {
            q32: ns_per_tick_q32(ticks_per_second),
        },
        info,
    )
}

/// A TSC read and a CLOCK_MONOTONIC_RAW read taken as close together as
/// possible: the best of 16 tries by the gap around the reference read.
fn paired_read() -> (u64, u64) {
    let mut best = (u64::MAX, 0, 0);
    for _ in 0..16 {
        // SAFETY: rdtsc exists on every x86_64 CPU.
        let before = unsafe { _rdtsc() };
        let ns = monotonic_raw_ns();
        // SAFETY: as above.
        let after = unsafe { _rdtsc() };
        if after - before < best.0 {
            best = (after - before, before + (after - before) / 2, ns);
        }
    }
    (best.1, best.2)
}

/// CPUID 0x80000007 EDX bit 8: the TSC runs at a constant rate in every
/// P-, C- and T-state.
fn invariant_tsc() -> bool {
    // Leaves above the maximum extended leaf are not queried.
    __cpuid(0x8000_0000).eax >= 0x8000_0007 && __cpuid(0x8000_0007).edx & (1 << 8) != 0
}

fn has_rdtscp() -> bool {
    __cpuid(0x8000_0000).eax >= 0x8000_0001 && __cpuid(0x8000_0001).edx & (1 << 27) != 0
}
