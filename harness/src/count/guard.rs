//! The instruction guard: committed limits on instructions per call, which
//! a count must not exceed. CI runs it on PMAD's hot path, where the counts
//! are exact and the same on every run of the same build, so one added
//! instruction fails it and nothing else can.
//!
//! Limits are net of the null row (the counter's own toggles), so a change
//! to the harness's bracket does not move them; `--update-guard` rewrites
//! them from a count after an intended change.

use crate::names::Name;
use crate::names::WorkloadName;
use crate::results::counts::CountRow;
use serde::{Deserialize, Serialize};
use std::path::Path;
use workloads::Op;

/// One limit. Field order is column order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Limit {
    pub allocator: Name,
    pub workload: WorkloadName,
    pub size: usize,
    pub op: Op,
    /// Most instructions of any one call, net of the null row.
    pub max_net: u64,
    /// Mean instructions per call, net of the null row.
    pub mean_net: f64,
}

impl Limit {
    fn of(r: &CountRow) -> Limit {
        Limit {
            allocator: r.allocator,
            workload: r.workload,
            size: r.size,
            op: r.op,
            max_net: r.ir_max_net,
            mean_net: r.ir_mean_net,
        }
    }

    fn matches(&self, r: &CountRow) -> bool {
        (self.allocator, self.workload, self.size, self.op)
            == (r.allocator, r.workload, r.size, r.op)
            && r.threads == 1
    }

    fn label(&self) -> String {
        format!(
            "{} {} {} B {}",
            self.allocator, self.workload, self.size, self.op
        )
    }
}

/// The limits in `path`; a bad file names its line.
pub fn read(path: &Path) -> Result<Vec<Limit>, String> {
    let mut reader =
        csv::Reader::from_path(path).map_err(|e| format!("--guard {}: {e}", path.display()))?;
    let limits: Vec<Limit> = reader
        .deserialize()
        .map(|r| {
            r.map_err(|e| {
                let line = e.position().map_or(0, |p| p.line());
                format!("--guard {} line {line}: not a limit: {e}", path.display())
            })
        })
        .collect::<Result<_, _>>()?;
    if limits.is_empty() {
        return Err(format!("--guard {}: no limits in the file", path.display()));
    }
    Ok(limits)
}

/// What a check found.
#[derive(Debug, PartialEq)]
pub enum Verdict {
    /// Every limit held; one line per limit.
    Held(Vec<String>),
    /// Some limit was exceeded; one line per limit, the exceeded ones
    /// saying by how much.
    Exceeded(Vec<String>),
}

/// Checks `rows` against `limits`. A limit whose series was not counted is
/// an error (exit 2): a guard that checks nothing must not pass.
pub fn check(limits: &[Limit], rows: &[CountRow]) -> Result<Verdict, String> {
    let mut lines = Vec::new();
    let mut exceeded = false;
    for l in limits {
        let r = rows.iter().find(|r| l.matches(r)).ok_or_else(|| {
            format!(
                "--guard: {} was not counted; count it (--workload {} --allocator {})",
                l.label(),
                l.workload,
                l.allocator
            )
        })?;
        let over_max = r.ir_max_net > l.max_net;
        let over_mean = r.ir_mean_net > l.mean_net;
        exceeded |= over_max || over_mean;
        lines.push(format!(
            "{}: {} instructions per call at most (limit {}), {:.2} mean (limit {:.2}), net of null{}",
            l.label(),
            r.ir_max_net,
            l.max_net,
            r.ir_mean_net,
            l.mean_net,
            if over_max || over_mean {
                "  EXCEEDED"
            } else {
                ""
            }
        ));
    }
    Ok(if exceeded {
        Verdict::Exceeded(lines)
    } else {
        Verdict::Held(lines)
    })
}

/// The limits to write after an intended change: every counted row but the
/// null's, at its counted figures.
pub fn limits_of(rows: &[CountRow]) -> Vec<Limit> {
    rows.iter()
        .filter(|r| r.allocator != Name::Null && r.threads == 1)
        .map(Limit::of)
        .collect()
}

/// The text of a guard file.
pub fn to_csv(limits: &[Limit]) -> Result<String, String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for l in limits {
        w.serialize(l).map_err(|e| e.to_string())?;
    }
    String::from_utf8(w.into_inner().map_err(|e| e.to_string())?).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::counts::tests::row;

    fn counted(max_net: u64, mean_net: f64) -> CountRow {
        let mut r = row(Name::Pmad, Op::Alloc, 30);
        r.ir_max_net = max_net;
        r.ir_mean_net = mean_net;
        r
    }

    #[test]
    fn one_more_instruction_than_the_limit_fails_and_the_limit_itself_holds() {
        let limits = limits_of(&[counted(21, 21.0), row(Name::Null, Op::Alloc, 9)]);
        assert_eq!(limits.len(), 1, "no limit for the null row");
        let held = check(&limits, &[counted(21, 21.0)]).unwrap();
        assert!(matches!(held, Verdict::Held(_)), "{held:?}");
        let fewer = check(&limits, &[counted(20, 20.0)]).unwrap();
        assert!(matches!(fewer, Verdict::Held(_)), "{fewer:?}");
        for worse in [counted(22, 21.0), counted(21, 21.01)] {
            match check(&limits, &[worse]).unwrap() {
                Verdict::Exceeded(lines) => assert!(lines[0].contains("EXCEEDED"), "{lines:?}"),
                v => panic!("not exceeded: {v:?}"),
            }
        }
    }

    #[test]
    fn a_limit_whose_series_was_not_counted_is_an_error_not_a_pass() {
        let limits = limits_of(&[counted(21, 21.0)]);
        let err = check(&limits, &[row(Name::System, Op::Alloc, 50)]).unwrap_err();
        assert!(
            err.contains("pmad hot-path 64 B alloc was not counted"),
            "{err}"
        );
    }

    #[test]
    fn limits_round_trip_through_their_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("guard.csv");
        let limits = limits_of(&[counted(21, 20.125), counted(3, 1.0 / 3.0)]);
        std::fs::write(&path, to_csv(&limits).unwrap()).unwrap();
        assert_eq!(read(&path).unwrap(), limits);
        std::fs::write(&path, "allocator,workload,size,op,max_net,mean_net\n").unwrap();
        assert!(read(&path).unwrap_err().contains("no limits"));
        std::fs::write(&path, "allocator,workload\npmad,x\n").unwrap();
        assert!(read(&path).unwrap_err().contains("line 2: not a limit"));
    }
}
