#!/usr/bin/env bash
# The development stack: a throw-away PostgreSQL 15, Kafka and Elasticsearch-compatible search,
# for demos and tests only.
#
#   scripts/stack.sh start|stop|status|env
#   scripts/stack.sh topic NAME PARTITIONS [key=value]...   create a topic on the stack's Kafka
#   scripts/stack.sh seed                                   the example tables and topics of
#                                                           config/kt.yaml (drops those tables)
#   scripts/stack.sh signal kafka|search KILL|STOP|CONT     a fault: kill, pause or resume a server
#   scripts/stack.sh restart kafka|search                   start it again: same data and ports
#
# Which Kafka and which search server run:
#   KT_STACK_KAFKA=kafka (default) | devbroker
#     devbroker: kt-devbroker, librdkafka's in-memory mock cluster (no Java)
#     kafka:     Apache Kafka 4.x, one combined broker and controller in KRaft mode
#   KT_STACK_SEARCH=elasticsearch (default) | opensearch | standin
#     standin:       kt-es-standin, an Elasticsearch stand-in (no Java)
#     opensearch:    one OpenSearch 2.19 node
#     elasticsearch: one Elasticsearch 8.14 node: the server and its Netty HTTP module, without
#                    the modules Maven Central lacks (x-pack, painless, mapper-extras, ...)
# The Java servers are fetched by scripts/engines.sh (Maven, pinned versions) into a cache outside
# the checkout, then reused offline. kt-devbroker and kt-es-standin always run as well, for tests
# that need a fault only a double can make (KT_TEST_DEVBROKER_*, KT_TEST_STANDIN_URL).
#
# KT_STACK_DIR (default .stack/dev) holds pids, logs, server data and `env`, a file to `source`
# that exports KT_KAFKA_BROKERS, KT_POSTGRES_URL, KT_ELASTICSEARCH_URL and the KT_TEST_* variables.
# KT_BUILD_DIR (default build) is where the kt-devbroker and kt-es-standin binaries are.
# KT_STACK_KAFKA_HEAP (default 512m) and KT_STACK_SEARCH_HEAP (default 1g) cap the Java heaps.
# Safe to run twice; never touches a system-wide PostgreSQL.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
stack_dir=${KT_STACK_DIR:-$root/.stack/dev}
build_dir=${KT_BUILD_DIR:-$root/build}
brokers=${KT_STACK_BROKERS:-1}
pg_bin=${KT_PG_BIN:-/usr/lib/postgresql/15/bin}
kafka_kind=${KT_STACK_KAFKA:-kafka}
search_kind=${KT_STACK_SEARCH:-elasticsearch}

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

since() { awk -v a="$1" -v b="${EPOCHREALTIME/,/.}" 'BEGIN { printf "%.1f", b - a }'; }

# A server that did not come up: its last log lines, where the whole log is, and exit.
# A server that died because another process took its port between free_port and its bind
# (a race with whatever else starts on this machine): the wait functions then return 75.
port_clash() {  # logfile
  grep -q 'Address already in use' "$1" 2>/dev/null || return 1
  log "a port was taken while starting ($1); starting again on other ports"
}

# launch_X then wait_X, on fresh ports again when a port was taken meanwhile.
start_server() {  # launch-function wait-function [name]
  local attempt rc
  for attempt in 1 2 3; do
    rc=0
    "$2" "${@:3}" || rc=$?
    ((rc == 75)) || return "$rc"
    "$1" "${@:3}"
  done
  die "ports kept being taken while starting ${3:-kafka}"
}

fail_with_log() {  # what logfile
  echo "stack: error: $1; last lines of $2:" >&2
  tail -n 30 "$2" >&2 || true
  die "$1 (log: $2)"
}

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

# --- Apache Kafka (KRaft, one combined broker and controller) ----------------------------------

kafka_classpath() { bash "$root/scripts/engines.sh" classpath kafka; }

# tools/engines/kafka's admin tool (readiness, topic creation); the client logs warnings only.
kafka_admin() { java -Dlog4j2.level=warn -cp "$(kafka_classpath)" kt.engines.KafkaAdmin "$@"; }

