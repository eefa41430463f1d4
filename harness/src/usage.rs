//! What the recorded phase cost besides time: the measuring thread's page
//! faults and context switches (getrusage RUSAGE_THREAD, exact for this
//! thread alone) and the process's resident set before, after and at its
//! peak (VmRSS, VmHWM with the peak reset through /proc/self/clear_refs).
//! Read at the phase edges only, never inside the loop.

pub use crate::results::meta::PhaseUsage;

/// One snapshot of the counters.
#[derive(Clone, Copy, Debug, Default)]
struct Snapshot {
    minor_faults: u64,
    major_faults: u64,
    voluntary_switches: u64,
    involuntary_switches: u64,
    rss_kb: Option<u64>,
}

/// Counts the recorded phase: `start` at its first edge, `finish` at its last.
#[derive(Debug, Default)]
pub struct PhaseMeter {
    start: Option<(Snapshot, bool)>,
    result: Option<PhaseUsage>,
}

impl PhaseMeter {
    /// Reads everything that allocates (/proc files) first and the thread's
    /// counters last, so the meter's own page faults fall outside the phase.
    pub fn start(&mut self) {
        prefault_stack();
        let peak_reset = reset_peak_rss();
        let rss_kb = status_kb("VmRSS:");
        self.start = Some((
            Snapshot {
                rss_kb,
                ..counters()
            },
            peak_reset,
        ));
    }

    /// The thread's counters first, then the /proc files.
    pub fn finish(&mut self) {
        let end = counters();
        let end = Snapshot {
            rss_kb: status_kb("VmRSS:"),
            ..end
        };
        if let Some((start, peak_reset)) = self.start.take() {
            self.result = Some(PhaseUsage {
                minor_faults: end.minor_faults - start.minor_faults,
                major_faults: end.major_faults - start.major_faults,
                voluntary_ctx_switches: end.voluntary_switches - start.voluntary_switches,
                involuntary_ctx_switches: end.involuntary_switches - start.involuntary_switches,
                rss_before_kb: start.rss_kb,
                rss_after_kb: end.rss_kb,
                rss_peak_kb: if peak_reset {
                    status_kb("VmHWM:")
                } else {
                    None
                },
            });
        }
    }

    pub fn result(&self) -> Option<PhaseUsage> {
        self.result
    }
}

/// The calling thread's fault and switch counters (no allocation).
#[cfg(target_os = "linux")]
fn counters() -> Snapshot {
    // SAFETY: rusage is plain data; getrusage fills it for the calling thread.
    let ru = unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_THREAD, &mut ru);
        ru
    };
    Snapshot {
        minor_faults: ru.ru_minflt as u64,
        major_faults: ru.ru_majflt as u64,
        voluntary_switches: ru.ru_nvcsw as u64,
        involuntary_switches: ru.ru_nivcsw as u64,
        rss_kb: None,
    }
}

#[cfg(not(target_os = "linux"))]
fn counters() -> Snapshot {
    Snapshot::default()
}

/// Writes 256 KiB of the stack below the caller once, so that the measured
/// loop's deeper calls (a churn window's hand-over) never fault in a new
/// stack page: a fault the harness, not the allocator, would cause.
#[inline(never)]
fn prefault_stack() {
    let mut pages = [0u8; 256 * 1024];
    for page in pages.chunks_mut(4096) {
        page[0] = 1;
    }
    std::hint::black_box(&mut pages);
}

/// A `kB` field of /proc/self/status.
fn status_kb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line[field.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// Resets VmHWM to the current RSS (Linux 4.0+); false where not allowed.
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", b"5").is_ok()
}

/// Held by every test that starts a [`PhaseMeter`]: the meter resets the
/// process's peak RSS, so two tests metering at once would reset each
/// other's.
#[cfg(test)]
pub static METER_TESTS: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn touching_fresh_pages_counts_as_minor_faults_and_rss() {
        let _alone = METER_TESTS.lock().unwrap_or_else(|e| e.into_inner());
        let mut meter = PhaseMeter::default();
        meter.start();
        // 32 MiB of fresh pages, each written once.
        let v = vec![1u8; 32 << 20];
        std::hint::black_box(&v);
        meter.finish();
        let u = meter.result().unwrap();
        assert!(
            u.minor_faults >= 8192 / 2,
            "{u:?}: 8192 pages written (fewer only with huge pages)"
        );
        // The 32 MiB are resident at the end, so the process's RSS holds
        // them whatever other tests (threads of this process) freed meanwhile.
        let (after, peak) = (u.rss_after_kb.unwrap(), u.rss_peak_kb.unwrap());
        assert!(after >= 32 << 10 && peak >= after, "{u:?}");
    }
}
