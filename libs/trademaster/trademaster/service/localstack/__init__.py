"""Embedded local stack: supervised PostgreSQL, Redis, Ray head and platform services.

One implementation serves both `./tm up` (see `trademaster.service.localstack.local`) and the
test fixtures in `tests/conftest.py`.
"""

from trademaster.service.localstack.postgres import PostgresServer
from trademaster.service.localstack.processes import (
    ManagedProcess,
    StartupError,
    free_port,
    group_members,
)
from trademaster.service.localstack.prometheus import PrometheusServer
from trademaster.service.localstack.ray_head import RayHead
from trademaster.service.localstack.redis_server import RedisServer
from trademaster.service.localstack.services import (
    DEPENDENCIES,
    GRPC_SERVICES,
    SERVICE_NAMES,
    ServiceProcess,
    missing_entry_points,
    service_env,
    startup_waves,
)
from trademaster.service.localstack.stack import Stack, StackConfig, StackPorts

__all__ = [
    "DEPENDENCIES",
    "GRPC_SERVICES",
    "SERVICE_NAMES",
    "ManagedProcess",
    "PostgresServer",
    "PrometheusServer",
    "RayHead",
    "RedisServer",
    "ServiceProcess",
    "Stack",
    "StackConfig",
    "StackPorts",
    "StartupError",
    "free_port",
    "group_members",
    "missing_entry_points",
    "service_env",
    "startup_waves",
]