# Formats fresh storage and starts the server in the background; wait_kafka waits for it.
launch_kafka() {
  local dir=$stack_dir/kafka engine port controller_port cluster_id
  if alive "$stack_dir/kafka.pid" && [[ -s $stack_dir/kafka.ready ]]; then
    log "kafka already running"
    return 0
  fi
  stop_daemon kafka
  engine=$(bash "$root/scripts/engines.sh" fetch kafka)
  rm -rf "$dir"
  mkdir -p "$dir/data"
  port=$(free_port)
  controller_port=$(free_port)
  while [[ $controller_port == "$port" ]]; do controller_port=$(free_port); done
  cat >"$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$dir/data
num.partitions=1
auto.create.topics.enable=false
group.initial.rebalance.delay.ms=0
# The fault tests give their workers 3 s sessions to fail over fast (Kafka's floor is 6 s).
group.min.session.timeout.ms=1000
offsets.topic.num.partitions=3
offsets.topic.replication.factor=1
transaction.state.log.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
PROPS
  cat >"$dir/log4j2.properties" <<'PROPS'
status = warn
appender.console.type = Console
appender.console.name = console
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.console.ref = console
logger.state.name = state.change.logger
logger.state.level = warn
logger.log.name = org.apache.kafka.storage.internals.log
logger.log.level = warn
PROPS
  # A Kafka cluster id: 16 random bytes, URL-safe base64 without padding.
  cluster_id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
  java -cp "$engine/classes:$engine/lib/*" -Dlog4j2.configurationFile="$dir/log4j2.properties" \
    kafka.tools.StorageTool format --cluster-id="$cluster_id" --config "$dir/server.properties" \
    --standalone >"$dir/format.log" 2>&1 ||
    fail_with_log "formatting Kafka's storage failed" "$dir/format.log"
  echo "$port" >"$dir/port"
  run_kafka
}

# Starts the server on the storage and config launch_kafka made (again after a kill: the same
# data and ports); wait_kafka waits for it.
run_kafka() {
  local dir=$stack_dir/kafka engine
  engine=$(bash "$root/scripts/engines.sh" path kafka)
  rm -f "$stack_dir/kafka.ready"
  kafka_started=${EPOCHREALTIME/,/.}
  # shellcheck disable=SC2086
  nohup java -Xms256m -Xmx"${KT_STACK_KAFKA_HEAP:-512m}" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -Djava.awt.headless=true -Dlog4j2.configurationFile="$dir/log4j2.properties" \
    -Dkafka.logs.dir="$dir" -cp "$engine/classes:$engine/lib/*" \
    kafka.Kafka "$dir/server.properties" </dev/null >>"$dir/server.log" 2>&1 &
  echo $! >"$stack_dir/kafka.pid"
}

# Waits until the broker answers metadata with itself in it; writes kafka.ready.
wait_kafka() {
  local dir=$stack_dir/kafka port deadline answer
  [[ -s $stack_dir/kafka.ready ]] && return 0
  port=$(cat "$dir/port")
  deadline=$((SECONDS + 120))
  until port_in_use "$port"; do
    if ! alive "$stack_dir/kafka.pid"; then
      port_clash "$dir/server.log" && return 75
      fail_with_log "kafka exited while starting" "$dir/server.log"
    fi
    ((SECONDS < deadline)) || fail_with_log "kafka did not listen within 120s" "$dir/server.log"
    sleep 0.2
  done
  if ! answer=$(kafka_admin ready "127.0.0.1:$port" 60 2>>"$dir/server.log" |
      grep -E '^[a-z_]+='); then
    port_clash "$dir/server.log" && return 75
    fail_with_log "kafka did not list its broker in metadata" "$dir/server.log"
  fi
  {
    echo "bootstrap=127.0.0.1:$port"
    echo "version=$(bash "$root/scripts/engines.sh" version kafka)"
    echo "$answer"
  } >"$stack_dir/kafka.ready.tmp"
  mv "$stack_dir/kafka.ready.tmp" "$stack_dir/kafka.ready"
  log "kafka $(read_key "$stack_dir/kafka.ready" version) on 127.0.0.1:$port" \
    "(cluster $(read_key "$stack_dir/kafka.ready" cluster_id)), ready in" \
    "$(since "$kafka_started")s; log $dir/server.log"
}

# --- OpenSearch or Elasticsearch (one node) ----------------------------------------------------

# The launcher in tools/engines/<name> that starts one node of that server.
search_main() {
  case $1 in
    opensearch) echo kt.engines.OpenSearchNode ;;
    elasticsearch) echo kt.engines.ElasticsearchNode ;;
  esac
}

