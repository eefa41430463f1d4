//! How the pool's memory is obtained, and the PMAD README's reference profiles.

/// How the pool's pages are paid for. The default maps lazily: pages are
/// faulted in the first time a block on them is handed out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// Populate every page at `new` (madvise MADV_POPULATE_WRITE, or a write
    /// to each page on kernels before 5.14), so no page fault happens
    /// on the hot path. RSS is then the whole pool from the start.
    pub prefault: bool,
    /// Lock the pool in RAM (mlock) so it is never swapped out. Needs
    /// RLIMIT_MEMLOCK to allow it; `new` fails with `Error::LockFailed` if not.
    pub lock: bool,
}

impl Options {
    /// The real-time setting: every page faulted in and locked at start-up.
    pub const REAL_TIME: Options = Options {
        prefault: true,
        lock: true,
    };

    /// Sets [`Options::prefault`].
    pub fn prefault(mut self, on: bool) -> Options {
        self.prefault = on;
        self
    }

    /// Sets [`Options::lock`].
    pub fn lock(mut self, on: bool) -> Options {
        self.lock = on;
        self
    }
}

/// The four reference configurations from the PMAD README.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Preset {
    /// One 16-byte class: small-object velocity.
    MaxThroughput,
    /// One 4096-byte class: bulk data density.
    MinOverhead,
    /// 64, 256 and 1024 bytes at 60 / 30 / 10 %: mixed workloads.
    Balanced,
    /// 32 and 128 bytes at 80 / 20 %: critical signalling.
    LatencyOptimised,
}

impl Preset {
    /// Every preset, in the README's order.
    pub const ALL: [Preset; 4] = [
        Preset::MaxThroughput,
        Preset::MinOverhead,
        Preset::Balanced,
        Preset::LatencyOptimised,
    ];

    /// The class sizes in bytes.
    pub fn classes(self) -> &'static [usize] {
        match self {
            Preset::MaxThroughput => &[16],
            Preset::MinOverhead => &[4096],
            Preset::Balanced => &[64, 256, 1024],
            Preset::LatencyOptimised => &[32, 128],
        }
    }

    /// The share of the pool each class gets, in percent.
    pub fn percentages(self) -> &'static [usize] {
        match self {
            Preset::MaxThroughput | Preset::MinOverhead => &[100],
            Preset::Balanced => &[60, 30, 10],
            Preset::LatencyOptimised => &[80, 20],
        }
    }

    /// A short kebab-case name, for command lines and reports.
    pub fn name(self) -> &'static str {
        match self {
            Preset::MaxThroughput => "max-throughput",
            Preset::MinOverhead => "min-overhead",
            Preset::Balanced => "balanced",
            Preset::LatencyOptimised => "latency-optimised",
        }
    }
}
