#!/usr/bin/env bash
# The development stack: a throw-away PostgreSQL 15, kt-devbroker (librdkafka's in-memory mock
# cluster) and kt-es-standin (an Elasticsearch stand-in). For demos and tests only.
#
#   scripts/stack.sh start|stop|status|env
#
# KT_STACK_DIR (default .stack/dev) holds pids, logs and `env`, a file to `source` that exports
# KT_KAFKA_BROKERS, KT_POSTGRES_URL, KT_ELASTICSEARCH_URL and the KT_TEST_* variables.
# KT_BUILD_DIR (default build) is where the kt-devbroker and kt-es-standin binaries are.
# Safe to run twice; never touches a system-wide PostgreSQL.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
stack_dir=${KT_STACK_DIR:-$root/.stack/dev}
build_dir=${KT_BUILD_DIR:-$root/build}
brokers=${KT_STACK_BROKERS:-1}
pg_bin=${KT_PG_BIN:-/usr/lib/postgresql/15/bin}

log() { echo "stack: $*" >&2; }
die() { echo "stack: error: $*" >&2; exit 1; }

as_pg() {
  # The server refuses to run as root: when we are root it runs as the postgres user.
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 30000))
    if ! port_in_use "$p"; then echo "$p"; return 0; fi
  done
  die "no free port found"
}

alive() { [[ -f $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

wait_for_file() {  # path seconds pidfile
  local deadline=$((SECONDS + $2))
  while [[ ! -s $1 ]]; do
    alive "$3" || return 1
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

read_key() { sed -n "s/^$2=//p" "$1"; }

start_postgres() {
  local pg_dir
  if [[ -f $stack_dir/pg_dir ]] && pg_dir=$(cat "$stack_dir/pg_dir") && [[ -d $pg_dir/data ]]; then
    if as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" status >/dev/null 2>&1; then
      log "postgres already running"
      return 0
    fi
  else
    # Outside the checkout so that the postgres user can always reach it.
    pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/kt-pg.XXXXXX")
    echo "$pg_dir" >"$stack_dir/pg_dir"
    if [[ $(id -u) -eq 0 ]]; then chown postgres: "$pg_dir"; fi
    as_pg "$pg_bin/initdb" -D "$pg_dir/data" -U kt --auth=trust -E UTF8 --locale=C.UTF-8 \
      >"$stack_dir/initdb.log" 2>&1 || die "initdb failed, see $stack_dir/initdb.log"
  fi
  local port
  port=$(free_port)
  echo "$port" >"$stack_dir/pg_port"
  as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 start -o \
    "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$pg_dir \
     -c wal_level=logical -c max_connections=200 -c fsync=off -c max_wal_senders=10 \
     -c max_replication_slots=10" >/dev/null || die "postgres failed to start, see $pg_dir/server.log"
  if ! as_pg "$pg_bin/psql" -h 127.0.0.1 -p "$port" -U kt -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname='kt'" | grep -q 1; then
    as_pg "$pg_bin/createdb" -h 127.0.0.1 -p "$port" -U kt kt
  fi
  log "postgres 15 on 127.0.0.1:$port (data in $pg_dir/data)"
}

start_daemon() {  # name binary args...
  local name=$1 bin=$2; shift 2
  if alive "$stack_dir/$name.pid" && [[ -s $stack_dir/$name.ready ]]; then
    log "$name already running"
    return 0
  fi
  [[ -x $bin ]] || die "$bin not built (run: cmake -S . -B build -G Ninja && ninja -C build)"
  rm -f "$stack_dir/$name.ready"
  nohup "$bin" "$@" --ready-file "$stack_dir/$name.ready" >"$stack_dir/$name.log" 2>&1 &
  echo $! >"$stack_dir/$name.pid"
  wait_for_file "$stack_dir/$name.ready" 30 "$stack_dir/$name.pid" ||
    die "$name did not start, see $stack_dir/$name.log"
  log "$name up"
}

write_env() {
  local pg_url brokers_addr control es_url
  pg_url="postgresql://kt@127.0.0.1:$(cat "$stack_dir/pg_port")/kt"
  brokers_addr=$(read_key "$stack_dir/devbroker.ready" bootstrap)
  control=$(read_key "$stack_dir/devbroker.ready" control)
  es_url=$(read_key "$stack_dir/es-standin.ready" url)
  cat >"$stack_dir/env" <<ENV
export KT_KAFKA_BROKERS='$brokers_addr'
export KT_POSTGRES_URL='$pg_url'
export KT_ELASTICSEARCH_URL='$es_url'
export KT_TEST_KAFKA_BROKERS='$brokers_addr'
export KT_TEST_DEVBROKER_CONTROL='$control'
export KT_TEST_POSTGRES_URL='$pg_url'
export KT_TEST_ES_URL='$es_url'
export KT_TEST_PG_BIN='$pg_bin'
export KT_TEST_PG_DATA='$(cat "$stack_dir/pg_dir")/data'
ENV
}

stop_daemon() {
  local name=$1 pid
  if alive "$stack_dir/$name.pid"; then
    pid=$(cat "$stack_dir/$name.pid")
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    log "$name stopped"
  fi
  rm -f "$stack_dir/$name.pid" "$stack_dir/$name.ready"
}

cmd=${1:-status}
mkdir -p "$stack_dir"
case $cmd in
  start)
    start_postgres
    start_daemon devbroker "$build_dir/tools/devbroker/kt-devbroker" --brokers "$brokers" --control-port 0
    start_daemon es-standin "$build_dir/tools/es-standin/kt-es-standin" --port 0
    write_env
    log "ready: source $stack_dir/env"
    ;;
  stop)
    stop_daemon es-standin
    stop_daemon devbroker
    if [[ -f $stack_dir/pg_dir ]]; then
      pg_dir=$(cat "$stack_dir/pg_dir")
      if [[ -d $pg_dir/data ]]; then
        as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast -w stop >/dev/null 2>&1 || true
        log "postgres stopped"
      fi
      rm -rf "$pg_dir"
      rm -f "$stack_dir/pg_dir" "$stack_dir/pg_port"
    fi
    rm -f "$stack_dir/env"
    ;;
  status)
    for n in devbroker es-standin; do
      if alive "$stack_dir/$n.pid"; then echo "$n: running"; else echo "$n: stopped"; fi
    done
    if [[ -f $stack_dir/pg_dir ]] && as_pg "$pg_bin/pg_ctl" -D "$(cat "$stack_dir/pg_dir")/data" status >/dev/null 2>&1; then
      echo "postgres: running on port $(cat "$stack_dir/pg_port")"
    else
      echo "postgres: stopped"
    fi
    ;;
  env)
    [[ -f $stack_dir/env ]] || die "stack not started"
    cat "$stack_dir/env"
    ;;
  *) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
