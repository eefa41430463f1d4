//! The harness binary end to end: a small run's files read back and checked
//! against each other, the never-overwrite rule, and every bad-input case
//! (one line on stderr, exit code 2, nothing written).

use ::harness::results::summary::Row;
use hdrhistogram::serialization::interval_log::{IntervalLogIterator, LogEntry};
use hdrhistogram::serialization::Deserializer;
use hdrhistogram::Histogram;
use std::path::Path;

use crate::common::{harness, ok, WORKLOADS};
use base64::Engine;

fn small(out: &Path, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = [
        "--ops",
        "3000",
        "--blocks",
        "100",
        "--live",
        "500",
        "--no-progress",
        "--out",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.push(out.display().to_string());
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

/// All intervals of an .hlog file, added together.
fn read_hlog(path: &Path) -> (Histogram<u64>, usize) {
    let bytes = std::fs::read(path).unwrap();
    let mut total: Option<Histogram<u64>> = None;
    let mut intervals = 0;
    let mut de = Deserializer::new();
    for entry in IntervalLogIterator::new(&bytes) {
        if let LogEntry::Interval(ilh) =
            entry.unwrap_or_else(|e| panic!("{}: {e:?}", path.display()))
        {
            let raw = base64::engine::general_purpose::STANDARD
                .decode(ilh.encoded_histogram())
                .unwrap();
            let h: Histogram<u64> = de.deserialize(&mut raw.as_slice()).unwrap();
            intervals += 1;
            match total.as_mut() {
                Some(t) => t.add(&h).unwrap(),
                None => total = Some(h),
            }
        }
    }
    (total.expect("at least one interval"), intervals)
}

/// summary.csv, read by the harness's own reader.
fn rows(dir: &Path) -> Vec<Row> {
    let text = std::fs::read(dir.join("summary.csv")).unwrap();
    ::harness::results::summary::from_csv(&text).unwrap()
}

#[test]
fn a_small_run_writes_every_file_and_they_agree() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("results");
    let stdout = ok(&small(&out, &[])).stdout;
    let text = String::from_utf8_lossy(&stdout);
    for w in WORKLOADS {
        assert!(
            text.contains(&format!("\n{w}\n")),
            "no table for {w}:\n{text}"
        );
    }

    let header = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    let fixed = "allocator,workload,op,size,threads,samples,p50_ns,p99_ns,p999_ns,p9999_ns,max_ns,ratio_p999_p50,p50_net_ns,p999_net_ns";
    assert!(
        header.starts_with(fixed),
        "{}",
        header.lines().next().unwrap()
    );

    let rows = rows(&out);
    let allocators = [
        "null", "pmad", "jemalloc", "mimalloc", "tcmalloc", "system", "tlsf", "snmalloc",
    ];
    // Single-threaded alloc/free cases; request-closed adds a request row,
    // request-open has only that; producer-consumer runs without PMAD and
    // TLSF (not applicable, in meta.json and the table).
    let cases = 1 + 17 + 1 + 1 + 2;
    let request_rows = 3 + 1;
    assert_eq!(
        rows.len(),
        allocators.len() * (cases * 2 + request_rows) + (allocators.len() - 2) * 2
    );
    assert!(text.contains("pmad      not applicable: single-threaded by design"));
    for a in allocators {
        assert!(
            rows.iter().any(|r| r.allocator.as_str() == a),
            "no rows for {a}"
        );
    }
    let mut null_faults = Vec::new();
    for r in &rows {
        check_row_files(&out, r);
        if r.allocator.as_str() == "null" {
            null_faults.push(r.minor_faults.unwrap() + r.major_faults.unwrap());
        }
    }

    // The harness writes its own buffers before recording starts, so the
    // empty region takes no page fault in its recorded phases; one fault in
    // all 44 is allowed for the kernel migrating a page under us.
    assert_eq!(null_faults.len(), cases * 2 + request_rows + 2);
    assert!(
        null_faults.iter().sum::<u64>() <= 1,
        "null rows' faults: {null_faults:?} {:?}",
        rows.iter()
            .filter(|r| r.allocator.as_str() == "null")
            .map(|r| (&r.workload, r.size, &r.op, r.minor_faults))
            .collect::<Vec<_>>()
    );

    check_meta(&out, allocators.len(), cases);

    // No temporary file is left behind.
    for entry in walk(&out) {
        assert!(
            !entry.contains(".partial") && !entry.contains("probe"),
            "left behind: {entry}"
        );
    }
}

/// One row of the small run against its .hgrm and .hlog files.
fn check_row_files(out: &Path, r: &Row) {
    let files = if r.threads > 1 {
        format!("{}-t{}", r.workload, r.threads)
    } else {
        r.workload.to_string()
    };
    let stem = format!("{files}-{}-{}", r.size, r.op);
    let hgrm = std::fs::read_to_string(out.join(r.allocator.as_str()).join(format!("{stem}.hgrm")))
        .unwrap();
    let (hlog, intervals) = read_hlog(&out.join(r.allocator.as_str()).join(format!("{stem}.hlog")));
    assert_eq!(hlog.len(), r.samples, "{} {stem}", r.allocator);
    assert_eq!(
        hlog.value_at_quantile(0.5),
        r.p50_ns,
        "{} {stem}",
        r.allocator
    );
    assert_eq!(
        hlog.value_at_quantile(0.999),
        r.p999_ns,
        "{} {stem}",
        r.allocator
    );
    assert_eq!(hlog.max(), r.max_ns, "{} {stem}", r.allocator);
    // The batched phase: every loop on every thread count but the open
    // loop and the closed loop's whole requests, with what one batched
    // operation is.
    let batch_op = match (r.workload.as_str(), r.op.name()) {
        (_, "request") | ("request-open", _) => None,
        ("hot-path" | "size-sweep", _) => Some("alloc+free"),
        ("churn", _) => Some("alloc or free"),
        (_, op) => Some(op),
    };
    assert_eq!(r.batch_op.as_deref(), batch_op, "{} {stem}", r.allocator);
    let batched = batch_op.is_some();
    assert_eq!(r.batch_ops.is_some(), batched, "{} {stem}", r.allocator);
    if batched {
        let (ns, lo, hi) = (
            r.batch_ns_per_op.unwrap(),
            r.batch_ns_per_op_lo.unwrap(),
            r.batch_ns_per_op_hi.unwrap(),
        );
        assert!(
            lo <= ns && ns <= hi,
            "{} {stem}: {lo} {ns} {hi}",
            r.allocator
        );
        assert!(r.batch_ops.unwrap() >= 1);
    }
    assert_eq!(intervals, 20, "every case is cut into 20 windows");
    assert_eq!(r.intervals, Some(20));
    // Every percentile has its interval, in order.
    for (lo, hi) in [(r.p50_lo_ns, r.p50_hi_ns), (r.p9999_lo_ns, r.p9999_hi_ns)] {
        let (lo, hi) = lo.zip(hi).expect("an interval with 20 windows");
        assert!(
            lo <= hi && hi <= r.max_ns,
            "{} {stem}: [{lo}, {hi}]",
            r.allocator
        );
    }
    check_hgrm(&hgrm, &hlog, r, &stem);
    assert_eq!(r.p50_net_ns, r.p50_ns.saturating_sub(r.null_p50_ns));
    assert_eq!(r.ratio_p999_p50_net.is_some(), r.ratio_meaningful);
    if r.allocator.as_str() == "null" {
        assert!(
            !r.ratio_meaningful,
            "the null row measured against itself is never meaningful"
        );
    }
    assert!(
        r.rss_peak_kb.is_some_and(|kb| kb > 0),
        "{} {stem}",
        r.allocator
    );
}

/// The .hgrm holds the same distribution as the .hlog, line by line.
fn check_hgrm(hgrm: &str, hlog: &Histogram<u64>, r: &Row, stem: &str) {
    // The .hgrm holds the same distribution, line by line.
    let mut total_line = None;
    for line in hgrm
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.trim_start().starts_with("Value"))
    {
        let cols: Vec<&str> = line.split_whitespace().collect();
        let value = cols[0].parse::<f64>().unwrap() as u64;
        let q = cols[1].parse::<f64>().unwrap();
        let count = cols[2].parse::<u64>().unwrap();
        // TotalCount is exactly the number of samples up to the value,
        // and the percentile level is reached there.
        assert_eq!(
            count,
            hlog.count_between(0, value),
            "{} {stem}: {line}",
            r.allocator
        );
        assert!(
            count as f64 >= q * r.samples as f64 - 1e-6,
            "{} {stem}: {line}",
            r.allocator
        );
        total_line = Some(count);
    }
    assert_eq!(total_line, Some(r.samples));
}

