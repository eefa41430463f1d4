//! The allocation recorder behind `harness record`: a shared library loaded
//! with `LD_PRELOAD` that interposes on the malloc family, forwards every
//! call to glibc's allocator, and appends one fixed-size event per call to
//! the file named by `ALLOC_TRACE_RAW`. `harness record` turns that raw file
//! into the compressed, versioned trace (`harness/src/trace/`).
//!
//! Invariants:
//! 1. **Recording never allocates.** Events go into one buffer mapped with
//!    `mmap` and leave it with `write(2)`; nothing here calls malloc, so a
//!    hook cannot recurse into itself. A call made while this thread is
//!    already inside a hook (glibc's `dlsym`, `pthread_atfork`) is forwarded
//!    without being recorded.
//! 2. **The file order is the program's order.** Each call runs, and its
//!    event is written, under one lock, so the events are in the order the
//!    calls took effect: a block freed by one thread and handed out again
//!    to another is freed before it is allocated, on every thread. The cost
//!    is that recording serialises the program's allocator calls (measured
//!    in METHODOLOGY.md); one lock also makes one buffer enough, where
//!    per-thread buffers would still need the lock for the order.
//! 3. **One process per trace.** The first process to load the library
//!    creates the file (`O_EXCL`) and writes its pid in the header. A
//!    program that process execs (same pid: a launcher script, pyenv's
//!    shim) starts the file afresh, so the trace is of the last program
//!    the process became. Any other process that loads the library (a
//!    child spawned by fork and exec) finds another pid there and records
//!    nothing; a forked child stops recording at the fork. So the trace is
//!    the command's own process, every thread of it, and nothing else.
//! 4. **Whole events only.** The buffer is flushed when full and at exit
//!    (`.fini_array`); a process that ends by `_exit` or a signal loses
//!    what was not flushed, and the missing end is what the reader sees.
//!
//! Raw file: defined once, in the `tracer-format` crate beside this one.

use libc::{c_int, c_void, size_t};
use preload::glibc::{
    __libc_calloc, __libc_free, __libc_malloc, __libc_memalign, __libc_pvalloc, __libc_realloc,
    __libc_valloc,
};
use preload::{hook, SpinLock};
use std::cell::Cell;
use std::sync::atomic::{AtomicI32, AtomicU8, Ordering};

use tracer_format::{header, kind, offset, EVENT_BYTES, HEADER_BYTES};

/// One event, laid out as in the raw file.
#[repr(C)]
#[derive(Clone, Copy)]
struct Event {
    ns: u64,
    /// The block returned (allocations) or passed (free, usable size).
    ptr: u64,
    /// realloc's old block.
    old: u64,
    /// Bytes asked for (calloc: count x size); usable size's answer.
    size: u64,
    /// The alignment asked for (aligned calls), else 0.
    align: u64,
    tid: u32,
    kind: u8,
    _pad: [u8; 3],
}

const _: () = assert!(std::mem::size_of::<Event>() == EVENT_BYTES);
// The event is laid out as the format says.
const _: () = assert!(std::mem::offset_of!(Event, ns) == offset::NS);
const _: () = assert!(std::mem::offset_of!(Event, ptr) == offset::PTR);
const _: () = assert!(std::mem::offset_of!(Event, old) == offset::OLD);
const _: () = assert!(std::mem::offset_of!(Event, size) == offset::SIZE);
const _: () = assert!(std::mem::offset_of!(Event, align) == offset::ALIGN);
const _: () = assert!(std::mem::offset_of!(Event, tid) == offset::TID);
const _: () = assert!(std::mem::offset_of!(Event, kind) == offset::KIND);

/// Not started, starting, recording, off (no file, another process's
/// file, a forked child, or after exit's flush).
const UNSET: u8 = 0;
const STARTING: u8 = 1;
const ON: u8 = 2;
const OFF: u8 = 3;
static STATE: AtomicU8 = AtomicU8::new(UNSET);
static FD: AtomicI32 = AtomicI32::new(-1);
/// Held while a call runs and its event is written (invariant 2).
static LOCK: SpinLock = SpinLock::new();

