//! REPORT.md: the environment, one table per workload (raw and net of the
//! null floor), what each case cost in faults, context switches and RSS, the
//! plots, and a plain-language note wherever a figure cannot be read at face
//! value. Built from the results files alone, so it is reproducible.

use super::claims::with_interval;
use super::prose;
use crate::format::{self, ns, size_label};
use crate::names::Name;
use crate::names::WorkloadName;
use crate::results::figure::Figure;
use crate::results::read::Results;
use crate::results::series;
use crate::results::spread::across_repeats;
use crate::results::summary::Row;
use serde_json::Value;
use std::fmt::Write;
use std::path::{Path, PathBuf};
use workloads::Op;

/// The report's text. `plots` is the plots directory as seen from the
/// results directory (for the image links); charts missing there are named.
pub fn render(r: &Results, plots_rel: &Path, plots_abs: &Path) -> Result<String, String> {
    let charts = crate::render::charts_of(r)?;
    let mut md = String::new();
    md.push_str(&prose::fill(&prose::Intro {
        host: r.host().to_string(),
    }));
    environment(&mut md, r);
    super::confidence::intro(&mut md, r);
    floors(&mut md, r);
    allocators(&mut md, r);
    for workload in r.workloads() {
        let names = chart_names(r, &charts, crate::render::Section::Workload(workload));
        workload_section(&mut md, r, workload, &names, (plots_rel, plots_abs));
    }
    let names = chart_names(r, &charts, crate::render::Section::Instructions);
    super::instructions::section(&mut md, r, &names, (plots_rel, plots_abs));
    Ok(md)
}

fn text(v: &Value) -> String {
    match v {
        Value::Null => "not exposed".into(),
        Value::String(s) => s.clone(),
        Value::Array(a) if a.is_empty() => "none".into(),
        Value::Array(a) => a.iter().map(text).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// A meta.json field as the report shows it ([`text`] of its JSON).
fn shown<T: serde::Serialize>(v: &T) -> String {
    text(&serde_json::to_value(v).unwrap_or(Value::Null))
}

fn environment(md: &mut String, r: &Results) {
    let m = r.machine();
    let run = &r.runs()[0];
    let (t, p) = (&run.timer, &run.process);
    let _ = writeln!(md, "## Environment\n\n| | |\n|---|---|");
    let rows = [
        ("Host", shown(&m.host)),
        ("CPU", shown(&m.cpu_model)),
        (
            "Logical CPUs online / SMT",
            format!("{} / {}", m.logical_cpus_online, shown(&m.smt)),
        ),
        ("Kernel", shown(&m.kernel)),
        ("C library", shown(&m.libc)),
        ("CPU frequency governor", shown(&m.governor)),
        (
            "Transparent huge pages (enabled / defrag)",
            format!("{} / {}", shown(&m.thp_enabled), shown(&m.thp_defrag)),
        ),
        (
            "Isolation flags on the kernel command line",
            shown(&m.isolation_cmdline),
        ),
        ("Clock source", shown(&m.clocksource)),
        (
            "Timer",
            format!(
                "{} (`{}`), {:.4} GHz, invariant: {}",
                t.source,
                t.sequence,
                t.ticks_per_second / 1e9,
                shown(&t.invariant)
            ),
        ),
        (
            "Timer step (the common difference between two back-to-back reads)",
            format!("{:.2} ns", t.resolution_ns),
        ),
        ("Pinned CPU", shown(&p.pinned_cpu)),
        ("SCHED_FIFO", p.sched_fifo.clone()),
        ("mlockall", p.mlockall.clone()),
    ];
    for (k, v) in rows {
        let _ = writeln!(md, "| {k} | {v} |");
    }
    md.push('\n');
    runs_table(md, r);
}

/// The runs that wrote the directory: when, what binary, from which commit.
fn runs_table(md: &mut String, r: &Results) {
    md.push_str(&prose::fill(&prose::Runs {
        runs: r.runs().len(),
    }));
    for run in r.runs() {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} |",
            run.run_id,
            run.date,
            run.build.allocators_compiled_in.join(", "),
            run.build.git_commit,
            run.build.rustc
        );
    }
    md.push('\n');
}

fn floors(md: &mut String, r: &Results) {
    md.push_str(&prose::fill(&prose::Floors {}));
    for row in r
        .rows
        .iter()
        .filter(|x| x.allocator == crate::names::Name::Null)
    {
        let workload = if row.threads > 1 {
            format!("{} ({} threads)", row.workload, row.threads)
        } else {
            row.workload.to_string()
        };
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            workload,
            size_label(row.workload, row.size),
            row.op,
            row.p50_ns,
            row.null_jitter_ns,
            row.p999_ns,
            row.p9999_ns,
            ns(row.max_ns as f64)
        );
    }
    md.push('\n');
}

