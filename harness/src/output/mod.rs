//! Everything the harness writes: the Java-format `.hgrm` percentile
//! distribution, the `.hlog` interval log, `summary.csv`, `meta.json`,
//! `spread.csv` across repeats, and the atomic, never-clobbering file sink
//! they all go through.

pub mod counts;
pub mod hgrm;
pub mod hlog;
pub mod meta;
pub mod read_error;
pub mod series;
pub mod sink;
pub mod spread;
pub mod summary;
pub mod write;
