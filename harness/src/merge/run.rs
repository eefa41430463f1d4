//! `harness --rounds N`: a run made of rounds from this one binary. Round
//! k runs each allocator of the plan in a fresh process of this binary
//! (`--allocator A --round k/N`, every other flag as given), the
//! allocators in an order shuffled per round from `--seed` and k, into
//! `<out>/rounds/<k>`; then the rounds are merged into `<out>`
//! ([`super::merge`]). System calls are counted in round 1 only.

use crate::argv::strip;
use crate::names::Name;
use std::ffi::OsString;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;
use workloads::rng::Stream;

/// The run's own flags that each process gets in its own form.
const VALUED: [&str; 5] = [
    "--rounds",
    "--allocator",
    "--allocator-lib",
    "--out",
    "--round",
];
const SWITCHES: [&str; 2] = ["--syscalls", "--no-progress"];

/// The order round `k` runs `allocators` in: a shuffle seeded by `seed`
/// and `k`, so a rerun with the same seed runs the same orders.
pub fn order(allocators: &[Name], seed: u64, k: u32) -> Vec<Name> {
    let mut v = allocators.to_vec();
    let mut rng = Stream::new(seed ^ (u64::from(k)).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    for i in (1..v.len()).rev() {
        v.swap(i, rng.below(i + 1));
    }
    v
}

/// Every round, one process per allocator (a library row's with its
/// `--allocator-lib` of `libs`, which starts the process the library is
/// preloaded into); `argv` is this process's command line (program first).
pub fn run_rounds(
    argv: &[OsString],
    (allocators, libs): (&[Name], &[crate::shared_lib::LibArg]),
    out: &Path,
    rounds: u32,
    seed: u64,
    syscalls: bool,
) -> Result<(), String> {
    let me = std::env::current_exe().map_err(|e| format!("finding this binary: {e}"))?;
    let flags = strip(&argv[1..], &VALUED, &SWITCHES);
    for k in 1..=rounds {
        let dir = crate::results::rounds::round_dir(out, k);
        for a in order(allocators, seed, k) {
            let started = Instant::now();
            let mut cmd = Command::new(&me);
            cmd.args(&flags)
                .args([
                    "--allocator",
                    a.as_str(),
                    "--round",
                    &format!("{k}/{rounds}"),
                ])
                .arg("--out")
                .arg(&dir)
                .arg("--no-progress")
                .args(
                    libs.iter()
                        .filter(|l| l.row() == a)
                        .flat_map(|l| [OsString::from("--allocator-lib"), l.flag_value()]),
                )
                .stdin(Stdio::null())
                .stdout(Stdio::null());
            if syscalls && k == 1 {
                cmd.arg("--syscalls");
            }
            let status = cmd
                .status()
                .map_err(|e| format!("starting {}: {e}", me.display()))?;
            if !status.success() {
                return Err(format!(
                    "round {k} of {rounds}, {a}: {} {status} (its messages are above)",
                    me.display()
                ));
            }
            eprintln!(
                "harness: round {k} of {rounds}, {a} done in {:.1} s",
                started.elapsed().as_secs_f64()
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_round_shuffles_alike_on_a_rerun_and_keeps_every_allocator() {
        let all = [Name::Pmad, Name::Jemalloc, Name::Mimalloc, Name::System];
        let orders: Vec<Vec<Name>> = (1..=8).map(|k| order(&all, 42, k)).collect();
        for o in &orders {
            let mut sorted = o.clone();
            sorted.sort_by_key(|n| n.as_str());
            let mut want = all.to_vec();
            want.sort_by_key(|n| n.as_str());
            assert_eq!(sorted, want);
        }
        assert_eq!(
            orders,
            (1..=8).map(|k| order(&all, 42, k)).collect::<Vec<_>>()
        );
        let firsts: std::collections::HashSet<Name> = orders.iter().map(|o| o[0]).collect();
        assert!(
            firsts.len() > 1,
            "8 rounds all started with the same allocator"
        );
    }
}
