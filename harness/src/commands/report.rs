//! `harness report`: REPORT.md (or the README's results section), or with
//! `--check` whether the committed one is what the results render to.

use crate::cli::ReportArgs;
use crate::failure::Failure;
use crate::render::markdown::report::{self, Freshness};
use crate::{paths, results};

/// Writes (or checks) the report; a stale one under `--check` exits 1
/// naming the command that renews it.
pub fn main(a: &ReportArgs) -> Result<(), Failure> {
    let results = paths::results_or_default(a.results.as_deref());
    let plots = a
        .plots
        .clone()
        .unwrap_or_else(|| paths::default_plots(&results));
    let (file, freshness) = match &a.readme {
        Some(readme) => (
            readme.clone(),
            report::write_readme(&results, &plots, readme, a.check),
        ),
        None => (
            results::series::report_md(&results),
            report::write(&results, &plots, a.check),
        ),
    };
    match freshness.map_err(Failure::usage)? {
        Freshness::UpToDate if a.check => {
            println!("{}: up to date", file.display());
            Ok(())
        }
        Freshness::UpToDate => {
            println!("written: {}", file.display());
            Ok(())
        }
        Freshness::Stale { fix } => Err(Failure::run(format!(
            "{} is stale: it is not what the results render to; run `{} {fix}` and commit it",
            file.display(),
            paths::invocation()
        ))),
    }
}
