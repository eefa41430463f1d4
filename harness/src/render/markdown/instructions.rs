//! REPORT.md's instruction-count section, from counts.csv (`harness
//! count`): instructions per call and the simulated caches, beside the
//! timed batched cost of the same hot path.

use super::prose;
use crate::format::size_label;
use crate::names::Name;
use crate::names::WorkloadName;
use crate::results::counts::CountRow;
use crate::results::read::Results;
use std::collections::BTreeSet;
use std::fmt::Write;
use std::path::Path;
use workloads::Op;

/// The counted rows of one series, in allocator order.
fn series(r: &Results, workload: WorkloadName, size: usize, op: Op) -> Vec<&CountRow> {
    let mut rows: Vec<&CountRow> = r
        .counts
        .iter()
        .filter(|c| c.workload == workload && c.size == size && c.op == op)
        .collect();
    rows.sort_by_key(|c| c.allocator.report_key());
    rows
}

/// Writes the section; nothing when the results have no counts.
pub fn section(md: &mut String, r: &Results, charts: &[(String, String)], plots: (&Path, &Path)) {
    let Some(first) = r.counts.first() else {
        return;
    };
    md.push_str(&prose::fill(&prose::Instructions {
        valgrind: first.valgrind.clone(),
        caches: first.caches.clone(),
    }));
    let counted: BTreeSet<Name> = r.counts.iter().map(|c| c.allocator).collect();
    for a in r.allocators() {
        if let Some(why) = crate::alloc::not_countable(a) {
            if !counted.contains(&a) {
                let _ = writeln!(md, "_{a} is not counted: {why}._\n");
            }
        }
    }
    let notes: BTreeSet<(&str, &str)> = r
        .counts
        .iter()
        .filter(|c| !c.note.is_empty())
        .map(|c| (c.allocator.as_str(), c.note.as_str()))
        .collect();
    for (a, note) in notes {
        let _ = writeln!(md, "_{a}: {note}._\n");
    }
    beside_timed(md, r);
    table(md, r);
    sweep_table(md, r);
    super::images(md, charts, plots);
}

/// The hot path counted beside the hot path timed (batched, net of null).
fn beside_timed(md: &mut String, r: &Results) {
    let Some(size) = r
        .counts
        .iter()
        .find(|c| c.workload == WorkloadName::HotPath)
        .map(|c| c.size)
    else {
        return;
    };
    md.push_str(&prose::fill(&prose::InstructionsHotPath {
        size: size_label(WorkloadName::HotPath, size),
    }));
    let (alloc, free) = (
        series(r, WorkloadName::HotPath, size, Op::Alloc),
        series(r, WorkloadName::HotPath, size, Op::Free),
    );
    for (a, f) in alloc
        .iter()
        .zip(&free)
        .filter(|(a, _)| a.allocator != Name::Null)
    {
        let timed = r
            .row(a.allocator, WorkloadName::HotPath, size, Op::Alloc)
            .and_then(|row| {
                let (v, lo, hi) = (
                    row.batch_net_ns_per_op?,
                    row.batch_net_ns_per_op_lo?,
                    row.batch_net_ns_per_op_hi?,
                );
                Some(format!("{v:.2} ({lo:.2}-{hi:.2})"))
            })
            .unwrap_or_else(|| "-".into());
        let _ = writeln!(
            md,
            "| {} | {} | {:.1} | {:.1} | {timed} |",
            a.allocator,
            a.ir_p50_net + f.ir_p50_net,
            a.ir_mean_net + f.ir_mean_net,
            a.est_cycles_mean_net + f.est_cycles_mean_net,
        );
    }
    md.push('\n');
}

/// Every counted series but the size sweep's: instructions per call and
/// the caches.
fn table(md: &mut String, r: &Results) {
    let keys: BTreeSet<(WorkloadName, usize, Op)> = r
        .counts
        .iter()
        .filter(|c| c.workload != WorkloadName::SizeSweep)
        .map(|c| (c.workload, c.size, c.op))
        .collect();
    if keys.is_empty() {
        return;
    }
    md.push_str(&prose::fill(&prose::InstructionsPerCall {}));
    let order = [
        WorkloadName::HotPath,
        WorkloadName::Bulk,
        WorkloadName::ReverseFree,
        WorkloadName::Churn,
    ];
    let mut keys: Vec<_> = keys.into_iter().collect();
    keys.sort_by_key(|(w, s, op)| (order.iter().position(|o| o == w), *s, op.name()));
    for (workload, size, op) in keys {
        for c in series(r, workload, size, op) {
            let _ = writeln!(
                md,
                "| {workload} | {} | {op} | {} | {} | {} | {} | {} | {} | {:.1} | {:.1} | {:.2} | {:.3} | {:.1} |",
                size_label(workload, size),
                c.allocator,
                c.calls,
                c.ir_min,
                c.ir_p50,
                c.ir_p99,
                c.ir_max,
                c.ir_mean,
                c.ir_mean_net,
                c.l1_misses_mean,
                c.ll_misses_mean,
                c.est_cycles_mean
            );
        }
    }
    md.push('\n');
}

/// The size sweep: mean instructions per alloc and per free, net of null,
/// one row per size.
fn sweep_table(md: &mut String, r: &Results) {
    let sizes: BTreeSet<usize> = r
        .counts
        .iter()
        .filter(|c| c.workload == WorkloadName::SizeSweep)
        .map(|c| c.size)
        .collect();
    let Some(&first) = sizes.first() else {
        return;
    };
    let allocators: Vec<Name> = series(r, WorkloadName::SizeSweep, first, Op::Alloc)
        .iter()
        .filter(|c| c.allocator != Name::Null)
        .map(|c| c.allocator)
        .collect();
    let names: Vec<&str> = allocators.iter().map(|a| a.as_str()).collect();
    md.push_str(&prose::fill(&prose::InstructionsSweep {
        allocators: names,
    }));
    for size in sizes {
        let (alloc, free) = (
            series(r, WorkloadName::SizeSweep, size, Op::Alloc),
            series(r, WorkloadName::SizeSweep, size, Op::Free),
        );
        let cell = |a: Name| {
            let find = |rows: &[&CountRow]| {
                rows.iter()
                    .find(|c| c.allocator == a)
                    .map_or("-".to_string(), |c| format!("{:.1}", c.ir_mean_net))
            };
            format!("{} / {}", find(&alloc), find(&free))
        };
        let cells: Vec<String> = allocators.iter().map(|&a| cell(a)).collect();
        let _ = writeln!(
            md,
            "| {} | {} |",
            size_label(WorkloadName::SizeSweep, size),
            cells.join(" | ")
        );
    }
    md.push('\n');
}
