//! The measuring harness as a library: times every allocator call between
//! two fenced clock reads, records it in HdrHistograms (alloc and free
//! apart), and writes raw samples (.hgrm, .hlog), summary.csv and
//! meta.json. The binary (`main.rs`) only parses the command line and hands
//! it to one of [`commands`].
//!
//! Exit codes: 0 done; 1 a run failed (a pool ran out, an I/O error);
//! 2 bad input (nothing is measured or written): [`failure`].
//!
//! Where each concern lives, from the bottom of the house up (each room
//! uses only rooms below it; `tests/architecture.rs` checks that no two
//! sibling modules import each other):
//!
//! - **names**: the allocators' and workloads' identities (name, order,
//!   label, colour); `failure` (exit codes); `stats` (intervals, block
//!   bootstrap, batched cost, change); `format` (numbers and sizes in text);
//!   `argv` (the command lines of this binary's own child processes).
//! - **results**: the results format, a room of its own (`results::summary`,
//!   `meta`, `spread`, `series`, `hgrm`, `hlog`, `counts`, `memory`,
//!   `pools`, the atomic `sink`, and `read`, the reader plot, report,
//!   compare and verify use). It depends only on names, stats and the
//!   `workloads` crate.
//! - **measure**: `cli` (flags, range-checked), `plan` (the cases of each
//!   workload), `platform` (pinning, mlockall, SCHED_FIFO, the machine's
//!   facts), `clock` (the fenced counter, its rate and step), `alloc` (the
//!   adapters and PMAD's and TLSF's pools), `run` (one run start to end),
//!   `measure` (one case on one allocator), `threads` (cases on several
//!   threads), `usage` and `memory` (faults, RSS, live bytes), `syscalls`
//!   (the traced re-run), `tasks` (progress and the window log, off the
//!   measuring thread), `run_meta` (meta.json's record of the run) and
//!   `persist` (its files, through the sink); `shared_lib` (a library row:
//!   the probe, its preloaded process, the proof that the calls reach it).
//! - **read back**: `render::charts` and `render::markdown` (REPORT.md and
//!   the README's section), `compare`, `verify` (summary.csv re-derived
//!   from the raw files); `ab` (an A/B of two builds or settings, in
//!   rounds of fresh processes, paired by round); `merge` (a run's rounds
//!   merged into its results directory); `count` (instruction counts under valgrind) and
//!   `trace` (record and replay).
//! - **commands**: one module per subcommand, each with one entry
//!   function; `main.rs` only parses the line and dispatches.

pub mod ab;
pub mod alloc;
pub mod argv;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod compare;
pub mod count;
pub mod failure;
pub mod format;
pub mod live;
pub mod measure;
pub mod memory;
pub mod merge;
pub mod names;
pub mod paths;
pub mod persist;
pub mod plan;
pub mod platform;
pub mod render;
pub mod results;
pub mod run;
pub mod run_meta;
pub mod shared_lib;
pub mod stats;
pub mod syscalls;
pub mod table;
pub mod tasks;
pub mod threads;
pub mod trace;
pub mod usage;
pub mod verify;
pub mod workload_text;
