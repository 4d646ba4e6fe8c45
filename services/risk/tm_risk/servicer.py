"""RiskService skeleton: the server, auth and health run for real; every RPC
answers UNIMPLEMENTED until the risk issue fills it in."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from trademaster.api.risk.v1 import risk_pb2, risk_pb2_grpc
from trademaster.service.auth import current_principal
from trademaster.service.authz import authorize, permission_for_rpc
from trademaster.service.errors import Unimplemented

_LOGGER = logging.getLogger(__name__)

Handler = Callable[[Any, Any, grpc.aio.ServicerContext], Awaitable[Any]]


def _unimplemented(method: str) -> Handler:
    row = permission_for_rpc(f"/{risk_pb2.DESCRIPTOR.package}.RiskService/{method}")
    assert row is not None, f"RiskService/{method} has no row in trademaster.service.authz"

    async def handler(self: Any, request: Any, context: grpc.aio.ServicerContext) -> Any:
        authorize(current_principal(), row.resource, row.action)
        raise Unimplemented(f"{method} is not implemented yet", reason="NOT_IMPLEMENTED_YET")

    handler.__name__ = method
    return handler


class RiskServicer(risk_pb2_grpc.RiskServiceServicer):
    """Answers UNIMPLEMENTED (with a reason) for every RPC of RiskService."""

    CheckOrder = _unimplemented("CheckOrder")
    SubmitOrder = _unimplemented("SubmitOrder")
    CancelOrder = _unimplemented("CancelOrder")
    GetOrder = _unimplemented("GetOrder")
    ListOrders = _unimplemented("ListOrders")
    ListFills = _unimplemented("ListFills")
    ListPositions = _unimplemented("ListPositions")
    GetLimits = _unimplemented("GetLimits")
    SetLimits = _unimplemented("SetLimits")
    GetTradingState = _unimplemented("GetTradingState")
    SetTradingState = _unimplemented("SetTradingState")
    KillSwitch = _unimplemented("KillSwitch")
    ListDecisions = _unimplemented("ListDecisions")
    CreateAccount = _unimplemented("CreateAccount")
    GetAccount = _unimplemented("GetAccount")
    ListAccounts = _unimplemented("ListAccounts")
