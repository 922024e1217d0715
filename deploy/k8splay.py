"""Turn the rendered Kubernetes base into what `podman kube play` (4.3) runs, and check the played system.

`deploy/k8s/play.sh` (`make k8s-play`) renders the kustomize base, calls ``plan`` to write one YAML file per
workload, plays them on one podman network and calls ``check`` against the gateway. What podman cannot run the
way a cluster does is converted or skipped here, and each decision is reported with its reason:

- Deployments, ConfigMaps and PersistentVolumeClaims are played as they are (podman runs `replicas` pods).
- StatefulSets become one Pod per replica, named and with a hostname as the cluster names them (kafka-0,
  kafka-1, ...), each with its own claim from the volumeClaimTemplates (data-kafka-0, ...): podman 4.3 plays
  no StatefulSet.
- Services become network aliases: every pod a Service selects gets the Service's name as a DNS alias on the
  play's network (two gateway pods answer to `gateway`), and a pod of a headless Service's StatefulSet also
  `<pod>.<service>` (kafka-0.kafka), so the manifests' addresses resolve unchanged.
- The Secret is created with `podman secret create` in the form podman 4.3's `secretKeyRef` reads (a JSON map
  of base64 values); the Secret kind itself is stored by podman 4.3 as YAML that its own `secretKeyRef` cannot
  parse ("secret ... is not valid JSON").
- HorizontalPodAutoscalers, PodDisruptionBudgets and Namespaces are skipped: podman has no autoscaler, no
  evictions and no namespaces.
- Container ports are dropped (probes name them by number): podman 4.3 publishes each on the host.
- CPU and memory requests are made small: several people share this machine's two cores, and a request only
  reserves (no pod needs it to start).
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

Doc = dict[str, Any]

# Requests for the play: the manifests' requests (sized for a cluster from the benchmarks) would reserve more
# than the machine has; limits (memory only) stay as the manifests say.
PLAY_REQUESTS = {"cpu": "50m", "memory": "64Mi"}
# Settings that differ in the play: three 1 GiB Kafka heaps are more than a shared test machine should give
# (deploy/compose.yaml uses 512m as well).
PLAY_CONFIG = {"KAFKA_HEAP": "512m"}

SKIPPED_WHY = {
    "Service": "podman plays no Services: each name is a DNS alias of the pods it selects on the play's network",
    "HorizontalPodAutoscaler": "podman has no autoscaler: the Deployment runs its manifest's replicas",
    "PodDisruptionBudget": "podman has no evictions or node drains to budget",
    "Namespace": "podman has no namespaces",
}


@dataclass
class Play:
    """One `podman kube play` call: a file's documents and the DNS aliases of its pods."""

    name: str
    docs: list[Doc]
    aliases: list[str] = field(default_factory=list)
    note: str = ""


@dataclass
class Plan:
    """What to play, in order, and what was left out or converted, with the reasons."""

    plays: list[Play]
    secrets: dict[str, dict[str, str]]
    volumes: list[str]
    skipped: list[tuple[str, str, str]]

    def report(self) -> str:
        """The plan in words: what is played (with its aliases), what is converted and what is skipped."""
        lines = ["played with `podman kube play`:"]
        for play in self.plays:
            kinds = ", ".join(f"{d['kind']} {d['metadata']['name']}" for d in play.docs if d["kind"] != "ConfigMap")
            alias = f"  (DNS: {', '.join(play.aliases)})" if play.aliases else ""
            lines.append(f"  {kinds}{alias}")
            if play.note:
                lines.append(f"    {play.note}")
        lines.append("  ConfigMap crm-config: in every file (podman reads it from the played file)")
        for name in self.secrets:
            lines.append(f"  Secret {name}: podman secret (podman 4.3 cannot read back a played Secret)")
        lines.append("not played:")
        grouped: dict[tuple[str, str], list[str]] = {}
        for kind, name, why in self.skipped:
            grouped.setdefault((kind, why), []).append(name)
        lines.extend(f"  {kind} {', '.join(names)}: {why}" for (kind, why), names in grouped.items())
        return "\n".join(lines)


def _matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def _small_requests(pod_spec: Doc) -> None:
    for container in pod_spec.get("containers", []) + pod_spec.get("initContainers", []):
        resources = container.setdefault("resources", {})
        if "requests" in resources:
            resources["requests"] = dict(PLAY_REQUESTS)


