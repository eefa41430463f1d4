//! The recorder's raw file (defined in the `tracer-format` crate): fixed-size
//! events with addresses, read in order.

use super::Kind;
use std::io::Read;
use std::path::Path;

use tracer_format::{header_format, offset, u32_at, u64_at, EVENT_BYTES, HEADER_BYTES, VERSION};

/// One raw event: what the recorder saw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawEvent {
    pub ns: u64,
    pub ptr: u64,
    pub old: u64,
    pub size: u64,
    pub align: u64,
    pub tid: u32,
    pub kind: Kind,
}

/// Reads a raw file's events, in order.
pub struct RawReader {
    input: std::io::BufReader<std::fs::File>,
    path: String,
    read: u64,
}

impl RawReader {
    pub fn open(path: &Path) -> Result<RawReader, String> {
        let shown = path.display().to_string();
        let file = std::fs::File::open(path).map_err(|e| format!("{shown}: {e}"))?;
        let mut input = std::io::BufReader::with_capacity(1 << 20, file);
        let mut h = [0u8; HEADER_BYTES];
        input.read_exact(&mut h).map_err(|_| {
            format!("{shown}: shorter than the recorder's header ({HEADER_BYTES} bytes)")
        })?;
        let Some((version, size)) = header_format(&h) else {
            return Err(format!("{shown}: not a raw allocation trace (bad magic)"));
        };
        if version != VERSION || size as usize != EVENT_BYTES {
            return Err(format!(
                "{shown}: raw trace version {version} with {size}-byte events; this harness reads version {VERSION}, {EVENT_BYTES}-byte events"
            ));
        }
        Ok(RawReader {
            input,
            path: shown,
            read: 0,
        })
    }

    /// The next event; None at the end. A torn last event (a process
    /// killed mid-write) ends the file too.
    pub fn next_event(&mut self) -> Result<Option<RawEvent>, String> {
        let mut b = [0u8; EVENT_BYTES];
        let mut got = 0;
        while got < EVENT_BYTES {
            match self.input.read(&mut b[got..]) {
                Ok(0) => return Ok(None),
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(format!("{}: {e}", self.path)),
            }
        }
        self.read += 1;
        let kind = Kind::from_code(b[offset::KIND]).ok_or_else(|| {
            format!(
                "{}: event {}: unknown call kind {}",
                self.path,
                self.read,
                b[offset::KIND]
            )
        })?;
        Ok(Some(RawEvent {
            ns: u64_at(&b, offset::NS),
            ptr: u64_at(&b, offset::PTR),
            old: u64_at(&b, offset::OLD),
            size: u64_at(&b, offset::SIZE),
            align: u64_at(&b, offset::ALIGN),
            tid: u32_at(&b, offset::TID),
            kind,
        }))
    }
}
