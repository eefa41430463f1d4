//! PMAD's pool and TLSF's region for a live run, sized by one recorded
//! pass of the same command (the recorder of `harness record`): each
//! power-of-two class the trace uses, holding its peak of live blocks
//! with headroom (a rerun is not the same calls: hash seeds, addresses and
//! timing move them), or the reason the allocator cannot serve the
//! program.

use crate::format::thousands;
use std::path::Path;

/// Headroom over the pass's peak per class: a quarter, plus 256 KiB of
/// blocks (64 blocks of 4 KiB and below, 2 of 128 KiB and above).
fn with_headroom(class: usize, peak: usize) -> usize {
    peak + peak / 4 + ((256 << 10) / class.max(1)).clamp(2, 64)
}

/// The most bytes a live pool may back (it is prefaulted), as for a run.
pub const POOL_CAP_BYTES: usize = 8 << 30;

/// The pool PMAD runs a program on.
#[derive(Clone, Debug)]
pub struct Pool {
    pub classes: Vec<usize>,
    /// Each class's peak of live blocks in the sizing pass.
    pub peak: Vec<usize>,
    /// Blocks each class holds.
    pub blocks: Vec<usize>,
    pub bytes: usize,
    /// The sizing pass's calls and threads.
    pub calls: usize,
}

impl Pool {
    /// A pool not sized yet (the plan's placeholder).
    pub fn not_sized() -> Pool {
        Pool {
            classes: Vec::new(),
            peak: Vec::new(),
            blocks: Vec::new(),
            bytes: 0,
            calls: 0,
        }
    }

    /// The shim's `HARNESS_LIVE_PMAD`: `CLASS:BLOCKS,...`.
    pub fn env(&self) -> String {
        let parts: Vec<String> = self
            .classes
            .iter()
            .zip(&self.blocks)
            .map(|(c, b)| format!("{c}:{b}"))
            .collect();
        parts.join(",")
    }
}

/// TLSF's region for a live run.
#[derive(Clone, Debug)]
pub struct Region {
    pub bytes: usize,
    /// The sizing pass's peak of live bytes and blocks.
    pub peak_bytes: u64,
    pub peak_blocks: u64,
}

/// TLSF's region from the pass `t`: as a run sizes it (every block the
/// program had live at once at its class's size plus TLSF's header, in
/// 32-byte granules, doubled for fragmentation, plus 1 MiB), each class's
/// peak with PMAD's headroom. Err is why TLSF cannot serve the program.
pub fn tlsf(t: &workloads::replay::Trace, pass: &str) -> Result<Region, String> {
    if let Some(why) = refusal(t, pass, "TLSF", 1 << 40) {
        return Err(why);
    }
    let demand = t.demand();
    let per_block = |max: usize| (max + 16).div_ceil(32) * 32;
    let blocks: usize = demand
        .ranges
        .iter()
        .zip(demand.blocks_per_range())
        .map(|(r, n)| with_headroom(r.max, n) * per_block(r.max))
        .sum();
    let bytes = 2 * blocks + (1 << 20);
    if bytes > POOL_CAP_BYTES {
        return Err(format!(
            "a region holding the program's peak {pass} would be {} bytes, above the cap of {} for a prefaulted region",
            thousands(bytes as u64),
            thousands(POOL_CAP_BYTES as u64)
        ));
    }
    Ok(Region {
        bytes,
        peak_bytes: t.peak_bytes,
        peak_blocks: t.peak_blocks,
    })
}

/// PMAD's pool from the pass `t`; Err is why PMAD cannot serve the
/// program (the run's not-applicable reason).
pub fn pmad(t: &workloads::replay::Trace, pass: &str) -> Result<Pool, String> {
    if let Some(why) = refusal(t, pass, "PMAD", pmad::MAX_CLASS_BYTES) {
        return Err(why);
    }
    let demand = t.demand();
    let classes: Vec<usize> = demand.ranges.iter().map(|r| r.max).collect();
    let peak = demand.blocks_per_range();
    let blocks: Vec<usize> = classes
        .iter()
        .zip(&peak)
        .map(|(&c, &p)| with_headroom(c, p))
        .collect();
    let bytes = classes
        .iter()
        .zip(&blocks)
        .map(|(&c, &n)| pmad::bytes_for(c, n))
        .fold(0usize, usize::saturating_add);
    if bytes > POOL_CAP_BYTES {
        return Err(format!(
            "a pool holding the program's peak of every class {pass} would be {} bytes, above the cap of {} for a prefaulted pool",
            thousands(bytes as u64),
            thousands(POOL_CAP_BYTES as u64)
        ));
    }
    Ok(Pool {
        classes,
        peak,
        blocks,
        bytes,
        calls: t.calls.len(),
    })
}

/// The command recorded once into `dir`: its trace, and how the pass ended
/// (in words, for the reasons).
pub fn record_pass(
    command: &[String],
    dir: &Path,
) -> Result<(&'static workloads::replay::Trace, String), String> {
    let tracer = crate::trace::record::tracer_library(None).map_err(|f| f.to_string())?;
    let raw = dir.join("sizing.raw");
    let (program, args) = command
        .split_first()
        .ok_or("live: name the command after `--`")?;
    let status = std::process::Command::new(program)
        .args(args)
        .env("LD_PRELOAD", &tracer)
        .env("ALLOC_TRACE_RAW", &raw)
        .stdout(std::process::Stdio::null())
        .status()
        .map_err(|e| format!("live: cannot run `{program}`: {e}"))?;
    if !raw.exists() {
        return Err("the sizing pass (the command recorded once) wrote no trace".into());
    }
    let path = dir.join("sizing.trace");
    crate::trace::record::convert(&raw, &path, None).map_err(|f| f.to_string())?;
    let t = crate::trace::load::load(&path, "sizing pass", None)?;
    let pass = format!(
        "in a recorded pass of the command ({})",
        super::status::describe(&status)
    );
    Ok((t, pass))
}

/// Why the single-threaded, 16-byte-aligned allocator `who` (blocks up
/// to `largest` bytes) cannot serve the program the trace `t` recorded.
fn refusal(t: &workloads::replay::Trace, pass: &str, who: &str, largest: usize) -> Option<String> {
    if t.threads > 1 {
        return Some(format!(
            "the program ran {} threads {pass}; {who} serves one thread (single-threaded by design)",
            t.threads
        ));
    }
    if t.largest > largest {
        return Some(format!(
            "the program asked for {} bytes {pass}; {who}'s largest block is {} bytes",
            thousands(t.largest as u64),
            thousands(largest as u64)
        ));
    }
    if t.max_align as usize > pmad::ALIGN {
        return Some(format!(
            "the program asked for {}-byte alignment {pass}; {who} serves 16-byte-aligned blocks here",
            t.max_align
        ));
    }
    None
}
