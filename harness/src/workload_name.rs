//! A workload's name: the `workload` column of summary.csv, spread.csv and
//! counts.csv, meta.json's workload fields, and the first part of every
//! series' file names. A results file naming an unknown workload fails to
//! load, naming the line.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Every workload a run can measure, by its name in the results.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WorkloadName {
    HotPath,
    SizeSweep,
    Bulk,
    ReverseFree,
    Churn,
    RequestClosed,
    RequestOpen,
    ProducerConsumer,
}

impl WorkloadName {
    /// Every workload, in run order.
    pub const ALL: [WorkloadName; 8] = [
        WorkloadName::HotPath,
        WorkloadName::SizeSweep,
        WorkloadName::Bulk,
        WorkloadName::ReverseFree,
        WorkloadName::Churn,
        WorkloadName::RequestClosed,
        WorkloadName::RequestOpen,
        WorkloadName::ProducerConsumer,
    ];

    /// The name as written in the results and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkloadName::HotPath => "hot-path",
            WorkloadName::SizeSweep => "size-sweep",
            WorkloadName::Bulk => "bulk",
            WorkloadName::ReverseFree => "reverse-free",
            WorkloadName::Churn => "churn",
            WorkloadName::RequestClosed => "request-closed",
            WorkloadName::RequestOpen => "request-open",
            WorkloadName::ProducerConsumer => "producer-consumer",
        }
    }

    /// The workloads `--threads` runs on several threads.
    pub fn threaded(self) -> bool {
        matches!(self, WorkloadName::HotPath | WorkloadName::Churn)
    }
}

impl fmt::Display for WorkloadName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for WorkloadName {
    type Err = String;

    fn from_str(s: &str) -> Result<WorkloadName, String> {
        WorkloadName::ALL
            .into_iter()
            .find(|w| w.as_str() == s)
            .ok_or_else(|| format!("`{s}` is not a workload"))
    }
}

#[cfg(test)]
mod tests {
    use super::WorkloadName;

    #[test]
    fn serde_names_are_the_display_names() {
        for w in WorkloadName::ALL {
            let json = serde_json::to_string(&w).unwrap();
            assert_eq!(json, format!("\"{w}\""));
            assert_eq!(serde_json::from_str::<WorkloadName>(&json).unwrap(), w);
            assert_eq!(w.as_str().parse::<WorkloadName>().unwrap(), w);
        }
    }

    #[test]
    fn an_unknown_name_is_refused() {
        assert!(serde_json::from_str::<WorkloadName>("\"hot_path\"").is_err());
        let e = "churnn".parse::<WorkloadName>().unwrap_err();
        assert!(e.contains("`churnn`"), "{e}");
    }
}
