//! The input of every prose template, typed: one struct per template file
//! under `prose/`, its fields the names the template reads. A misspelt
//! field is a compile error at the call; a template reading a name its
//! struct lacks fails the test below. Numbers arrive formatted, as
//! strings, so a figure reads the same in every document; a constant a
//! sentence states (the paired noise, the batches) is a field filled from
//! the code's constant, never written into the template.

use serde::Serialize;

/// A template's context: the template it fills, and its text (compiled in).
pub trait Prose: Serialize {
    const NAME: &'static str;
    const TEXT: &'static str;
}

macro_rules! contexts {
    ($( $(#[$doc:meta])* $name:literal => $ty:ident { $( $(#[$fdoc:meta])* $field:ident : $fty:ty ),* $(,)? } )*) => {
        $(
            $(#[$doc])*
            #[derive(Serialize, Default)]
            pub struct $ty { $( $(#[$fdoc])* pub $field: $fty, )* }
            impl Prose for $ty {
                const NAME: &'static str = $name;
                const TEXT: &'static str = include_str!(concat!("prose/", $name, ".md"));
            }
        )*
        /// Every template: its name, its text, and its context's fields
        /// (a default context, serialized).
        #[cfg(test)]
        pub fn all() -> Vec<(&'static str, &'static str, serde_json::Value)> {
            vec![$( ($name, <$ty as Prose>::TEXT, serde_json::to_value($ty::default()).unwrap()) ),*]
        }
    };
}

/// What a run made of rounds says of itself: their count, the interval's
/// rank and coverage, and its split-half A/A (empty without rounds).
#[derive(Serialize, Default, Clone)]
pub struct RoundsFacts {
    pub rounds: Option<usize>,
    pub interval_rank: String,
    pub coverage: String,
    pub split_half: bool,
    pub split_pairs: usize,
    pub split_changed: usize,
    pub split_figures: usize,
    pub split_pct: Option<String>,
}

/// One allocator's batched hot-path cost in the README's finding.
#[derive(Serialize, Default)]
pub struct BatchedCost {
    pub allocator: String,
    pub ns: String,
    pub lo: String,
    pub hi: String,
    pub across: Option<String>,
}

/// A row whose max is no higher than the null row's in the same case.
#[derive(Serialize, Default)]
pub struct MaxAtNoise {
    pub row: String,
    pub max: String,
    pub null_max: String,
}

/// A replay's calls of one op.
#[derive(Serialize, Default)]
pub struct OpCalls {
    pub calls: String,
    pub op: String,
}

contexts! {
    "readme/batched_finding" => BatchedFinding {
        costs: Vec<BatchedCost>,
        tied: Vec<String>,
        repeated: bool,
        paired: bool,
        noise_pct: String,
    }
    "readme/cross_thread" => ReadmeCrossThread { threads: u32 }
    "readme/cross_thread_finding" => CrossThreadFinding {
        other_lo: String,
        other_hi: String,
        own_lo: String,
        own_hi: String,
        threads: u32,
    }
    "readme/findings" => Findings {
        with_intervals: bool,
        repeats: Option<usize>,
        rounds: Option<usize>,
        factor: String,
        min_steps: String,
        noise_pct: String,
        findings: Vec<String>,
    }
    "readme/head_to_head" => HeadToHead {}
    "readme/hot_path_finding" => HotPathFinding { steps: String, worst: String }
    "readme/memory" => ReadmeMemory {}
    "readme/null_max_finding" => NullMaxFinding { max: String }
    "readme/provenance" => Provenance {
        res: String,
        runs: usize,
        binaries: usize,
        commits: String,
        host: String,
        cpu: String,
        cpus: i64,
        kernel: String,
        libc: String,
        step: String,
        null_lo: u64,
        null_hi: u64,
        repeats: Option<usize>,
        #[serde(flatten)]
        rounds: RoundsFacts,
    }
    "readme/quiet_finding" => QuietFinding { quiet: Vec<&'static str>, some_uncounted: bool }
    "readme/ranking_leader" => RankingLeader {
        allocator: &'static str,
        word: &'static str,
        what: String,
        figure: String,
        lo: String,
        hi: String,
        with_intervals: bool,
        paired: bool,
        highest: bool,
        noise_pct: String,
    }
    "readme/ranking_tied" => RankingTied {
        what: String,
        word: &'static str,
        with_intervals: bool,
        repeated: bool,
        paired: bool,
        first: &'static str,
        first_figure: String,
        second: &'static str,
        second_figure: String,
        noise_pct: String,
    }
    "readme/requests" => ReadmeRequests {}
    "report/allocators" => Allocators {}
    "report/batched" => Batched { batches: String }
    "report/cross_thread" => ReportCrossThread { threads: u32 }
    "report/floors" => Floors {}
    "report/how_sure" => HowSure {
        repeats: Option<usize>,
        noise_pct: String,
        #[serde(flatten)]
        rounds: RoundsFacts,
    }
    "report/instructions" => Instructions { valgrind: String, caches: String }
    "report/instructions_hot_path" => InstructionsHotPath { size: String }
    "report/instructions_per_call" => InstructionsPerCall {}
    "report/instructions_sweep" => InstructionsSweep { allocators: Vec<&'static str> }
    "report/intro" => Intro { host: String }
    "report/max_at_noise" => MaxAtNoiseNote { rows: Vec<MaxAtNoise> }
    "report/memory" => ReportMemory {}
    "report/not_meaningful" => NotMeaningful { rows: Vec<String> }
    "report/pmad_pool" => PmadPool {
        classes: usize,
        smallest: String,
        largest: String,
        blocks: String,
        reserved: String,
        backed: String,
        backed_over_peak: String,
        used: String,
    }
    "report/replay" => Replay {
        calls: String,
        trace: String,
        timed: Vec<OpCalls>,
        usable_size: String,
        null_frees: String,
        failed: String,
        peak_bytes: String,
        peak_blocks: String,
        leaked_blocks: String,
        leaked_bytes: String,
    }
    "report/request" => Request { interval: Option<String>, per_second: Option<String> }
    "report/runs" => Runs { runs: usize }
    "report/standings" => Standings { repeated: bool, paired: bool, noise_pct: String }
    "report/threaded" => Threaded {}
    "report/usage" => Usage {}
    "report/workload" => Workload { workload: String, what: String, threads: Option<u32> }
}

/// The paired-by-round noise a verdict must clear, in percent, as the
/// prose states it (`claims::PAIRED_NOISE`).
pub fn noise_pct() -> String {
    format!("{:.0}", 100.0 * super::claims::PAIRED_NOISE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// The top-level names a template reads (`{x}`, `{x.y}`, `{{ if x }}`,
    /// `{{ for a in x }}`), less its loop variables and `@` names.
    fn names_read(text: &str) -> BTreeSet<String> {
        let mut names = BTreeSet::new();
        let mut loop_vars = BTreeSet::new();
        let mut rest = text;
        while let Some(at) = rest.find('{') {
            rest = &rest[at..];
            let end = rest.find('}').expect("a closed tag");
            let tag = rest[1..end]
                .trim_start_matches('{')
                .trim_matches(['-', ' ']);
            rest = &rest[end + 1..];
            let words: Vec<&str> = tag.split_whitespace().collect();
            let name = match words.as_slice() {
                ["for", var, "in", list] => {
                    loop_vars.insert(var.to_string());
                    Some(*list)
                }
                ["if" | "else", .., last] => Some(*last),
                [one] if !matches!(*one, "endif" | "endfor" | "else") => Some(*one),
                _ => None,
            };
            if let Some(n) = name {
                let top = n.split('.').next().unwrap();
                if !top.starts_with('@') && !top.is_empty() {
                    names.insert(top.to_string());
                }
            }
        }
        names.retain(|n| !loop_vars.contains(n));
        names
    }

    #[test]
    fn every_template_reads_only_its_contexts_fields() {
        for (name, text, fields) in all() {
            let fields = fields.as_object().expect("a struct").clone();
            for n in names_read(text) {
                assert!(
                    fields.contains_key(&n),
                    "{name}: reads {n}, which its context lacks"
                );
            }
        }
    }

    #[test]
    fn the_name_reader_sees_values_clauses_and_loops() {
        let read = names_read(
            "{a} {{ if b }}{c.d}{{ endif }}{{ for x in xs }}{x.y}{{ endfor }}{{- if not e -}}",
        );
        let want: BTreeSet<String> = ["a", "b", "c", "xs", "e"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(read, want);
    }

    #[test]
    fn every_file_under_prose_has_a_context() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/render/markdown/prose");
        let mut files = Vec::new();
        for sub in std::fs::read_dir(&dir).unwrap() {
            for f in std::fs::read_dir(sub.unwrap().path()).unwrap() {
                let f = f.unwrap().path();
                let rel = f.strip_prefix(&dir).unwrap().with_extension("");
                files.push(rel.to_string_lossy().into_owned());
            }
        }
        files.sort();
        let mut names: Vec<String> = all().iter().map(|(n, _, _)| n.to_string()).collect();
        names.sort();
        assert_eq!(files, names);
    }
}
