//! The workloads' tests as one test binary, each former test file a
//! module (one link instead of five).

mod handoff;
mod loops;
mod recorder;
mod replay;
mod request;
