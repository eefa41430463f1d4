//! The run flags an A/B passes to each of its processes: everything after
//! `ab` on its own command line but its own flags (`--rounds`, the sides'
//! `--*-bin` and `--*-env`, `--noise`, `--fail-above`, `--markdown`) and
//! `--out`, which each process gets as its round's directory. clap has
//! already checked every flag, so what is left is a run's valid flags.

use crate::argv::strip;
use std::ffi::OsString;

/// The A/B's own flags that take a value.
const VALUED: [&str; 8] = [
    "--rounds",
    "--baseline-bin",
    "--candidate-bin",
    "--baseline-env",
    "--candidate-env",
    "--noise",
    "--fail-above",
    "--out",
];

/// The A/B's own switches, and `--no-progress`, which every process is
/// given anyway (given twice, clap refuses it).
const SWITCHES: [&str; 2] = ["--markdown", "--no-progress"];

/// The run flags in `argv` (the whole command line, program first), or why
/// there are none to take: `ab` must come first, before any run flag, so
/// that every run flag reaches the processes.
pub fn run_flags(argv: &[OsString]) -> Result<Vec<OsString>, String> {
    match argv.get(1).and_then(|a| a.to_str()) {
        Some("ab") => {}
        _ => {
            return Err(
                "harness ab: put every flag after `ab` (harness ab --rounds 10 --workload hot-path ...)"
                    .into(),
            )
        }
    }
    Ok(strip(&argv[2..], &VALUED, &SWITCHES))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<OsString> {
        s.split_whitespace().map(OsString::from).collect()
    }

    #[test]
    fn the_ab_flags_and_out_are_taken_out_the_run_flags_kept_in_order() {
        let argv = words(
            "harness ab --rounds 6 --workload hot-path --baseline-env A=1 --out d \
             --candidate-env=B=2 --quick --noise 3 --markdown --allocator system --fail-above=5 --cpu 1 --no-progress",
        );
        assert_eq!(
            run_flags(&argv).unwrap(),
            words("--workload hot-path --quick --allocator system --cpu 1")
        );
    }

    #[test]
    fn flags_before_ab_are_refused() {
        let err = run_flags(&words("harness --quick ab --out d")).unwrap_err();
        assert!(err.contains("after `ab`"), "{err}");
    }
}
