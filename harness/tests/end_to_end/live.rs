//! `harness live` on programs nobody here wrote (perl) and on small C
//! programs built here: every call the program makes is timed, on every
//! thread, as an independent counter preloaded in front of the shim counts
//! them; fork, `_exit`, `abort` and `exec` lose nothing; the results are a
//! run's (verify, report); bad input exits 2.

use crate::common::{c_build, harness};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The shim, and the recorder PMAD's sizing pass runs (`common`).
fn shim() -> PathBuf {
    let lib = crate::common::preload_libraries().join("liblive_shim.so");
    assert!(lib.is_file(), "{} missing", lib.display());
    lib
}

/// `harness live --shim S ARGS -- sh -c 'LD_PRELOAD=counter:... exec CMD'`,
/// the counter writing into `counts`.
fn live_counted(dir: &Path, args: &[&str], cmd: &str) -> Output {
    let counter = c_build("live", "count_calls", true);
    let counts = dir.join("counts");
    std::fs::create_dir_all(&counts).unwrap();
    let shim = shim();
    let script = format!("LD_PRELOAD=\"$COUNTER:$LD_PRELOAD\" exec {cmd}");
    let mut all: Vec<&str> = vec!["live", "--shim", shim.to_str().unwrap()];
    all.extend(args);
    all.extend(["--", "sh", "-c", &script]);
    Command::new(env!("CARGO_BIN_EXE_harness"))
        .args(&all)
        .env("COUNTER", &counter)
        .env("COUNT_CALLS_DIR", &counts)
        .output()
        .expect("run the harness")
}

fn meta(out: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("meta.json")).unwrap()).unwrap()
}

/// The live cases of `workload` in meta.json (one per allocator).
fn cases<'a>(m: &'a Value, workload: &str) -> Vec<&'a Value> {
    m["runs"][0]["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["workload"] == workload && c["allocator"] != "null")
        .collect()
}

/// The counter's six counts for process `pid`.
fn counted(dir: &Path, pid: u64) -> [u64; 6] {
    let b = std::fs::read(dir.join("counts").join(pid.to_string()))
        .unwrap_or_else(|e| panic!("no counts for pid {pid}: {e}"));
    let mut c = [0; 6];
    for (i, v) in c.iter_mut().enumerate() {
        *v = u64::from_ne_bytes(b[8 * i..8 * i + 8].try_into().unwrap());
    }
    c
}

/// Each image's timed + untimed calls per op equal the counter's.
fn check_image_counts(dir: &Path, image: &Value) {
    let pid = image["pid"].as_u64().unwrap();
    let c = counted(dir, pid);
    let get = |m: &Value, op: &str| m.get(op).and_then(Value::as_u64).unwrap_or(0);
    for (k, op) in ["alloc", "free", "calloc", "realloc", "aligned"]
        .iter()
        .enumerate()
    {
        let shim = get(&image["timed"], op) + get(&image["untimed"], op);
        assert_eq!(
            shim, c[k],
            "pid {pid} {op}: the shim saw {shim}, the counter {}",
            c[k]
        );
    }
}

/// summary.csv's samples of (allocator, workload, op).
fn samples(out: &Path, allocator: &str, workload: &str, op: &str) -> Option<u64> {
    let text = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    let mut lines = text.lines();
    let head: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |n: &str| head.iter().position(|h| *h == n).unwrap();
    lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find_map(|f| {
            (f[col("allocator")] == allocator
                && f[col("workload")] == workload
                && f[col("op")] == op)
                .then(|| f[col("samples")].parse().unwrap())
        })
}

const PERL: &str = r#"perl -e 'my %h; for my $i (1..30000) { $h{$i} = join(",", ($i) x ($i % 7)) } my @k = sort { $a <=> $b } keys %h; my $s = join("", map { $h{$_} } @k[0..999]); $s =~ s/,/;/g; print length($s), "\n"'"#;

