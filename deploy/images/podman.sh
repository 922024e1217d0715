#!/usr/bin/env bash
# Podman with the project's settings (deploy/images/containers.conf); installs podman when missing.
# Usage: deploy/images/podman.sh <podman arguments>   e.g. deploy/images/podman.sh images
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export CONTAINERS_CONF=${CONTAINERS_CONF:-$here/containers.conf}
if ! command -v podman >/dev/null || ! command -v debootstrap >/dev/null || ! command -v podman-compose >/dev/null; then
  if [ "$(id -u)" != 0 ]; then echo "please install: podman runc debootstrap uidmap podman-compose (apt-get, as root)" >&2; exit 1; fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc debootstrap uidmap podman-compose >/dev/null
fi
exec podman --runtime runc --cgroup-manager=cgroupfs "$@"
