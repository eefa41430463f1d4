//! `harness list`: the workloads and the allocators compiled in.

use crate::plan;

/// Prints the workloads, then the allocators this binary was built with.
pub fn main() {
    println!("workloads:");
    for name in crate::names::WorkloadName::ALL {
        let what = crate::workload_text::describe(name, plan::default_scale(name));
        println!("  {name:<13} {what}");
    }
    println!("allocators compiled in (the null row is always measured):");
    for name in crate::names::Name::compiled() {
        println!("  {}", name.as_str());
    }
    println!(
        "any other malloc as a shared library: --allocator-lib NAME=PATH (preloaded; it must define {})",
        crate::shared_lib::REQUIRED.join(", ")
    );
}
