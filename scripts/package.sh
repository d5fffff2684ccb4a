#!/usr/bin/env bash
# Builds kt's Debian package with CPack (see packaging/packaging.cmake) and prints its path:
# ${KT_BUILD_DIR:-build}/kt_<version>_<arch>.deb with /usr/bin/kt and the three workers, the
# example config in /usr/share/kt and as the conffile /etc/kt/kt.yaml, and the workers' systemd
# units. The executables are built first when needed (scripts/build.sh).
#   scripts/package.sh
#   sudo apt install ./build/kt_0.1.0_amd64.deb
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${KT_BUILD_DIR:-$root/build}
bash "$root/scripts/build.sh" kt kt-indexer kt-delayer kt-cascader >&2
if ! out=$(cpack -G DEB --config "$build_dir/CPackConfig.cmake" -B "$build_dir" 2>&1); then
  printf '%s\n' "$out" >&2
  exit 1
fi
deb=$(sed -n 's/^CPack: - package: \(.*\) generated\.$/\1/p' <<<"$out")
if [[ ! -f $deb ]]; then
  printf '%s\n' "$out" >&2
  echo "package: cpack reported no package" >&2
  exit 1
fi
echo "$deb"
