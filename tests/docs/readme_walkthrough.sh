#!/usr/bin/env bash
# The README's walk-through, run as written on the development stack the tests use, so that a
# step that stops working fails CI. Between `<!-- walkthrough:begin -->` and
# `<!-- walkthrough:end -->`, every ```sh block runs in one bash session, in order, from a
# directory that looks like the checkout (scripts, config, build, .stack/dev); a ```text block
# right after one lists lines its output must contain, where `…` stands for anything.
#
#   readme_walkthrough.sh SOURCE_DIR BUILD_DIR
# Needs the stack's variables (KT_TEST_STACK_DIR, KT_TEST_STACK_KAFKA, KT_TEST_STACK_SEARCH).
set -euo pipefail
src=$1
build=$2
: "${KT_TEST_STACK_DIR:?no development stack: source its env file first}"

work=$(mktemp -d "${TMPDIR:-/tmp}/kt-walkthrough.XXXXXX")
blocks=$work/.blocks
mkdir -p "$blocks" "$work/.stack"
for d in scripts config docker tools; do ln -s "$src/$d" "$work/$d"; done
ln -s "$build" "$work/build"
ln -s "$KT_TEST_STACK_DIR" "$work/.stack/dev"

# ```sh blocks become 1.sh, 2.sh …; a ```text block after block N becomes N.expected.
awk -v dir="$blocks" '
  /<!-- walkthrough:begin -->/ { on = 1; next }
  /<!-- walkthrough:end -->/ { on = 0 }
  !on { next }
  /^```sh$/ { n++; file = dir "/" n ".sh"; printf "" > file; kind = "sh"; next }
  /^```text$/ { if (n > 0) { file = dir "/" n ".expected"; printf "" > file; kind = "text" }
                next }
  /^```/ { file = ""; next }
  file != "" { print >> file }
' "$src/README.md"
count=$(find "$blocks" -name '*.sh' | wc -l)
((count > 0)) || { echo "README.md has no walk-through blocks" >&2; exit 1; }

step=0
cleanup() {
  local rc=$? pids
  if ((rc != 0 && step > 0)) && [[ -f $blocks/$step.out ]]; then
    sed 's/^/   | /' "$blocks/$step.out"
    echo "step $step failed with exit code $rc" >&2
  fi
  pids=$(jobs -p)
  if [[ -n $pids ]]; then
    # shellcheck disable=SC2086
    kill $pids 2>/dev/null || true
    wait 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# The session a reader's shell would be, with the stack's choice of servers (and the reader's
# home: the servers' jars are cached there).
export KT_STACK_DIR=$KT_TEST_STACK_DIR
export KT_STACK_KAFKA=${KT_TEST_STACK_KAFKA:-kafka}
export KT_STACK_SEARCH=${KT_TEST_STACK_SEARCH:-elasticsearch}
export KT_BUILD_DIR=$build
unset KT_CONFIG
cd "$work"

failed=0
for ((step = 1; step <= count; ++step)); do
  echo "== walk-through step $step"
  sed 's/^/   $ /' "$blocks/$step.sh"
  # In this shell, as a reader's: exports, PATH and background jobs stay for the next steps,
  # and a failing command ends the run (set -e), its output shown by cleanup.
  # shellcheck disable=SC1090
  source "$blocks/$step.sh" >"$blocks/$step.out" 2>&1
  [[ ! -s $blocks/$step.out || -z $(tail -c1 "$blocks/$step.out") ]] || echo >>"$blocks/$step.out"
  sed 's/^/   | /' "$blocks/$step.out"
  if [[ -f $blocks/$step.expected ]]; then
    while IFS= read -r want; do
      [[ -n $want ]] || continue
      pattern=$(printf '%s' "$want" | sed -e 's/[][\.*^$(){}+?|/]/\\&/g' -e 's/…/.*/g')
      if ! grep -qxE -- "$pattern" "$blocks/$step.out"; then
        echo "step $step: the README shows '$want'; not in the output above" >&2
        failed=1
      fi
    done <"$blocks/$step.expected"
  fi
done
step=0
((failed == 0)) || exit 1
echo "the walk-through's $count steps ran as written"
