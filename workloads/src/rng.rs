//! The seeded random stream behind churn: the same seed gives the same
//! sequence of operations, sizes and victims on every machine.

use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// xoshiro256++ seeded through SplitMix64 (rand_xoshiro's `seed_from_u64`).
pub struct Stream(Xoshiro256PlusPlus);

impl Stream {
    pub fn new(seed: u64) -> Stream {
        Stream(Xoshiro256PlusPlus::seed_from_u64(seed))
    }

    #[inline(always)]
    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform in `0..n` (n >= 1), by Lemire's multiply-shift: one multiply,
    /// bias below 2^-40 for every n this suite uses.
    #[inline(always)]
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() as u128 * n as u128) >> 64) as usize
    }

    /// A fair coin.
    #[inline(always)]
    pub fn coin(&mut self) -> bool {
        self.next_u64() >> 63 == 1
    }
}
