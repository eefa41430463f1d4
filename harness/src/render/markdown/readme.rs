//! The README's results section, generated from a results directory, so the
//! README never states a figure or a ranking that summary.csv does not hold.
//!
//! `harness report --results DIR --readme README.md` rewrites the text
//! between [`BEGIN`] and [`END`]; with `--check` it only compares, and a
//! stale section is an error (CI runs it).
//!
//! A ranking ("lowest", "highest") is written only where the data separates
//! it (`claims::leader`): the leader's 95 % interval clear of every other
//! allocator's, and its range across repeats clear too where the run was
//! repeated; results without intervals keep the older single-run rule.
//! Anything closer is written as "tied", with the figures side by side.

use super::claims::{leader, with_interval_prose as with_interval, Between, FACTOR, MIN_STEPS};
use super::prose;
use crate::format::thousands;
use crate::names::Name;
use crate::names::WorkloadName;
use crate::results::figure::Figure;
use crate::results::read::Results;
use crate::results::series::chart;
use crate::results::summary::Row;
use crate::stats::change::Verdict;
use std::fmt::Write;
use std::path::Path;
use workloads::Op;

pub const BEGIN: &str = "<!-- results: begin. Generated from summary.csv by `harness report --readme`; edit its templates (harness/src/render/markdown/prose/readme/) or their filler (readme.rs), not this text. -->";
pub const END: &str = "<!-- results: end -->";

/// "P50 / P99.9 / P99.99" of a row, or why there is none.
fn figs(row: Option<&Row>, max: bool) -> String {
    row.map_or("not measured".into(), |r| {
        let mut s = format!(
            "{} / {} / {}",
            thousands(r.p50_ns),
            thousands(r.p999_ns),
            thousands(r.p9999_ns)
        );
        if max {
            let _ = write!(s, " / {}", thousands(r.max_ns));
        }
        s
    })
}

/// The general allocators' rows of one series (the null row left out).
fn contenders(r: &Results, workload: WorkloadName, size: usize, op: Op) -> Vec<&Row> {
    r.allocators()
        .into_iter()
        .filter(|&a| a != Name::Null)
        .filter_map(|a| r.own_row(a, workload, size, op))
        .collect()
}

/// One finding about `what` (percentile `pct`): the separated leader, or
/// "tied" with the two closest figures side by side.
fn ranking(r: &Results, rows: &[&Row], what: &str, pct: Figure, highest: bool) -> Option<String> {
    let word = if highest { "highest" } else { "lowest" };
    let value = |x: &Row| pct.percentile(x).map_or(0, |p| p.0);
    let spread = r.spread.as_deref();
    let with_intervals = |x: &Row| pct.percentile(x).is_some_and(|p| p.1.is_some());
    if let Some(lead) = leader(rows, pct, highest, r.timer_step_ns(), Between::of(r)) {
        let others: Vec<u64> = rows
            .iter()
            .filter(|x| x.allocator != lead.allocator)
            .map(|x| value(x))
            .collect();
        let (lo, hi) = (others.iter().min()?, others.iter().max()?);
        return Some(prose::sentence(&prose::RankingLeader {
            allocator: lead.allocator.as_str(),
            word,
            what: what.to_string(),
            figure: with_interval(lead, pct),
            lo: thousands(*lo),
            hi: thousands(*hi),
            with_intervals: with_intervals(lead),
            paired: !r.rounds.is_empty(),
            highest,
            noise_pct: prose::noise_pct(),
        }));
    }
    let mut sorted: Vec<&Row> = rows.to_vec();
    sorted.sort_by_key(|x| value(x));
    if highest {
        sorted.reverse();
    }
    let (a, b) = (sorted.first()?, sorted.get(1)?);
    Some(prose::sentence(&prose::RankingTied {
        what: what.to_string(),
        word,
        with_intervals: with_intervals(a),
        repeated: spread.is_some(),
        paired: !r.rounds.is_empty(),
        first: a.allocator.as_str(),
        first_figure: with_interval(a, pct),
        second: b.allocator.as_str(),
        second_figure: with_interval(b, pct),
        noise_pct: prose::noise_pct(),
    }))
}

