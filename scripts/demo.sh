#!/usr/bin/env bash
# The demo pipeline on the development stack, from a fresh Debian 12 machine:
# installs what is missing, builds what the demo runs, starts PostgreSQL, Kafka and the search
# server, creates sample tables, runs kt-indexer and kt-cascader and shows inserts, updates,
# deletes and a cascading rename reaching the indexes.
#
#   scripts/demo.sh              real Apache Kafka and a real search node (Java, fetched by Maven)
#   scripts/demo.sh --embedded   the light stack: kt-devbroker and kt-es-standin, no Java
#
# KT_STACK_KAFKA and KT_STACK_SEARCH choose the servers as for scripts/stack.sh.
# KT_DEMO_KEEP=1 leaves the stack and the workers running afterwards.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
export KT_BUILD_DIR=${KT_BUILD_DIR:-$root/build}
export KT_STACK_DIR=${KT_STACK_DIR:-$root/.stack/demo}
case ${1:-} in
  --embedded) export KT_STACK_KAFKA=devbroker KT_STACK_SEARCH=standin ;;
  "")
    export KT_STACK_KAFKA=${KT_STACK_KAFKA:-kafka}
    export KT_STACK_SEARCH=${KT_STACK_SEARCH:-elasticsearch}
    ;;
  *) echo "usage: scripts/demo.sh [--embedded]" >&2; exit 2 ;;
esac

step_started=
# Each step's title, and how long the step before it took.
say() {
  [[ -z $step_started ]] || printf '   (%ds)\n' $((SECONDS - step_started))
  step_started=$SECONDS
  printf '\n\033[1m== %s\033[0m\n' "$*"
}
wait_for() {  # description seconds command...
  local what=$1 seconds=$2; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then echo "demo: timed out waiting for $what" >&2; exit 1; fi
    sleep 0.2
  done
}

say "Installing missing packages"
bash scripts/install-deps.sh
say "Building what the demo runs (the first build takes a few minutes)"
# kt-devbroker and kt-es-standin run beside real servers too (the stack's fault injectors).
bash scripts/build.sh kt kt-indexer kt-cascader kt-capture kt-devbroker kt-es-standin

say "Starting the development stack (PostgreSQL 15, Kafka: $KT_STACK_KAFKA," \
  "search: $KT_STACK_SEARCH)"
bash scripts/stack.sh start
# shellcheck disable=SC1091
source "$KT_STACK_DIR/env"
export KT_KAFKA_SESSION_TIMEOUT_MS=6000 KT_KAFKA_HEARTBEAT_INTERVAL_MS=500
kt=$KT_BUILD_DIR/cmd/kt
es=$KT_ELASTICSEARCH_URL
indexer_pid=
cleanup() {
  if [[ ${KT_DEMO_KEEP:-0} == 1 ]]; then
    echo "kt-indexer (pid $indexer_pid) and the stack keep running; stop with:"
    echo "  kill $indexer_pid; KT_STACK_DIR=$KT_STACK_DIR scripts/stack.sh stop"
    return
  fi
  for pid in $indexer_pid ${accounts_pid:-} ${cascader_pid:-} ${capture_pid:-}; do
    kill -TERM "$pid" 2>/dev/null && wait "$pid" || true
  done
  bash scripts/stack.sh stop
}
trap cleanup EXIT
started=$SECONDS

say "Creating the example tables and topics (scripts/stack.sh seed): 2 brands, 1,000 products;" \
  "3 organizations, 30 customers, 300 orders (Kafka creates no topic by itself)"
bash scripts/stack.sh seed

say "kt check: the config is valid"
"$kt" check --config config/kt.yaml 2>&1 | grep -v librdkafka

say "Starting kt-indexer for the products index"
log=$KT_STACK_DIR/kt-indexer.log
"$KT_BUILD_DIR/cmd/kt-indexer" --config config/kt.yaml --index products --metrics-port 0 >"$log" 2>&1 &
indexer_pid=$!
echo "kt-indexer pid $indexer_pid, log $log"

say "The application announces every product id on the products topic"
"$kt" produce --config config/kt.yaml products $(seq 1 1000) 2>/dev/null

count() { curl -s -XPOST "$es/products/_refresh" >/dev/null; curl -s "$es/products/_count" | sed -n 's/.*"count":\([0-9]*\).*/\1/p'; }
has_count() { [[ $(count) == "$1" ]]; }
wait_for "1000 documents" 60 has_count 1000
echo "index products holds $(count) documents; product 42 is:"
curl -s "$es/products/_doc/42" | sed -n 's/.*"_source":\(.*\)}$/  \1/p'; echo

say "Renaming product 42 in PostgreSQL, then sending its id"
psql -q "$KT_POSTGRES_URL" -c "UPDATE products SET title = 'Renamed 42', updated_at = now() WHERE id = 42"
"$kt" produce --config config/kt.yaml products 42 2>/dev/null
renamed() { curl -s "$es/products/_doc/42" | grep -q 'Renamed 42'; }
wait_for "the new title" 30 renamed
curl -s "$es/products/_doc/42" | sed -n 's/.*"_source":\(.*\)}$/  \1/p'; echo

