//! `--allocator-lib NAME=PATH` end to end, on a malloc replacement built
//! here (shared_lib/counting.c: glibc's allocator behind a header, every
//! call counted, blocks of 3333 bytes counted apart): each timed call of a
//! replay reaches the library, exactly, and a run's row is labelled by its
//! name in summary.csv, meta.json, the charts and REPORT.md. Bad libraries
//! are refused with exit 2 and nothing written. `--allocator` takes lists.

use crate::common::{c_library as library, harness, ok};
use harness::trace::file::Writer;
use harness::trace::{Event, Kind};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The size the counting library counts apart (MAGIC_SIZE in counting.c).
const MAGIC: u64 = 3333;

/// Runs the harness with `args` and the counting library as row `cnt`
/// (beside the null row alone), into `<tmp>/out`; returns the results
/// directory, the library, and the counts of the process that timed it.
fn on_counting_library(tmp: &Path, args: &[&str]) -> (PathBuf, PathBuf, HashMap<String, u64>) {
    let lib = library("counting");
    let (out, counts) = (tmp.join("out"), tmp.join("counts"));
    std::fs::create_dir(&counts).unwrap();
    let spec = format!("cnt={}", lib.display());
    let tail = [
        "--allocator",
        "null",
        "--allocator-lib",
        &spec,
        "--out",
        out.to_str().unwrap(),
        "--no-progress",
    ];
    let all: Vec<&str> = args.iter().copied().chain(tail).collect();
    let o = Command::new(env!("CARGO_BIN_EXE_harness"))
        .args(&all)
        .env("COUNTING_DIR", &counts)
        .output()
        .expect("run the harness");
    assert!(
        o.status.success(),
        "harness {all:?} failed:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let c = magic_counts(&counts);
    (out, lib, c)
}

/// The counts of the one process that made calls of the magic size.
fn magic_counts(counts: &Path) -> HashMap<String, u64> {
    let mut found: Vec<HashMap<String, u64>> = std::fs::read_dir(counts)
        .unwrap()
        .map(|e| {
            std::fs::read_to_string(e.unwrap().path())
                .unwrap()
                .lines()
                .map(|l| {
                    let (k, v) = l.split_once(' ').unwrap();
                    (k.to_string(), v.parse().unwrap())
                })
                .collect()
        })
        .filter(|c: &HashMap<String, u64>| c["magic_malloc"] + c["magic_realloc"] > 0)
        .collect();
    assert_eq!(found.len(), 1, "one process timed the library's row");
    found.pop().unwrap()
}

/// summary.csv's samples of `allocator`'s `op` row.
fn samples(dir: &Path, allocator: &str, op: &str) -> Option<u64> {
    let mut r = csv::Reader::from_path(dir.join("summary.csv")).unwrap();
    let head = r.headers().unwrap().clone();
    let col = |n: &str| head.iter().position(|h| h == n).unwrap();
    r.records()
        .map(Result::unwrap)
        .find(|row| &row[col("allocator")] == allocator && &row[col("op")] == op)
        .map(|row| row[col("samples")].parse().unwrap())
}

fn event(kind: Kind, id: u64, old: u64, size: u64) -> Event {
    Event {
        kind,
        thread: 0,
        dt_ns: 0,
        id,
        old,
        size,
        align: 0,
    }
}

/// A trace: 300 mallocs of the magic size, 40 small ones reallocated to
/// it, then every block freed.
fn write_trace(path: &Path) {
    let mut w = Writer::new(std::fs::File::create(path).unwrap()).unwrap();
    for id in 1..=300 {
        w.push(&event(Kind::Malloc, id, 0, MAGIC)).unwrap();
    }
    for id in 301..=340 {
        w.push(&event(Kind::Malloc, id, 0, 24)).unwrap();
    }
    for (old, id) in (301..=340).zip(341..=380) {
        w.push(&event(Kind::Realloc, id, old, MAGIC)).unwrap();
    }
    for id in (1..=300).chain(341..=380) {
        w.push(&event(Kind::Free, id, 0, 0)).unwrap();
    }
    w.finish().unwrap();
}

/// The meta.json entry of library row `name`.
fn library_meta(dir: &Path, name: &str) -> serde_json::Value {
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("meta.json")).unwrap()).unwrap();
    meta["runs"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|r| r["allocators"].get(name).cloned())
        .expect("the library row's settings")
}

#[test]
fn every_timed_call_of_a_replay_goes_through_the_library_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let trace = tmp.path().join("magic.trace");
    write_trace(&trace);
    let (out, lib, c) = on_counting_library(tmp.path(), &["replay", trace.to_str().unwrap()]);
    assert_eq!(c["magic_malloc"], 300, "{c:?}");
    assert_eq!(c["magic_realloc"], 40, "{c:?}");
    assert_eq!(c["magic_free"], 340, "{c:?}");
    // The row's own figures count the same calls, as the null row's do.
    for (op, n) in [("alloc", 340), ("realloc", 40), ("free", 340)] {
        assert_eq!(samples(&out, "cnt", op), Some(n), "{op}");
        assert_eq!(samples(&out, "null", op), Some(n), "{op}");
    }
    let meta = library_meta(&out, "cnt");
    let file = std::fs::canonicalize(&lib).unwrap();
    assert_eq!(
        meta["malloc_resolves_to"].as_str(),
        Some(file.to_str().unwrap()),
        "{meta}"
    );
    let defined: Vec<&str> = meta["defined_by_the_library"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for f in ["malloc", "free", "calloc", "realloc", "posix_memalign"] {
        assert!(defined.contains(&f), "{f}: {meta}");
    }
    assert_eq!(meta["sha256"].as_str().unwrap().len(), 64);
    assert!(out.join("cnt/replay-magic-0-alloc.hlog").is_file());
}

