//! `harness compare`: every series of one results directory against the
//! same series of another (or one allocator against another in one run),
//! percentile by percentile, with the change's 95 % interval and a verdict
//! (`stats::change`). The interval comes from both series' interval logs,
//! so it says how much each figure moves within a run; it cannot see drift
//! between runs that moves every window alike. Where both sides were
//! repeated (`--repeat`, spread.csv), a change is kept only when the two
//! ranges across repeats are apart as well. Runs made of rounds are
//! compared by their rounds instead ([`rounds`]): paired within one run,
//! by between-round intervals across two.

pub mod rounds;
pub mod table;

use crate::cli::CompareArgs;
use crate::failure::Failure;
use crate::names::Name;
use crate::results::figure::Figure;
use crate::results::read::Results;
use crate::results::series::SeriesId;
use crate::results::spread::{across_repeats, spread_of};
use crate::results::summary::Row;
use crate::stats::bootstrap::{Bootstrap, PERCENTILES, REPLICATES, SEED};
use crate::stats::change::Change;
use crate::stats::Intervals;

/// One series in both: its label and one change per figure.
pub struct Compared {
    pub label: String,
    pub figures: Vec<FigureChange>,
}

/// One figure of one series, baseline and candidate, in ns.
pub struct FigureChange {
    pub figure: Figure,
    pub baseline: f64,
    pub candidate: f64,
    pub change: Change,
}

/// The two sides of the comparison, as the header names them.
pub struct Sides {
    pub baseline: String,
    pub candidate: String,
    /// Whether both sides were repeated (spread.csv on each).
    pub repeated: bool,
    /// The rounds both sides ran in, when they were paired by round
    /// (`harness ab`): every figure then has an interval, the max too.
    pub rounds: Option<u32>,
    /// Two runs, each made of rounds, made at different times: each
    /// figure's interval is its own run's between rounds (`rounds`).
    pub across_time: bool,
    /// An A/B's two sides (`harness ab`), ABBA in rounds.
    pub ab: bool,
}

/// Every series the arguments pair, compared figure by figure; bad
/// arguments or results directories are bad input (exit 2).
pub fn compared(args: &CompareArgs) -> Result<(Sides, Vec<Compared>), Failure> {
    check_args(args).map_err(Failure::usage)?;
    let base = Results::load(&args.baseline).map_err(|e| Failure::usage(e.to_string()))?;
    let cand = match &args.candidate {
        Some(dir) => Some(Results::load(dir).map_err(|e| Failure::usage(e.to_string()))?),
        None => None,
    };
    let (pairs, sides) = pair(&base, cand.as_ref(), args).map_err(Failure::usage)?;
    let noise = args.noise / 100.0;
    let mut compared = Vec::with_capacity(pairs.len());
    for Pair { a, b, label } in pairs {
        compared.push(match (&cand, sides.across_time) {
            (None, _) if !base.rounds.is_empty() => {
                rounds::paired_in_run(&base.rounds, a, b, label, noise)
            }
            (Some(_), true) => rounds::across_time(a, b, label, noise),
            _ => compare(&base, cand.as_ref().unwrap_or(&base), a, b, label, noise)
                .map_err(Failure::usage)?,
        });
    }
    Ok((sides, compared))
}

fn check_args(args: &CompareArgs) -> Result<(), String> {
    check_thresholds(args.noise, args.fail_above)?;
    match (&args.candidate, args.allocators.len()) {
        (None, 2) => Ok(()),
        (None, _) => Err(
            "one results directory needs --allocators A,B (two allocators of that run, the baseline first); \
             or give two directories"
                .into(),
        ),
        _ => Ok(()),
    }
}

/// `--noise` and `--fail-above` (compare's and ab's), in percent.
pub(crate) fn check_thresholds(noise: f64, fail_above: Option<f64>) -> Result<(), String> {
    if !(0.0..100.0).contains(&noise) {
        return Err(format!(
            "--noise {noise}: a threshold in percent, at least 0 and below 100"
        ));
    }
    match fail_above {
        Some(f) if !(f >= 0.0 && f.is_finite()) => {
            Err(format!("--fail-above {f}: a percentage, 0 or more"))
        }
        _ => Ok(()),
    }
}

/// One series in both: the baseline's row, the candidate's, and the label.
struct Pair<'a> {
    a: &'a Row,
    b: &'a Row,
    label: String,
}

/// The series to compare, in the baseline's order.
fn pair<'a>(
    base: &'a Results,
    cand: Option<&'a Results>,
    args: &CompareArgs,
) -> Result<(Vec<Pair<'a>>, Sides), String> {
    let (pairs, sides) = match cand {
        None => two_allocators(base, &args.allocators[0], &args.allocators[1])?,
        Some(cand) => two_runs(base, cand, &args.allocators)?,
    };
    if pairs.is_empty() {
        return Err(format!(
            "no series in both {} and {}: nothing to compare",
            sides.baseline, sides.candidate
        ));
    }
    Ok((pairs, sides))
}

/// Whether two rows are of the same case (workload, size, op, threads).
fn same_case(a: &Row, b: &Row) -> bool {
    a.workload == b.workload && a.size == b.size && a.op == b.op && a.threads == b.threads
}

/// A case as compare names it: "churn x2 1 KiB alloc".
pub(crate) fn case_label(r: &Row) -> String {
    let threads = if r.threads > 1 {
        format!(" x{}", r.threads)
    } else {
        String::new()
    };
    format!(
        "{}{threads} {} {}",
        r.workload,
        crate::format::size_label(r.workload, r.size),
        r.op
    )
}

