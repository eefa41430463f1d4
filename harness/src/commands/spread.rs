//! `harness spread`: <results>/spread.csv from the repeats in it.

use crate::cli::SpreadArgs;
use crate::failure::Failure;
use crate::results;

/// Writes spread.csv and says where, and across how many repeats.
pub fn main(a: &SpreadArgs) -> Result<(), Failure> {
    let (path, n) = results::spread::write(&a.results).map_err(Failure::usage)?;
    println!("written: {} ({n} repeats)", path.display());
    Ok(())
}
