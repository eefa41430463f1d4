//! `harness ab` end to end: one binary against itself in six rounds of a
//! small hot-path run, its files and its table; every bad input gets one
//! line and exit code 2 before any round runs.

use crate::common::{harness, ok};
use std::path::Path;

/// A small A/B's flags into `out`, after `ab` and `extra`.
fn small<'a>(out: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["ab"];
    args.extend_from_slice(extra);
    args.extend_from_slice(&[
        "--workload",
        "hot-path",
        "--allocator",
        "system",
        "--ops",
        "20000",
        "--out",
        out,
    ]);
    args
}

#[test]
fn one_binary_against_itself_runs_abba_rounds_and_writes_its_verdicts() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ab");
    let out_s = out.display().to_string();
    let args = small(&out_s, &["--rounds", "6", "--candidate-env", "AB_TEST=1"]);
    let o = ok(&args);
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(table.contains("median over 6 rounds"), "{table}");
    assert!(table.contains("split-half A/A, baseline"), "{table}");
    assert!(table.contains("hot-path 64 B alloc system"), "{table}");
    let ab: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("ab.json")).unwrap()).unwrap();
    assert_eq!(ab["rounds"], 6);
    let first = strings(&ab["first"]);
    assert_eq!(
        first,
        [
            "baseline",
            "candidate",
            "baseline",
            "candidate",
            "baseline",
            "candidate"
        ]
    );
    let flags = strings(&ab["run_flags"]);
    assert_eq!(
        flags,
        [
            "--workload",
            "hot-path",
            "--allocator",
            "system",
            "--ops",
            "20000"
        ]
    );
    assert_eq!(ab["candidate"]["env"][0][0], "AB_TEST");
    assert_eq!(ab["baseline"]["split_half"]["pairs"], 3);
    for side in ["baseline", "candidate"] {
        let d = out.join(side);
        assert!(d.join("summary.csv").is_file(), "{side} round 1");
        for k in 2..=6 {
            assert!(
                d.join(format!("repeats/{k}/summary.csv")).is_file(),
                "{side} round {k}"
            );
            assert!(out.join(format!("logs/{side}-{k}.log")).is_file());
        }
        // A side reads as a repeated run.
        ok(&["spread", "--results", &d.display().to_string()]);
    }
    verdicts_are_every_figure_of_every_series(&out);
}

/// A JSON array of strings.
fn strings(v: &serde_json::Value) -> Vec<&str> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect()
}

/// verdicts.csv: one line per series and figure, each with a verdict; the
/// null row has no batched cost (its net is 0), the system row has one.
fn verdicts_are_every_figure_of_every_series(out: &Path) {
    let mut r = csv::Reader::from_path(out.join("verdicts.csv")).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header,
        [
            "series",
            "figure",
            "baseline_median_ns",
            "candidate_median_ns",
            "change",
            "change_lo",
            "change_hi",
            "verdict"
        ]
    );
    let lines: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    let of = |series: &str| lines.iter().filter(|l| &l[0] == series).count();
    assert_eq!(of("hot-path 64 B alloc system"), 6, "{lines:?}");
    assert_eq!(of("hot-path 64 B alloc null"), 5, "{lines:?}");
    for l in &lines {
        assert!(
            ["faster", "slower", "within noise"].contains(&&l[7]),
            "6 rounds give every figure an interval: {l:?}"
        );
        let (lo, hi): (f64, f64) = (l[5].parse().unwrap(), l[6].parse().unwrap());
        assert!(lo <= hi, "{l:?}");
    }
}

fn fails(args: &[&str], names: &str) {
    let o = harness(args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
    assert!(err.contains(names), "{args:?}: {err}");
}

#[test]
fn bad_input_is_one_line_and_exit_2_before_any_round() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("ab");
    let o = out.display().to_string();
    fails(&small(&o, &["--rounds", "4"]), "--rounds");
    fails(&["ab", "--workload", "hot-path"], "--out DIR");
    fails(&small(&o, &["--repeat", "2"]), "--repeat 2");
    fails(
        &small(&o, &["--baseline-bin", "/no/such/harness"]),
        "--baseline-bin /no/such/harness",
    );
    fails(&small(&o, &["--candidate-env", "NOEQUALS"]), "NOEQUALS");
    fails(&small(&o, &["--noise", "150"]), "--noise 150");
    fails(&["--quick", "ab", "--out", &o], "after `ab`");
    assert!(!out.exists(), "nothing written");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("mine.txt"), "keep").unwrap();
    fails(&small(&o, &[]), "--force");
    fails(&small(&o, &["--force"]), "mine.txt");
    assert!(
        out.join("mine.txt").is_file(),
        "--force never deletes what an A/B did not write"
    );
}
