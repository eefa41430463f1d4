//! `harness plot` and `harness report` on a small results directory made by
//! the harness itself: every expected chart exists as a PNG that decodes at
//! its size and shows each allocator's colour, with an SVG beside it; the
//! report has one table row per allocator, workload, size and op, and its
//! image links resolve; bad input fails with one line and exit code 2.

use ::harness::results::summary::Row;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::common::{harness, ok, WORKLOADS};

/// A small run of every workload, plus a churn case long enough for three
/// windows, so every chart kind has data.
fn results(dir: &Path) -> PathBuf {
    let out = dir.join("results");
    let o = out.to_str().unwrap();
    ok(&[
        "--ops",
        "3000",
        "--blocks",
        "100",
        "--live",
        "500",
        "--no-progress",
        "--out",
        o,
    ]);
    ok(&[
        "--workload",
        "churn",
        "--size",
        "256",
        "--ops",
        "2500000",
        "--live",
        "1000",
        "--no-progress",
        "--out",
        o,
    ]);
    out
}

/// summary.csv, read by the harness's own reader.
fn rows(dir: &Path) -> Vec<Row> {
    let text = std::fs::read(dir.join("summary.csv")).unwrap();
    ::harness::results::summary::from_csv(&text).unwrap()
}

fn size_label(size: usize) -> String {
    if size == 0 {
        "mixed 16-4096 B".into()
    } else {
        format!("{size} B")
    }
}

/// Width, height and the set of colours of a PNG.
fn decode(path: &Path) -> (u32, u32, BTreeSet<[u8; 3]>) {
    let file = std::fs::File::open(path).unwrap();
    let mut reader = png::Decoder::new(std::io::BufReader::new(file))
        .read_info()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb, "{}", path.display());
    let colours = buf[..info.buffer_size()]
        .chunks_exact(3)
        .map(|p| [p[0], p[1], p[2]])
        .collect();
    (info.width, info.height, colours)
}

/// Each allocator's colour in the charts (render/style.rs).
fn colour(allocator: &str) -> [u8; 3] {
    match allocator {
        "null" => [0x88, 0x88, 0x88],
        "pmad" => [0xD5, 0x5E, 0x00],
        "jemalloc" => [0x00, 0x72, 0xB2],
        "mimalloc" => [0x00, 0x9E, 0x73],
        "tcmalloc" => [0xE6, 0x9F, 0x00],
        "system" => [0xCC, 0x79, 0xA7],
        "tlsf" => [0x56, 0xB4, 0xE9],
        "snmalloc" => [0x5D, 0x3A, 0x9B],
        other => panic!("no colour for {other}"),
    }
}

#[test]
fn plot_and_report_render_every_chart_and_row_from_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let res = results(dir.path());
    let plots = dir.path().join("plots");
    let stdout = ok(&[
        "plot",
        "--results",
        res.to_str().unwrap(),
        "--out",
        plots.to_str().unwrap(),
    ])
    .stdout;
    assert!(String::from_utf8_lossy(&stdout).contains("charts"));

    let rows = rows(&res);
    let allocators: BTreeSet<&str> = rows.iter().map(|r| r.allocator.as_str()).collect();
    assert_eq!(allocators.len(), 8, "{allocators:?}");
    let mut expected: Vec<(String, (u32, u32))> = vec![
        // With the batched cost beside the per-op panels.
        ("hot-path".into(), (2300, 800)),
        ("size-sweep".into(), (1600, 2000)),
        // Every churn case has its windows now (at least 20 of them).
        ("churn-windows-0-alloc".into(), (1400, 1100)),
        ("churn-windows-0-free".into(), (1400, 1100)),
        ("churn-windows-256-alloc".into(), (1400, 1100)),
        ("churn-windows-256-free".into(), (1400, 1100)),
        ("churn-windows-1024-alloc".into(), (1400, 1100)),
        ("churn-windows-1024-free".into(), (1400, 1100)),
        ("churn-memory-256".into(), (1400, 1100)),
        ("churn-memory-1024".into(), (1400, 1100)),
        ("churn-memory-0".into(), (1400, 1100)),
        ("request-latency".into(), (2800, 900)),
    ];
    let cases: BTreeSet<(String, usize, String)> = rows
        .iter()
        .map(|r| (r.workload.to_string(), r.size, r.op.to_string()))
        .collect();
    for (w, s, op) in &cases {
        // producer-consumer runs on 2 threads: its files say so.
        let w = if w == "producer-consumer" {
            format!("{w}-t2")
        } else {
            w.clone()
        };
        expected.push((format!("percentiles-{w}-{s}-{op}"), (1400, 900)));
    }
    let found: BTreeSet<String> = std::fs::read_dir(&plots)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let wanted: BTreeSet<String> = expected
        .iter()
        .flat_map(|(n, _)| [format!("{n}.png"), format!("{n}.svg")])
        .collect();
    assert_eq!(
        found, wanted,
        "the plots directory holds exactly the charts"
    );

    for (name, size) in &expected {
        let (w, h, colours) = decode(&plots.join(format!("{name}.png")));
        assert_eq!((w, h), *size, "{name}.png");
        assert!(colours.len() > 20, "{name}.png looks blank");
        // Every allocator drawn in a line or bar chart shows in its own colour
        // (the hot-path chart draws null as a floor line, in grey).
        if name.starts_with("percentiles")
            || name.starts_with("churn-memory")
            || name == "hot-path"
            || name == "size-sweep"
            || name == "request-latency"
        {
            for a in &allocators {
                // Single-threaded pools cannot take cross-thread frees.
                if name.contains("producer-consumer") && (*a == "pmad" || *a == "tlsf") {
                    continue;
                }
                assert!(colours.contains(&colour(a)), "{name}.png: no {a} colour");
            }
        }
        let svg = std::fs::read_to_string(plots.join(format!("{name}.svg"))).unwrap();
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    }

    check_report(&res, &plots, &rows);
}

