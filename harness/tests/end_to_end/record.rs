//! `harness record` on a small C program built here: the trace holds
//! exactly the calls the program makes, and the command's exit status is
//! passed on; a truncated trace is refused with exit 2; the trace replayed
//! makes exactly those calls again.

use crate::common::harness;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The recorder library (`common`).
fn tracer() -> PathBuf {
    let lib = crate::common::preload_libraries().join("libtracer.so");
    assert!(lib.is_file(), "{} missing", lib.display());
    lib
}

/// `harness record --tracer LIB --out OUT -- COMMAND...`.
fn record(lib: &Path, out: &Path, command: &[&str]) -> std::process::Output {
    let mut args = vec![
        "record",
        "--tracer",
        lib.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--",
    ];
    args.extend_from_slice(command);
    harness(&args)
}

/// Compiles `source` with the system C compiler, with no builtins (gcc
/// drops `free(NULL)` as a builtin even at -O0).
fn c_program(dir: &Path, source: &str) -> PathBuf {
    let (src, exe) = (dir.join("p.c"), dir.join("p"));
    std::fs::write(&src, source).unwrap();
    let status = Command::new("cc")
        .args(["-O0", "-fno-builtin"])
        .arg("-o")
        .arg(&exe)
        .arg(&src)
        .status()
        .expect("a C compiler (cc)");
    assert!(status.success());
    exe
}

const PROGRAM: &str = r#"
#include <stdlib.h>
#include <malloc.h>
int main(int argc, char **argv) {
    void *keep[10];
    for (int i = 0; i < 10; i++) keep[i] = malloc(16 << i);   /* 16 B .. 8 KiB */
    void *c = calloc(7, 9);                                    /* 63 B */
    void *r = realloc(keep[0], 1000);
    void *a = NULL;
    if (posix_memalign(&a, 256, 100) != 0) return 9;
    void *m = memalign(64, 40);
    void *al = aligned_alloc(128, 256);
    size_t u = malloc_usable_size(r);
    free(NULL);
    for (int i = 1; i < 10; i++) free(keep[i]);
    free(c); free(r); free(a); free(m);
    (void)u; (void)al;                                         /* al leaks */
    return argc > 1 ? atoi(argv[1]) : 0;
}
"#;

#[test]
fn the_trace_holds_exactly_the_programs_calls() {
    let lib = tracer();
    let dir = tempfile::tempdir().unwrap();
    let exe = c_program(dir.path(), PROGRAM);
    let out = dir.path().join("p.trace");
    let run = record(&lib, &out, &[exe.to_str().unwrap(), "3"]);
    // The program's own exit status, passed on.
    assert_eq!(run.status.code(), Some(3), "{run:?}");
    let said = String::from_utf8_lossy(&run.stdout);
    // glibc's start-up makes no malloc calls before main on this program,
    // so the counts are the program's alone.
    for line in [
        "malloc               10",
        "free                 14",
        "calloc               1",
        "realloc              1",
        "posix_memalign       1",
        "aligned_alloc        1",
        "memalign             1",
        "malloc_usable_size   1",
    ] {
        assert!(said.contains(line), "missing `{line}` in:\n{said}");
    }
    // Peak: 16+32+...+8192 (16,368) + 63 before the realloc; after it,
    // 1000 replaces 16 and 100 + 40 + 256 join: 16,368 - 16 + 1000 + 63
    // + 100 + 40 + 256 = 17,811 bytes in 14 blocks.
    assert!(
        said.contains("peak live: 17811 bytes in 14 blocks"),
        "{said}"
    );
    assert!(
        said.contains("live at the end (never freed): 256 bytes in 1 blocks"),
        "{said}"
    );

    // The same trace, read back by `harness trace`.
    let info = harness(&["trace", out.to_str().unwrap()]);
    assert!(info.status.success(), "{info:?}");
    assert_eq!(String::from_utf8_lossy(&info.stdout), said);

    check_replay_of_the_program(&out, dir.path());

    // Cut short: refused, exit 2, naming the file.
    let whole = std::fs::read(&out).unwrap();
    let cut = dir.path().join("cut.trace");
    std::fs::write(&cut, &whole[..whole.len() / 2]).unwrap();
    let info = harness(&["trace", cut.to_str().unwrap()]);
    assert_eq!(info.status.code(), Some(2), "{info:?}");
    assert!(
        String::from_utf8_lossy(&info.stderr).contains("cut.trace"),
        "{info:?}"
    );
}

