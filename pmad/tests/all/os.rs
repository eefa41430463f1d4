//! PMAD's promises to the operating system, measured rather than repeated:
//! no syscall after `new`, no page fault after a prefaulted `new`, pages
//! resident or not as asked, locked when asked, unmapped on drop.

use pmad::{Options, Pmad};
use std::hint::black_box;
use std::ptr::NonNull;

const CLASSES: [usize; 4] = [16, 64, 256, 1024];
const SHARES: [usize; 4] = [25, 25, 25, 25];
const POOL: usize = 4 << 20;

/// How a forked child ended.
#[derive(Debug, PartialEq, Eq)]
enum End {
    Exited(i32),
    Killed(i32),
}

/// Runs `body` in a forked, single-threaded child and reports how it ended.
/// `body` returns the exit code; it must not return through Rust's exit path,
/// which the child leaves with the raw `exit` syscall (allowed in strict mode).
fn in_child(body: impl FnOnce() -> i32) -> End {
    // SAFETY: the child only runs `body` and then exits without unwinding or
    // running destructors; glibc keeps malloc usable across fork.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let code = body();
        // SAFETY: ends this thread (the child's only one) at once.
        unsafe { libc::syscall(libc::SYS_exit, code as libc::c_long) };
        unreachable!();
    }
    let mut status = 0;
    // SAFETY: `pid` is our child; `status` is a valid out-pointer.
    let waited = unsafe { libc::waitpid(pid, &mut status, 0) };
    assert_eq!(waited, pid);
    if libc::WIFEXITED(status) {
        End::Exited(libc::WEXITSTATUS(status))
    } else {
        End::Killed(libc::WTERMSIG(status))
    }
}

/// Enter seccomp strict mode: from here any syscall other than read, write,
/// exit and sigreturn kills the process with SIGKILL.
fn forbid_syscalls() {
    // SAFETY: prctl with these arguments only changes this process's filter.
    let r = unsafe {
        libc::prctl(
            libc::PR_SET_SECCOMP,
            libc::SECCOMP_MODE_STRICT as libc::c_ulong,
        )
    };
    if r != 0 {
        // SAFETY: raw exit, as in `in_child`.
        unsafe { libc::syscall(libc::SYS_exit, 99 as libc::c_long) };
    }
}

/// Allocates every block of every class, writes each, frees them in a
/// scrambled order, and does it again: the whole pool, all paths (carving,
/// reuse, exhaustion, both frees). Uses no heap: `slots` is caller-provided.
fn churn_everything(pool: &Pmad, capacities: [usize; 4], slots: &mut [usize]) -> usize {
    let mut ops = 0;
    for round in 0..3 {
        for (&class, &capacity) in CLASSES.iter().zip(&capacities) {
            let live = &mut slots[..capacity];
            for slot in live.iter_mut() {
                let p = pool.alloc(class).expect("capacity is exact");
                // SAFETY: the block holds `class` bytes.
                unsafe {
                    p.as_ptr().write(round as u8);
                    p.as_ptr().add(class - 1).write(round as u8);
                }
                *slot = p.as_ptr() as usize;
                ops += 1;
            }
            assert!(pool.alloc(class).is_none());
            for i in 0..capacity {
                let p = NonNull::new(live[(i * 7919) % capacity] as *mut u8).unwrap();
                // SAFETY: every slot holds a distinct live block of this pool;
                // 7919 is prime and larger than any capacity here, so the walk
                // visits each slot exactly once.
                unsafe {
                    if i % 2 == 0 {
                        pool.free(black_box(p))
                    } else {
                        pool.free_sized(black_box(p), class)
                    }
                }
                ops += 1;
            }
        }
    }
    ops
}

fn pool_capacities(pool: &Pmad) -> [usize; 4] {
    let mut out = [0; 4];
    for (o, s) in out.iter_mut().zip(pool.stats()) {
        *o = s.capacity;
    }
    out
}

