//! What each allocator was running with, read back from the allocator itself
//! where it can tell (jemalloc's mallctl, mimalloc's options, TCMalloc's
//! extension API, glibc's version), for meta.json.

use super::Name;
use serde_json::{json, Value};

/// The settings of `name` as this process runs it.
pub fn settings(name: Name) -> Value {
    match name {
        Name::Pmad => json!({
            "version": "workspace crate pmad (see git_commit)",
            "free": "free_sized(ptr, size): every allocator is told the size, as Rust's dealloc does",
            "prefault": true,
            "pool": "one pool per case, sized from the case's demand; see each case's `pmad` entry",
        }),
        Name::Null => json!({
            "what": "alloc returns one 64 KiB scratch block, free does nothing: the timer's cost and the machine's noise",
        }),
        Name::Jemalloc => jemalloc(),
        Name::Mimalloc => mimalloc(),
        Name::Tcmalloc => tcmalloc(),
        Name::System => system(),
        Name::Tlsf => json!({
            "crate": "rlsf 0.2 (TLSF: two-level segregated fit, O(1) alloc and free)",
            "configuration": "Tlsf<u32, u32, FLLEN 28, SLLEN 32>, granularity 32 B, 16 B header per block",
            "pool": "one region per case from a single mmap, prefaulted (MAP_POPULATE), locked with --mlock; see each case's `tlsf` entry",
            "free": "deallocate(ptr, align): TLSF finds the size in the block header",
        }),
        Name::Snmalloc => json!({
            "crate": "snmalloc-rs 0.7 (Microsoft snmalloc; GlobalAlloc: sn_rust_alloc / sn_rust_dealloc with the size)",
            "build": "snmalloc-sys's cc builder (feature build_cc, no cmake), -O3 (the profile's opt-level), debug = 0 for snmalloc-sys",
            "cxxflags_at_build": env!("HARNESS_CXXFLAGS"),
            "configured": "defaults",
        }),
        Name::Lib(l) => library(l),
    }
}

/// A library row: how it was reached, and the library as the process
/// that measured it saw it: the file defining the `malloc` it called (the
/// proof that the timed calls reached the library) and every other
/// malloc-family function the library defines.
fn library(l: crate::names::allocator::Lib) -> Value {
    let how = "preloaded (LD_PRELOAD) into a process of this binary of its own, where it is the process's malloc; the harness's own allocations there are the library's too";
    let f = match crate::shared_lib::preloaded_facts() {
        Some(Ok(f)) if crate::shared_lib::measured_here(l) => f,
        Some(Err(e)) => return json!({ "how": how, "library_error": e }),
        _ => return json!({ "how": how, "measured_here": false }),
    };
    let (defined, elsewhere): (Vec<_>, Vec<_>) = f
        .resolved
        .iter()
        .partition(|(_, file)| file.as_deref() == Some(f.file.as_str()));
    json!({
        "how": how,
        "given": f.given,
        "file": f.file,
        "bytes": f.bytes,
        "sha256": f.sha256,
        "version": f.version,
        "package": f.package,
        "malloc_resolves_to": f.resolved.get("malloc").cloned().flatten(),
        "defined_by_the_library": defined.iter().map(|(s, _)| s.as_str()).collect::<Vec<_>>(),
        "not_defined_by_the_library": elsewhere
            .iter()
            .map(|(s, file)| (s.as_str(), file.as_deref().unwrap_or("nothing")))
            .collect::<std::collections::BTreeMap<_, _>>(),
    })
}

#[cfg(feature = "jemalloc")]
fn jemalloc() -> Value {
    use tikv_jemalloc_ctl::raw;
    // Every name passed to these is a jemalloc mallctl of the type read
    // (ssize_t -> isize, bool -> bool), per jemalloc's manual.
    // SAFETY: `n` names an ssize_t mallctl (above); `raw::read` checks the size written.
    let read_isize = |n: &[u8]| unsafe { raw::read::<isize>(n) }.ok();
    // SAFETY: `n` names a bool mallctl (above); `raw::read` checks the size written.
    let read_bool = |n: &[u8]| unsafe { raw::read::<bool>(n) }.ok();
    json!({
        "crate": "tikv-jemallocator 0.7 (GlobalAlloc: mallocx/sdallocx)",
        "version": tikv_jemalloc_ctl::version::read().ok().map(|v| v.trim_end_matches('\0')),
        "configured": "defaults (what `#[global_allocator] static A: Jemalloc` gives); override with _RJEM_MALLOC_CONF",
        "env_RJEM_MALLOC_CONF": std::env::var("_RJEM_MALLOC_CONF").ok(),
        "opt.dirty_decay_ms": read_isize(b"opt.dirty_decay_ms\0"),
        "opt.muzzy_decay_ms": read_isize(b"opt.muzzy_decay_ms\0"),
        "opt.background_thread": read_bool(b"opt.background_thread\0"),
        "background_thread": read_bool(b"background_thread\0"),
        "opt.tcache": read_bool(b"opt.tcache\0"),
        // SAFETY: opt.narenas is an unsigned.
        "opt.narenas": unsafe { raw::read::<u32>(b"opt.narenas\0") }.ok(),
    })
}

