//! `harness replay FILE...`: each trace a workload, measured as a run.

use crate::cli::ReplayArgs;
use crate::failure::Failure;
use crate::trace;

/// Checks every trace, then measures them as a run measures its plan.
pub fn main(a: &ReplayArgs) -> Result<(), Failure> {
    let plan = trace::replay::plan(a).map_err(Failure::usage)?;
    super::run::measure(a.run.clone(), plan)
}
