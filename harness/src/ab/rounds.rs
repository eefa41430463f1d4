//! The A/B's rounds: each runs both sides once, each in a fresh process,
//! alternating which goes first (ABBA: baseline first in odd rounds,
//! candidate first in even ones), so a drift that runs one way through a
//! round falls on both sides alike over any two rounds.

use super::{Side, SIDES};
use crate::results::spread::repeat_dir;
use std::ffi::OsString;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// The sides in the order round `round` (1-based) runs them.
pub fn order(round: u32) -> [usize; 2] {
    if round % 2 == 1 {
        [0, 1]
    } else {
        [1, 0]
    }
}

/// Where side `side` writes round `round`: a results directory of its own
/// whose later rounds sit where `--repeat` puts repeats, so `harness
/// spread`, `plot` and `report` read a side as they read a repeated run.
pub fn round_dir(out: &Path, side: usize, round: u32) -> PathBuf {
    repeat_dir(&out.join(SIDES[side]), round)
}

/// The file a process's output goes to.
fn log_path(out: &Path, side: usize, round: u32) -> PathBuf {
    out.join("logs")
        .join(format!("{}-{round}.log", SIDES[side]))
}

/// Runs every round, saying on stderr which process runs and what it took.
pub fn run_all(
    out: &Path,
    sides: &[Side; 2],
    flags: &[OsString],
    rounds: u32,
) -> Result<(), String> {
    let logs = out.join("logs");
    std::fs::create_dir_all(&logs).map_err(|e| format!("creating {}: {e}", logs.display()))?;
    for round in 1..=rounds {
        for side in order(round) {
            let started = Instant::now();
            run_one(out, sides, side, round, flags)?;
            eprintln!(
                "harness ab: round {round} of {rounds}, {} done in {:.1} s",
                SIDES[side],
                started.elapsed().as_secs_f64()
            );
        }
    }
    Ok(())
}

/// One process: side `side`'s binary with the run flags and its
/// environment, its results into its round's directory, its output into
/// its log.
fn run_one(
    out: &Path,
    sides: &[Side; 2],
    side: usize,
    round: u32,
    flags: &[OsString],
) -> Result<(), String> {
    let s = &sides[side];
    let log = log_path(out, side, round);
    let file = File::create(&log).map_err(|e| format!("creating {}: {e}", log.display()))?;
    let both = file
        .try_clone()
        .map_err(|e| format!("opening {} twice: {e}", log.display()))?;
    let status = Command::new(&s.bin)
        .args(flags)
        .arg("--out")
        .arg(round_dir(out, side, round))
        .arg("--no-progress")
        .envs(s.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(file)
        .stderr(both)
        .status()
        .map_err(|e| format!("starting {}: {e}", s.bin.display()))?;
    if status.success() {
        return Ok(());
    }
    let said = std::fs::read_to_string(&log).unwrap_or_default();
    let last = said
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    Err(format!(
        "round {round}, {}: {} {status}; it said: {last} (all of it in {})",
        SIDES[side],
        s.bin.display(),
        log.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_side_goes_first_in_every_other_round() {
        let firsts: Vec<usize> = (1..=6).map(|r| order(r)[0]).collect();
        assert_eq!(firsts, [0, 1, 0, 1, 0, 1]);
        for r in 1..=6 {
            let [a, b] = order(r);
            assert_ne!(a, b);
        }
    }

    #[test]
    fn rounds_are_laid_out_as_repeats_are() {
        let out = Path::new("d");
        assert_eq!(round_dir(out, 0, 1), Path::new("d/baseline"));
        assert_eq!(round_dir(out, 1, 3), Path::new("d/candidate/repeats/3"));
    }
}