/// The program's trace replayed on every allocator: exactly its calls,
/// each timed under its op, the same peak live set, the leak freed and
/// counted.
fn check_replay_of_the_program(out: &std::path::Path, dir: &std::path::Path) {
    // Replayed on every allocator: exactly the program's calls, each timed
    // under its op, the same peak live set, the leak freed and counted.
    let res = dir.join("res");
    let replay = harness(&[
        "replay",
        out.to_str().unwrap(),
        "--out",
        res.to_str().unwrap(),
        "--no-progress",
    ]);
    assert!(replay.status.success(), "{replay:?}");
    let summary = std::fs::read_to_string(res.join("summary.csv")).unwrap();
    for (op, samples) in [
        ("alloc", 10),
        ("free", 13),
        ("calloc", 1),
        ("realloc", 1),
        ("aligned", 3),
    ] {
        let rows: Vec<&str> = summary
            .lines()
            .filter(|l| l.starts_with("system,replay-p,") && l.contains(&format!(",{op},")))
            .collect();
        assert_eq!(rows.len(), 1, "{op}: {summary}");
        assert!(
            rows[0].contains(&format!(",{samples},")),
            "{op}: {}",
            rows[0]
        );
    }
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(res.join("meta.json")).unwrap()).unwrap();
    let run = &meta["runs"][0];
    let case = run["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["allocator"] == "system")
        .unwrap();
    let r = &case["replay"];
    assert_eq!(r["calls"], 30, "{r}");
    assert_eq!(
        r["timed"],
        serde_json::json!({"alloc": 10, "free": 13, "calloc": 1, "realloc": 1, "aligned": 3})
    );
    assert_eq!(
        (&r["usable_size"], &r["null_frees"]),
        (&1.into(), &1.into())
    );
    assert_eq!(
        (&r["leaked_blocks"], &r["leaked_bytes"]),
        (&1.into(), &256.into())
    );
    // The peak `record` and `trace` printed above.
    assert_eq!(
        (&r["peak_live_bytes"], &r["peak_live_blocks"]),
        (&17811.into(), &14.into())
    );
    // PMAD's blocks are 16-byte aligned: it cannot serve posix_memalign(256).
    let na = run["not_applicable"].as_array().unwrap();
    assert!(
        na.iter().any(|n| n["allocator"] == "pmad"
            && n["reason"].as_str().unwrap().contains("256-byte alignment")),
        "{na:?}"
    );
}

#[test]
fn a_command_that_cannot_run_or_a_missing_library_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.trace");
    let run = record(Path::new("/nonexistent/libtracer.so"), &out, &["true"]);
    assert_eq!(run.status.code(), Some(2), "{run:?}");
    assert!(String::from_utf8_lossy(&run.stderr).contains("cargo build --release -p tracer"));
    assert!(!out.exists());
}

/// Two threads hand blocks to each other through a pipe of pointers, so
/// every address is freed by one thread and soon handed out again to the
/// other; a forked child allocates too. The trace must hold each of the
/// parent's calls once, in an order where no address is handed out while
/// still live, and none of the child's.
const THREADS: &str = r#"
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>
#define N 20000
static int fds[2];
static void *consumer(void *arg) {
    (void)arg;
    for (int i = 0; i < N; i++) {
        void *p;
        if (read(fds[0], &p, sizeof p) != sizeof p) exit(8);
        free(p);
        free(malloc(48));
    }
    return NULL;
}
int main(void) {
    if (pipe(fds) != 0) return 7;
    pthread_t t;
    if (pthread_create(&t, NULL, consumer, NULL) != 0) return 6;
    for (int i = 0; i < N; i++) {
        void *p = malloc(48);
        if (write(fds[1], &p, sizeof p) != sizeof p) return 5;
    }
    pthread_join(t, NULL);
    pid_t child = fork();
    if (child == 0) {
        for (int i = 0; i < 5; i++) free(malloc(1000));
        exit(0); /* runs the child's exit handlers, the recorder's flush among them */
    }
    int status;
    waitpid(child, &status, 0);
    return 0;
}
"#;

