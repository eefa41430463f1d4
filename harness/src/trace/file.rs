//! The trace file, version 1: what `harness record` writes and `harness
//! replay` reads, as a stream (a trace is never held whole in memory).
//!
//! ```text
//! header   "ALLOCTRACE\0\0" (12 bytes), version: u32 little-endian (1)
//! body     one zstd frame holding, per event:
//!            kind     u8 (tracer codes 1-10, `trace::Kind`)
//!            thread   LEB128
//!            dt_ns    LEB128, nanoseconds since the previous event
//!            then by kind:
//!              malloc, calloc, valloc, pvalloc:           id, size
//!              posix_memalign, aligned_alloc, memalign:   id, size, align
//!              realloc:                                   old, id, size
//!              free:                                      id
//!              malloc_usable_size:                        id, size (its answer)
//!          and at the end: u8 0, then the event count as LEB128.
//! ```
//!
//! Ids are LEB128, numbered from 1 in order of allocation; 0 is a null
//! result or `free(NULL)`. A file without the end marker, or whose count
//! does not match, is refused as truncated.

use super::{Event, Kind};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;

const MAGIC: &[u8; 12] = b"ALLOCTRACE\0\0";
pub const VERSION: u32 = 1;
const END: u8 = 0;

fn put_leb(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// Writes a trace; call [`Writer::finish`] or the file is truncated.
pub struct Writer<W: Write> {
    zstd: zstd::stream::write::Encoder<'static, W>,
    scratch: Vec<u8>,
    count: u64,
}

impl<W: Write> Writer<W> {
    pub fn new(mut out: W) -> std::io::Result<Writer<W>> {
        out.write_all(MAGIC)?;
        out.write_all(&VERSION.to_le_bytes())?;
        Ok(Writer {
            zstd: zstd::stream::write::Encoder::new(out, 9)?,
            scratch: Vec::with_capacity(64),
            count: 0,
        })
    }

    pub fn push(&mut self, e: &Event) -> std::io::Result<()> {
        let b = &mut self.scratch;
        b.clear();
        b.push(e.kind as u8);
        put_leb(b, u64::from(e.thread));
        put_leb(b, e.dt_ns);
        match e.kind {
            Kind::Free => put_leb(b, e.id),
            Kind::Realloc => {
                put_leb(b, e.old);
                put_leb(b, e.id);
                put_leb(b, e.size);
            }
            k => {
                put_leb(b, e.id);
                put_leb(b, e.size);
                if k.aligned() {
                    put_leb(b, e.align);
                }
            }
        }
        self.count += 1;
        self.zstd.write_all(b)
    }

    /// Writes the end marker and the count; returns the inner writer.
    pub fn finish(mut self) -> std::io::Result<W> {
        let mut b = vec![END];
        put_leb(&mut b, self.count);
        self.zstd.write_all(&b)?;
        self.zstd.finish()
    }
}

/// Reads a trace, one event at a time.
pub struct Reader {
    input: BufReader<zstd::stream::read::Decoder<'static, BufReader<std::fs::File>>>,
    path: String,
    read: u64,
    done: bool,
}

impl Reader {
    /// Opens a trace; a file that is not one, or of another version, is
    /// refused with a sentence naming it.
    pub fn open(path: &Path) -> Result<Reader, String> {
        let shown = path.display().to_string();
        let mut file = std::fs::File::open(path).map_err(|e| format!("{shown}: {e}"))?;
        let mut h = [0u8; 16];
        file.read_exact(&mut h).map_err(|_| {
            format!("{shown}: not an allocation trace (shorter than its 16-byte header)")
        })?;
        if &h[..12] != MAGIC {
            return Err(format!(
                "{shown}: not an allocation trace (it does not start with ALLOCTRACE; record one with `harness record`)"
            ));
        }
        let version = u32::from_le_bytes(h[12..16].try_into().expect("4 bytes"));
        if version != VERSION {
            return Err(format!(
                "{shown}: trace format version {version}; this harness reads version {VERSION}"
            ));
        }
        let zstd = zstd::stream::read::Decoder::new(file).map_err(|e| format!("{shown}: {e}"))?;
        Ok(Reader {
            input: BufReader::with_capacity(1 << 16, zstd),
            path: shown,
            read: 0,
            done: false,
        })
    }

    fn byte(&mut self) -> Result<Option<u8>, String> {
        let first = match self.input.fill_buf() {
            Ok(buf) => buf.first().copied(),
            Err(e) => return Err(self.broken(&format!("{e} (corrupt)"))),
        };
        let Some(b) = first else {
            return Ok(None);
        };
        self.input.consume(1);
        Ok(Some(b))
    }

    fn broken(&self, why: &str) -> String {
        format!("{}: after event {}: {why}", self.path, self.read)
    }

    fn truncated(&self) -> String {
        self.broken("the file ends without its end marker (truncated: a recording cut short, or a partial copy)")
    }

    fn leb(&mut self) -> Result<u64, String> {
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?.ok_or_else(|| self.truncated())?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(self.broken("a number longer than 64 bits (corrupt)"))
    }

    /// The next event; None after the last. A truncated or corrupt file is
    /// an error naming the event it broke after.
    pub fn next_event(&mut self) -> Result<Option<Event>, String> {
        if self.done {
            return Ok(None);
        }
        let code = self.byte()?.ok_or_else(|| self.truncated())?;
        if code == END {
            let count = self.leb()?;
            if count != self.read {
                return Err(self.broken(&format!("the end marker counts {count} events (corrupt)")));
            }
            self.done = true;
            return Ok(None);
        }
        let kind = Kind::from_code(code)
            .ok_or_else(|| self.broken(&format!("unknown call kind {code} (corrupt)")))?;
        let thread = u32::try_from(self.leb()?)
            .map_err(|_| self.broken("a thread number beyond 32 bits (corrupt)"))?;
        let dt_ns = self.leb()?;
        let mut e = Event {
            kind,
            thread,
            dt_ns,
            id: 0,
            old: 0,
            size: 0,
            align: 0,
        };
        match kind {
            Kind::Free => e.id = self.leb()?,
            Kind::Realloc => {
                e.old = self.leb()?;
                e.id = self.leb()?;
                e.size = self.leb()?;
            }
            k => {
                e.id = self.leb()?;
                e.size = self.leb()?;
                if k.aligned() {
                    e.align = self.leb()?;
                }
            }
        }
        self.read += 1;
        Ok(Some(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<Event> {
        let e = |kind, id, old, size, align| Event {
            kind,
            thread: (id % 3) as u32,
            dt_ns: id * 1000 + 7,
            id,
            old,
            size,
            align,
        };
        vec![
            e(Kind::Malloc, 1, 0, 24, 0),
            e(Kind::Calloc, 2, 0, 1 << 40, 0),
            e(Kind::Realloc, 3, 1, 300, 0),
            e(Kind::PosixMemalign, 4, 0, 64, 4096),
            e(Kind::UsableSize, 3, 0, 312, 0),
            e(Kind::Free, 2, 0, 0, 0),
            e(Kind::Free, 0, 0, 0, 0),
            e(Kind::Malloc, 0, 0, u64::MAX, 0),
        ]
    }

    fn write(path: &Path, events: &[Event]) {
        let mut w = Writer::new(std::fs::File::create(path).unwrap()).unwrap();
        for e in events {
            w.push(e).unwrap();
        }
        w.finish().unwrap();
    }

    fn read_all(path: &Path) -> Result<Vec<Event>, String> {
        let mut r = Reader::open(path)?;
        let mut out = Vec::new();
        while let Some(e) = r.next_event()? {
            out.push(e);
        }
        Ok(out)
    }

    #[test]
    fn events_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.trace");
        write(&path, &sample());
        assert_eq!(read_all(&path).unwrap(), sample());
    }

    #[test]
    fn a_truncated_or_foreign_file_is_refused_with_a_reason() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.trace");
        write(&path, &sample());
        let whole = std::fs::read(&path).unwrap();
        let cut = dir.path().join("cut.trace");
        std::fs::write(&cut, &whole[..whole.len() - 3]).unwrap();
        let err = read_all(&cut).unwrap_err();
        assert!(err.contains("cut.trace"), "{err}");

        let foreign = dir.path().join("f.trace");
        std::fs::write(&foreign, b"not a trace at all, just text").unwrap();
        let err = read_all(&foreign).unwrap_err();
        assert!(err.contains("not an allocation trace"), "{err}");

        let mut newer = whole.clone();
        newer[12] = 9;
        std::fs::write(&foreign, &newer).unwrap();
        let err = read_all(&foreign).unwrap_err();
        assert!(err.contains("version 9"), "{err}");
    }
}
