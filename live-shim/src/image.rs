//! The recording of one process image: its file (named after its pid and
//! start tick, in `HARNESS_LIVE_DIR`), mapped shared; its null slot; one
//! slot per thread, claimed at the thread's first call; and the fork rule.
//!
//! Which processes record: without `HARNESS_LIVE_FOLLOW`, the process the
//! harness started and whatever it execs (same pid, claimed in the file
//! `root` by `O_EXCL`); every other process forwards untimed. With it,
//! every process image that loads the shim records, forked children too
//! (a child starts a file of its own at its first call).

use crate::header::field;
use crate::{clock, slots};
use live_format::{header, slot_offset, HEADER_BYTES, MAGIC, SLOT_BYTES};
use preload::{env, SpinLock};
use std::cell::Cell;
use std::sync::atomic::{AtomicI32, AtomicPtr, AtomicU64, AtomicU8, Ordering};

const UNSET: u8 = 0;
const STARTING: u8 = 1;
const ON: u8 = 2;
const OFF: u8 = 3;
static STATE: AtomicU8 = AtomicU8::new(UNSET);
static FD: AtomicI32 = AtomicI32::new(-1);
/// Held while a slot is claimed (the file grows, the slot is mapped).
static LOCK: SpinLock = SpinLock::new();
/// Forks seen by this process: a thread's slot is its own only if it was
/// claimed in this generation.
static GENERATION: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static SLOT: Cell<(*mut u8, u64)> = const { Cell::new((std::ptr::null_mut(), 0)) };
}

fn number(bytes: &[u8]) -> Option<u64> {
    std::str::from_utf8(bytes).ok()?.parse().ok()
}

/// The calling thread's slot, claimed on its first call; null when this
/// process does not record.
#[inline(always)]
pub fn slot() -> *mut u8 {
    let (p, generation) = SLOT.with(Cell::get);
    if !p.is_null() && generation == GENERATION.load(Ordering::Relaxed) {
        return p;
    }
    claim_thread()
}

#[cold]
fn claim_thread() -> *mut u8 {
    if STATE.load(Ordering::Acquire) == UNSET {
        start();
    }
    if STATE.load(Ordering::Acquire) != ON {
        return std::ptr::null_mut();
    }
    let p = claim_slot();
    if !p.is_null() {
        // SAFETY: gettid takes no arguments and cannot fail.
        let tid = unsafe { libc::syscall(libc::SYS_gettid) } as u64;
        slots::set_tid(p, tid);
        SLOT.with(|s| s.set((p, GENERATION.load(Ordering::Relaxed))));
    }
    p
}

/// Maps `len` bytes of the file at `offset`; null on failure.
fn map(offset: usize, len: usize) -> *mut u8 {
    let fd = FD.load(Ordering::Relaxed);
    // SAFETY: a shared mapping of the open file, no address hint.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_SHARED,
            fd,
            offset as libc::off_t,
        )
    };
    if p == libc::MAP_FAILED {
        std::ptr::null_mut()
    } else {
        p.cast()
    }
}

/// The next slot: the file grown to hold it, and it mapped.
fn claim_slot() -> *mut u8 {
    let h = crate::header::get();
    LOCK.lock();
    let k = field(h, header::SLOTS).load(Ordering::Relaxed) as usize;
    let end = slot_offset(k) + SLOT_BYTES;
    let fd = FD.load(Ordering::Relaxed);
    // SAFETY: `fd` is the image's file, open for writing; it only grows.
    let grown = unsafe { libc::ftruncate(fd, end as libc::off_t) } == 0;
    let p = if grown {
        map(slot_offset(k), SLOT_BYTES)
    } else {
        std::ptr::null_mut()
    };
    if !p.is_null() {
        slots::init(p);
        field(h, header::SLOTS).store(k as u64 + 1, Ordering::Release);
    }
    LOCK.unlock();
    p
}

/// Whether this process may record (module docs): with follow, always;
/// without, only the process holding the `root` file.
fn may_record(dir: &[u8], follow: bool) -> bool {
    if follow {
        return true;
    }
    let mut path = [0u8; 4200];
    let Some(n) = join(&mut path, dir, b"/root") else {
        return false;
    };
    let _ = n;
    let pid = std::process::id();
    let flags = libc::O_RDWR | libc::O_CREAT | libc::O_EXCL | libc::O_CLOEXEC;
    // SAFETY: `path` is NUL-terminated.
    let fd = unsafe { libc::open(path.as_ptr().cast(), flags, 0o644) };
    if fd >= 0 {
        let b = pid.to_le_bytes();
        // SAFETY: `b` is readable for its length; `fd` is ours.
        unsafe {
            libc::write(fd, b.as_ptr().cast(), b.len());
            libc::close(fd);
        }
        return true;
    }
    // SAFETY: as above.
    let fd = unsafe { libc::open(path.as_ptr().cast(), libc::O_RDONLY | libc::O_CLOEXEC) };
    if fd < 0 {
        return false;
    }
    let mut b = [0u8; 4];
    // SAFETY: `b` is writable for its length; `fd` is ours.
    let n = unsafe { libc::read(fd, b.as_mut_ptr().cast(), b.len()) };
    // SAFETY: `fd` is ours.
    unsafe { libc::close(fd) };
    n == 4 && u32::from_le_bytes(b) == pid
}