#[test]
fn cross_thread_frees_keep_their_order_and_a_forked_child_is_left_out() {
    let lib = tracer();
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("t.c");
    std::fs::write(&src, THREADS).unwrap();
    let exe = dir.path().join("t");
    let built = Command::new("cc")
        .args(["-O0", "-fno-builtin", "-pthread", "-o"])
        .arg(&exe)
        .arg(&src)
        .status()
        .expect("a C compiler (cc)");
    assert!(built.success());
    let out = dir.path().join("t.trace");
    let run = record(&lib, &out, &[exe.to_str().unwrap()]);
    assert!(run.status.success(), "{run:?}");
    let said = String::from_utf8_lossy(&run.stdout);
    // The program's calls are 2N mallocs and 2N frees of 48 B; glibc's
    // threads add a calloc and a free or two (seen: 1 and 2), never a
    // malloc. The child's five mallocs of 1000 B would show in both.
    let count = |kind: &str| {
        said.lines()
            .find_map(|l| {
                l.trim()
                    .strip_prefix(kind)
                    .map(|n| n.trim().parse::<u64>().unwrap())
            })
            .unwrap_or(0)
    };
    assert_eq!(count("malloc "), 40_000, "{said}");
    assert!((40_000..40_005).contains(&count("free ")), "{said}");
    assert!(said.contains(" on 2 thread(s)"), "{said}");
    assert!(!said.contains("out of order"), "{said}");
    assert!(!said.contains("left out"), "{said}");
    assert!(
        !said.contains("1000 -"),
        "the child's 1000 B blocks: {said}"
    );

    // Replayed with each recorded thread on its own (--threads 2): every
    // allocator that takes cross-thread frees makes the 40,000 mallocs and
    // frees; PMAD and TLSF are not applicable, with the reason.
    let res = dir.path().join("res");
    let replay = |extra: &[&str]| {
        let mut args = vec![
            "replay",
            out.to_str().unwrap(),
            "--out",
            res.to_str().unwrap(),
            "--no-progress",
            "--force",
        ];
        args.extend_from_slice(extra);
        harness(&args)
    };
    let on_two = replay(&["--threads", "2"]);
    assert!(on_two.status.success(), "{on_two:?}");
    let summary = std::fs::read_to_string(res.join("summary.csv")).unwrap();
    let row = summary
        .lines()
        .find(|l| l.starts_with("system,replay-t,alloc,"))
        .unwrap_or_else(|| panic!("{summary}"));
    assert!(row.contains(",40000,"), "{row}");
    let meta = std::fs::read_to_string(res.join("meta.json")).unwrap();
    for pool in ["pmad", "tlsf"] {
        assert!(
            meta.contains(&format!("\"allocator\": \"{pool}\""))
                && meta.contains("single-threaded"),
            "{pool}: {meta}"
        );
    }
    // The thread count must be the trace's own.
    let wrong = replay(&["--threads", "3"]);
    assert_eq!(wrong.status.code(), Some(2), "{wrong:?}");
    assert!(
        String::from_utf8_lossy(&wrong.stderr).contains("recorded on 2 thread(s)"),
        "{wrong:?}"
    );
}

