//! One definition of each name at the bottom of the house: allocators and
//! workloads, with their order, labels and colours. The command line
//! derives its value lists from here, the results format writes and reads
//! these names, and every chart and table shows them.

pub mod allocator;
pub mod workload;

pub use allocator::Name;
pub use workload::WorkloadName;
