//! PMAD's tests as one test binary, each former test file a module (one
//! link instead of four): the rules, the OS promises, the model-based
//! property test and the 10^8-operation soak (ignored; CI's long tier runs
//! it: `cargo test --release -p pmad --test all -- --ignored soak::`).

mod model;
mod os;
mod rules;
mod soak;