/// Blocks from 24 B to 40 MB, reallocs across the 64 KiB edge, and, with an
/// argument, one 100 MB block: beyond PMAD's largest class (64 MiB).
const LARGE_BLOCKS: &str = r#"
#include <stdlib.h>
#include <string.h>
int main(int argc, char **argv) {
    for (int round = 0; round < 3; round++) {
        void *small = malloc(24);
        void *a = malloc(200000);
        void *b = malloc(3000000);
        void *c = malloc(40000000);
        memset(a, 1, 200000);
        a = realloc(a, 70000);
        small = realloc(small, 100000);
        free(b); free(c); free(a); free(small);
    }
    if (argc > 1) free(malloc(100000000));
    return 0;
}
"#;

#[test]
fn pmad_replays_a_trace_with_blocks_up_to_its_largest_class() {
    let lib = tracer();
    let dir = tempfile::tempdir().unwrap();
    let exe = c_program(dir.path(), LARGE_BLOCKS);
    let (fits, too_big) = (dir.path().join("fits.trace"), dir.path().join("big.trace"));
    assert!(record(&lib, &fits, &[exe.to_str().unwrap()])
        .status
        .success());
    assert!(record(&lib, &too_big, &[exe.to_str().unwrap(), "x"])
        .status
        .success());

    let replay = |trace: &Path, res: &Path| {
        let out = harness(&[
            "replay",
            trace.to_str().unwrap(),
            "--out",
            res.to_str().unwrap(),
            "--no-progress",
        ]);
        assert!(out.status.success(), "{out:?}");
        let summary = std::fs::read_to_string(res.join("summary.csv")).unwrap();
        let meta: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(res.join("meta.json")).unwrap()).unwrap();
        (summary, meta)
    };
    // Every op PMAD makes has the same call count as glibc's.
    let (summary, meta) = replay(&fits, &dir.path().join("fits"));
    let samples = |who: &str, op: &str| -> Option<String> {
        summary
            .lines()
            .find(|l| l.starts_with(&format!("{who},replay-fits,{op},")))
            .map(|l| l.split(',').nth(5).unwrap().to_string())
    };
    for op in ["alloc", "free", "realloc"] {
        let pmad = samples("pmad", op).unwrap_or_else(|| panic!("no pmad {op} row: {summary}"));
        assert_eq!(Some(pmad), samples("system", op), "{op}");
    }
    let pool = meta["runs"][0]["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|c| c["pmad"].as_object())
        .expect("PMAD's pool in meta.json");
    // 40,000,000 B goes to the 2^26 class, whose block is 64 MiB.
    assert_eq!(pool["blocks"].as_array().unwrap().last().unwrap(), 1 << 26);
    assert!(pool["reserved_bytes"].as_u64().unwrap() >= pool["pool_bytes"].as_u64().unwrap());

    // With a 100 MB block: not applicable, the reason naming both sizes.
    let (_, meta) = replay(&too_big, &dir.path().join("big"));
    let na = meta["runs"][0]["not_applicable"].as_array().unwrap();
    assert!(
        na.iter().any(|n| n["allocator"] == "pmad"
            && n["reason"].as_str().unwrap().contains("100000000")
            && n["reason"].as_str().unwrap().contains("67108864")),
        "{na:?}"
    );
}

/// Allocates only in a child process it forks; the parent never calls malloc.
const FORKS: &str = r#"
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
int main(void) {
    pid_t child = fork();
    if (child == 0) {
        void *p = malloc(100);
        free(p);
        _exit(0);
    }
    int status;
    waitpid(child, &status, 0);
    return 0;
}
"#;

#[test]
fn a_command_whose_calls_happen_in_child_processes_is_warned_about() {
    let lib = tracer();
    let dir = tempfile::tempdir().unwrap();
    let exe = c_program(dir.path(), FORKS);
    let out = dir.path().join("forks.trace");
    let o = record(&lib, &out, &[exe.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(
        String::from_utf8_lossy(&o.stdout).starts_with("0 calls"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert!(
        err.contains("made no malloc-family call in the process recorded")
            && err.contains("child processes are not recorded"),
        "{err}"
    );
}
