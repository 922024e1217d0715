#!/usr/bin/env bash
# `make k8s-play`: runs the kustomize base with `podman kube play` (podman 4.3) on one podman network, waits
# until the gateway's /readyz says ready, logs in as admin, creates a partner and finds it in the list, prints
# what was played and what was skipped, and tears everything down (also on failure).
# What podman cannot play is converted or skipped by deploy/k8splay.py (StatefulSets become Pods, Services
# become DNS aliases on the network, the Secret a podman secret); see deploy/k8s/README.md.
# Usage: deploy/k8s/play.sh [up|down]   up (default): play, check, tear down; down: remove what a play left.
# Env: CRM_K8S_PLAY_KEEP=1 keeps the pods running after the check (then `make k8s-play-down`);
#      CRM_K8S_PLAY_TIMEOUT (600: seconds to wait for the gateway's /readyz).
# Images: localhost/crm, crm-kafka, crm-postgres from `make images` (not rebuilt here).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
state=$root/var/k8s-play
network=crm-k8s-play
podman() { "$root/deploy/images/podman.sh" "$@"; }
started=$SECONDS

down() {
  local f
  if [ -f "$state/plays/plays.tsv" ]; then
    # Services first, the stateful pods and the claims last: the reverse of the start order.
    tac "$state/plays/plays.tsv" | while IFS=$'\t' read -r f _; do
      podman kube down "$state/plays/$f" >/dev/null 2>&1 || true
    done
  fi
  if [ -f "$state/plays/volumes.txt" ]; then
    # shellcheck disable=SC2046
    podman volume rm -f $(cat "$state/plays/volumes.txt") >/dev/null 2>&1 || true
  fi
  for f in "$state"/plays/secret-*.json; do
    [ -e "$f" ] || continue  # no plan left: nothing was played
    f=${f##*/secret-}; podman secret rm "${f%.json}" >/dev/null 2>&1 || true
  done
  # -f also removes any container still on the network: only this script's pods join it.
  podman network rm -f "$network" >/dev/null 2>&1 || true
  rm -rf "$state/plays"
}

# Runs each "<container> <command...>" (an exec readiness probe) until it succeeds, at most 180 s in all.
wait_exec() {
  local probe deadline=$((SECONDS + 180))
  for probe in "$@"; do
    # shellcheck disable=SC2086
    until podman exec $probe >/dev/null 2>&1; do
      [ $SECONDS -lt $deadline ] || { echo "not ready: $probe" >&2; exit 1; }
      sleep 2
    done
    echo "ready: ${probe%% *} ($((SECONDS - started)) s)"
  done
}

render() {
  [ -x "$root/var/tools/bin/kustomize" ] || "$here/validate.sh" >/dev/null  # installs kustomize
  # The base with fresh secrets (its own are placeholders the services refuse), rendered as a cluster gets it.
  rm -rf "$state/src"; mkdir -p "$state"; chmod 700 "$state"
  cp -r "$here/base" "$state/src"
  "$here/secrets.sh" >"$state/src/secrets.env"
  "$root/var/tools/bin/kustomize" build "$state/src" >"$state/rendered.yaml"
}

up() {
  local image
  for image in crm crm-kafka crm-postgres; do
    podman image exists "localhost/$image:latest" || { echo "localhost/$image missing: run \`make images\`" >&2; exit 1; }
  done
  down
  render
  mkdir -p "$state/plays"
  (cd "$root" && uv run -q python -m deploy.k8splay plan "$state/rendered.yaml" "$state/plays" --network "$network") \
    >"$state/report.txt"
  [ "${CRM_K8S_PLAY_KEEP:-0}" = 1 ] || trap 'echo "tearing down ..."; down; echo "torn down ($((SECONDS - started)) s in all)"' EXIT
  podman network create "$network" >/dev/null
  local f secret
  for f in "$state"/plays/secret-*.json; do
    secret=${f##*/secret-}; podman secret create "${secret%.json}" "$f" >/dev/null
  done
  local net kind ready waits=()
  while IFS=$'\t' read -r f net kind ready; do
    if [ "$kind" = Deployment ] && [ ${#waits[@]} -gt 0 ]; then
      # The services migrate their database first thing: started before PostgreSQL answers, each exits and is
      # restarted (as in a cluster), which costs a Python start per try on a shared CPU. Kafka is not waited
      # for: the services start without it and /readyz says "degraded" until it answers.
      wait_exec "${waits[@]}"; waits=()
    fi
    podman kube play --network "$net" "$state/plays/$f" >"$state/play.log" 2>&1 \
      || { cat "$state/play.log" >&2; echo "podman kube play $f failed" >&2; exit 1; }
    [ -z "$ready" ] || waits+=("$ready")
  done <"$state/plays/plays.tsv"
  echo "played in $((SECONDS - started)) s; waiting for the gateway's /readyz ..."

  # The host reaches pods on the network's bridge directly; no port is published.
  local ip url deadline=$((SECONDS + ${CRM_K8S_PLAY_TIMEOUT:-600}))
  ip=$(podman inspect gateway-pod-0-gateway --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}')
  url=http://$ip:8000
  until curl -fsS -m 5 "$url/readyz" 2>/dev/null | grep -q '"ready"'; do
    if [ $SECONDS -ge $deadline ]; then
      echo "the gateway's /readyz did not say ready within ${CRM_K8S_PLAY_TIMEOUT:-600} s" >&2
      podman pod ps >&2; podman logs --tail 30 gateway-pod-0-gateway >&2 || true
      exit 1
    fi
    sleep 3
  done
  echo "gateway ready at $url after $((SECONDS - started)) s"
  (cd "$root" && uv run -q python -m deploy.k8splay check "$url" --password-file "$state/src/secrets.env")
  echo "checked after $((SECONDS - started)) s"
  # Restarts show what a cluster would show as CrashLoopBackOff (e.g. a service started before its database).
  local pod pods=()
  for pod in $(podman pod ps --filter "network=$network" --format '{{.Name}}'); do pods+=(--filter "pod=$pod"); done
  podman ps "${pods[@]}" --format '{{.Names}}' | grep -v -- '-infra$' | sort | while read -r f; do
    podman inspect "$f" --format '  {{.Name}}: {{.State.Status}}, {{.RestartCount}} restarts'
  done
  cat "$state/report.txt"
  [ "${CRM_K8S_PLAY_KEEP:-0}" != 1 ] || echo "left running (CRM_K8S_PLAY_KEEP=1): the gateway is $url; \`make k8s-play-down\` removes it"
}

case "${1:-up}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 [up|down]" >&2; exit 2 ;;
esac
