#!/usr/bin/env bash
# Installs everything the project needs on a fresh Debian machine (idempotent, quick when done).
# Python env (uv, locked), Kafka jars (Maven Central), PostgreSQL, Chromium (UI tests), DejaVu fonts (PDFs).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
need_apt=()
command -v java >/dev/null || need_apt+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || need_apt+=(maven)
ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 || need_apt+=(postgresql)
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need_apt+=(fonts-dejavu-core)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "please install: ${need_apt[*]} (apt-get, as root)" >&2; exit 1
  fi
fi
command -v uv >/dev/null || python3 -m pip install -q uv
uv sync --frozen -q
deploy/kafka/kafka.sh install
# The contract checks other teams' tools make (AsyncAPI parser and Modelina, Redocly): make lint runs them.
checks=contracts/tools/checks
if [ ! -f "$checks/node_modules/.package-lock.json" ] || [ "$checks/package-lock.json" -nt "$checks/node_modules/.package-lock.json" ]; then
  command -v npm >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; }
  npm ci --prefix "$checks" --no-audit --no-fund --loglevel=error >/dev/null
fi
