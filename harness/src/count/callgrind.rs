//! What callgrind counts, and reading it back from its dump files.
//!
//! Each `dump_stats` request writes `<out>.<n>` (n = 1, 2, ...), whose
//! `events:` line names the counters and whose `summary:` line holds their
//! totals since the previous dump. The reader takes those two lines from
//! the top of the file and deletes it, with buffers sized once: it runs
//! between two measured calls and must not allocate (an allocation there
//! would go through glibc's malloc, one of the allocators measured).

use std::fmt::Write as _;
use std::io::Read;
use std::path::Path;

/// The counters of callgrind's cache simulation, in its `events:` order.
pub const EVENTS: [&str; 9] = [
    "Ir", "Dr", "Dw", "I1mr", "D1mr", "D1mw", "ILmr", "DLmr", "DLmw",
];

/// One reading: instructions, data reads and writes, and the misses of the
/// simulated first-level (I1, D1) and last-level (LL) caches.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Events(pub [u64; 9]);

impl Events {
    pub fn instructions(&self) -> u64 {
        self.0[0]
    }

    /// Data reads plus writes.
    pub fn data_refs(&self) -> u64 {
        self.0[1] + self.0[2]
    }

    /// I1 + D1 read + D1 write misses.
    pub fn l1_misses(&self) -> u64 {
        self.0[3] + self.0[4] + self.0[5]
    }

    /// LL instruction + data read + data write misses.
    pub fn ll_misses(&self) -> u64 {
        self.0[6] + self.0[7] + self.0[8]
    }

    /// Estimated cycles, the formula iai-callgrind uses: an L1 hit costs 1,
    /// an LL hit 5 and a miss to RAM 35:
    /// `(Ir + Dr + Dw - L1 misses) + 5 (L1 misses - LL misses) + 35 LL misses`.
    pub fn estimated_cycles(&self) -> u64 {
        let refs = self.instructions() + self.data_refs();
        let (l1, ll) = (self.l1_misses(), self.ll_misses());
        (refs - l1) + 5 * (l1 - ll) + 35 * ll
    }

    pub fn add(&mut self, other: &Events) {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a += b;
        }
    }
}

/// Reads a dump's `events:` and `summary:` lines. Errors name what is
/// missing.
pub fn parse(text: &str) -> Result<Events, String> {
    let line = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .ok_or_else(|| format!("no `{key}` line"))
    };
    let names = line("events:")?;
    let mut values = line("summary:")?.split_whitespace();
    let mut out = Events::default();
    let mut seen = [false; 9];
    for name in names.split_whitespace() {
        // Trailing zero counts are left out of the line (callgrind's format).
        let value = values.next().unwrap_or("0");
        if let Some(i) = EVENTS.iter().position(|e| *e == name) {
            out.0[i] = value
                .parse()
                .map_err(|_| format!("summary value `{value}` of {name} is not a count"))?;
            seen[i] = true;
        }
    }
    match EVENTS.iter().zip(seen).find(|(_, s)| !s) {
        Some((name, _)) => Err(format!(
            "no {name} count (was callgrind run with --cache-sim=yes?)"
        )),
        None => Ok(out),
    }
}

/// Bytes read from the top of a dump: the header and the summary line come
/// first and take well under 1 KB.
const HEAD_BYTES: usize = 16 * 1024;

/// Reads the numbered dumps of one callgrind output file in order.
pub struct DumpReader {
    /// `--callgrind-out-file`, as given to callgrind.
    base: String,
    path: String,
    next: u64,
    buf: Vec<u8>,
}

impl DumpReader {
    pub fn new(base: &Path) -> DumpReader {
        let base = base.display().to_string();
        DumpReader {
            path: String::with_capacity(base.len() + 24),
            base,
            next: 1,
            buf: vec![0; HEAD_BYTES],
        }
    }