/// The small run's meta.json: every section, every case, the two
/// allocators not applicable to producer-consumer.
fn check_meta(out: &Path, allocators: usize, cases: usize) {
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("meta.json")).unwrap()).unwrap();
    let run = &meta["runs"][0];
    for key in [
        "machine",
        "timer",
        "build",
        "allocators",
        "cases",
        "command_line",
        "date",
        "process",
        "floor",
    ] {
        assert!(!run[key].is_null(), "meta.json has no {key}");
    }
    assert!(run["timer"]["resolution_ns"].as_f64().unwrap() > 0.0);
    assert_eq!(
        run["cases"].as_array().unwrap().len(),
        allocators * (cases + 2) + allocators - 2
    );
    let skipped: Vec<(&str, &str)> = run["not_applicable"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            assert!(!n["reason"].as_str().unwrap().is_empty());
            (
                n["allocator"].as_str().unwrap(),
                n["workload"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        skipped,
        [("pmad", "producer-consumer"), ("tlsf", "producer-consumer")]
    );
    let pmad_case = run["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["allocator"] == "pmad")
        .unwrap();
    assert_eq!(pmad_case["pmad"]["prefault"], true);
    assert!(run["allocators"]["tcmalloc"]["per_cpu_caches_active"].is_boolean());
}

fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p.display().to_string());
        }
    }
    out
}