fn allocators(md: &mut String, r: &Results) {
    md.push_str(&prose::fill(&prose::Allocators {}));
    let mut seen: Vec<Name> = Vec::new();
    for run in r.runs() {
        let map = &run.allocators;
        for name in r.allocators() {
            if seen.contains(&name) {
                continue;
            }
            if let Some(settings) = map.get(name.as_str()) {
                seen.push(name);
                let _ = writeln!(md, "- **{name}**: {}", flat(settings));
            }
        }
    }
    md.push('\n');
}

/// `key: value; key: value` of an object, one level of nesting kept.
fn flat(v: &Value) -> String {
    match v.as_object() {
        Some(map) => map
            .iter()
            .map(|(k, v)| match v {
                Value::Object(_) => format!("{k}: {{{}}}", flat(v)),
                other => format!("{k}: {}", text(other)),
            })
            .collect::<Vec<_>>()
            .join("; "),
        None => text(v),
    }
}

/// What a replay section replays: the trace, its calls by op, and what
/// was counted rather than timed.
fn replay_note(r: &crate::results::meta::ReplayEntry) -> String {
    let th = format::thousands;
    let timed: Vec<prose::OpCalls> = r
        .timed
        .iter()
        .map(|(op, n)| prose::OpCalls {
            calls: th(*n),
            op: op.to_string(),
        })
        .collect();
    prose::sentence(&prose::Replay {
        calls: th(r.calls),
        trace: r.trace.clone(),
        timed,
        usable_size: th(r.usable_size),
        null_frees: th(r.null_frees),
        failed: th(r.failed_when_recorded),
        peak_bytes: th(r.peak_live_bytes),
        peak_blocks: th(r.peak_live_blocks),
        leaked_blocks: th(r.leaked_blocks),
        leaked_bytes: th(r.leaked_bytes),
    })
}

fn workload_section(
    md: &mut String,
    r: &Results,
    workload: WorkloadName,
    charts: &[(String, String)],
    (rel, abs): (&Path, &Path),
) {
    let what = match r.replay(workload) {
        Some(replay) => replay_note(replay),
        None => crate::workload_text::of_run(r, workload)
            .map(|scale| crate::workload_text::describe(workload, scale))
            .unwrap_or_default(),
    };
    let threads = r.own_threads(workload);
    md.push_str(&prose::fill(&prose::Workload {
        workload: workload.to_string(),
        what,
        threads: (threads > 1).then_some(threads),
    }));
    if let Some(note) = request_note(r, workload) {
        md.push_str(&note);
    }
    percentile_table(md, r, workload);
    super::confidence::standings(md, r, workload);
    super::confidence::batched(md, r, workload);
    threaded_table(md, r, workload);
    if workload == WorkloadName::ProducerConsumer {
        cross_thread_table(md, r);
    }
    usage_table(md, r, workload);
    if let (Some(replay), Some(pool)) = (r.replay(workload), r.pmad_pool(workload)) {
        pmad_pool_note(md, replay, pool);
    }
    if workload == WorkloadName::Churn {
        memory_table(md, r);
    }
    super::images(md, charts, (rel, abs));
}

/// What the percentile table's rows say below it: the rows whose net
/// ratio is not meaningful, and the maxima at the machine's noise level.
#[derive(Default)]
struct TableNotes {
    not_meaningful: Vec<String>,
    max_at_noise: Vec<prose::MaxAtNoise>,
}