#[test]
fn a_run_times_the_library_and_every_file_names_its_row() {
    let tmp = tempfile::tempdir().unwrap();
    let (out, _, c) = on_counting_library(
        tmp.path(),
        &["--workload", "hot-path", "--size", "3333", "--ops", "5000"],
    );
    // Warm-up and the batched phase call it too: at least the recorded
    // pairs, every block freed through the library.
    assert!(c["magic_malloc"] >= 5000, "{c:?}");
    assert_eq!(c["magic_malloc"], c["magic_free"], "{c:?}");
    assert_eq!(samples(&out, "cnt", "alloc"), Some(5000));
    assert_eq!(samples(&out, "cnt", "free"), Some(5000));
    assert_eq!(samples(&out, "null", "alloc"), Some(5000));
    assert!(out.join("cnt/hot-path-3333-alloc.hlog").is_file());
    ok(&["verify", "--results", out.to_str().unwrap()]);
    let plots = tmp.path().join("plots");
    ok(&[
        "plot",
        "--results",
        out.to_str().unwrap(),
        "--out",
        plots.to_str().unwrap(),
    ]);
    let svg = std::fs::read_to_string(plots.join("hot-path-percentiles.svg"))
        .or_else(|_| {
            let any = std::fs::read_dir(&plots)
                .unwrap()
                .map(|e| e.unwrap().path())
                .find(|p| p.extension().is_some_and(|e| e == "svg"))
                .unwrap();
            std::fs::read_to_string(any)
        })
        .unwrap();
    assert!(svg.contains("cnt (shared lib)"), "the legend names the row");
    ok(&[
        "report",
        "--results",
        out.to_str().unwrap(),
        "--plots",
        plots.to_str().unwrap(),
    ]);
    let report = std::fs::read_to_string(out.join("REPORT.md")).unwrap();
    assert!(report.contains("| cnt |"), "REPORT.md has the row");
}

/// The harness refusing `args`: exit 2, its one line, nothing in `out`.
fn refused(args: &[&str], out: &Path) -> String {
    let o = harness(args);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    assert!(!out.exists(), "{args:?} wrote {}", out.display());
    assert!(!err.contains("panicked"), "{err}");
    err
}

#[test]
fn a_library_that_is_missing_not_loadable_or_not_a_malloc_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let partial = library("partial");
    let text = tmp.path().join("notes.txt");
    std::fs::write(&text, "not a library\n").unwrap();
    let out = tmp.path().join("out");
    let run = |spec: String| {
        refused(
            &[
                "--workload",
                "hot-path",
                "--quick",
                "--allocator-lib",
                &spec,
                "--out",
                out.to_str().unwrap(),
            ],
            &out,
        )
    };
    let missing = run(format!("x={}", tmp.path().join("nope.so").display()));
    assert!(missing.contains("nope.so: No such file"), "{missing}");
    let not_elf = run(format!("x={}", text.display()));
    assert!(
        not_elf.contains("is not a shared library the dynamic loader could preload"),
        "{not_elf}"
    );
    let part = run(format!("x={}", partial.display()));
    assert!(
        part.contains("does not define calloc (still ") && part.contains("posix_memalign (still "),
        "{part}"
    );
    assert!(!part.contains("malloc (still"), "{part}");
    let twice = run(format!("x={0},x={0}", partial.display()));
    assert!(twice.contains("x="), "{twice}");
    let trace = tmp.path().join("t.trace");
    write_trace(&trace);
    let replay = refused(
        &[
            "replay",
            trace.to_str().unwrap(),
            "--allocator-lib",
            &format!("x={}", partial.display()),
            "--out",
            out.to_str().unwrap(),
        ],
        &out,
    );
    assert!(replay.contains("does not define calloc"), "{replay}");
    let builtin = refused(
        &[
            "--allocator-lib",
            "pmad=/x.so",
            "--out",
            out.to_str().unwrap(),
        ],
        &out,
    );
    assert!(
        builtin.contains("give the library a name of its own"),
        "{builtin}"
    );
}

#[test]
fn allocator_takes_a_comma_list() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    ok(&[
        "--workload",
        "hot-path",
        "--ops",
        "2000",
        "--allocator",
        "system,pmad",
        "--out",
        out.to_str().unwrap(),
        "--no-progress",
    ]);
    for a in ["null", "pmad", "system"] {
        assert_eq!(samples(&out, a, "alloc"), Some(2000), "{a}");
    }
    assert_eq!(samples(&out, "jemalloc", "alloc"), None);
    let bad = tmp.path().join("bad");
    let err = refused(
        &["--allocator", "pmad,tbb", "--out", bad.to_str().unwrap()],
        &bad,
    );
    assert!(err.contains("unknown allocator 'tbb'"), "{err}");
}

#[test]
fn an_ab_takes_a_library_row_on_both_sides() {
    let tmp = tempfile::tempdir().unwrap();
    let lib = library("counting");
    let out = tmp.path().join("ab");
    let spec = format!("cnt={}", lib.display());
    ok(&[
        "ab",
        "--rounds",
        "5",
        "--workload",
        "hot-path",
        "--ops",
        "2000",
        "--allocator",
        "null",
        "--allocator-lib",
        &spec,
        "--out",
        out.to_str().unwrap(),
        "--no-progress",
    ]);
    let verdicts = std::fs::read_to_string(out.join("verdicts.csv")).unwrap();
    for op in ["alloc", "free"] {
        assert!(
            verdicts.contains(&format!("hot-path 64 B {op} cnt,p50,")),
            "{verdicts}"
        );
    }
    for side in ["baseline", "candidate"] {
        assert_eq!(
            samples(&out.join(side), "cnt", "alloc"),
            Some(2000),
            "{side}"
        );
    }
}