def _unpublish(pod_spec: Doc) -> None:
    """Drop the containers' port list, naming probe ports by number instead.

    podman 4.3 publishes every containerPort on the host's port of the same number: 9092 would collide with a
    Kafka on the host, and two replicas with each other. Pods reach each other on the network without it.
    """
    for container in pod_spec.get("containers", []):
        named = {p["name"]: p["containerPort"] for p in container.pop("ports", []) if "name" in p}
        for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
            for action in ("httpGet", "tcpSocket"):
                target = container.get(probe, {}).get(action)
                if target and isinstance(target.get("port"), str):
                    target["port"] = named[target["port"]]


def _statefulset_pods(sts: Doc) -> tuple[list[Doc], list[Doc]]:
    """The Pods and claims a cluster's StatefulSet controller would create: pod <name>-<i>, claim <tpl>-<pod>."""
    name = sts["metadata"]["name"]
    spec = sts["spec"]
    pods: list[Doc] = []
    claims: list[Doc] = []
    for i in range(int(spec.get("replicas", 1))):
        pod_name = f"{name}-{i}"
        template = copy.deepcopy(spec["template"])
        pod_spec = template["spec"]
        # The cluster's hostname: the Kafka command derives the node id from it (kafka-0 is node 1).
        pod_spec["hostname"] = pod_name
        pod_spec["subdomain"] = spec["serviceName"]
        volumes = pod_spec.setdefault("volumes", [])
        for tpl in spec.get("volumeClaimTemplates", []):
            claim = f"{tpl['metadata']['name']}-{pod_name}"
            volumes.append({"name": tpl["metadata"]["name"], "persistentVolumeClaim": {"claimName": claim}})
            claims.append(
                {
                    "apiVersion": "v1",
                    "kind": "PersistentVolumeClaim",
                    "metadata": {"name": claim, "labels": dict(sts["metadata"].get("labels", {}))},
                    "spec": copy.deepcopy(tpl["spec"]),
                }
            )
        metadata = {"name": pod_name, "labels": dict(template.get("metadata", {}).get("labels", {}))}
        pods.append({"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": pod_spec})
    return pods, claims


def plan(docs: list[Doc]) -> Plan:
    """Split rendered manifests into `podman kube play` calls.

    Args:
        docs: the objects `kustomize build` printed.

    Returns:
        The plays in start order (claims, then StatefulSet pods, then Deployments), the secrets to create
        (name -> key -> base64 value), the volumes the claims create, and what is skipped and why.
    """
    configmaps = [d for d in docs if d["kind"] == "ConfigMap"]
    for cm in configmaps:
        cm["data"] = {**cm.get("data", {}), **{k: v for k, v in PLAY_CONFIG.items() if k in cm.get("data", {})}}
    services = [d for d in docs if d["kind"] == "Service"]
    claims: list[Doc] = [d for d in docs if d["kind"] == "PersistentVolumeClaim"]
    workloads: list[Play] = []
    skipped: list[tuple[str, str, str]] = []
    secrets: dict[str, dict[str, str]] = {}

    def add(name: str, doc: Doc, labels: dict[str, str], note: str = "", pod: str = "", subdomain: str = "") -> None:
        aliases = [s["metadata"]["name"] for s in services if _matches(s["spec"].get("selector", {}), labels)]
        if subdomain in aliases:
            aliases.append(f"{pod}.{subdomain}")
        pod_spec = doc["spec"]["template"]["spec"] if doc["kind"] == "Deployment" else doc["spec"]
        _small_requests(pod_spec)
        _unpublish(pod_spec)
        workloads.append(Play(name, [*copy.deepcopy(configmaps), doc], aliases, note))

    for doc in docs:
        kind, name = doc["kind"], doc["metadata"]["name"]
        if kind == "Deployment":
            add(name, doc, doc["spec"]["template"]["metadata"].get("labels", {}))
        elif kind == "StatefulSet":
            pods, sts_claims = _statefulset_pods(doc)
            claims.extend(sts_claims)
            for pod in pods:
                note = (
                    f"StatefulSet {name} converted to Pod {pod['metadata']['name']} "
                    f"(podman 4.3 plays no StatefulSet), claims {', '.join(c['metadata']['name'] for c in sts_claims)}"
                    if pod is pods[0]
                    else ""
                )
                add(pod["metadata"]["name"], pod, pod["metadata"]["labels"], note, pod["metadata"]["name"],
                    pod["spec"]["subdomain"])  # fmt: skip
        elif kind == "Secret":
            secrets[name] = dict(doc.get("data", {}))
        elif kind in ("ConfigMap", "PersistentVolumeClaim"):
            continue
        else:
            skipped.append((kind, name, SKIPPED_WHY.get(kind, "a kind podman 4.3's kube play does not run")))
    # Claims first (a pod's volume must exist), then the stateful pods, then the services that use them.
    workloads.sort(key=lambda p: p.docs[-1]["kind"] != "Pod")
    plays = [Play("volumes", claims)] if claims else []
    return Plan(plays + workloads, secrets, [c["metadata"]["name"] for c in claims], skipped)


