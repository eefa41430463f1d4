//! `harness live`: a running program's own malloc-family calls, timed
//! in the program on each allocator, written as a run is written.
//!
//! The command runs once plain (its wall time without the shim), then
//! once per allocator with the timing shim (`live-shim`) preloaded: the
//! shim forwards every call to that allocator and counts its latency,
//! read with the run's clock around the forwarded call alone, in
//! per-thread histograms in a file it maps shared ([`image`]). After each
//! run the harness reads those files, converts ticks with its own
//! calibration and adds the threads up ([`fold`]); each program (by its
//! executable's name) is a workload `live-<program>`, with one row per op
//! it made and a null row, the shim timing an empty call, which every row
//! is net of ([`write`]).
//!
//! What is measured is the program's calls as it makes them, with its own
//! threads, caches and work between calls; what is not: the calls the
//! shim forwards untimed (made inside the shim: the allocator's own, the
//! loader's, glibc's `pthread_atfork`), counted in meta.json.

pub mod fold;
pub mod image;
pub mod launch;
pub mod plan;
pub mod sizing;
pub mod status;
pub mod write;

use crate::cli::LiveArgs;
use crate::failure::Failure;
use crate::names::Name;
use launch::{Ran, Shim, Target};
use std::path::Path;

/// One allocator's run: how it went and the images it left.
pub struct AllocatorRun {
    pub allocator: Name,
    pub target: Target,
    pub ran: Ran,
    pub images: Vec<image::Image>,
    /// Why its rows are set aside (a fixed pool that could not serve a
    /// request), if they are.
    pub refused: Option<String>,
}

/// One repeat: the plain run, then each allocator's.
pub struct Repeat {
    pub plain: Ran,
    pub runs: Vec<AllocatorRun>,
}

/// Runs the command plain and on each of `allocators` (in that order),
/// reading each run's shim files from a scratch directory in `out`.
pub fn run_once(
    a: &LiveArgs,
    shim: &Shim<'_>,
    allocators: &[(Name, Target)],
    out: &Path,
) -> Result<Repeat, Failure> {
    let plain = launch::plain(&a.command).map_err(Failure::usage)?;
    let mut runs = Vec::new();
    for (name, target) in allocators {
        let scratch = tempfile::Builder::new()
            .prefix(".live-")
            .tempdir_in(out)
            .map_err(|e| Failure::io(format!("{}: {e}", out.display())))?;
        eprintln!(
            "harness: live: {} on {}",
            a.command.join(" "),
            name.as_str()
        );
        let ran =
            launch::shimmed(&a.command, shim, target, scratch.path()).map_err(Failure::usage)?;
        let images = image::read_dir(scratch.path()).map_err(Failure::run)?;
        if !ran.status.success() {
            eprintln!(
                "harness: live: warning: `{}` ended with {} on {}",
                a.command.join(" "),
                status::describe(&ran.status),
                name.as_str()
            );
        }
        if images.iter().all(|i| i.timed().iter().sum::<u64>() == 0) {
            eprintln!(
                "harness: live: warning: {}",
                no_calls(&a.command[0], a.follow)
            );
        }
        let failed: u64 = images.iter().map(|i| i.pool_failed).sum();
        let refused = (failed > 0).then(|| {
            format!(
                "its pool, sized by the recorded pass, could not serve {failed} request(s) of this run ({}); the program did not make the same calls twice",
                status::describe(&ran.status)
            )
        });
        if let Some(why) = &refused {
            eprintln!("harness: live: {}: set aside: {why}", name.as_str());
        }
        runs.push(AllocatorRun {
            allocator: *name,
            target: target.clone(),
            ran,
            images,
            refused,
        });
    }
    Ok(Repeat { plain, runs })
}

/// Why a live run can hold no call although the shim was preloaded.
pub fn no_calls(program: &str, follow: bool) -> String {
    let children = if follow {
        "its child processes were timed too (--follow), and none made one either"
    } else {
        "programs it started as child processes are not timed without --follow: a shell (`sh -c`) running a pipeline or more than one command, a launcher or build tool that spawns"
    };
    format!(
        "`{program}` made no malloc-family call in the process timed (the one the command starts, across its own execs): {children}. A statically linked program, or one that clears LD_PRELOAD, is not timed at all"
    )
}
