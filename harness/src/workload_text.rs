//! What each workload does, in one sentence, with the sizes and counts it
//! ran at: `harness list` states the defaults, REPORT.md states what the
//! run it describes did (its meta.json's cases and summary.csv's samples),
//! so a report of a `--quick` or `--ops` run never quotes the defaults.

use crate::format::thousands;
use crate::names::{Name, WorkloadName};
use crate::results::read::Results;
use workloads::Op;

/// The numbers a description states.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scale {
    /// Pairs (hot-path; size-sweep per size), blocks (bulk, reverse-free;
    /// producer-consumer per thread), ops per size (churn), requests.
    pub count: u64,
    /// Blocks per bulk / reverse-free round.
    pub blocks: u64,
    /// Churn's most live blocks.
    pub live: u64,
    /// request-open's requests per second.
    pub rate: u64,
}

/// "10M", "500k", "1,234": a count as the descriptions write it.
pub fn short(n: u64) -> String {
    if n >= 1_000_000 && n.is_multiple_of(1_000_000) {
        format!("{}M", n / 1_000_000)
    } else if n >= 1_000_000 && n.is_multiple_of(100_000) {
        format!("{:.1}M", n as f64 / 1e6)
    } else if n >= 10_000 && n.is_multiple_of(1_000) {
        format!("{}k", n / 1_000)
    } else {
        thousands(n)
    }
}

/// The sentence for `workload` at `scale`.
pub fn describe(workload: WorkloadName, s: Scale) -> String {
    let (count, blocks, live) = (short(s.count), thousands(s.blocks), thousands(s.live));
    match workload {
        WorkloadName::HotPath => format!("alloc then free the same size, back to back (64 B, {count} pairs)"),
        WorkloadName::SizeSweep => format!("hot-path at 16, 24, 32, 48, ... 3072, 4096 B ({count} pairs each)"),
        WorkloadName::Bulk => format!("allocate {blocks} blocks, free them in allocation order; repeated ({count} blocks)"),
        WorkloadName::ReverseFree => format!("allocate {blocks} blocks, free them newest first; repeated ({count} blocks)"),
        WorkloadName::Churn => format!("random alloc/free over up to {live} live blocks, 1024 B and mixed 16-4096 B ({count} ops each)"),
        WorkloadName::RequestClosed => format!("service-shaped requests back to back, each what parsing a 2-4 KB JSON document asks: a 2-4 KB buffer, 24-64 objects of 16-512 B and 0-3 more buffers up to 4 KB, all written, all freed at its end ({count} requests)"),
        WorkloadName::RequestOpen => format!("the same requests at a fixed rate ({}/s, --rate), each timed from when it was due, so a stall counts against every request it delays ({count} requests)", thousands(s.rate)),
        WorkloadName::ProducerConsumer => format!("2 threads (or --threads) in a ring, each allocating 64 B blocks and handing them to the next, which frees them: every free is cross-thread ({count} blocks per thread)"),
        _ => String::new(),
    }
}

/// The scale `workload` ran at in `r`: its count from summary.csv's
/// samples (the null row's, which every run has), its batch, live set and
/// rate from meta.json's case. None when the run has no such rows.
pub fn of_run(r: &Results, workload: WorkloadName) -> Option<Scale> {
    let threads = r.own_threads(workload);
    let any = !r.allocators().contains(&Name::Null);
    let rows: Vec<_> = r
        .rows
        .iter()
        .filter(|x| x.workload == workload && x.threads == threads)
        .filter(|x| any || x.allocator == Name::Null)
        .collect();
    // One size's count (every size of a workload runs as many).
    let samples = |op: Op, size: usize| {
        rows.iter()
            .find(|x| x.op == op && x.size == size)
            .map(|x| x.samples)
    };
    let size = rows.first()?.size;
    let count = match workload {
        WorkloadName::RequestClosed | WorkloadName::RequestOpen => samples(Op::Request, size)?,
        WorkloadName::Churn => samples(Op::Alloc, size)? + samples(Op::Free, size)?,
        WorkloadName::ProducerConsumer => samples(Op::Alloc, size)? / u64::from(threads.max(1)),
        _ => samples(Op::Alloc, size)?,
    };
    let case = r
        .runs()
        .iter()
        .flat_map(|run| &run.cases)
        .find(|c| c.workload == workload);
    Some(Scale {
        count,
        blocks: case.map_or(0, |c| c.blocks as u64),
        live: case.map_or(0, |c| c.max_live as u64),
        rate: case
            .and_then(|c| c.request_interval_ns)
            .map_or(0, |ns| (1e9 / ns as f64).round() as u64),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_as_the_descriptions_write_them() {
        assert_eq!(short(10_000_000), "10M");
        assert_eq!(short(500_000), "500k");
        assert_eq!(short(1_234), "1,234");
        assert_eq!(short(4_000_000), "4M");
        assert_eq!(short(30_000), "30k");
        assert_eq!(short(1_500_000), "1.5M");
    }
}
