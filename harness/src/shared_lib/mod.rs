//! Any allocator given as a shared library: `--allocator-lib NAME=PATH`
//! adds a row NAME whose every timed call goes to the malloc-family
//! functions of the library at PATH.
//!
//! How: the library is *preloaded*. A library row is measured in a process
//! of this binary of its own, started with `LD_PRELOAD=PATH` (as
//! mimalloc-bench runs its allocators), where it is the process's malloc:
//! the adapter calls `malloc`, `free`, `calloc`, `realloc` and
//! `posix_memalign` as a C program does, and the dynamic loader binds them
//! to the library. Why not `dlopen` (or `dlmopen`'s private namespace) in
//! this process: the library's own internal calls, the C library's and the
//! harness's would still go to glibc's malloc, so blocks would cross two
//! heaps (a `realloc` or `free` from inside libc of a block the library
//! made), and many allocators (jemalloc, TCMalloc, tbbmalloc's proxy)
//! expect to be the process's only malloc. The cost, stated in meta.json:
//! the harness's own allocations in that process (histograms, buffers) are
//! the library's too, as they are glibc's in the `system` row.
//!
//! The data flows: `probe` (before anything runs: a process with the
//! library preloaded says where each symbol resolved; a library that does
//! not load or lacks a symbol is bad input, exit 2, nothing written) ->
//! `launch` (the row's measuring process, every other flag as given) ->
//! `inspect` (in that process: the same check again, and the proof for
//! meta.json: the file defining the `malloc` the process calls, the
//! library's hash and version).

pub mod inspect;
pub mod launch;
pub mod probe;

use crate::names::allocator::Lib;
use crate::names::Name;
use std::path::PathBuf;
use std::sync::OnceLock;

/// Set in a library row's measuring process: `NAME=PATH`, the library
/// preloaded into it (with `LD_PRELOAD`).
pub const ENV_PRELOADED: &str = "HARNESS_PRELOADED";
/// Set in a probe process: the library whose symbols it reports, as JSON
/// on stdout, before it exits.
pub const ENV_PROBE: &str = "HARNESS_PROBE_LIBRARY";

/// The functions a library must define to be preloaded as the process's
/// malloc: the adapter calls each (alloc, free, calloc, realloc, aligned
/// allocation), and one left to glibc would be handed the library's blocks.
pub const REQUIRED: [&str; 5] = ["malloc", "free", "calloc", "realloc", "posix_memalign"];
/// Functions recorded when the library defines them: the replay's usable
/// sizes come from `malloc_usable_size`.
pub const OPTIONAL: [&str; 3] = ["malloc_usable_size", "aligned_alloc", "memalign"];

/// One `--allocator-lib NAME=PATH`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LibArg {
    pub name: Lib,
    pub path: PathBuf,
}

impl LibArg {
    /// Its row's name.
    pub fn row(&self) -> Name {
        Name::Lib(self.name)
    }

    /// The flag that declares it, as a child process is given it.
    pub fn flag_value(&self) -> std::ffi::OsString {
        let mut v = std::ffi::OsString::from(format!("{}=", self.name.as_str()));
        v.push(&self.path);
        v
    }
}

/// `NAME=PATH` (clap's value parser for `--allocator-lib`): a name a
/// library row may have and a path that is not empty. Whether the file is
/// there and a malloc is checked by [`probe`], before anything runs.
pub fn parse_arg(s: &str) -> Result<LibArg, String> {
    let (name, path) = s
        .split_once('=')
        .ok_or_else(|| format!("'{s}' is not NAME=PATH (a row name, then the library's path)"))?;
    let name = Lib::named(name)?;
    if path.is_empty() {
        return Err(format!("'{s}': no library path after '='"));
    }
    Ok(LibArg {
        name,
        path: PathBuf::from(path),
    })
}

/// Two `--allocator-lib`s of one name are refused (which would be NAME?).
pub fn check_distinct(libs: &[LibArg]) -> Result<(), String> {
    for (i, a) in libs.iter().enumerate() {
        if libs[..i].iter().any(|b| b.name == a.name) {
            return Err(format!(
                "--allocator-lib {}: the name is given twice; each library row needs a name of its own",
                a.name.as_str()
            ));
        }
    }
    Ok(())
}

/// The library preloaded into this process when it measures a library
/// row ([`ENV_PRELOADED`]), else None.
pub fn preloaded() -> Option<&'static LibArg> {
    static PRELOADED: OnceLock<Option<LibArg>> = OnceLock::new();
    PRELOADED
        .get_or_init(|| {
            let v = std::env::var(ENV_PRELOADED).ok()?;
            parse_arg(&v).ok()
        })
        .as_ref()
}

/// Whether this process measures library row `name` in itself.
pub fn measured_here(name: Lib) -> bool {
    preloaded().is_some_and(|p| p.name == name)
}

/// The preloaded library as this process sees it, read once (its file is
/// hashed and dpkg asked): the check before measuring, the adapter's
/// usable size and meta.json share it. None when nothing is preloaded.
pub fn preloaded_facts() -> Option<&'static Result<inspect::Facts, String>> {
    static FACTS: OnceLock<Option<Result<inspect::Facts, String>>> = OnceLock::new();
    FACTS
        .get_or_init(|| preloaded().map(|lib| inspect::facts(&lib.path)))
        .as_ref()
}

/// In a library row's own process, that the preload took: the process
/// calls the library's malloc, free, calloc, realloc and posix_memalign.
/// Ok in any other process.
pub fn check_preloaded() -> Result<(), String> {
    let (Some(lib), Some(facts)) = (preloaded(), preloaded_facts()) else {
        return Ok(());
    };
    facts
        .as_ref()
        .map_err(Clone::clone)?
        .verdict()
        .map_err(|e| format!("{}: {e}", lib.name.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_library_argument_is_a_name_and_a_path() {
        let a = parse_arg("tbb=/usr/lib/x86_64-linux-gnu/libtbbmalloc_proxy.so.2").unwrap();
        assert_eq!(a.name.as_str(), "tbb");
        assert_eq!(a.row().as_str(), "tbb");
        assert_eq!(
            parse_arg(a.flag_value().to_str().unwrap()).unwrap(),
            a,
            "the flag a child gets parses back"
        );
        assert!(parse_arg("tbb").unwrap_err().contains("NAME=PATH"));
        assert!(parse_arg("tbb=").unwrap_err().contains("no library path"));
        assert!(parse_arg("jemalloc=/x.so")
            .unwrap_err()
            .contains("compiles in"));
        assert!(parse_arg("Big=/x.so").is_err());
        let twice = [a.clone(), a];
        assert!(check_distinct(&twice).unwrap_err().contains("given twice"));
    }
}
