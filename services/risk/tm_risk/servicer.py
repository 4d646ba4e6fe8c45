"""RiskService skeleton: the server, auth and health run for real; every RPC
answers UNIMPLEMENTED until the risk issue fills it in."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from trademaster.api.risk.v1 import risk_pb2_grpc
from trademaster.service.errors import Unimplemented

_LOGGER = logging.getLogger(__name__)

Handler = Callable[[Any, Any, grpc.aio.ServicerContext], Awaitable[Any]]


def _unimplemented(method: str) -> Handler:
    async def handler(self: Any, request: Any, context: grpc.aio.ServicerContext) -> Any:
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
    ListTradingStateChanges = _unimplemented("ListTradingStateChanges")
    ListDecisions = _unimplemented("ListDecisions")
    GetDecision = _unimplemented("GetDecision")
    VerifyAuditChain = _unimplemented("VerifyAuditChain")
    PutInstrument = _unimplemented("PutInstrument")
    ListInstruments = _unimplemented("ListInstruments")
    CreateAccount = _unimplemented("CreateAccount")
    GetAccount = _unimplemented("GetAccount")
    ListAccounts = _unimplemented("ListAccounts")
