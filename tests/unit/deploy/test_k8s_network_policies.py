"""NetworkPolicies allow exactly the platform's client→server edges, derived from configuration.

The real edges come from what each workload is configured to call in the rendered manifests:
peer addresses in its ConfigMaps (``tm-strategy:50051``, ``http://tm-ray-head-svc:8265``) and
the Secrets it connects with (``tm-database``/``tm-postgres-app`` → PostgreSQL, ``tm-redis`` →
Redis). The one edge no manifest shows: Ray training jobs publish events to Redis with the URL
the trainer passes in the job's runtime env (``TM_JOB_REDIS_URL``). Every in-namespace edge a
policy allows must be such a pair, on both the server's ingress and the client's egress, and
every pair must be allowed; edges to other namespaces are listed explicitly below.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from support.k8s_render import OVERLAYS, pod_templates, render

pytestmark = pytest.mark.unit

Edge = tuple[str, str, int | None]  # client app, server app, port (None: any port)
PEER = re.compile(r"\b(?:https?://)?(tm-[a-z]+)(?:-head-svc)?:(\d+)\b")
SECRET_SERVERS = {
    "tm-database": ("tm-postgres", 5432),
    "tm-postgres-app": ("tm-postgres", 5432),
    "tm-redis": ("tm-redis", 6379),
}
NOT_IN_MANIFESTS: set[Edge] = {("tm-ray", "tm-redis", 6379), ("tm-ray", "tm-risk", 50051)}
"""Ray job pods get their peers from the job spec: Redis, and the risk service for deployment
runners (the trainer's TM_TRAINER_RISK_ADDR)."""
RAY_INTERNAL: set[Edge] = {("tm-ray", "tm-ray", None)}
# (policy, direction, namespace, port): ingress controller, other teams' gRPC clients,
# Prometheus, the OTel collector, the Kubernetes API for the Ray autoscaler.
EXTERNAL = {
    ("tm-gateway", "ingress", "ingress-nginx", 8080),
    ("tm-trainer", "ingress", "label:trademaster.io/grpc-client", 50051),
    *{
        (f"tm-{n}", "ingress", "monitoring", 9090)
        for n in ("gateway", "strategy", "trainer", "backtest", "risk", "notifier")
    },
    ("tm-ray", "ingress", "monitoring", 8080),
    *{
        (f"tm-{n}", "egress", "monitoring", 4317)
        for n in ("gateway", "strategy", "trainer", "backtest", "risk", "notifier", "ray")
    },
}


def _app(labels: dict[str, str]) -> str:
    return labels["app.kubernetes.io/name"]


def configured_edges(objects: list[dict[str, Any]]) -> set[Edge]:
    config = {
        obj["metadata"]["name"]: obj.get("data", {})
        for obj in objects
        if obj["kind"] == "ConfigMap"
    }
    edges: set[Edge] = set()
    for obj in objects:
        for _name, template in pod_templates(obj):
            client = _app(template["metadata"]["labels"])
            for container in [
                *template["spec"].get("initContainers", []),
                *template["spec"]["containers"],
            ]:
                values = [env.get("value", "") for env in container.get("env", [])]
                for source in container.get("envFrom", []):
                    values += config[source["configMapRef"]["name"]].values()
                for value in values:
                    for server, port in PEER.findall(str(value)):
                        edges.add((client, server, int(port)))
                for env in container.get("env", []):
                    ref = env.get("valueFrom", {}).get("secretKeyRef", {})
                    if ref.get("name") in SECRET_SERVERS and env["name"].endswith("_URL"):
                        server, port = SECRET_SERVERS[ref["name"]]
                        edges.add((client, server, port))
    return {edge for edge in edges if edge[0] != edge[1]}


def _peer(peer: dict[str, Any]) -> str:
    if "namespaceSelector" in peer:
        labels = peer["namespaceSelector"]["matchLabels"]
        name = labels.get("kubernetes.io/metadata.name")
        return name or "label:" + ",".join(labels)
    if "ipBlock" in peer:
        return "ipBlock"
    return _app(peer["podSelector"]["matchLabels"])


def policy_edges(objects: list[dict[str, Any]], direction: str) -> tuple[set[Edge], set[Any]]:
    """In-namespace edges a direction allows, and the external rules (namespace, ipBlock)."""
    internal: set[Edge] = set()
    external: set[Any] = set()
    for policy in objects:
        if policy["kind"] != "NetworkPolicy":
            continue
        labels = policy["spec"]["podSelector"].get("matchLabels", {})
        if "app.kubernetes.io/name" not in labels:
            continue  # namespace-wide: default deny, DNS
        subject = labels["app.kubernetes.io/name"]
        key = "from" if direction == "ingress" else "to"
        for rule in policy["spec"].get(direction, []):
            ports = [p["port"] for p in rule.get("ports", [])] or [None]
            for peer in rule[key]:
                other = _peer(peer)
                for port in ports:
                    if "podSelector" in peer and "namespaceSelector" not in peer:
                        pair = (other, subject) if direction == "ingress" else (subject, other)
                        internal.add((*pair, port))
                    elif other != "ipBlock":
                        external.add((subject, direction, other, port))
    return internal, external


@pytest.fixture(scope="module", params=OVERLAYS)
def objects(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    return render(request.param)


def test_default_deny_and_dns_only_namespace_wide(objects: list[dict[str, Any]]) -> None:
    wide = {
        p["metadata"]["name"]: p["spec"]
        for p in objects
        if p["kind"] == "NetworkPolicy" and not p["spec"]["podSelector"]
    }
    assert wide["default-deny"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    (dns,) = wide["allow-dns"]["egress"]
    assert {p["port"] for p in dns["ports"]} == {53} and set(wide) == {"default-deny", "allow-dns"}


def test_the_configured_edges_are_the_architecture(objects: list[dict[str, Any]]) -> None:
    """Guards the derivation itself: it must find the gRPC map of ARCHITECTURE.md."""
    grpc = {(c, s) for c, s, port in configured_edges(objects) if port == 50051}
    gateway_calls = {
        ("tm-gateway", f"tm-{n}") for n in ("strategy", "trainer", "backtest", "risk", "notifier")
    }
    # The trainer reads strategies and datasets, checks deployments' accounts and reads the
    # backtest curves its tracking-error gate compares paper equity with, the backtest
    # reads datasets and trained jobs, and the strategy service's model registry reads jobs and
    # their backtests.
    assert grpc == gateway_calls | {
        ("tm-trainer", "tm-strategy"),
        ("tm-trainer", "tm-risk"),
        ("tm-trainer", "tm-backtest"),
        ("tm-backtest", "tm-strategy"),
        ("tm-backtest", "tm-trainer"),
        ("tm-strategy", "tm-trainer"),
        ("tm-strategy", "tm-backtest"),
    }
    assert ("tm-trainer", "tm-ray", 8265) in configured_edges(objects)


@pytest.mark.parametrize("direction", ["ingress", "egress"])
def test_policies_allow_exactly_the_configured_edges(
    objects: list[dict[str, Any]], direction: str
) -> None:
    internal, external = policy_edges(objects, direction)
    expected = configured_edges(objects) | NOT_IN_MANIFESTS | RAY_INTERNAL
    assert internal - expected == set(), f"{direction} allows edges nobody uses"
    assert expected - internal == set(), f"{direction} misses edges the platform needs"
    assert external == {e for e in EXTERNAL if e[1] == direction}


def test_every_policy_selects_a_workload(objects: list[dict[str, Any]]) -> None:
    apps = {
        _app(template["metadata"]["labels"])
        for obj in objects
        for _name, template in pod_templates(obj)
    }
    if any(obj["kind"] == "Cluster" for obj in objects):
        apps.add("tm-postgres")  # CloudNativePG instance pods (inheritedMetadata label)
    for policy in objects:
        if policy["kind"] != "NetworkPolicy":
            continue
        labels = policy["spec"]["podSelector"].get("matchLabels", {})
        if "app.kubernetes.io/name" in labels:
            assert labels["app.kubernetes.io/name"] in apps, policy["metadata"]["name"]
