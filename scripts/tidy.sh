#!/usr/bin/env bash
# Runs clang-tidy with the allow-list in .clang-tidy over the whole tree (lib, workers, cmd,
# tests, bench, tools; about 25 minutes on 2 cores), using the compile commands of
# ${KT_BUILD_DIR:-build} (configured first if needed). Installs Debian's clang-tidy when it is
# missing. Exits non-zero on any finding.
#   scripts/tidy.sh [PATH_REGEX]   e.g. scripts/tidy.sh 'lib/kafka/', or '(tests|bench|tools)/'
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${KT_BUILD_DIR:-$root/build}
cd "$root"
if ! command -v run-clang-tidy >/dev/null; then
  sudo=; [[ $(id -u) -eq 0 ]] || sudo=sudo
  $sudo apt-get install -y --no-install-recommends clang-tidy >/dev/null
fi
[[ -f $build_dir/compile_commands.json ]] ||
  cmake -S "$root" -B "$build_dir" -G Ninja -DKT_WERROR=ON ${KT_CMAKE_ARGS:-} >/dev/null
# The generated sources (the version file) are made by the build.
ninja -C "$build_dir" kt_version_source >/dev/null
filter=${1:-"$root/(lib|workers|cmd|tests|bench|tools)/"}
rc=0
out=$(run-clang-tidy -quiet -p "$build_dir" -j "$(nproc)" "$filter" 2>&1) || rc=$?
grep -v -E '^[0-9]+ warnings? (and [0-9]+ errors? )?generated|^Suppressed [0-9]+ warnings|^Use -header-filter|^clang-tidy-14 ' <<<"$out" || true
if ((rc == 0)); then echo "tidy: clean"; else echo "tidy: findings above (checks: .clang-tidy)"; fi
exit "$rc"
