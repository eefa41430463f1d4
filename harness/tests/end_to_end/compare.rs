//! `harness compare` end to end: two small runs, and one run's two
//! allocators, compared; every bad input gets one line and exit code 2;
//! `--fail-above` exits 1 on a regression and 0 without one.

use crate::common::{harness, ok};
use std::path::Path;

/// A small hot-path run of the system allocator (and the null row) into `out`.
fn run(out: &Path) {
    let out = out.display().to_string();
    ok(&[
        "--workload",
        "hot-path",
        "--allocator",
        "system",
        "--ops",
        "20000",
        "--no-progress",
        "--out",
        &out,
    ]);
}

fn fails(args: &[&str], code: i32, names: &str) -> String {
    let o = harness(args);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(o.status.code(), Some(code), "{args:?}: {err}");
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "{args:?}: not one line: {err}"
    );
    assert!(err.contains(names), "{args:?}: {err}");
    err
}

#[test]
fn two_runs_and_two_allocators_compare_figure_by_figure() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    run(&a);
    run(&b);
    let (a_s, b_s) = (a.display().to_string(), b.display().to_string());

    let text = String::from_utf8(ok(&["compare", &a_s, &b_s]).stdout).unwrap();
    // 2 allocators (null, system) x 2 ops, each with 5 figures, and the
    // system allocator's batched cost (the null row's is the floor itself).
    let lines: Vec<&str> = text.lines().filter(|l| l.starts_with("hot-path")).collect();
    assert_eq!(lines.len(), 2 * 2 * 5 + 2, "{text}");
    for figure in ["P50", "P99", "P99.9", "P99.99", "max", "batched"] {
        assert!(
            lines.iter().any(|l| l.contains(&format!(" {figure} "))),
            "{figure}: {text}"
        );
    }
    assert!(
        text.contains("4 series; percentiles and batched costs:"),
        "{text}"
    );
    for l in lines.iter().filter(|l| !l.contains(" max ")) {
        assert!(
            ["faster", "slower", "within noise"]
                .iter()
                .any(|v| l.ends_with(v)),
            "{l}"
        );
    }

    // One run's two allocators, as Markdown.
    let md = String::from_utf8(
        ok(&["compare", &a_s, "--allocators", "null,system", "--markdown"]).stdout,
    )
    .unwrap();
    assert!(
        md.contains("| series | figure | baseline | candidate |"),
        "{md}"
    );
    assert_eq!(
        md.lines().filter(|l| l.starts_with("| hot-path")).count(),
        2 * 5
    );

    // A run against itself: every percentile's change is exactly 0.
    let same = String::from_utf8(ok(&["compare", &a_s, &a_s]).stdout).unwrap();
    assert!(same
        .lines()
        .filter(|l| l.starts_with("hot-path"))
        .all(|l| l.contains("+0.0%")));

    // --fail-above: a limit no interval can pass never fails...
    ok(&["compare", &a_s, &b_s, "--fail-above", "1000000"]);
    // ... and null against a real allocator is slower by far more than 1 %
    // at P50 (the null row is the clock alone).
    let err = fails(
        &[
            "compare",
            &a_s,
            "--allocators",
            "null,system",
            "--fail-above",
            "1",
        ],
        1,
        "slower by more than 1%",
    );
    assert!(err.contains("P50"), "{err}");
}

#[test]
fn bad_input_gets_one_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    run(&a);
    let a_s = a.display().to_string();
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let empty_s = empty.display().to_string();

    fails(&["compare", &empty_s, &a_s], 2, "results directory");
    fails(&["compare", &a_s], 2, "--allocators");
    fails(
        &["compare", &a_s, "--allocators", "system,nope"],
        2,
        "nope has no rows",
    );
    fails(&["compare", &a_s, &a_s, "--noise", "-1"], 2, "--noise");
    fails(
        &["compare", &a_s, &a_s, "--fail-above", "-3"],
        2,
        "--fail-above",
    );
    fails(
        &["compare", &a_s, &a_s, "--allocators", "jemalloc"],
        2,
        "no series in both",
    );

    // Different units.
    let b = dir.path().join("b");
    run(&b);
    let meta = std::fs::read_to_string(b.join("meta.json")).unwrap();
    std::fs::write(
        b.join("meta.json"),
        meta.replace("\"unit\": \"ns\"", "\"unit\": \"cycles\""),
    )
    .unwrap();
    fails(
        &["compare", &a_s, &b.display().to_string()],
        2,
        "different units",
    );

    // A damaged interval log names its file.
    let hlog = a.join("system/hot-path-64-alloc.hlog");
    let text = std::fs::read(&hlog).unwrap();
    std::fs::write(&hlog, &text[..text.len() - 40]).unwrap();
    fails(&["compare", &a_s, &a_s], 2, "hot-path-64-alloc.hlog");
}