#[test]
fn alloc_and_free_make_no_syscall_at_all() {
    let pool = Pmad::new(&CLASSES, &SHARES, POOL).unwrap();
    let capacities = pool_capacities(&pool);
    let mut slots = vec![0usize; *capacities.iter().max().unwrap()];
    let end = in_child(|| {
        // Capacities are known before strict mode; churn without stats().
        forbid_syscalls();
        let mut ops = 0;
        for round in 0..2 {
            for (&class, &capacity) in CLASSES.iter().zip(&capacities) {
                for slot in slots[..capacity].iter_mut() {
                    let p = pool.alloc(class).unwrap();
                    // SAFETY: the block holds `class` bytes.
                    unsafe { p.as_ptr().add(class - 1).write(round) };
                    *slot = p.as_ptr() as usize;
                    ops += 1;
                }
                if pool.alloc(class).is_some() || pool.alloc(usize::MAX).is_some() {
                    return 2;
                }
                for (i, &addr) in slots[..capacity].iter().enumerate() {
                    let p = NonNull::new(addr as *mut u8).unwrap();
                    // SAFETY: each slot holds a distinct live block of this pool.
                    unsafe {
                        if i % 2 == 0 {
                            pool.free(p)
                        } else {
                            pool.free_sized(p, class)
                        }
                    }
                    ops += 1;
                }
            }
        }
        i32::from(ops < 100_000) // 0 when the whole pool was cycled
    });
    assert_eq!(
        end,
        End::Exited(0),
        "a syscall in alloc/free kills the child with SIGKILL (9)"
    );
}

#[test]
fn the_syscall_check_does_catch_a_syscall() {
    // Negative control: the same mechanism must kill a child that makes one.
    let end = in_child(|| {
        forbid_syscalls();
        // SAFETY: getpid has no preconditions; here it must be fatal.
        unsafe { libc::syscall(libc::SYS_getpid) };
        0
    });
    assert_eq!(end, End::Killed(libc::SIGKILL));
}

fn minor_faults_of_this_thread() -> i64 {
    // SAFETY: an all-zero rusage is valid; getrusage fills it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = {
        // SAFETY: RUSAGE_THREAD with a valid out-pointer.
        unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut usage) }
    };
    assert_eq!(rc, 0);
    usage.ru_minflt + usage.ru_majflt
}

/// Writes 128 KiB of stack below the caller, one byte per page.
#[inline(never)]
fn touch_stack() {
    let mut pages = [0u8; 128 * 1024];
    for page in pages.chunks_mut(4096) {
        page[0] = 1;
    }
    std::hint::black_box(&mut pages);
}

/// Page faults of the churn, measured in a child of its own: a `fork` by any
/// other test makes every private page of this process copy-on-write, and
/// the next write to it faults, pool or not.
fn faults_of_full_churn(options: Options) -> i64 {
    let mut pipe = [0i32; 2];
    // SAFETY: `pipe` has room for the two descriptors.
    assert_eq!(unsafe { libc::pipe(pipe.as_mut_ptr()) }, 0);
    let end = in_child(|| {
        let pool = Pmad::with_options(&CLASSES, &SHARES, POOL, options).unwrap();
        let capacities = pool_capacities(&pool);
        // The test's own bookkeeping is touched now, so its faults are not counted below.
        let mut slots = vec![1usize; *capacities.iter().max().unwrap()];
        // So is the stack the churn will use: after `fork` every page of it
        // is copy-on-write, and a first write to one faults (CI saw 1).
        touch_stack();
        let before = minor_faults_of_this_thread();
        let ops = churn_everything(&pool, capacities, &mut slots);
        let faults = minor_faults_of_this_thread() - before;
        let bytes = faults.to_ne_bytes();
        // SAFETY: writes 8 bytes from a live buffer to the pipe's write end.
        let written = unsafe { libc::write(pipe[1], bytes.as_ptr().cast(), 8) };
        i32::from(written != 8 || ops < 100_000)
    });
    assert_eq!(end, End::Exited(0));
    let mut bytes = [0u8; 8];
    let read = {
        // SAFETY: reads 8 bytes into a live buffer from the pipe's read end.
        unsafe { libc::read(pipe[0], bytes.as_mut_ptr().cast(), 8) }
    };
    assert_eq!(read, 8);
    // SAFETY: both descriptors are ours and used no more.
    unsafe {
        libc::close(pipe[0]);
        libc::close(pipe[1]);
    }
    i64::from_ne_bytes(bytes)
}

