//! The clock around each forwarded call: on x86_64 the same fenced TSC
//! reads as a run's timed region (`lfence; rdtsc; lfence` before,
//! `rdtscp; lfence` after; `harness live` refuses a CPU without rdtscp
//! before starting the program), elsewhere CLOCK_MONOTONIC in ns. The
//! harness converts ticks with its own calibration.

/// 0: TSC ticks; 1: nanoseconds (the file's `header::CLOCK`).
#[cfg(target_arch = "x86_64")]
pub const KIND: u64 = 0;
#[cfg(not(target_arch = "x86_64"))]
pub const KIND: u64 = 1;

#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub fn start() -> u64 {
    use std::arch::x86_64::{_mm_lfence, _rdtsc};
    // SAFETY: lfence and rdtsc exist on every x86_64 CPU.
    unsafe {
        _mm_lfence();
        let t = _rdtsc();
        _mm_lfence();
        t
    }
}

#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub fn stop() -> u64 {
    use std::arch::x86_64::{__rdtscp, _mm_lfence};
    let mut aux = 0u32;
    // SAFETY: rdtscp is checked by `harness live` before the program starts.
    unsafe {
        let t = __rdtscp(&mut aux);
        _mm_lfence();
        t
    }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
pub fn start() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec to write; CLOCK_MONOTONIC always exists.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
pub fn stop() -> u64 {
    start()
}
