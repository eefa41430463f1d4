//! From the command line to the list of cases to measure, with the default
//! and `--quick` sizes and counts.

use crate::cli::RunArgs;
use crate::names::workload::WorkloadChoice;
use crate::names::Name;
use crate::names::WorkloadName;
use workloads::{Case, Kind, SizeSpec, SWEEP_SIZES};

/// One workload's measured cases, in run order.
#[derive(Clone, Debug)]
pub struct Workload {
    pub name: WorkloadName,
    pub cases: Vec<Case>,
}

/// What a run measures.
#[derive(Clone, Debug)]
pub struct Plan {
    pub workloads: Vec<Workload>,
    /// Threads for hot-path and churn (`--threads`); 1 elsewhere.
    pub threads: u32,
    /// The allocators to measure, null first.
    pub allocators: Vec<Name>,
}

/// Defaults: (full, quick).
const HOT_PATH_PAIRS: (u64, u64) = (10_000_000, 1_000_000);
const SWEEP_PAIRS: (u64, u64) = (1_000_000, 100_000);
const BULK_BLOCKS_OPS: (u64, u64) = (10_000_000, 1_000_000);
const CHURN_OPS: (u64, u64) = (64_000_000, 4_000_000);
const REQUESTS_CLOSED: (u64, u64) = (500_000, 50_000);
const REQUESTS_OPEN: (u64, u64) = (300_000, 30_000);
/// Blocks each producer-consumer thread allocates (its neighbour frees as many).
const HANDOFF_BLOCKS: (u64, u64) = (20_000_000, 1_000_000);
/// Blocks in flight on each producer-consumer link.
pub const HANDOFF_DEPTH: usize = 256;
/// request-open's default rate, requests per second.
pub const DEFAULT_RATE: u64 = 50_000;
const BULK_BLOCKS: usize = 10_000;
const CHURN_LIVE: usize = 100_000;
/// hot-path and bulk block size.
const DEFAULT_SIZE: usize = 64;
/// churn's fixed size: the PMAD author's headline case.
const CHURN_SIZE: usize = 1024;

pub const WORKLOADS: [(WorkloadName, &str); 8] = [
    (WorkloadName::HotPath, "alloc then free the same size, back to back (64 B, 10M pairs)"),
    (WorkloadName::SizeSweep, "hot-path at 16, 24, 32, 48, ... 3072, 4096 B (1M pairs each)"),
    (WorkloadName::Bulk, "allocate 10,000 blocks, free them in allocation order; repeated (10M blocks)"),
    (WorkloadName::ReverseFree, "allocate 10,000 blocks, free them newest first; repeated (10M blocks)"),
    (WorkloadName::Churn, "random alloc/free over up to 100,000 live blocks, 1024 B and mixed 16-4096 B (64M ops each)"),
    (WorkloadName::RequestClosed, "service-shaped requests back to back, each what parsing a 2-4 KB JSON document asks: a 2-4 KB buffer, 24-64 objects of 16-512 B and 0-3 more buffers up to 4 KB, all written, all freed at its end (500k requests)"),
    (WorkloadName::RequestOpen, "the same requests at a fixed rate (--rate, default 50,000/s), each timed from when it was due, so a stall counts against every request it delays (300k requests)"),
    (WorkloadName::ProducerConsumer, "2 threads (or --threads) in a ring, each allocating 64 B blocks and handing them to the next, which frees them: every free is cross-thread (20M blocks per thread)"),
];

impl Plan {
    /// The threads a workload runs on.
    pub fn threads_for(&self, workload: WorkloadName) -> u32 {
        if workload == WorkloadName::ProducerConsumer {
            self.threads.max(2)
        } else if workload.threaded() {
            self.threads
        } else {
            1
        }
    }
}

/// Builds the plan; errors are one line for the user (exit code 2).
pub fn plan(args: &RunArgs) -> Result<Plan, String> {
    let allocators = allocators(&args.allocator, &Name::compiled())?;
    let d = Defaults(args);
    let wanted = |w: WorkloadName| args.workload.includes(w);

    let mut workloads = Vec::new();
    if wanted(WorkloadName::HotPath) {
        let c = d.case(Kind::HotPath, d.fixed(DEFAULT_SIZE), d.ops(HOT_PATH_PAIRS));
        workloads.push(Workload {
            name: WorkloadName::HotPath,
            cases: vec![c],
        });
    }
    if wanted(WorkloadName::SizeSweep) {
        workloads.push(size_sweep(&d));
    }
    for (name, reverse) in [
        (WorkloadName::Bulk, false),
        (WorkloadName::ReverseFree, true),
    ] {
        if wanted(name) {
            let kind = Kind::Bulk { reverse };
            let c = d.case(kind, d.fixed(DEFAULT_SIZE), d.ops(BULK_BLOCKS_OPS));
            workloads.push(Workload {
                name,
                cases: vec![c],
            });
        }
    }
    if wanted(WorkloadName::Churn) {
        workloads.push(churn(&d));
    }
    workloads.extend(requests(&d, wanted(WorkloadName::RequestClosed))?);
    if wanted(WorkloadName::ProducerConsumer) {
        let mut c = d.case(Kind::Handoff, d.fixed(DEFAULT_SIZE), d.ops(HANDOFF_BLOCKS));
        c.blocks = HANDOFF_DEPTH;
        workloads.push(Workload {
            name: WorkloadName::ProducerConsumer,
            cases: vec![c],
        });
    }
    if args.threads > 1
        && !workloads
            .iter()
            .any(|w| w.name.threaded() || w.name == WorkloadName::ProducerConsumer)
    {
        return Err(format!(
            "--threads {}: applies to hot-path, churn and producer-consumer only; add --workload hot-path, churn, producer-consumer or all",
            args.threads
        ));
    }
    Ok(Plan {
        workloads,
        allocators,
        threads: args.threads,
    })
}

