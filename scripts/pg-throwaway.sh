#!/usr/bin/env bash
# Starts a throwaway PostgreSQL from the machine's PostgreSQL 15 binaries: a new cluster in
# a temporary directory, listening on 127.0.0.1 at a free port, trusting local connections.
# Prints the shell lines that name it (eval them): AULA_TEST_POSTGRES=postgres://…,
# AULA_PG_DIR=… ; `scripts/pg-throwaway.sh stop DIR` stops it and removes the directory;
# `pause DIR` stops the server keeping its data, `resume DIR` starts it again on its port
# (the fault tests take the database away mid-run with them).
# As root the server runs as the `postgres` user (initdb refuses root).
set -euo pipefail

bin=""
for dir in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
  if [ -x "$dir/initdb" ]; then bin=$dir; break; fi
done
if [ -z "$bin" ]; then
  echo "no PostgreSQL binaries under /usr/lib/postgresql (Debian package postgresql-15)" >&2
  exit 1
fi

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_server() { # DIR PORT
  as_owner "$bin/pg_ctl" -D "$1/data" -l "$1/server.log" -w -t 60 \
    -o "-p $2 -k $1 -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
    start >/dev/null || { cat "$1/server.log" >&2; exit 1; }
}

case "${1:-}" in
  pause)
    as_owner "$bin/pg_ctl" -D "${2:?usage: pg-throwaway.sh pause DIR}/data" -m fast -w stop >/dev/null
    exit 0 ;;
  resume)
    start_server "${2:?usage: pg-throwaway.sh resume DIR}" "$(cat "$2/port")"
    exit 0 ;;
esac

if [ "${1:-}" = "stop" ]; then
  dir=${2:?usage: pg-throwaway.sh stop DIR}
  as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
  exit 0
fi

dir=$(mktemp -d /tmp/aula-pg.XXXXXX)
chmod 755 "$dir"
[ "$(id -u)" -eq 0 ] && chown postgres "$dir"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_owner "$bin/initdb" -D "$dir/data" -U aula --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 1; }
echo "$port" >"$dir/port"
# Small and fast: a test cluster, so no durability across a crash of the machine.
start_server "$dir" "$port"
echo "AULA_TEST_POSTGRES=postgres://aula@127.0.0.1:$port/postgres"
echo "AULA_PG_DIR=$dir"
