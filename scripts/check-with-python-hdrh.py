#!/usr/bin/env python3
"""Reads every .hlog of a results directory with Python's reference hdrh
(pip install hdrhistogram) and checks it against summary.csv: sample counts,
max, and P50/P99/P99.9/P99.99 with Java's rank rule (sample number ceil(q*N)).

A run merged from rounds (a rounds/ folder beside summary.csv) keeps the
intervals of all rounds in one .hlog while its percentiles are medians over
the rounds' own: there, counts and max are checked, and the percentiles are
left to `harness verify`, which checks each against the rounds' rows.

usage: check-with-python-hdrh.py RESULTS_DIR
"""
import sys, csv, os, math
from hdrh.histogram import HdrHistogram
from hdrh.log import HistogramLogReader
out = sys.argv[1]
rows = list(csv.DictReader(open(os.path.join(out, "summary.csv"))))
merged = os.path.isdir(os.path.join(out, "rounds"))
checked = 0
differs = 0
for r in rows:
    # Rows of N threads (--threads) live in <workload>-tN-... files.
    workload = r["workload"] if r["threads"] == "1" else f'{r["workload"]}-t{r["threads"]}'
    path = os.path.join(out, r["allocator"], f'{workload}-{r["size"]}-{r["op"]}.hlog')
    total = HdrHistogram(1, 60_000_000_000, 3)
    reader = HistogramLogReader(path, total)
    n = 0
    while True:
        h = reader.get_next_interval_histogram()
        if h is None:
            break
        total.add(h)
        n += 1
    assert n >= 1, (path, "no intervals")
    assert total.get_total_count() == int(r["samples"]), (path, total.get_total_count(), r["samples"])
    # Java's getValueAtPercentile: the value holding sample number ceil(q * N)
    # (python hdrh's own get_value_at_percentile rounds instead of ceil).
    values = [(it.value_iterated_to, it.total_count_to_this_value) for it in total.get_recorded_iterator()]
    N = total.get_total_count()
    for q, col in [] if merged else [(50, "p50_ns"), (99, "p99_ns"), (99.9, "p999_ns"), (99.99, "p9999_ns")]:
        rank = max(1, math.ceil(q / 100 * N - 1e-9))
        v = next(total.get_highest_equivalent_value(val) for val, cum in values if cum >= rank)
        assert v == int(r[col]), (path, q, v, r[col])
        rounded = total.get_value_at_percentile(q)
        if rounded != v:
            pass
            differs += 1
    assert total.get_max_value() == int(r["max_ns"]), (path, total.get_max_value(), r["max_ns"])
    checked += 1
if merged:
    print(f"python hdrh read {checked} .hlog files of a run merged from rounds; counts and max all equal summary.csv (its percentiles are medians over rounds: harness verify checks them)")
else:
    print(f"({differs} percentiles differ from python hdrh get_value_at_percentile, which rounds the rank)")
    print(f"python hdrh read {checked} .hlog files; counts, P50, P99, P99.9, P99.99 and max all equal summary.csv")