/// The generated section: tables, charts and findings.
pub fn render(r: &Results, results_rel: &Path, plots_rel: &Path, plots_abs: &Path) -> String {
    let mut md = String::new();
    provenance(&mut md, r, results_rel);
    head_to_head(&mut md, r);
    memory(&mut md, r);
    requests(&mut md, r);
    cross_thread(&mut md, r);
    picked_charts(&mut md, plots_rel, plots_abs);
    findings(&mut md, r);
    md
}

/// Where the figures come from: the runs, binaries and commits, the
/// machine, the clock's step and the floor, and the repeats.
fn provenance(md: &mut String, r: &Results, results_rel: &Path) {
    let m = r.machine();
    let step = r.timer_step_ns();
    let commits: Vec<String> = {
        let mut c: Vec<String> = r
            .runs()
            .iter()
            .map(|run| run.build.git_commit.as_str())
            .map(|c| {
                c.chars().take(7).collect::<String>()
                    + if c.ends_with("-dirty") { "-dirty" } else { "" }
            })
            .collect();
        c.dedup();
        c
    };
    let mut binaries: Vec<String> = r
        .runs()
        .iter()
        .map(|run| run.build.allocators_compiled_in.join(","))
        .collect();
    binaries.sort();
    binaries.dedup();
    let null_p50: Vec<u64> = r
        .rows
        .iter()
        .filter(|x| x.allocator == crate::names::Name::Null && x.op != workloads::Op::Request)
        .map(|x| x.p50_ns)
        .collect();
    let repeats = r
        .spread
        .as_deref()
        .and_then(|s| s.iter().map(|x| x.repeats).max())
        .filter(|&n| n > 1);
    md.push_str(&prose::fill(&prose::Provenance {
        res: results_rel.display().to_string(),
        runs: r.runs().len(),
        binaries: binaries.len(),
        commits: commits.join(", "),
        host: r.host().to_string(),
        cpu: m.cpu_model.as_deref().unwrap_or("unknown CPU").to_string(),
        cpus: m.logical_cpus_online,
        kernel: m.kernel.as_deref().unwrap_or("unknown kernel").to_string(),
        libc: m.libc.as_deref().unwrap_or("unknown C library").to_string(),
        step: format!("{step:.2}"),
        null_lo: null_p50.iter().min().copied().unwrap_or(0),
        null_hi: null_p50.iter().max().copied().unwrap_or(0),
        repeats: repeats.map(|n| n as usize),
        rounds: super::confidence::rounds_facts(r),
    }));
}

/// The few charts the README shows, where they were drawn.
fn picked_charts(md: &mut String, plots_rel: &Path, plots_abs: &Path) {
    for (name, alt) in [
        (
            chart::REQUEST_LATENCY.to_string(),
            "request latency by percentile, closed and open loop",
        ),
        (
            chart::percentiles(WorkloadName::Churn.as_str(), 1024, Op::Free),
            "churn 1024 B free latency by percentile",
        ),
        (
            chart::threads(WorkloadName::Churn, 1024),
            "churn 1024 B P99.9 against threads",
        ),
    ] {
        if plots_abs.join(format!("{name}.png")).is_file() {
            let _ = writeln!(md, "![{alt}]({}/{name}.png)\n", plots_rel.display());
        }
    }
}

fn head_to_head(md: &mut String, r: &Results) {
    md.push_str(&prose::fill(&prose::HeadToHead {}));
    for a in r.allocators() {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} |",
            a.label(),
            figs(r.row(a, WorkloadName::HotPath, 64, Op::Alloc), false),
            figs(r.row(a, WorkloadName::HotPath, 64, Op::Free), false),
            figs(r.row(a, WorkloadName::Churn, 1024, Op::Alloc), true),
            figs(r.row(a, WorkloadName::Churn, 1024, Op::Free), true),
        );
    }
    md.push('\n');
}

