//! How figures are written for people: latencies, sizes and counts, the
//! same in every chart, REPORT.md and the README section.

use crate::names::WorkloadName;

/// A latency for an axis or a label: "20 ns", "1.5 µs", "12 ms".
pub fn ns(v: f64) -> String {
    let (value, unit) = if v >= 1e9 {
        (v / 1e9, "s")
    } else if v >= 1e6 {
        (v / 1e6, "ms")
    } else if v >= 1e3 {
        (v / 1e3, "µs")
    } else {
        (v, "ns")
    };
    let text = if value >= 100.0 || value.fract() == 0.0 {
        format!("{value:.0}")
    } else if value >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    };
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    };
    format!("{text} {unit}")
}

/// A latency that reads exactly: "5 us" for whole microseconds, else "5120 ns".
pub fn ns_exact(ns: u64) -> String {
    if ns >= 1_000 && ns.is_multiple_of(1_000) {
        format!("{} us", ns / 1_000)
    } else {
        format!("{ns} ns")
    }
}

/// "1024 B", or "mixed 16-4096 B" for size 0, or for a replayed trace
/// (size 0 too) "the trace's sizes": in charts and reports.
pub fn size_label(workload: WorkloadName, size: usize) -> String {
    if workload.is_replay() {
        "the trace's sizes".into()
    } else if workload.is_program() {
        "the program's sizes".into()
    } else if size == 0 {
        "mixed 16-4096 B".into()
    } else {
        format!("{size} B")
    }
}

/// "1024B", or "mixed": a case's size in progress labels and log comments.
pub fn size_tag(size: usize) -> String {
    if size == 0 {
        "mixed".into()
    } else {
        format!("{size}B")
    }
}

/// Thousands separated: 12,345.
pub fn thousands(v: u64) -> String {
    let digits = v.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latencies_read_naturally() {
        assert_eq!(ns(20.0), "20 ns");
        assert_eq!(ns(1500.0), "1.5 µs");
        assert_eq!(ns(15_100.0), "15.1 µs");
        assert_eq!(ns(250_000.0), "250 µs");
        assert_eq!(ns(12_000_000.0), "12 ms");
        assert_eq!(ns(2e9), "2 s");
    }

    #[test]
    fn a_replay_is_labelled_with_its_trace_not_the_mixed_range() {
        let w = WorkloadName::replay_of("x").unwrap();
        assert_eq!(size_label(w, 0), "the trace's sizes");
    }

    #[test]
    fn counts_and_sizes_read_naturally() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(4_022_271), "4,022,271");
        assert_eq!(ns_exact(5_000), "5 us");
        assert_eq!(ns_exact(5_120), "5120 ns");
        assert_eq!(
            (
                size_label(WorkloadName::Churn, 0).as_str(),
                size_tag(0).as_str()
            ),
            ("mixed 16-4096 B", "mixed")
        );
        assert_eq!(
            (
                size_label(WorkloadName::Churn, 64).as_str(),
                size_tag(64).as_str()
            ),
            ("64 B", "64B")
        );
    }
}
