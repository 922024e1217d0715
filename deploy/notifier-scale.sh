#!/usr/bin/env bash
# Run N notifier instances in one consumer group on one PostgreSQL store (X3).
# Usage: deploy/notifier-scale.sh [N] (default 3); Ctrl-C stops them all.
# Env: CRM_KAFKA_BOOTSTRAP (127.0.0.1:9092), CRM_PG_PORT (5433), CRM_NOTIFIER_DB (crm_notifier),
#      CRM_NOTIFIER_SMTP_HOST/PORT (the local sink, 127.0.0.1:2525), CRM_NOTIFIER_CREDENTIALS_KEY (Fernet key).
# Instance 1 serves HTTP on 8106, instance k on 8106 + 10*(k-1); the gateway needs only one of them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
n=${1:-3}
pg_port=${CRM_PG_PORT:-5433}
db=${CRM_NOTIFIER_DB:-crm_notifier}

"$root/deploy/kafka/kafka.sh" start >/dev/null
"$root/deploy/postgres/pg.sh" start >/dev/null
PGPASSWORD=crm psql -h 127.0.0.1 -p "$pg_port" -U crm -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$db'" \
  | grep -q 1 || PGPASSWORD=crm psql -h 127.0.0.1 -p "$pg_port" -U crm -d postgres -qc "CREATE DATABASE \"$db\""

export CRM_NOTIFIER_DATABASE_URL="postgresql+asyncpg://crm:crm@127.0.0.1:$pg_port/$db"
cd "$root"
# Migrate once, before the instances start (each `run` would also do it; once is tidier).
uv run python -m crm_notifier migrate

pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait' INT TERM EXIT
for k in $(seq 1 "$n"); do
  CRM_NOTIFIER_PORT=$((8106 + 10 * (k - 1))) uv run python -m crm_notifier run &
  pids+=($!)
  echo "notifier instance $k: pid $! http://127.0.0.1:$((8106 + 10 * (k - 1)))"
done
wait
