//! The recorder's raw file, defined once for its writer (the `tracer`
//! cdylib) and its reader (`harness record`).
//!
//! A 32-byte header ([`MAGIC`], then the format [`VERSION`], the event
//! size and the recording process's pid as little-endian u32, then 0),
//! then events of [`EVENT_BYTES`] bytes: `ns`, `ptr`, `old`, `size`,
//! `align` (u64 each), `tid` (u32), `kind` (u8, one of [`kind`]), 3 bytes
//! of padding; all little-endian, as x86-64 and aarch64 store them. The
//! field offsets are in [`offset`]; the writer checks its `#[repr(C)]`
//! event against them at compile time.
//!
//! Nothing here allocates: the recorder's hooks may use all of it.

#![no_std]

/// The raw file's first 16 bytes.
pub const MAGIC: &[u8; 16] = b"ALLOCTRACE-RAW\0\0";
/// The format's version, in the header.
pub const VERSION: u32 = 1;
/// Bytes per event.
pub const EVENT_BYTES: usize = 48;
/// Bytes of the header.
pub const HEADER_BYTES: usize = 32;

/// Where each field of an event starts, in bytes.
pub mod offset {
    pub const NS: usize = 0;
    pub const PTR: usize = 8;
    pub const OLD: usize = 16;
    pub const SIZE: usize = 24;
    pub const ALIGN: usize = 32;
    pub const TID: usize = 40;
    pub const KIND: usize = 44;
}

/// Event kinds, as written in the raw file (and in the trace).
pub mod kind {
    pub const MALLOC: u8 = 1;
    pub const FREE: u8 = 2;
    pub const CALLOC: u8 = 3;
    pub const REALLOC: u8 = 4;
    pub const POSIX_MEMALIGN: u8 = 5;
    pub const ALIGNED_ALLOC: u8 = 6;
    pub const MEMALIGN: u8 = 7;
    pub const VALLOC: u8 = 8;
    pub const PVALLOC: u8 = 9;
    pub const USABLE_SIZE: u8 = 10;
}

// The kind byte and the padding after it fit the event.
const _: () = assert!(offset::KIND + 1 + 3 == EVENT_BYTES);

/// The header a process with `pid` writes.
pub fn header(pid: u32) -> [u8; HEADER_BYTES] {
    let mut h = [0u8; HEADER_BYTES];
    h[..16].copy_from_slice(MAGIC);
    h[16..20].copy_from_slice(&VERSION.to_le_bytes());
    h[20..24].copy_from_slice(&(EVENT_BYTES as u32).to_le_bytes());
    h[24..28].copy_from_slice(&pid.to_le_bytes());
    h
}

/// The (version, event size) a header states, if it has the magic.
pub fn header_format(h: &[u8; HEADER_BYTES]) -> Option<(u32, u32)> {
    (&h[..16] == MAGIC).then(|| (u32_at(h, 16), u32_at(h, 20)))
}

/// The little-endian u64 at `at`.
pub fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut v = [0u8; 8];
    v.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(v)
}

/// The little-endian u32 at `at`.
pub fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut v = [0u8; 4];
    v.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_reads_back_its_format() {
        let h = header(4242);
        assert_eq!(header_format(&h), Some((VERSION, EVENT_BYTES as u32)));
        assert_eq!(u32_at(&h, 24), 4242);
        let mut bad = h;
        bad[0] = b'X';
        assert_eq!(header_format(&bad), None);
    }

    #[test]
    fn the_fields_fit_one_event_in_order() {
        let ends = [
            offset::NS + 8,
            offset::PTR + 8,
            offset::OLD + 8,
            offset::SIZE + 8,
            offset::ALIGN + 8,
            offset::TID + 4,
        ];
        let starts = [
            offset::PTR,
            offset::OLD,
            offset::SIZE,
            offset::ALIGN,
            offset::TID,
            offset::KIND,
        ];
        assert_eq!(ends, starts);
    }
}
