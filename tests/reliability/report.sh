#!/usr/bin/env bash
# Prints the reliability report: the latest row of each fault in BUILD/reliability-report.txt
# (appended by the reliability tests), as a Markdown table.
#   tests/reliability/report.sh [build dir, default build]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
file=${1:-$root/build}/reliability-report.txt
[[ -f $file ]] || { echo "no report yet: run ctest -L reliability first ($file)" >&2; exit 1; }
echo "| fault | updates | documents checked | lost | ES writes | duplicate writes | converged in | notes |"
echo "|---|---|---|---|---|---|---|---|"
# Columns: time, fault, seed, updates, checked, lost, writes, duplicates, seconds, note.
awk -F'\t' '{ latest[$2] = $0; if (!($2 in order)) { order[$2] = ++n; names[n] = $2 } }
  END { for (i = 1; i <= n; i++) { split(latest[names[i]], f, "\t");
    printf "| %s | %s | %s | %s | %s | %s | %s s | %s (seed %s) |\n",
      f[2], f[4], f[5], f[6], f[7], f[8], f[9], f[10], f[3] } }' "$file"
