//! A live repeat as a run's results: per program, a `Done` per allocator
//! and the null row (the first allocator's shim timing an empty call),
//! each row net of the null of its own process; then the files, through
//! the same persist code as a run.

use super::fold::{self, Folded, OPS_AS};
use super::image::Image;
use super::{AllocatorRun, Repeat};
use crate::cli::RunArgs;
use crate::clock::TimerInfo;
use crate::failure::Failure;
use crate::measure::{self, Done, Job, NotApplicable, Run};
use crate::names::{Name, WorkloadName};
use crate::results::meta::{LiveEntry, LiveImage};
use crate::results::summary::{Figures, Floor, Key, Row};
use std::collections::BTreeMap;
use std::time::Duration;
use workloads::{Case, Kind, Op, SizeSpec};

/// The programs of a repeat, in the order first seen, each with the ops
/// any of its runs made (so every allocator has the same rows).
pub fn programs(r: &Repeat) -> Result<Vec<(WorkloadName, &'static [Op])>, String> {
    let mut out: Vec<(WorkloadName, Vec<Op>)> = Vec::new();
    for run in r.runs.iter().filter(|r| r.refused.is_none()) {
        for i in &run.images {
            let w = WorkloadName::live_of(&i.program())?;
            let timed = i.timed();
            if timed.iter().sum::<u64>() == 0 {
                continue;
            }
            let at = match out.iter().position(|(n, _)| *n == w) {
                Some(at) => at,
                None => {
                    out.push((w, Vec::new()));
                    out.len() - 1
                }
            };
            for (k, &n) in timed.iter().enumerate() {
                if n > 0 && !out[at].1.contains(&OPS_AS[k]) {
                    out[at].1.push(OPS_AS[k]);
                }
            }
        }
    }
    Ok(out
        .into_iter()
        .map(|(w, mut ops)| {
            ops.sort_by_key(|o| OPS_AS.iter().position(|x| x == o));
            (w, &*Box::leak(ops.into_boxed_slice()))
        })
        .collect())
}

/// The images of `run` that are `program`.
fn images_of(run: &AllocatorRun, program: WorkloadName) -> Vec<&Image> {
    run.images
        .iter()
        .filter(|i| WorkloadName::live_of(&i.program()).is_ok_and(|w| w == program))
        .collect()
}

fn by_op(counts: &[u64; live_format::OPS]) -> BTreeMap<String, u64> {
    OPS_AS
        .iter()
        .zip(counts)
        .filter(|(_, &n)| n > 0)
        .map(|(op, &n)| (op.name().to_string(), n))
        .collect()
}

/// What meta.json says of one program's run on one allocator.
fn entry(
    run: &AllocatorRun,
    images: &[&Image],
    plain: Duration,
    follow: bool,
    null: &Folded,
    command: &[String],
) -> LiveEntry {
    let mut timed = [0; live_format::OPS];
    let mut untimed = [0; live_format::OPS];
    for i in images {
        for k in 0..live_format::OPS {
            timed[k] += i.timed()[k];
            untimed[k] += i.untimed[k];
        }
    }
    LiveEntry {
        program: images.first().map(|i| i.exe.clone()).unwrap_or_default(),
        command: command.to_vec(),
        follow,
        exit_status: super::status::describe(&run.ran.status),
        wall_seconds: run.ran.wall.as_secs_f64(),
        wall_seconds_without_shim: plain.as_secs_f64(),
        threads: images.iter().map(|i| i.threads.len()).sum(),
        timed: by_op(&timed),
        untimed: by_op(&untimed),
        usable_size_calls: images.iter().map(|i| i.usable_size).sum(),
        bootstrap_calls: images.iter().map(|i| i.bootstrap).sum(),
        shim_null_p50_ns: OPS_AS
            .iter()
            .map(|&op| {
                (
                    op.name().to_string(),
                    Figures::of(null.outcome.recorder(op)).p50,
                )
            })
            .collect(),
        images: images
            .iter()
            .map(|i| LiveImage {
                pid: i.pid,
                ppid: i.ppid,
                exe: i.exe.clone(),
                cmdline: i.cmdline.clone(),
                threads: i.threads.len(),
                timed: by_op(&i.timed()),
                untimed: by_op(&i.untimed),
                exited: i.exited,
                cut_off_threads: i.cut_off.len(),
            })
            .collect(),
    }
}