#[test]
fn churn_windows_become_hlog_intervals() {
    let dir = tempfile::tempdir().unwrap();
    let churn = |out: &Path| {
        let mut args: Vec<String> = [
            "--workload",
            "churn",
            "--allocator",
            "pmad",
            "--ops",
            "2500000",
            "--size",
            "256",
            "--live",
            "1000",
            "--no-progress",
            "--out",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.push(out.display().to_string());
        ok(&args);
    };
    let out = dir.path().join("r0");
    churn(&out);
    let (h, intervals) = read_hlog(&out.join("pmad/churn-256-alloc.hlog"));
    let (f, _) = read_hlog(&out.join("pmad/churn-256-free.hlog"));
    assert_eq!(intervals, 20, "fewer than 20 windows of 1M ops: 20 of 125k");
    assert_eq!(h.len() + f.len(), 2_500_000);

    // The live set per window: 256-byte blocks, which PMAD serves from its
    // 256-byte class (no internal waste); RSS read at every window's end.
    let mem = std::fs::read_to_string(out.join("pmad/churn-256-memory.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(mem.as_bytes());
    let header = reader.headers().unwrap().clone();
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let num = |r: &csv::StringRecord, n: &str| r[col(n)].parse::<u64>().unwrap();
    assert_eq!(
        records
            .iter()
            .map(|r| num(r, "ops_done"))
            .collect::<Vec<_>>(),
        (1..=20).map(|k| k * 125_000).collect::<Vec<_>>()
    );
    for r in &records {
        let blocks = num(r, "live_blocks");
        assert!(blocks > 0 && blocks <= 1000, "{r:?}");
        assert_eq!(num(r, "requested_bytes"), blocks * 256);
        assert_eq!(num(r, "usable_bytes"), blocks * 256);
        assert_eq!(num(r, "internal_waste_bytes"), 0);
        assert!(num(r, "rss_bytes") > 0);
    }

    // Over 2.5M ops the live set wanders past its warm-up size into blocks
    // never used before: a lazily mapped pool faults there (13 faults when
    // prefault was switched off), the prefaulted one does not. The kernel
    // may migrate any page at any moment and fault it on the next touch, so
    // three runs are allowed, and one must take no fault at all.
    let faults = |out: &Path| -> Vec<(Option<u64>, Option<u64>)> {
        rows(out)
            .iter()
            .filter(|r| r.allocator.as_str() == "pmad")
            .map(|r| (r.minor_faults, r.major_faults))
            .collect()
    };
    let mut seen = vec![faults(&out)];
    for attempt in 1..3 {
        if seen
            .last()
            .unwrap()
            .iter()
            .all(|&f| f == (Some(0), Some(0)))
        {
            return;
        }
        let out = dir.path().join(format!("r{attempt}"));
        churn(&out);
        seen.push(faults(&out));
    }
    assert!(
        seen.last()
            .unwrap()
            .iter()
            .all(|&f| f == (Some(0), Some(0))),
        "faults in every run: {seen:?}"
    );
}

#[test]
fn earlier_results_are_never_overwritten_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let hot = small(&out, &["--workload", "hot-path", "--allocator", "pmad"]);
    ok(&hot);
    let before = std::fs::read(out.join("summary.csv")).unwrap();

    let argv: Vec<&str> = hot.iter().map(String::as_str).collect();
    let again = harness(&argv);
    assert_eq!(again.status.code(), Some(2));
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(
        err.contains("already exists") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(out.join("summary.csv")).unwrap(),
        before,
        "summary.csv changed"
    );

    // Another workload into the same directory adds its rows.
    ok(&small(&out, &["--workload", "bulk", "--allocator", "pmad"]));
    let workloads: std::collections::BTreeSet<String> = rows(&out)
        .into_iter()
        .map(|r| r.workload.to_string())
        .collect();
    assert_eq!(
        workloads.into_iter().collect::<Vec<_>>(),
        ["bulk", "hot-path"]
    );

    // --force replaces the same rows and drops the run that no longer has any.
    let mut forced = hot.clone();
    forced.push("--force".into());
    ok(&forced);
    assert_eq!(
        rows(&out).len(),
        8,
        "2 workloads x 2 allocators (null, pmad) x 2 ops"
    );
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("meta.json")).unwrap()).unwrap();
    assert_eq!(meta["runs"].as_array().unwrap().len(), 2);
}