/// What the arguments make of a case: its counts (full or `--quick`, or
/// `--ops`), its size (`--size` or the workload's default), its blocks,
/// live bound and seed.
struct Defaults<'a>(&'a RunArgs);

impl Defaults<'_> {
    fn ops(&self, (full, quick): (u64, u64)) -> u64 {
        let ops = self
            .0
            .ops
            .unwrap_or(if self.0.quick { quick } else { full });
        self.0.round.map_or(ops, |r| r.share(ops))
    }

    fn fixed(&self, default: usize) -> SizeSpec {
        SizeSpec::Fixed(self.0.size.map_or(default, |s| s as usize))
    }

    fn case(&self, kind: Kind, size: SizeSpec, ops: u64) -> Case {
        Case {
            kind,
            size,
            ops,
            blocks: self.0.blocks.map_or(BULK_BLOCKS, |b| b as usize),
            max_live: self.0.live.map_or(CHURN_LIVE, |l| l as usize),
            seed: self.0.seed,
        }
    }
}

/// size-sweep: one hot-path case per size (`--size`: that one alone).
fn size_sweep(d: &Defaults<'_>) -> Workload {
    let sizes: Vec<usize> = match d.0.size {
        Some(s) => vec![s as usize],
        None => SWEEP_SIZES.to_vec(),
    };
    let cases = sizes
        .iter()
        .map(|&s| d.case(Kind::HotPath, SizeSpec::Fixed(s), d.ops(SWEEP_PAIRS)))
        .collect();
    Workload {
        name: WorkloadName::SizeSweep,
        cases,
    }
}

/// churn: at 1024 B and over mixed sizes (`--size`: that one alone).
fn churn(d: &Defaults<'_>) -> Workload {
    let sizes = match d.0.size {
        Some(s) => vec![SizeSpec::Fixed(s as usize)],
        None => vec![SizeSpec::Fixed(CHURN_SIZE), SizeSpec::Mixed],
    };
    let cases = sizes
        .into_iter()
        .map(|s| d.case(Kind::Churn, s, d.ops(CHURN_OPS)))
        .collect();
    Workload {
        name: WorkloadName::Churn,
        cases,
    }
}

/// The closed and the open request loop when `wanted`; `--size` and a
/// `--rate` without them are refused.
fn requests(d: &Defaults<'_>, wanted: bool) -> Result<Vec<Workload>, String> {
    let args = d.0;
    if !wanted {
        if args.rate.is_some() {
            return Err(
                "--rate: applies to the request workload only; add --workload request or all"
                    .into(),
            );
        }
        return Ok(Vec::new());
    }
    if args.workload == WorkloadChoice::Request && args.size.is_some() {
        return Err(
            "--size: request draws its own sizes (16 B to 4 KB per request); leave --size out"
                .into(),
        );
    }
    let rate = args.rate.unwrap_or(DEFAULT_RATE);
    // Rounded to whole ns: the schedule is exact in ns.
    let interval_ns = (1e9 / rate as f64).round() as u64;
    Ok([
        (WorkloadName::RequestClosed, None, REQUESTS_CLOSED),
        (WorkloadName::RequestOpen, Some(interval_ns), REQUESTS_OPEN),
    ]
    .into_iter()
    .map(|(name, interval_ns, ops)| Workload {
        name,
        cases: vec![d.case(Kind::Request { interval_ns }, SizeSpec::Mixed, d.ops(ops))],
    })
    .collect())
}

/// The allocators named by `--allocator`, null first; an allocator not built
/// into this binary is an error that says which ones are.
pub fn allocators(arg: &str, compiled: &[Name]) -> Result<Vec<Name>, String> {
    let mut chosen = if arg == "all" {
        compiled.to_vec()
    } else {
        let name =
            Name::parse(arg).ok_or_else(|| format!("--allocator {arg}: unknown allocator"))?;
        if !compiled.contains(&name) {
            let list: Vec<&str> = compiled.iter().map(|n| n.as_str()).collect();
            return Err(format!(
                "--allocator {arg}: not compiled into this binary (built with: {}); rebuild with `--features {arg}`",
                list.join(", ")
            ));
        }
        vec![name]
    };
    chosen.retain(|&n| n != Name::Null);
    chosen.insert(0, Name::Null);
    Ok(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_allocator_not_compiled_in_is_named_with_what_is() {
        let compiled = [Name::Pmad, Name::Null];
        let err = allocators("jemalloc", &compiled).unwrap_err();
        assert!(
            err.contains(
                "--allocator jemalloc: not compiled into this binary (built with: pmad, null)"
            ),
            "{err}"
        );
        assert!(err.contains("--features jemalloc"), "{err}");
        assert_eq!(
            allocators("all", &compiled).unwrap(),
            [Name::Null, Name::Pmad]
        );
        assert_eq!(
            allocators("pmad", &compiled).unwrap(),
            [Name::Null, Name::Pmad]
        );
        assert_eq!(allocators("null", &compiled).unwrap(), [Name::Null]);
        assert!(allocators("nope", &compiled)
            .unwrap_err()
            .contains("unknown"));
    }
}
