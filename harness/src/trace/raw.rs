//! The recorder's raw file (layout in `tracer/src/lib.rs`): fixed-size
//! events with addresses, read in order.

use super::Kind;
use std::io::Read;
use std::path::Path;

const MAGIC: &[u8; 16] = b"ALLOCTRACE-RAW\0\0";
const VERSION: u32 = 1;
const HEADER_BYTES: usize = 32;
const EVENT_BYTES: usize = 48;

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

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
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
        if &h[..16] != MAGIC {
            return Err(format!("{shown}: not a raw allocation trace (bad magic)"));
        }
        let (version, size) = (u32_at(&h, 16), u32_at(&h, 20));
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
        let kind = Kind::from_code(b[44]).ok_or_else(|| {
            format!(
                "{}: event {}: unknown call kind {}",
                self.path, self.read, b[44]
            )
        })?;
        Ok(Some(RawEvent {
            ns: u64_at(&b, 0),
            ptr: u64_at(&b, 8),
            old: u64_at(&b, 16),
            size: u64_at(&b, 24),
            align: u64_at(&b, 32),
            tid: u32_at(&b, 40),
            kind,
        }))
    }
}