#[test]
fn bad_input_gets_one_line_exit_2_and_nothing_written() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"x").unwrap();
    let out = dir.path().join("never");
    let out_s = out.display().to_string();
    let under_file = file.join("sub").display().to_string();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--workload", "nope"], "--workload"),
        (vec!["--allocator", "nope"], "--allocator"),
        (vec!["--size", "0"], "--size"),
        (vec!["--size", "65537"], "--size"),
        (vec!["--size", "-5"], "--size"),
        (vec!["--ops", "0"], "--ops"),
        (vec!["--ops", "10000000001"], "--ops"),
        (vec!["--ops", "lots"], "--ops"),
        (vec!["--blocks", "0"], "--blocks"),
        (vec!["--live", "0"], "--live"),
        (vec!["--live", "10000001"], "--live"),
        (vec!["--cpu", "4096"], "--cpu 4096"),
        (vec!["--seed", "-1"], "--seed"),
        (vec!["--no-such-flag"], "--no-such-flag"),
    ];
    for (args, names) in cases {
        let mut argv = args.clone();
        argv.extend(["--out", &out_s]);
        let o = harness(&argv);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(
            err.trim_end().lines().count(),
            1,
            "{args:?}: not one line: {err}"
        );
        assert!(err.contains(names), "{args:?}: {err}");
        assert!(!out.exists(), "{args:?} created --out");
    }
    let o = harness(&["--workload", "hot-path", "--out", &under_file]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--out") && err.trim_end().lines().count() == 1,
        "{err}"
    );
}

