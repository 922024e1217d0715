#!/usr/bin/env bash
# `make k8s-validate`: renders the base and the production overlay with kustomize and validates every object
# against the Kubernetes JSON schemas (kubernetes-validate from PyPI ships them) in strict mode: unknown fields,
# wrong types and missing required fields are errors. Without overlays/production/secrets.env the overlay is
# rendered from a copy with throwaway secrets.
# Tools (installed on first use, offline afterwards): kustomize v5 (Go module proxy) into var/tools/bin,
# kubernetes-validate (PyPI) through `uv tool run`.
# Env: CRM_K8S_VERSION (1.32.0: the Kubernetes version whose schemas are used).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
tools=$root/var/tools/bin
out=$root/var/k8s
KUSTOMIZE_VERSION=v5.7.1
VALIDATE_VERSION=1.37.0
k8s_version=${CRM_K8S_VERSION:-1.32.0}

if [ ! -x "$tools/kustomize" ] || ! "$tools/kustomize" version 2>/dev/null | grep -q "$KUSTOMIZE_VERSION"; then
  # Go from PATH, or where the official toolchain installs (this machine kind's; not always on PATH).
  command -v go >/dev/null || export PATH=$PATH:/usr/local/go/bin
  command -v go >/dev/null || { echo "installing kustomize needs Go 1.22 or newer on PATH" >&2; exit 1; }
  mkdir -p "$tools"
  GOBIN=$tools go install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"
fi
validate() { uv tool run -q --from "kubernetes-validate==$VALIDATE_VERSION" kubernetes-validate "$@"; }

rm -rf "$out"; mkdir -p "$out"
"$tools/kustomize" build "$here/base" >"$out/base.yaml"
if [ -f "$here/overlays/production/secrets.env" ]; then
  "$tools/kustomize" build "$here/overlays/production" >"$out/production.yaml"
else
  cp -r "$here" "$out/src"
  "$here/secrets.sh" >"$out/src/overlays/production/secrets.env"
  "$tools/kustomize" build "$out/src/overlays/production" >"$out/production.yaml"
  rm -rf "$out/src"
fi
status=0
for f in base production; do
  # One document per file: kubernetes-validate reports each object by file.
  mkdir -p "$out/$f"
  uv run --project "$root" python - "$out/$f.yaml" "$out/$f" <<'PY'
import sys
from pathlib import Path

import yaml

for i, doc in enumerate(d for d in yaml.safe_load_all(Path(sys.argv[1]).read_text()) if d):
    Path(sys.argv[2], f"{i:02d}-{doc['kind']}-{doc['metadata']['name']}.yaml").write_text(yaml.safe_dump(doc))
PY
  validate --strict --quiet -k "$k8s_version" "$out/$f"/*.yaml || status=1
  echo "$f: $(ls "$out/$f" | wc -l) objects validated (Kubernetes $k8s_version schemas, strict)"
done
exit $status