# Starts one node of NAME (opensearch or elasticsearch) in the background; wait_search waits.
launch_search() {  # name
  local name=$1 home=$stack_dir/$1 engine http transport
  if alive "$stack_dir/$name.pid" && [[ -s $stack_dir/$name.ready ]]; then
    log "$name already running"
    return 0
  fi
  stop_daemon "$name"
  engine=$(bash "$root/scripts/engines.sh" fetch "$name")
  rm -rf "$home"
  mkdir -p "$home"
  http=$(free_port)
  transport=$(free_port)
  while [[ $transport == "$http" ]]; do transport=$(free_port); done
  echo "$http" >"$home/port"
  echo "$transport" >"$home/transport_port"
  run_search "$name"
}

# Starts a node of NAME on the home and ports launch_search chose (again after a kill: the same
# data and ports); wait_search waits for it.
run_search() {  # name
  local name=$1 home=$stack_dir/$1 engine prefix heap=${KT_STACK_SEARCH_HEAP:-1g}
  engine=$(bash "$root/scripts/engines.sh" path "$name")
  # The servers read their JVM-wide settings under their own prefix.
  prefix=es
  if [[ $name == opensearch ]]; then prefix=opensearch; fi
  rm -f "$stack_dir/$name.ready"
  search_started=${EPOCHREALTIME/,/.}
  nohup java -Xms"$heap" -Xmx"$heap" -XX:+UseG1GC -Djava.awt.headless=true \
    -Dfile.encoding=UTF-8 -Djna.nosys=true -Dlog4j2.disable.jmx=true \
    -Dlog4j2.formatMsgNoLookups=true -D"$prefix".networkaddress.cache.ttl=60 \
    -cp "$engine/classes:$engine/lib/*" "$(search_main "$name")" "$home" "$(cat "$home/port")" \
    "$(cat "$home/transport_port")" </dev/null >>"$home/server.log" 2>&1 &
  echo $! >"$stack_dir/$name.pid"
}

# Waits for cluster health yellow or green; writes NAME.ready.
wait_search() {  # name
  local name=$1 home=$stack_dir/$1 url deadline version
  [[ -s $stack_dir/$name.ready ]] && return 0
  url=http://127.0.0.1:$(cat "$home/port")
  deadline=$((SECONDS + 180))
  until curl -sf -o /dev/null \
      "$url/_cluster/health?wait_for_status=yellow&timeout=1s" 2>/dev/null; do
    if ! alive "$stack_dir/$name.pid"; then
      port_clash "$home/server.log" && return 75
      fail_with_log "$name exited while starting" "$home/server.log"
    fi
    ((SECONDS < deadline)) ||
      fail_with_log "$name not yellow or green within 180s" "$home/server.log"
    sleep 0.5
  done
  version=$(curl -sf "$url/" | sed -n 's/.*"number" *: *"\([^"]*\)".*/\1/p')
  printf 'url=%s\nversion=%s\n' "$url" "$version" >"$stack_dir/$name.ready"
  log "$name $version on $url, ready in $(since "$search_started")s;" \
    "log $home/server.log"
}

# --- the stack ---------------------------------------------------------------------------------

check_choice() {
  case $kafka_kind in
    kafka | devbroker) ;;
    *) die "KT_STACK_KAFKA=$kafka_kind: expected kafka or devbroker" ;;
  esac
  case $search_kind in
    opensearch | elasticsearch | standin) ;;
    *) die "KT_STACK_SEARCH=$search_kind: expected opensearch, elasticsearch or standin" ;;
  esac
}

write_env() {
  local pg_url devbroker control standin brokers_addr es_url
  pg_url="postgresql://kt@127.0.0.1:$(cat "$stack_dir/pg_port")/kt"
  devbroker=$(read_key "$stack_dir/devbroker.ready" bootstrap)
  control=$(read_key "$stack_dir/devbroker.ready" control)
  standin=$(read_key "$stack_dir/es-standin.ready" url)
  brokers_addr=$devbroker
  if [[ $kafka_kind == kafka ]]; then
    brokers_addr=$(read_key "$stack_dir/kafka.ready" bootstrap)
  fi
  es_url=$standin
  if [[ $search_kind != standin ]]; then
    es_url=$(read_key "$stack_dir/$search_kind.ready" url)
  fi
  printf 'KAFKA=%s\nSEARCH=%s\n' "$kafka_kind" "$search_kind" >"$stack_dir/choice"
  cat >"$stack_dir/env" <<ENV
export KT_KAFKA_BROKERS='$brokers_addr'
export KT_POSTGRES_URL='$pg_url'
export KT_ELASTICSEARCH_URL='$es_url'
export KT_TEST_STACK_KAFKA='$kafka_kind'
export KT_TEST_STACK_SEARCH='$search_kind'
export KT_TEST_KAFKA_BROKERS='$brokers_addr'
export KT_TEST_DEVBROKER_BROKERS='$devbroker'
export KT_TEST_DEVBROKER_CONTROL='$control'
export KT_TEST_POSTGRES_URL='$pg_url'
export KT_TEST_ES_URL='$es_url'
export KT_TEST_STANDIN_URL='$standin'
export KT_TEST_PG_BIN='$pg_bin'
export KT_TEST_PG_DATA='$(cat "$stack_dir/pg_dir")/data'
export KT_TEST_STACK_DIR='$(cd "$stack_dir" && pwd)'
ENV
}

