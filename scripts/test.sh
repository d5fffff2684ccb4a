#!/usr/bin/env bash
# The whole test run, from a fresh Debian 12 machine: installs what is missing, builds, starts a
# private development stack and runs every test (unit, integration, reliability, stand-in REST
# conformance), then stops the stack again.
#   sudo scripts/test.sh [extra ctest arguments, e.g. -L unit or -R Config]
#
# The stack is real Apache Kafka and Elasticsearch 8 unless KT_STACK_KAFKA / KT_STACK_SEARCH say
# otherwise (see scripts/stack.sh); kt-devbroker and kt-es-standin run beside them for the tests
# whose fault only a double can make. A whole run on Elasticsearch then runs the indexer, reindex
# and verify end-to-end tests a second time on OpenSearch.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
export KT_BUILD_DIR=${KT_BUILD_DIR:-$root/build}
export KT_STACK_DIR=${KT_STACK_DIR:-$root/.stack/test}
export KT_STACK_KAFKA=${KT_STACK_KAFKA:-kafka} KT_STACK_SEARCH=${KT_STACK_SEARCH:-elasticsearch}

bash scripts/install-deps.sh
bash scripts/build.sh

bash scripts/stack.sh stop >/dev/null 2>&1 || true
trap 'bash scripts/stack.sh stop' EXIT

run_on_stack() {  # ctest arguments...
  bash scripts/stack.sh start
  # shellcheck disable=SC1091
  source "$KT_STACK_DIR/env"
  ctest --test-dir "$KT_BUILD_DIR" --output-on-failure -j "$(nproc)" --timeout 900 "$@"
}

failed=0
run_on_stack "$@" || failed=1
if (($# == 0)) && [[ $KT_STACK_SEARCH == elasticsearch ]]; then
  echo "test: the search end-to-end tests again, on OpenSearch"
  bash scripts/stack.sh stop
  KT_STACK_SEARCH=opensearch run_on_stack -R '^(IndexerE2e|ReindexE2e|VerifyE2e)\.' || failed=1
fi
exit "$failed"
