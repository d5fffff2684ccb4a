#!/usr/bin/env bash
# The sanitizer pass: builds kt with AddressSanitizer and UndefinedBehaviorSanitizer
# (KT_SANITIZE=address,undefined) into ${KT_SANITIZE_BUILD_DIR:-build-sanitize} and runs the unit
# and integration tests there, any report failing the test. Uses the development stack of
# $KT_STACK_DIR when its env file is there (scripts/test.sh passes its own), else starts and
# stops a private one.
#   scripts/test-sanitize.sh [extra ctest arguments, e.g. -R Hostile]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
build_dir=${KT_SANITIZE_BUILD_DIR:-$root/build-sanitize}

cmake -S "$root" -B "$build_dir" -G Ninja -DKT_WERROR=ON -DKT_SANITIZE=address,undefined \
  -DKT_BUILD_BENCH=OFF ${KT_CMAKE_ARGS:-} >/dev/null
ninja -C "$build_dir" -j "$(nproc)"

# Every report is fatal (GCC's UBSan only prints by default), in the tests and in the workers
# they start, which inherit these variables.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$root/scripts/sanitize.supp:print_suppressions=0}

if [[ -z ${KT_STACK_DIR:-} || ! -f $KT_STACK_DIR/env ]]; then
  export KT_STACK_DIR=$root/.stack/sanitize
  export KT_BUILD_DIR=${KT_BUILD_DIR:-$build_dir}
  bash scripts/stack.sh stop >/dev/null 2>&1 || true
  trap 'bash scripts/stack.sh stop' EXIT
  bash scripts/stack.sh start
fi
# shellcheck disable=SC1090
source "$KT_STACK_DIR/env"

ctest --test-dir "$build_dir" --output-on-failure -j "$(nproc)" --timeout 900 -L 'unit|integration' "$@"
