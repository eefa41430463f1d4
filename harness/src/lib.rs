//! The measuring harness as a library: times every allocator call between
//! two fenced clock reads, records it in HdrHistograms (alloc and free
//! apart), and writes raw samples (.hgrm, .hlog), summary.csv and
//! meta.json. The binary (`main.rs`) only parses the command line and hands
//! it to one of [`commands`].
//!
//! Exit codes: 0 done; 1 a run failed (a pool ran out, an I/O error);
//! 2 bad input (nothing is measured or written): [`failure`].
//!
//! Where each concern lives, in the order the data flows:
//!
//! - **commands**: one module per subcommand, each with one entry function.
//! - **plan**: `cli` (flags, range-checked), `plan` (the cases of each
//!   workload), `platform` (pinning, mlockall, SCHED_FIFO, the machine's
//!   facts), `clock` (the fenced counter, its rate and step).
//! - **measure**: `run` (one run start to end), `measure` (one case on one
//!   allocator), `threads` (cases on several threads), `alloc` (the
//!   adapters and PMAD's and TLSF's pools), `usage` and `memory` (faults,
//!   RSS, live bytes), `syscalls` (the traced re-run), `tasks` (progress
//!   and the window log, off the measuring thread).
//! - **record**: `output::summary` (rows net of the floor), `stats`
//!   (intervals, block bootstrap, batched cost, change), `output::meta`
//!   (meta.json's types).
//! - **persist**: `output::series` (every results path), `output::sink`
//!   (atomic writes), `output::write`, `output::hgrm`, `output::hlog`.
//! - **render**: `render::results` (a results directory read back through
//!   the same types, errors in `output::read_error`), `render::charts`,
//!   `render::report` and `render::readme`; `compare`, `verify` (summary.csv
//!   re-derived from the raw files), `output::spread`; `count` (instruction
//!   counts under valgrind).

pub mod alloc;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod compare;
pub mod count;
pub mod failure;
pub mod format;
pub mod measure;
pub mod memory;
pub mod names;
pub mod paths;
pub mod persist;
pub mod plan;
pub mod platform;
pub mod render;
pub mod results;
pub mod run;
pub mod run_meta;
pub mod stats;
pub mod syscalls;
pub mod table;
pub mod tasks;
pub mod threads;
pub mod trace;
pub mod usage;
pub mod verify;
