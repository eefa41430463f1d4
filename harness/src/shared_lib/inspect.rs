//! In a process with a library preloaded: which file defines each
//! malloc-family function the process calls (the proof that the timed
//! calls reach the library), and what the library says of itself: its
//! file's hash, its version where it reports one, its Debian package.

use super::{OPTIONAL, REQUIRED};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A library as this process sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Facts {
    /// The path as given to `--allocator-lib`.
    pub given: String,
    /// The file it is, symbolic links resolved.
    pub file: String,
    pub bytes: u64,
    pub sha256: String,
    /// Whether the dynamic loader loaded it into this process.
    pub loaded: bool,
    /// Each malloc-family function -> the file that defines the one this
    /// process calls (None: nothing defines it).
    pub resolved: BTreeMap<String, Option<String>>,
    /// What the library reports of its version (jemalloc's mallctl
    /// "version", mimalloc's mi_version, gperftools' tc_version), if any.
    pub version: Option<String>,
    /// The Debian package holding the file, with its version, if any.
    pub package: Option<String>,
}

impl Facts {
    /// Why the library cannot serve a row (it did not load, or the process
    /// calls another file's malloc, free, ...), or Ok when it can.
    pub fn verdict(&self) -> Result<(), String> {
        if !self.loaded {
            return Err(format!(
                "{} is not a shared library the dynamic loader could preload",
                self.given
            ));
        }
        let missing: Vec<&str> = REQUIRED
            .iter()
            .copied()
            .filter(|s| !self.defines(s))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let still = |s: &str| {
            self.resolved
                .get(s)
                .cloned()
                .flatten()
                .unwrap_or_else(|| "nothing".into())
        };
        let what = if missing.len() == REQUIRED.len() {
            format!(
                "defines none of {} (the process still calls {}'s)",
                REQUIRED.join(", "),
                still("malloc")
            )
        } else {
            let each: Vec<String> = missing
                .iter()
                .map(|s| format!("{s} (still {})", still(s)))
                .collect();
            format!(
                "does not define {}, which a preloaded malloc must (with {})",
                each.join(", "),
                REQUIRED.join(", ")
            )
        };
        Err(format!(
            "{} {what}: it is not a malloc replacement{}",
            self.given,
            proxy_hint(Path::new(&self.file))
        ))
    }

    /// Whether `symbol` resolves to the library.
    pub fn defines(&self, symbol: &str) -> bool {
        self.resolved.get(symbol).cloned().flatten().as_deref() == Some(&self.file)
    }
}

/// A sibling `<name>_proxy.so...` file (how TBB ships its malloc
/// replacement beside libtbbmalloc.so), named when there is one.
fn proxy_hint(file: &Path) -> String {
    let (Some(dir), Some(name)) = (file.parent(), file.file_name().and_then(|n| n.to_str())) else {
        return String::new();
    };
    let Some((stem, rest)) = name.split_once(".so") else {
        return String::new();
    };
    let major = rest
        .split('.')
        .nth(1)
        .map(|m| format!(".{m}"))
        .unwrap_or_default();
    let proxy = dir.join(format!("{stem}_proxy.so{major}"));
    if proxy.exists() {
        format!(
            "; {} beside it may be its malloc replacement",
            proxy.display()
        )
    } else {
        String::new()
    }
}

/// Everything this process can tell of the library `given`.
pub fn facts(given: &Path) -> Result<Facts, String> {
    let file = std::fs::canonicalize(given).map_err(|e| format!("{}: {e}", given.display()))?;
    let (bytes, sha256) = hash(&file)?;
    let handle = handle(&file);
    let mut resolved = BTreeMap::new();
    for s in REQUIRED.iter().chain(OPTIONAL.iter()) {
        resolved.insert(
            s.to_string(),
            defined_in(s).map(|p| p.display().to_string()),
        );
    }
    let version = handle.and_then(|h| version(h, &file));
    if let Some(h) = handle {
        // SAFETY: `h` is a handle dlopen returned (with RTLD_NOLOAD it only
        // counted one more reference), closed once.
        unsafe { libc::dlclose(h) };
    }
    Ok(Facts {
        given: given.display().to_string(),
        file: file.display().to_string(),
        bytes,
        sha256,
        loaded: handle.is_some(),
        resolved,
        version,
        package: package(given, &file),
    })
}

