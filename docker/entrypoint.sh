#!/bin/bash
# Entrypoint of the kt image. The first argument says what to run:
#   indexer | delayer | cascader | capture ARGS...  the worker kt-indexer, kt-delayer, kt-cascader,
#                                                  kt-capture
#   check | produce | reindex | verify | status ARGS...   that kt subcommand
#   kt ARGS...                                     the kt command line as it is
#   probe PATH [PORT]                              exit 0 when GET http://127.0.0.1:PORT PATH
#                                                  answers 200 (PORT: $KT_METRICS_PORT, else
#                                                  9464); for container health checks, as the
#                                                  image holds no HTTP client
set -euo pipefail

usage() {
    echo "usage: $(basename "$0") indexer|delayer|cascader|capture|check|produce|reindex|verify|status|kt|probe [ARGS...]" >&2
}

probe() {
    local path=${1:-}
    local port=${2:-${KT_METRICS_PORT:-9464}}
    if [[ $path != /* ]]; then
        echo "probe: expected a path such as /readyz, got '${path}'" >&2
        return 2
    fi
    if [[ ! $port =~ ^[0-9]+$ ]]; then
        echo "probe: port '${port}' is not a number" >&2
        return 2
    fi
    if ! { exec 3<>"/dev/tcp/127.0.0.1/${port}"; } 2>/dev/null; then
        echo "probe: nothing listens on port ${port}" >&2
        return 1
    fi
    printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$path" >&3
    local status=
    read -r -t 3 status <&3 || true
    exec 3<&-
    status=${status%$'\r'}
    if [[ $status == HTTP/1.?\ 200* ]]; then
        return 0
    fi
    echo "probe: GET ${path} on port ${port} answered '${status:-nothing}'" >&2
    return 1
}

if (($# == 0)); then
    usage
    exit 2
fi
what=$1
shift
case $what in
    indexer | delayer | cascader | capture) exec "kt-${what}" "$@" ;;
    check | produce | reindex | verify | status) exec kt "$what" "$@" ;;
    kt) exec kt "$@" ;;
    probe)
        probe "$@"
        exit $?
        ;;
    -h | --help)
        usage
        exit 0
        ;;
    *)
        echo "$(basename "$0"): unknown worker or command '${what}'" >&2
        usage
        exit 2
        ;;
esac