fn memory(md: &mut String, r: &Results) {
    md.push_str(&prose::fill(&prose::ReadmeMemory {}));
    let opt = |v: Option<u64>| v.map_or("-".into(), thousands);
    let cells = |row: Option<&Row>| {
        row.map_or("not measured | | |".to_string(), |x| {
            let calls = match (x.syscalls, &x.syscalls_by_name) {
                (Some(0), _) => "0".into(),
                (Some(t), Some(by)) => format!("{} ({by})", thousands(t)),
                (Some(t), None) => thousands(t),
                (None, _) => "-".into(),
            };
            format!(
                "{} | {} | {} | {}",
                opt(x.minor_faults),
                calls,
                x.internal_waste_pct
                    .map_or("-".into(), |w| format!("{w:.1} %")),
                x.rss_growth_over_requested
                    .map_or("-".into(), |g| format!("{g:.2}"))
            )
        })
    };
    for a in r.allocators().into_iter().filter(|&a| a != Name::Null) {
        let _ = writeln!(
            md,
            "| {} | {} | {} |",
            a.label(),
            cells(r.row(a, WorkloadName::Churn, 1024, Op::Alloc)),
            cells(r.row(a, WorkloadName::Churn, 0, Op::Alloc))
        );
    }
    md.push('\n');
}

fn requests(md: &mut String, r: &Results) {
    if r.own_row(Name::Null, WorkloadName::RequestClosed, 0, Op::Request)
        .is_none()
    {
        return;
    }
    md.push_str(&prose::fill(&prose::ReadmeRequests {}));
    let five = |x: Option<&Row>| {
        x.map_or("not measured".into(), |x| {
            format!(
                "{} / {} / {} / {} / {}",
                thousands(x.p50_ns),
                thousands(x.p99_ns),
                thousands(x.p999_ns),
                thousands(x.p9999_ns),
                thousands(x.max_ns)
            )
        })
    };
    let two = |x: Option<&Row>| {
        x.map_or("-".into(), |x| {
            format!("{} / {}", thousands(x.p50_ns), thousands(x.p999_ns))
        })
    };
    for a in r.allocators() {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {}, {} |",
            a.label(),
            five(r.own_row(a, WorkloadName::RequestClosed, 0, Op::Request)),
            five(r.own_row(a, WorkloadName::RequestOpen, 0, Op::Request)),
            two(r.own_row(a, WorkloadName::RequestClosed, 0, Op::Alloc)),
            two(r.own_row(a, WorkloadName::RequestClosed, 0, Op::Free)),
        );
    }
    md.push('\n');
}

fn cross_thread(md: &mut String, r: &Results) {
    let threads = r.own_threads(WorkloadName::ProducerConsumer);
    if r.own_row(Name::Null, WorkloadName::ProducerConsumer, 64, Op::Free)
        .is_none()
    {
        return;
    }
    md.push_str(&prose::fill(&prose::ReadmeCrossThread { threads }));
    let not_applicable = r.not_applicable(WorkloadName::ProducerConsumer);
    let on = |a: Name, op: Op| {
        r.rows.iter().find(|x| {
            x.allocator == a
                && x.workload == WorkloadName::HotPath
                && x.threads == threads
                && x.size == 64
                && x.op == op
        })
    };
    for a in r.allocators() {
        let (alloc, free) = match not_applicable.iter().find(|(x, _)| *x == a) {
            Some((_, why)) => (
                format!("not applicable: {why}"),
                "not applicable".to_string(),
            ),
            None => (
                figs(
                    r.own_row(a, WorkloadName::ProducerConsumer, 64, Op::Alloc),
                    false,
                ),
                figs(
                    r.own_row(a, WorkloadName::ProducerConsumer, 64, Op::Free),
                    false,
                ),
            ),
        };
        let _ = writeln!(
            md,
            "| {} | {alloc} | {free} | {} | {} |",
            a.label(),
            figs(on(a, Op::Alloc), false),
            figs(on(a, Op::Free), false)
        );
    }
    md.push('\n');
}

