//! From (classes, percentages, pool size) to where every class's blocks live.
//!
//! Pure arithmetic, no memory is touched: this is where every configuration
//! error is found, before anything is mapped.
//!
//! Class `i`'s run starts at `i << span_shift` from the pool's base, where
//! `1 << span_shift` is the largest run rounded up to a power of two (and to
//! at least a page). So `free` finds a pointer's class with a subtraction and
//! a shift, without a memory load; the gaps between runs are address space
//! only, never touched.
//!
//! A run is the class's blocks, back to back, then on the next page its
//! metadata: the in-use map (one byte per block) and the stack of free
//! blocks (each a `u32` block index). A run's blocks span at most 4 GiB,
//! which the exactness of `free`'s index check relies on (`pool.rs`). No metadata shares a page with a block, so the pool's bookkeeping
//! never touches a block's bytes, nor a page that holds one.

use crate::{Error, MAX_CLASSES, MAX_CLASS_BYTES};

/// One class's run of blocks inside the pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ClassLayout {
    /// The class as the user declared it, in bytes.
    pub(crate) size: usize,
    /// Usable bytes per block: `size` rounded up to 16, so payloads stay aligned.
    pub(crate) block: usize,
    /// The distance between two blocks of this class: the block itself (no header).
    pub(crate) stride: usize,
    /// How many blocks fit in the class's share of the pool, with their
    /// metadata; their bytes are at most 2^32, so an offset fits in a `u32`.
    pub(crate) capacity: usize,
    /// Offset of the class's first block from the pool's start.
    pub(crate) offset: usize,
}

impl ClassLayout {
    /// Bytes of the blocks, from the run's start.
    pub(crate) fn block_bytes(&self) -> usize {
        self.capacity * self.stride
    }

    /// Offset of the in-use map from the run's start: the first page
    /// boundary after the blocks.
    pub(crate) fn map_offset(&self) -> usize {
        self.block_bytes().next_multiple_of(PAGE)
    }

    /// Offset of the free-index stack from the run's start.
    pub(crate) fn stack_offset(&self) -> usize {
        self.map_offset() + map_bytes(self.capacity)
    }

    /// Bytes of the whole run: blocks, the padding to a page, the metadata.
    pub(crate) fn bytes(&self) -> usize {
        self.stack_offset() + stack_bytes(self.capacity)
    }

    /// Bytes of metadata the class keeps: the in-use map and the stack.
    pub(crate) fn metadata_bytes(&self) -> usize {
        metadata_bytes(self.capacity)
    }
}

/// The in-use map of `capacity` blocks: a byte each, rounded up to 8 so
/// the stack after it stays aligned.
fn map_bytes(capacity: usize) -> usize {
    capacity.next_multiple_of(8)
}

/// The free-index stack of `capacity` blocks.
fn stack_bytes(capacity: usize) -> usize {
    capacity * 4
}

/// Metadata of `capacity` blocks: 5 bytes per block (the map rounded to 8).
pub(crate) fn metadata_bytes(capacity: usize) -> usize {
    map_bytes(capacity) + stack_bytes(capacity)
}

/// The most bytes of blocks a class can hold: a free block is kept as a
/// `u32` offset from its run's start.
pub(crate) const MAX_RUN_BYTES: u128 = 1 << 32;

/// The most blocks of `stride` bytes that fit in `share` bytes with their
/// metadata (the padding to a page is address space, not share). May exceed
/// what [`MAX_RUN_BYTES`] allows; the caller refuses that.
pub(crate) fn capacity_for(share: usize, stride: usize) -> u128 {
    // 5 bytes per block (a stack slot and an in-use byte): share / (stride
    // + 5) is within a block of the answer; step down until it fits.
    let fits = |c: u128| c * stride as u128 + c.next_multiple_of(8) + c * 4 <= share as u128;
    let mut c = share as u128 / (stride as u128 + 5);
    while c > 0 && !fits(c) {
        c -= 1;
    }
    c
}

/// Where every class's run lies in the pool's address space.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Plan {
    pub(crate) runs: Vec<ClassLayout>,
    /// log2 of the distance between two runs' starts.
    pub(crate) span_shift: u32,
    /// Address space to reserve: from the first run's start to the last one's end.
    pub(crate) reserve: usize,
}

