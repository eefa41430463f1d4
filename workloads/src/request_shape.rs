//! The shape of one request (sizes, counts, order) and what it holds at its
//! peak: the size model of `request-closed` and `request-open`, apart from
//! their loop (`request.rs`) so that a case's demand needs no loop.

use crate::rng::Stream;
use crate::sizes::{mixed_octave, Demand, SizeRange};

/// The document buffer's size: uniform in this range (bytes, inclusive).
pub const DOC_BYTES: (usize, usize) = (2048, 4096);
/// Objects per request: uniform in this range.
pub const OBJECTS: (usize, usize) = (24, 64);
/// Object sizes: log-uniform over the first 5 octaves of the mixed spec,
/// 16..=32, 33..=64, ..., 257..=512 B.
pub const OBJECT_OCTAVES: usize = 5;
/// Buffers besides the document's: uniform in this range, each placed at a
/// uniformly random position among the objects.
pub const EXTRA_BUFFERS: (usize, usize) = (0, 3);
/// An extra buffer's size: uniform in this range.
pub const BUFFER_BYTES: (usize, usize) = (513, 4096);
/// The most blocks one request holds at once.
pub const MAX_BLOCKS: usize = 1 + OBJECTS.1 + EXTRA_BUFFERS.1;

/// What one request holds at its peak: every range may hold every block of
/// the request (the split is random but the count is small), so a per-request
/// pool sized from this never runs out.
pub fn demand() -> Demand {
    let mean_objects = (OBJECTS.0 + OBJECTS.1) as f64 / 2.0;
    let mean_buffers = 1.0 + (EXTRA_BUFFERS.0 + EXTRA_BUFFERS.1) as f64 / 2.0;
    let total = mean_objects + mean_buffers;
    let mut ranges: Vec<SizeRange> = (0..OBJECT_OCTAVES)
        .map(|k| SizeRange {
            share: mean_objects / total / OBJECT_OCTAVES as f64,
            ..mixed_octave(k)
        })
        .collect();
    ranges.push(SizeRange {
        min: BUFFER_BYTES.0,
        max: BUFFER_BYTES.1,
        share: mean_buffers / total,
    });
    Demand {
        ranges,
        max_live: MAX_BLOCKS,
        random_split: false,
        exact: None,
    }
}

/// Uniform in `lo..=hi`.
#[inline(always)]
fn uniform(rng: &mut Stream, (lo, hi): (usize, usize)) -> usize {
    lo + rng.below(hi - lo + 1)
}

/// Draws one request's block sizes into `sizes`, in allocation order;
/// returns how many there are.
pub fn draw(rng: &mut Stream, sizes: &mut [usize; MAX_BLOCKS]) -> usize {
    let objects = uniform(rng, OBJECTS);
    let mut extras = uniform(rng, EXTRA_BUFFERS);
    let n = 1 + objects + extras;
    sizes[0] = uniform(rng, DOC_BYTES);
    for (k, size) in sizes.iter_mut().enumerate().take(n).skip(1) {
        let slots_left = n - k;
        *size = if rng.below(slots_left) < extras {
            extras -= 1;
            uniform(rng, BUFFER_BYTES)
        } else {
            let octave = mixed_octave(rng.below(OBJECT_OCTAVES));
            uniform(rng, (octave.min, octave.max))
        };
    }
    n
}