#[test]
fn a_prefaulted_pool_takes_no_page_fault_under_full_churn() {
    // The kernel may migrate any page at any moment (compaction), and the
    // next touch then faults, whoever owns the page. Such a fault is rare and
    // not PMAD's; one of PMAD's own would come back in every churn. So three
    // fresh churns are allowed, and one of them must take no fault at all.
    let mut seen = Vec::new();
    for _ in 0..3 {
        let faults = faults_of_full_churn(Options::default().prefault(true));
        if faults == 0 {
            return;
        }
        seen.push(faults);
    }
    panic!("page faults in every full churn of a prefaulted pool: {seen:?}");
}

#[test]
fn a_lazy_pool_faults_its_pages_on_first_use_instead() {
    // The control for the test above: the same churn without prefault does
    // fault, so the counter is really watching.
    let faults = faults_of_full_churn(Options::default());
    let pages = (POOL / 4096) as i64;
    assert!(
        faults >= pages / 512,
        "only {faults} faults for {pages} fresh pages"
    );
}

/// How many pages of `range` are resident, or None when it is not mapped.
fn resident_pages(range: std::ops::Range<usize>) -> Option<usize> {
    let pages = range.len().div_ceil(4096);
    let mut vec = vec![0u8; pages];
    // SAFETY: `vec` has one byte per page of the range.
    let r = unsafe {
        libc::mincore(
            range.start as *mut libc::c_void,
            range.len(),
            vec.as_mut_ptr(),
        )
    };
    (r == 0).then(|| vec.iter().filter(|&&b| b & 1 == 1).count())
}

#[test]
fn prefault_makes_every_page_resident_and_lazy_makes_none() {
    let eager =
        Pmad::with_options(&CLASSES, &SHARES, POOL, Options::default().prefault(true)).unwrap();
    for run in eager.runs() {
        assert_eq!(
            resident_pages(run.clone()),
            Some(run.len().div_ceil(4096)),
            "run {run:x?}"
        );
    }
    let run_pages: usize = eager.runs().iter().map(|r| r.len().div_ceil(4096)).sum();
    let all = resident_pages(eager.mapped_range()).unwrap();
    assert!(
        all <= run_pages + eager.runs().len(),
        "the gaps between runs stay untouched: {all} > {run_pages}"
    );

    let lazy = Pmad::new(&CLASSES, &SHARES, POOL).unwrap();
    assert_eq!(
        resident_pages(lazy.mapped_range()),
        Some(0),
        "new touches no page"
    );
    let p = lazy.alloc(64).unwrap();
    assert!(resident_pages(lazy.mapped_range()).unwrap() >= 1);
    // SAFETY: from this pool, not used again.
    unsafe { lazy.free(p) };
}

