#!/usr/bin/env bash
# Configures and builds kt into ${KT_BUILD_DIR:-build} (warnings are errors, as in CI).
#   scripts/build.sh [TARGET...]   every target, or only those named (and what they need)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${KT_BUILD_DIR:-$root/build}
cmake -S "$root" -B "$build_dir" -G Ninja -DKT_WERROR=ON ${KT_CMAKE_ARGS:-} >/dev/null
ninja -C "$build_dir" -j "$(nproc)" "$@"