/// Events per buffer: 4 MiB.
const BUF_EVENTS: usize = (4 << 20) / EVENT_BYTES;

/// The buffer and its fill, only touched with LOCK held.
struct Buffer {
    events: *mut Event,
    len: usize,
}

struct Shared(std::cell::UnsafeCell<Buffer>);
// SAFETY: the buffer is only read or written with LOCK held (invariant 2).
unsafe impl Sync for Shared {}
static BUFFER: Shared = Shared(std::cell::UnsafeCell::new(Buffer {
    events: std::ptr::null_mut(),
    len: 0,
}));

thread_local! {
    static TID: Cell<u32> = const { Cell::new(0) };
}

fn now_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec to write; CLOCK_MONOTONIC always exists.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

fn tid() -> u32 {
    TID.with(|t| {
        if t.get() == 0 {
            // SAFETY: gettid takes no arguments and cannot fail.
            t.set(unsafe { libc::syscall(libc::SYS_gettid) } as u32);
        }
        t.get()
    })
}

/// Writes all of `bytes` to the trace file; gives up quietly on an error
/// (the program must not fail because its trace could not be written).
fn write_all(mut bytes: &[u8]) {
    let fd = FD.load(Ordering::Relaxed);
    while !bytes.is_empty() {
        // SAFETY: `bytes` is a valid readable slice of this length.
        let n = unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
        if n < 0 {
            // SAFETY: errno is thread-local and always readable.
            if unsafe { *libc::__errno_location() } == libc::EINTR {
                continue;
            }
            return;
        }
        bytes = &bytes[n as usize..];
    }
}

/// Writes the buffered events out. Caller holds LOCK.
fn flush_locked(buf: &mut Buffer) {
    if buf.len > 0 {
        // SAFETY: the first `len` events of the mapping are initialised.
        let bytes =
            unsafe { std::slice::from_raw_parts(buf.events.cast::<u8>(), buf.len * EVENT_BYTES) };
        write_all(bytes);
        buf.len = 0;
    }
}

/// Appends an event. Caller holds LOCK and the state is ON.
fn push_locked(e: Event) {
    // SAFETY: LOCK is held, so this is the only reference to the buffer.
    let buf = unsafe { &mut *BUFFER.0.get() };
    if buf.len == BUF_EVENTS {
        flush_locked(buf);
    }
    // SAFETY: len < BUF_EVENTS, inside the mapping made at start.
    unsafe { buf.events.add(buf.len).write(e) };
    buf.len += 1;
}

extern "C" fn forked_child() {
    STATE.store(OFF, Ordering::Release);
}

/// The trace file's descriptor, emptied, when this process may write it
/// (invariant 3); -1 when another process has it.
fn claim(path: *const libc::c_char) -> c_int {
    let flags = libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_CLOEXEC;
    // SAFETY: `path` is the environment's NUL-terminated string.
    let fd = unsafe { libc::open(path, flags, 0o644) };
    // SAFETY: errno is thread-local and always readable.
    if fd >= 0 || unsafe { *libc::__errno_location() } != libc::EEXIST {
        return fd;
    }
    // SAFETY: as above.
    let fd = unsafe { libc::open(path, libc::O_RDWR | libc::O_CLOEXEC) };
    if fd < 0 {
        return fd;
    }
    let mut h = [0u8; HEADER_BYTES];
    // SAFETY: `h` is writable for its length.
    let n = unsafe { libc::pread(fd, h.as_mut_ptr().cast(), h.len(), 0) };
    if n == HEADER_BYTES as isize && h == header(std::process::id()) {
        // SAFETY: `fd` is open for writing.
        if unsafe { libc::ftruncate(fd, 0) } == 0 {
            return fd;
        }
    }
    // SAFETY: `fd` was opened above and is not used elsewhere.
    unsafe { libc::close(fd) };
    -1
}

