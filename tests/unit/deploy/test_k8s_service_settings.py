"""Each Deployment's environment is a valid configuration of the service it runs.

Services read ``TM_<SERVICE>_*`` with ``extra="ignore"``, so a misspelt key in a ConfigMap would
be dropped silently and the pod would run on a default (or fail at start on a cluster only).
Here the rendered container env (ConfigMaps via ``envFrom`` plus ``env``; Secret references get
a placeholder of the right shape) must name only real settings fields and load through the
service's own settings class, as ``python -m tm_<service>`` does at start.
"""

from __future__ import annotations

import functools
import importlib
import os
from typing import Any

import pytest
from support.k8s_render import OVERLAYS, render
from trademaster.service.localstack import SERVICE_NAMES
from trademaster.service.settings import ServiceSettings

pytestmark = pytest.mark.unit

_render = functools.cache(render)  # read-only here: one kubectl run per overlay

SETTINGS = {
    "gateway": "GatewaySettings",
    "strategy": "StrategySettings",
    "trainer": "TrainerSettings",
    "backtest": "BacktestSettings",
    "risk": "RiskSettings",
    "notifier": "NotifierSettings",
}
# The shape of what the operator's Secrets hold (deploy/k8s/README.md, "Secrets").
SECRET_PLACEHOLDERS = {
    "uri": "postgresql://user:pass@tm-postgres:5432/trademaster",
    "url": "redis://tm-redis:6379/0",
    "jwt-secret": "0123456789abcdef0123456789abcdef",
    "admin-password": "an-admin-password",
}


def _container_env(objects: list[dict[str, Any]], name: str) -> dict[str, str]:
    config_maps = {
        o["metadata"]["name"]: o.get("data", {}) for o in objects if o["kind"] == "ConfigMap"
    }
    (deployment,) = [
        o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"] == f"tm-{name}"
    ]
    (container,) = [
        c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == name
    ]
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        ref = source["configMapRef"]["name"]
        assert ref in config_maps, f"tm-{name}: envFrom names a missing ConfigMap {ref}"
        env.update(config_maps[ref])
    for item in container.get("env", []):
        if "value" in item:
            env[item["name"]] = item["value"]
        else:
            key = item["valueFrom"]["secretKeyRef"]["key"]
            env[item["name"]] = SECRET_PLACEHOLDERS[key]
    return env


def _settings_class(name: str) -> type[ServiceSettings]:
    cls = getattr(importlib.import_module(f"tm_{name}.config"), SETTINGS[name])
    assert issubclass(cls, ServiceSettings)
    return cls


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_deployment_env_is_a_valid_service_configuration(
    overlay: str, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = _container_env(_render(overlay), name)
    cls = _settings_class(name)
    prefix = f"TM_{name.upper()}_"
    unknown = [
        key
        for key in env
        if key.startswith(prefix) and key[len(prefix) :].lower() not in cls.model_fields
    ]
    assert not unknown, f"{overlay}: tm-{name} sets keys its settings ignore: {unknown}"
    stray = [key for key in env if key.startswith("TM_") and not key.startswith(prefix)]
    assert not stray, f"{overlay}: tm-{name} gets another service's settings: {stray}"
    for key in list(os.environ):
        if key.startswith("TM_"):
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = cls()  # type: ignore[call-arg]  # from the environment, as at start
    assert settings.metrics_host == "0.0.0.0" and settings.metrics_port == 9090  # noqa: S104
    assert settings.grpc_host == "0.0.0.0" and settings.grpc_port == 50051  # noqa: S104
