//! `harness verify`: summary.csv re-derived from the raw files beside it,
//! so a reader can check that the published figures are what the published
//! samples give.
//!
//! For each row: its samples, min, mean, percentiles and max come from its
//! .hlog's intervals merged; its net figures from those and the row's own
//! floor (`null_p50_ns`, `null_jitter_ns`: each binary nets against its own
//! null, whose files only the first binary keeps); its 95 % intervals from
//! the same seeded block bootstrap over the same intervals. What the raw
//! files do not hold (the batched phase, faults, RSS, system calls, the
//! first call, saturation) is taken as written.
//!
//! A run merged from rounds is checked against its rounds instead
//! ([`verify_merged`]).

use crate::merge;
use crate::results::read::Results;
use crate::results::rounds::round_dirs;
use crate::results::series::{Raw, SeriesId};
use crate::results::summary::{Figures, Floor, Key, Row};
use crate::stats::Intervals;
use hdrhistogram::Histogram;
use std::path::{Path, PathBuf};

/// A row whose re-derived figures differ from the written ones.
#[derive(Debug, PartialEq)]
pub struct Mismatch {
    /// `<allocator>/<stem>`: the series' files.
    pub series: String,
    /// (column, written, re-derived).
    pub columns: Vec<(String, String, String)>,
}

/// What `verify` found: rows checked and the ones that differ.
#[derive(Debug)]
pub struct Verdict {
    pub rows: usize,
    pub mismatches: Vec<Mismatch>,
}

/// Re-derives every row of `dir`'s summary.csv from its .hlog. Errors (a
/// directory that is not results, a missing or damaged .hlog) name the file.
pub fn verify(dir: &Path) -> Result<Verdict, String> {
    let rounds = round_dirs(dir)?;
    if !rounds.is_empty() {
        return verify_merged(dir, &rounds);
    }
    let results = Results::load(dir)?;
    let mut mismatches = Vec::new();
    for row in &results.rows {
        let id = SeriesId::of(row);
        let path = id.path(dir, Raw::Hlog);
        let intervals = results
            .intervals(&id)?
            .ok_or_else(|| format!("{}: missing; summary.csv has a row for it", path.display()))?;
        let derived = rederive(row, &intervals).map_err(|e| format!("{}: {e}", path.display()))?;
        let columns = differences(row, &derived)?;
        if !columns.is_empty() {
            mismatches.push(Mismatch {
                series: format!("{}/{}", id.allocator, id.stem()),
                columns,
            });
        }
    }
    Ok(Verdict {
        rows: results.rows.len(),
        mismatches,
    })
}

/// A run merged from rounds (`crate::merge`): every row of summary.csv
/// must be the merge of the rounds' rows, and its merged .hlog must hold
/// the samples of all of them; each round whose raw files are here (on the
/// machine that measured it) is verified as a run of its own.
fn verify_merged(dir: &Path, rounds: &[PathBuf]) -> Result<Verdict, String> {
    let results = Results::load(dir)?;
    let each: Vec<Results> = rounds
        .iter()
        .map(|d| Results::load(d).map_err(|e| e.to_string()))
        .collect::<Result<_, _>>()?;
    let (merged, _) = merge::merged_rows(&each);
    let mut mismatches = Vec::new();
    for row in &results.rows {
        let id = SeriesId::of(row);
        let series = format!("{}/{}", id.allocator, id.stem());
        let Some(expected) = merged.iter().find(|m| m.key() == row.key()) else {
            return Err(format!(
                "{series}: summary.csv has a row that not every round has"
            ));
        };
        let mut columns = differences(row, expected)?;
        let intervals = results.intervals(&id)?.ok_or_else(|| {
            let path = id.path(dir, Raw::Hlog);
            format!("{}: missing; summary.csv has a row for it", path.display())
        })?;
        let held: u64 = intervals.iter().map(|h| h.len()).sum();
        if held != row.samples {
            columns.push((
                "samples in the .hlog".into(),
                row.samples.to_string(),
                held.to_string(),
            ));
        }
        if !columns.is_empty() {
            mismatches.push(Mismatch { series, columns });
        }
    }
    for (round, r) in rounds.iter().zip(&each) {
        let first = r.rows.first().map(SeriesId::of);
        if first.is_some_and(|id| id.path(round, Raw::Hlog).exists()) {
            let v = verify(round)?;
            mismatches.extend(v.mismatches.into_iter().map(|mut m| {
                m.series = format!("{}: {}", round.display(), m.series);
                m
            }));
        }
    }
    Ok(Verdict {
        rows: results.rows.len(),
        mismatches,
    })
}

