#!/usr/bin/env bash
# Feeds every .hlog of a results directory to the reference Java
# HistogramLogProcessor (Debian: libhdrhistogram-java) and diffs its
# percentile distribution with the harness's own .hgrm of the same series:
# they must be identical but for the header lines the processor adds (the
# `#[...]` lines before the table: two for a single run's log, one for a
# log merged from rounds, which has no common start time).
#
# usage: scripts/check-with-java-hdrh.sh RESULTS_DIR
set -euo pipefail
dir=${1:?usage: $0 RESULTS_DIR}
jar=${HDRHISTOGRAM_JAR:-/usr/share/java/hdrhistogram.jar}
[ -f "$jar" ] || { echo "no $jar: apt-get install libhdrhistogram-java default-jre-headless" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 bad=0
while IFS= read -r -d '' hlog; do
    java -cp "$jar" org.HdrHistogram.HistogramLogProcessor -i "$hlog" -o "$tmp/out" -outputValueUnitRatio 1 >/dev/null 2>&1
    if ! diff -q <(awk 'body || !/^#\[/ { body = 1; print }' "$tmp/out.hgrm") "${hlog%.hlog}.hgrm" >/dev/null; then
        echo "DIFFERS: ${hlog%.hlog}.hgrm" >&2
        bad=$((bad + 1))
    fi
    n=$((n + 1))
done < <(find "$dir" -name '*.hlog' -print0)
echo "$n series: $((n - bad)) identical to Java's HistogramLogProcessor output, $bad differ"
[ "$bad" -eq 0 ]