#[cfg(not(feature = "jemalloc"))]
fn jemalloc() -> Value {
    json!({"compiled_in": false})
}

#[cfg(feature = "mimalloc")]
fn mimalloc() -> Value {
    use libmimalloc_sys as mi;
    // mimalloc 3.x option numbers (mimalloc.h of the bundled v3, enum mi_option_e).
    let named = [
        ("arena_eager_commit", 4),
        ("purge_decommits", 5),
        ("allow_large_os_pages", 6),
        ("reserve_huge_os_pages", 7),
        ("purge_delay", 15),
        ("arena_reserve", 23),
        ("arena_purge_mult", 24),
        ("page_reclaim_on_free", 35),
    ];
    let options: serde_json::Map<String, Value> = named
        .iter()
        // SAFETY: every option number is below _mi_option_last.
        .map(|&(n, o)| (n.to_string(), json!(unsafe { mi::mi_option_get(o) })))
        .collect();
    // SAFETY: mi_version takes no arguments and only returns a constant.
    let version = unsafe { mi::mi_version() };
    json!({
        "crate": "mimalloc 0.1 (GlobalAlloc: mi_malloc_aligned/mi_free)",
        // major + 2 digits minor + 2 digits patch (MI_MALLOC_VERSION)
        "version": format!("{}.{}.{}", version / 10_000, (version / 100) % 100, version % 100),
        "configured": "defaults; override with MIMALLOC_* environment variables",
        "options": options,
    })
}

#[cfg(not(feature = "mimalloc"))]
fn mimalloc() -> Value {
    json!({"compiled_in": false})
}

#[cfg(feature = "tcmalloc")]
extern "C" {
    /// TCMalloc's extension API (cpu_cache.cc): whether the per-CPU caches
    /// are active in this process.
    fn MallocExtension_Internal_GetPerCpuCachesActive() -> bool;
}

/// Whether TCMalloc's per-CPU caches are active (call after it has served
/// at least one allocation: they are activated lazily).
#[cfg(feature = "tcmalloc")]
pub fn tcmalloc_per_cpu_active() -> bool {
    // SAFETY: a plain query with no preconditions, linked from the TCMalloc
    // static library that tcmalloc-better builds.
    unsafe { MallocExtension_Internal_GetPerCpuCachesActive() }
}

#[cfg(feature = "tcmalloc")]
fn tcmalloc() -> Value {
    json!({
        "crate": "tcmalloc-better 0.1.19 (Google TCMalloc; GlobalAlloc: aligned new / sized delete)",
        "page_size": "8 KiB (crate default feature)",
        "per_cpu_caches_active": tcmalloc_per_cpu_active(),
        "glibc_registers_rseq": crate::platform::glibc_rseq_registered(),
        "env_GLIBC_TUNABLES": std::env::var("GLIBC_TUNABLES").ok(),
        "background_actions_thread": crate::platform::tcmalloc_background_started(),
        "why": "TCMalloc's per-CPU caches need the thread's rseq area; glibc >= 2.35 registers its own first, so TCMalloc falls back to its slow central path unless GLIBC_TUNABLES=glibc.pthread.rseq=0 (the harness re-executes itself with it when TCMalloc runs)",
    })
}

#[cfg(not(feature = "tcmalloc"))]
fn tcmalloc() -> Value {
    json!({"compiled_in": false})
}

fn system() -> Value {
    json!({
        "what": "std::alloc::System: the C library's malloc/free",
        "libc": libc_version(),
        "env_GLIBC_TUNABLES": std::env::var("GLIBC_TUNABLES").ok(),
        "env_MALLOC_ARENA_MAX": std::env::var("MALLOC_ARENA_MAX").ok(),
        "configured": "defaults",
    })
}

/// glibc's version, when the C library is glibc.
pub fn libc_version() -> Option<String> {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: returns a pointer to a static NUL-terminated string.
        let v = unsafe { std::ffi::CStr::from_ptr(libc::gnu_get_libc_version()) };
        Some(format!("glibc {}", v.to_string_lossy()))
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    None
}
