//! Statistics over recorded histograms: how much a percentile moves when
//! the run is repeated (a block bootstrap over a case's interval
//! histograms), and whether two series differ by more than that.

pub mod batch;
pub mod bootstrap;
pub mod change;
pub mod intervals;
pub mod rounds;

pub use bootstrap::Bootstrap;
pub use intervals::Intervals;