#[test]
fn perls_calls_equal_an_independent_counters_on_each_allocator() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("live");
    let run = live_counted(
        dir.path(),
        &[
            "--allocator",
            "system,jemalloc,mimalloc",
            "--out",
            out.to_str().unwrap(),
        ],
        PERL,
    );
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{err}");
    let m = meta(&out);
    let perl = cases(&m, "live-perl");
    let names: Vec<&str> = perl
        .iter()
        .map(|c| c["allocator"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["system", "jemalloc", "mimalloc"]);
    for c in &perl {
        let live = &c["live"];
        assert_eq!(live["exit_status"], "exit 0");
        let images = live["images"].as_array().unwrap();
        assert_eq!(images.len(), 1, "{live}");
        check_image_counts(dir.path(), &images[0]);
        let a = c["allocator"].as_str().unwrap();
        let timed = live["timed"]["alloc"].as_u64().unwrap();
        assert!(timed > 30_000, "{a}: {timed} mallocs");
        assert_eq!(samples(&out, a, "live-perl", "alloc"), Some(timed), "{a}");
        assert!(live["wall_seconds_without_shim"].as_f64().unwrap() > 0.0);
        assert!(live["shim_null_p50_ns"]["alloc"].as_u64().unwrap() > 0);
    }
    // The shell the command started is its own workload (perl is what it exec'd).
    assert!(
        samples(&out, "system", "live-sh", "alloc").is_some()
            || samples(&out, "system", "live-dash", "alloc").is_some()
            || samples(&out, "system", "live-bash", "alloc").is_some()
    );
    assert!(
        samples(&out, "null", "live-perl", "alloc").is_some(),
        "no null row"
    );
    let v = harness(&["verify", "--results", out.to_str().unwrap()]);
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stderr));
    let plots = dir.path().join("plots");
    let r = harness(&[
        "report",
        "--results",
        out.to_str().unwrap(),
        "--plots",
        plots.to_str().unwrap(),
    ]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
}