/// Opens the file and maps the buffer, once per process (invariant 3).
fn start() {
    if STATE
        .compare_exchange(UNSET, STARTING, Ordering::AcqRel, Ordering::Acquire)
        .is_err()
    {
        return;
    }
    // SAFETY: the name is NUL-terminated; getenv does not allocate.
    let path = unsafe { libc::getenv(c"ALLOC_TRACE_RAW".as_ptr()) };
    if path.is_null() {
        STATE.store(OFF, Ordering::Release);
        return;
    }
    let fd = claim(path);
    if fd < 0 {
        STATE.store(OFF, Ordering::Release);
        return;
    }
    // SAFETY: an anonymous private mapping with no address hint.
    let map = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            BUF_EVENTS * EVENT_BYTES,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if map == libc::MAP_FAILED {
        // SAFETY: `fd` was opened above and is not used elsewhere.
        unsafe { libc::close(fd) };
        STATE.store(OFF, Ordering::Release);
        return;
    }
    FD.store(fd, Ordering::Relaxed);
    write_all(&header(std::process::id()));
    LOCK.lock();
    // SAFETY: LOCK is held.
    unsafe { (*BUFFER.0.get()).events = map.cast() };
    LOCK.unlock();
    // SAFETY: a plain function pointer with no preconditions.
    unsafe { libc::pthread_atfork(None, None, Some(forked_child)) };
    STATE.store(ON, Ordering::Release);
}

/// Runs `call` and records its event, unless this thread is already in a
/// hook or recording is off, when it just runs `call` (invariant 1).
#[inline]
fn traced<R: Copy>(call: impl FnOnce() -> R, event: impl FnOnce(R) -> Event) -> R {
    if hook::enter() {
        return call();
    }
    if STATE.load(Ordering::Acquire) == UNSET {
        start();
    }
    let r = if STATE.load(Ordering::Acquire) == ON {
        let tid = tid();
        LOCK.lock();
        let r = call();
        let mut e = event(r);
        e.ns = now_ns();
        e.tid = tid;
        if STATE.load(Ordering::Acquire) == ON {
            push_locked(e);
        }
        LOCK.unlock();
        r
    } else {
        call()
    };
    hook::restore(false);
    r
}

fn ev(kind: u8, ptr: *mut c_void, old: *mut c_void, size: usize, align: usize) -> Event {
    Event {
        ns: 0,
        ptr: ptr as u64,
        old: old as u64,
        size: size as u64,
        align: align as u64,
        tid: 0,
        kind,
        _pad: [0; 3],
    }
}

extern "C" fn at_start() {
    let was_in = hook::enter();
    start();
    hook::restore(was_in);
}

/// Flushes what is buffered and stops recording (invariant 4).
extern "C" fn at_exit() {
    if STATE.load(Ordering::Acquire) != ON {
        return;
    }
    LOCK.lock();
    STATE.store(OFF, Ordering::Release);
    // SAFETY: LOCK is held.
    flush_locked(unsafe { &mut *BUFFER.0.get() });
    LOCK.unlock();
}

#[used]
#[link_section = ".init_array"]
static INIT: extern "C" fn() = at_start;

#[used]
#[link_section = ".fini_array"]
static FINI: extern "C" fn() = at_exit;

/// # Safety
/// As C's `malloc`.
#[no_mangle]
pub unsafe extern "C" fn malloc(size: size_t) -> *mut c_void {
    // SAFETY: forwarded with the caller's arguments.
    traced(
        || unsafe { __libc_malloc(size) },
        |p| ev(kind::MALLOC, p, std::ptr::null_mut(), size, 0),
    )
}

/// # Safety
/// As C's `free`.
#[no_mangle]
pub unsafe extern "C" fn free(ptr: *mut c_void) {
    // SAFETY: forwarded with the caller's arguments.
    traced(
        || unsafe { __libc_free(ptr) },
        |()| ev(kind::FREE, ptr, std::ptr::null_mut(), 0, 0),
    )
}

/// # Safety
/// As C's `calloc`.
#[no_mangle]
pub unsafe extern "C" fn calloc(n: size_t, size: size_t) -> *mut c_void {
    let total = n.saturating_mul(size);
    // SAFETY: forwarded with the caller's arguments.
    traced(
        || unsafe { __libc_calloc(n, size) },
        |p| ev(kind::CALLOC, p, std::ptr::null_mut(), total, 0),
    )
}