/// `written` with every column the raw intervals determine computed afresh.
fn rederive(written: &Row, intervals: &[Histogram<u64>]) -> Result<Row, String> {
    let mut merged = Histogram::<u64>::new_with_bounds(
        1,
        workloads::recorder::HIGHEST_NS,
        workloads::recorder::SIGFIG,
    )
    .map_err(|e| format!("histogram bounds: {e}"))?;
    for h in intervals {
        merged
            .add(h)
            .map_err(|e| format!("an interval does not fit the harness's range: {e}"))?;
    }
    let floor = Floor {
        p50: written.null_p50_ns,
        jitter: written.null_jitter_ns,
    };
    let key = Key {
        allocator: written.allocator,
        workload: written.workload,
        op: written.op,
        size: written.size,
        threads: written.threads,
        run_id: &written.run_id,
    };
    let fresh = Row::new(
        key,
        &Figures::of_histogram(&merged),
        floor,
        written.saturated,
        written.first_call_ns,
    )
    .with_intervals(Some(&Intervals::of(intervals)));
    Ok(Row {
        samples: fresh.samples,
        p50_ns: fresh.p50_ns,
        p99_ns: fresh.p99_ns,
        p999_ns: fresh.p999_ns,
        p9999_ns: fresh.p9999_ns,
        max_ns: fresh.max_ns,
        ratio_p999_p50: fresh.ratio_p999_p50,
        p50_net_ns: fresh.p50_net_ns,
        p999_net_ns: fresh.p999_net_ns,
        ratio_p999_p50_net: fresh.ratio_p999_p50_net,
        ratio_meaningful: fresh.ratio_meaningful,
        p9999_net_ns: fresh.p9999_net_ns,
        max_net_ns: fresh.max_net_ns,
        min_ns: fresh.min_ns,
        mean_ns: fresh.mean_ns,
        intervals: fresh.intervals,
        p50_lo_ns: fresh.p50_lo_ns,
        p50_hi_ns: fresh.p50_hi_ns,
        p99_lo_ns: fresh.p99_lo_ns,
        p99_hi_ns: fresh.p99_hi_ns,
        p999_lo_ns: fresh.p999_lo_ns,
        p999_hi_ns: fresh.p999_hi_ns,
        p9999_lo_ns: fresh.p9999_lo_ns,
        p9999_hi_ns: fresh.p9999_hi_ns,
        ..written.clone()
    })
}

/// The columns whose values differ, as summary.csv would spell them.
fn differences(written: &Row, derived: &Row) -> Result<Vec<(String, String, String)>, String> {
    let fields = |r: &Row| match serde_json::to_value(r) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        _ => Err("a summary row did not serialize as a record".to_string()),
    };
    let (a, b) = (fields(written)?, fields(derived)?);
    Ok(a.iter()
        .filter(|(k, v)| b.get(*k) != Some(v))
        .map(|(k, v)| {
            let other = b.get(k).map(ToString::to_string).unwrap_or_default();
            (k.clone(), v.to_string(), other)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Intervals;

    fn row_of(hs: &[Histogram<u64>]) -> Row {
        let mut merged = Histogram::<u64>::new_with_bounds(1, 1_000_000, 3).unwrap();
        for h in hs {
            merged.add(h).unwrap();
        }
        let floor = Floor {
            p50: 20,
            jitter: 10,
        };
        Row::new(
            Key::example(),
            &Figures::of_histogram(&merged),
            floor,
            0,
            40,
        )
        .with_intervals(Some(&Intervals::of(hs)))
    }

    fn intervals() -> Vec<Histogram<u64>> {
        (0..20u64)
            .map(|i| {
                let mut h = Histogram::<u64>::new_with_bounds(1, 1_000_000, 3).unwrap();
                for v in 0..500 {
                    h.record(30 + (v * 7 + i * 13) % 50).unwrap();
                }
                h.record(1_000 + i * 100).unwrap();
                h
            })
            .collect()
    }

    #[test]
    fn a_row_written_from_its_intervals_re_derives_exactly() {
        let hs = intervals();
        let row = row_of(&hs);
        assert!(row.p50_lo_ns.is_some(), "20 intervals give an interval");
        assert_eq!(
            differences(&row, &rederive(&row, &hs).unwrap()).unwrap(),
            vec![]
        );
    }

    #[test]
    fn an_edited_figure_or_a_changed_sample_is_named() {
        let hs = intervals();
        let mut row = row_of(&hs);
        row.p999_ns += 10;
        let diff = differences(&row, &rederive(&row, &hs).unwrap()).unwrap();
        let columns: Vec<&str> = diff.iter().map(|(c, _, _)| c.as_str()).collect();
        // The edited column, and no other (the rest derive as written).
        assert_eq!(columns, ["p999_ns"], "{diff:?}");

        // One interval changed: the samples no longer add up.
        let row = row_of(&hs);
        let mut other = hs.clone();
        other[3].record(5_000).unwrap();
        let diff = differences(&row, &rederive(&row, &other).unwrap()).unwrap();
        assert!(diff.iter().any(|(c, _, _)| c == "samples"), "{diff:?}");
        assert!(diff.iter().any(|(c, _, _)| c == "max_ns"), "{diff:?}");
    }
}
