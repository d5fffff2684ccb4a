#!/usr/bin/env bash
# Runs the indexer, delayer and cascader benchmarks with the workers of two builds, alternated
# on one development stack (A, B, A, B, ... for --rounds rounds each), and prints every figure and
# each side's median, so that a change can be shown not to make kt slower.
#   scripts/bench-ab.sh OLD_BUILD_DIR NEW_BUILD_DIR [rounds, default 3]
# Each build folder must hold cmd/kt-indexer, cmd/kt-delayer and cmd/kt-cascader (ninja -C DIR
# kt-indexer kt-delayer kt-cascader). The benchmarks themselves come from KT_BUILD_DIR (default
# build-bench), built here. KT_STACK_DIR (default .stack/bench) is the stack's folder;
# KT_AB_BENCHES (default "indexer delayer cascader") the benchmarks to run.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
if [[ $# -lt 2 ]]; then
  sed -n '2,8p' "${BASH_SOURCE[0]}" >&2
  exit 2
fi
old=$(cd "$1" && pwd)
new=$(cd "$2" && pwd)
rounds=${3:-3}
benches=${KT_AB_BENCHES:-indexer delayer cascader}
for dir in "$old" "$new"; do
  for worker in kt-indexer kt-delayer kt-cascader; do
    [[ -x $dir/cmd/$worker ]] || { echo "bench-ab: $dir/cmd/$worker is missing" >&2; exit 2; }
  done
done
export KT_BUILD_DIR=${KT_BUILD_DIR:-$root/build-bench}
export KT_STACK_DIR=${KT_STACK_DIR:-$root/.stack/bench}
if [[ ! -f $KT_BUILD_DIR/build.ninja ]]; then
  cmake -S "$root" -B "$KT_BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi
ninja -C "$KT_BUILD_DIR" -j "${KT_BENCH_JOBS:-2}" indexer_bench delayer_bench cascader_bench \
  kt-devbroker kt-es-standin

bash scripts/stack.sh stop >/dev/null 2>&1 || true
trap 'bash scripts/stack.sh stop' EXIT
bash scripts/stack.sh start
# shellcheck disable=SC1091
source "$KT_STACK_DIR/env"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"

results=$(mktemp)
log=$(mktemp)
# One figure of one benchmark run: the number after `pattern` in its output.
figure() {  # name side pattern command...
  local name=$1 side=$2 pattern=$3
  shift 3
  if ! "$@" >"$log" 2>&1; then
    echo "bench-ab: $name ($side) failed; its output:" >&2
    cat "$log" >&2
    exit 1
  fi
  local value
  value=$(grep -m1 -oE "$pattern *[0-9.]+" "$log" | grep -oE '[0-9.]+$' || true)
  [[ -n $value ]] || { echo "bench-ab: no '$pattern' in $name's output" >&2; cat "$log" >&2; exit 1; }
  echo "$name $side $value" | tee -a "$results"
}

bench=$KT_BUILD_DIR/bench
# A fresh search node writes at a fraction of its warm rate: one discarded run warms it first.
figure warm-up new 'end to end, steady \(first batch to last\)' \
  "$bench/indexer_bench" --indexer "$new/cmd/kt-indexer" --skip-components --rounds 1
for ((r = 1; r <= rounds; r++)); do
  # old, new in odd rounds and new, old in even ones: a node that keeps warming up over the
  # rounds then favours neither side.
  sides="old new"
  ((r % 2 == 0)) && sides="new old"
  for side in $sides; do
    dir=$old
    [[ $side == new ]] && dir=$new
    if [[ " $benches " == *" indexer "* ]]; then
      figure indexer "$side" 'end to end, steady \(first batch to last\)' \
        "$bench/indexer_bench" --indexer "$dir/cmd/kt-indexer" --skip-components --rounds 1
    fi
    if [[ " $benches " == *" delayer "* ]]; then
      figure delayer "$side" 'release throughput, steady \(first batch to last\):' \
        "$bench/delayer_bench" --delayer "$dir/cmd/kt-delayer" --skip-backlog
    fi
    if [[ " $benches " == *" cascader "* ]]; then
      figure cascader "$side" 'kt-cascader end to end \(parent in, children out\)' \
        "$bench/cascader_bench" --cascader "$dir/cmd/kt-cascader"
    fi
  done
done

# The median of sorted numbers, one a line (the mean of the middle two of an even count).
median() {
  awk '{v[NR] = $1} END {print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}

echo
echo "medians over $rounds round(s) (old: $old, new: $new):"
for name in $benches; do
  o=$(awk -v n=$name '$1 == n && $2 == "old" {print $3}' "$results" | sort -g | median)
  n=$(awk -v n=$name '$1 == n && $2 == "new" {print $3}' "$results" | sort -g | median)
  awk -v name=$name -v o="$o" -v n="$n" \
    'BEGIN { printf "%-9s old %10.0f/s  new %10.0f/s  new/old %.3f\n", name, o, n, n / o }'
done
rm -f "$results" "$log"