#[test]
fn list_names_the_workloads_and_the_compiled_allocators() {
    let o = harness(&["list"]);
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout);
    for name in [
        "hot-path",
        "size-sweep",
        "bulk",
        "reverse-free",
        "churn",
        "pmad",
        "jemalloc",
        "mimalloc",
        "tcmalloc",
        "system",
        "tlsf",
        "snmalloc",
        "null",
    ] {
        assert!(text.contains(name), "{name} missing:\n{text}");
    }
}

#[test]
fn one_directory_collects_one_binary_per_allocator_with_one_null_row_per_case() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    ok(&small(
        &out,
        &["--workload", "hot-path", "--allocator", "pmad"],
    ));
    let null_before = std::fs::read(out.join("null/hot-path-64-alloc.hgrm")).unwrap();
    // A second allocator into the same directory: the null row already there stays.
    ok(&small(
        &out,
        &["--workload", "hot-path", "--allocator", "system"],
    ));
    assert_eq!(
        std::fs::read(out.join("null/hot-path-64-alloc.hgrm")).unwrap(),
        null_before
    );
    let rows = rows(&out);
    let names: Vec<&str> = rows.iter().map(|r| r.allocator.as_str()).collect();
    assert_eq!(
        names.iter().filter(|&&n| n == "null").count(),
        2,
        "one null row per op: {names:?}"
    );
    assert_eq!(names.iter().filter(|&&n| n == "pmad").count(), 2);
    assert_eq!(names.iter().filter(|&&n| n == "system").count(), 2);
    // The second run's own floor is used for its net figures and kept in meta.json.
    let meta: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("meta.json")).unwrap()).unwrap();
    let runs = meta["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    let second_null = runs[1]["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["allocator"] == "null")
        .unwrap();
    assert_eq!(second_null["null_files_kept_from_earlier_run"], true);
    let system = rows
        .iter()
        .find(|r| r.allocator.as_str() == "system" && r.op.name() == "alloc")
        .unwrap();
    assert_eq!(
        Some(system.null_p50_ns),
        second_null["p50_ns"]["alloc"].as_u64()
    );
    // The same allocator again is still refused.
    let argv = small(&out, &["--workload", "hot-path", "--allocator", "system"]);
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    assert_eq!(harness(&argv).status.code(), Some(2));
}

