//! A run made of rounds end to end (`harness --rounds N`, then `harness
//! rounds`): each round's processes, the ops split across rounds, the merge
//! that plot, report, compare and verify read; and its bad input.

use crate::common::{harness, ok};

#[test]
fn a_run_in_rounds_splits_its_ops_and_merges_into_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let out_s = out.display().to_string();
    let o = ok(&[
        "--rounds",
        "5",
        "--workload",
        "hot-path",
        "--allocator",
        "all",
        "--ops",
        "20000",
        "--out",
        &out_s,
    ]);
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(said.contains("merged 5 rounds"), "{said}");
    assert!(said.contains("split-half A/A: none (2 pairs"), "{said}");
    for k in 1..=5 {
        let round = out.join("rounds").join(k.to_string());
        let meta: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(round.join("meta.json")).unwrap())
                .unwrap();
        let runs = meta["runs"].as_array().unwrap();
        assert!(runs.iter().all(|r| r["round"] == format!("{k}/5")), "{k}");
        // 20000 pairs split over 5 rounds: 4000 each, per allocator process.
        let csv = std::fs::read_to_string(round.join("summary.csv")).unwrap();
        let pmad = csv
            .lines()
            .find(|l| l.starts_with("pmad,hot-path,alloc,64,1,"))
            .unwrap();
        assert_eq!(pmad.split(',').nth(5), Some("4000"), "{pmad}");
    }
    let csv = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    let pmad = csv
        .lines()
        .find(|l| l.starts_with("pmad,hot-path,alloc,64,1,"))
        .unwrap();
    assert_eq!(
        pmad.split(',').nth(5),
        Some("20000"),
        "the rounds' samples summed: {pmad}"
    );
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("meta.json")).unwrap()).unwrap();
    assert_eq!(meta["rounds"]["count"], 5);
    let each = meta["rounds"]["each"].as_array().unwrap();
    assert_eq!(each.len(), 5);
    // Every round ran every allocator compiled in (the null aside).
    let n = each[0]["order"].as_array().unwrap().len();
    assert!(each
        .iter()
        .all(|e| e["order"].as_array().unwrap().len() == n));
    let v = ok(&["verify", "--results", &out_s]);
    assert!(String::from_utf8_lossy(&v.stdout).contains("re-derive"));
    // Two allocators of the run are paired by round.
    let c = ok(&["compare", &out_s, "--allocators", "pmad,system"]);
    let table = String::from_utf8_lossy(&c.stdout);
    assert!(table.contains("paired by round"), "{table}");
    // The same run against itself "at another time": between-round intervals.
    let c = ok(&["compare", &out_s, &out_s]);
    let table = String::from_utf8_lossy(&c.stdout);
    assert!(table.contains("at different times"), "{table}");
    assert!(table.contains("harness ab"), "{table}");
    let plots = dir.path().join("plots").display().to_string();
    ok(&["plot", "--results", &out_s, "--out", &plots]);
    ok(&["report", "--results", &out_s, "--plots", &plots]);
    let report = std::fs::read_to_string(out.join("REPORT.md")).unwrap();
    assert!(report.contains("made of **5 rounds**"), "{report}");
}

#[test]
fn bad_rounds_are_refused_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bad");
    let out_s = out.display().to_string();
    for (args, says) in [
        (vec!["--round", "3/2", "--out", &out_s], "is not K/N"),
        (vec!["--round", "x", "--out", &out_s], "is not K/N"),
        (vec!["--rounds", "0", "--out", &out_s], "--rounds"),
        (
            vec!["--rounds", "3", "--repeat", "2", "--out", &out_s],
            "leave out --repeat",
        ),
        (vec!["rounds", "--results", &out_s], "no rounds to merge"),
    ] {
        let o = harness(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    assert!(!out.join("summary.csv").exists());
}
