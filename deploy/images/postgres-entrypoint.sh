#!/usr/bin/env bash
# Initialises the cluster once (user POSTGRES_USER, password POSTGRES_PASSWORD, scram over TCP), creates the
# databases named in POSTGRES_DATABASES (space or comma separated) when missing, and runs postgres in the foreground.
set -euo pipefail
user=${POSTGRES_USER:-crm}
: "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}"
export PGPASSWORD=$POSTGRES_PASSWORD
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pw=$(mktemp); printf '%s\n' "$POSTGRES_PASSWORD" >"$pw"
  initdb -D "$PGDATA" -U "$user" --pwfile="$pw" -A scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pw"
  cat >>"$PGDATA/postgresql.conf" <<CONF
listen_addresses = '*'
max_connections = ${POSTGRES_MAX_CONNECTIONS:-300}
shared_buffers = 128MB
CONF
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
fi
# Databases are created over the local socket while only this script can reach the server.
pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w -t 60 start >/dev/null
for db in ${POSTGRES_DATABASES//,/ }; do
  psql -v ON_ERROR_STOP=1 -U "$user" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$db'" | grep -q 1 \
    || psql -v ON_ERROR_STOP=1 -U "$user" -d postgres -qc "CREATE DATABASE \"$db\""
done
pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
exec postgres -D "$PGDATA"
