"""What `make k8s-play` hands to `podman kube play`: deploy/k8splay.py's conversion of rendered manifests."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy import k8splay

ROOT = Path(__file__).resolve().parents[2]


def pod_template(name: str, port: int, probe: dict[str, Any]) -> dict[str, Any]:
    return {
        "metadata": {"labels": {"app.kubernetes.io/name": name}},
        "spec": {
            "containers": [
                {
                    "name": name,
                    "image": f"localhost/{name}:latest",
                    "ports": [{"name": "http", "containerPort": port}],
                    "readinessProbe": probe,
                    "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"memory": "2Gi"}},
                }
            ]
        },
    }


def service(name: str, *, headless: bool = False) -> dict[str, Any]:
    spec: dict[str, Any] = {"selector": {"app.kubernetes.io/name": name}, "ports": [{"port": 1}]}
    if headless:
        spec["clusterIP"] = "None"
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": spec}


def manifests() -> list[dict[str, Any]]:
    """A small rendered base: a ConfigMap, a Secret, a PVC, a StatefulSet, a Deployment, Services, HPA, PDB."""
    return [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "crm-config-abc"}, "data": {"KAFKA_HEAP": "1g"}},
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "crm-secrets-abc"}, "data": {"K": "dmFsdWU="}},
        {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "crm-blobs"}, "spec": {}},
        service("db", headless=True),
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": {"name": "db", "labels": {"app.kubernetes.io/name": "db"}},
            "spec": {
                "serviceName": "db",
                "replicas": 2,
                "template": pod_template("db", 5432, {"exec": {"command": ["pg_isready", "-q"]}}),
                "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"]}}],
            },
        },
        service("web"),
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web"},
            "spec": {"replicas": 2, "template": pod_template("web", 8000, {"httpGet": {"path": "/", "port": "http"}})},
        },
        {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "web"}},
        {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "web"}},
    ]


def played(plan: k8splay.Plan, name: str) -> k8splay.Play:
    return next(p for p in plan.plays if p.name == name)


def test_a_statefulset_becomes_one_pod_per_replica_named_and_hosted_as_the_cluster_names_it() -> None:
    plan = k8splay.plan(manifests())

    pods = [played(plan, f"db-{i}").docs[-1] for i in range(2)]
    assert [p["kind"] for p in pods] == ["Pod", "Pod"]
    assert [(p["metadata"]["name"], p["spec"]["hostname"], p["spec"]["subdomain"]) for p in pods] == [
        ("db-0", "db-0", "db"),
        ("db-1", "db-1", "db"),
    ]
    assert pods[1]["spec"]["volumes"] == [{"name": "data", "persistentVolumeClaim": {"claimName": "data-db-1"}}]


def test_each_stateful_pod_gets_its_own_claim_and_every_claim_is_played_before_any_pod() -> None:
    plan = k8splay.plan(manifests())

    assert plan.plays[0].name == "volumes"
    assert [d["metadata"]["name"] for d in plan.plays[0].docs] == ["crm-blobs", "data-db-0", "data-db-1"]
    assert plan.volumes == ["crm-blobs", "data-db-0", "data-db-1"]
    assert [p.name for p in plan.plays[1:]] == ["db-0", "db-1", "web"]


def test_a_service_name_becomes_a_dns_alias_of_the_pods_it_selects_and_a_headless_pod_also_pod_dot_service() -> None:
    plan = k8splay.plan(manifests())

    assert played(plan, "db-1").aliases == ["db", "db-1.db"]
    assert played(plan, "web").aliases == ["web"]


def test_container_ports_are_dropped_and_a_probe_names_its_port_by_number() -> None:
    plan = k8splay.plan(manifests())

    container = played(plan, "web").docs[-1]["spec"]["template"]["spec"]["containers"][0]
    assert "ports" not in container
    assert container["readinessProbe"]["httpGet"]["port"] == 8000


def test_requests_become_small_while_memory_limits_stay_as_the_manifest_says() -> None:
    plan = k8splay.plan(manifests())

    resources = played(plan, "db-0").docs[-1]["spec"]["containers"][0]["resources"]
    assert resources == {"requests": k8splay.PLAY_REQUESTS, "limits": {"memory": "2Gi"}}


def test_every_played_file_carries_the_configmap_with_the_plays_smaller_kafka_heap() -> None:
    plan = k8splay.plan(manifests())

    for play in plan.plays[1:]:
        assert play.docs[0] == {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "crm-config-abc"},
            "data": {"KAFKA_HEAP": "512m"},
        }


def test_services_autoscalers_and_budgets_are_not_played_and_each_says_why() -> None:
    plan = k8splay.plan(manifests())

    assert [(kind, name) for kind, name, _ in plan.skipped] == [
        ("Service", "db"),
        ("Service", "web"),
        ("HorizontalPodAutoscaler", "web"),
        ("PodDisruptionBudget", "web"),
    ]
    assert all(why for _, _, why in plan.skipped)
    assert "Secret" not in [d["kind"] for p in plan.plays for d in p.docs]


def test_the_written_plan_has_the_secret_as_a_json_map_of_base64_values_and_the_network_with_aliases(
    tmp_path: Path,
) -> None:
    k8splay.write(k8splay.plan(manifests()), tmp_path, "net")

    assert json.loads((tmp_path / "secret-crm-secrets-abc.json").read_text()) == {"K": "dmFsdWU="}
    assert (tmp_path / "secret-crm-secrets-abc.json").stat().st_mode & 0o077 == 0
    rows = [line.split("\t") for line in (tmp_path / "plays.tsv").read_text().splitlines()]
    assert rows == [
        ["00-volumes.yaml", "net", "PersistentVolumeClaim", ""],
        ["01-db-0.yaml", "net:alias=db,alias=db-0.db", "Pod", "db-0-db pg_isready -q"],
        ["02-db-1.yaml", "net:alias=db,alias=db-1.db", "Pod", "db-1-db pg_isready -q"],
        ["03-web.yaml", "net:alias=web", "Deployment", ""],
    ]
    web = yaml.safe_load_all((tmp_path / "03-web.yaml").read_text())
    assert [d["kind"] for d in web] == ["ConfigMap", "Deployment"]


@pytest.mark.skipif(not (ROOT / "var/tools/bin/kustomize").exists(), reason="kustomize: run make k8s-validate")
def test_every_service_of_the_real_base_resolves_to_a_played_pod_and_every_deployment_is_played() -> None:
    rendered = subprocess.run(
        [str(ROOT / "var/tools/bin/kustomize"), "build", str(ROOT / "deploy/k8s/base")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    docs = [d for d in yaml.safe_load_all(rendered) if d]

    plan = k8splay.plan(docs)

    aliases = {a for p in plan.plays for a in p.aliases}
    assert {d["metadata"]["name"] for d in docs if d["kind"] == "Service"} <= aliases
    assert {"kafka-0.kafka", "kafka-1.kafka", "kafka-2.kafka"} <= aliases
    deployments = {d["metadata"]["name"] for d in docs if d["kind"] == "Deployment"}
    assert deployments <= {p.name for p in plan.plays}
    assert [d["kind"] for d in plan.plays[0].docs] == ["PersistentVolumeClaim"] * 6  # 2 shared, 3 Kafka, 1 PG
