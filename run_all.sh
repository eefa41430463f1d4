#!/usr/bin/env bash
# The full head-to-head: one release binary per allocator (each built with
# that allocator's feature alone), every workload for each, all into one
# results directory. The first binary's null row is kept for every case; each
# binary's own floor nets its own figures (see METHODOLOGY.md). Then the
# charts (`harness plot`) and REPORT.md (`harness report`) from those files.
# The per-allocator binaries stay in target/run_all/.
#
# usage: ./run_all.sh [--quick] [--cpu N] [--publish | --out DIR] [--plots DIR]
#                     [--allocators a,b,...] [--keep-going] [--force] [--smoke]
#                     [--rounds N] [--lib NAME=PATH]...
#   --quick        the harness's --quick sizes (about 20 s of measuring here)
#   --cpu N        pin every measuring thread to CPU N
#   --publish      write the committed layout: results/<host> and plots/<host>
#   --out DIR      results directory (default: a fresh
#                  target/run_all/<UTC time>-<pid>/results; never results/<host>
#                  unless --publish or --out names it)
#   --plots DIR    charts directory (default: plots/<host> with --publish,
#                  else plots/ beside the results)
#   --allocators   comma-separated subset of: pmad,jemalloc,mimalloc,tcmalloc,system,tlsf,snmalloc
#   --lib NAME=PATH  also a row NAME on the shared library at PATH (repeatable):
#                  its malloc, free, calloc, realloc and posix_memalign, preloaded
#                  into a process of its own (`harness --allocator-lib`); it runs
#                  every workload, replay and count the others do, with the
#                  first allocator's binary
#   --keep-going   go on without an allocator that fails to build or run (named at the end)
#   --force        overwrite earlier results in DIR (without it, a directory
#                  that already holds results is refused before anything is built)
#   --no-syscalls  skip the syscall count (on by default when strace is
#                  installed: each binary runs its plan a second time under strace)
#   --threads N    also run hot-path and churn on N threads at once (default 2;
#                  1 skips it); the full run's threaded churn is 8M ops per thread.
#                  producer-consumer always runs on 2 threads, and on N too when N > 2
#   --rounds N     run in N rounds (default 10; --smoke 2): in each, every
#                  binary runs its whole plan once, a fresh process, the
#                  binaries in an order shuffled per round (seeded, so a
#                  rerun shuffles alike), each case running 1/N of its ops, so
#                  the total per case is what one run measures. Round k goes
#                  into DIR/rounds/k; then `harness rounds` merges them into
#                  DIR (each figure the median over rounds, its interval
#                  from them, and the run's split-half A/A). Syscalls are
#                  counted in round 1 only; replays replay the whole trace
#                  in every round
#   --no-counts    skip the instruction counts (on by default when valgrind is
#                  installed: each binary runs `harness count` for its allocator,
#                  into DIR/counts.csv)
#   --no-replay    skip replaying the bundled traces (traces/*.trace, real
#                  programs' allocations: see traces/README.md); with --quick
#                  each replays its first 300,000 calls
#   --smoke        CI's check: pmad and system, tiny counts, into a temporary directory
set -euo pipefail
cd "$(dirname "$0")"

all="pmad,jemalloc,mimalloc,tcmalloc,system,tlsf,snmalloc"
allocators=$all quick=() cpu=() out="" plots="" keep_going=0 force=() smoke=0 extra=() syscalls=1 threads=2 publish=0 rounds=10 rounds_given=0 counts=1 count_extra=() replays=1 replay_extra=() libs=()
die() { echo "run_all.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=(--quick) ;;
        --cpu) [ $# -ge 2 ] || die "--cpu needs a CPU number"; cpu=(--cpu "$2"); shift ;;
        --out) [ $# -ge 2 ] || die "--out needs a directory"; out=$2; shift ;;
        --publish) publish=1 ;;
        --plots) [ $# -ge 2 ] || die "--plots needs a directory"; plots=$2; shift ;;
        --allocators) [ $# -ge 2 ] || die "--allocators needs a list"; allocators=$2; shift ;;
        --keep-going) keep_going=1 ;;
        --force) force=(--force) ;;
        --no-syscalls) syscalls=0 ;;
        --no-counts) counts=0 ;;
        --no-replay) replays=0 ;;
        --threads) [ $# -ge 2 ] || die "--threads needs a number"; threads=$2; shift ;;
        --smoke) smoke=1 ;;
        --rounds) [ $# -ge 2 ] || die "--rounds needs a number"; rounds=$2; rounds_given=1; shift ;;
        --lib) [ $# -ge 2 ] || die "--lib needs NAME=PATH"; libs+=("$2"); shift ;;
        --repeat) die "--repeat is gone: --rounds N runs the binaries in N shuffled rounds and merges them (see --help)" ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
    shift
