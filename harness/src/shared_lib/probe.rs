//! Before anything runs: each `--allocator-lib` checked in a probe process
//! of this binary with the library preloaded, which reports where every
//! malloc-family function resolved ([`super::inspect::Facts`], as JSON).
//! A path that is not there, a file the loader cannot preload, or a library
//! without malloc, free, calloc, realloc or posix_memalign is bad input.

use super::inspect::Facts;
use super::{LibArg, ENV_PROBE};
use std::process::{Command, Stdio};

/// Checks every library; the first bad one's error names it and why.
pub fn check_all(libs: &[LibArg]) -> Result<(), String> {
    super::check_distinct(libs)?;
    for lib in libs {
        check(lib).map_err(|e| format!("--allocator-lib {}: {e}", lib.name.as_str()))?;
    }
    Ok(())
}

/// One library: there, loadable, a malloc.
pub fn check(lib: &LibArg) -> Result<Facts, String> {
    let path = &lib.path;
    match std::fs::metadata(path) {
        Err(e) => return Err(format!("{}: {e}", path.display())),
        Ok(m) if !m.is_file() => return Err(format!("{}: not a file", path.display())),
        Ok(_) => {}
    }
    let me = std::env::current_exe().map_err(|e| format!("finding this binary: {e}"))?;
    let out = Command::new(&me)
        .arg("list")
        .env("LD_PRELOAD", path)
        .env(ENV_PROBE, path)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("starting {}: {e}", me.display()))?;
    let loader = loader_message(&String::from_utf8_lossy(&out.stderr));
    let facts: Facts = serde_json::from_slice(&out.stdout).map_err(|_| {
        format!(
            "{}: a process with it preloaded did not start ({}){}",
            path.display(),
            out.status,
            loader
                .as_deref()
                .map(|m| format!(": {m}"))
                .unwrap_or_default()
        )
    })?;
    facts.verdict().map_err(|e| match loader {
        Some(m) if !facts.loaded => format!("{e} (the loader said: {m})"),
        _ => e,
    })?;
    Ok(facts)
}

/// The dynamic loader's line about the preload, if it wrote one
/// ("ERROR: ld.so: object ... cannot be preloaded (...): ignored.").
fn loader_message(stderr: &str) -> Option<String> {
    stderr
        .lines()
        .find(|l| l.contains("ld.so") || l.contains("LD_PRELOAD"))
        .map(|l| l.trim().to_string())
}

/// In a probe process: the facts of the library it was started for, as
/// JSON on stdout. Called by `main` before anything else.
pub fn answer(path: &std::path::Path) -> std::process::ExitCode {
    match super::inspect::facts(path) {
        Ok(f) => {
            println!(
                "{}",
                serde_json::to_string(&f).expect("facts are plain data")
            );
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("harness: probe: {e}");
            std::process::ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_loader_line_is_found() {
        let err = "ERROR: ld.so: object '/etc/passwd' from LD_PRELOAD cannot be preloaded (invalid ELF header): ignored.\nother";
        assert!(loader_message(err).unwrap().contains("invalid ELF header"));
        assert_eq!(loader_message("nothing"), None);
    }
}
