#!/usr/bin/env bash
# The Debian package of this build, as scripts/package.sh makes it: CPack is run on the built
# tree (nothing is compiled) into a temporary directory, then the package is read with dpkg-deb
# (its files, control fields, conffiles and systemd units), unpacked into a throw-away root and
# its kt run from there. `cmake --install --prefix` into a temporary prefix is checked as well.
#   deb_package_test.sh BUILD_DIR SOURCE_DIR VERSION
set -euo pipefail
build_dir=$1 source_dir=$2 version=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

workers=(kt-indexer kt-delayer kt-cascader kt-capture)
for exe in kt "${workers[@]}"; do
  [[ -x $build_dir/cmd/$exe ]] || { echo "FAIL: $build_dir/cmd/$exe is not built" >&2; exit 1; }
done
mappings=()
for m in "$source_dir"/config/mappings/*.json; do mappings+=("$(basename "$m")"); done
((${#mappings[@]} > 0)) || { echo "FAIL: no mappings in $source_dir/config/mappings" >&2; exit 1; }

# The package: the file name scripts/package.sh prints.
cpack -G DEB --config "$build_dir/CPackConfig.cmake" -B "$work/out" >"$work/cpack.log" 2>&1 ||
  { cat "$work/cpack.log" >&2; echo "FAIL: cpack" >&2; exit 1; }
arch=$(dpkg --print-architecture)
deb=$work/out/kt_${version}_${arch}.deb
[[ -f $deb ]] || { cat "$work/cpack.log" >&2; echo "FAIL: no $deb" >&2; exit 1; }

# Its files: the five executables, the example config twice, the units; no development tools.
dpkg-deb -c "$deb" | awk '{print $NF}' | sed 's|^\./|/|' >"$work/files"
expected=(/usr/bin/kt /usr/share/kt/kt.yaml /etc/kt/kt.yaml)
for w in "${workers[@]}"; do expected+=("/usr/bin/$w" "/lib/systemd/system/$w.service"); done
for m in "${mappings[@]}"; do expected+=("/usr/share/kt/mappings/$m" "/etc/kt/mappings/$m"); done
for f in "${expected[@]}"; do
  grep -qxF "$f" "$work/files" || fail "the package lacks $f"
done
grep -E 'kt-devbroker|kt-es-standin' "$work/files" && fail "the package ships a development tool"

# Control fields and conffiles.
[[ $(dpkg-deb -f "$deb" Package) == kt ]] || fail "Package is not kt"
[[ $(dpkg-deb -f "$deb" Version) == "$version" ]] || fail "Version is not $version"
[[ $(dpkg-deb -f "$deb" Architecture) == "$arch" ]] || fail "Architecture is not $arch"
depends=$(dpkg-deb -f "$deb" Depends)
depended=$(sed 's/ *([^)]*)//g; s/, */\n/g' <<<"$depends")  # the package names alone
for lib in libc6 libstdc++6 librdkafka1 libpqxx-6.4 libcurl4 libyaml-cpp0.7; do
  grep -qxF "$lib" <<<"$depended" || fail "Depends lacks $lib: $depends"
done
dpkg-deb -I "$deb" conffiles >"$work/conffiles" || fail "the package has no conffiles"
grep -qxF /etc/kt/kt.yaml "$work/conffiles" || fail "/etc/kt/kt.yaml is not a conffile"
for m in "${mappings[@]}"; do
  grep -qxF "/etc/kt/mappings/$m" "$work/conffiles" || fail "/etc/kt/mappings/$m is not a conffile"
done

# Unpacked into a throw-away root.
root=$work/root
dpkg-deb -x "$deb" "$root"
cmp -s "$root/etc/kt/kt.yaml" "$source_dir/config/kt.yaml" ||
  fail "/etc/kt/kt.yaml is not the example config"
ports=()
for w in "${workers[@]}"; do
  unit=$root/lib/systemd/system/$w.service
  [[ -f $unit ]] || { fail "no unit $w.service"; continue; }
  exec_start=$(grep '^ExecStart=' "$unit" || true)
  [[ $exec_start =~ ^ExecStart=/usr/bin/$w\ --config\ /etc/kt/kt\.yaml(\ |$) ]] ||
    fail "$w.service: $exec_start"
  [[ -x $root/usr/bin/$w ]] || fail "$w.service starts /usr/bin/$w, which the package lacks"
  port=$(sed -n 's/.*--metrics-port \([0-9]*\).*/\1/p' <<<"$exec_start")
  ports+=("${port:-9464}")
  for line in Restart=on-failure KillSignal=SIGTERM TimeoutStopSec=15 \
    WantedBy=multi-user.target; do
    grep -qxF "$line" "$unit" || fail "$w.service lacks $line"
  done
  if grep -q '^User=' "$unit" && ! grep -qxF DynamicUser=yes "$unit"; then
    fail "$w.service names a user without DynamicUser=yes"
  fi
done
# One host runs all three: their metrics ports differ.
[[ $(printf '%s\n' "${ports[@]}" | sort -u | wc -l) == "${#workers[@]}" ]] ||
  fail "the units share a metrics port: ${ports[*]}"

# The unpacked executables run and are this build's; the config they are given is valid.
line=$("$root/usr/bin/kt" --version) || fail "kt --version exited $?"
[[ $line =~ ^kt\ ${version//./\\.}( \(git [0-9A-Za-z._+-]+\))?$ ]] || fail "kt --version: $line"
[[ $line == "$("$build_dir/cmd/kt" --version)" ]] || fail "the packaged kt is not this build's"
for w in "${workers[@]}"; do
  wline=$("$root/usr/bin/$w" --version) || fail "$w --version exited $?"
  [[ $wline == "$w ${line#kt }" ]] || fail "$w --version: $wline"
done
"$root/usr/bin/kt" check --offline --config "$root/etc/kt/kt.yaml" >"$work/check.log" 2>&1 ||
  { cat "$work/check.log" >&2; fail "kt check --offline rejects the packaged /etc/kt/kt.yaml"; }

# A plain install into a prefix: executables and example config, nothing for the system root.
prefix=$work/prefix
cmake --install "$build_dir" --prefix "$prefix" >"$work/install.log" 2>&1 ||
  { cat "$work/install.log" >&2; fail "cmake --install"; }
for exe in kt "${workers[@]}"; do [[ -x $prefix/bin/$exe ]] || fail "no $prefix/bin/$exe"; done
[[ -f $prefix/share/kt/kt.yaml ]] || fail "no share/kt/kt.yaml in the prefix"
for m in "${mappings[@]}"; do
  [[ -f $prefix/share/kt/mappings/$m ]] || fail "no share/kt/mappings/$m in the prefix"
done
[[ ! -e $prefix/etc && ! -e $prefix/lib/systemd ]] || fail "the prefix got /etc or systemd units"

if ((failures > 0)); then
  echo "$failures failure(s)" >&2
  exit 1
fi
echo "ok: $deb"
