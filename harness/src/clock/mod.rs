//! The clock of the timed region, one file per architecture, calibrated at
//! start against CLOCK_MONOTONIC_RAW.

#[cfg(target_arch = "aarch64")]
mod cntvct_aarch64;
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
mod instant;
#[cfg(target_arch = "x86_64")]
mod tsc_x86;

#[cfg(target_arch = "aarch64")]
pub use cntvct_aarch64::{calibrate, Cntvct as Timer};
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
pub use instant::{calibrate, InstantClock as Timer};
#[cfg(target_arch = "x86_64")]
pub use tsc_x86::{calibrate, Tsc as Timer};

use serde::Serialize;

/// What the clock is and how far to trust it; goes into meta.json and the
/// terminal header.
#[derive(Clone, Debug, Serialize)]
pub struct TimerInfo {
    /// "tsc", "cntvct_el0" or "instant".
    pub source: &'static str,
    /// The instructions around the timed call.
    pub sequence: &'static str,
    /// Ticks per second, measured (x86) or read from the hardware (aarch64).
    pub ticks_per_second: f64,
    pub ns_per_tick: f64,
    /// The smallest non-zero step between back-to-back reads, in ns: an upper
    /// bound of the clock's resolution. Some counters step by more than one
    /// tick (AMD Zen's TSC moves at 100 MHz in steps of rate/100 MHz, 10 ns);
    /// a figure below it cannot be resolved.
    pub resolution_ns: f64,
    /// How the rate was found.
    pub calibration: String,
    /// Whether the counter keeps a constant rate through P-states and C-states
    /// (None when the platform cannot say).
    pub invariant: Option<bool>,
}

/// The smallest non-zero difference between consecutive values of `read`
/// over 200,000 reads.
pub(crate) fn smallest_step(mut read: impl FnMut() -> u64) -> u64 {
    let mut prev = read();
    let mut best = u64::MAX;
    for _ in 0..200_000 {
        let now = read();
        let step = now.wrapping_sub(prev);
        if step > 0 && step < best {
            best = step;
        }
        prev = now;
    }
    if best == u64::MAX {
        1
    } else {
        best
    }
}

/// Fixed-point ns-per-tick with 32 fractional bits: converts without floats.
pub(crate) fn ns_per_tick_q32(ticks_per_second: f64) -> u64 {
    ((1e9 / ticks_per_second) * (1u64 << 32) as f64).round() as u64
}

/// `ticks * q32 / 2^32`, rounded to nearest; u128 so 60 s of ticks cannot overflow.
#[inline(always)]
pub(crate) fn scale(ticks: u64, q32: u64) -> u64 {
    ((ticks as u128 * q32 as u128 + (1u128 << 31)) >> 32) as u64
}

/// CLOCK_MONOTONIC_RAW in ns: the reference the counter is calibrated against
/// (not slewed by NTP).
#[cfg(target_os = "linux")]
pub(crate) fn monotonic_raw_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec for the call.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC_RAW, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn monotonic_raw_ns() -> u64 {
    use std::sync::OnceLock;
    use std::time::Instant;
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    EPOCH.get_or_init(Instant::now).elapsed().as_nanos() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_point_conversion_is_exact_enough() {
        let q = ns_per_tick_q32(2.6e9);
        assert_eq!(scale(0, q), 0);
        assert_eq!(scale(2_600_000_000, q), 1_000_000_000);
        assert_eq!(scale(26, q), 10);
        // 60 s of ticks at 5 GHz does not overflow, and the 32-bit fraction
        // keeps the error below 1 ppb.
        let q = ns_per_tick_q32(5e9);
        assert!(scale(300_000_000_000, q).abs_diff(60_000_000_000) <= 60);
        // 1 GHz: one tick is one ns.
        assert_eq!(scale(12_345, ns_per_tick_q32(1e9)), 12_345);
    }

    #[test]
    fn the_platform_clock_calibrates_and_advances() {
        let (mut timer, info) = calibrate();
        assert!(info.ticks_per_second > 1e6, "{info:?}");
        use workloads::Clock;
        let a = timer.start();
        std::thread::sleep(std::time::Duration::from_millis(5));
        let b = timer.stop();
        let ns = timer.ticks_to_ns(b - a);
        assert!(
            (4_000_000..1_000_000_000).contains(&ns),
            "5 ms read as {ns} ns"
        );
    }
}