/// # Safety
/// As C's `realloc`.
#[no_mangle]
pub unsafe extern "C" fn realloc(old: *mut c_void, size: size_t) -> *mut c_void {
    // SAFETY: forwarded with the caller's arguments.
    traced(
        || unsafe { __libc_realloc(old, size) },
        |p| ev(kind::REALLOC, p, old, size, 0),
    )
}

/// # Safety
/// As POSIX's `posix_memalign`.
#[no_mangle]
pub unsafe extern "C" fn posix_memalign(
    out: *mut *mut c_void,
    align: size_t,
    size: size_t,
) -> c_int {
    // SAFETY: `out` is the caller's, writable as posix_memalign requires;
    // the call is forwarded with a valid alignment.
    unsafe {
        preload::posix_memalign(out, align, size, |align, size| {
            traced(
                || __libc_memalign(align, size),
                |p| ev(kind::POSIX_MEMALIGN, p, std::ptr::null_mut(), size, align),
            )
        })
    }
}

/// # Safety
/// As C's `aligned_alloc`.
#[no_mangle]
pub unsafe extern "C" fn aligned_alloc(align: size_t, size: size_t) -> *mut c_void {
    // SAFETY: forwarded with the caller's arguments.
    traced(
        || unsafe { __libc_memalign(align, size) },
        |p| ev(kind::ALIGNED_ALLOC, p, std::ptr::null_mut(), size, align),
    )
}

/// # Safety
/// As glibc's `memalign`.
#[no_mangle]
pub unsafe extern "C" fn memalign(align: size_t, size: size_t) -> *mut c_void {
    // SAFETY: forwarded with the caller's arguments.
    traced(
        || unsafe { __libc_memalign(align, size) },
        |p| ev(kind::MEMALIGN, p, std::ptr::null_mut(), size, align),
    )
}

/// # Safety
/// As glibc's `valloc`.
#[no_mangle]
pub unsafe extern "C" fn valloc(size: size_t) -> *mut c_void {
    // SAFETY: forwarded with the caller's arguments.
    traced(
        || unsafe { __libc_valloc(size) },
        |p| ev(kind::VALLOC, p, std::ptr::null_mut(), size, 0),
    )
}

/// # Safety
/// As glibc's `pvalloc`.
#[no_mangle]
pub unsafe extern "C" fn pvalloc(size: size_t) -> *mut c_void {
    // SAFETY: forwarded with the caller's arguments.
    traced(
        || unsafe { __libc_pvalloc(size) },
        |p| ev(kind::PVALLOC, p, std::ptr::null_mut(), size, 0),
    )
}

/// glibc's own `malloc_usable_size`, found once (outside the lock).
fn real_usable_size() -> Option<unsafe extern "C" fn(*mut c_void) -> size_t> {
    static FOUND: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let mut f = FOUND.load(Ordering::Acquire);
    if f == 0 {
        // SAFETY: RTLD_NEXT lookup of a NUL-terminated name.
        f = unsafe { libc::dlsym(libc::RTLD_NEXT, c"malloc_usable_size".as_ptr()) } as usize;
        FOUND.store(f, Ordering::Release);
    }
    // SAFETY: a non-null result of dlsym for this name is glibc's function.
    (f != 0).then(|| unsafe {
        std::mem::transmute::<usize, unsafe extern "C" fn(*mut c_void) -> size_t>(f)
    })
}

/// # Safety
/// As glibc's `malloc_usable_size`.
#[no_mangle]
pub unsafe extern "C" fn malloc_usable_size(ptr: *mut c_void) -> size_t {
    let was_in = hook::enter();
    let real = real_usable_size();
    hook::restore(was_in);
    let Some(real) = real else { return 0 };
    // SAFETY: forwarded with the caller's arguments.
    traced(
        || unsafe { real(ptr) },
        |n| ev(kind::USABLE_SIZE, ptr, std::ptr::null_mut(), n, 0),
    )
}