/// Allocator `x` against `y` in one run, case by case.
fn two_allocators<'a>(
    base: &'a Results,
    x: &str,
    y: &str,
) -> Result<(Vec<Pair<'a>>, Sides), String> {
    let with_rows = |name: &str| {
        Name::read(name)
            .ok()
            .filter(|&a| base.rows.iter().any(|r| r.allocator == a))
            .ok_or_else(|| {
                let has: Vec<&str> = base.allocators().iter().map(|a| a.as_str()).collect();
                format!(
                    "--allocators: {name} has no rows in {} (it has: {})",
                    base.dir.display(),
                    has.join(", ")
                )
            })
    };
    let (x, y) = (with_rows(x)?, with_rows(y)?);
    let mut pairs = Vec::new();
    for a in base.rows.iter().filter(|r| r.allocator == x) {
        if let Some(b) = base
            .rows
            .iter()
            .find(|b| b.allocator == y && same_case(a, b))
        {
            pairs.push(Pair {
                a,
                b,
                label: case_label(a),
            });
        }
    }
    let sides = Sides {
        baseline: format!("{x} in {}", base.dir.display()),
        candidate: format!("{y} in {}", base.dir.display()),
        repeated: base.spread.is_some(),
        rounds: (!base.rounds.is_empty()).then_some(base.rounds.len() as u32),
        across_time: false,
        ab: false,
    };
    Ok((pairs, sides))
}

/// Every series of `base` against the same series of `cand` (of the
/// `allocators` named, or all); both must record in one unit.
fn two_runs<'a>(
    base: &'a Results,
    cand: &'a Results,
    allocators: &[String],
) -> Result<(Vec<Pair<'a>>, Sides), String> {
    let unit = |r: &'a Results| &r.runs()[0].histograms.unit;
    if unit(base) != unit(cand) {
        return Err(format!(
            "{} records in {:?} and {} in {:?}: different units cannot be compared",
            base.dir.display(),
            unit(base),
            cand.dir.display(),
            unit(cand)
        ));
    }
    let wanted =
        |r: &Row| allocators.is_empty() || allocators.iter().any(|a| a == r.allocator.as_str());
    let mut pairs = Vec::new();
    for a in base.rows.iter().filter(|r| wanted(r)) {
        if let Some(b) = cand
            .rows
            .iter()
            .find(|b| b.allocator == a.allocator && same_case(a, b))
        {
            pairs.push(Pair {
                a,
                b,
                label: format!("{} {}", case_label(a), a.allocator),
            });
        }
    }
    let sides = Sides {
        baseline: base.dir.display().to_string(),
        candidate: cand.dir.display().to_string(),
        repeated: base.spread.is_some() && cand.spread.is_some(),
        rounds: None,
        across_time: !base.rounds.is_empty() && !cand.rounds.is_empty(),
        ab: false,
    };
    Ok((pairs, sides))
}

/// One series pair: both interval logs bootstrapped (independently, two
/// seeds), each percentile's change and verdict, and the max's change.
fn compare(
    base: &Results,
    cand: &Results,
    a: &Row,
    b: &Row,
    label: String,
    noise: f64,
) -> Result<Compared, String> {
    let boot = |res: &Results, r: &Row, seed: u64| -> Result<Option<Bootstrap>, String> {
        let id = SeriesId::of(r);
        let hs = res.intervals(&id)?.unwrap_or_default();
        Ok(Bootstrap::run(
            &Intervals::of(&hs),
            &PERCENTILES,
            REPLICATES,
            seed,
        ))
    };
    let (ba, bb) = (boot(base, a, SEED)?, boot(cand, b, !SEED)?);
    let both = ba.as_ref().zip(bb.as_ref());
    let mut figures = Vec::with_capacity(Figure::COMPARED.len());
    // The percentiles (in the bootstrap's order), then the max.
    for (q, figure) in Figure::PERCENTILES
        .into_iter()
        .chain([Figure::Max])
        .enumerate()
    {
        let (x, y) = (figure.recorded(a), figure.recorded(b));
        let (x, y) = (x.expect("a recorded figure"), y.expect("a recorded figure"));
        let boot = if figure == Figure::Max { None } else { both };
        let repeats = |res: &Results, r: &Row| {
            across_repeats(res.spread.as_deref(), r, figure).map(|(lo, hi)| (lo as f64, hi as f64))
        };
        let change =
            Change::of(x, y, boot, q, noise).across_repeats(repeats(base, a), repeats(cand, b));
        figures.push(FigureChange {
            figure,
            baseline: x as f64,
            candidate: y as f64,
            change,
        });
    }
    if let (Some(x), Some(y)) = (
        Figure::Batched.with_interval(a),
        Figure::Batched.with_interval(b),
    ) {
        let repeats = |res: &Results, r: &Row| batched_across_repeats(res, r);
        figures.push(FigureChange {
            figure: Figure::Batched,
            baseline: x.0,
            candidate: y.0,
            change: Change::of_intervals(x, y, noise)
                .across_repeats(repeats(base, a), repeats(cand, b)),
        });
    }
    Ok(Compared { label, figures })
}

/// A row's batched cost (net) from its lowest to its highest across the
/// repeats of its run, when the run was repeated.
fn batched_across_repeats(res: &Results, r: &Row) -> Option<(f64, f64)> {
    let s = spread_of(res.spread.as_deref(), r)?;
    Some((s.batch_net_min_ns?, s.batch_net_max_ns?))
}