/// One measured series of a repeat, with what its rows and meta need.
pub struct Series {
    pub done: Done,
    pub floor_of: Folded,
    pub live: Option<LiveEntry>,
}

/// A `Done` from folded counts, its interval logs written (under
/// temporary names) into the sink.
fn done(
    allocator: Name,
    workload: WorkloadName,
    ops: &'static [Op],
    f: &Folded,
    wall: Duration,
    run: &Run<'_>,
) -> Result<Done, Failure> {
    let case = Case {
        kind: Kind::Live(ops),
        size: SizeSpec::Mixed,
        ops: f.outcome.ops,
        blocks: 1,
        max_live: 0,
        seed: 0,
    };
    let job = Job {
        workload,
        allocator,
        case: &case,
        threads: 1,
        label: format!("{workload} {}", allocator.as_str()),
        keep_earlier: false,
    };
    let hlogs = measure::write_windows(&job, run, &f.windows)?;
    let intervals = measure::read_intervals(&case, &hlogs)?;
    Ok(Done {
        workload,
        threads: 1,
        per_thread: Vec::new(),
        allocator,
        case,
        outcome: f.outcome.clone(),
        pmad: None,
        tlsf: None,
        hlogs,
        intervals,
        memory: Vec::new(),
        elapsed: wall,
        usage: None,
        keep_earlier: false,
    })
}

/// Every series of a repeat: per program, the null row, then each allocator.
pub fn series(
    r: &Repeat,
    timer: &TimerInfo,
    follow: bool,
    command: &[String],
    run: &Run<'_>,
) -> Result<Vec<Series>, Failure> {
    let tps = timer.ticks_per_second;
    let mut out = Vec::new();
    for (w, ops) in programs(r).map_err(Failure::run)? {
        for (k, a) in r.runs.iter().filter(|r| r.refused.is_none()).enumerate() {
            let images = images_of(a, w);
            let Some(first) = images.first() else {
                eprintln!(
                    "harness: live: warning: {w} made no call on {}",
                    a.allocator.as_str()
                );
                continue;
            };
            let null = fold::null(first, tps, ops);
            if k == 0 {
                let d = done(Name::Null, w, ops, &null, Duration::ZERO, run)?;
                out.push(Series {
                    done: d,
                    floor_of: fold::null(first, tps, ops),
                    live: None,
                });
            }
            let f = fold::threads(&images, tps, ops);
            let live = entry(a, &images, r.plain.wall, follow, &null, command);
            let d = done(a.allocator, w, ops, &f, a.ran.wall, run)?;
            out.push(Series {
                done: d,
                floor_of: null,
                live: Some(live),
            });
        }
    }
    Ok(out)
}

/// One summary row per (series, op), net of its own process's null.
pub fn rows(series: &[Series], timer: &TimerInfo, run_id: &str) -> Vec<Row> {
    let mut rows = Vec::new();
    for s in series {
        let d = &s.done;
        for &op in d.case.kind.ops() {
            let floor = Floor::of(
                &Figures::of(s.floor_of.outcome.recorder(op)),
                timer.resolution_ns,
            );
            let rec = d.outcome.recorder(op);
            let key = Key {
                allocator: d.allocator,
                workload: d.workload,
                op,
                size: d.case.size.label(),
                threads: d.threads,
                run_id,
            };
            let intervals = d.intervals.iter().find(|(o, _)| *o == op).map(|(_, i)| i);
            rows.push(
                Row::new(
                    key,
                    &Figures::of(rec),
                    floor,
                    rec.saturated(),
                    d.outcome.first_call.of(op),
                )
                .with_intervals(intervals),
            );
        }
    }
    rows
}

