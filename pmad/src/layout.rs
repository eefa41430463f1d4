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

use crate::{Error, HEADER_BYTES, MAX_CLASSES, MAX_CLASS_BYTES};

/// One class's run of blocks inside the pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ClassLayout {
    /// The class as the user declared it, in bytes.
    pub(crate) size: usize,
    /// Usable bytes per block: `size` rounded up to 16, so payloads stay aligned.
    pub(crate) block: usize,
    /// Header plus block: the distance between two blocks of this class.
    pub(crate) stride: usize,
    /// How many blocks fit in the class's share of the pool.
    pub(crate) capacity: usize,
    /// Offset of the class's first header from the pool's start.
    pub(crate) offset: usize,
}

impl ClassLayout {
    /// Bytes of the whole run: every block with its header.
    pub(crate) fn bytes(&self) -> usize {
        self.capacity * self.stride
    }
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
    if classes.is_empty() {
        return Err(Error::NoClasses);
    }
    if classes.len() != percentages.len() {
        return Err(Error::LengthMismatch {
            classes: classes.len(),
            percentages: percentages.len(),
        });
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
            let previous = classes[index - 1];
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
        }
    }
    if let Some(index) = percentages.iter().position(|&p| p == 0) {
        return Err(Error::ZeroPercentage { index });
    }
    let sum = percentages
        .iter()
        .fold(0usize, |acc, &p| acc.saturating_add(p));
    if sum != 100 {
        return Err(Error::PercentagesSum { sum });
    }

    let mut runs = Vec::with_capacity(classes.len());
    for (index, (&size, &percent)) in classes.iter().zip(percentages).enumerate() {
        let block = block_bytes(size);
        let stride = HEADER_BYTES + block;
        // u128: pool_bytes * percent cannot overflow, whatever pool_bytes is.
        let share = (pool_bytes as u128 * percent as u128 / 100) as usize;
        let capacity = share / stride;
        if capacity == 0 {
            return Err(Error::PoolTooSmall {
                index,
                class: size,
                share,
                block_with_header: stride,
            });
        }
        runs.push(ClassLayout {
            size,
            block,
            stride,
            capacity,
            offset: 0,
        });
    }
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

/// Usable bytes of a block of class `size`: rounded up to the 16-byte alignment.
pub(crate) fn block_bytes(size: usize) -> usize {
    size.next_multiple_of(HEADER_BYTES)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_example_places_runs_at_power_of_two_slots() {
        let placed = plan(&[16, 64, 256], &[20, 50, 30], 1 << 20).unwrap();
        let runs = &placed.runs;
        assert_eq!(
            runs[0],
            ClassLayout {
                size: 16,
                block: 16,
                stride: 32,
                capacity: 6553,
                offset: 0
            }
        );
        assert_eq!(runs[1].capacity, (1 << 20) / 2 / 80);
        assert_eq!(runs[2].capacity, (1 << 20) * 3 / 10 / 272);
        // The largest run (64 B class, 524,240 B) rounds up to 2^19.
        assert_eq!(placed.span_shift, 19);
        assert_eq!(runs[1].offset, 1 << 19);
        assert_eq!(runs[2].offset, 2 << 19);
        assert_eq!(placed.reserve, (2 << 19) + runs[2].capacity * 272);
        for run in runs {
            assert!(
                run.capacity * run.stride <= 1 << placed.span_shift,
                "runs never overlap"
            );
        }
    }

    #[test]
    fn small_pools_still_get_page_aligned_runs() {
        let small = plan(&[16, 32], &[50, 50], 256).unwrap();
        assert_eq!(small.span_shift, 12);
        assert_eq!(small.runs[1].offset, 4096);
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
        let one = plan(&[16], &[100], usize::MAX / 2).unwrap();
        assert_eq!(one.runs[0].capacity, usize::MAX / 2 / 32);
        assert!(matches!(
            plan(&[16, 32, 48], &[34, 33, 33], usize::MAX),
            Err(Error::MapFailed { .. })
        ));
    }
}
