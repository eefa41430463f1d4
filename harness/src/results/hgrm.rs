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
    let _ = write!(
        out,
        "{:>12} {:>14} {:>10} {:>14}\n\n",
        "Value", "Percentile", "TotalCount", "1/(1-Percentile)"
    );
    if !h.is_empty() {
        percentile_lines(h, &mut out, digits);
    }
    let _ = writeln!(
        out,
        "#[Mean    = {:>12}, StdDeviation   = {:>12}]",
        fixed(mean(h), digits),
        fixed(stdev(h), digits)
    );
    let _ = writeln!(
        out,
        "#[Max     = {:>12}, Total count    = {:>12}]",
        fixed(h.max() as f64, digits),
        h.len()
    );
    let _ = writeln!(
        out,
        "#[Buckets = {:>12}, SubBuckets     = {:>12}]",
        h.buckets(),
        sub_buckets(h)
    );
    out
}

/// `x` with `decimals` digits after the point, rounded as Java's `%.Nf`
/// does: from the shortest decimal that identifies the double, half up
/// (Rust's own `{:.N}` rounds the exact binary value, which differs on ties
/// such as 0.9997802734375).
fn fixed(x: f64, decimals: usize) -> String {
    let shortest = format!("{x}");
    let (int, frac) = shortest.split_once('.').unwrap_or((&shortest, ""));
    let mut digits: Vec<u8> = int
        .bytes()
        .chain(frac.bytes().chain(std::iter::repeat(b'0')).take(decimals))
        .collect();
    if frac.as_bytes().get(decimals).is_some_and(|&d| d >= b'5') {
        let mut i = digits.len();
        loop {
            if i == 0 {
                digits.insert(0, b'1');
                break;
            }
            i -= 1;
            if digits[i] == b'9' {
                digits[i] = b'0';
            } else {
                digits[i] += 1;
                break;
            }
        }
    }
    let split = digits.len() - decimals;
    let (int, frac) = digits.split_at(split);
    let int = String::from_utf8_lossy(int);
    if decimals == 0 {
        int.into_owned()
    } else {
        format!("{int}.{}", String::from_utf8_lossy(frac))
    }
}

/// The data lines, as Java's `PercentileIterator` walks them: levels stepped
/// in percent, a level reached when 100 * count-so-far / total >= it (several
/// levels may fall on one value), one line where the last value is reached,
/// then a final 100 % line without the 1/(1-p) column. Done here rather than
/// with the crate's quantile iterator, whose levels, computed as fractions,
/// differ from Java's in the last bits and so, on exact ties, in the value.
fn percentile_lines(h: &Histogram<u64>, out: &mut String, digits: usize) {
    let n = h.len();
    let mut level = 0.0f64;
    let mut total = 0u64;
    let mut last = 0;
    'values: for v in h.iter_recorded() {
        total += v.count_at_value();
        last = v.value_iterated_to();
        let value = fixed(last as f64, digits);
        while 100.0 * total as f64 / n as f64 >= level {
            let q = level / 100.0;
            let (p, inverse) = (fixed(q, 12), fixed(1.0 / (1.0 - q), 2));
            let _ = writeln!(out, "{value:>12} {p:>2} {total:>10} {inverse:>14}");
            level = next_level(level);
            if total >= n {
                break 'values;
            }
        }
    }
    let _ = writeln!(
        out,
        "{:>12} {:>2} {n:>10}",
        fixed(last as f64, digits),
        fixed(1.0, 12)
    );
}

/// Java's `PercentileIterator.incrementIterationLevel`: the next level, in
/// percent, with ticks doubling each time the distance to 100 % halves.
fn next_level(level: f64) -> f64 {
    let halvings = ((100.0 / (100.0 - level)).ln() / 2f64.ln()) as i32;
    let ticks = f64::from(TICKS_PER_HALF_DISTANCE) * 2f64.powi(halvings + 1);
    level + 100.0 / ticks
}

/// Java's `getMean`: every recorded value at its bucket's median equivalent.
fn mean(h: &Histogram<u64>) -> f64 {
    if h.is_empty() {
        return 0.0;
    }
    let total: f64 = h
        .iter_recorded()
        .map(|v| h.median_equivalent(v.value_iterated_to()) as f64 * v.count_at_value() as f64)
        .sum();
    total / h.len() as f64
}