fn locked_kib() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmLck:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn lock_pins_the_pool_or_says_why_not() {
    let end = in_child(|| {
        let before = locked_kib();
        match Pmad::with_options(&CLASSES, &SHARES, POOL, Options::REAL_TIME) {
            Ok(pool) => {
                let locked = locked_kib() - before;
                i32::from(locked * 1024 < pool.pool_bytes()) // 0: every run is locked
            }
            Err(pmad::Error::LockFailed { errno, .. })
                if errno == libc::EPERM || errno == libc::ENOMEM =>
            {
                3 // RLIMIT_MEMLOCK too low here: reported, not hidden
            }
            Err(_) => 4,
        }
    });
    match end {
        End::Exited(0) => {}
        End::Exited(3) => {
            // A refusal is right only where the limit is too low for the
            // pool and the process cannot exceed it (no CAP_IPC_LOCK; root
            // has it, so CI always takes the locking path).
            let mut limit = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            let rc = {
                // SAFETY: getrlimit writes one rlimit into `limit`.
                unsafe { libc::getrlimit(libc::RLIMIT_MEMLOCK, &mut limit) }
            };
            assert_eq!(rc, 0);
            // SAFETY: geteuid has no preconditions.
            let root = unsafe { libc::geteuid() } == 0;
            assert!(
                !root && (limit.rlim_cur as usize) < POOL,
                "mlock refused although RLIMIT_MEMLOCK is {} B (pool {POOL} B, root: {root})",
                limit.rlim_cur
            );
            eprintln!(
                "mlock refused by RLIMIT_MEMLOCK ({} B < pool {POOL} B) on this machine: Error::LockFailed returned; the locking path was not exercised",
                limit.rlim_cur
            )
        }
        other => panic!("lock option: {other:?}"),
    }
}

#[test]
fn drop_unmaps_the_whole_pool() {
    let end = in_child(|| {
        let pool =
            Pmad::with_options(&CLASSES, &SHARES, POOL, Options::default().prefault(true)).unwrap();
        let range = pool.mapped_range();
        if resident_pages(range.clone()).is_none() {
            return 2;
        }
        drop(pool);
        i32::from(resident_pages(range).is_some()) // mincore fails with ENOMEM once unmapped
    });
    assert_eq!(end, End::Exited(0));
}

/// Makes the pages holding `[start, start + len)` inaccessible; false if
/// the kernel refuses.
fn protect(start: usize, len: usize) -> bool {
    let first = start & !4095;
    let end = (start + len).next_multiple_of(4096);
    // SAFETY: the range lies inside the pool's live mapping (the caller's
    // blocks); PROT_NONE only makes later touches fault.
    unsafe { libc::mprotect(first as *mut libc::c_void, end - first, libc::PROT_NONE) == 0 }
}

/// alloc, free and free_sized never read or write a byte of any block: with
/// every page of the first blocks of each class PROT_NONE (the whole stride
/// of each, and its neighbours on the same pages), they are carved, freed,
/// handed out again and freed with a size hint, in a child that a single
/// touch would kill with SIGSEGV.
#[test]
fn alloc_and_free_never_touch_a_block() {
    let end = in_child(|| {
        let Ok(pool) =
            Pmad::with_options(&CLASSES, &SHARES, POOL, Options::default().prefault(true))
        else {
            return 2;
        };
        for (class, run) in CLASSES.iter().zip(pool.runs()) {
            // The first 8 blocks of the class: all that this test hands out.
            if !protect(run.start, 8 * class) {
                return 3;
            }
        }
        for &class in &CLASSES {
            let blocks: Vec<NonNull<u8>> = (0..8).map_while(|_| pool.alloc(class)).collect();
            if blocks.len() != 8 {
                return 4;
            }
            for &p in blocks.iter().rev() {
                // SAFETY: from this pool, not used again.
                unsafe { pool.free(p) };
            }
            for &p in &blocks {
                // Freed last in, first out: the same blocks come back in order.
                if pool.alloc(class) != Some(p) {
                    return 5;
                }
            }
            for &p in &blocks {
                // SAFETY: from this pool, `class` is the size it was allocated
                // with, not used again.
                unsafe { pool.free_sized(p, class) };
            }
        }
        let in_use: usize = pool.stats().iter().map(|s| s.in_use).sum();
        i32::from(in_use != 0)
    });
    assert_eq!(end, End::Exited(0), "a block was touched (SIGSEGV is 11)");
}
