#!/usr/bin/env bash
# Builds the base image localhost/debian:bookworm-min from Debian packages (no registry is needed):
# debootstrap a minimal bookworm into var/images/rootfs once, cache it as var/images/bookworm-min.tar,
# and import it into podman when the image is missing.
# Env: CRM_DEBIAN_MIRROR (the machine's apt mirror, else http://deb.debian.org/debian).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cache=$root/var/images
image=localhost/debian:bookworm-min
podman() { "$here/podman.sh" "$@"; }

mirror() {
  if [ -n "${CRM_DEBIAN_MIRROR:-}" ]; then echo "$CRM_DEBIAN_MIRROR"; return; fi
  # The first Debian (not security) URI the machine's apt uses: the mirror it can reach.
  local m
  m=$(grep -hsE '^(URIs:|deb )' /etc/apt/sources.list.d/* /etc/apt/sources.list 2>/dev/null \
      | grep -v security | head -n 1 | awk '{ if ($1 == "deb") { for (i = 2; i <= NF; i++) if ($i ~ /^http/) { print $i; exit } } else print $2 }')
  echo "${m:-http://deb.debian.org/debian}"
}

if podman image exists "$image"; then exit 0; fi
mkdir -p "$cache"
if [ ! -s "$cache/bookworm-min.tar" ]; then
  rm -rf "$cache/rootfs"
  debootstrap --variant=minbase bookworm "$cache/rootfs" "$(mirror)" >"$cache/debootstrap.log" 2>&1 \
    || { tail -n 20 "$cache/debootstrap.log" >&2; exit 1; }
  # apt caches and lists are not part of an image; they are fetched again by the layer that installs.
  rm -rf "$cache/rootfs/var/cache/apt/archives/"*.deb "$cache/rootfs/var/lib/apt/lists/"*
  tar -C "$cache/rootfs" -cf "$cache/bookworm-min.tar.tmp" .
  mv "$cache/bookworm-min.tar.tmp" "$cache/bookworm-min.tar"
  rm -rf "$cache/rootfs"
fi
podman import "$cache/bookworm-min.tar" "$image" >/dev/null
echo "imported $image"
