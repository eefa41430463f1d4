//! What the image header says of the program: its path, its command line
//! and the allocator calls went to. Read with plain syscalls (no malloc).

use live_format::header;

fn read_file(path: &std::ffi::CStr, out: &mut [u8]) -> usize {
    // SAFETY: `path` is NUL-terminated.
    let fd = unsafe { libc::open(path.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
    if fd < 0 {
        return 0;
    }
    let mut n = 0;
    while n < out.len() {
        // SAFETY: `out[n..]` is writable for its length; `fd` is ours.
        let r = unsafe { libc::read(fd, out[n..].as_mut_ptr().cast(), out.len() - n) };
        if r <= 0 {
            break;
        }
        n += r as usize;
    }
    // SAFETY: `fd` is ours.
    unsafe { libc::close(fd) };
    n
}

/// Fills the header's program path, command line and allocator.
pub fn write(h: *mut u8) {
    // SAFETY: the header is mapped and writable for HEADER_BYTES, and the
    // fields written are inside it (live-format checks the layout).
    unsafe {
        let exe = std::slice::from_raw_parts_mut(h.add(header::EXE), header::EXE_MAX);
        let n = libc::readlink(
            c"/proc/self/exe".as_ptr(),
            exe.as_mut_ptr().cast(),
            exe.len(),
        );
        h.add(header::EXE_LEN).cast::<u64>().write(n.max(0) as u64);
        let cmd = std::slice::from_raw_parts_mut(h.add(header::CMDLINE), header::CMDLINE_MAX);
        let n = read_file(c"/proc/self/cmdline", cmd);
        h.add(header::CMDLINE_LEN).cast::<u64>().write(n as u64);
        let name = crate::backend::name();
        let at = std::slice::from_raw_parts_mut(h.add(header::ALLOCATOR), header::ALLOCATOR_MAX);
        at[..name.len()].copy_from_slice(name);
    }
}