/// Validates the configuration and places each class's run at its power-of-two slot.
pub(crate) fn plan(
    classes: &[usize],
    percentages: &[usize],
    pool_bytes: usize,
) -> Result<Plan, Error> {
    check_classes(classes)?;
    if classes.len() != percentages.len() {
        return Err(Error::LengthMismatch {
            classes: classes.len(),
            percentages: percentages.len(),
        });
    }
    check_percentages(percentages)?;
    let runs = classes
        .iter()
        .zip(percentages)
        .enumerate()
        .map(|(index, (&size, &percent))| class_run(index, size, percent, pool_bytes))
        .collect::<Result<Vec<_>, _>>()?;
    place(runs, pool_bytes)
}

/// Validates the configuration and places each class's run, holding
/// exactly `blocks[i]` blocks, at its power-of-two slot.
pub(crate) fn plan_blocks(classes: &[usize], blocks: &[usize]) -> Result<Plan, Error> {
    check_classes(classes)?;
    if classes.len() != blocks.len() {
        return Err(Error::BlocksMismatch {
            classes: classes.len(),
            blocks: blocks.len(),
        });
    }
    let runs = classes
        .iter()
        .zip(blocks)
        .enumerate()
        .map(|(index, (&size, &count))| {
            if count == 0 {
                return Err(Error::ZeroBlocks { index });
            }
            let block = block_bytes(size);
            let max = (MAX_RUN_BYTES / block as u128) as usize;
            if count > max {
                return Err(Error::TooManyBlocks {
                    index,
                    class: size,
                    blocks: count as u128,
                    max,
                });
            }
            Ok(ClassLayout {
                size,
                block,
                stride: block,
                capacity: count,
                offset: 0,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let bytes = runs.iter().map(ClassLayout::bytes).sum();
    place(runs, bytes)
}

/// The classes' count against [`MAX_CLASSES`], each size within
/// 1..=[`MAX_CLASS_BYTES`], increasing, with its own block size.
fn check_classes(classes: &[usize]) -> Result<(), Error> {
    if classes.is_empty() {
        return Err(Error::NoClasses);
    }
    if classes.len() > MAX_CLASSES {
        return Err(Error::TooManyClasses {
            count: classes.len(),
            max: MAX_CLASSES,
        });
    }
    for (index, &size) in classes.iter().enumerate() {
        if size == 0 {
            return Err(Error::ZeroClass { index });
        }
        if size > MAX_CLASS_BYTES {
            return Err(Error::ClassTooLarge {
                index,
                size,
                max: MAX_CLASS_BYTES,
            });
        }
        if index > 0 {
            check_after(index, classes[index - 1], size)?;
        }
    }
    Ok(())
}

/// Class `index` of `size` against the one before it, of `previous`.
fn check_after(index: usize, previous: usize, size: usize) -> Result<(), Error> {
    if size <= previous {
        return Err(Error::NotIncreasing {
            index,
            previous,
            size,
        });
    }
    if block_bytes(size) == block_bytes(previous) {
        return Err(Error::SameBlockSize {
            index,
            previous,
            size,
            block: block_bytes(size),
        });
    }
    Ok(())
}

/// Every percentage above 0, and all of them summing to 100.
fn check_percentages(percentages: &[usize]) -> Result<(), Error> {
    if let Some(index) = percentages.iter().position(|&p| p == 0) {
        return Err(Error::ZeroPercentage { index });
    }
    let sum = percentages
        .iter()
        .fold(0usize, |acc, &p| acc.saturating_add(p));
    if sum != 100 {
        return Err(Error::PercentagesSum { sum });
    }
    Ok(())
}

/// Class `index`'s run (not yet placed): `percent` of `pool_bytes` in
/// blocks of `size`, at least one and at most [`MAX_RUN_BYTES`] of them.
fn class_run(
    index: usize,
    size: usize,
    percent: usize,
    pool_bytes: usize,
) -> Result<ClassLayout, Error> {
    let block = block_bytes(size);
    let stride = block;
    // u128: pool_bytes * percent cannot overflow, whatever pool_bytes is.
    let share = (pool_bytes as u128 * percent as u128 / 100) as usize;
    let capacity = capacity_for(share, stride);
    let max = (MAX_RUN_BYTES / stride as u128) as usize;
    if capacity > max as u128 {
        return Err(Error::TooManyBlocks {
            index,
            class: size,
            blocks: capacity,
            max,
        });
    }
    let capacity = capacity as usize;
    if capacity == 0 {
        return Err(Error::PoolTooSmall {
            index,
            class: size,
            share,
            block_with_metadata: stride + metadata_bytes(1),
        });
    }
    Ok(ClassLayout {
        size,
        block,
        stride,
        capacity,
        offset: 0,
    })
}

/// Places the runs one span apart (a span: the largest run, rounded up to
/// a power of two), so a block's class is its offset shifted by the span.
fn place(mut runs: Vec<ClassLayout>, pool_bytes: usize) -> Result<Plan, Error> {
    let too_large = Error::MapFailed {
        bytes: pool_bytes,
        errno: libc::ENOMEM,
    };
    let largest = runs.iter().map(ClassLayout::bytes).max().unwrap_or(0); // <= pool_bytes
    let span = largest
        .max(PAGE)
        .checked_next_power_of_two()
        .ok_or(too_large.clone())?;
    let span_shift = span.trailing_zeros();
    for (i, run) in runs.iter_mut().enumerate() {
        run.offset = i.checked_mul(span).ok_or(too_large.clone())?;
    }
    let last = runs.last().expect("at least one class");
    let reserve = last.offset.checked_add(last.bytes()).ok_or(too_large)?;
    Ok(Plan {
        runs,
        span_shift,
        reserve,
    })
}

/// Runs start page-aligned, so prefaulting and locking cover whole pages of one class.
const PAGE: usize = 4096;

pub(crate) use crate::grid::block_bytes;

#[cfg(test)]
mod tests {
    use super::*;

    /// The most blocks of `stride` that fit `share` with 5 bytes of metadata each.
    fn fits(share: usize, stride: usize) -> usize {
        capacity_for(share, stride) as usize
    }

    #[test]
    fn reference_example_places_runs_at_power_of_two_slots() {
        let placed = plan(&[16, 64, 256], &[20, 50, 30], 1 << 20).unwrap();
        let runs = &placed.runs;
        assert_eq!(
            runs[0],
            ClassLayout {
                size: 16,
                block: 16,
                stride: 16,
                capacity: fits((1 << 20) / 5, 16),
                offset: 0
            }
        );
        assert_eq!(runs[1].capacity, fits((1 << 20) / 2, 64));
        assert_eq!(runs[2].capacity, fits((1 << 20) * 3 / 10, 256));
        assert_eq!(runs[1].capacity, 524_288 / 69);
        assert_eq!(runs[1].metadata_bytes(), 7_600 + 4 * 7_598);
        // The largest run (64 B class: 486,272 B of blocks, padded to 119
        // pages, then 37,992 B of metadata) rounds up to 2^20.
        assert_eq!(runs[1].bytes(), 119 * 4096 + 37_992);
        assert_eq!(placed.span_shift, 20);
        for (i, run) in runs.iter().enumerate() {
            assert_eq!(run.offset, i << 20);
            assert!(run.bytes() <= 1 << placed.span_shift, "runs never overlap");
            assert!(
                run.capacity * run.stride + run.metadata_bytes()
                    <= (1 << 20) * [20, 50, 30][i] / 100
            );
            assert_eq!(run.map_offset() % PAGE, 0, "no metadata on a block's page");
            assert!(run.map_offset() >= run.block_bytes());
        }
        assert_eq!(placed.reserve, (2 << 20) + runs[2].bytes());
    }

    #[test]
    fn small_pools_still_get_page_aligned_runs() {
        let small = plan(&[16, 32], &[50, 50], 256).unwrap();
        // 6 blocks of 16 B and their 32 B of metadata fill the 128 B share;
        // the metadata's page makes the run 2 pages, the span 8 KiB.
        assert_eq!(small.runs[0].capacity, 6);
        assert_eq!(small.span_shift, 13);
        assert_eq!(small.runs[1].offset, 8192);
    }

    #[test]
    fn odd_class_sizes_round_up_to_sixteen() {
        let runs = plan(&[8, 24, 65], &[30, 30, 40], 1 << 16).unwrap().runs;
        assert_eq!(
            runs.iter().map(|r| r.block).collect::<Vec<_>>(),
            [16, 32, 80]
        );
    }

    #[test]
    fn huge_pools_do_not_overflow_the_share_arithmetic() {
        // 4 GiB of 64 KiB blocks: the largest run, no overflow.
        let big = plan(&[65536], &[100], 1 << 32).unwrap();
        assert_eq!(big.runs[0].capacity, fits(1 << 32, 65536));
        assert!(big.runs[0].block_bytes() as u128 <= MAX_RUN_BYTES);
        // More than 4 GiB of blocks in a class is refused, whatever the size.
        assert!(matches!(
            plan(&[16], &[100], usize::MAX / 2),
            Err(Error::TooManyBlocks { index: 0, .. })
        ));
        assert!(matches!(
            plan(&[16, 32, 48], &[34, 33, 33], usize::MAX),
            Err(Error::TooManyBlocks { index: 0, .. })
        ));
    }
}
