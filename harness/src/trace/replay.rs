//! `harness replay FILE...`: each trace becomes one case of a run plan
//! (workload `replay-<file name>`), measured, written and rendered as every
//! other workload is; after each case, the replay is checked against the
//! trace ([`check`]). With `--threads N`, each of a trace's N recorded
//! threads is replayed on a thread of its own; N must be the number the
//! trace was recorded on, so what is measured is never a guess.

use super::load;
use crate::cli::{ReplayArgs, RunArgs};
use crate::format::thousands;
use crate::names::workload::WorkloadChoice;
use crate::names::WorkloadName;
use crate::plan::{self, Plan, Workload};
use workloads::{Case, Kind, Op, Outcome, SizeSpec};

/// The run flags a replay has no use for, when given: the error says which.
fn refuse_run_flags(run: &RunArgs) -> Result<(), String> {
    let given = [
        (
            run.workload != WorkloadChoice::All,
            "--workload: a replay's workload is its trace; leave --workload out",
        ),
        (
            run.size.is_some(),
            "--size: a replay asks for the trace's own sizes; leave --size out",
        ),
        (
            run.blocks.is_some(),
            "--blocks: applies to bulk and reverse-free only; leave it out",
        ),
        (
            run.live.is_some(),
            "--live: a replay's live set is the trace's; leave --live out",
        ),
        (
            run.rate.is_some(),
            "--rate: applies to the request workload only; leave it out",
        ),
        (
            run.quick,
            "--quick: a replay makes the trace's calls; use --ops N to replay its first N",
        ),
        (
            run.syscalls,
            "--syscalls: not counted for replays; leave it out",
        ),
    ];
    match given.into_iter().find(|(yes, _)| *yes) {
        Some((_, why)) => Err(why.to_string()),
        None => Ok(()),
    }
}

/// The workload name of a trace file: `replay-<its name>`, without a
/// `.trace` ending.
fn workload_of(path: &std::path::Path) -> Result<WorkloadName, String> {
    let file = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = file.strip_suffix(".trace").unwrap_or(&file);
    WorkloadName::replay_of(stem).map_err(|e| format!("{}: {e}", path.display()))
}

/// The plan of `harness replay`: one single-case workload per trace,
/// every trace loaded and checked before anything is measured.
pub fn plan(a: &ReplayArgs) -> Result<Plan, String> {
    refuse_run_flags(&a.run)?;
    let (allocators, libraries) = plan::chosen(&a.run.allocator, &a.run.allocator_lib)?;
    let mut workloads: Vec<Workload> = Vec::new();
    for path in &a.traces {
        let name = workload_of(path)?;
        if workloads.iter().any(|w| w.name == name) {
            return Err(format!(
                "{}: its workload would be {name}, as an earlier trace's is; rename one",
                path.display(),
            ));
        }
        let t = load::load(path, &path.display().to_string(), a.run.ops)?;
        let threads = a.run.threads;
        if threads > 1 && t.threads != threads {
            return Err(format!(
                "--threads {threads}: {} was recorded on {} thread(s); --threads {} replays each on a thread of its own, and without --threads all run on one",
                path.display(),
                t.threads,
                t.threads
            ));
        }
        eprintln!(
            "harness: {}: {} calls ({} objects, peak {} bytes in {} blocks, largest {} bytes) as {name}",
            path.display(),
            thousands(t.calls.len() as u64),
            thousands(t.objects as u64),
            thousands(t.peak_bytes),
            thousands(t.peak_blocks),
            thousands(t.largest as u64),
        );
        workloads.push(Workload {
            name,
            cases: vec![Case {
                kind: Kind::Replay(t),
                size: SizeSpec::Mixed,
                ops: t.calls.len() as u64,
                blocks: 1,
                max_live: t.demand().max_live,
                seed: a.run.seed,
            }],
        });
    }
    Ok(Plan {
        workloads,
        threads: a.run.threads,
        allocators,
        libraries,
    })
}

/// Fidelity: the replay made exactly the trace's calls, op by op, its
/// histograms hold them all, and (on one thread, where the order is the
/// recorded one) its live set peaked where the trace's does. A difference
/// is a bug in the replay, named.
pub fn check(case: &Case, outcome: &Outcome, threaded: bool) -> Result<(), String> {
    let Kind::Replay(t) = case.kind else {
        return Ok(());
    };
    let Some(r) = &outcome.replay else {
        return Err("the replay reported no counts".into());
    };
    for op in Op::ALL {
        let (want, made, held) = (
            t.timed[op.index()],
            r.timed[op.index()],
            outcome.recorder(op).len(),
        );
        if want != made || made != held {
            return Err(format!(
                "{op}: the trace has {want} calls, the replay made {made} and its histogram holds {held}"
            ));
        }
    }
    let untimed = r.usable_size + r.null_frees + r.failed_when_recorded;
    let all: u64 = r.timed.iter().sum::<u64>() + untimed;
    if all != t.calls.len() as u64 {
        return Err(format!(
            "the trace has {} calls, the replay accounts for {all}",
            t.calls.len()
        ));
    }
    if !threaded && (r.peak_bytes, r.peak_blocks) != (t.peak_bytes, t.peak_blocks) {
        return Err(format!(
            "the live set peaked at {} bytes in {} blocks, the trace's at {} in {}",
            r.peak_bytes, r.peak_blocks, t.peak_bytes, t.peak_blocks
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn args(words: &[&str]) -> ReplayArgs {
        let mut all = vec!["harness", "replay"];
        all.extend(words);
        match crate::cli::Cli::parse_from(all).command {
            Some(crate::cli::Command::Replay(a)) => a,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn run_flags_a_replay_has_no_use_for_are_refused_by_name() {
        for (flag, value) in [
            ("--size", "64"),
            ("--live", "5"),
            ("--rate", "10"),
            ("--workload", "churn"),
            ("--blocks", "3"),
        ] {
            let e = plan(&args(&["x.trace", flag, value])).unwrap_err();
            assert!(e.starts_with(flag), "{flag}: {e}");
        }
        let e = plan(&args(&["x.trace", "--quick"])).unwrap_err();
        assert!(e.starts_with("--quick"), "{e}");
    }

    #[test]
    fn a_trace_is_named_after_its_file() {
        let w = workload_of(std::path::Path::new("traces/Git log.trace")).unwrap();
        assert_eq!(w.as_str(), "replay-git-log");
        let w = workload_of(std::path::Path::new("a.trace.zst")).unwrap();
        assert_eq!(w.as_str(), "replay-a-trace-zst");
        assert!(workload_of(std::path::Path::new("/x/.trace")).is_err());
    }

    #[test]
    fn a_missing_trace_is_named() {
        let e = plan(&args(&["/nonexistent/p.trace"])).unwrap_err();
        assert!(e.starts_with("/nonexistent/p.trace: "), "{e}");
    }
}
