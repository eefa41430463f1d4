//! The report's answers to "how sure?": what the intervals are, which
//! allocator each percentile sets apart and which are tied
//! (`claims::leader`), and the batched cost beside the histogram's mean.
//! Results without intervals (written before the block bootstrap) get none
//! of these sections.

use super::claims::{leader, with_interval, Between};
use super::prose;
use crate::format::size_label;
use crate::names::Name;
use crate::names::WorkloadName;
use crate::results::figure::Figure;
use crate::results::read::Results;
use crate::results::spread::across_repeats;
use crate::results::summary::Row;
use crate::stats::change::Verdict;
use std::fmt::Write;
use workloads::Op;

/// Whether the run has intervals at all.
pub fn has_intervals(r: &Results) -> bool {
    r.rows.iter().any(|x| x.p50_lo_ns.is_some())
}

/// Repeats in the run (1 without spread.csv).
pub fn repeats(r: &Results) -> u32 {
    r.spread
        .as_deref()
        .and_then(|s| s.iter().map(|x| x.repeats).max())
        .unwrap_or(1)
}

/// How the intervals, the ties and the repeats are read.
pub fn intro(md: &mut String, r: &Results) {
    if !has_intervals(r) {
        return;
    }
    let n = repeats(r) as usize;
    md.push_str(&prose::fill(&prose::HowSure {
        repeats: (n > 1).then_some(n),
        noise_pct: prose::noise_pct(),
        rounds: rounds_facts(r),
    }));
}

/// What the prose says of a run made of rounds: their count, the interval's
/// rank and coverage, and the split-half A/A (all null without rounds).
pub fn rounds_facts(r: &Results) -> prose::RoundsFacts {
    let Some(rec) = r.meta.rounds.as_ref() else {
        return prose::RoundsFacts::default();
    };
    let n = rec.count as usize;
    let (k, coverage) = crate::stats::rounds::order_statistic(n);
    let nth = match k {
        1 => String::new(),
        2 => "2nd ".into(),
        3 => "3rd ".into(),
        k => format!("{k}th "),
    };
    let rank = format!("{nth}lowest round to the {nth}highest");
    let s = &rec.split_half;
    prose::RoundsFacts {
        rounds: Some(n),
        interval_rank: rank,
        coverage: format!("{:.1}", 100.0 * coverage),
        split_half: s.false_verdict_pct.is_some(),
        split_pairs: s.pairs,
        split_changed: s.faster_or_slower,
        split_figures: s.figures,
        split_pct: s.false_verdict_pct.map(|p| format!("{p:.1}")),
    }
}

/// One cell of the standings: the leader in bold, or who is tied with the
/// lowest: with rounds, every allocator the paired verdicts do not find
/// slower than it; otherwise every one whose interval (or range across
/// repeats) reaches the lowest's.
fn standing(r: &Results, rows: &[&Row], pct: Figure) -> String {
    let between = Between::of(r);
    if let Some(lead) = leader(rows, pct, false, r.timer_step_ns(), between) {
        return format!("**{}**", lead.allocator);
    }
    let value = |x: &Row| pct.percentile(x).map_or(0, |p| p.0);
    let Some(low) = rows.iter().min_by_key(|x| value(x)) else {
        return "-".into();
    };
    let reach = |x: &Row| pct.percentile(x).and_then(|p| p.1);
    let (Some((_, low_hi)), spread) = (reach(low), r.spread.as_deref()) else {
        return "-".into();
    };
    let low_range = across_repeats(spread, low, pct);
    let mut tied: Vec<&str> = rows
        .iter()
        .filter(|x| {
            if between.paired() {
                return between.verdict(low, x, pct) != Some(Verdict::Slower);
            }
            let within = reach(x).is_some_and(|(lo, _)| lo <= low_hi);
            let between = match (low_range, across_repeats(spread, x, pct)) {
                (Some((_, hi)), Some((lo, _))) => lo <= hi,
                _ => false,
            };
            within || between
        })
        .map(|x| x.allocator.as_str())
        .collect();
    if tied.len() == rows.len() {
        return "tied: all".into();
    }
    tied.sort_by_key(|a| rows.iter().position(|x| x.allocator.as_str() == *a));
    format!("tied: {}", tied.join(", "))
}

