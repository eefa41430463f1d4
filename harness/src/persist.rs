//! Persisting a finished run: each case's raw files, then summary.csv and
//! meta.json merged with what an earlier run left in the same directory.
//! Every file goes through the sink (temporary name, fsync, rename).

use crate::failure::Failure;
use crate::measure::Done;
use crate::names::Name;
use crate::results::hgrm;
use crate::results::memory;
use crate::results::meta::Run;
use crate::results::series::{memory_csv, meta_json, summary_csv, Raw, SeriesId};
use crate::results::sink::Sink;
use crate::results::summary::{self, Row};
use serde_json::{json, Value};
use std::collections::HashSet;
use workloads::Op;

/// Writes one case's files: the memory log, each op's .hgrm (and each
/// thread's), and commits its .hlog files (written as the case ran). A null
/// case kept from an earlier run writes nothing.
pub fn case_files(sink: &Sink, d: &mut Done) -> Result<(), Failure> {
    if d.keep_earlier {
        return Ok(());
    }
    let id = |op: Op| SeriesId::new(d.allocator, d.workload, d.threads, d.case.size.label(), op);
    if !d.memory.is_empty() {
        let path = memory_csv(sink.dir(), d.allocator, d.case.size.label());
        let text = memory::to_csv(&d.memory).map_err(Failure::io)?;
        sink.write(&path, &text).map_err(Failure::io)?;
    }
    for &op in d.case.kind.ops() {
        let h = d.outcome.recorder(op).histogram();
        sink.write(
            &id(op).path(sink.dir(), Raw::Hgrm),
            hgrm::render(h).as_bytes(),
        )
        .map_err(Failure::io)?;
        // Each thread's own distribution, beside the merged one.
        for (i, o) in d.per_thread.iter().enumerate() {
            let own = hgrm::render(o.recorder(op).histogram());
            sink.write(&id(op).thread_hgrm(sink.dir(), i), own.as_bytes())
                .map_err(Failure::io)?;
        }
    }
    for partial in std::mem::take(&mut d.hlogs) {
        partial.commit().map_err(Failure::io)?;
    }
    Ok(())
}

/// summary.csv and meta.json: earlier rows with other keys stay, this run's
/// rows replace the same keys (a kept null case keeps its earlier rows), and
/// meta.json keeps the runs that still own a row, then adds `this_run`
/// (its keys sorted, as `Value` keeps them).
pub fn summary_and_meta(
    sink: &Sink,
    done: &[Done],
    rows: &[Row],
    previous: Vec<Row>,
    this_run: Run,
) -> Result<(), Failure> {
    let is_kept = |r: &Row| {
        r.allocator == Name::Null
            && done.iter().any(|d| {
                d.keep_earlier
                    && d.workload == r.workload
                    && d.threads == r.threads
                    && d.case.size.label() == r.size
            })
    };
    let fresh: Vec<Row> = rows.iter().filter(|r| !is_kept(r)).cloned().collect();
    let replaced: HashSet<_> = fresh.iter().map(Row::key).collect();
    let mut all: Vec<Row> = previous
        .into_iter()
        .filter(|r| !replaced.contains(&r.key()))
        .collect();
    all.extend(fresh);
    let kept_runs: HashSet<String> = all.iter().map(|r| r.run_id.clone()).collect();
    let csv = summary::to_csv(&all).map_err(Failure::io)?;

    let mut runs: Vec<Value> = std::fs::read(meta_json(sink.dir()))
        .ok()
        .and_then(|t| serde_json::from_slice::<Value>(&t).ok())
        .and_then(|v| v.get("runs").and_then(Value::as_array).cloned())
        .unwrap_or_default();
    runs.retain(|r| {
        r.get("run_id")
            .and_then(Value::as_str)
            .is_some_and(|id| kept_runs.contains(id))
    });
    // Earlier runs pass through as they were written: one from an older
    // harness stays readable by its own fields, and is not rewritten.
    runs.push(serde_json::to_value(this_run).map_err(|e| Failure::io(e.to_string()))?);
    let meta = serde_json::to_vec_pretty(&json!({ "runs": runs }))
        .map_err(|e| Failure::io(e.to_string()))?;

    sink.write(&summary_csv(sink.dir()), &csv)
        .map_err(Failure::io)?;
    sink.write(&meta_json(sink.dir()), &meta)
        .map_err(Failure::io)
}