#[test]
fn syscalls_are_counted_per_phase_and_pmad_tlsf_and_null_make_none() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let strace = std::process::Command::new("strace").arg("-V").output();
    if !strace.is_ok_and(|o| o.status.success()) {
        // strace is optional for users: without it --syscalls must refuse,
        // naming what to install, and write nothing.
        let out_s = out.display().to_string();
        let o = harness(&[
            "--workload",
            "bulk",
            "--ops",
            "10",
            "--syscalls",
            "--out",
            &out_s,
        ]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains("apt-get install strace"), "{err}");
        assert!(!out.exists());
        assert!(
            std::env::var_os("CI").is_none(),
            "CI installs strace (.ci/run): the syscall count must be tested there"
        );
        eprintln!("skipped: counting syscalls needs strace (apt-get install strace); checked that --syscalls refuses without it");
        return;
    }
    // Bulk rounds of 20,000 blocks of 1 KiB: glibc gives the top of its heap
    // back after each round and takes it again (brk), the control that shows
    // the trace counts what an allocator does.
    for allocator in ["pmad", "tlsf", "system"] {
        let mut args: Vec<String> = [
            "--workload",
            "bulk",
            "--size",
            "1024",
            "--blocks",
            "20000",
            "--ops",
            "40000",
            "--syscalls",
            "--no-progress",
            "--allocator",
            allocator,
            "--out",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.push(out.display().to_string());
        ok(&args);
    }
    let text = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (a, c, names) = (col("allocator"), col("syscalls"), col("syscalls_by_name"));
    let mut seen = 0;
    for rec in reader.records() {
        let rec = rec.unwrap();
        let calls: u64 = rec[c].parse().unwrap_or_else(|_| panic!("{rec:?}"));
        match &rec[a] {
            "pmad" | "tlsf" | "null" => {
                assert_eq!(calls, 0, "{rec:?}");
                assert_eq!(&rec[names], "none");
            }
            "system" => {
                assert!(calls > 0, "glibc should brk: {rec:?}");
                assert!(rec[names].contains("brk="), "{rec:?}");
            }
            other => panic!("unexpected allocator {other}"),
        }
        seen += 1;
    }
    assert_eq!(seen, 8, "alloc and free rows of null, pmad, tlsf, system");

    // Without --syscalls the columns stay empty: not counted is not zero.
    let plain = dir.path().join("plain");
    let args = small(&plain, &["--workload", "hot-path", "--allocator", "pmad"]);
    ok(&args);
    let text = std::fs::read_to_string(plain.join("summary.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().unwrap().clone();
    let c = header.iter().position(|h| h == "syscalls").unwrap();
    for rec in reader.records() {
        assert_eq!(&rec.unwrap()[c], "");
    }
}

#[test]
fn threads_run_hot_path_and_churn_at_once_and_keep_each_threads_histograms() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("t");
    let o = out.to_str().unwrap();
    for workload in ["hot-path", "churn"] {
        ok(&[
            "--workload",
            workload,
            "--threads",
            "2",
            "--ops",
            "20000",
            "--live",
            "300",
            "--allocator",
            "pmad",
            "--no-progress",
            "--out",
            o,
        ]
        .map(String::from));
    }
    let text = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().unwrap().clone();
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    // hot-path: 1 case; churn: 1024 B and mixed; null and pmad; alloc and free.
    assert_eq!(records.len(), (1 + 2) * 2 * 2);
    for r in &records {
        assert_eq!(&r[col("threads")], "2", "{r:?}");
        let samples: u64 = r[col("samples")].parse().unwrap();
        let (workload, size, op) = (&r[col("workload")], &r[col("size")], &r[col("op")]);
        if workload == "hot-path" {
            // Every thread runs the whole case: 20,000 pairs each.
            assert_eq!(samples, 2 * 20_000, "{r:?}");
        }
        // The merged histogram is the sum of the two threads' own files.
        let a = &r[col("allocator")];
        let per_thread: u64 = (0..2)
            .map(|i| {
                let path = out.join(format!("{a}/{workload}-t2-thread{i}-{size}-{op}.hgrm"));
                let text =
                    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
                let total = text
                    .lines()
                    .find_map(|l| l.strip_prefix("#[Max"))
                    .and_then(|l| l.rsplit('=').next())
                    .unwrap()
                    .trim()
                    .trim_end_matches(']')
                    .trim()
                    .parse::<u64>()
                    .unwrap();
                assert!(total > 0);
                total
            })
            .sum();
        assert_eq!(per_thread, samples, "{r:?}");
        assert!(out
            .join(format!("{a}/{workload}-t2-{size}-{op}.hgrm"))
            .is_file());
        assert!(out
            .join(format!("{a}/{workload}-t2-{size}-{op}.hlog"))
            .is_file());
    }
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("meta.json")).unwrap()).unwrap();
    assert!(meta["runs"][0]["cases"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["threads"] == 2));

    // --threads applies to hot-path and churn only, and must be 1 to 64.
    for args in [
        vec!["--workload", "bulk", "--threads", "2"],
        vec!["--threads", "0"],
        vec!["--threads", "65"],
    ] {
        let bad = dir.path().join("bad");
        let mut argv = args.clone();
        argv.extend(["--out", bad.to_str().unwrap()]);
        let res = harness(&argv);
        assert_eq!(res.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&res.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("--threads"), "{err}");
        assert!(!bad.exists());
    }
}

