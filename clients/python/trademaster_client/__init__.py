"""Python client for the TradeMaster gRPC API v1.

``Client`` (sync) and ``AsyncClient`` (asyncio) reach every service; requests and responses
are the generated messages from ``trademaster.api.<service>.v1.<service>_pb2`` (distribution
``trademaster-api``). See clients/python/README.md and the API reference at ``/docs/api``.
"""

from trademaster_client.aio import AsyncClient, AsyncEventStream
from trademaster_client.client import Client
from trademaster_client.credentials import PasswordLogin, ServiceToken, Token
from trademaster_client.endpoints import Endpoints
from trademaster_client.errors import (
    AbortedError,
    AlreadyExistsError,
    DeadlineExceededError,
    FailedPreconditionError,
    InternalError,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
    ResourceExhaustedError,
    TradeMasterError,
    UnauthenticatedError,
    UnavailableError,
)
from trademaster_client.events import (
    RISK_GLOBAL_TOPIC,
    EventStream,
    backtest_topic,
    risk_account_topic,
    training_job_topic,
)
from trademaster_client.rpcs import RPCS, RpcInfo

__all__ = [
    "RISK_GLOBAL_TOPIC",
    "RPCS",
    "AbortedError",
    "AlreadyExistsError",
    "AsyncClient",
    "AsyncEventStream",
    "Client",
    "DeadlineExceededError",
    "Endpoints",
    "EventStream",
    "FailedPreconditionError",
    "InternalError",
    "InvalidArgumentError",
    "NotFoundError",
    "PasswordLogin",
    "PermissionDeniedError",
    "ResourceExhaustedError",
    "RpcInfo",
    "ServiceToken",
    "Token",
    "TradeMasterError",
    "UnauthenticatedError",
    "UnavailableError",
    "backtest_topic",
    "risk_account_topic",
    "training_job_topic",
]
