//! `harness count` end to end. Without valgrind: the install hint and exit
//! code 2, and bad arguments refused before valgrind is looked for. With
//! valgrind (`cargo test --release -p harness --test end_to_end -- --ignored count::`,
//! which CI runs): exact counts, the same on two runs, and the guard.

use crate::common::harness;
use std::path::Path;
use std::process::{Command, Output};

/// `harness count ARGS` with PATH set to `path`.
fn count_with_path(args: &[&str], path: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_harness"))
        .arg("count")
        .args(args)
        .env("PATH", path)
        .output()
        .expect("run the harness")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

#[test]
fn without_valgrind_count_says_how_to_install_it_and_exits_2() {
    let empty = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let o = count_with_path(
        &[
            "--workload",
            "hot-path",
            "--out",
            &out.path().display().to_string(),
        ],
        empty.path(),
    );
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.contains("valgrind is not installed"), "{err}");
    assert!(err.contains("apt-get install valgrind"), "{err}");
    assert_eq!(
        std::fs::read_dir(out.path()).unwrap().count(),
        0,
        "nothing written"
    );
}

#[test]
fn workloads_count_cannot_run_are_refused_before_valgrind_is_looked_for() {
    let empty = tempfile::tempdir().unwrap();
    for (args, names) in [
        (vec!["--workload", "request"], "--workload request"),
        (
            vec!["--workload", "producer-consumer"],
            "valgrind serialises threads",
        ),
        (vec!["--allocator", "nope"], "nope"),
        (vec!["--update-guard"], "--guard"),
    ] {
        let o = count_with_path(&args, empty.path());
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(names), "{args:?}: {err}");
        assert!(
            !err.contains("valgrind is not installed"),
            "{args:?}: {err}"
        );
    }
}

/// A small count of the null row and PMAD into `out`; its counts.csv text.
fn count_pmad(out: &Path, extra: &[&str]) -> (Output, String) {
    let out_s = out.display().to_string();
    let mut args = vec![
        "count",
        "--workload",
        "hot-path",
        "--allocator",
        "pmad",
        "--ops",
        "300",
        "--out",
        &out_s,
    ];
    args.extend(extra);
    let o = harness(&args);
    let text = std::fs::read_to_string(out.join("counts.csv")).unwrap_or_default();
    (o, text)
}

#[test]
#[ignore = "needs valgrind: cargo test --release -p harness --test end_to_end -- --ignored count::"]
fn counts_are_exact_repeat_run_to_run_and_the_guard_catches_one_instruction() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (o, first) = count_pmad(a.path(), &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (o, second) = count_pmad(b.path(), &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(first, second, "two counts of the same binary differ");

    let mut reader = csv::Reader::from_reader(first.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let head = reader.headers().unwrap().clone();
    let col = |r: &csv::StringRecord, name: &str| {
        let i = head.iter().position(|h| h == name).unwrap();
        r[i].to_string()
    };
    let got: Vec<(String, String)> = rows
        .iter()
        .map(|r| (col(r, "allocator"), col(r, "op")))
        .collect();
    assert_eq!(
        got,
        [
            ("pmad", "alloc"),
            ("pmad", "free"),
            ("null", "alloc"),
            ("null", "free")
        ]
        .map(|(a, o)| (a.to_string(), o.to_string()))
    );
    for r in &rows {
        assert_eq!(
            col(r, "calls"),
            "300",
            "every recorded call, warm-up excluded"
        );
        let (min, max): (u64, u64) = (
            col(r, "ir_min").parse().unwrap(),
            col(r, "ir_max").parse().unwrap(),
        );
        assert!(min > 0 && min <= max, "{r:?}");
    }
    // PMAD's hot path is one branch-free path: every call the same count,
    // and more than the null row's.
    for r in rows.iter().filter(|r| col(r, "allocator") == "pmad") {
        assert_eq!(col(r, "ir_min"), col(r, "ir_max"), "{r:?}");
        assert!(col(r, "ir_max_net").parse::<u64>().unwrap() > 0, "{r:?}");
    }

    // The guard: the figures just counted hold; one instruction fewer fails.
    let guard = a.path().join("guard.csv");
    let g = guard.display().to_string();
    let (o, _) = count_pmad(a.path(), &["--guard", &g, "--update-guard"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (o, _) = count_pmad(a.path(), &["--guard", &g]);
    assert!(
        o.status.success(),
        "the limits just written: {}",
        stderr(&o)
    );
    let text = std::fs::read_to_string(&guard).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let first_limit: Vec<&str> = lines[1].split(',').collect();
    let max_net: u64 = first_limit[4].parse().unwrap();
    let tightened = format!(
        "{},{},{},{},{},{}",
        first_limit[0],
        first_limit[1],
        first_limit[2],
        first_limit[3],
        max_net - 1,
        first_limit[5]
    );
    lines[1] = tightened;
    std::fs::write(&guard, lines.join("\n") + "\n").unwrap();
    let (o, _) = count_pmad(a.path(), &["--guard", &g]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("EXCEEDED"));
    assert!(stderr(&o).contains("--update-guard"), "{}", stderr(&o));
}

#[test]
#[ignore = "needs valgrind: cargo test --release -p harness --test end_to_end -- --ignored count::"]
fn a_library_row_is_counted_with_the_library_preloaded_beside_a_list() {
    let tmp = tempfile::tempdir().unwrap();
    let lib = crate::common::c_library("counting");
    let out = tmp.path().join("out");
    let spec = format!("cnt={}", lib.display());
    let o = harness(&[
        "count",
        "--workload",
        "hot-path",
        "--allocator",
        "pmad,null",
        "--allocator-lib",
        &spec,
        "--ops",
        "300",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut reader = csv::Reader::from_path(out.join("counts.csv")).unwrap();
    let head = reader.headers().unwrap().clone();
    let at = |n: &str| head.iter().position(|h| h == n).unwrap();
    let mut got: Vec<(String, String, String)> = reader
        .records()
        .map(Result::unwrap)
        .map(|r| {
            (
                r[at("allocator")].to_string(),
                r[at("op")].to_string(),
                r[at("calls")].to_string(),
            )
        })
        .collect();
    got.sort();
    let want: Vec<(String, String, String)> = ["cnt", "null", "pmad"]
        .iter()
        .flat_map(|a| {
            ["alloc", "free"].map(|op| (a.to_string(), op.to_string(), "300".to_string()))
        })
        .collect();
    assert_eq!(got, want);
}
