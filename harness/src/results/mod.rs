//! The results format, a room of its own: everything the harness writes
//! and reads back (the Java-format `.hgrm` percentile distribution, the
//! `.hlog` interval log, `summary.csv`, `meta.json`, `spread.csv` across
//! repeats, `counts.csv`, churn's memory log), every path in a results
//! directory (`series`), the atomic, never-clobbering file sink they all go
//! through, and the reader (`read`) that plot, report, compare and verify
//! use. It depends only on `names`, `stats` and the `workloads` crate:
//! a run builds its records (`run_meta`, `persist`) and hands them over.

pub mod counts;
pub mod figure;
pub mod hgrm;
pub mod hlog;
pub mod memory;
pub mod meta;
pub mod pools;
pub mod read;
pub mod read_error;
pub mod rounds;
pub mod series;
pub mod sink;
pub mod spread;
pub mod summary;
