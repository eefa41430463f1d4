#!/usr/bin/env bash
# How often `harness ab` is wrong on this machine, and whether it finds a
# known slowdown: METHODOLOGY.md, "A/B in rounds".
#   1. A/A: one plain binary on both sides, N times.
#   2. Sensitivity, one binary: the test double build (feature
#      inject-slowdown) on both sides, HARNESS_INJECT_SLOWDOWN=system:STEPS
#      on the candidate only, N times.
#   3. Sensitivity, two builds: plain baseline, double candidate, N times.
# Each A/B is hot-path --quick in ROUNDS rounds. Then the tally: false
# verdicts (A/A; the untouched allocators in 2 and 3) and, in 2 and 3, how
# many A/Bs found glibc's P50 (alloc, free) and batched pair slower.
#
# usage: scripts/ab-reliability.sh [N (default 10)] [STEPS (default 8)] [ROUNDS (default 12)]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10} steps=${2:-8} rounds=${3:-12}
dir=target/ab-reliability
mkdir -p "$dir"
cargo build --release --features inject-slowdown
cp target/release/harness "$dir/harness-double"
cargo build --release
cp target/release/harness "$dir/harness-plain"
slow="HARNESS_INJECT_SLOWDOWN=system:$steps"
ab() { "$@" --rounds "$rounds" --workload hot-path --quick --force >/dev/null 2>&1; }
for i in $(seq 1 "$n"); do
    echo "== A/B $i of $n (each: A/A, one-binary sensitivity, two-build sensitivity)"
    ab "$dir/harness-plain" ab --out "$dir/aa-$i"
    ab "$dir/harness-double" ab --candidate-env "$slow" --out "$dir/one-$i"
    ab "$dir/harness-plain" ab --candidate-bin "$dir/harness-double" --candidate-env "$slow" --out "$dir/two-$i"
done
python3 - "$dir" "$n" <<'PY'
import csv, sys
dir, n = sys.argv[1], int(sys.argv[2])
def verdicts(d):
    return [r for r in csv.DictReader(open(f"{d}/verdicts.csv")) if r["verdict"] != "no interval"]
changed = lambda rs: sum(r["verdict"] in ("faster", "slower") for r in rs)
aa = [verdicts(f"{dir}/aa-{i}") for i in range(1, n + 1)]
print(f"A/A: {sum(map(changed, aa))} of {sum(map(len, aa))} verdicts faster or slower")
for kind in ("one", "two"):
    found = {"P50 alloc": 0, "P50 free": 0, "batched": 0}
    wrong = total = 0
    for i in range(1, n + 1):
        rs = verdicts(f"{dir}/{kind}-{i}")
        get = lambda s, f: next(r for r in rs if r["series"] == s and r["figure"] == f)["verdict"]
        found["P50 alloc"] += get("hot-path 64 B alloc system", "p50") == "slower"
        found["P50 free"] += get("hot-path 64 B free system", "p50") == "slower"
        found["batched"] += get("hot-path 64 B alloc system", "batched") == "slower"
        untouched = [r for r in rs if not r["series"].endswith(" system")]
        wrong += changed(untouched)
        total += len(untouched)
    label = {"one": "one binary", "two": "two builds"}[kind]
    print(f"sensitivity, {label}: found slower in {n} A/Bs: {found}; untouched: {wrong} of {total} faster or slower")
PY
