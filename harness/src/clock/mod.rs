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

pub use crate::results::meta::TimerInfo;

/// The clock's step, in its ticks, from 200,000 back-to-back reads: the
/// greatest common divisor of the dominant non-zero differences between
/// consecutive reads ([`step_of`]). AMD Zen in a VM: 26 ticks nearly
/// always, 52 now and then, so 26; a fine counter whose reads cost 18 to 24
/// ticks in steps of 2: 2; a 24 MHz counter read every few ns: 0 mostly,
/// and its one step among the rest.
pub(crate) fn smallest_step(mut read: impl FnMut() -> u64) -> u64 {
    const READS: usize = 200_000;
    let mut deltas = Vec::with_capacity(READS);
    let mut prev = read();
    for _ in 0..READS {
        let now = read();
        deltas.push(now.wrapping_sub(prev));
        prev = now;
    }
    step_of(deltas)
}

/// [`smallest_step`]'s rule over the differences themselves. "Dominant" is
/// at least 1 in 10 of the non-zero differences (or, when none is, 1 in
/// 100). Rarer differences are not the step: this VM's TSC sometimes moves
/// by 1 tick and then 25 where it would move by 26 (up to 0.4% of reads
/// measured at rest, more under load), and a vCPU moved between host CPUs
/// gives odd ones. The rule before this one, the smallest common (1 in
/// 100) difference or gap between them, read those as a 1-tick step in
/// 23 of 63 runs.
fn step_of(mut deltas: Vec<u64>) -> u64 {
    deltas.retain(|&d| d > 0);
    deltas.sort_unstable();
    let n = deltas.len();
    let runs: Vec<(u64, usize)> = deltas
        .chunk_by(|a, b| a == b)
        .map(|run| (run[0], run.len()))
        .collect();
    let at_least = |share: usize| {
        runs.iter()
            .filter(|&&(_, count)| count * share >= n)
            .map(|&(value, _)| value)
            .fold(0, gcd)
    };
    match at_least(10) {
        0 => match at_least(100) {
            // Too few repeats to tell: the smallest difference seen (1 when none).
            0 => deltas.first().copied().unwrap_or(1),
            step => step,
        },
        step => step,
    }
}

/// Euclid's greatest common divisor, with gcd(0, b) = b.
fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
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
    let ts = rustix::time::clock_gettime(rustix::time::ClockId::MonotonicRaw);
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

    /// Differences as this VM's TSC gives them: mostly 26, some 52, and a
    /// few odd ones from a vCPU moving between host CPUs.
    fn amd_vm() -> Vec<u64> {
        let mut d = vec![26; 195_000];
        d.extend([52; 4_900]);
        d.extend([1, 16, 16, 3, 400, 0]);
        d
    }

    #[test]
    fn the_step_is_the_common_difference_not_a_rare_odd_one() {
        assert_eq!(step_of(amd_vm()), 26);
        // A fine counter: reads cost 18 to 24 ticks, in steps of 2.
        let fine = (0..200_000).map(|i| 18 + 2 * (i % 4)).collect();
        assert_eq!(step_of(fine), 2);
        // A counter that steps once in many reads (a 24 MHz one read every
        // few ns): mostly 0, the steps of 41 common among the rest.
        let mut coarse = vec![0; 190_000];
        coarse.extend([41; 9_000]);
        coarse.extend([82; 1_000]);
        assert_eq!(step_of(coarse), 41);
        // Few reads: every difference is dominant.
        assert_eq!(step_of(vec![30, 20, 0]), 10);
        assert_eq!(step_of(vec![0, 0]), 1);
    }

    #[test]
    fn sub_steps_of_one_tick_are_not_the_step() {
        // As this VM's TSC read under load: now and then 1 tick and then 25
        // where it would be 26 (2% each here, five times the most seen).
        let mut d = vec![26; 188_000];
        d.extend([52; 4_000]);
        d.extend([1, 25].repeat(4_000));
        assert_eq!(step_of(d), 26);
    }

    #[test]
    fn fenced_reads_two_or_three_steps_apart_give_one_step() {
        // lfence around each read: 52 and 78 ticks, never 26.
        let d = [52, 78, 52].repeat(60_000);
        assert_eq!(step_of(d), 26);
    }

    #[test]
    fn a_counter_with_no_quantum_gives_one_tick() {
        // Reads 20 to 60 ns apart, each value as common as the next.
        let d = (0..200_000).map(|i| 20 + i % 41).collect();
        assert_eq!(step_of(d), 1);
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