stop_daemon() {
  local name=$1 pid t0
  if alive "$stack_dir/$name.pid"; then
    t0=${EPOCHREALTIME/,/.}
    pid=$(cat "$stack_dir/$name.pid")
    kill -TERM "$pid" 2>/dev/null || true
    kill -CONT "$pid" 2>/dev/null || true  # a paused server (signal STOP) handles TERM now
    for _ in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    log "$name stopped in $(since "$t0")s"
  fi
  rm -f "$stack_dir/$name.pid" "$stack_dir/$name.ready"
}

# Creates a topic on the Kafka the stack runs: Kafka's Admin API, or kt-devbroker's control port.
create_topic() {  # name partitions [key=value]...
  local name=$1 partitions=$2 kind
  shift 2
  [[ -f $stack_dir/env ]] || die "stack not started"
  kind=$(read_key "$stack_dir/choice" KAFKA)
  if [[ $kind == kafka ]]; then
    kafka_admin create-topic "$(read_key "$stack_dir/kafka.ready" bootstrap)" "$name" \
      "$partitions" "$@"
  else
    (($# == 0)) || die "topic configs ($*) need KT_STACK_KAFKA=kafka"
    curl -sf -X POST -H 'Content-Type: application/json' \
      -d "{\"name\":\"$name\",\"partitions\":$partitions}" \
      "$(read_key "$stack_dir/devbroker.ready" control)/topics" >/dev/null ||
      die "kt-devbroker refused topic $name"
    echo "created topic $name with $partitions partitions"
  fi
}

# The example data of config/kt.yaml: its tables with rows (docker/demo/seed.sql, which drops
# them first) and the topics its indexes, delayers and cascades read, with their dead-letter
# topics. Topics that exist are kept.
seed() {
  local started topics=() t kind
  started=${EPOCHREALTIME/,/.}
  [[ -f $stack_dir/env ]] || die "stack not started"
  for t in products brands organizations customers orders delay_5m delay_1h; do
    topics+=("$t:3" "$t.dlq:1")
  done
  kind=$(read_key "$stack_dir/choice" KAFKA)
  if [[ $kind == kafka ]]; then
    kafka_admin create-topics "$(read_key "$stack_dir/kafka.ready" bootstrap)" "${topics[@]}" \
      >/dev/null
  else
    for t in "${topics[@]}"; do
      # 409: kt-devbroker has it already.
      curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
        -d "{\"name\":\"${t%:*}\",\"partitions\":${t##*:}}" \
        "$(read_key "$stack_dir/devbroker.ready" control)/topics" | grep -Eq '^(201|409)$' ||
        die "kt-devbroker refused topic ${t%:*}"
    done
  fi
  # shellcheck disable=SC1091
  PGOPTIONS='-c client_min_messages=warning' psql -q -v ON_ERROR_STOP=1 \
    "$(source "$stack_dir/env" && echo "$KT_POSTGRES_URL")" -f "$root/docker/demo/seed.sql" ||
    die "the example tables could not be created"
  log "seeded in $(since "$started")s: tables brands (2 rows), products (1,000), organizations" \
    "(3), customers (30), orders (300); topics ${#topics[@]} (3 partitions, dead letters 1)"
}

# The server a fault command means: kafka, or the stack's search server (search).
server_name() {  # kafka|search
  [[ -f $stack_dir/choice ]] || die "stack not started"
  case $1 in
    kafka) [[ $(read_key "$stack_dir/choice" KAFKA) == kafka ]] || die "the stack runs no Kafka"
      echo kafka ;;
    search) local kind
      kind=$(read_key "$stack_dir/choice" SEARCH)
      [[ $kind != standin ]] || die "the stack runs no search server (standin)"
      echo "$kind" ;;
    *) die "expected kafka or search, got '$1'" ;;
  esac
}