/// The hot path's batched cost per pair, net of the null, lowest first,
/// and which neighbours are tied on it: those whose 95% intervals overlap,
/// or, when the run was repeated, whose ranges across the repeats do.
fn batched_finding(rows: &[&Row], between: Between<'_>) -> Option<String> {
    let spread = between.spread;
    struct Cost<'a> {
        row: &'a Row,
        allocator: &'a str,
        ns: f64,
        ci: (f64, f64),
        repeats: Option<(f64, f64)>,
    }
    let mut costs: Vec<Cost> = rows
        .iter()
        .filter_map(|x| {
            let s = crate::results::spread::spread_of(spread, x);
            Some(Cost {
                row: x,
                allocator: x.allocator.as_str(),
                ns: x.batch_net_ns_per_op?,
                ci: (x.batch_net_ns_per_op_lo?, x.batch_net_ns_per_op_hi?),
                repeats: s.and_then(|s| s.batch_net_min_ns.zip(s.batch_net_max_ns)),
            })
        })
        .collect();
    if costs.len() < 2 {
        return None;
    }
    costs.sort_by(|a, b| a.ns.total_cmp(&b.ns));
    let listed: Vec<prose::BatchedCost> = costs
        .iter()
        .map(|c| prose::BatchedCost {
            allocator: c.allocator.to_string(),
            ns: format!("{:.2}", c.ns),
            lo: format!("{:.2}", c.ci.0),
            hi: format!("{:.2}", c.ci.1),
            across: c.repeats.map(|(lo, hi)| format!("{lo:.2}-{hi:.2}")),
        })
        .collect();
    let overlap = |a: (f64, f64), b: (f64, f64)| a.0 <= b.1 && b.0 <= a.1;
    let tied: Vec<String> = costs
        .windows(2)
        .filter(|p| {
            if between.paired() {
                return between.verdict(p[0].row, p[1].row, Figure::Batched)
                    != Some(Verdict::Slower);
            }
            overlap(p[0].ci, p[1].ci)
                || p[0]
                    .repeats
                    .zip(p[1].repeats)
                    .is_some_and(|(a, b)| overlap(a, b))
        })
        .map(|p| format!("{} and {}", p[0].allocator, p[1].allocator))
        .collect();
    Some(prose::sentence(&prose::BatchedFinding {
        costs: listed,
        tied,
        repeated: spread.is_some(),
        paired: between.paired(),
        noise_pct: prose::noise_pct(),
    }))
}

fn findings(md: &mut String, r: &Results) {
    let mut lines = hot_path_findings(r);
    lines.extend(quiet_finding(r));
    lines.extend(ranking_findings(r));
    lines.extend(cross_thread_finding(r));
    lines.extend(null_max_finding(r));
    let repeats = r
        .spread
        .as_deref()
        .and_then(|s| s.iter().map(|x| x.repeats).max())
        .filter(|&n| n > 1);
    md.push_str(&prose::fill(&prose::Findings {
        with_intervals: r.rows.iter().any(|x| x.p50_lo_ns.is_some()),
        repeats: repeats.map(|n| n as usize),
        rounds: super::confidence::rounds_facts(r).rounds,
        factor: format!("{FACTOR:.0}"),
        min_steps: format!("{MIN_STEPS:.0}"),
        noise_pct: prose::noise_pct(),
        findings: lines,
    }));
}

/// The hot path's medians against the floor, in clock steps, and its
/// batched costs.
fn hot_path_findings(r: &Results) -> Vec<String> {
    let step = r.timer_step_ns();
    let mut lines: Vec<String> = Vec::new();
    let hot: Vec<&Row> = [Op::Alloc, Op::Free]
        .into_iter()
        .flat_map(|op| contenders(r, WorkloadName::HotPath, 64, op))
        .collect();
    if let Some(worst) = hot
        .iter()
        .map(|x| x.p50_ns.saturating_sub(x.null_p50_ns))
        .max()
    {
        let steps = (worst as f64 / step).round();
        lines.push(prose::sentence(&prose::HotPathFinding {
            steps: format!("{steps:.0}"),
            worst: thousands(worst),
        }));
    }
    lines.extend(batched_finding(
        &contenders(r, WorkloadName::HotPath, 64, Op::Alloc),
        Between::of(r),
    ));

    lines
}

