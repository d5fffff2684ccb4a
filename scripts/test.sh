#!/usr/bin/env bash
# The whole test run, from a fresh Debian 12 machine: installs what is missing, builds, starts a
# private development stack (PostgreSQL, kt-devbroker, Elasticsearch stand-in), runs every test
# (unit, integration, stand-in REST conformance) and stops the stack again.
#   sudo scripts/test.sh [extra ctest arguments, e.g. -L unit or -R Config]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
export KT_BUILD_DIR=${KT_BUILD_DIR:-$root/build}
export KT_STACK_DIR=${KT_STACK_DIR:-$root/.stack/test}

bash scripts/install-deps.sh
bash scripts/build.sh

bash scripts/stack.sh stop >/dev/null 2>&1 || true
trap 'bash scripts/stack.sh stop' EXIT
bash scripts/stack.sh start
# shellcheck disable=SC1091
source "$KT_STACK_DIR/env"

ctest --test-dir "$KT_BUILD_DIR" --output-on-failure -j "$(nproc)" --timeout 900 "$@"
