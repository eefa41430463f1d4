//! `harness ab`: runs the A/B (`crate::ab`), prints its table and each
//! side's split-half A/A, and fails (exit 1) on a regression beyond
//! `--fail-above`.

use crate::ab::{self, paired::SplitHalf, SIDES};
use crate::cli::AbArgs;
use crate::compare::{table, Sides};
use crate::failure::Failure;
use std::io::Write;

/// Runs the rounds, then prints and judges.
pub fn main(args: &AbArgs) -> Result<(), Failure> {
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let done = ab::run(args, &argv)?;
    let sides = Sides {
        baseline: done.sides[0].describe(),
        candidate: done.sides[1].describe(),
        repeated: false,
        rounds: Some(done.rounds),
        across_time: false,
        ab: true,
    };
    let mut text = if args.markdown {
        table::markdown(&sides, &done.compared, args.noise)
    } else {
        table::terminal(&sides, &done.compared, args.noise)
    };
    for (name, half) in SIDES.iter().zip(&done.halves) {
        text += &split_half_line(name, half);
    }
    text += &format!(
        "rounds: {}/<side> (round 1) and {}/<side>/repeats/<k>; verdicts: {}\n",
        done.out.display(),
        done.out.display(),
        done.out.join("verdicts.csv").display()
    );
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            return Err(Failure::io(format!("writing the table: {e}")));
        }
        _ => {}
    }
    match args.fail_above {
        Some(limit) => super::compare::fail_above(&done.compared, limit),
        None => Ok(()),
    }
}

/// "split-half A/A, baseline: 3 of 120 figures (2.5%) faster or slower ..."
fn split_half_line(side: &str, half: &SplitHalf) -> String {
    match half.percent() {
        Some(pct) => format!(
            "split-half A/A, {side}: its odd rounds against its even ones ({} pairs): {} of {} figures ({pct:.1}%) faster or slower, all of them false\n",
            half.pairs, half.changed, half.figures
        ),
        None => format!(
            "split-half A/A, {side}: not measured ({} pairs of rounds; it needs 5, --rounds 10 or more)\n",
            half.pairs
        ),
    }
}
