//! The recorder never drops a value: beyond range saturates and is counted.

use workloads::recorder::{HIGHEST_NS, SIGFIG};
use workloads::Recorder;

#[test]
fn values_beyond_range_saturate_and_are_counted() {
    let mut r = Recorder::new();
    r.record(10);
    r.record(HIGHEST_NS);
    r.record(HIGHEST_NS + 1);
    r.record(u64::MAX);
    assert_eq!(r.len(), 4);
    assert_eq!(r.saturated(), 2);
    assert!(r.histogram().equivalent(r.histogram().max(), HIGHEST_NS));
    assert_eq!(r.histogram().count_at(HIGHEST_NS), 3);
}

#[test]
fn values_keep_three_significant_figures_up_to_ten_seconds() {
    let mut r = Recorder::new();
    for v in [1u64, 17, 999, 12_345, 1_000_000, 10_000_000_000] {
        r.reset();
        r.record(v);
        let got = r.histogram().max();
        assert!(got.abs_diff(v) * 1000 <= v, "{v} came back as {got}");
    }
    // The recorder's histogram is the one configured, not a default.
    assert_eq!(r.histogram().sigfig(), SIGFIG);
}

#[test]
fn add_folds_counts_and_saturation() {
    let (mut a, mut b) = (Recorder::new(), Recorder::new());
    a.record(5);
    b.record(7);
    b.record(u64::MAX);
    a.add(&b);
    assert_eq!((a.len(), a.saturated()), (3, 1));
    b.reset();
    assert!(b.is_empty());
    assert_eq!(b.saturated(), 0);
}