done
if [ "$smoke" = 1 ]; then
    allocators=pmad,system
    quick=(--quick)
    extra=(--ops 20000 --blocks 1000 --live 2000)
    count_extra=(--ops 200)
    replay_extra=(--ops 20000)
    [ "$rounds_given" = 1 ] || rounds=2
    if [ -z "$out" ]; then
        tmp=$(mktemp -d)
        out=$tmp/results
        [ -n "$plots" ] || plots=$tmp/plots
    fi
fi
case "$threads" in ''|*[!0-9]*) die "--threads: '$threads' is not a number" ;; esac
shopt -s nullglob
traces=(traces/*.trace)
shopt -u nullglob
if [ ${#quick[@]} -gt 0 ] && [ ${#replay_extra[@]} -eq 0 ]; then
    replay_extra=(--ops 300000)
fi
case "$rounds" in ''|*[!0-9]*|0) die "--rounds: '$rounds' is not a number of rounds (1 to 100)" ;; esac
[ "$rounds" -le 100 ] || die "--rounds: $rounds is more than 100"

IFS=, read -r -a list <<< "$allocators"
for a in "${list[@]}"; do
    case ",$all," in *",$a,"*) ;; *) die "--allocators: unknown allocator '$a' (known: $all)" ;; esac
done
lib_names=()
for spec in "${libs[@]}"; do
    name=${spec%%=*}
    [ "$name" != "$spec" ] && [ -n "$name" ] && [ -n "${spec#*=}" ] || die "--lib: '$spec' is not NAME=PATH"
    [ -e "${spec#*=}" ] || die "--lib $name: ${spec#*=}: no such file"
    case ",$all,null,all," in *",$name,"*) die "--lib $name: the name of an allocator compiled in; give the library a name of its own" ;; esac
    case " ${lib_names[*]-} " in *" $name "*) die "--lib $name: the name is given twice" ;; esac
    lib_names+=("$name")
done
# Every row the rounds run: the allocators compiled in, then the libraries.
rows=("${list[@]}" "${lib_names[@]}")
host=$(uname -n | tr -c 'A-Za-z0-9._\n-' '_')
host=${host:-unknown-host}
if [ "$publish" = 1 ]; then
    [ -z "$out" ] || die "--publish writes results/$host; it does not go with --out"
    out="results/$host"
    [ -n "$plots" ] || plots="plots/$host"
elif [ -z "$out" ]; then
    run_dir="target/run_all/$(date -u +%Y-%m-%dT%H%M%SZ)-$$"
    out="$run_dir/results"
    [ -n "$plots" ] || plots="$run_dir/plots"
fi
[ -n "$plots" ] || plots="$out/plots"
# Refuse a directory that already holds results before building anything.
# (With --force, an earlier run's rounds and repeats go before this one's.)
if [ ${#force[@]} -eq 0 ] && [ -d "$out" ] && [ -n "$(ls -A "$out" 2>/dev/null)" ]; then
    die "$out already holds results; pass --force to replace them, or leave out --publish/--out for a fresh directory"
fi

count=()
if [ "$syscalls" = 1 ]; then
    if command -v strace >/dev/null 2>&1; then
        count=(--syscalls)
    else
        echo "run_all.sh: strace is not installed: syscalls are not counted (apt-get install strace, or pass --no-syscalls to silence this)" >&2
    fi
fi

bin_dir=target/run_all
mkdir -p "$bin_dir"
failed=()
for a in "${list[@]}"; do
    echo "== build: harness with $a alone"
    if ! cargo build --release -p harness --no-default-features --features "$a"; then
        failed+=("$a (build)")
        [ "$keep_going" = 1 ] || { echo "run_all.sh: $a failed to build; --keep-going runs the others" >&2; exit 1; }
        continue
    fi
    cp target/release/harness "$bin_dir/harness-$a"
done
# The first binary built: it runs the library rows (any build has their
# adapter), merges the rounds and renders.
host_bin=""
for a in "${list[@]}"; do
    case " ${failed[*]-} " in *" $a ("*) continue ;; esac
    host_bin="$bin_dir/harness-$a"
    break
done
[ -n "$host_bin" ] || { echo "run_all.sh: no allocator built" >&2; exit 1; }
if [ ${#force[@]} -gt 0 ] && [ -d "$out" ]; then
    for f in rounds repeats spread.csv summary.csv meta.json counts.csv REPORT.md null ${all//,/ } "${lib_names[@]}"; do
        rm -rf -- "${out:?}/$f"
    done
fi
# Round r: every binary once, in an order shuffled per round (Fisher-Yates
# on bash's RANDOM seeded with the round's number, so a rerun of the script
# runs the same orders).
order_of() {
    local v=("$@") i j t
    RANDOM=$((r * 7919))
    for ((i = ${#v[@]} - 1; i > 0; i--)); do
        j=$((RANDOM % (i + 1)))
        t=${v[i]}; v[i]=${v[j]}; v[j]=$t
    done
    printf '%s\n' "${v[@]}"
}
# The binary and allocator flags of row $1: its own binary, or for a
# library the first allocator's binary with --allocator-lib.
binary_of() {
    local spec
    for spec in "${libs[@]}"; do
        if [ "${spec%%=*}" = "$1" ]; then
            bin=$host_bin
            who=(--allocator "$1" --allocator-lib "$spec")
            return
        fi
    done
    bin="$bin_dir/harness-$1"
    who=(--allocator "$1")
}
for r in $(seq 1 "$rounds"); do
  this_out="$out/rounds/$r"
  this_count=("${count[@]}")
  [ "$r" = 1 ] || this_count=()
  mapfile -t order < <(order_of "${rows[@]}")
  echo "== round $r of $rounds: ${order[*]}"
  for a in "${order[@]}"; do
    binary_of "$a"
    [ -x "$bin" ] || continue
    case " ${failed[*]-} " in *" $a ("*) continue ;; esac
    echo "== run: $a (round $r of $rounds)"
    common=("${who[@]}" --out "$this_out" --round "$r/$rounds" "${quick[@]}" "${cpu[@]}" "${force[@]}")
    ok=1
    "$bin" "${common[@]}" "${this_count[@]}" "${extra[@]}" || ok=0
    if [ "$ok" = 1 ] && [ "$threads" -gt 1 ]; then
        echo "== run: $a, hot-path and churn on $threads threads (round $r of $rounds)"
        churn_ops=()
        [ ${#quick[@]} -gt 0 ] || churn_ops=(--ops 8000000)
        "$bin" "${common[@]}" --threads "$threads" --workload hot-path "${extra[@]}" || ok=0
        [ "$ok" = 0 ] || "$bin" "${common[@]}" --threads "$threads" --workload churn "${churn_ops[@]}" "${extra[@]}" || ok=0
        if [ "$ok" = 1 ] && [ "$threads" -gt 2 ]; then
            "$bin" "${common[@]}" --threads "$threads" --workload producer-consumer "${extra[@]}" || ok=0
        fi
    fi
    if [ "$ok" = 1 ] && [ "$replays" = 1 ] && [ ${#traces[@]} -gt 0 ]; then
        echo "== run: $a, replaying ${#traces[@]} traces (round $r of $rounds)"
        "$bin" replay "${traces[@]}" "${who[@]}" --out "$this_out" --round "$r/$rounds" "${cpu[@]}" "${force[@]}" "${replay_extra[@]}" || ok=0
    fi
    if [ "$ok" = 0 ]; then
        failed+=("$a (run)")
        [ "$keep_going" = 1 ] || { echo "run_all.sh: the $a run failed; --keep-going runs the others" >&2; exit 1; }
    fi
  done
done

ran=()
for a in "${rows[@]}"; do
    case " ${failed[*]-} " in *" $a ("*) ;; *) ran+=("$a") ;; esac
done
if [ ${#ran[@]} -eq 0 ]; then
    echo "run_all.sh: no allocator ran; nothing to plot" >&2
    exit 1
fi
# The rounds merged into DIR: the figures plot and report read.
echo "== merge $rounds rounds"
"$host_bin" rounds --results "$out"
# Instructions per call, exactly, with the same binaries (see METHODOLOGY.md).
if [ "$counts" = 1 ]; then
    if command -v valgrind >/dev/null 2>&1; then
        [ ${#quick[@]} -eq 0 ] || [ ${#count_extra[@]} -gt 0 ] || count_extra=(--ops 500)
        for a in "${ran[@]}"; do
            echo "== count: $a (instructions per call under valgrind)"
            binary_of "$a"
            if ! "$bin" count "${who[@]}" --out "$out" "${count_extra[@]}"; then
                failed+=("$a (count)")
                [ "$keep_going" = 1 ] || { echo "run_all.sh: the $a count failed; --keep-going goes on" >&2; exit 1; }
            fi
        done
    else
        echo "run_all.sh: valgrind is not installed: instruction counts skipped (apt-get install valgrind, or pass --no-counts to silence this)" >&2
    fi
fi
# Plot and report read files only, so any of the binaries renders them.
renderer=$host_bin
echo "== plot and report"
"$renderer" plot --results "$out" --out "$plots"
"$renderer" report --results "$out" --plots "$plots"

echo
echo "results: $out (summary.csv, meta.json, REPORT.md, <allocator>/*.hgrm|*.hlog)"
echo "plots:   $plots"
echo "report:  $out/REPORT.md"
if [ ${#failed[@]} -gt 0 ]; then
    echo "left out: ${failed[*]}" >&2
    exit 1
fi