/// REPORT.md rendered from the files: a section per workload, each row in
/// its section once, every image link a file.
fn check_report(res: &Path, plots: &Path, rows: &[Row]) {
    ok(&[
        "report",
        "--results",
        res.to_str().unwrap(),
        "--plots",
        plots.to_str().unwrap(),
    ]);
    let report = std::fs::read_to_string(res.join("REPORT.md")).unwrap();
    let section = |w: &str| -> String {
        let start = report
            .find(&format!("\n## {w}\n"))
            .unwrap_or_else(|| panic!("no section for {w}"));
        let rest = &report[start + 1..];
        let end = rest[3..].find("\n## ").map_or(rest.len(), |e| e + 3);
        rest[..end].to_string()
    };
    for w in WORKLOADS {
        section(w);
    }
    // PMAD and TLSF are in the producer-consumer table, with the reason.
    for a in ["pmad", "tlsf"] {
        let line = format!("| 64 B | alloc, free | {a} | not applicable: ");
        assert!(section("producer-consumer").contains(&line), "{line}");
    }
    for r in rows {
        let line = format!("| {} | {} | {} |", size_label(r.size), r.op, r.allocator);
        let n = section(r.workload.as_str())
            .lines()
            .filter(|l| l.starts_with(&line))
            .count();
        assert_eq!(
            n, 1,
            "{line} appears {n} times in the {} section",
            r.workload
        );
    }
    let links: Vec<&str> = report
        .lines()
        .filter_map(|l| l.strip_prefix("!["))
        .filter_map(|l| l.split("](").nth(1))
        .map(|l| l.trim_end_matches(')'))
        .collect();
    assert!(links.len() >= 8, "{links:?}");
    for link in links {
        assert!(res.join(link).is_file(), "broken image link {link}");
    }
    assert!(!report.contains("is not in the plots directory"));
}

#[test]
fn a_report_without_plots_says_so_and_bad_input_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let res = dir.path().join("results");
    ok(&[
        "--workload",
        "hot-path",
        "--ops",
        "2000",
        "--no-progress",
        "--out",
        res.to_str().unwrap(),
    ]);
    let empty = dir.path().join("no-plots");
    ok(&[
        "report",
        "--results",
        res.to_str().unwrap(),
        "--plots",
        empty.to_str().unwrap(),
    ]);
    let report = std::fs::read_to_string(res.join("REPORT.md")).unwrap();
    assert!(report.contains("hot-path.png is not in the plots directory; run `harness plot`"));

    let missing = dir.path().join("nothing-here");
    let target = dir.path().join("plots-out");
    for args in [
        vec![
            "plot",
            "--results",
            missing.to_str().unwrap(),
            "--out",
            target.to_str().unwrap(),
        ],
        vec!["report", "--results", missing.to_str().unwrap()],
    ] {
        let out = harness(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("summary.csv"), "{err}");
    }
    assert!(!target.exists(), "nothing is written on bad input");

    // A summary.csv that is not the harness's is named with the problem.
    std::fs::write(res.join("summary.csv"), "a,b\n1,2\n").unwrap();
    let out = harness(&[
        "plot",
        "--results",
        res.to_str().unwrap(),
        "--out",
        target.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("summary.csv"), "{err}");
    assert!(!target.exists());
}

/// A cut-short .hlog (a killed copy, a partial download) is named with the
/// file, the line and what probably happened, in one sentence: not a debug dump.
#[test]
fn a_truncated_hlog_is_named_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let res = dir.path().join("results");
    ok(&[
        "--workload",
        "churn",
        "--size",
        "256",
        "--ops",
        "20000",
        "--live",
        "500",
        "--allocator",
        "pmad",
        "--no-progress",
        "--out",
        res.to_str().unwrap(),
    ]);
    let hlog = res.join("pmad").join("churn-256-alloc.hlog");
    let text = std::fs::read_to_string(&hlog).unwrap();
    // Cut inside the first interval line (the first line not starting with '#').
    let first = text.lines().position(|l| !l.starts_with('#')).unwrap();
    let keep: usize = text.lines().take(first).map(|l| l.len() + 1).sum::<usize>() + 20;
    std::fs::write(&hlog, &text.as_bytes()[..keep]).unwrap();
    let target = dir.path().join("plots");
    let out = harness(&[
        "plot",
        "--results",
        res.to_str().unwrap(),
        "--out",
        target.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("churn-256-alloc.hlog: line "), "{err}");
    assert!(err.contains("cut short"), "{err}");
    assert!(!err.contains("ParseError"), "{err}");
}