#[test]
fn every_thread_of_a_threaded_program_is_timed() {
    let dir = tempfile::tempdir().unwrap();
    let prog = c_build("live", "threads", false);
    let out = dir.path().join("live");
    let run = live_counted(
        dir.path(),
        &[
            "--allocator",
            "system,jemalloc",
            "--out",
            out.to_str().unwrap(),
        ],
        prog.to_str().unwrap(),
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let m = meta(&out);
    for c in cases(&m, "live-threads") {
        let live = &c["live"];
        assert_eq!(live["threads"], 5, "{live}");
        check_image_counts(dir.path(), &live["images"][0]);
        // 4 x 1000 + 500 pairs and 40 callocs are the program's own.
        assert!(live["timed"]["alloc"].as_u64().unwrap() >= 4_500, "{live}");
        assert!(live["timed"]["calloc"].as_u64().unwrap() >= 40, "{live}");
    }
}

#[test]
fn fork_exit_and_abort_lose_nothing_and_follow_times_the_child() {
    let dir = tempfile::tempdir().unwrap();
    let prog = c_build("live", "fork_abort", false);
    for follow in [false, true] {
        let out = dir.path().join(format!("live-{follow}"));
        let mut args = vec!["--allocator", "mimalloc", "--out", out.to_str().unwrap()];
        if follow {
            args.push("--follow");
        }
        let run = live_counted(dir.path(), &args, prog.to_str().unwrap());
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        let m = meta(&out);
        let c = cases(&m, "live-fork-abort");
        assert_eq!(c.len(), 1);
        let live = &c[0]["live"];
        assert_eq!(live["exit_status"], "signal 6 (SIGABRT)");
        let images = live["images"].as_array().unwrap();
        assert_eq!(images.len(), if follow { 2 } else { 1 }, "{live}");
        for i in images {
            assert_eq!(i["exited"], false, "{i}");
            check_image_counts(dir.path(), i);
        }
        let parent = images
            .iter()
            .find(|i| i["timed"]["alloc"].as_u64().unwrap() >= 500)
            .unwrap();
        assert!(parent["timed"]["alloc"].as_u64().unwrap() < 700, "{parent}");
        if follow {
            let child = images.iter().find(|i| i["pid"] != parent["pid"]).unwrap();
            assert!(child["timed"]["alloc"].as_u64().unwrap() >= 700, "{child}");
            assert_eq!(child["ppid"], parent["pid"]);
        }
    }
}

#[test]
fn pmad_and_tlsf_serve_a_single_threaded_program_sized_by_a_recorded_pass() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("live");
    let run = live_counted(
        dir.path(),
        &["--allocator", "pmad", "--out", out.to_str().unwrap()],
        PERL,
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let m = meta(&out);
    let c = cases(&m, "live-perl");
    assert_eq!(c.len(), 1);
    let live = &c[0]["live"];
    assert_eq!(live["exit_status"], "exit 0");
    check_image_counts(dir.path(), &live["images"][0]);
    let pool = &m["runs"][0]["allocators"]["pmad"]["pool"];
    let (peak, blocks) = (
        pool["peak_live_blocks_in_the_pass"].as_array().unwrap(),
        pool["blocks"].as_array().unwrap(),
    );
    assert!(!peak.is_empty() && peak.len() == blocks.len(), "{pool}");
    assert!(
        peak.iter()
            .zip(blocks)
            .all(|(p, b)| b.as_u64() > p.as_u64()),
        "{pool}"
    );
    assert!(samples(&out, "pmad", "live-perl", "alloc").unwrap() > 30_000);

    // A program on five threads: PMAD serves one, and says so.
    let prog = c_build("live", "threads", false);
    let out = dir.path().join("threads-live");
    let run = live_counted(
        dir.path(),
        &[
            "--allocator",
            "system,pmad,tlsf",
            "--out",
            out.to_str().unwrap(),
        ],
        prog.to_str().unwrap(),
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let m = meta(&out);
    let na = m["runs"][0]["not_applicable"].as_array().unwrap();
    let why = na
        .iter()
        .find(|n| n["allocator"] == "pmad")
        .expect("pmad not applicable");
    assert!(
        why["reason"].as_str().unwrap().contains("5 threads"),
        "{why}"
    );
    assert!(samples(&out, "pmad", "live-threads", "alloc").is_none());
}

#[test]
fn bad_input_is_refused_with_exit_2_and_nothing_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x");
    let o = out.to_str().unwrap();
    let no_shim = harness(&[
        "live",
        "--shim",
        "/nonexistent/liblive_shim.so",
        "--out",
        o,
        "--",
        "true",
    ]);
    assert_eq!(no_shim.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_shim.stderr).contains("cargo build --release -p live-shim"));
    let shim = shim();
    let s = shim.to_str().unwrap();
    for (args, says) in [
        (vec!["--allocator", "pmad"], "none of these can serve"),
        (
            vec!["--allocator", "nosuch"],
            "`nosuch` is not an allocator",
        ),
        (
            vec!["--allocator-lib", "x=/nonexistent.so"],
            "/nonexistent.so",
        ),
    ] {
        let mut all = vec!["live", "--shim", s, "--out", o];
        all.extend(args);
        all.extend(["--", "true"]);
        let r = harness(&all);
        assert_eq!(r.status.code(), Some(2), "{all:?}");
        assert!(
            String::from_utf8_lossy(&r.stderr).contains(says),
            "{}",
            String::from_utf8_lossy(&r.stderr)
        );
        assert!(!out.join("summary.csv").exists());
    }
    let r = harness(&[
        "live",
        "--shim",
        s,
        "--out",
        o,
        "--",
        "/nonexistent/program",
    ]);
    assert_eq!(
        r.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    assert!(!out.join("summary.csv").exists());
}

#[test]
fn a_command_that_allocates_only_in_a_child_is_said_so() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x");
    let shim = shim();
    // The shell runs two commands, so `true`'s processes are its children.
    let r = harness(&[
        "live",
        "--shim",
        shim.to_str().unwrap(),
        "--allocator",
        "system",
        "--out",
        out.to_str().unwrap(),
        "--",
        "/bin/sh",
        "-c",
        "/bin/true; /bin/true",
    ]);
    let err = String::from_utf8_lossy(&r.stderr);
    if r.status.success() {
        // The shell allocated itself: then its own calls are the rows.
        assert!(out.join("summary.csv").exists());
    } else {
        assert!(err.contains("not timed without --follow"), "{err}");
        assert!(!out.join("summary.csv").exists());
    }
}
