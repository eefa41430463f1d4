//! `harness ab`: an A/B of two builds or two settings on this machine.
//! The two sides run in rounds, a fresh process each, alternating which
//! goes first ([`rounds`]); each side's rounds form one results directory
//! laid out as a repeated run (`<out>/<side>`, `<out>/<side>/repeats/<k>`).
//! Then every figure is paired by round ([`paired`]) and the verdicts and
//! the A/B's own split-half reliability are written ([`record`]).

pub mod argv;
pub mod paired;
pub mod record;
pub mod rounds;

use crate::cli::AbArgs;
use crate::compare::Compared;
use crate::failure::Failure;
use crate::results::read::Results;
use crate::stats::rounds::LEAST_ROUNDS;
use paired::SplitHalf;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The sides' names: their directories under `--out`, and their labels.
pub const SIDES: [&str; 2] = ["baseline", "candidate"];

/// One side: the binary it runs and the environment it adds.
pub struct Side {
    pub bin: PathBuf,
    pub env: Vec<(String, String)>,
}

impl Side {
    /// "PATH" or "PATH with K=V, ...", as the table's header names it.
    pub fn describe(&self) -> String {
        let env: Vec<String> = self.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        match env.is_empty() {
            true => self.bin.display().to_string(),
            false => format!("{} with {}", self.bin.display(), env.join(" ")),
        }
    }
}

/// A finished A/B: the sides, every series compared, and each side's
/// split-half A/A.
pub struct Ab {
    pub out: PathBuf,
    pub sides: [Side; 2],
    pub compared: Vec<Compared>,
    pub halves: [SplitHalf; 2],
    pub rounds: u32,
}

/// Checks everything, runs the rounds, pairs them and writes the verdicts.
/// `argv` is the whole command line (its run flags go to every process).
pub fn run(args: &AbArgs, argv: &[OsString]) -> Result<Ab, Failure> {
    let flags = argv::run_flags(argv).map_err(Failure::usage)?;
    let out = check(args).map_err(Failure::usage)?;
    let sides = [
        side(
            args.baseline_bin.as_deref(),
            &args.baseline_env,
            "--baseline-bin",
        )?,
        side(
            args.candidate_bin.as_deref(),
            &args.candidate_env,
            "--candidate-bin",
        )?,
    ];
    let rounds = ab_rounds(args).map_err(Failure::usage)?;
    prepare(&out, args.run.force).map_err(Failure::usage)?;
    rounds::run_all(&out, &sides, &flags, rounds).map_err(Failure::run)?;
    let load = |side: usize| -> Result<Vec<Results>, Failure> {
        (1..=rounds)
            .map(|r| Results::load(&rounds::round_dir(&out, side, r)))
            .collect::<Result<_, _>>()
            .map_err(|e| Failure::run(e.to_string()))
    };
    let (a, b) = (load(0)?, load(1)?);
    let noise = args.noise / 100.0;
    let compared = paired::compared(&a, &b, noise);
    let halves = [paired::split_half(&a, noise), paired::split_half(&b, noise)];
    let summary = record::Summary {
        sides: &sides,
        halves,
        rounds,
        run_flags: flags
            .iter()
            .map(|f| f.to_string_lossy().into_owned())
            .collect(),
        noise_pct: args.noise,
    };
    record::write(&out, &summary, &compared).map_err(Failure::io)?;
    Ok(Ab {
        out,
        sides,
        compared,
        halves,
        rounds,
    })
}

/// Rounds an A/B runs when `--rounds` is not given.
pub const DEFAULT_ROUNDS: u32 = 12;

/// The A/B's `--rounds`: at least [`LEAST_ROUNDS`] for an interval.
fn ab_rounds(args: &AbArgs) -> Result<u32, String> {
    let n = args.run.rounds.unwrap_or(DEFAULT_ROUNDS);
    match n < LEAST_ROUNDS as u32 {
        true => Err(format!(
            "--rounds {n}: an A/B needs at least {LEAST_ROUNDS} (fewer give no interval)"
        )),
        false => Ok(n),
    }
}

/// The A/B's directory, once the flags that do not go with an A/B are ruled out.
fn check(args: &AbArgs) -> Result<PathBuf, String> {
    crate::compare::check_thresholds(args.noise, args.fail_above)?;
    if args.run.repeat != 1 {
        return Err(format!(
            "--repeat {}: an A/B runs --rounds (each a fresh process per side); leave --repeat out",
            args.run.repeat
        ));
    }
    if let Some(r) = args.run.round {
        return Err(format!(
            "--round {r}: an A/B runs its own rounds; leave --round out"
        ));
    }
    if args.run.syscalls {
        return Err(
            "--syscalls: an A/B compares timings; count syscalls in a run of its own".into(),
        );
    }
    crate::plan::plan(&args.run)?;
    args.run.out.clone().ok_or_else(|| {
        "harness ab needs --out DIR (both sides' rounds and the verdicts go there)".into()
    })
}

/// A side's binary (this one when none is given), checked to be a file
/// that runs.
fn side(bin: Option<&Path>, env: &[(String, String)], flag: &str) -> Result<Side, Failure> {
    let bin = match bin {
        Some(path) => {
            let meta = std::fs::metadata(path)
                .map_err(|e| Failure::usage(format!("{flag} {}: {e}", path.display())))?;
            use std::os::unix::fs::PermissionsExt;
            if !meta.is_file() || meta.permissions().mode() & 0o111 == 0 {
                return Err(Failure::usage(format!(
                    "{flag} {}: not an executable file",
                    path.display()
                )));
            }
            std::path::absolute(path)
                .map_err(|e| Failure::usage(format!("{flag} {}: {e}", path.display())))?
        }
        None => std::env::current_exe()
            .map_err(|e| Failure::run(format!("finding this binary for {flag}: {e}")))?,
    };
    Ok(Side {
        bin,
        env: env.to_vec(),
    })
}

/// What an A/B writes into its directory, and nothing else.
const OWN: [&str; 5] = ["baseline", "candidate", "logs", "ab.json", "verdicts.csv"];

/// Makes `out` ready: an empty or new directory, or (with `--force`) an
/// earlier A/B's (finished or not), whose files are removed. A directory
/// holding anything an A/B does not write is refused, so `--force` never
/// deletes what an A/B did not write.
fn prepare(out: &Path, force: bool) -> Result<(), String> {
    let names: Vec<String> = match std::fs::read_dir(out) {
        Ok(d) => d
            .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect::<Result<_, _>>()
            .map_err(|e| format!("--out {}: {e}", out.display()))?,
        Err(_) => Vec::new(),
    };
    if !names.is_empty() && !force {
        return Err(format!(
            "--out {}: already holds files; pass --force to replace an earlier A/B there, or choose another --out",
            out.display()
        ));
    }
    if let Some(other) = names.iter().find(|n| !OWN.contains(&n.as_str())) {
        return Err(format!(
            "--out {}: holds {other}, which an A/B does not write; --force replaces only an earlier A/B's directory",
            out.display()
        ));
    }
    for name in &names {
        let path = out.join(name);
        let removed = if path.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        removed.map_err(|e| format!("removing {}: {e}", path.display()))?;
    }
    std::fs::create_dir_all(out).map_err(|e| format!("--out {}: {e}", out.display()))
}
