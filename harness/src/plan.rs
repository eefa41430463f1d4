//! From the command line to the list of cases to measure, with the default
//! and `--quick` sizes and counts.

use crate::cli::RunArgs;
use crate::names::workload::WorkloadChoice;
use crate::names::Name;
use crate::names::WorkloadName;
use crate::shared_lib::LibArg;
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
    /// The allocators to measure, null first, library rows last.
    pub allocators: Vec<Name>,
    /// The library rows' libraries (`--allocator-lib`).
    pub libraries: Vec<LibArg>,
}

impl Plan {
    /// The plan without its library rows: what this process measures in
    /// itself when it is not a library row's own process.
    pub fn in_process(&self) -> Plan {
        let mut p = self.clone();
        p.allocators.retain(|a| match a {
            Name::Lib(l) => crate::shared_lib::measured_here(*l),
            _ => true,
        });
        p
    }

    /// The library rows measured in processes of their own.
    pub fn elsewhere(&self) -> Vec<LibArg> {
        self.libraries
            .iter()
            .filter(|l| !crate::shared_lib::measured_here(l.name))
            .cloned()
            .collect()
    }
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

/// The scale a workload runs at without flags (its description's numbers).
pub fn default_scale(workload: WorkloadName) -> crate::workload_text::Scale {
    let count = match workload {
        WorkloadName::HotPath => HOT_PATH_PAIRS.0,
        WorkloadName::SizeSweep => SWEEP_PAIRS.0,
        WorkloadName::Bulk | WorkloadName::ReverseFree => BULK_BLOCKS_OPS.0,
        WorkloadName::Churn => CHURN_OPS.0,
        WorkloadName::RequestClosed => REQUESTS_CLOSED.0,
        WorkloadName::RequestOpen => REQUESTS_OPEN.0,
        WorkloadName::ProducerConsumer => HANDOFF_BLOCKS.0,
        _ => 0,
    };
    crate::workload_text::Scale {
        count,
        blocks: BULK_BLOCKS as u64,
        live: CHURN_LIVE as u64,
        rate: DEFAULT_RATE,
    }
}

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
    let (allocators, libraries) = chosen(&args.allocator, &args.allocator_lib)?;
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
        libraries,
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

/// The allocators of `--allocator LIST` and the `--allocator-lib`s, each
/// library checked in a probe process first (unless this process is a
/// library row's own, which checks itself): null first, then the ones
/// compiled in, then the libraries.
pub fn chosen(list: &str, libs: &[LibArg]) -> Result<(Vec<Name>, Vec<LibArg>), String> {
    if crate::shared_lib::preloaded().is_none() {
        crate::shared_lib::probe::check_all(libs)?;
    }
    let libs = absolute(libs);
    Ok((allocators(list, &Name::compiled(), &libs)?, libs))
}

/// The libraries with absolute paths, so every process preloads the same
/// file whatever its directory; the name as given (no symbolic link
/// resolved) stays.
pub fn absolute(libs: &[LibArg]) -> Vec<LibArg> {
    libs.iter()
        .map(|l| LibArg {
            path: std::path::absolute(&l.path).unwrap_or_else(|_| l.path.clone()),
            ..l.clone()
        })
        .collect()
}

/// The allocators named by `--allocator` (a comma-separated list of names,
/// `all` for every one compiled in), null first, then every library row
/// declared by `--allocator-lib` (named in the list or not); an allocator
/// not built into this binary is an error that says which ones are.
pub fn allocators(arg: &str, compiled: &[Name], libs: &[LibArg]) -> Result<Vec<Name>, String> {
    let mut chosen: Vec<Name> = Vec::new();
    for item in arg.split(',').map(str::trim) {
        let add: Vec<Name> = if item == "all" {
            compiled.to_vec()
        } else if let Some(lib) = libs.iter().find(|l| l.name.as_str() == item) {
            vec![lib.row()]
        } else {
            let name = Name::parse(item).ok_or_else(|| unknown(arg, item, libs))?;
            if !compiled.contains(&name) {
                let list: Vec<&str> = compiled.iter().map(|n| n.as_str()).collect();
                return Err(format!(
                    "--allocator {arg}: {item} is not compiled into this binary (built with: {}); rebuild with `--features {item}`",
                    list.join(", ")
                ));
            }
            vec![name]
        };
        chosen.extend(add);
    }
    chosen.retain(|&n| n != Name::Null && !n.is_lib());
    chosen.sort_by_key(|n| Name::KNOWN.iter().position(|k| k == n));
    chosen.dedup();
    chosen.insert(0, Name::Null);
    chosen.extend(libs.iter().map(LibArg::row));
    Ok(chosen)
}

/// Why `item` of `--allocator LIST` names nothing.
fn unknown(arg: &str, item: &str, libs: &[LibArg]) -> String {
    let mut known: Vec<&str> = Name::KNOWN.iter().map(|n| n.as_str()).collect();
    known.extend(libs.iter().map(|l| l.name.as_str()));
    known.push("all");
    if item.is_empty() {
        return format!(
            "--allocator {arg}: an empty name in the list (known: {})",
            known.join(", ")
        );
    }
    format!(
        "--allocator {arg}: unknown allocator '{item}' (known: {}; a shared library is added with --allocator-lib NAME=PATH)",
        known.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_allocator_not_compiled_in_is_named_with_what_is() {
        let compiled = [Name::Pmad, Name::Null];
        let err = allocators("jemalloc", &compiled, &[]).unwrap_err();
        assert!(
            err.contains(
                "--allocator jemalloc: jemalloc is not compiled into this binary (built with: pmad, null)"
            ),
            "{err}"
        );
        assert!(err.contains("--features jemalloc"), "{err}");
        assert_eq!(
            allocators("all", &compiled, &[]).unwrap(),
            [Name::Null, Name::Pmad]
        );
        assert_eq!(
            allocators("pmad", &compiled, &[]).unwrap(),
            [Name::Null, Name::Pmad]
        );
        assert_eq!(allocators("null", &compiled, &[]).unwrap(), [Name::Null]);
        assert!(allocators("nope", &compiled, &[])
            .unwrap_err()
            .contains("unknown allocator 'nope'"));
    }

    #[test]
    fn a_comma_list_picks_each_once_in_order_and_libraries_join_it() {
        let compiled = [Name::Pmad, Name::Jemalloc, Name::System, Name::Null];
        assert_eq!(
            allocators("system,pmad,pmad", &compiled, &[]).unwrap(),
            [Name::Null, Name::Pmad, Name::System]
        );
        assert_eq!(
            allocators("jemalloc,all", &compiled, &[]).unwrap(),
            [Name::Null, Name::Pmad, Name::Jemalloc, Name::System]
        );
        assert!(allocators("pmad,", &compiled, &[])
            .unwrap_err()
            .contains("an empty name"));
        let tbb = crate::shared_lib::parse_arg("tbb=/x.so").unwrap();
        let with = allocators("pmad", &compiled, std::slice::from_ref(&tbb)).unwrap();
        assert_eq!(with, [Name::Null, Name::Pmad, tbb.row()]);
        let named = allocators("tbb", &compiled, std::slice::from_ref(&tbb)).unwrap();
        assert_eq!(named, [Name::Null, tbb.row()]);
        assert!(allocators("tbbx", &compiled, &[tbb]).unwrap_err().contains(
            "known: pmad, jemalloc, mimalloc, tcmalloc, system, tlsf, snmalloc, null, tbb, all"
        ));
    }
}