/// Java's `getStdDeviation` (population), over median-equivalent values; the
/// crate's own `stdev` differs from it in the last printed digit.
fn stdev(h: &Histogram<u64>) -> f64 {
    if h.is_empty() {
        return 0.0;
    }
    let mean = mean(h);
    let total: f64 = h
        .iter_recorded()
        .map(|v| {
            let deviation = h.median_equivalent(v.value_iterated_to()) as f64 - mean;
            deviation * deviation * v.count_at_value() as f64
        })
        .sum();
    (total / h.len() as f64).sqrt()
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

/// Reads the data lines and the footer's total count back (for plots, tests
/// and anyone checking a file): fails on any line that is not in the format.
pub fn parse(text: &str) -> Result<(Vec<Line>, u64), String> {
    let mut lines = Vec::new();
    let mut total = None;
    for (n, raw) in text.lines().enumerate() {
        let l = raw.trim();
        if l.is_empty()
            || l.starts_with("Value")
            || l.starts_with("#[Mean")
            || l.starts_with("#[Buckets")
        {
            continue;
        }
        if let Some(rest) = l.strip_prefix("#[Max") {
            let count = rest
                .rsplit('=')
                .next()
                .unwrap_or("")
                .trim()
                .trim_end_matches(']')
                .trim();
            total = Some(
                count
                    .parse::<u64>()
                    .map_err(|e| format!("line {}: total count: {e}", n + 1))?,
            );
            continue;
        }
        let cols: Vec<&str> = l.split_whitespace().collect();
        if cols.len() != 3 && cols.len() != 4 {
            return Err(format!("line {}: expected 3 or 4 columns: {raw:?}", n + 1));
        }
        let num = |i: usize| {
            cols[i]
                .parse::<f64>()
                .map_err(|e| format!("line {}: {e}: {raw:?}", n + 1))
        };
        lines.push(Line {
            value: num(0)?,
            percentile: num(1)?,
            total_count: num(2)? as u64,
        });
    }
    Ok((lines, total.ok_or("no #[Max ... Total count] footer")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Histogram<u64> {
        let mut h = Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3).unwrap();
        // A skewed, latency-like distribution with a long tail.
        for i in 0..100_000u64 {
            h.record(20 + (i * 7919) % 50).unwrap();
        }
        for v in [500, 1_000, 12_345, 250_000, 4_000_000, 59_000_000_000] {
            h.record_n(v, 3).unwrap();
        }
        h
    }

    #[test]
    fn every_line_agrees_with_the_histogram_in_memory() {
        let h = sample();
        let text = render(&h);
        let (lines, total) = parse(&text).unwrap();
        assert_eq!(total, h.len());
        assert!(lines.len() > 30);
        for l in &lines {
            assert_eq!(
                l.value as u64,
                h.value_at_quantile(l.percentile),
                "value at {}",
                l.percentile
            );
            assert_eq!(
                l.total_count,
                h.count_between(0, l.value as u64),
                "count up to {}",
                l.value
            );
        }
        let last = lines.last().unwrap();
        assert_eq!(
            (last.percentile, last.total_count, last.value as u64),
            (1.0, h.len(), h.max())
        );
        // Percentile levels rise, five ticks per half distance.
        assert!(lines.windows(2).all(|w| w[1].percentile >= w[0].percentile));
        assert_eq!(
            lines[..6].iter().map(|l| l.percentile).collect::<Vec<_>>(),
            [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]
        );
    }

    #[test]
    fn the_layout_is_javas() {
        let h = sample();
        let text = render(&h);
        let mut lines = text.lines();
        assert_eq!(
            lines.next(),
            Some("       Value     Percentile TotalCount 1/(1-Percentile)")
        );
        assert_eq!(lines.next(), Some(""));
        let first = lines.next().unwrap();
        assert_eq!(first.len(), 12 + 1 + 14 + 1 + 10 + 1 + 14, "{first:?}");
        assert!(
            first.starts_with("      20.000 0.000000000000 "),
            "{first:?}"
        );
        let footer: Vec<&str> = text.lines().rev().take(3).collect();
        assert!(
            footer[0].starts_with("#[Buckets =           26, SubBuckets     =         2048]"),
            "{}",
            footer[0]
        );
        let max = format!(
            "#[Max     = {:.3}, Total count    =       100018]",
            h.highest_equivalent(59_000_000_000) as f64
        );
        assert_eq!(footer[1], max);
        assert!(footer[2].starts_with("#[Mean    = "));
    }

    #[test]
    fn fixed_rounds_half_up_from_the_shortest_decimal_like_java() {
        assert_eq!(fixed(0.9997802734375, 12), "0.999780273438");
        assert_eq!(fixed(0.5, 0), "1");
        assert_eq!(fixed(20.0, 3), "20.000");
        assert_eq!(fixed(9.9996, 3), "10.000");
        assert_eq!(fixed(99.995, 2), "100.00");
        assert_eq!(fixed(3495253.3333333335, 2), "3495253.33");
        assert_eq!(fixed(0.0, 12), "0.000000000000");
        assert_eq!(fixed(1.25, 1), "1.3");
    }

    #[test]
    fn a_level_that_falls_exactly_on_a_count_is_reached_there_as_in_java() {
        // Java's HistogramLogProcessor printed this line for a real run here;
        // the crate's quantile iterator put it one value later (150).
        let mut h = Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3).unwrap();
        h.record_n(140, 996_875).unwrap();
        h.record_n(150, 3_125).unwrap();
        let text = render(&h);
        assert!(
            text.contains("     140.000 0.996875000000     996875         320.00\n"),
            "{text}"
        );
        assert!(text.ends_with("     150.000 1.000000000000    1000000\n#[Mean    =      140.031, StdDeviation   =        0.558]\n#[Max     =      150.000, Total count    =      1000000]\n#[Buckets =           26, SubBuckets     =         2048]\n"), "{text}");
    }

    #[test]
    fn an_empty_histogram_has_only_header_and_footer() {
        let h = Histogram::<u64>::new_with_bounds(1, 1000, 3).unwrap();
        let (lines, total) = parse(&render(&h)).unwrap();
        assert!(lines.is_empty());
        assert_eq!(total, 0);
    }

    #[test]
    fn parse_rejects_what_is_not_the_format() {
        assert!(parse("1 2\n#[Max     = 1, Total count = 1]").is_err());
        assert!(parse("x 0.5 1 2.0\n#[Max     = 1, Total count = 1]").is_err());
        assert!(parse("      20.000 0.000000000000          1           1.00\n").is_err());
    }
}