/// Per size and op of `workload`: who has the lowest P50, P99.9 and
/// P99.99, or who is tied for it.
pub fn standings(md: &mut String, r: &Results, workload: WorkloadName) {
    if !has_intervals(r) {
        return;
    }
    let mut lines = Vec::new();
    for size in r.sizes(workload) {
        for op in r.ops(workload) {
            let rows: Vec<&Row> = r
                .allocators()
                .into_iter()
                .filter(|&a| a != Name::Null)
                .filter_map(|a| r.own_row(a, workload, size, op))
                .collect();
            if rows.len() < 2 {
                continue;
            }
            lines.push(format!(
                "| {} | {op} | {} | {} | {} |",
                size_label(workload, size),
                standing(r, &rows, Figure::P50),
                standing(r, &rows, Figure::P999),
                standing(r, &rows, Figure::P9999)
            ));
        }
    }
    if lines.is_empty() {
        return;
    }
    md.push_str(&prose::fill(&prose::Standings {
        repeated: repeats(r) > 1,
        paired: !r.rounds.is_empty(),
        noise_pct: prose::noise_pct(),
    }));
    for l in lines {
        let _ = writeln!(md, "{l}");
    }
    md.push('\n');
}

/// The batched costs of a workload's cases (`stats::batch`), net of the
/// null's batched loop, beside the per-op histograms' means and P50s, at
/// the workload's own thread count (the threaded table has the others).
pub fn batched(md: &mut String, r: &Results, workload: WorkloadName) {
    let mut lines = Vec::new();
    for size in r.sizes(workload) {
        let null = |op: Op| r.own_row(Name::Null, workload, size, op);
        for a in r.allocators().into_iter().filter(|&a| a != Name::Null) {
            let (Some(alloc), Some(free)) = (
                r.own_row(a, workload, size, Op::Alloc),
                r.own_row(a, workload, size, Op::Free),
            ) else {
                continue;
            };
            let nulls = null(Op::Alloc).zip(null(Op::Free));
            for (row, op, mean_net, p50) in batched_rows(alloc, free, nulls) {
                let Some(net) = batched_net(row) else {
                    continue;
                };
                lines.push(format!(
                    "| {} | {a} | {op} | {net} | {} | {} | {p50} |",
                    size_label(workload, size),
                    row.batch_ops.unwrap_or(0),
                    mean_net.map_or("-".into(), |m| format!("{m:.1}")),
                ));
            }
        }
    }
    if lines.is_empty() {
        return;
    }
    md.push_str(&prose::fill(&prose::Batched {
        batches: crate::format::thousands(workloads::batched::BATCHES as u64),
    }));
    for l in lines {
        let _ = writeln!(md, "{l}");
    }
    md.push('\n');
}

/// What the batched table shows of one allocator's alloc and free rows
/// (and the null's, for the means): (the row with the batched figure, its
/// op, the per-op mean net of the null's, the per-op P50s). A pair and
/// churn's mixed steps are one line; separate alloc and free batches, two.
fn batched_rows<'a>(
    alloc: &'a Row,
    free: &'a Row,
    nulls: Option<(&Row, &Row)>,
) -> Vec<(&'a Row, &'static str, Option<f64>, String)> {
    let both_p50 = || {
        format!(
            "{} / {}",
            with_interval(alloc, Figure::P50),
            with_interval(free, Figure::P50)
        )
    };
    match alloc.batch_op.as_deref() {
        Some("alloc+free") => {
            let net = nulls.map(|(na, nf)| alloc.mean_ns - na.mean_ns + free.mean_ns - nf.mean_ns);
            vec![(alloc, "alloc+free", net, both_p50())]
        }
        Some("alloc or free") => {
            // The per-op mean over both ops, as the steps mix them.
            let mean = |x: &Row, y: &Row| {
                (x.mean_ns * x.samples as f64 + y.mean_ns * y.samples as f64)
                    / (x.samples + y.samples).max(1) as f64
            };
            let net = nulls.map(|(na, nf)| mean(alloc, free) - mean(na, nf));
            vec![(alloc, "alloc or free", net, both_p50())]
        }
        Some(_) => [
            (alloc, "alloc", nulls.map(|n| n.0)),
            (free, "free", nulls.map(|n| n.1)),
        ]
        .into_iter()
        .map(|(row, op, null)| {
            let net = null.map(|n| row.mean_ns - n.mean_ns);
            (row, op, net, with_interval(row, Figure::P50))
        })
        .collect(),
        None => Vec::new(),
    }
}

/// A row's batched cost net of the null's, with its 95 % interval, in ns
/// per operation; None when the row has none.
pub fn batched_net(row: &Row) -> Option<String> {
    let (net, lo, hi) = (
        row.batch_net_ns_per_op?,
        row.batch_net_ns_per_op_lo?,
        row.batch_net_ns_per_op_hi?,
    );
    Some(format!("{net:.2} ({lo:.2}-{hi:.2})"))
}
