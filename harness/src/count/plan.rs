//! What `count` runs: the cases of the timed run, shorter (every counted
//! call costs a callgrind dump, about 0.3 ms).

use crate::cli::CountArgs;
use crate::names::workload::WorkloadChoice;
use crate::names::WorkloadName;
use crate::plan::Workload;
use workloads::{Case, Kind, SizeSpec, SWEEP_SIZES};

/// Recorded ops per case by default.
const HOT_PATH_PAIRS: u64 = 2_000;
const SWEEP_PAIRS: u64 = 500;
const BULK_BLOCKS: usize = 1_000;
/// Two rounds of [`BULK_BLOCKS`].
const BULK_OPS: u64 = 2_000;
const CHURN_OPS: u64 = 5_000;
const CHURN_LIVE: usize = 1_000;
/// As in the timed run.
const DEFAULT_SIZE: usize = 64;
const CHURN_SIZE: usize = 1024;

/// The workloads to count; request and producer-consumer are refused (one
/// line, exit 2): a request is timed whole, and valgrind runs one thread
/// at a time.
pub fn plan(args: &CountArgs) -> Result<Vec<Workload>, String> {
    let refused = match args.workload {
        WorkloadChoice::Request => Some("request"),
        WorkloadChoice::One(WorkloadName::ProducerConsumer) => Some("producer-consumer"),
        _ => None,
    };
    if let Some(name) = refused {
        return Err(format!(
            "--workload {name}: count runs hot-path, size-sweep, bulk, reverse-free and churn (valgrind serialises threads, and a request is timed whole)"
        ));
    }
    let countable = [
        WorkloadName::HotPath,
        WorkloadName::SizeSweep,
        WorkloadName::Bulk,
        WorkloadName::ReverseFree,
        WorkloadName::Churn,
    ];
    Ok(countable
        .into_iter()
        .filter(|&name| args.workload.includes(name))
        .map(|name| Workload {
            name,
            cases: cases_of(name, args),
        })
        .collect())
}

/// A countable workload's cases, shortened (`--ops` when given).
fn cases_of(name: WorkloadName, args: &CountArgs) -> Vec<Case> {
    let case = |kind, size, ops: u64, blocks, max_live| Case {
        kind,
        size,
        ops: args.ops.unwrap_or(ops),
        blocks,
        max_live,
        seed: args.seed,
    };
    let fixed = SizeSpec::Fixed(DEFAULT_SIZE);
    match name {
        WorkloadName::HotPath => vec![case(Kind::HotPath, fixed, HOT_PATH_PAIRS, 1, 1)],
        WorkloadName::SizeSweep => SWEEP_SIZES
            .iter()
            .map(|&s| case(Kind::HotPath, SizeSpec::Fixed(s), SWEEP_PAIRS, 1, 1))
            .collect(),
        WorkloadName::Bulk | WorkloadName::ReverseFree => {
            let reverse = name == WorkloadName::ReverseFree;
            let kind = Kind::Bulk { reverse };
            vec![case(kind, fixed, BULK_OPS, BULK_BLOCKS, 1)]
        }
        WorkloadName::Churn => [SizeSpec::Fixed(CHURN_SIZE), SizeSpec::Mixed]
            .into_iter()
            .map(|s| case(Kind::Churn, s, CHURN_OPS, 1, CHURN_LIVE))
            .collect(),
        _ => unreachable!("{name:?} is not countable; plan refused it"),
    }
}

/// The most calls of one op a case makes in its recorded phase: the
/// counter reserves that much before the case starts.
pub fn calls_bound(case: &Case) -> usize {
    let ops = case.ops as usize;
    match case.kind {
        Kind::Bulk { .. } => (case.rounds() as usize) * case.blocks,
        _ => ops,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn args(extra: &[&str]) -> CountArgs {
        #[derive(Parser)]
        struct Wrap {
            #[command(flatten)]
            a: CountArgs,
        }
        let mut argv = vec!["count"];
        argv.extend(extra);
        Wrap::parse_from(argv).a
    }

    #[test]
    fn the_default_plan_is_every_counted_workload_and_size() {
        let plan = plan(&args(&[])).unwrap();
        let names: Vec<WorkloadName> = plan.iter().map(|w| w.name).collect();
        assert_eq!(
            names,
            [
                WorkloadName::HotPath,
                WorkloadName::SizeSweep,
                WorkloadName::Bulk,
                WorkloadName::ReverseFree,
                WorkloadName::Churn
            ]
        );
        assert_eq!(plan[1].cases.len(), SWEEP_SIZES.len());
        assert_eq!(plan[4].cases[1].size, SizeSpec::Mixed);
        for w in &plan {
            for c in &w.cases {
                assert!(c.ops >= 500, "{}: {} ops", w.name, c.ops);
            }
        }
    }

    #[test]
    fn threads_and_whole_requests_are_refused_in_a_line() {
        for w in ["request", "producer-consumer"] {
            let err = plan(&args(&["--workload", w])).unwrap_err();
            assert!(err.starts_with("--workload "), "{err}");
            assert!(err.contains("valgrind serialises threads"), "{err}");
        }
    }

    #[test]
    fn the_reservation_covers_every_call_of_a_case() {
        let p = plan(&args(&["--ops", "1500"])).unwrap();
        let bulk = &p[2].cases[0];
        // 1500 ops over 1000-block rounds: one round of 1000 blocks.
        assert_eq!(calls_bound(bulk), 1000);
        let small = plan(&args(&["--ops", "10", "--workload", "bulk"])).unwrap();
        assert_eq!(calls_bound(&small[0].cases[0]), 1000, "one whole round");
        assert_eq!(calls_bound(&p[0].cases[0]), 1500);
    }
}
