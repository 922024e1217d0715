#!/usr/bin/env bash
# The container stack of deploy/compose.yaml, run with podman-compose.
# Usage: deploy/compose.sh up|down|test|ps|logs [SERVICE]
#   up: writes the secrets into var/compose/env once (random; keep the file), starts every container,
#       waits until the gateway answers and every service is ready, loads the demo data (unless CRM_NO_DEMO=1).
#   test: the journey of deploy/tests against the running stack. down: removes the containers, keeps the volumes
#   (`down -v` removes them too).
# Env: CRM_COMPOSE_PORT (8080: the gateway on 127.0.0.1).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
state=$root/var/compose
export CONTAINERS_CONF=${CONTAINERS_CONF:-$here/images/containers.conf}
export CRM_COMPOSE_PORT=${CRM_COMPOSE_PORT:-8080}
url=http://127.0.0.1:$CRM_COMPOSE_PORT
"$here/images/podman.sh" --version >/dev/null  # installs podman and podman-compose when missing
# podman-compose runs `podman` itself: give it the project's runtime settings through a wrapper on PATH.
mkdir -p "$state/bin"
printf '#!/bin/sh\nexec %s --runtime runc --cgroup-manager=cgroupfs "$@"\n' "$(command -v podman)" >"$state/bin/podman"
chmod +x "$state/bin/podman"
export PATH=$state/bin:$PATH
compose() { podman-compose -p crm -f "$here/compose.yaml" "$@"; }

secrets() {
  mkdir -p "$state/sent-mail" "$state/mail-inbox"
  chmod 700 "$state"
  # The services run as uid 10001 (deploy/images/Containerfile): they write these bind-mounted folders.
  [ "$(id -u)" != 0 ] || chown 10001:10001 "$state/sent-mail" "$state/mail-inbox"
  if [ ! -s "$state/env" ]; then
    uv run --project "$root" python - >"$state/env.tmp" <<'PY'
import base64, secrets, uuid
from cryptography.fernet import Fernet
print(f"CRM_IDENTITY_SECRET={secrets.token_urlsafe(48)}")
print(f"CRM_GATEWAY_TOKEN_SECRET={secrets.token_urlsafe(48)}")
print(f"CRM_NOTIFIER_CREDENTIALS_KEY={Fernet.generate_key().decode()}")
print(f"POSTGRES_PASSWORD={secrets.token_hex(24)}")
print(f"CRM_ADMIN_PASSWORD={secrets.token_urlsafe(12)}")
cluster_id = "-"
while cluster_id.startswith("-"):  # Kafka's own ids never start with "-": a command line would read an option
    cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
print(f"KAFKA_CLUSTER_ID={cluster_id}")
PY
    chmod 600 "$state/env.tmp"; mv "$state/env.tmp" "$state/env"
  fi
  set -a; . "$state/env"; set +a
}

wait_ready() {
  local deadline=$((SECONDS + ${1:-300}))
  until curl -fsS "$url/healthz" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || { echo "the gateway did not answer at $url/healthz" >&2; compose ps >&2; exit 1; }
    sleep 2
  done
  # Ready = every service's /readyz says ready (Kafka reachable, database migrated), seen from inside the network.
  local s
  for s in partners:8101 commercial:8102 opportunities:8103 campaigns:8104 tasks:8105 notifier-1:8106 notifier-2:8106 mail-ingest:8107 gateway:8000; do
    until podman exec "crm_${s%%:*}_1" python -c "import sys, urllib.request, json
r = json.load(urllib.request.urlopen('http://127.0.0.1:${s#*:}/readyz', timeout=2))
sys.exit(0 if r.get('status') == 'ready' else 1)" >/dev/null 2>&1; do
      [ $SECONDS -lt $deadline ] || { echo "${s%%:*} not ready" >&2; exit 1; }
      sleep 2
    done
  done
}

case "${1:-}" in
  up)
    secrets
    compose up -d >"$state/up.log" 2>&1 || { tail -n 30 "$state/up.log" >&2; exit 1; }
    wait_ready 300
    if [ "${CRM_NO_DEMO:-0}" != 1 ] && [ ! -f "$state/demo-loaded" ]; then
      (cd "$root" && uv run python -c "from deploy import demo; demo.load('$url', '$CRM_ADMIN_PASSWORD')") && touch "$state/demo-loaded"
    fi
    echo "CRM is running: $url/ (login: admin / password CRM_ADMIN_PASSWORD in var/compose/env)"
    ;;
  down)
    secrets
    shift
    compose down "$@" >/dev/null 2>&1
    if [ "${1:-}" = -v ]; then rm -f "$state/demo-loaded"; fi
    ;;
  test)
    secrets
    cd "$root"
    CRM_COMPOSE_URL=$url CRM_COMPOSE_SENT_MAIL=$state/sent-mail uv run pytest deploy/tests -q -s -p no:cacheprovider
    ;;
  ps) secrets; compose ps ;;
  logs) secrets; shift; podman logs --tail 100 "crm_${1:-gateway}_1" ;;
  *) echo "usage: $0 up|down [-v]|test|ps|logs [SERVICE]" >&2; exit 2 ;;
esac
