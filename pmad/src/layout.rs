//! From (classes, percentages, pool size) to where every class's blocks live.
//!
//! Pure arithmetic, no memory is touched: this is where every configuration
//! error is found, before anything is mapped.

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

/// Validates the configuration and places each class's run, in order, back to back.
/// Returns the runs and the total bytes they cover.
pub(crate) fn plan(
    classes: &[usize],
    percentages: &[usize],
    pool_bytes: usize,
) -> Result<(Vec<ClassLayout>, usize), Error> {
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

    let mut layouts = Vec::with_capacity(classes.len());
    let mut offset = 0usize;
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
        layouts.push(ClassLayout {
            size,
            block,
            stride,
            capacity,
            offset,
        });
        offset += capacity * stride; // <= sum of shares <= pool_bytes: no overflow
    }
    Ok((layouts, offset))
}

/// Usable bytes of a block of class `size`: rounded up to the 16-byte alignment.
pub(crate) fn block_bytes(size: usize) -> usize {
    size.next_multiple_of(HEADER_BYTES)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_example_places_runs_back_to_back() {
        let (runs, total) = plan(&[16, 64, 256], &[20, 50, 30], 1 << 20).unwrap();
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
        assert_eq!(runs[1].offset, 6553 * 32);
        assert_eq!(runs[1].capacity, (1 << 20) / 2 / 80);
        assert_eq!(runs[2].offset, runs[1].offset + runs[1].capacity * 80);
        assert_eq!(total, runs[2].offset + runs[2].capacity * 272);
        assert!(total <= 1 << 20);
    }

    #[test]
    fn odd_class_sizes_round_up_to_sixteen() {
        let (runs, _) = plan(&[8, 24, 65], &[30, 30, 40], 1 << 16).unwrap();
        assert_eq!(
            runs.iter().map(|r| r.block).collect::<Vec<_>>(),
            [16, 32, 80]
        );
    }

    #[test]
    fn huge_pools_do_not_overflow_the_share_arithmetic() {
        let (runs, total) = plan(&[16], &[100], usize::MAX).unwrap();
        assert_eq!(runs[0].capacity, usize::MAX / 32);
        assert_eq!(total, usize::MAX / 32 * 32);
    }
}