    /// The counters of the dump just requested, whose file is then removed.
    pub fn take(&mut self) -> Result<Events, String> {
        self.path.clear();
        let _ = write!(self.path, "{}.{}", self.base, self.next);
        self.next += 1;
        let mut file = std::fs::File::open(&self.path).map_err(|e| {
            format!(
                "{}: {e} (no callgrind dump: is this running under callgrind?)",
                self.path
            )
        })?;
        let mut filled = 0;
        while filled < self.buf.len() {
            match file.read(&mut self.buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) => return Err(format!("{}: {e}", self.path)),
            }
        }
        // A buffer cut inside a character past the summary is still read.
        let head = &self.buf[..filled];
        let text = match std::str::from_utf8(head) {
            Ok(text) => text,
            Err(e) => std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or_default(),
        };
        // The two lines come before the first cost line, well within the
        // buffer; a line cut at its end is never one of them.
        let events = parse(text).map_err(|e| format!("{}: {e}", self.path))?;
        std::fs::remove_file(&self.path).map_err(|e| format!("{}: {e}", self.path))?;
        Ok(events)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The top of a real dump (callgrind 3.19, --cache-sim=yes).
    const DUMP: &str = "# callgrind format\nversion: 1\ncreator: callgrind-3.19.0\n\
        pid: 24437\ncmd:  ./vgx 100\npart: 1\n\n\ndesc: I1 cache: 32768 B, 64 B, 8-way associative\n\
        desc: Trigger: Client Request\n\npositions: line\n\
        events: Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw\n\
        summary: 244 49 32 4 0 1 4 0 1\n\n\nob=/usr/lib/libc.so.6\nfn=(below main)\n";

    #[test]
    fn a_dump_gives_every_counter_by_name() {
        let e = parse(DUMP).unwrap();
        assert_eq!(e.0, [244, 49, 32, 4, 0, 1, 4, 0, 1]);
        assert_eq!(e.instructions(), 244);
        assert_eq!(e.data_refs(), 81);
        assert_eq!((e.l1_misses(), e.ll_misses()), (5, 5));
        // 325 references, 5 of them missing L1 and LL alike: 320 + 0 + 175.
        assert_eq!(e.estimated_cycles(), 495);
    }

    #[test]
    fn counters_are_matched_by_name_not_position() {
        let e =
            parse("events: Dr Ir Dw I1mr D1mr D1mw ILmr DLmr DLmw\nsummary: 2 1 3 0 0 0 0 0 0\n")
                .unwrap();
        assert_eq!((e.instructions(), e.data_refs()), (1, 5));
    }

    #[test]
    fn a_dump_without_the_cache_counters_or_a_summary_is_refused_and_zeros_may_be_left_out() {
        let short =
            parse("events: Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw\nsummary: 40 6 14 6 1 0 6\n");
        assert_eq!(
            short.unwrap().0,
            [40, 6, 14, 6, 1, 0, 6, 0, 0],
            "trailing zeros left out"
        );
        let no_cache = parse("events: Ir\nsummary: 12\n").unwrap_err();
        assert!(no_cache.contains("no Dr count"), "{no_cache}");
        assert!(parse("events: Ir\n")
            .unwrap_err()
            .contains("no `summary:` line"));
        let bad = parse("events: Ir Dr\nsummary: 1 x\n").unwrap_err();
        assert!(bad.contains("`x` of Dr"), "{bad}");
    }

    #[test]
    fn the_reader_takes_numbered_dumps_in_order_and_removes_them() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("cg.out");
        for (n, ir) in [(1, 10), (2, 20)] {
            let text = DUMP.replace("summary: 244", &format!("summary: {ir}"));
            std::fs::write(format!("{}.{n}", base.display()), text).unwrap();
        }
        let mut reader = DumpReader::new(&base);
        assert_eq!(reader.take().unwrap().instructions(), 10);
        assert_eq!(reader.take().unwrap().instructions(), 20);
        let missing = reader.take().unwrap_err();
        assert!(
            missing.contains("cg.out.3") && missing.contains("callgrind"),
            "{missing}"
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
