//! `.hgrm`: the percentile distribution exactly as Java HdrHistogram's
//! `outputPercentileDistribution(out, 5, 1.0)` prints it, values in ns, so
//! HdrHistogram's own plotter (and anything that reads its output) works.

use hdrhistogram::Histogram;
use std::fmt::Write;

/// Percentile ticks per half distance, Java's default.
pub const TICKS_PER_HALF_DISTANCE: u32 = 5;

/// The distribution of `h` in Java's format (an empty histogram gives the
/// header and footer only, as Java does).
pub fn render(h: &Histogram<u64>) -> String {
    let digits = h.sigfig() as usize;
    let mut out = String::new();
    let _ = write!(out, "{:>12} {:>14} {:>10} {:>14}\n\n", "Value", "Percentile", "TotalCount", "1/(1-Percentile)");
    if !h.is_empty() {
        let mut total = 0u64;
        for v in h.iter_quantiles(TICKS_PER_HALF_DISTANCE) {
            total += v.count_since_last_iteration();
            let q = v.quantile_iterated_to();
            let value = v.value_iterated_to() as f64;
            if q != 1.0 {
                let _ = writeln!(out, "{value:>12.digits$} {q:>2.12} {total:>10} {:>14.2}", 1.0 / (1.0 - q));
            } else {
                let _ = writeln!(out, "{value:>12.digits$} {q:>2.12} {total:>10}");
            }
        }
    }
    let _ = writeln!(out, "#[Mean    = {:>12.digits$}, StdDeviation   = {:>12.digits$}]", mean(h), stdev(h));
    let _ = writeln!(out, "#[Max     = {:>12.digits$}, Total count    = {:>12}]", h.max() as f64, h.len());
    let _ = writeln!(out, "#[Buckets = {:>12}, SubBuckets     = {:>12}]", h.buckets(), sub_buckets(h));
    out
}

fn mean(h: &Histogram<u64>) -> f64 {
    if h.is_empty() {
        0.0
    } else {
        h.mean()
    }
}

fn stdev(h: &Histogram<u64>) -> f64 {
    if h.is_empty() {
        0.0
    } else {
        h.stdev()
    }
}

/// Java's `subBucketCount`: the counts array holds (buckets + 1) half-sets.
fn sub_buckets(h: &Histogram<u64>) -> usize {
    2 * h.distinct_values() / (h.buckets() as usize + 1)
}

/// One data line of a `.hgrm` file.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Line {
    pub value: f64,
    pub percentile: f64,
    pub total_count: u64,
}

/// Reads the data lines and the footer's total count back (for tests and
/// for anyone checking a file): fails on any line that is not in the format.
pub fn parse(text: &str) -> Result<(Vec<Line>, u64), String> {
    let mut lines = Vec::new();
    let mut total = None;
    for (n, raw) in text.lines().enumerate() {
        let l = raw.trim();
        if l.is_empty() || l.starts_with("Value") || l.starts_with("#[Mean") || l.starts_with("#[Buckets") {
            continue;
        }
        if let Some(rest) = l.strip_prefix("#[Max") {
            let count = rest.rsplit('=').next().unwrap_or("").trim().trim_end_matches(']').trim();
            total = Some(count.parse::<u64>().map_err(|e| format!("line {}: total count: {e}", n + 1))?);
            continue;
        }
        let cols: Vec<&str> = l.split_whitespace().collect();
        if cols.len() != 3 && cols.len() != 4 {
            return Err(format!("line {}: expected 3 or 4 columns: {raw:?}", n + 1));
        }
        let num = |i: usize| cols[i].parse::<f64>().map_err(|e| format!("line {}: {e}: {raw:?}", n + 1));
        lines.push(Line { value: num(0)?, percentile: num(1)?, total_count: num(2)? as u64 });
    }
    Ok((lines, total.ok_or("no #[Max ... Total count] footer")?))
}