/// Allocators that never faulted or called the kernel in a recorded phase.
fn quiet_finding(r: &Results) -> Option<String> {
    let quiet: Vec<Name> = r
        .allocators()
        .into_iter()
        .filter(|&a| a != Name::Null)
        .filter(|&a| {
            let rows: Vec<&Row> = r.rows.iter().filter(|x| x.allocator == a).collect();
            rows.iter().any(|x| x.syscalls.is_some())
                && rows.iter().all(|x| {
                    x.minor_faults == Some(0)
                        && x.major_faults == Some(0)
                        && x.syscalls.unwrap_or(0) == 0
                })
        })
        .collect();
    if quiet.is_empty() {
        return None;
    }
    let some_uncounted = r
        .rows
        .iter()
        .any(|x| quiet.contains(&x.allocator) && x.syscalls.is_none());
    Some(prose::sentence(&prose::QuietFinding {
        quiet: quiet.iter().map(|a| a.as_str()).collect(),
        some_uncounted,
    }))
}

/// Who is lowest, or tied, on churn's tails and the requests' figures.
fn ranking_findings(r: &Results) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let churn = |op: Op| contenders(r, WorkloadName::Churn, 1024, op);
    for (op, what) in [
        (Op::Alloc, "churn alloc P99.9 at 1024 B"),
        (Op::Free, "churn free P99.9 at 1024 B"),
    ] {
        lines.extend(ranking(r, &churn(op), what, Figure::P999, false));
    }
    lines.extend(ranking(
        r,
        &churn(Op::Free),
        "churn free P99.99 at 1024 B",
        Figure::P9999,
        false,
    ));
    let closed = contenders(r, WorkloadName::RequestClosed, 0, Op::Request);
    lines.extend(ranking(
        r,
        &closed,
        "closed-loop request P50",
        Figure::P50,
        false,
    ));
    let open = contenders(r, WorkloadName::RequestOpen, 0, Op::Request);
    lines.extend(ranking(
        r,
        &open,
        "open-loop request P99.9",
        Figure::P999,
        true,
    ));

    lines
}

/// What a cross-thread free costs, as ranges: producer-consumer's free
/// P99.9 against hot-path's on as many threads.
fn cross_thread_finding(r: &Results) -> Option<String> {
    let threads = r.own_threads(WorkloadName::ProducerConsumer);
    let pc: Vec<u64> = contenders(r, WorkloadName::ProducerConsumer, 64, Op::Free)
        .iter()
        .map(|x| x.p999_ns)
        .collect();
    let own: Vec<u64> = r
        .rows
        .iter()
        .filter(|x| {
            x.allocator != crate::names::Name::Null
                && x.workload == WorkloadName::HotPath
                && x.threads == threads
                && x.size == 64
                && x.op == workloads::Op::Free
        })
        .map(|x| x.p999_ns)
        .collect();
    let (a, b) = (own.iter().min()?, own.iter().max()?);
    let (c, d) = (pc.iter().min()?, pc.iter().max()?);
    Some(prose::sentence(&prose::CrossThreadFinding {
        other_lo: thousands(*c),
        other_hi: thousands(*d),
        own_lo: thousands(*a),
        own_hi: thousands(*b),
        threads,
    }))
}

/// The null row's largest max: the machine's own noise.
fn null_max_finding(r: &Results) -> Option<String> {
    let max = r
        .rows
        .iter()
        .filter(|x| x.allocator == crate::names::Name::Null)
        .map(|x| x.max_ns)
        .max()?;
    Some(prose::sentence(&prose::NullMaxFinding {
        max: thousands(max),
    }))
}

