//! `harness trace FILE`: what a trace holds, as `record` printed it.

use crate::cli::TraceArgs;
use crate::failure::Failure;
use crate::trace;

/// Prints the trace's figures; a damaged trace is bad input (exit 2).
pub fn main(a: &TraceArgs) -> Result<(), Failure> {
    let stats = trace::stats::of_file(&a.file).map_err(Failure::usage)?;
    print!("{}", stats.render());
    Ok(())
}
