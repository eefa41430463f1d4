//! What an A/B leaves beside its two sides: verdicts.csv (one line per
//! series and figure) and ab.json (the sides, the rounds' order, the
//! split-half A/A), both written whole or not at all.

use super::paired::SplitHalf;
use super::Side;
use crate::compare::Compared;
use crate::results::sink::Sink;
use std::path::Path;

/// One line of verdicts.csv.
#[derive(serde::Serialize)]
struct Line<'a> {
    series: &'a str,
    figure: &'a str,
    baseline_median_ns: f64,
    candidate_median_ns: f64,
    /// Median over rounds of candidate / baseline - 1.
    change: f64,
    change_lo: Option<f64>,
    change_hi: Option<f64>,
    verdict: &'static str,
}

/// verdicts.csv's text.
fn verdicts_csv(compared: &[Compared]) -> Result<Vec<u8>, String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for c in compared {
        for f in &c.figures {
            w.serialize(Line {
                series: &c.label,
                figure: f.figure.key(),
                baseline_median_ns: f.baseline,
                candidate_median_ns: f.candidate,
                change: f.change.relative,
                change_lo: f.change.interval.map(|i| i.0),
                change_hi: f.change.interval.map(|i| i.1),
                verdict: f.change.verdict.word(),
            })
            .map_err(|e| format!("verdicts.csv: {e}"))?;
        }
    }
    w.into_inner().map_err(|e| format!("verdicts.csv: {e}"))
}

/// One side as ab.json records it.
#[derive(serde::Serialize)]
struct SideRecord<'a> {
    bin: String,
    env: &'a [(String, String)],
    split_half: SplitHalf,
}

#[derive(serde::Serialize)]
struct AbRecord<'a> {
    rounds: u32,
    /// Which side ran first in each round.
    first: Vec<&'static str>,
    /// The run flags every process got.
    run_flags: Vec<String>,
    noise_pct: f64,
    baseline: SideRecord<'a>,
    candidate: SideRecord<'a>,
}

/// What the A/B was, for ab.json.
pub struct Summary<'a> {
    pub sides: &'a [Side; 2],
    pub halves: [SplitHalf; 2],
    pub rounds: u32,
    pub run_flags: Vec<String>,
    pub noise_pct: f64,
}

/// Writes verdicts.csv and ab.json into `out`.
pub fn write(out: &Path, summary: &Summary, compared: &[Compared]) -> Result<(), String> {
    let sink = Sink::open(out, true)?;
    sink.write(&out.join("verdicts.csv"), &verdicts_csv(compared)?)?;
    let side = |i: usize| SideRecord {
        bin: summary.sides[i].bin.display().to_string(),
        env: &summary.sides[i].env,
        split_half: summary.halves[i],
    };
    let record = AbRecord {
        rounds: summary.rounds,
        first: (1..=summary.rounds)
            .map(|r| super::SIDES[super::rounds::order(r)[0]])
            .collect(),
        run_flags: summary.run_flags.clone(),
        noise_pct: summary.noise_pct,
        baseline: side(0),
        candidate: side(1),
    };
    let json = serde_json::to_string_pretty(&record).map_err(|e| format!("ab.json: {e}"))?;
    sink.write(&out.join("ab.json"), (json + "\n").as_bytes())
}
