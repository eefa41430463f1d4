//! Reading the shim's files (layout in `live-format`): one [`Image`] per
//! process image, its null slot and its threads' slots, the counters of
//! each (window, op) read only where the slot says buckets were written.

use live_format::{
    bucket_range, counter, header, slot, slot_offset, BUCKETS, EMPTY_RANGE, HEADER_BYTES, MAGIC,
    OPS, SLOT_HEADER_BYTES, WINDOWS,
};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// One thread's (or the null slot's) counts.
#[derive(Clone, Debug, Default)]
pub struct Slot {
    pub tid: u64,
    /// Its windows last `window_ticks << level` ticks.
    pub level: u32,
    /// Timed calls per op, as the slot counted them.
    pub calls: [u64; OPS],
    /// The first call of each op, in ticks (0: none).
    pub first: [u64; OPS],
    /// Per window, per op: (bucket, count) of every bucket written.
    pub windows: Vec<[Vec<(usize, u64)>; OPS]>,
}

impl Slot {
    /// Calls its counters hold, per op.
    pub fn counted(&self) -> [u64; OPS] {
        let mut n = [0; OPS];
        for w in &self.windows {
            for (op, buckets) in w.iter().enumerate() {
                n[op] += buckets.iter().map(|&(_, c)| c).sum::<u64>();
            }
        }
        n
    }
}

/// One process image's file.
#[derive(Clone, Debug)]
pub struct Image {
    pub path: PathBuf,
    pub pid: u64,
    pub ppid: u64,
    pub origin: u64,
    pub window_ticks: u64,
    /// Ticks are nanoseconds (not the TSC's).
    pub clock_ns: bool,
    /// Its exit handlers ran (`exit` or a return from main).
    pub exited: bool,
    pub untimed: [u64; OPS],
    pub usable_size: u64,
    pub bootstrap: u64,
    /// Requests a fixed pool could not serve.
    pub pool_failed: u64,
    pub exe: String,
    pub cmdline: Vec<String>,
    pub allocator: String,
    pub null: Slot,
    pub threads: Vec<Slot>,
    /// Slots left mid-merge (their counts unusable), by thread id.
    pub cut_off: Vec<u64>,
}

impl Image {
    /// The program's name: the file name of its executable.
    pub fn program(&self) -> String {
        Path::new(&self.exe)
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.exe.clone())
    }

    /// Timed calls of every thread, per op.
    pub fn timed(&self) -> [u64; OPS] {
        let mut n = [0; OPS];
        for t in &self.threads {
            for (op, c) in t.counted().iter().enumerate() {
                n[op] += c;
            }
        }
        n
    }
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_ne_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

fn text(b: &[u8], len_at: usize, at: usize, max: usize) -> String {
    let n = (u64_at(b, len_at) as usize).min(max);
    String::from_utf8_lossy(&b[at..at + n]).into_owned()
}

fn read_slot(f: &std::fs::File, k: usize) -> std::io::Result<(Slot, bool)> {
    let base = slot_offset(k) as u64;
    let mut h = vec![0u8; SLOT_HEADER_BYTES];
    f.read_exact_at(&mut h, base)?;
    let mut s = Slot {
        tid: u64_at(&h, slot::TID),
        level: u64_at(&h, slot::LEVEL) as u32,
        ..Slot::default()
    };
    for op in 0..OPS {
        s.calls[op] = u64_at(&h, slot::CALLS + 8 * op);
        s.first[op] = u64_at(&h, slot::FIRST + 8 * op);
    }
    let merging = u64_at(&h, slot::MERGING) != 0;
    for w in 0..WINDOWS {
        let mut per_op: [Vec<(usize, u64)>; OPS] = Default::default();
        for (op, out) in per_op.iter_mut().enumerate() {
            let at = slot::RANGE + 4 * (w * OPS + op);
            let r = u32::from_ne_bytes(h[at..at + 4].try_into().expect("4 bytes"));
            if r == EMPTY_RANGE {
                continue;
            }
            let (lo, hi) = ((r & 0xffff) as usize, ((r >> 16) as usize).min(BUCKETS - 1));
            let mut c = vec![0u8; (hi + 1 - lo.min(hi)) * 8];
            let off = base + (SLOT_HEADER_BYTES + counter(w, op, lo) * 8) as u64;
            f.read_exact_at(&mut c, off)?;
            for (i, chunk) in c.chunks_exact(8).enumerate() {
                let n = u64::from_ne_bytes(chunk.try_into().expect("8 bytes"));
                if n > 0 {
                    out.push((lo + i, n));
                }
            }
        }
        s.windows.push(per_op);
    }
    while s
        .windows
        .last()
        .is_some_and(|w| w.iter().all(Vec::is_empty))
    {
        s.windows.pop();
    }
    Ok((s, merging))
}