/// The run's flags as meta.json's run record reads them: a live run has
/// none of a measuring run's (no pinning, no mlock, no FIFO).
pub fn no_run_flags() -> RunArgs {
    use clap::Parser;
    crate::cli::Cli::parse_from(["harness"]).run
}

/// Not-applicable entries for meta.json, one per program.
pub fn skipped(series: &[Series], not: &[(Name, String)]) -> Vec<NotApplicable> {
    let mut programs: Vec<WorkloadName> = series.iter().map(|s| s.done.workload).collect();
    programs.dedup();
    programs
        .iter()
        .flat_map(|&w| {
            not.iter().map(move |(a, why)| NotApplicable {
                allocator: *a,
                workload: w,
                reason: why.clone(),
            })
        })
        .collect()
}

/// meta.json's entry for an allocator of a live run: how the shim
/// reached it, and (a library row) the library as the probe found it.
pub fn settings(r: &AllocatorRun) -> serde_json::Value {
    use super::launch::Target;
    let how = "timed in the program by the live shim (LD_PRELOAD), which forwards every malloc-family call";
    match &r.target {
        Target::InShim(name) => serde_json::json!({
            "how": how,
            "allocator": format!("{name}: compiled into the shim ({})", match *name {
                "jemalloc" => "tikv-jemalloc-sys, the harness's jemalloc build, default options; _RJEM_MALLOC_CONF applies",
                "mimalloc" => "libmimalloc-sys, the harness's mimalloc build, default options; MIMALLOC_* apply",
                _ => "glibc's malloc through its __libc_* entry points",
            }),
        }),
        Target::Pmad(pool) => serde_json::json!({
            "how": how,
            "allocator": "pmad: compiled into the shim (the pmad crate), one pool, prefaulted, serving the program's one thread",
            "pool": {
                "sized_by": "a recorded pass of the same command (harness record's recorder), just before the runs: each power-of-two class its calls used, holding that class's peak of live blocks plus a quarter plus 256 KiB of blocks (at least 2, at most 64)",
                "classes": pool.classes,
                "peak_live_blocks_in_the_pass": pool.peak,
                "blocks": pool.blocks,
                "bytes": pool.bytes,
                "calls_in_the_pass": pool.calls,
            },
        }),
        Target::Tlsf(region) => serde_json::json!({
            "how": how,
            "allocator": "tlsf: compiled into the shim (rlsf, Tlsf<u32, u32, 28, 32> as in a run), one region from one mmap, prefaulted, serving the program's one thread",
            "region": {
                "sized_by": "a recorded pass of the same command: every block live at once at its power-of-two class's size (each class's peak plus a quarter plus 256 KiB of blocks) plus TLSF's 16-byte header in 32-byte granules, doubled for fragmentation, plus 1 MiB",
                "bytes": region.bytes,
                "peak_live_bytes_in_the_pass": region.peak_bytes,
                "peak_live_blocks_in_the_pass": region.peak_blocks,
            },
        }),
        Target::Library(l) => {
            let facts = crate::shared_lib::inspect::facts(&l.path);
            serde_json::json!({
                "how": format!("{how}; the shim forwards to the library preloaded after it (LD_PRELOAD=shim:library, dlsym(RTLD_NEXT))"),
                "given": l.path.display().to_string(),
                "file": facts.as_ref().map(|f| f.file.clone()).ok(),
                "sha256": facts.as_ref().map(|f| f.sha256.clone()).ok(),
                "version": facts.as_ref().ok().and_then(|f| f.version.clone()),
                "package": facts.as_ref().ok().and_then(|f| f.package.clone()),
            })
        }
    }
}
