//! The harness's end-to-end tests as one test binary, each former test
//! file a module: one thin-LTO link of the harness instead of twelve (about
//! 10 s each on a 2-vCPU machine). Run one file's tests by its module
//! name: `cargo test --release -p harness --test end_to_end -- live::`.

mod common;

mod ab;
mod architecture;
mod cli;
mod compare;
mod count;
mod docs;
mod fixture;
mod live;
mod msrv;
mod record;
mod render;
mod rounds;
mod shared_lib;