/// Reads one image file; an error names the file and what is wrong.
pub fn read(path: &Path) -> Result<Image, String> {
    let bad = |e: String| format!("{}: {e}", path.display());
    let f = std::fs::File::open(path).map_err(|e| bad(e.to_string()))?;
    let mut h = vec![0u8; HEADER_BYTES];
    f.read_exact_at(&mut h, 0)
        .map_err(|e| bad(format!("shorter than its header ({e})")))?;
    if u64_at(&h, header::MAGIC) != MAGIC {
        return Err(bad(
            "no live-shim header (the process was stopped while it started recording)".into(),
        ));
    }
    let mut untimed = [0; OPS];
    for (op, u) in untimed.iter_mut().enumerate() {
        *u = u64_at(&h, header::UNTIMED + 8 * op);
    }
    let cmdline = text(
        &h,
        header::CMDLINE_LEN,
        header::CMDLINE,
        header::CMDLINE_MAX,
    );
    let allocator =
        String::from_utf8_lossy(&h[header::ALLOCATOR..header::ALLOCATOR + header::ALLOCATOR_MAX])
            .trim_end_matches('\0')
            .to_string();
    let slots = u64_at(&h, header::SLOTS) as usize;
    let mut image = Image {
        path: path.to_path_buf(),
        pid: u64_at(&h, header::PID),
        ppid: u64_at(&h, header::PPID),
        origin: u64_at(&h, header::ORIGIN),
        window_ticks: u64_at(&h, header::WINDOW_TICKS).max(1),
        clock_ns: u64_at(&h, header::CLOCK) == 1,
        exited: u64_at(&h, header::EXITED) == 1,
        untimed,
        usable_size: u64_at(&h, header::USABLE_SIZE),
        bootstrap: u64_at(&h, header::BOOTSTRAP),
        pool_failed: u64_at(&h, header::POOL_FAILED),
        exe: text(&h, header::EXE_LEN, header::EXE, header::EXE_MAX),
        cmdline: cmdline
            .split('\0')
            .filter(|a| !a.is_empty())
            .map(str::to_string)
            .collect(),
        allocator,
        null: Slot::default(),
        threads: Vec::new(),
        cut_off: Vec::new(),
    };
    read_slots(&f, slots, &mut image).map_err(bad)?;
    Ok(image)
}

/// The null slot and the threads' slots into `image`.
fn read_slots(f: &std::fs::File, slots: usize, image: &mut Image) -> Result<(), String> {
    for k in 0..slots {
        let (s, merging) = read_slot(f, k).map_err(|e| format!("slot {k}: {e}"))?;
        if merging {
            image.cut_off.push(s.tid);
        } else if k == 0 {
            image.null = s;
        } else {
            image.threads.push(s);
        }
    }
    Ok(())
}

/// Every image file in `dir`, in the order they started.
pub fn read_dir(dir: &Path) -> Result<Vec<Image>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut images = Vec::new();
    for e in entries {
        let path = e.map_err(|e| format!("{}: {e}", dir.display()))?.path();
        if path.extension().is_some_and(|x| x == "live") {
            images.push(read(&path)?);
        }
    }
    images.sort_by_key(|i| (i.origin, i.pid));
    Ok(images)
}

/// The tick range of bucket `b`'s middle, the value its calls are given.
pub fn bucket_value(b: usize) -> u64 {
    let (lo, hi) = bucket_range(b);
    lo + (hi - lo) / 2
}
