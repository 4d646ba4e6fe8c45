"""The platform's gRPC surface, read from the generated descriptors (what the table must cover)."""

from __future__ import annotations

import importlib
import pkgutil

import trademaster.api as api_package
from google.protobuf.descriptor import MethodDescriptor


def api_methods() -> dict[str, MethodDescriptor]:
    """``/pkg.Service/Method`` → descriptor, for every RPC of every ``trademaster.api`` service."""
    methods: dict[str, MethodDescriptor] = {}
    for module_info in pkgutil.walk_packages(api_package.__path__, api_package.__name__ + "."):
        if not module_info.name.endswith("_pb2"):
            continue
        module = importlib.import_module(module_info.name)
        for service in module.DESCRIPTOR.services_by_name.values():
            for method in service.methods:
                methods[f"/{service.full_name}/{method.name}"] = method
    return methods
