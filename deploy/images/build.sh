#!/usr/bin/env bash
# `make images`: builds localhost/crm (every service), localhost/crm-kafka and localhost/crm-postgres with podman.
# The Debian base is built once from packages (deploy/images/base.sh, cached in var/images); the Kafka jars come
# from var/kafka-libs (deploy/kafka/kafka.sh install). Contexts are staged under var/images so nothing else of
# the checkout (var/, .venv) is sent to the builder.
# Usage: deploy/images/build.sh [app|kafka|postgres ...] (default: all). Env: CRM_IMAGE_TAG (latest).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
tag=${CRM_IMAGE_TAG:-latest}
stage=$root/var/images
podman() { "$here/podman.sh" "$@"; }

"$here/base.sh"

# A fresh copy of a folder, without caches (the builder's layer cache compares contents, not times).
sync_dir() {
  rm -rf "$2"; mkdir -p "$(dirname "$2")"; cp -a "$1" "$2"
  find "$2" -type d \( -name __pycache__ -o -name .mypy_cache \) -prune -exec rm -rf {} +
}

app() {
  local ctx=$stage/app
  mkdir -p "$ctx/deps" "$ctx/src"
  # deps/: the lock and every member's pyproject.toml only (the third-party layer); src/: the sources.
  (cd "$root" && for f in pyproject.toml uv.lock contracts/pyproject.toml kit/pyproject.toml services/*/pyproject.toml; do
     mkdir -p "$ctx/deps/$(dirname "$f")"; cp -p "$f" "$ctx/deps/$f"; done)
  for m in contracts kit services; do
    sync_dir "$root/$m" "$ctx/src/$m"
  done
  find "$ctx/src" -type d -name tests -prune -exec rm -rf {} +
  cp -p "$root/pyproject.toml" "$root/uv.lock" "$ctx/src/"
  cp -p "$here/healthcheck.py" "$ctx/"
  # The machine's extra CAs (a proxy's), for the builder's downloads only.
  rm -rf "$ctx/ca"; mkdir -p "$ctx/ca"
  find /usr/local/share/ca-certificates -name '*.crt' -exec cp {} "$ctx/ca/" \; 2>/dev/null || true
  podman build --format docker -q -f "$here/Containerfile" -t "localhost/crm:$tag" "$ctx" >/dev/null
  echo "built localhost/crm:$tag"
}

kafka() {
  local ctx=$stage/kafka
  "$root/deploy/kafka/kafka.sh" install
  sync_dir "$root/var/kafka-libs" "$ctx/kafka-libs"
  cp -p "$root/deploy/kafka/log4j2.yaml" "$here/kafka-entrypoint.sh" "$ctx/"
  podman build --format docker -q -f "$here/Containerfile.kafka" -t "localhost/crm-kafka:$tag" "$ctx" >/dev/null
  echo "built localhost/crm-kafka:$tag"
}

postgres() {
  local ctx=$stage/postgres
  mkdir -p "$ctx"
  cp -p "$here/postgres-entrypoint.sh" "$ctx/"
  podman build --format docker -q -f "$here/Containerfile.postgres" -t "localhost/crm-postgres:$tag" "$ctx" >/dev/null
  echo "built localhost/crm-postgres:$tag"
}

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(app kafka postgres)
for t in "${targets[@]}"; do
  case "$t" in app|kafka|postgres) "$t" ;; *) echo "unknown image: $t" >&2; exit 2 ;; esac
done
