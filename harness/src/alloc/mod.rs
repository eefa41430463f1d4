//! The allocators under test: one adapter each behind its Cargo feature,
//! monomorphised into the workload loops (no `dyn`, never the process's
//! global allocator), plus the `null` allocator that is always compiled in.

#[cfg(any(
    feature = "jemalloc",
    feature = "mimalloc",
    feature = "tcmalloc",
    feature = "system",
    feature = "snmalloc"
))]
mod global;
#[cfg(feature = "pmad")]
mod pmad_pool;
pub mod settings;
#[cfg(feature = "tlsf")]
mod tlsf_pool;

use crate::clock::Timer;
use serde::Serialize;
use workloads::{Case, NullAlloc, Observer, Outcome};

#[cfg(feature = "pmad")]
pub use pmad_pool::PmadReport;

/// PMAD's pool per case (a stand-in when PMAD is not compiled in).
#[cfg(not(feature = "pmad"))]
#[derive(Clone, Debug, Serialize)]
pub struct PmadReport;
#[cfg(feature = "tlsf")]
pub use tlsf_pool::TlsfReport;

/// TLSF's region per case (a stand-in when TLSF is not compiled in).
#[cfg(not(feature = "tlsf"))]
#[derive(Clone, Debug, Serialize)]
pub struct TlsfReport;

/// Every allocator the suite knows, in report order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Name {
    Pmad,
    Jemalloc,
    Mimalloc,
    Tcmalloc,
    System,
    Tlsf,
    Snmalloc,
    Null,
}

impl Name {
    pub const KNOWN: [Name; 8] = [
        Name::Pmad,
        Name::Jemalloc,
        Name::Mimalloc,
        Name::Tcmalloc,
        Name::System,
        Name::Tlsf,
        Name::Snmalloc,
        Name::Null,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Name::Pmad => "pmad",
            Name::Jemalloc => "jemalloc",
            Name::Mimalloc => "mimalloc",
            Name::Tcmalloc => "tcmalloc",
            Name::System => "system",
            Name::Tlsf => "tlsf",
            Name::Snmalloc => "snmalloc",
            Name::Null => "null",
        }
    }

    pub fn parse(s: &str) -> Option<Name> {
        Name::KNOWN.into_iter().find(|n| n.as_str() == s)
    }

    /// Whether this binary was built with the allocator's feature.
    pub fn compiled_in(self) -> bool {
        match self {
            Name::Pmad => cfg!(feature = "pmad"),
            Name::Jemalloc => cfg!(feature = "jemalloc"),
            Name::Mimalloc => cfg!(feature = "mimalloc"),
            Name::Tcmalloc => cfg!(feature = "tcmalloc"),
            Name::System => cfg!(feature = "system"),
            Name::Tlsf => cfg!(feature = "tlsf"),
            Name::Snmalloc => cfg!(feature = "snmalloc"),
            Name::Null => true,
        }
    }

    /// The allocators compiled into this binary (null last).
    pub fn compiled() -> Vec<Name> {
        Name::KNOWN
            .into_iter()
            .filter(|n| n.compiled_in())
            .collect()
    }
}

/// The layout of a `size`-byte request: alignment 16 (what malloc promises
/// on x86_64 and aarch64), or the size rounded up to a power of two when it is
/// smaller, so every crate takes its plain malloc path (System, for one, uses
/// an aligned allocation when the alignment exceeds the size).
#[cfg_attr(
    not(any(
        feature = "jemalloc",
        feature = "mimalloc",
        feature = "tcmalloc",
        feature = "system",
        feature = "snmalloc",
        feature = "tlsf"
    )),
    allow(dead_code)
)]
#[inline(always)]
pub(crate) fn layout(size: usize) -> std::alloc::Layout {
    let align = if size >= 16 {
        16
    } else {
        size.next_power_of_two()
    };
    // SAFETY: align is a power of two no larger than 16, and size <= 64 KiB
    // (the CLI's limit), so the rounded size cannot overflow isize.
    unsafe { std::alloc::Layout::from_size_align_unchecked(size, align) }
}

/// How allocators are set up for a run.
#[derive(Clone, Copy, Debug, Default)]
pub struct Setup {
    /// Lock PMAD's pool and TLSF's region in RAM (their real-time deployment).
    #[cfg_attr(not(any(feature = "pmad", feature = "tlsf")), allow(dead_code))]
    pub mlock: bool,
}

/// One case's latencies, and PMAD's pool or TLSF's region when they served it.
pub struct Measured {
    pub outcome: Outcome,
    pub pmad: Option<PmadReport>,
    pub tlsf: Option<TlsfReport>,
}

/// Runs `case` on allocator `name` with the platform clock. Errors are one
/// readable line (a pool that cannot be built or ran out).
pub fn run_case<O: Observer>(
    name: Name,
    case: &Case,
    clock: &mut Timer,
    observer: &mut O,
    setup: Setup,
) -> Result<Measured, String> {
    let plain = |outcome: Result<Outcome, workloads::RunError>| {
        outcome
            .map(|outcome| Measured {
                outcome,
                pmad: None,
                tlsf: None,
            })
            .map_err(|e| e.to_string())
    };
    match name {
        Name::Null => plain(workloads::run(case, &mut NullAlloc::new(), clock, observer)),
        #[cfg(feature = "pmad")]
        Name::Pmad => pmad_pool::run(case, clock, observer, setup),
        #[cfg(feature = "jemalloc")]
        Name::Jemalloc => plain(workloads::run(
            case,
            &mut global::Global(tikv_jemallocator::Jemalloc),
            clock,
            observer,
        )),
        #[cfg(feature = "mimalloc")]
        Name::Mimalloc => plain(workloads::run(
            case,
            &mut global::Global(mimalloc::MiMalloc),
            clock,
            observer,
        )),
        #[cfg(feature = "tcmalloc")]
        Name::Tcmalloc => plain(workloads::run(
            case,
            &mut global::Global(tcmalloc_better::TCMalloc),
            clock,
            observer,
        )),
        #[cfg(feature = "system")]
        Name::System => plain(workloads::run(
            case,
            &mut global::Global(std::alloc::System),
            clock,
            observer,
        )),
        #[cfg(feature = "tlsf")]
        Name::Tlsf => tlsf_pool::run(case, clock, observer, setup),
        #[cfg(feature = "snmalloc")]
        Name::Snmalloc => plain(workloads::run(
            case,
            &mut global::Global(snmalloc_rs::SnMalloc),
            clock,
            observer,
        )),
        #[allow(unreachable_patterns)]
        other => {
            let _ = setup;
            Err(format!(
                "allocator {} is not compiled into this binary",
                other.as_str()
            ))
        }
    }
}