/// `a` then `b` then NUL into `out`; the length without the NUL.
fn join(out: &mut [u8], a: &[u8], b: &[u8]) -> Option<usize> {
    let n = a.len() + b.len();
    if n + 1 > out.len() {
        return None;
    }
    out[..a.len()].copy_from_slice(a);
    out[a.len()..n].copy_from_slice(b);
    out[n] = 0;
    Some(n)
}

/// Writes the decimal digits of `v` into `out`; their count.
fn digits(out: &mut [u8], mut v: u64) -> usize {
    let mut tmp = [0u8; 20];
    let mut n = 0;
    loop {
        tmp[n] = b'0' + (v % 10) as u8;
        n += 1;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    for i in 0..n {
        out[i] = tmp[n - 1 - i];
    }
    n
}

/// Opens this image's file `DIR/<pid>-<origin>.live` and maps its header;
/// null on failure.
fn open_file(dir: &[u8], origin: u64) -> *mut u8 {
    let mut name = [0u8; 64];
    name[0] = b'/';
    let mut n = 1 + digits(&mut name[1..], std::process::id() as u64);
    name[n] = b'-';
    n += 1;
    n += digits(&mut name[n..], origin);
    name[n..n + 5].copy_from_slice(b".live");
    n += 5;
    let mut path = [0u8; 4200];
    if join(&mut path, dir, &name[..n]).is_none() {
        return std::ptr::null_mut();
    }
    let flags = libc::O_RDWR | libc::O_CREAT | libc::O_EXCL | libc::O_CLOEXEC;
    // SAFETY: `path` is NUL-terminated.
    let fd = unsafe { libc::open(path.as_ptr().cast(), flags, 0o644) };
    // SAFETY: `fd` is ours when non-negative.
    if fd < 0 || unsafe { libc::ftruncate(fd, HEADER_BYTES as libc::off_t) } != 0 {
        return std::ptr::null_mut();
    }
    FD.store(fd, Ordering::Relaxed);
    map(0, HEADER_BYTES)
}

/// Starts recording this image, once (see the module docs for who does).
fn start() {
    if STATE
        .compare_exchange(UNSET, STARTING, Ordering::AcqRel, Ordering::Acquire)
        .is_err()
    {
        while STATE.load(Ordering::Acquire) == STARTING {
            std::hint::spin_loop();
        }
        return;
    }
    let on = begin();
    STATE.store(if on { ON } else { OFF }, Ordering::Release);
    if on {
        crate::null::time(slot_for_null());
    }
}

/// The null slot (slot 0), claimed by [`begin`].
fn slot_for_null() -> *mut u8 {
    NULL_SLOT.load(Ordering::Acquire)
}
static NULL_SLOT: AtomicPtr<u8> = AtomicPtr::new(std::ptr::null_mut());

fn begin() -> bool {
    let Some(dir) = env(c"HARNESS_LIVE_DIR") else {
        return false;
    };
    let follow = env(c"HARNESS_LIVE_FOLLOW").is_some_and(|v| v == b"1");
    if !may_record(dir, follow) {
        return false;
    }
    let origin = clock::start();
    let h = open_file(dir, origin);
    if h.is_null() {
        return false;
    }
    let window = env(c"HARNESS_LIVE_WINDOW_TICKS")
        .and_then(number)
        .filter(|&w| w > 0)
        .unwrap_or(1 << 21);
    field(h, header::PID).store(std::process::id() as u64, Ordering::Relaxed);
    // SAFETY: getppid takes no arguments and cannot fail.
    field(h, header::PPID).store(unsafe { libc::getppid() } as u64, Ordering::Relaxed);
    field(h, header::ORIGIN).store(origin, Ordering::Relaxed);
    field(h, header::WINDOW_TICKS).store(window, Ordering::Relaxed);
    field(h, header::CLOCK).store(clock::KIND, Ordering::Relaxed);
    crate::header::publish(h);
    crate::describe::write(h);
    NULL_SLOT.store(claim_slot(), Ordering::Release);
    // The magic last: a file without it was cut off while starting.
    field(h, header::MAGIC).store(MAGIC, Ordering::Release);
    // SAFETY: a plain function pointer with no preconditions; its own
    // allocation is made inside the shim and forwarded untimed.
    unsafe { libc::pthread_atfork(None, None, Some(forked_child)) };
    true
}

/// In a forked child: no slot of the parent's is this process's, and the
/// child records a file of its own only when following.
extern "C" fn forked_child() {
    GENERATION.fetch_add(1, Ordering::Relaxed);
    LOCK.reset_after_fork();
    let follow = env(c"HARNESS_LIVE_FOLLOW").is_some_and(|v| v == b"1");
    if follow {
        crate::header::forget();
        NULL_SLOT.store(std::ptr::null_mut(), Ordering::Release);
        let fd = FD.swap(-1, Ordering::Relaxed);
        if fd >= 0 {
            // SAFETY: the parent's descriptor, not used by the child again.
            unsafe { libc::close(fd) };
        }
        STATE.store(UNSET, Ordering::Release);
    } else {
        STATE.store(OFF, Ordering::Release);
    }
}

/// Marks the image as ended by its exit handlers.
pub fn exited() {
    let h = crate::header::get();
    if !h.is_null() && STATE.load(Ordering::Acquire) == ON {
        field(h, header::EXITED).store(1, Ordering::Release);
    }
}