/// A workload's percentile table at its own thread count: every series of
/// every allocator, the ones that could not run, and the notes on its rows.
fn percentile_table(md: &mut String, r: &Results, workload: WorkloadName) {
    let repeated = super::confidence::repeats(r) > 1;
    let _ = writeln!(
        md,
        "| size | op | allocator | samples | P50 | P99.9 | P99.99 |{} max | P99.9/P50 | net P50 | net P99.9 | net P99.9/P50 |\n|---|---|---|---:|---:|---:|---:|{}---:|---:|---:|---:|---:|",
        if repeated { " P99.9 range over repeats |" } else { "" },
        if repeated { "---:|" } else { "" }
    );
    let mut notes = TableNotes::default();
    for size in r.sizes(workload) {
        for op in r.ops(workload) {
            let null_max = r.own_row(Name::Null, workload, size, op).map(|n| n.max_ns);
            for a in r.allocators() {
                let Some(row) = r.own_row(a, workload, size, op) else {
                    continue;
                };
                let line = percentile_row(r, row, null_max, repeated, &mut notes);
                let _ = writeln!(md, "{line}");
            }
        }
        for (a, why) in r.not_applicable(workload) {
            let _ = writeln!(
                md,
                "| {} | {} | {a} | not applicable: {why} | | | | | | | | |",
                size_label(workload, size),
                r.ops(workload)
                    .iter()
                    .map(|op| op.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    md.push('\n');
    if !notes.not_meaningful.is_empty() {
        md.push_str(&prose::fill(&prose::NotMeaningful {
            rows: notes.not_meaningful,
        }));
    }
    if !notes.max_at_noise.is_empty() {
        md.push_str(&prose::fill(&prose::MaxAtNoiseNote {
            rows: notes.max_at_noise,
        }));
    }
}

/// One row of the percentile table; what it says below the table goes
/// into `notes`.
fn percentile_row(
    r: &Results,
    row: &Row,
    null_max: Option<u64>,
    repeated: bool,
    notes: &mut TableNotes,
) -> String {
    let (a, op, size) = (row.allocator.as_str(), row.op.name(), row.size);
    let net_ratio = match row.ratio_p999_p50_net {
        Some(x) => format!("{x:.1}"),
        None if a == "null" => "-".into(),
        None => {
            notes
                .not_meaningful
                .push(format!("{a} {op} {}", size_label(row.workload, size)));
            "n/m".into()
        }
    };
    let mut max = ns(row.max_ns as f64);
    if let Some(null_max) = null_max.filter(|_| a != "null") {
        if row.max_ns <= null_max {
            max.push('*');
            notes.max_at_noise.push(prose::MaxAtNoise {
                row: format!("{a} {op} {}", size_label(row.workload, size)),
                max: ns(row.max_ns as f64),
                null_max: ns(null_max as f64),
            });
        }
    }
    let range = if repeated {
        across_repeats(r.spread.as_deref(), row, Figure::P999)
            .map_or(" - |".to_string(), |(lo, hi)| format!(" {lo}-{hi} |"))
    } else {
        String::new()
    };
    format!(
        "| {} | {op} | {a} | {} | {} | {} | {} |{range} {max} | {:.1} | {} | {} | {net_ratio} |",
        size_label(row.workload, size),
        row.samples,
        with_interval(row, Figure::P50),
        with_interval(row, Figure::P999),
        with_interval(row, Figure::P9999),
        row.ratio_p999_p50,
        if a == "null" {
            "-".into()
        } else {
            row.p50_net_ns.to_string()
        },
        if a == "null" {
            "-".into()
        } else {
            row.p999_net_ns.to_string()
        },
    )
}

/// The same workload on several threads at once (`--threads`), beside its
/// single-threaded figures.
fn threaded_table(md: &mut String, r: &Results, workload: WorkloadName) {
    let rows = r.threaded(workload);
    if rows.is_empty() || r.own_threads(workload) > 1 {
        return;
    }
    md.push_str(&prose::fill(&prose::Threaded {}));
    let figs = |x: &Row| {
        format!(
            "{} / {} / {} / {}",
            x.p50_ns,
            x.p999_ns,
            x.p9999_ns,
            ns(x.max_ns as f64)
        )
    };
    let batched = |x: Option<&Row>| {
        x.and_then(super::confidence::batched_net)
            .unwrap_or_else(|| "-".into())
    };
    for t in rows {
        let alone = r.row(t.allocator, workload, t.size, t.op);
        let one = alone.map_or("not measured".to_string(), figs);
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {one} | {} | {} | {} |",
            size_label(workload, t.size),
            t.op,
            t.allocator,
            t.threads,
            t.samples,
            figs(t),
            batched(alone),
            batched(Some(t)),
        );
    }
    md.push('\n');
}

/// What the recorded phase of each case cost outside the clock: the
/// measuring thread's faults and context switches, the process's RSS.
fn usage_table(md: &mut String, r: &Results, workload: WorkloadName) {
    md.push_str(&prose::fill(&prose::Usage {}));
    let opt = |v: Option<u64>| v.map_or("n/a".to_string(), |x| x.to_string());
    let mib = |v: Option<u64>| {
        v.map_or("n/a".to_string(), |kb| {
            format!("{:.1} MiB", kb as f64 / 1024.0)
        })
    };
    for size in r.sizes(workload) {
        for a in r.allocators() {
            let Some(row): Option<&Row> = r
                .ops(workload)
                .first()
                .and_then(|&op| r.own_row(a, workload, size, op))
            else {
                continue;
            };
            let _ = writeln!(
                md,
                "| {} | {a} | {} | {} | {} | {} | {} | {} | {} | {} |",
                size_label(workload, size),
                opt(row.minor_faults),
                opt(row.major_faults),
                opt(row.voluntary_ctx_switches),
                opt(row.involuntary_ctx_switches),
                mib(row.rss_before_kb),
                mib(row.rss_after_kb),
                mib(row.rss_peak_kb),
                match (row.syscalls, &row.syscalls_by_name) {
                    (Some(0), _) => "0".to_string(),
                    (Some(n), Some(names)) => format!("{n} ({names})"),
                    _ => "not counted".to_string(),
                },
            );
        }
    }
    md.push('\n');
}

/// What PMAD's pool for a replayed trace reserved and backed, beside the
/// trace's own peak: the memory side of a fixed pool's latency.
fn pmad_pool_note(
    md: &mut String,
    replay: &crate::results::meta::ReplayEntry,
    pool: &crate::results::pools::PmadReport,
) {
    let th = format::thousands;
    let mib = |b: usize| format!("{:.1} MiB", b as f64 / (1024.0 * 1024.0));
    let reserved = if pool.reserved_bytes > 0 {
        mib(pool.reserved_bytes)
    } else {
        "not recorded".to_string()
    };
    let ratio = pool.pool_bytes as f64 / replay.peak_live_bytes.max(1) as f64;
    md.push_str(&prose::fill(&prose::PmadPool {
        classes: pool.classes.len(),
        smallest: th(pool.classes.first().copied().unwrap_or(0) as u64),
        largest: th(pool.classes.last().copied().unwrap_or(0) as u64),
        blocks: th(pool.capacity.iter().sum::<usize>() as u64),
        reserved,
        backed: mib(pool.pool_bytes),
        backed_over_peak: format!("{ratio:.1}"),
        used: th(pool.high_water.iter().sum::<usize>() as u64),
    }));
    md.push('\n');
}

/// Churn's fragmentation: what the allocators held for the same live set.
fn memory_table(md: &mut String, r: &Results) {
    md.push_str(&prose::fill(&prose::ReportMemory {}));
    let mib = |kb: Option<u64>| {
        kb.map_or("n/a".to_string(), |kb| {
            format!("{:.1} MiB", kb as f64 / 1024.0)
        })
    };
    for size in r.sizes(WorkloadName::Churn) {
        for a in r.allocators() {
            let Some(row) = r.row(a, WorkloadName::Churn, size, Op::Alloc) else {
                continue;
            };
            let _ = writeln!(
                md,
                "| {} | {a} | {} | {} | {} | {} | {} |",
                size_label(WorkloadName::Churn, size),
                mib(row.live_requested_kb),
                mib(row.live_usable_kb),
                row.internal_waste_pct
                    .map_or("n/a".to_string(), |p| format!("{p:.1} %")),
                row.rss_growth_over_requested
                    .map_or("n/a".to_string(), |x| format!("{x:.2}")),
                mib(row.rss_peak_kb),
            );
        }
    }
    md.push('\n');
}

/// The charts of a section, as (name, alt text): taken from the
/// chart list `plot` draws. The sweep has many sizes: its percentile charts
/// are all in the plots directory, and the report shows the smallest and
/// largest.
fn chart_names(
    r: &Results,
    charts: &[crate::render::Planned<'_>],
    section: crate::render::Section,
) -> Vec<(String, String)> {
    let sweep = section == crate::render::Section::Workload(WorkloadName::SizeSweep);
    let sizes = r.sizes(WorkloadName::SizeSweep);
    let shown = |size: Option<usize>| match size {
        Some(s) if sweep && sizes.len() > 2 => s == sizes[0] || s == sizes[sizes.len() - 1],
        _ => true,
    };
    charts
        .iter()
        .filter(|c| c.section == section && shown(c.size))
        .map(|c| (c.name.clone(), c.alt.clone()))
        .collect()
}

/// The request workloads: what a request is and, for the open loop, its rate.
fn request_note(r: &Results, workload: WorkloadName) -> Option<String> {
    if !matches!(
        workload,
        WorkloadName::RequestClosed | WorkloadName::RequestOpen
    ) {
        return None;
    }
    let interval = r
        .runs()
        .iter()
        .flat_map(|run| &run.cases)
        .find(|c| c.workload == WorkloadName::RequestOpen)
        .and_then(|c| c.request_interval_ns)
        .filter(|_| workload == WorkloadName::RequestOpen);
    Some(prose::fill(&prose::Request {
        interval: interval.map(format::ns_exact),
        per_second: interval.map(|ns| format!("{:.0}", 1e9 / ns as f64)),
    }))
}

/// What a cross-thread free costs: producer-consumer beside hot-path on the
/// same number of threads (each thread frees its own blocks) and on one.
fn cross_thread_table(md: &mut String, r: &Results) {
    let threads = r.own_threads(WorkloadName::ProducerConsumer);
    md.push_str(&prose::fill(&prose::ReportCrossThread { threads }));
    let figs = |x: Option<&Row>| {
        x.map_or("not measured".to_string(), |x| {
            format!("{} / {} / {}", x.p50_ns, x.p999_ns, x.p9999_ns)
        })
    };
    for size in r.sizes(WorkloadName::ProducerConsumer) {
        for op in [Op::Alloc, Op::Free] {
            for a in r.allocators() {
                let Some(pc) = r.own_row(a, WorkloadName::ProducerConsumer, size, op) else {
                    continue;
                };
                let on_n = r.rows.iter().find(|x| {
                    x.allocator == a
                        && x.workload == WorkloadName::HotPath
                        && x.threads == threads
                        && x.size == size
                        && x.op == op
                });
                let _ = writeln!(
                    md,
                    "| {a} | {op} | {} | {} | {} | {} |",
                    size_label(WorkloadName::HotPath, size),
                    figs(Some(pc)),
                    figs(on_n),
                    figs(r.row(a, WorkloadName::HotPath, size, op))
                );
            }
        }
    }
    md.push('\n');
}

/// Absolute form of a path that may not exist yet.
fn absolute(p: &Path) -> Result<PathBuf, String> {
    std::fs::canonicalize(p)
        .or_else(|_| std::env::current_dir().map(|d| d.join(p)))
        .map_err(|e| format!("{}: {e}", p.display()))
}

/// `to` as seen from the directory `from` (for links in a Markdown file).
fn relative(to: &Path, from: &Path) -> Result<PathBuf, String> {
    let (to, from) = (absolute(to)?, absolute(from)?);
    Ok(pathdiff::diff_paths(&to, &from).unwrap_or(to))
}

/// What `--check` found.
#[derive(Debug, PartialEq, Eq)]
pub enum Freshness {
    /// Written, or under `--check` the same as what would be written.
    UpToDate,
    /// Under `--check`: the file differs; the command that brings it up to date.
    Stale { fix: String },
}

/// Writes `path` with `text`, or with `check` only compares.
fn write_or_check(path: &Path, text: &str, check: bool, fix: String) -> Result<Freshness, String> {
    if check {
        let on_disk =
            std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        return Ok(if on_disk == text {
            Freshness::UpToDate
        } else {
            Freshness::Stale { fix }
        });
    }
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let sink = crate::results::sink::Sink::open(dir, true)?;
    sink.write(path, text.as_bytes())?;
    Ok(Freshness::UpToDate)
}

/// Writes `<results>/REPORT.md` (or with `check`, compares).
pub fn write(results: &Path, plots: &Path, check: bool) -> Result<Freshness, String> {
    let r = Results::load(results)?;
    let rel = relative(plots, results)?;
    let md = render(&r, &rel, &absolute(plots)?)?;
    let path = series::report_md(results);
    let fix = format!(
        "report --results {} --plots {}",
        results.display(),
        plots.display()
    );
    write_or_check(&path, &md, check, fix)
}

/// Rewrites the results section of `readme` from `results` (or with
/// `check`, compares).
pub fn write_readme(
    results: &Path,
    plots: &Path,
    readme: &Path,
    check: bool,
) -> Result<Freshness, String> {
    let r = Results::load(results)?;
    let home = readme
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let section = super::readme::render(
        &r,
        &relative(results, home)?,
        &relative(plots, home)?,
        &absolute(plots)?,
    );
    let old = std::fs::read_to_string(readme).map_err(|e| format!("{}: {e}", readme.display()))?;
    let new =
        super::readme::splice(&old, &section).map_err(|e| format!("{}: {e}", readme.display()))?;
    let fix = format!(
        "report --results {} --plots {} --readme {}",
        results.display(),
        plots.display(),
        readme.display()
    );
    write_or_check(readme, &new, check, fix)
}
