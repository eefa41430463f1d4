//! A test double for `harness ab`'s sensitivity check: an allocator made
//! slower by a known amount of work per call, compiled only with the
//! `inject-slowdown` feature (never in a build that publishes figures).
//!
//! `HARNESS_INJECT_SLOWDOWN=NAME:STEPS` (read once per case) puts STEPS
//! dependent multiply-rotate steps in front of every alloc and free of
//! allocator NAME; the others run untouched. Each step is a 64-bit multiply
//! and a rotate whose input is the previous step's output, so one call's
//! steps run one after another (about 4 cycles each on x86-64); in a
//! batched loop the chains of consecutive calls are independent and may
//! overlap. `harness count` gives the exact instructions added; the time
//! they add is what an A/B of this build against a plain one measures
//! (METHODOLOGY.md, "A/B in rounds").

use super::Name;
use workloads::Allocator;

/// The variable that names the slowed allocator and its steps.
pub const VAR: &str = "HARNESS_INJECT_SLOWDOWN";

/// The steps to add to `name`'s calls, when the variable names it.
pub fn steps_for(name: Name) -> Option<u32> {
    let (who, steps) = parse(&std::env::var(VAR).ok()?)?;
    (who == name).then_some(steps)
}

/// `NAME:STEPS`, or None when it is not that.
fn parse(value: &str) -> Option<(Name, u32)> {
    let (who, steps) = value.split_once(':')?;
    Some((Name::parse(who)?, steps.parse().ok()?))
}

/// What meta.json says of the slowdown this process injects, if any.
pub fn describe() -> Option<String> {
    let value = std::env::var(VAR).ok()?;
    Some(match parse(&value) {
        Some((who, steps)) => format!(
            "{VAR}={value}: {steps} dependent multiply-rotate steps before every alloc and free of {} (a test double build)",
            who.as_str()
        ),
        None => format!("{VAR}={value}: not NAME:STEPS, so nothing is injected"),
    })
}

/// `A` with `steps` steps of work before each call.
pub struct Slowed<A> {
    inner: A,
    steps: u32,
}

impl<A> Slowed<A> {
    pub fn new(inner: A, steps: u32) -> Slowed<A> {
        Slowed { inner, steps }
    }
}

/// The dependent chain; black_box keeps it from being folded away.
#[inline(always)]
fn spin(steps: u32) {
    let mut x = std::hint::black_box(0x9e37_79b9_7f4a_7c15u64);
    for _ in 0..steps {
        x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9).rotate_left(31);
    }
    std::hint::black_box(x);
}

impl<A: Allocator> Allocator for Slowed<A> {
    #[inline(always)]
    fn alloc(&mut self, size: usize) -> *mut u8 {
        spin(self.steps);
        self.inner.alloc(size)
    }

    #[inline(always)]
    unsafe fn free(&mut self, ptr: *mut u8, size: usize) {
        spin(self.steps);
        // SAFETY: the caller's contract for `free` is the inner one's.
        unsafe { self.inner.free(ptr, size) }
    }

    fn usable_size(&self, ptr: *mut u8, size: usize) -> Option<usize> {
        self.inner.usable_size(ptr, size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_variable_names_an_allocator_and_its_steps() {
        assert_eq!(parse("system:8"), Some((Name::System, 8)));
        assert_eq!(parse("system"), None);
        assert_eq!(parse("nosuch:8"), None);
        assert_eq!(parse("system:-1"), None);
    }

    #[test]
    fn a_slowed_allocator_still_serves_its_inner_blocks() {
        let mut a = Slowed::new(workloads::NullAlloc::with_block_bytes(64), 4);
        let p = a.alloc(64);
        assert!(!p.is_null());
        // SAFETY: p came from a.alloc(64) and is freed once.
        unsafe { a.free(p, 64) };
    }
}
