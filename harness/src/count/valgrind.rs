//! Valgrind's client requests, the few `count` needs: am I running under
//! valgrind, and callgrind's toggle-collection and dump-statistics.
//!
//! A client request is a fixed no-op instruction sequence that valgrind's
//! translator recognises (valgrind.h, `VALGRIND_DO_CLIENT_REQUEST_EXPR`):
//! natively it does nothing and yields the default, under valgrind the tool
//! answers it. Written here rather than taken from a crate because every
//! crate that provides them (crabgrind, valgrind-requests) needs valgrind's
//! headers or libclang when it is *built*, and `cargo build` must need
//! neither: valgrind is only needed to run `harness count`. The request
//! numbers are valgrind's stable ABI (valgrind.h, callgrind.h); the
//! valgrind test of `count` (tests/count.rs) fails if they are wrong, since
//! every count would then be missing.

/// `VG_USERREQ__RUNNING_ON_VALGRIND` (valgrind.h).
const RUNNING_ON_VALGRIND: u64 = 0x1001;
/// `VG_USERREQ_TOOL_BASE('C','T')`: callgrind's first request (callgrind.h).
const CALLGRIND_BASE: u64 = ((b'C' as u64) << 24) | ((b'T' as u64) << 16);
/// `VG_USERREQ__DUMP_STATS`: write the costs since the last dump to a new
/// file and zero them.
const DUMP_STATS: u64 = CALLGRIND_BASE;
/// `VG_USERREQ__TOGGLE_COLLECT`: start or stop counting.
const TOGGLE_COLLECT: u64 = CALLGRIND_BASE + 2;

/// Sends request `code` with no arguments; returns `default` natively.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn request(code: u64, default: u64) -> u64 {
    let args: [u64; 6] = [code, 0, 0, 0, 0, 0];
    let mut result = default;
    // SAFETY: the four rotations of rdi by 3+13+61+51 = 128 bits leave it
    // unchanged and `xchg rbx, rbx` changes nothing, so natively the
    // sequence only reads `args` (valid for its whole length) and leaves
    // rdx, the result, at `default`. Under valgrind the tool reads `args`
    // through rax and writes rdx. Flags are clobbered (rol), hence no
    // `preserves_flags`; no stack is used.
    unsafe {
        std::arch::asm!(
            "rol rdi, 3",
            "rol rdi, 13",
            "rol rdi, 61",
            "rol rdi, 51",
            "xchg rbx, rbx",
            inout("rdx") result,
            in("rax") args.as_ptr(),
            options(nostack),
        );
    }
    result
}

/// Sends request `code` with no arguments; returns `default` natively.
#[cfg(target_arch = "aarch64")]
#[inline(always)]
fn request(code: u64, default: u64) -> u64 {
    let args: [u64; 6] = [code, 0, 0, 0, 0, 0];
    let mut result = default;
    // SAFETY: the four rotations of x12 by 3+13+51+61 = 128 bits leave it
    // unchanged and `orr x10, x10, x10` changes nothing, so natively the
    // sequence only reads `args` (valid for its whole length) and leaves
    // x3, the result, at `default`. Under valgrind the tool reads `args`
    // through x4 and writes x3. No stack is used.
    unsafe {
        std::arch::asm!(
            "ror x12, x12, #3",
            "ror x12, x12, #13",
            "ror x12, x12, #51",
            "ror x12, x12, #61",
            "orr x10, x10, x10",
            inout("x3") result,
            in("x4") args.as_ptr(),
            options(nostack),
        );
    }
    result
}

/// No client requests on other targets: never under valgrind.
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
#[inline(always)]
fn request(_code: u64, default: u64) -> u64 {
    default
}

/// Whether client requests work on this target at all.
pub const SUPPORTED: bool = cfg!(any(target_arch = "x86_64", target_arch = "aarch64"));

/// Whether this process runs under valgrind (any tool).
pub fn running() -> bool {
    request(RUNNING_ON_VALGRIND, 0) != 0
}

/// Callgrind: counting on if it was off, off if it was on.
#[inline(always)]
pub fn toggle_collect() {
    request(TOGGLE_COLLECT, 0);
}

/// Callgrind: writes the costs counted since the last dump to the next
/// numbered dump file, then zeroes them.
#[inline(always)]
pub fn dump_stats() {
    request(DUMP_STATS, 0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natively_every_request_is_a_no_op_that_yields_its_default() {
        // Not under valgrind (cargo test runs natively): the sequence must
        // hand back the default untouched and do nothing else.
        assert!(!running());
        assert_eq!(request(RUNNING_ON_VALGRIND, 77), 77);
        toggle_collect();
        dump_stats();
        assert_eq!(
            (DUMP_STATS, TOGGLE_COLLECT),
            (0x4354_0000, 0x4354_0002),
            "callgrind.h: VG_USERREQ_TOOL_BASE('C','T') and the third request"
        );
    }
}
