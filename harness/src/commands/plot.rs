//! `harness plot`: the charts of a results directory.

use crate::cli::PlotArgs;
use crate::failure::Failure;
use crate::{paths, render};

/// Renders every chart the results hold (PNG and SVG) into `--out`.
pub fn main(a: &PlotArgs) -> Result<(), Failure> {
    let results = paths::results_or_default(a.results.as_deref());
    let out = a
        .out
        .clone()
        .unwrap_or_else(|| paths::default_plots(&results));
    let written = render::plot(&results, &out).map_err(Failure::usage)?;
    println!(
        "{} charts (PNG and SVG) in {}",
        written.len(),
        out.display()
    );
    Ok(())
}
