//! `harness compare`: prints the table of changes, and fails (exit 1) on a
//! regression beyond `--fail-above`.

use crate::cli::CompareArgs;
use crate::compare::{self, table, Compared};
use crate::failure::Failure;
use crate::stats::change::Verdict;
use std::io::Write;

/// Prints the table (terminal or markdown), then applies `--fail-above`.
pub fn main(args: &CompareArgs) -> Result<(), Failure> {
    let (sides, compared) = compare::compared(args)?;
    let text = if args.markdown {
        table::markdown(&sides, &compared, args.noise)
    } else {
        table::terminal(&sides, &compared, args.noise)
    };
    // A reader that stops early (`| head`) is not an error.
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            return Err(Failure::io(format!("writing the table: {e}")));
        }
        _ => {}
    }
    match args.fail_above {
        Some(limit) => fail_above(&compared, limit),
        None => Ok(()),
    }
}

/// Exit 1 naming every figure slower by more than `limit` % with its whole
/// interval.
pub(crate) fn fail_above(compared: &[Compared], limit: f64) -> Result<(), Failure> {
    let beyond: Vec<String> = compared
        .iter()
        .flat_map(|c| {
            c.figures.iter().filter_map(move |f| {
                let (lo, _) = f.change.interval?;
                (f.change.verdict == Verdict::Slower && lo > limit / 100.0)
                    .then(|| format!("{} {}", c.label, f.figure.label()))
            })
        })
        .collect();
    if beyond.is_empty() {
        return Ok(());
    }
    Err(Failure::run(format!(
        "{} figure(s) slower by more than {limit}% (the whole interval above it): {}",
        beyond.len(),
        beyond.join("; ")
    )))
}
