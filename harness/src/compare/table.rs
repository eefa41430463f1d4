//! The comparison as a terminal table or as Markdown: one line per
//! (series, figure), then the count of each verdict.

use super::{Compared, Sides};
use crate::results::figure::Figure;
use crate::stats::change::Verdict;

/// A figure in ns: whole for a percentile, to 0.01 for a batched cost.
fn ns(figure: Figure, v: f64) -> String {
    format!("{v:.*} ns", figure.decimals())
}

fn percent(x: f64) -> String {
    format!("{:+.1}%", 100.0 * x)
}

/// The cells of one line: series, figure, baseline, candidate, change,
/// interval, verdict.
fn cells(c: &Compared, paired: bool) -> Vec<[String; 7]> {
    c.figures
        .iter()
        .map(|f| {
            let interval = f.change.interval.map_or_else(
                || "-".to_string(),
                |(lo, hi)| format!("[{}, {}]", percent(lo), percent(hi)),
            );
            let verdict = if f.figure == Figure::Max && !paired {
                "no interval (a maximum)".to_string()
            } else {
                f.change.verdict.word().to_string()
            };
            [
                c.label.clone(),
                f.figure.label().to_string(),
                ns(f.figure, f.baseline),
                ns(f.figure, f.candidate),
                percent(f.change.relative),
                interval,
                verdict,
            ]
        })
        .collect()
}

fn tally(compared: &[Compared], paired: bool) -> String {
    let count = |v: Verdict| {
        compared
            .iter()
            .flat_map(|c| &c.figures)
            .filter(|f| (paired || f.figure != Figure::Max) && f.change.verdict == v)
            .count()
    };
    let figures = match paired {
        true => "every figure",
        false => "percentiles and batched costs",
    };
    format!(
        "{} series; {figures}: {} faster, {} slower, {} within noise, {} within the repeats' spread, {} without an interval",
        compared.len(),
        count(Verdict::Faster),
        count(Verdict::Slower),
        count(Verdict::WithinNoise),
        count(Verdict::WithinRepeats),
        count(Verdict::Unknown)
    )
}

const HEADER: [&str; 7] = [
    "series",
    "figure",
    "baseline",
    "candidate",
    "change",
    "95% interval",
    "verdict",
];

/// A warning when either side has no repeats: its within-run intervals
/// say nothing of the drift between runs.
fn unrepeated(sides: &Sides) -> String {
    if sides.repeated || sides.rounds.is_some() || sides.across_time {
        return String::new();
    }
    "Note: one side or both ran once (no spread.csv). A within-run interval does not cover the drift \
     between runs; between two single full runs on our machine, 38% of these verdicts came out faster \
     or slower with nothing changed (METHODOLOGY.md, \"How sure\"). Compare runs made of rounds \
     (run_all.sh, or --rounds 10), or run the two builds interleaved with harness ab.\n"
        .to_string()
}

fn rule(sides: &Sides, noise_pct: f64) -> String {
    if sides.across_time {
        return format!(
            "two runs made of rounds, at different times: each figure is its run's median over rounds, \
             its interval the sign test's over them; change = candidate / baseline - 1, its interval from \
             the candidate's low over the baseline's high to its high over the baseline's low; slower or \
             faster only when the whole interval lies beyond +-{noise_pct}% (--noise). The max has none. \
             What this can show: a figure that moved between the runs by more than either run's rounds \
             moved. What it cannot: why. Rounds of two runs cannot be paired, so whatever changed on the \
             machine between them (its load, its clock, a new host) is in every verdict as much as the \
             builds are; to compare two builds or settings, run them interleaved with `harness ab`"
        );
    }
    if let (Some(rounds), false) = (sides.rounds, sides.ab) {
        return format!(
            "two allocators of one run made of {rounds} rounds, paired by round: each figure is the median \
             over rounds; change = the median of the rounds' candidate / baseline ratios - 1, its interval \
             the sign test's over those ratios (95% or more; 93.75% for 5 rounds); slower or faster only \
             when the whole interval lies beyond +-{noise_pct}% (--noise)"
        );
    }
    if let Some(rounds) = sides.rounds {
        return format!(
            "each side's figure is its median over {rounds} rounds (a fresh process per side and round, \
             ABBA order); change = the median of the rounds' candidate / baseline ratios - 1, its interval \
             the sign test's over those ratios (95% or more; 93.75% for 5 rounds); slower or faster only \
             when the whole interval lies beyond +-{noise_pct}% (--noise)"
        );
    }
    format!(
        "change = candidate / baseline - 1, its 95% interval from a block bootstrap of both interval logs \
         (batched: net of the null row, from both costs' own intervals); \
         slower or faster only when the whole interval lies beyond +-{noise_pct}% (--noise) \
         and, where both sides were repeated, their ranges across repeats are apart too"
    )
}

pub fn terminal(sides: &Sides, compared: &[Compared], noise_pct: f64) -> String {
    let paired = sides.rounds.is_some();
    let lines: Vec<[String; 7]> = compared.iter().flat_map(|c| cells(c, paired)).collect();
    let mut width = HEADER.map(str::len);
    for l in &lines {
        for (w, c) in width.iter_mut().zip(l) {
            *w = (*w).max(c.chars().count());
        }
    }
    let row = |cells: [&str; 7]| {
        let mut s = String::new();
        for (i, (c, w)) in cells.iter().zip(width).enumerate() {
            // Text left, figures right.
            if i < 2 || i == 6 {
                s += &format!("{c:<w$}  ");
            } else {
                s += &format!("{c:>w$}  ");
            }
        }
        s.trim_end().to_string() + "\n"
    };
    let mut out = format!(
        "baseline:  {}\ncandidate: {}\n{}\n{}\n",
        sides.baseline,
        sides.candidate,
        rule(sides, noise_pct),
        unrepeated(sides)
    );
    out += &row(HEADER);
    for l in &lines {
        out += &row(l.each_ref().map(String::as_str));
    }
    out += &format!("\n{}\n", tally(compared, paired));
    out
}

pub fn markdown(sides: &Sides, compared: &[Compared], noise_pct: f64) -> String {
    let paired = sides.rounds.is_some();
    let mut out = format!(
        "Baseline: `{}`; candidate: `{}`.\n\n{}.\n\n{}| {} |\n|{}|\n",
        sides.baseline,
        sides.candidate,
        rule(sides, noise_pct),
        unrepeated(sides),
        HEADER.join(" | "),
        ["---", "---", "---:", "---:", "---:", "---:", "---"].join("|")
    );
    for l in compared.iter().flat_map(|c| cells(c, paired)) {
        out += &format!("| {} |\n", l.join(" | "));
    }
    out += &format!("\n{}.\n", tally(compared, paired));
    out
}
