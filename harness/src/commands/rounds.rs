//! `harness rounds`: a run's rounds merged into its results directory.

use crate::cli::RoundsArgs;
use crate::failure::Failure;
use crate::merge;

/// Merges, then says what it merged and the run's split-half A/A.
pub fn main(a: &RoundsArgs) -> Result<(), Failure> {
    crate::compare::check_thresholds(a.noise, None).map_err(Failure::usage)?;
    let m = merge::merge(&a.results, a.noise).map_err(Failure::usage)?;
    println!(
        "merged {} rounds into {}: {} rows, {} series' raw files",
        m.rounds,
        a.results.display(),
        m.rows,
        m.series_files
    );
    for s in &m.left_out {
        eprintln!("harness rounds: left out {s}: some round has no such row");
    }
    println!("{}", merge::split_half_sentence(&m.split_half));
    Ok(())
}
