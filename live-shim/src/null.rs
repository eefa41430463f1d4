//! The null row of a live run: the shim timing a call that does nothing,
//! through the same path as every forwarded call (the same clock reads
//! around an indirect call), into the image's slot 0 at its start. Its
//! distribution is the shim's own cost per call, the floor a row is net of.

use live_format::OPS;

use live_format::NULL_CALLS as CALLS;

extern "C" fn nothing(p: *mut libc::c_void) -> *mut libc::c_void {
    p
}

/// Times [`CALLS`] empty calls of each op into `slot` (slot 0).
pub fn time(slot: *mut u8) {
    if slot.is_null() {
        return;
    }
    for op in 0..OPS {
        for _ in 0..CALLS {
            let f = std::hint::black_box(nothing as extern "C" fn(_) -> _);
            let t0 = crate::clock::start();
            let r = f(std::ptr::null_mut());
            let t1 = crate::clock::stop();
            std::hint::black_box(r);
            crate::slots::record(slot, op, t1.saturating_sub(t0), t1);
        }
    }
}
