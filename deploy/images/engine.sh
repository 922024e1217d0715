#!/usr/bin/env bash
# A Docker-compatible API for testcontainers: `podman system service` on var/podman.sock, with the project's
# containers.conf. Usage: deploy/images/engine.sh start|stop|env   (`env` prints the variables to export).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
sock=$root/var/podman.sock
pidfile=$root/var/podman-service.pid
export CONTAINERS_CONF=${CONTAINERS_CONF:-$here/containers.conf}

running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

case "${1:-}" in
  start)
    if running; then exit 0; fi
    "$here/podman.sh" --version >/dev/null  # installs podman when missing
    mkdir -p "$root/var"; rm -f "$sock"
    nohup podman --runtime runc --cgroup-manager=cgroupfs system service --time=0 "unix://$sock" \
      >"$root/var/podman-service.log" 2>&1 &
    echo $! >"$pidfile"
    for _ in $(seq 1 50); do [ -S "$sock" ] && exit 0; sleep 0.2; done
    echo "podman system service did not create $sock (see var/podman-service.log)" >&2; exit 1
    ;;
  stop)
    if running; then kill "$(cat "$pidfile")"; fi
    rm -f "$pidfile" "$sock"
    ;;
  env) echo "DOCKER_HOST=unix://$sock TESTCONTAINERS_RYUK_DISABLED=true" ;;
  *) echo "usage: $0 start|stop|env" >&2; exit 2 ;;
esac
