//! A workload's name: the `workload` column of summary.csv, spread.csv and
//! counts.csv, meta.json's workload fields, and the first part of every
//! series' file names. A results file naming an unknown workload fails to
//! load, naming the line.
//!
//! A replayed trace is a workload too, named `replay-<the trace file's
//! stem>`. Its name is interned (leaked once per distinct name, a few per
//! process), so the type stays `Copy`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeSet;
use std::fmt;
use std::sync::Mutex;

/// The prefix of a replayed trace's workload name.
pub const REPLAY_PREFIX: &str = "replay-";
/// The prefix of a program timed live (`harness live`).
pub const LIVE_PREFIX: &str = "live-";

/// Every workload a run can measure, by its name in the results.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WorkloadName {
    HotPath,
    SizeSweep,
    Bulk,
    ReverseFree,
    Churn,
    RequestClosed,
    RequestOpen,
    ProducerConsumer,
    /// A replayed trace: the whole name, `replay-` and a stem of lowercase
    /// letters, digits and dashes.
    Replay(&'static str),
    /// A program timed live: `live-` and the program's name, cleaned as a
    /// trace's stem is.
    Live(&'static str),
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
            WorkloadName::Replay(name) | WorkloadName::Live(name) => name,
        }
    }

    /// The workload that replays the trace whose file stem is `stem`:
    /// `replay-<stem>`, lowercased, any character but a letter, digit or
    /// dash made a dash (the name is part of every file name).
    pub fn replay_of(stem: &str) -> Result<WorkloadName, String> {
        let clean = clean(stem).ok_or_else(|| {
            format!(
                "`{stem}`: a trace file's name needs a letter or digit (its workload is replay-<name>)"
            )
        })?;
        Ok(WorkloadName::Replay(intern(&format!(
            "{REPLAY_PREFIX}{clean}"
        ))))
    }

    /// The workload of a program timed live: `live-<program>`, cleaned as
    /// [`WorkloadName::replay_of`] cleans a stem.
    pub fn live_of(program: &str) -> Result<WorkloadName, String> {
        let clean = clean(program)
            .ok_or_else(|| format!("`{program}`: a program's name needs a letter or digit"))?;
        Ok(WorkloadName::Live(intern(&format!("{LIVE_PREFIX}{clean}"))))
    }

    /// Whether this is a real program's calls: a replayed trace or a
    /// program timed live.
    pub fn is_program(self) -> bool {
        matches!(self, WorkloadName::Replay(_) | WorkloadName::Live(_))
    }
}

/// `stem` lowercased, any character but a letter, digit or dash made a
/// dash, dashes trimmed; None when nothing is left.
fn clean(stem: &str) -> Option<String> {
    let clean: String = stem
        .chars()
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let clean = clean.trim_matches('-');
    (!clean.is_empty()).then(|| clean.to_string())
}

impl WorkloadName {
    /// Whether this is a replayed trace.
    pub fn is_replay(self) -> bool {
        matches!(self, WorkloadName::Replay(_))
    }

    /// The workloads `--threads` runs on several threads (a replay: each
    /// recorded thread on its own).
    pub fn threaded(self) -> bool {
        matches!(
            self,
            WorkloadName::HotPath | WorkloadName::Churn | WorkloadName::Replay(_)
        )
    }
}

/// What `--workload` takes: one workload by its name, the two request
/// workloads together (`request`), or `all`. The choices are derived from
/// [`WorkloadName::ALL`]: each workload's choice is [`WorkloadName::choice`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkloadChoice {
    One(WorkloadName),
    /// request-closed and request-open.
    Request,
    All,
}

impl WorkloadChoice {
    /// Every choice, in run order, `all` last.
    pub fn every() -> Vec<WorkloadChoice> {
        let mut out: Vec<WorkloadChoice> = Vec::new();
        for w in WorkloadName::ALL {
            if !out.contains(&w.choice()) {
                out.push(w.choice());
            }
        }
        out.push(WorkloadChoice::All);
        out
    }

