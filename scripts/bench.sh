#!/usr/bin/env bash
# Builds the benchmarks, starts a private development stack (KT_STACK_DIR, default .stack/bench),
# runs bench/indexer_bench with the given arguments and stops the stack again.
#   scripts/bench.sh [indexer_bench arguments, e.g. --rows 200000]
#   scripts/bench.sh delayer [delayer_bench arguments, e.g. --envelopes 1000000]
#   scripts/bench.sh cascader [cascader_bench arguments, e.g. --children 1000000]
#   scripts/bench.sh reindex [reindex_bench arguments, e.g. --rows 1000000 --parallel 2]
#   scripts/bench.sh capture [capture_bench arguments, e.g. --changes 1000000]
# KT_BUILD_DIR (default build-bench) is the build folder; KT_BENCH_JOBS (default 2) ninja's -j.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
export KT_BUILD_DIR=${KT_BUILD_DIR:-$root/build-bench}
export KT_STACK_DIR=${KT_STACK_DIR:-$root/.stack/bench}

if [[ ! -f $KT_BUILD_DIR/build.ninja ]]; then
  cmake -S "$root" -B "$KT_BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi
bench=indexer_bench
if [[ ${1:-} == delayer ]]; then bench=delayer_bench; shift; fi
if [[ ${1:-} == cascader ]]; then bench=cascader_bench; shift; fi
if [[ ${1:-} == reindex ]]; then bench=reindex_bench; shift; fi
if [[ ${1:-} == capture ]]; then bench=capture_bench; shift; fi
ninja -C "$KT_BUILD_DIR" -j "${KT_BENCH_JOBS:-2}" "$bench" kt kt-indexer kt-delayer kt-cascader kt-capture kt-devbroker kt-es-standin

bash scripts/stack.sh stop >/dev/null 2>&1 || true
trap 'bash scripts/stack.sh stop' EXIT
bash scripts/stack.sh start
# shellcheck disable=SC1091
source "$KT_STACK_DIR/env"

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) (other builds skew the figures)"
"$KT_BUILD_DIR/bench/$bench" "$@"
