#!/usr/bin/env bash
# A private PostgreSQL cluster for tests and for users who want PostgreSQL instead of SQLite.
# Usage: deploy/postgres/pg.sh install|start|stop|status|url
# Env: CRM_PG_PORT (5433), CRM_PG_DATA (var/postgres). Superuser "crm", password "crm", on 127.0.0.1 only.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
port=${CRM_PG_PORT:-5433}
data=${CRM_PG_DATA:-$root/var/postgres}

bindir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$d" ] && echo "$d"
}

install() {
  if [ -z "$(bindir)" ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
}

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  install
  local bin; bin=$(bindir)
  mkdir -p "$data"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$data"
  if [ ! -f "$data/PG_VERSION" ]; then
    local pw; pw=$(mktemp); echo crm >"$pw"; chmod 644 "$pw"
    as_pg "$bin/initdb" -D "$data" -U crm --pwfile="$pw" -A scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
    rm -f "$pw"
    cat >>"$data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$data'
max_connections = 300
fsync = on
shared_buffers = 128MB
CONF
  fi
  if as_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then echo "postgres already running"; return; fi
  as_pg "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 start >/dev/null
  PGPASSWORD=crm "$bin/psql" -h 127.0.0.1 -p "$port" -U crm -d postgres -tAc "select 1 from pg_database where datname='crm'" | grep -q 1 \
    || PGPASSWORD=crm "$bin/createdb" -h 127.0.0.1 -p "$port" -U crm crm
  echo "postgres running on 127.0.0.1:$port (data $data)"
}

stop() {
  local bin; bin=$(bindir)
  [ -n "$bin" ] && [ -f "$data/PG_VERSION" ] && as_pg "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
  echo "postgres stopped"
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  status) as_pg "$(bindir)/pg_ctl" -D "$data" status ;;
  url) echo "postgresql+asyncpg://crm:crm@127.0.0.1:$port/crm" ;;
  *) echo "usage: $0 install|start|stop|status|url" >&2; exit 2 ;;
esac