/// `readme` with its results section replaced by `section`; an error
/// when the markers are missing or out of order.
pub fn splice(readme: &str, section: &str) -> Result<String, String> {
    let (Some(b), Some(e)) = (readme.find(BEGIN), readme.find(END)) else {
        return Err(format!(
            "no results section: the file needs a line `{BEGIN}` and, below it, a line `{END}`"
        ));
    };
    if e < b {
        return Err(format!("`{END}` comes before `{BEGIN}`"));
    }
    Ok(format!(
        "{}{BEGIN}\n\n{}\n{}",
        &readme[..b],
        section.trim_end(),
        &readme[e..]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::spread::SpreadRow;
    use crate::results::summary::{Figures, Floor, Key};

    /// A hot-path row with a batched net cost and its interval.
    fn batched(allocator: &str, ns: f64, ci: (f64, f64)) -> Row {
        let key = Key {
            allocator: crate::names::Name::parse(allocator).expect("a known allocator"),
            ..Key::example()
        };
        let f = Figures {
            samples: 1,
            min: 30,
            mean: 30.0,
            p50: 30,
            p99: 30,
            p999: 30,
            p9999: 30,
            max: 30,
        };
        let mut row = Row::new(
            key,
            &f,
            Floor {
                p50: 20,
                jitter: 10,
            },
            0,
            30,
        );
        (
            row.batch_net_ns_per_op,
            row.batch_net_ns_per_op_lo,
            row.batch_net_ns_per_op_hi,
        ) = (Some(ns), Some(ci.0), Some(ci.1));
        row
    }

    fn across(allocator: &str, min: f64, max: f64) -> SpreadRow {
        SpreadRow {
            allocator: Name::parse(allocator).expect("a known allocator"),
            workload: WorkloadName::HotPath,
            op: Op::Alloc,
            size: 64,
            threads: 1,
            repeats: 3,
            p50_min_ns: 30,
            p50_median_ns: 30,
            p50_max_ns: 30,
            p99_min_ns: 30,
            p99_median_ns: 30,
            p99_max_ns: 30,
            p999_min_ns: 30,
            p999_median_ns: 30,
            p999_max_ns: 30,
            p9999_min_ns: 30,
            p9999_median_ns: 30,
            p9999_max_ns: 30,
            max_min_ns: 30,
            max_median_ns: 30,
            max_max_ns: 30,
            batch_net_min_ns: Some(min),
            batch_net_median_ns: Some(min),
            batch_net_max_ns: Some(max),
        }
    }

    #[test]
    fn batched_costs_apart_within_the_run_but_not_across_repeats_are_tied() {
        let (a, b) = (
            batched("snmalloc", 2.3, (2.29, 2.31)),
            batched("jemalloc", 2.6, (2.35, 2.65)),
        );
        let alone = batched_finding(&[&a, &b], Between::NONE).unwrap();
        assert!(alone.contains("No two intervals overlap"), "{alone}");
        // Across the repeats snmalloc read 2.14 to 4.74: it overlaps jemalloc's 2.27 to 2.60.
        let spread = [
            across("snmalloc", 2.14, 4.74),
            across("jemalloc", 2.27, 2.60),
        ];
        let repeated = batched_finding(
            &[&a, &b],
            Between {
                spread: Some(&spread),
                rounds: &[],
            },
        )
        .unwrap();
        assert!(
            repeated.contains(
                "Tied (intervals or ranges across the repeats overlap): snmalloc and jemalloc"
            ),
            "{repeated}"
        );
        assert!(
            repeated.contains("snmalloc 2.30 (2.29-2.31; 2.14-4.74 across the repeats)"),
            "{repeated}"
        );
        // Apart in both: set apart.
        let spread = [
            across("snmalloc", 2.14, 2.26),
            across("jemalloc", 2.27, 2.60),
        ];
        let apart = batched_finding(
            &[&a, &b],
            Between {
                spread: Some(&spread),
                rounds: &[],
            },
        )
        .unwrap();
        assert!(
            apart.contains("No two intervals or ranges across the repeats overlap"),
            "{apart}"
        );
    }

    #[test]
    fn the_section_is_spliced_between_the_markers_only() {
        let readme = format!("top\n{BEGIN}\nold\n{END}\nbottom\n");
        let new = splice(&readme, "new\n").unwrap();
        assert_eq!(new, format!("top\n{BEGIN}\n\nnew\n{END}\nbottom\n"));
        assert_eq!(
            splice(&new, "new\n").unwrap(),
            new,
            "splicing is idempotent"
        );
        assert!(splice("no markers", "x")
            .unwrap_err()
            .contains("no results section"));
        assert!(splice(&format!("{END}\n{BEGIN}\n"), "x").is_err());
    }
}
