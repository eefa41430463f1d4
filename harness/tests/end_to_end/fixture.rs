//! The committed fixture (tests/fixture: a small run's results, and the
//! charts and REPORT.md rendered from them) re-renders byte for byte, and
//! its summary.csv re-derives from its .hlog files. CI makes the same
//! checks on the published results; this makes them on every `cargo test`,
//! so a change to a renderer or to a summary column that the raw files do
//! not bear out fails here first. Regenerate with tests/fixture/make.sh.

use crate::common::{harness, ok};
use std::path::{Path, PathBuf};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixture")
}

/// Every file under `dir`, relative to it, sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else {
                out.push(path.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    out.sort();
    out
}

fn copy_dir(from: &Path, to: &Path) {
    for rel in files(from) {
        let dest = to.join(&rel);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(from.join(&rel), dest).unwrap();
    }
}

#[test]
fn the_fixture_re_renders_byte_for_byte() {
    let (results, plots) = (fixture().join("results"), fixture().join("plots"));
    let out = tempfile::tempdir().unwrap();
    let fresh = out.path().join("plots");
    ok(&[
        "plot",
        "--results",
        results.to_str().unwrap(),
        "--out",
        fresh.to_str().unwrap(),
    ]);
    assert_eq!(files(&fresh), files(&plots), "the same charts");
    for rel in files(&plots) {
        let (a, b) = (
            std::fs::read(fresh.join(&rel)).unwrap(),
            std::fs::read(plots.join(&rel)).unwrap(),
        );
        assert!(a == b, "{} renders differently", rel.display());
    }
    ok(&[
        "report",
        "--results",
        results.to_str().unwrap(),
        "--plots",
        plots.to_str().unwrap(),
        "--check",
    ]);
}

#[test]
fn the_fixture_summary_re_derives_from_its_hlog_files() {
    let results = fixture().join("results");
    let out = ok(&["verify", "--results", results.to_str().unwrap()]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("rows of summary.csv re-derive"), "{said}");

    // The same check on a copy with one figure edited fails, naming it.
    let copy = tempfile::tempdir().unwrap();
    copy_dir(&results, copy.path());
    let csv_path = copy.path().join("summary.csv");
    let mut csv = csv::Reader::from_path(&csv_path).unwrap();
    let headers = csv.headers().unwrap().clone();
    let mut records: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    let p999 = headers.iter().position(|h| h == "p999_ns").unwrap();
    let edited: Vec<String> = records[0]
        .iter()
        .enumerate()
        .map(|(i, v)| {
            if i == p999 {
                format!("{}", v.parse::<u64>().unwrap() + 1)
            } else {
                v.to_string()
            }
        })
        .collect();
    records[0] = csv::StringRecord::from(edited);
    let mut w = csv::Writer::from_path(&csv_path).unwrap();
    w.write_record(&headers).unwrap();
    for r in &records {
        w.write_record(r).unwrap();
    }
    w.flush().unwrap();
    drop(w);
    let out = harness(&["verify", "--results", copy.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains(": p999_ns: summary.csv has"), "{said}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("1 of"),
        "{out:?}"
    );

    // A directory that is not results: exit 2, named.
    let empty = tempfile::tempdir().unwrap();
    let out = harness(&["verify", "--results", empty.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("summary.csv"),
        "{out:?}"
    );
}

#[test]
fn a_misspelt_allocator_or_workload_name_fails_to_load_naming_the_line() {
    let results = fixture().join("results");
    for (from, to) in [(",hot-path,", ",hot-pth,"), ("null,", "nul,")] {
        let copy = tempfile::tempdir().unwrap();
        copy_dir(&results, copy.path());
        let csv_path = copy.path().join("summary.csv");
        let text = std::fs::read_to_string(&csv_path).unwrap();
        let (head, rest) = text.split_once('\n').unwrap();
        let (first, others) = rest.split_once('\n').unwrap();
        assert!(first.contains(from), "{first}");
        let edited = format!("{head}\n{}\n{others}", first.replacen(from, to, 1));
        std::fs::write(&csv_path, edited).unwrap();
        let out = harness(&[
            "report",
            "--results",
            copy.path().to_str().unwrap(),
            "--check",
        ]);
        assert_eq!(out.status.code(), Some(2), "{out:?}");
        let said = String::from_utf8_lossy(&out.stderr);
        let bad = to.trim_matches(',');
        assert!(
            said.contains("line: 2") && said.contains(&format!("`{bad}`")),
            "{said}"
        );
    }
}