# Gone or a zombie: a killed server's pid may stay unreaped for a while.
state() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null; }
exited() { ! kill -0 "$1" 2>/dev/null || [[ $(state "$1") == Z* ]]; }

# Sends SIGKILL, SIGSTOP or SIGCONT to a Java server (fault tests). KILL returns once it is gone
# (the data stays for restart), STOP once it is stopped.
signal_server() {  # kafka|search KILL|STOP|CONT
  local name pid
  name=$(server_name "$1")
  [[ $2 =~ ^(KILL|STOP|CONT)$ ]] || die "expected KILL, STOP or CONT, got '$2'"
  alive "$stack_dir/$name.pid" || die "$name is not running"
  pid=$(cat "$stack_dir/$name.pid")
  kill -"$2" "$pid"
  case $2 in
    KILL) until exited "$pid"; do sleep 0.05; done
      rm -f "$stack_dir/$name.pid" "$stack_dir/$name.ready" ;;
    STOP) until [[ $(state "$pid") == [Tt]* ]]; do
        ! exited "$pid" || die "$name exited"
        sleep 0.05
      done ;;
  esac
  log "$name (pid $pid): SIG$2"
}

# Starts a killed (or stops and starts a running) server again on the same data and ports, and
# waits until it is ready.
restart_server() {  # kafka|search
  local name rc=0
  name=$(server_name "$1")
  stop_daemon "$name"
  if [[ $name == kafka ]]; then
    run_kafka
    wait_kafka || rc=$?
  else
    run_search "$name"
    wait_search "$name" || rc=$?
  fi
  ((rc == 0)) || die "$name could not take its ports again"
}

cmd=${1:-status}
mkdir -p "$stack_dir"
case $cmd in
  start)
    check_choice
    started=${EPOCHREALTIME/,/.}
    # The Java servers start first and warm up while the rest starts.
    if [[ $kafka_kind == kafka ]]; then launch_kafka; fi
    if [[ $search_kind != standin ]]; then launch_search "$search_kind"; fi
    start_postgres
    start_daemon devbroker "$build_dir/tools/devbroker/kt-devbroker" --brokers "$brokers" --control-port 0
    start_daemon es-standin "$build_dir/tools/es-standin/kt-es-standin" --port 0
    if [[ $kafka_kind == kafka ]]; then start_server launch_kafka wait_kafka; fi
    if [[ $search_kind != standin ]]; then
      start_server launch_search wait_search "$search_kind"
    fi
    write_env
    log "ready in $(since "$started")s (kafka: $kafka_kind, search: $search_kind):" \
      "source $stack_dir/env"
    ;;
  stop)
    started=${EPOCHREALTIME/,/.}
    for n in opensearch elasticsearch kafka es-standin devbroker; do stop_daemon "$n" & done
    wait
    rm -rf "$stack_dir/kafka" "$stack_dir/opensearch" "$stack_dir/elasticsearch"
    if [[ -f $stack_dir/pg_dir ]]; then
      pg_dir=$(cat "$stack_dir/pg_dir")
      if [[ -d $pg_dir/data ]]; then
        as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast -w stop >/dev/null 2>&1 || true
        log "postgres stopped"
      fi
      rm -rf "$pg_dir"
      rm -f "$stack_dir/pg_dir" "$stack_dir/pg_port"
    fi
    rm -f "$stack_dir/env" "$stack_dir/choice"
    log "stopped in $(since "$started")s"
    ;;
  status)
    for n in kafka opensearch elasticsearch devbroker es-standin; do
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
  topic)
    (($# >= 3)) || { echo "usage: $0 topic NAME PARTITIONS [key=value]..." >&2; exit 2; }
    create_topic "${@:2}"
    ;;
  seed) seed ;;
  signal)
    (($# == 3)) || { echo "usage: $0 signal kafka|search KILL|STOP|CONT" >&2; exit 2; }
    signal_server "$2" "$3"
    ;;
  restart)
    (($# == 2)) || { echo "usage: $0 restart kafka|search" >&2; exit 2; }
    restart_server "$2"
    ;;
  *) echo "usage: $0 start|stop|status|env|topic|seed|signal|restart (see the script's header)" >&2
    exit 2 ;;
esac