/// Without `--out`, a run writes a fresh directory of its own, never the
/// committed results/<host> of the directory it runs in, and says where and
/// how to plot it; two runs never share one.
#[test]
fn a_run_without_out_writes_a_fresh_directory_and_never_touches_results() {
    let cwd = tempfile::tempdir().unwrap();
    // A checkout's committed results, as on a host named like their directory.
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let committed = cwd.path().join("results").join(host.trim());
    std::fs::create_dir_all(&committed).unwrap();
    std::fs::write(committed.join("summary.csv"), "committed\n").unwrap();

    let run = || {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_harness"))
            .args([
                "--workload",
                "hot-path",
                "--allocator",
                "null",
                "--ops",
                "1000",
            ])
            .arg("--no-progress")
            .current_dir(cwd.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8(out.stdout).unwrap();
        let dir = stdout
            .lines()
            .find_map(|l| l.strip_prefix("results: "))
            .expect("the run names its results directory")
            .trim()
            .to_string();
        let dir = cwd.path().join(dir);
        assert!(dir.join("summary.csv").is_file(), "{}", dir.display());
        let plots = dir.join("plots");
        let plot = format!("plot --results {} --out {}", dir.display(), plots.display());
        assert!(stdout.contains(&plot), "no plot command in:\n{stdout}");
        let report = format!(
            "report --results {} --plots {}",
            dir.display(),
            plots.display()
        );
        assert!(stdout.contains(&report), "no report command in:\n{stdout}");
        dir
    };
    let first = run();
    let second = run();
    assert_ne!(first, second, "each run gets its own directory");
    assert_eq!(
        std::fs::read_dir(&committed).unwrap().count(),
        1,
        "results/<host> is untouched"
    );
    assert_eq!(
        std::fs::read_to_string(committed.join("summary.csv")).unwrap(),
        "committed\n"
    );
    for dir in [first, second] {
        assert!(!dir.starts_with(cwd.path().join("results")));
        std::fs::remove_dir_all(dir).unwrap();
    }
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// `kill -9` mid-run leaves partial files but no half-written final file,
/// and the next run into the same directory removes them and succeeds.
#[test]
fn a_killed_run_leaves_no_half_written_file_and_the_next_run_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_harness"))
        .args([
            "--workload",
            "churn",
            "--allocator",
            "null",
            "--ops",
            "2000000000",
        ])
        .args(["--live", "1000", "--no-progress", "--out"])
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let is_partial = |p: &Path| p.to_string_lossy().contains(".partial-");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !files_under(&out).iter().any(|p| is_partial(p)) {
        assert!(
            std::time::Instant::now() < deadline,
            "no partial file within 60 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let left = files_under(&out);
    assert!(left.iter().any(|p| is_partial(p)), "{left:?}");
    // A final name exists only for a finished file: none is there yet.
    let finals: Vec<_> = left.iter().filter(|p| !is_partial(p)).collect();
    assert!(
        finals.is_empty(),
        "final files from a killed run: {finals:?}"
    );

    let o = harness(&[
        "--workload",
        "hot-path",
        "--allocator",
        "null",
        "--ops",
        "1000",
        "--no-progress",
        "--out",
        out.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("removed ") && err.contains("partial file"),
        "{err}"
    );
    let after = files_under(&out);
    assert!(!after.iter().any(|p| is_partial(p)), "{after:?}");
    assert!(out.join("summary.csv").is_file());
}
