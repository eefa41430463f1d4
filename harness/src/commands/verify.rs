//! `harness verify --results DIR`: summary.csv re-derived from its .hlog files.

use crate::failure::Failure;
use crate::verify::verify;
use std::path::Path;

/// Prints what it checked; every mismatch is a line naming the series, the
/// column and both values, and the command exits 1.
pub fn main(dir: &Path) -> Result<(), Failure> {
    let verdict = verify(dir).map_err(Failure::usage)?;
    for m in &verdict.mismatches {
        for (column, written, derived) in &m.columns {
            println!(
                "{}: {column}: summary.csv has {written}, the .hlog gives {derived}",
                m.series
            );
        }
    }
    if verdict.mismatches.is_empty() {
        println!(
            "{}: all {} rows of summary.csv re-derive from their .hlog files",
            dir.display(),
            verdict.rows
        );
        Ok(())
    } else {
        Err(Failure::run(format!(
            "{}: {} of {} rows differ from their .hlog files (above)",
            dir.display(),
            verdict.mismatches.len(),
            verdict.rows
        )))
    }
}
