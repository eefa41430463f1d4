//! `harness rounds`: a run made of rounds (`results::rounds`) merged into
//! its results directory, so plot, report, compare and verify read it as
//! any run: summary.csv from the rounds' rows ([`rows`]), the raw files
//! of all rounds together ([`raw`]), meta.json with round 1's runs (the
//! machine, the build, the settings) and the record of every round,
//! including the run's own split-half A/A.

pub mod raw;
pub mod rows;
pub mod run;

use crate::ab::paired::split_half;
use crate::results::meta::Run;
use crate::results::read::Results;
use crate::results::rounds::{round_dirs, RoundEntry, RoundsRecord, SplitHalfRecord};
use crate::results::series::{meta_json, summary_csv};
use crate::results::sink::Sink;
use crate::results::summary::{self, Row};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// How summary.csv's figures come from the rounds (meta.json says so).
const FIGURES: &str = "each percentile, net figure and batched cost is the median over rounds; max is the largest of any round, min the smallest; samples are summed";
/// And their intervals.
const INTERVALS: &str = "the _lo/_hi columns are the sign-test 95 % interval of the median over rounds (the range with 5 rounds: 93.75 %); empty with fewer than 5 rounds";

/// A merged run, for the terminal's summary.
pub struct Merged {
    pub rounds: usize,
    pub rows: usize,
    pub series_files: usize,
    /// Series some round lacks: left out of the merge.
    pub left_out: Vec<String>,
    pub split_half: SplitHalfRecord,
}

/// Merges `<results>/rounds/*` into `<results>`; `noise` in percent for the
/// split-half verdicts.
pub fn merge(results: &Path, noise_pct: f64) -> Result<Merged, String> {
    let dirs = round_dirs(results)?;
    if dirs.is_empty() {
        return Err(format!(
            "{}: no rounds to merge (a run with --rounds N, or run_all.sh, writes them into {}/rounds/<k>)",
            results.display(),
            results.display()
        ));
    }
    let rounds: Vec<Results> = dirs
        .iter()
        .map(|d| Results::load(d).map_err(|e| e.to_string()))
        .collect::<Result<_, _>>()?;
    let (merged, left_out) = merged_rows(&rounds);
    let half = split_half(&rounds, noise_pct / 100.0);
    let split_half = SplitHalfRecord {
        pairs: half.pairs,
        noise_pct,
        figures: half.figures,
        faster_or_slower: half.changed,
        false_verdict_pct: half.percent().map(|p| (p * 10.0).round() / 10.0),
    };
    let record = RoundsRecord {
        count: rounds.len() as u32,
        figures: FIGURES.into(),
        intervals: INTERVALS.into(),
        each: rounds.iter().zip(1..).map(|(r, k)| entry(r, k)).collect(),
        split_half: split_half.clone(),
    };
    let sink = Sink::open(results, true)?;
    let series_files = raw::write(&sink, &dirs)?;
    sink.write(&summary_csv(results), &summary::to_csv(&merged)?)?;
    sink.write(&meta_json(results), &meta(&dirs[0], &record)?)?;
    Ok(Merged {
        rounds: rounds.len(),
        rows: merged.len(),
        series_files,
        left_out,
        split_half,
    })
}

/// Every series of round 1 found in all rounds, merged; and the labels of
/// those some round lacks.
pub fn merged_rows(rounds: &[Results]) -> (Vec<Row>, Vec<String>) {
    let mut merged = Vec::new();
    let mut left_out = Vec::new();
    for row in &rounds[0].rows {
        let found: Option<Vec<&Row>> = rounds
            .iter()
            .map(|r| r.rows.iter().find(|x| x.key() == row.key()))
            .collect();
        match found {
            Some(all) => merged.push(rows::merge(&all)),
            None => left_out.push(format!(
                "{} {} {} B {} on {} thread(s)",
                row.allocator.as_str(),
                row.workload.as_str(),
                row.size,
                row.op,
                row.threads
            )),
        }
    }
    (merged, left_out)
}

/// Round `k`: when its processes started and the order of its allocators.
fn entry(r: &Results, k: u32) -> RoundEntry {
    let mut runs: Vec<&Run> = r.runs().iter().collect();
    runs.sort_by(|a, b| a.date.cmp(&b.date));
    let mut order: Vec<String> = Vec::new();
    for run in &runs {
        for c in &run.cases {
            let name = c.allocator.as_str().to_string();
            if c.allocator != crate::names::Name::Null && !order.contains(&name) {
                order.push(name);
            }
        }
    }
    RoundEntry {
        round: k,
        first_start: runs.first().map_or_else(String::new, |r| r.date.clone()),
        last_start: runs.last().map_or_else(String::new, |r| r.date.clone()),
        order,
    }
}

/// meta.json of the merge: round 1's runs as they were written, and the
/// rounds' record.
fn meta(round1: &Path, record: &RoundsRecord) -> Result<Vec<u8>, String> {
    let path: PathBuf = meta_json(round1);
    let text = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut v: Value =
        serde_json::from_slice(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let record = serde_json::to_value(record).map_err(|e| e.to_string())?;
    match v.as_object_mut() {
        Some(o) => o.insert("rounds".into(), record),
        None => return Err(format!("{}: not a JSON object", path.display())),
    };
    serde_json::to_vec_pretty(&v).map_err(|e| e.to_string())
}

/// The run's split-half A/A in one sentence, for the terminal.
pub fn split_half_sentence(s: &SplitHalfRecord) -> String {
    match s.false_verdict_pct {
        Some(p) => format!(
            "split-half A/A (odd rounds against even, {} pairs, noise {} %): {} of {} figures came out faster or slower ({p:.1} %); each is a false verdict",
            s.pairs, s.noise_pct, s.faster_or_slower, s.figures
        ),
        None => format!(
            "split-half A/A: none ({} pairs of rounds; an interval needs at least 5, so 10 rounds)",
            s.pairs
        ),
    }
}
