#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests, without systemd:
#   scripts/pg.sh start DIR PORT   creates DIR/data, starts the server on 127.0.0.1:PORT, prints its URL
#   scripts/pg.sh stop DIR         stops it and removes DIR
# Trust authentication on loopback only; the unix socket lives in DIR. When run as root the
# cluster belongs to the `postgres` OS user (PostgreSQL refuses to run as root).
set -euo pipefail

PG_BIN="${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}"
[ -x "$PG_BIN/initdb" ] || { echo "pg.sh: no PostgreSQL server binaries (apt-get install postgresql)" >&2; exit 1; }

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

usage() { echo "usage: $0 start DIR PORT | stop DIR" >&2; exit 2; }

cmd="${1:-}"
case "$cmd" in
  start)
    [ $# -eq 3 ] || usage
    dir="$(realpath -m "$2")"
    port="$3"
    mkdir -p "$dir"
    touch "$dir/.helpline-pg"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
    as_owner "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
      >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    # Many short-lived servers (one database each) run side by side in the tests.
    as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c max_connections=400" \
      start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    echo "postgresql://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    [ $# -eq 2 ] || usage
    dir="$(realpath -m "$2")"
    if [ -f "$dir/data/postmaster.pid" ]; then
      as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null || true
    fi
    # Only ever remove a folder this script made.
    if [ -f "$dir/.helpline-pg" ]; then rm -rf "$dir"; fi
    ;;
  *) usage ;;
esac
