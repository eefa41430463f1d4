//! Why a pool could not be built: every variant names the bad value.

use std::fmt;

/// A configuration PMAD refuses, or a request the operating system refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// No classes were given.
    NoClasses,
    /// More classes than [`crate::MAX_CLASSES`].
    TooManyClasses { count: usize, max: usize },
    /// `classes` and `percentages` have different lengths.
    LengthMismatch { classes: usize, percentages: usize },
    /// `classes` and `blocks` ([`crate::Pmad::with_blocks`]) have different lengths.
    BlocksMismatch { classes: usize, blocks: usize },
    /// A class was asked to hold 0 blocks ([`crate::Pmad::with_blocks`]).
    ZeroBlocks { index: usize },
    /// A class of zero bytes.
    ZeroClass { index: usize },
    /// A class above [`crate::MAX_CLASS_BYTES`].
    ClassTooLarge {
        index: usize,
        size: usize,
        max: usize,
    },
    /// `classes[index]` is not larger than the class before it.
    NotIncreasing {
        index: usize,
        previous: usize,
        size: usize,
    },
    /// Two classes round up to the same block size (16-byte steps up to
    /// 64 KiB, grid steps above), so the second could never be chosen.
    SameBlockSize {
        index: usize,
        previous: usize,
        size: usize,
        block: usize,
    },
    /// A class was given 0 % of the pool.
    ZeroPercentage { index: usize },
    /// The percentages do not add up to 100.
    PercentagesSum { sum: usize },
    /// The class's share of the pool cannot hold even one block.
    PoolTooSmall {
        index: usize,
        class: usize,
        share: usize,
        block_with_metadata: usize,
    },
    /// The class's share would hold more than 4 GiB of blocks: `free`'s
    /// index check is exact only for runs of at most 2^32 bytes.
    TooManyBlocks {
        index: usize,
        class: usize,
        blocks: u128,
        max: usize,
    },
    /// `mmap` refused the pool, or its address space would not fit in a `usize`.
    MapFailed { bytes: usize, errno: i32 },
    /// `mlock` refused to lock the pool in memory.
    LockFailed { bytes: usize, errno: i32 },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::NoClasses => write!(f, "no size classes given: at least one is needed"),
            Error::TooManyClasses { count, max } => {
                write!(f, "{count} size classes given, at most {max} are supported")
            }
            Error::LengthMismatch { classes, percentages } => write!(
                f,
                "{classes} classes but {percentages} percentages: each class needs exactly one percentage"
            ),
            Error::BlocksMismatch { classes, blocks } => write!(
                f,
                "{classes} classes but {blocks} block counts: each class needs exactly one count"
            ),
            Error::ZeroBlocks { index } => {
                write!(f, "class {index} is given 0 blocks: every class needs at least one")
            }
            Error::ZeroClass { index } => write!(f, "class {index} is 0 bytes: classes must be at least 1 byte"),
            Error::ClassTooLarge { index, size, max } => {
                write!(f, "class {index} is {size} bytes, above the supported maximum of {max} bytes")
            }
            Error::NotIncreasing { index, previous, size } => write!(
                f,
                "class {index} is {size} bytes, not larger than the class before it ({previous} bytes): classes must be strictly increasing"
            ),
            Error::SameBlockSize { index, previous, size, block } => write!(
                f,
                "classes {previous} and {size} bytes (index {index}) both round up to {block}-byte blocks: the second could never be chosen"
            ),
            Error::ZeroPercentage { index } => {
                write!(f, "class {index} is given 0 % of the pool: every class needs a share")
            }
            Error::PercentagesSum { sum } => write!(f, "percentages add up to {sum}, not 100"),
            Error::PoolTooSmall { index, class, share, block_with_metadata } => write!(
                f,
                "class {index} ({class} bytes) gets {share} bytes of the pool, less than one block with its metadata ({block_with_metadata} bytes)"
            ),
            Error::TooManyBlocks { index, class, blocks, max } => write!(
                f,
                "class {index} ({class} bytes) would hold {blocks} blocks, more than the {max} that fit in the 4 GiB a class can span: give it fewer blocks or a smaller share of the pool"
            ),
            Error::MapFailed { bytes, errno } => write!(
                f,
                "mmap of {bytes} bytes failed: {}",
                std::io::Error::from_raw_os_error(errno)
            ),
            Error::LockFailed { bytes, errno } => write!(
                f,
                "mlock of {bytes} bytes failed: {} (raise RLIMIT_MEMLOCK, e.g. `ulimit -l`)",
                std::io::Error::from_raw_os_error(errno)
            ),
        }
    }
}

impl std::error::Error for Error {}