/// The file's length and SHA-256, read in full.
fn hash(file: &Path) -> Result<(u64, String), String> {
    let mut f = std::fs::File::open(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut bytes = 0u64;
    loop {
        let n = f
            .read(&mut buf)
            .map_err(|e| format!("{}: {e}", file.display()))?;
        if n == 0 {
            break;
        }
        bytes += n as u64;
        h.update(&buf[..n]);
    }
    let digest = h.finalize();
    Ok((bytes, digest.iter().map(|b| format!("{b:02x}")).collect()))
}

/// A handle to the library when it is loaded in this process (never loads it).
fn handle(file: &Path) -> Option<*mut c_void> {
    let c = CString::new(file.as_os_str().as_bytes()).ok()?;
    // SAFETY: `c` is a NUL-terminated path; RTLD_NOLOAD never loads a
    // library (so runs none of its constructors), it only finds one.
    let h = unsafe { libc::dlopen(c.as_ptr(), libc::RTLD_LAZY | libc::RTLD_NOLOAD) };
    (!h.is_null()).then_some(h)
}

/// The file that defines the `symbol` this process's calls bind to.
fn defined_in(symbol: &str) -> Option<PathBuf> {
    let c = CString::new(symbol).ok()?;
    // SAFETY: RTLD_DEFAULT searches the global scope, in the order the
    // loader binds a call: `c` is NUL-terminated.
    let addr = unsafe { libc::dlsym(libc::RTLD_DEFAULT, c.as_ptr()) };
    file_of(addr)
}

/// The file holding code address `addr`.
fn file_of(addr: *mut c_void) -> Option<PathBuf> {
    if addr.is_null() {
        return None;
    }
    // SAFETY: Dl_info is plain data (pointers and none of them owned).
    let mut info: libc::Dl_info = unsafe { std::mem::zeroed() };
    // SAFETY: dladdr only reads the loader's tables and writes `info`.
    if unsafe { libc::dladdr(addr, &mut info) } == 0 || info.dli_fname.is_null() {
        return None;
    }
    // SAFETY: dli_fname is a NUL-terminated string owned by the loader,
    // alive while the object is loaded (it stays loaded: it defines addr).
    let name = unsafe { CStr::from_ptr(info.dli_fname) };
    let path = PathBuf::from(std::ffi::OsStr::from_bytes(name.to_bytes()));
    Some(std::fs::canonicalize(&path).unwrap_or(path))
}

/// `symbol` when the library itself defines it (a handle's lookup also
/// searches its dependencies).
fn own(handle: *mut c_void, file: &Path, symbol: &str) -> Option<*mut c_void> {
    let c = CString::new(symbol).ok()?;
    // SAFETY: `handle` is a live dlopen handle; `c` is NUL-terminated.
    let addr = unsafe { libc::dlsym(handle, c.as_ptr()) };
    (file_of(addr).as_deref() == Some(file)).then_some(addr)
}

/// The version the library reports through the first of the known
/// interfaces it defines.
fn version(handle: *mut c_void, file: &Path) -> Option<String> {
    type Mallctl =
        unsafe extern "C" fn(*const c_char, *mut c_void, *mut usize, *mut c_void, usize) -> c_int;
    type MiVersion = unsafe extern "C" fn() -> c_int;
    type TcVersion =
        unsafe extern "C" fn(*mut c_int, *mut c_int, *mut *const c_char) -> *const c_char;
    if let Some(f) = own(handle, file, "mallctl") {
        // SAFETY: jemalloc's mallctl has this signature (its manual); the
        // library defines the symbol under that name.
        let mallctl: Mallctl = unsafe { std::mem::transmute(f) };
        let mut v: *const c_char = std::ptr::null();
        let mut len = std::mem::size_of::<*const c_char>();
        // SAFETY: "version" is a `const char *` mallctl: it writes one
        // pointer into `v` (len says how many bytes it may).
        let rc = unsafe {
            mallctl(
                c"version".as_ptr(),
                (&raw mut v).cast(),
                &mut len,
                std::ptr::null_mut(),
                0,
            )
        };
        if rc == 0 && !v.is_null() {
            // SAFETY: jemalloc's version is a static NUL-terminated string.
            let s = unsafe { CStr::from_ptr(v) }.to_string_lossy();
            return Some(format!("jemalloc {s} (mallctl \"version\")"));
        }
    }
    if let Some(f) = own(handle, file, "mi_version") {
        // SAFETY: mimalloc's `int mi_version(void)` (mimalloc.h).
        let mi_version: MiVersion = unsafe { std::mem::transmute(f) };
        // SAFETY: it takes nothing and returns MI_MALLOC_VERSION.
        let v = unsafe { mi_version() };
        return Some(format!(
            "mimalloc {}.{}.{} (mi_version() = {v})",
            v / 100,
            v / 10 % 10,
            v % 10
        ));
    }
    if let Some(f) = own(handle, file, "tc_version") {
        // SAFETY: gperftools' `const char* tc_version(int*, int*, const char**)`.
        let tc_version: TcVersion = unsafe { std::mem::transmute(f) };
        let (mut major, mut minor, mut patch) = (0, 0, std::ptr::null());
        // SAFETY: it writes the three out-parameters and returns a static string.
        let s = unsafe { tc_version(&mut major, &mut minor, &mut patch) };
        if !s.is_null() {
            // SAFETY: a static NUL-terminated string.
            let s = unsafe { CStr::from_ptr(s) }.to_string_lossy();
            return Some(format!("{s} (tc_version())"));
        }
    }
    None
}

/// `dpkg-query`'s package for the file and that package's version, when
/// dpkg knows the file (run without the preload).
fn package(given: &Path, file: &Path) -> Option<String> {
    let query = |args: &[&std::ffi::OsStr]| -> Option<String> {
        let out = Command::new("dpkg-query")
            .args(args)
            .env_remove("LD_PRELOAD")
            .stderr(std::process::Stdio::null())
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    };
    let owner = [given, file].iter().find_map(|p| {
        let line = query(&["-S".as_ref(), p.as_os_str()])?;
        let (pkg, _) = line.lines().next()?.split_once(": ")?;
        Some(pkg.to_string())
    })?;
    let version = query(&["-W".as_ref(), "-f=${Version}".as_ref(), owner.as_ref()])?;
    Some(format!("{owner} {version}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glibc_is_what_an_unpreloaded_process_calls() {
        let malloc = defined_in("malloc").expect("malloc resolves");
        assert!(
            malloc.to_string_lossy().contains("libc"),
            "{}",
            malloc.display()
        );
        assert_eq!(defined_in("surely_no_such_function_here"), None);
    }

    #[test]
    fn a_library_not_loaded_or_without_malloc_is_refused_by_name() {
        let exe = std::env::current_exe().unwrap();
        let f = facts(&exe).unwrap();
        assert!(!f.loaded);
        assert!(f.verdict().unwrap_err().contains("not a shared library"));
        let libc = f.resolved["malloc"].clone().unwrap();
        let f = Facts {
            loaded: true,
            ..facts(Path::new(&libc)).unwrap()
        };
        assert!(f.verdict().is_ok(), "glibc defines its own malloc");
        let g = Facts {
            file: "/elsewhere/libx.so".into(),
            given: "libx.so".into(),
            ..f
        };
        let e = g.verdict().unwrap_err();
        assert!(e.contains("defines none of malloc, free"), "{e}");
        let mut resolved = g.resolved.clone();
        resolved.insert("malloc".into(), Some(g.file.clone()));
        let h = Facts {
            resolved,
            ..g.clone()
        };
        let e = h.verdict().unwrap_err();
        assert!(e.contains("does not define free (still "), "{e}");
        assert!(g.bytes > 0 && g.sha256.len() == 64);
    }
}
