#!/usr/bin/env bash
# The development stack's Java servers (Apache Kafka, OpenSearch, Elasticsearch), fetched from
# Maven Central by Maven at the versions pinned in tools/engines/<name>/pom.xml. Nothing is
# downloaded any other way. Each lives in a cache outside the checkout, reused offline once
# fetched:
#   ${KT_ENGINES_CACHE:-~/.cache/kt/engines}/<name>-<version>/{lib,classes}
#
#   scripts/engines.sh fetch NAME       fetch NAME if its cache is missing or stale; print its dir
#   scripts/engines.sh path NAME        print its dir (fails when not fetched)
#   scripts/engines.sh classpath NAME   print the java classpath (fails when not fetched)
#   scripts/engines.sh version NAME     print the pinned version
# NAME is kafka, opensearch or elasticsearch. Needs java (17) and mvn.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${KT_ENGINES_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kt/engines}

die() { echo "engines: error: $*" >&2; exit 1; }

project() {  # name -> the Maven project's directory
  local dir=$root/tools/engines/$1
  [[ -f $dir/pom.xml ]] || die "unknown engine '$1' (known: kafka, opensearch, elasticsearch)"
  echo "$dir"
}

version() { sed -n 's:.*<engine.version>\(.*\)</engine.version>.*:\1:p' "$(project "$1")/pom.xml"; }

dir_of() { echo "$cache/$1-$(version "$1")"; }

# What the cache was built from: the pom and the launcher sources. A change refetches.
stamp() {
  local dir
  dir=$(project "$1")
  (cd "$dir" && find pom.xml src -type f | LC_ALL=C sort | xargs sha256sum) | sha256sum | cut -c1-64
}

# A TCP connection to Maven Central, nothing more: to tell "unreachable" from other failures.
central_reachable() { timeout 10 bash -c 'exec 3<>/dev/tcp/repo.maven.apache.org/443' 2>/dev/null; }

fetched() { [[ -f $(dir_of "$1")/stamp && $(cat "$(dir_of "$1")/stamp") == "$(stamp "$1")" ]]; }

fetch() {
  local name=$1 dir out started
  dir=$(dir_of "$name")
  if fetched "$name"; then
    echo "$dir"
    return 0
  fi
  command -v java >/dev/null || die "java not found: install Java 17 (scripts/install-deps.sh)"
  command -v mvn >/dev/null || die "mvn not found: install Maven (scripts/install-deps.sh)"
  echo "engines: fetching $name $(version "$name") from Maven Central into $dir" >&2
  started=$SECONDS
  rm -rf "$dir/lib" "$dir/classes" "$dir/build" "$dir/stamp"
  mkdir -p "$dir"
  if ! out=$(mvn -B -q -Dstyle.color=never -f "$(project "$name")/pom.xml" \
      -Dkt.engines.out="$dir" compile dependency:copy-dependencies 2>&1); then
    echo "$out" | tail -n 20 >&2
    if grep -qiE 'transfer|resolve|unknown ?host|connect|timed out|unreachable|no plugin found' \
        <<<"$out" || ! central_reachable; then
      die "could not fetch $name $(version "$name"): Maven Central" \
        "(https://repo.maven.apache.org/maven2) cannot be reached or does not have it" \
        "(see Maven's message above); once fetched, the cache is used offline"
    fi
    die "maven failed to build $name $(version "$name") (see above)"
  fi
  stamp "$name" >"$dir/stamp"
  echo "engines: $name $(version "$name") ready in $((SECONDS - started))s," \
    "$(du -sh "$dir" | cut -f1) in $dir" >&2
  echo "$dir"
}

cmd=${1:-}
name=${2:-}
[[ -n $cmd && -n $name ]] || { echo "usage: $0 fetch|path|classpath|version NAME" >&2; exit 2; }
case $cmd in
  fetch) fetch "$name" ;;
  path)
    fetched "$name" || die "$name not fetched (run: scripts/engines.sh fetch $name)"
    dir_of "$name"
    ;;
  classpath)
    fetched "$name" || die "$name not fetched (run: scripts/engines.sh fetch $name)"
    echo "$(dir_of "$name")/classes:$(dir_of "$name")/lib/*"
    ;;
  version) version "$name" ;;
  *) echo "usage: $0 fetch|path|classpath|version NAME" >&2; exit 2 ;;
esac
