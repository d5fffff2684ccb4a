#!/usr/bin/env bash
# The demo pipeline on the development stack, from a fresh Debian 12 machine:
# installs what is missing, builds, starts PostgreSQL + kt-devbroker + the Elasticsearch
# stand-in, creates sample tables, runs kt-indexer and shows inserts, updates and deletes
# reaching the index. KT_DEMO_KEEP=1 leaves the stack and the indexer running afterwards.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
export KT_BUILD_DIR=${KT_BUILD_DIR:-$root/build}
export KT_STACK_DIR=${KT_STACK_DIR:-$root/.stack/demo}

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
wait_for() {  # description seconds command...
  local what=$1 seconds=$2; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then echo "demo: timed out waiting for $what" >&2; exit 1; fi
    sleep 0.2
  done
}

say "Installing packages and building"
bash scripts/install-deps.sh
bash scripts/build.sh | tail -1

say "Starting the development stack (PostgreSQL 15, in-memory Kafka, Elasticsearch stand-in)"
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
  [[ -n $indexer_pid ]] && kill -TERM "$indexer_pid" 2>/dev/null && wait "$indexer_pid" || true
  bash scripts/stack.sh stop
}
trap cleanup EXIT

say "Creating sample tables: 2 brands, 1,000 products"
psql -q -v ON_ERROR_STOP=1 "$KT_POSTGRES_URL" <<'SQL'
SET client_min_messages = warning;
DROP TABLE IF EXISTS products, brands;
CREATE TABLE brands (id bigint PRIMARY KEY, name text NOT NULL);
CREATE TABLE products (
  id bigint PRIMARY KEY, title text NOT NULL, price numeric(10,2),
  brand_id bigint REFERENCES brands(id), updated_at timestamptz NOT NULL DEFAULT now());
INSERT INTO brands VALUES (1, 'Acme'), (2, 'Globex');
INSERT INTO products (id, title, price, brand_id)
  SELECT g, 'Product ' || g, g * 1.5, 1 + g % 2 FROM generate_series(1, 1000) g;
SQL

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
curl -s "$es/products/_doc/42" | sed -n 's/.*"_source":\(.*\)}$/  \1/p'

say "Renaming product 42 in PostgreSQL, then sending its id"
psql -q "$KT_POSTGRES_URL" -c "UPDATE products SET title = 'Renamed 42', updated_at = now() WHERE id = 42"
"$kt" produce --config config/kt.yaml products 42 2>/dev/null
renamed() { curl -s "$es/products/_doc/42" | grep -q 'Renamed 42'; }
wait_for "the new title" 30 renamed
curl -s "$es/products/_doc/42" | sed -n 's/.*"_source":\(.*\)}$/  \1/p'

say "Deleting product 7 in PostgreSQL, then sending its id"
psql -q "$KT_POSTGRES_URL" -c "DELETE FROM products WHERE id = 7"
"$kt" produce --config config/kt.yaml products 7 2>/dev/null
gone() { [[ $(curl -s -o /dev/null -w '%{http_code}' "$es/products/_doc/7") == 404 ]]; }
wait_for "the delete" 30 gone
echo "  product 7: 404 not found; index products holds $(count) documents"

say "What kt-indexer logged"
grep -E 'batch of|created index|assigned' "$log" | tail -6
say "Demo done: the index equals the table"