    /// The choice as the command line spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkloadChoice::One(w) => w.as_str(),
            WorkloadChoice::Request => "request",
            WorkloadChoice::All => "all",
        }
    }

    /// Whether the choice runs `w`.
    pub fn includes(self, w: WorkloadName) -> bool {
        self == WorkloadChoice::All || w.choice() == self
    }
}

impl WorkloadName {
    /// The `--workload` choice that runs this workload.
    pub fn choice(self) -> WorkloadChoice {
        match self {
            WorkloadName::RequestClosed | WorkloadName::RequestOpen => WorkloadChoice::Request,
            other => WorkloadChoice::One(other),
        }
    }
}

impl fmt::Display for WorkloadName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl std::str::FromStr for WorkloadName {
    type Err = String;

    fn from_str(s: &str) -> Result<WorkloadName, String> {
        if let Some(w) = WorkloadName::ALL.into_iter().find(|w| w.as_str() == s) {
            return Ok(w);
        }
        match s.strip_prefix(REPLAY_PREFIX) {
            Some(stem) if WorkloadName::replay_of(stem).is_ok_and(|w| w.as_str() == s) => {
                WorkloadName::replay_of(stem)
            }
            _ => match s.strip_prefix(LIVE_PREFIX) {
                Some(p) if WorkloadName::live_of(p).is_ok_and(|w| w.as_str() == s) => {
                    WorkloadName::live_of(p)
                }
                _ => Err(format!("`{s}` is not a workload")),
            },
        }
    }
}

/// The one `&'static` copy of `name`.
fn intern(name: &str) -> &'static str {
    static NAMES: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());
    let mut names = NAMES.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(&known) = names.get(name) {
        return known;
    }
    let leaked: &'static str = Box::leak(name.to_owned().into_boxed_str());
    names.insert(leaked);
    leaked
}

impl Serialize for WorkloadName {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for WorkloadName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<WorkloadName, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
        s.parse().map_err(|_| {
            let known: Vec<&str> = WorkloadName::ALL.iter().map(|w| w.as_str()).collect();
            serde::de::Error::custom(format!(
                "unknown variant `{s}`, expected one of {}, replay-<trace>, live-<program>",
                known.join(", ")
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{WorkloadChoice, WorkloadName};

    #[test]
    fn each_workload_is_run_by_exactly_one_choice_besides_all() {
        let every = WorkloadChoice::every();
        assert_eq!(every.last(), Some(&WorkloadChoice::All));
        for w in WorkloadName::ALL {
            let by: Vec<_> = every[..every.len() - 1]
                .iter()
                .filter(|c| c.includes(w))
                .collect();
            assert_eq!(by, [&w.choice()], "{w}");
            assert!(WorkloadChoice::All.includes(w));
        }
        let names: Vec<&str> = every.iter().map(|c| c.as_str()).collect();
        assert_eq!(
            names,
            [
                "hot-path",
                "size-sweep",
                "bulk",
                "reverse-free",
                "churn",
                "request",
                "producer-consumer",
                "all"
            ]
        );
    }

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
        let e = serde_json::from_str::<WorkloadName>("\"hot_path\"").unwrap_err();
        assert!(e.to_string().contains("unknown variant `hot_path`"), "{e}");
        let e = "churnn".parse::<WorkloadName>().unwrap_err();
        assert!(e.contains("`churnn`"), "{e}");
        for bad in ["replay-", "replay-Python", "replay-a_b", "replay--x"] {
            assert!(bad.parse::<WorkloadName>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_trace_is_named_after_its_file_and_interned() {
        let w = WorkloadName::replay_of("Python_JSON.v2").unwrap();
        assert_eq!(w.as_str(), "replay-python-json-v2");
        assert!(w.is_replay() && !WorkloadName::Churn.is_replay());
        let again: WorkloadName = "replay-python-json-v2".parse().unwrap();
        assert_eq!(again, w);
        assert!(std::ptr::eq(again.as_str(), w.as_str()), "one copy");
        let json = serde_json::to_string(&w).unwrap();
        assert_eq!(json, "\"replay-python-json-v2\"");
        assert_eq!(serde_json::from_str::<WorkloadName>(&json).unwrap(), w);
        assert!(WorkloadName::replay_of("__").is_err());
    }
}
