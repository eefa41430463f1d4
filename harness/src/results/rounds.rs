//! A run made of rounds (`--rounds N`, `./run_all.sh --rounds N`): round k
//! is a results directory of its own at `<results>/rounds/<k>`, and
//! `<results>` itself holds their merge (`crate::merge`): summary.csv with
//! each figure the median over rounds and its interval from them, the raw
//! files of all rounds together, and meta.json with the [`RoundsRecord`].

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The directory of round `k` (1-based) of the run in `results`.
pub fn round_dir(results: &Path, k: u32) -> PathBuf {
    results.join("rounds").join(k.to_string())
}

/// Every round's directory, in order, or an empty list for a run without
/// rounds. The rounds must be numbered 1 to N with none missing.
pub fn round_dirs(results: &Path) -> Result<Vec<PathBuf>, String> {
    let dir = results.join("rounds");
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut ks: Vec<u32> = Vec::new();
    for e in std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let e = e.map_err(|e| format!("{}: {e}", dir.display()))?;
        let name = e.file_name().to_string_lossy().into_owned();
        match name.parse::<u32>() {
            Ok(k) if k >= 1 => ks.push(k),
            _ => {
                return Err(format!(
                    "{}: `{name}` is not a round number (1, 2, ...)",
                    dir.display()
                ))
            }
        }
    }
    ks.sort_unstable();
    if let Some((i, _)) = ks.iter().enumerate().find(|&(i, &k)| k != i as u32 + 1) {
        return Err(format!(
            "{}: round {} is missing (rounds are numbered 1 to N)",
            dir.display(),
            i + 1
        ));
    }
    Ok(ks.into_iter().map(|k| round_dir(results, k)).collect())
}

/// What meta.json says of the rounds a merged run was made of.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoundsRecord {
    pub count: u32,
    /// How each figure of summary.csv comes from the rounds.
    pub figures: String,
    /// How its interval (the `_lo`/`_hi` columns) does.
    pub intervals: String,
    /// Each round: when its first and last process started, and the order
    /// its allocators ran in (from its runs' start times).
    pub each: Vec<RoundEntry>,
    /// The run's own reliability: its odd rounds against its even ones.
    pub split_half: SplitHalfRecord,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoundEntry {
    pub round: u32,
    pub first_start: String,
    pub last_start: String,
    pub order: Vec<String>,
}

/// Split-half A/A: every figure of rounds 1, 3, 5, ... against rounds 2,
/// 4, 6, ..., paired (1 with 2, ...): a faster or slower verdict is false.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SplitHalfRecord {
    pub pairs: usize,
    pub noise_pct: f64,
    /// Figures with an interval (at least 5 pairs are needed for one).
    pub figures: usize,
    pub faster_or_slower: usize,
    /// faster_or_slower / figures in percent; absent without figures.
    pub false_verdict_pct: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_are_numbered_from_one_without_gaps() {
        let dir = std::env::temp_dir().join(format!("rounds-layout-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        assert!(
            round_dirs(&dir).unwrap().is_empty(),
            "no rounds/ is no rounds"
        );
        for k in [1, 2, 3] {
            std::fs::create_dir_all(round_dir(&dir, k)).unwrap();
        }
        assert_eq!(
            round_dirs(&dir).unwrap(),
            [1, 2, 3].map(|k| dir.join("rounds").join(k.to_string()))
        );
        std::fs::remove_dir_all(round_dir(&dir, 2)).unwrap();
        let e = round_dirs(&dir).unwrap_err();
        assert!(e.contains("round 2 is missing"), "{e}");
        std::fs::create_dir_all(dir.join("rounds").join("x")).unwrap();
        let e = round_dirs(&dir).unwrap_err();
        assert!(e.contains("`x` is not a round number"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
