//! Division-free exact quotient: "which block does this offset start, if any?".
//!
//! `free` must turn a pointer into a block index and reject one that lies
//! inside a class's run but not at a block start, on every call, without a
//! hardware division (20 to 40 cycles on x86_64). For a stride `s = d * 2^k`
//! with `d` odd, `q = rotate_right(x * inverse(d), k)` is `x / s` when `s`
//! divides `x`, and above `(2^64 - 1) / s` when it does not (Hacker's
//! Delight, 10-17): one multiply, one rotate, one compare.

/// Precomputed constants that decide divisibility by one stride.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub(crate) struct Stride {
    /// Multiplicative inverse of the stride's odd part, modulo 2^64.
    pub(crate) inverse: u64,
    /// Largest quotient an exact multiple can have: `u64::MAX / stride`.
    pub(crate) limit: u64,
    /// Number of trailing zero bits of the stride.
    pub(crate) shift: u32,
}

impl Stride {
    /// Constants for `stride`, which must be non-zero.
    pub(crate) fn new(stride: usize) -> Stride {
        assert!(stride != 0, "stride must be non-zero");
        let stride = stride as u64;
        let shift = stride.trailing_zeros();
        let odd = stride >> shift;
        // Newton's iteration doubles the correct low bits each step; an odd
        // number is its own inverse modulo 8 (3 bits), so 5 steps give 96 >= 64.
        let mut inverse = odd;
        for _ in 0..5 {
            inverse = inverse.wrapping_mul(2u64.wrapping_sub(odd.wrapping_mul(inverse)));
        }
        debug_assert_eq!(odd.wrapping_mul(inverse), 1);
        Stride {
            inverse,
            limit: u64::MAX / stride,
            shift,
        }
    }

    /// `offset / stride` when the stride divides `offset`; otherwise a
    /// value above `limit`.
    #[cfg(test)]
    fn quotient(&self, offset: usize) -> u64 {
        quotient(offset, self.inverse, self.shift)
    }

    /// True when `offset` is an exact multiple of the stride.
    #[cfg(test)]
    fn divides(&self, offset: usize) -> bool {
        self.quotient(offset) <= self.limit
    }
}

/// The exact quotient of `offset` by the stride whose odd part's inverse is
/// `inverse` and whose trailing zero count is `shift` (see the module docs):
/// the pool's hot paths keep those two numbers in their class state.
#[inline(always)]
pub(crate) fn quotient(offset: usize, inverse: u64, shift: u32) -> u64 {
    (offset as u64).wrapping_mul(inverse).rotate_right(shift)
}

#[cfg(test)]
mod tests {
    use super::Stride;

    #[test]
    fn agrees_with_remainder_for_every_small_offset_and_stride() {
        for stride in (16..=4160).step_by(16).chain([1, 3, 7, 24, 48, 65552]) {
            let s = Stride::new(stride);
            for offset in 0..(stride * 40) {
                assert_eq!(
                    s.divides(offset),
                    offset % stride == 0,
                    "offset {offset} stride {stride}"
                );
                if offset % stride == 0 {
                    assert_eq!(s.quotient(offset), (offset / stride) as u64);
                }
            }
        }
    }

    #[test]
    fn agrees_with_remainder_near_the_top_of_the_address_space() {
        for stride in [16usize, 80, 272, 1040, 4112, 65552] {
            let s = Stride::new(stride);
            for offset in (usize::MAX - 100_000)..=usize::MAX {
                assert_eq!(
                    s.divides(offset),
                    offset % stride == 0,
                    "offset {offset} stride {stride}"
                );
            }
        }
    }
}