def _ready_command(doc: Doc) -> str:
    """`<container> <command...>` of a Pod's exec readiness probe (PostgreSQL's pg_isready), for podman exec."""
    if doc["kind"] != "Pod":
        return ""
    for container in doc["spec"]["containers"]:
        command = container.get("readinessProbe", {}).get("exec", {}).get("command")
        if command:
            return " ".join([f"{doc['metadata']['name']}-{container['name']}", *command])
    return ""


def write(plan_: Plan, out: Path, network: str) -> None:
    """Write the plan for play.sh: NN-name.yaml, plays.tsv, secrets, volumes, report.

    plays.tsv has one row per `podman kube play`: the file, the --network argument (with the aliases), the
    kind played, and for a Pod with an exec readiness probe the container and command that tell it is ready.

    Args:
        plan_: what ``plan`` returned.
        out: an empty folder.
        network: the podman network every pod joins.
    """
    rows = []
    for i, play in enumerate(plan_.plays):
        path = out / f"{i:02d}-{play.name}.yaml"
        path.write_text(yaml.safe_dump_all(play.docs, sort_keys=False))
        net = network + "".join(f"{',' if n else ':'}alias={a}" for n, a in enumerate(play.aliases))
        rows.append(f"{path.name}\t{net}\t{play.docs[-1]['kind']}\t{_ready_command(play.docs[-1])}")
    (out / "plays.tsv").write_text("\n".join(rows) + "\n")
    for name, data in plan_.secrets.items():
        secret = out / f"secret-{name}.json"
        secret.touch(mode=0o600)
        secret.write_text(json.dumps(data))
    (out / "volumes.txt").write_text("".join(f"{v}\n" for v in plan_.volumes))
    (out / "report.txt").write_text(plan_.report() + "\n")


def check(url: str, password: str, timeout: float = 180) -> str:
    """Log in as admin through the gateway, create a partner and find it in the list.

    Args:
        url: the gateway's base URL.
        password: the admin's password (CRM_ADMIN_PASSWORD of the played Secret).
        timeout: seconds to keep retrying while the partners service is still starting.

    Returns:
        A one-line summary of what was checked.
    """
    name = f"K8s Play SRL {int(time.time())}"
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=url, timeout=15) as client:
        token = client.post("/api/auth/token", json={"username": "admin", "password": password})
        token.raise_for_status()
        client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        while True:
            created = client.post("/api/partners", json={"kind": "client", "name": name, "locality": "Cluj-Napoca"})
            if created.status_code in (200, 201) or time.monotonic() > deadline:
                break
            time.sleep(2)  # the gateway is ready before the partners service it routes to
        if created.status_code not in (200, 201):
            raise SystemExit(f"creating a partner answered {created.status_code}: {created.text[:300]}")
        listed = client.get("/api/partners", params={"name": name})
        listed.raise_for_status()
        body = listed.json()
        items = body if isinstance(body, list) else body.get("items", [])
        if not any(p.get("id") == created.json()["id"] for p in items):
            raise SystemExit(f"partner {created.json()['id']} missing from GET /api/partners: {listed.text[:300]}")
    return f"check passed: logged in as admin, created partner {name!r} ({created.json()['id']}), found in the list"


def main(argv: list[str] | None = None) -> int:
    """`plan RENDERED OUT --network NET` or `check URL` (password from CRM_ADMIN_PASSWORD)."""
    parser = argparse.ArgumentParser(prog="python -m deploy.k8splay")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("plan", help="split rendered manifests into podman kube play files")
    p.add_argument("rendered", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--network", required=True)
    c = sub.add_parser("check", help="log in, create a partner, find it in the list")
    c.add_argument("url")
    c.add_argument("--password-file", type=Path, required=True, help="a secrets.env with CRM_ADMIN_PASSWORD")
    args = parser.parse_args(argv)
    if args.command == "plan":
        docs = [d for d in yaml.safe_load_all(args.rendered.read_text()) if d]
        result = plan(docs)
        write(result, args.out, args.network)
        print(result.report())
    else:
        env = dict(line.split("=", 1) for line in args.password_file.read_text().splitlines() if "=" in line)
        print(check(args.url, env["CRM_ADMIN_PASSWORD"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