say "Deleting product 7 in PostgreSQL, then sending its id"
psql -q "$KT_POSTGRES_URL" -c "DELETE FROM products WHERE id = 7"
"$kt" produce --config config/kt.yaml products 7 2>/dev/null
gone() { [[ $(curl -s -o /dev/null -w '%{http_code}' "$es/products/_doc/7") == 404 ]]; }
wait_for "the delete" 30 gone
echo "  product 7: 404 not found; index products holds $(count) documents"

say "Associations: organizations -> customers -> orders (3 organizations, 30 customers, 300 orders)"
alog=$KT_STACK_DIR/kt-indexer-accounts.log
clog=$KT_STACK_DIR/kt-cascader.log
"$KT_BUILD_DIR/cmd/kt-indexer" --config config/kt.yaml --index customers --index orders --metrics-port 0 >"$alog" 2>&1 &
accounts_pid=$!
"$KT_BUILD_DIR/cmd/kt-cascader" --config config/kt.yaml --cascade organization_customers --cascade customer_orders --metrics-port 0 >"$clog" 2>&1 &
cascader_pid=$!
echo "kt-indexer (customers, orders) pid $accounts_pid; kt-cascader pid $cascader_pid, log $clog"
"$kt" produce --config config/kt.yaml customers $(seq 1 30) 2>/dev/null
"$kt" produce --config config/kt.yaml orders $(seq 1 300) 2>/dev/null
count_of() { curl -s -XPOST "$es/$1/_refresh" >/dev/null; curl -s "$es/$1/_count" | sed -n 's/.*"count":\([0-9]*\).*/\1/p'; }
orders_of() {  # organization name -> number of order documents carrying it
  curl -s -XPOST "$es/orders/_refresh" >/dev/null
  curl -s -H 'Content-Type: application/json' "$es/orders/_count" \
    -d "{\"query\":{\"term\":{\"organization\":\"$1\"}}}" | sed -n 's/.*"count":\([0-9]*\).*/\1/p'
}
has_orders() { [[ $(orders_of "$1") == "$2" ]]; }
wait_for "300 orders" 60 has_orders Initech 100
echo "index orders holds $(count_of orders) documents, $(orders_of Initech) of them Initech's; order 2 is:"
curl -s "$es/orders/_doc/2" | sed -n 's/.*"_source":\(.*\)}$/  \1/p'; echo

say "Renaming organization 1 (Initech -> Initrode); only the organization's id is sent"
psql -q "$KT_POSTGRES_URL" -c "UPDATE organizations SET name = 'Initrode' WHERE id = 1"
"$kt" produce --config config/kt.yaml organizations 1 2>/dev/null
wait_for "the rename to reach every order" 60 has_orders Initrode 100
echo "orders carrying Initrode: $(orders_of Initrode), Initech: $(orders_of Initech); order 2 is now:"
curl -s "$es/orders/_doc/2" | sed -n 's/.*"_source":\(.*\)}$/  \1/p'; echo
grep -E 'child id' "$clog" | grep -v ' 0 child' | tail -2 | sed 's/^/  /'

say "kt-capture: changes read from PostgreSQL's WAL, no application message at all"
"$kt" capture init --config config/kt.yaml products 2>&1 | grep -vE 'librdkafka|^  ' | sed 's/^/  /'
caplog=$KT_STACK_DIR/kt-capture.log
"$KT_BUILD_DIR/cmd/kt-capture" --config config/kt.yaml --metrics-port 0 >"$caplog" 2>&1 &
capture_pid=$!
echo "kt-capture pid $capture_pid, log $caplog"
streaming() { grep -q 'streaming slot' "$caplog"; }
wait_for "kt-capture to stream" 30 streaming
psql -q "$KT_POSTGRES_URL" -c "UPDATE brands SET name = 'Acme Corp' WHERE id = 1"
echo "  psql: UPDATE brands SET name = 'Acme Corp' WHERE id = 1   (nothing sent to Kafka by hand)"
acme=$(psql -qAt "$KT_POSTGRES_URL" -c "SELECT count(*) FROM products WHERE brand_id = 1")
brand_count() {
  curl -s -XPOST "$es/products/_refresh" >/dev/null
  curl -s -H 'Content-Type: application/json' "$es/products/_count" \
    -d "{\"query\":{\"term\":{\"brand\":\"$1\"}}}" | sed -n 's/.*"count":\([0-9]*\).*/\1/p'
}
has_brand() { [[ $(brand_count "$1") == "$2" ]]; }
wait_for "the rename to reach the brand's $acme products" 60 has_brand "Acme Corp" "$acme"
echo "  products carrying Acme Corp: $(brand_count "Acme Corp") of $acme; product 42 is now:"
curl -s "$es/products/_doc/42" | sed -n 's/.*"_source":\(.*\)}$/  \1/p'; echo

say "What kt-indexer logged"
grep -E 'batch of|created index|assigned' "$log" | tail -6
say "Demo done: every index equals its tables"
echo "   (pipeline steps took $((SECONDS - started))s in all)"
