"""Dead-man heartbeats of deployments: a deployment that has reported once and then stays
silent longer than its timeout gets its account put in REDUCING (through the state desk, so
the change is audited and announced). Kept in memory: after a risk-service restart the watch
resumes with each deployment's next heartbeat."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from typing import Any

from trademaster.api.risk.v1 import risk_pb2 as pb
from trademaster.risk.model import TradingState
from trademaster.service.authz import Grant
from trademaster.service.errors import InvalidArgument

from tm_risk.runtime import Runtime
from tm_risk.states import StateDesk

_LOGGER = logging.getLogger(__name__)
MAX_TIMEOUT_S = 3600


@dataclass
class _Watch:
    account_key: str
    timeout_s: float
    deadline: float
    """``time.monotonic()`` after which silence trips."""


class DeadMan:
    """Watches deployments' heartbeats; trips their accounts to REDUCING on silence."""

    def __init__(self, runtime: Runtime, states: StateDesk, check_interval_s: float = 0.25) -> None:
        self._runtime = runtime
        self._states = states
        self._interval = check_interval_s
        self._watches: dict[str, _Watch] = {}
        self._task: asyncio.Task[None] | None = None

    def beat(self, deployment_id: str, account_key: str, timeout_s: float) -> float:
        """Record a heartbeat; returns the wall-clock deadline (epoch seconds)."""
        now = time.monotonic()
        self._watches[deployment_id] = _Watch(account_key, timeout_s, now + timeout_s)
        return time.time() + timeout_s

    def stop(self, deployment_id: str) -> None:
        self._watches.pop(deployment_id, None)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="dead-man")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.check()
            except Exception:  # noqa: BLE001 - the watch must outlive one failed write
                _LOGGER.exception("deadman.check_failed")

    async def check(self) -> None:
        """Trip every account whose deployment's deadline passed (once per silence)."""
        now = time.monotonic()
        expired = [(d, w) for d, w in self._watches.items() if w.deadline < now]
        for deployment_id, watch in expired:
            self._watches.pop(deployment_id, None)
            silent = now - (watch.deadline - watch.timeout_s)
            _LOGGER.warning(
                "deadman.tripped deployment.id=%s account.id=%s silent_s=%.1f",
                deployment_id,
                watch.account_key,
                silent,
            )
            if self._runtime.state_of("ACCOUNT", watch.account_key) >= TradingState.REDUCING:
                continue
            await self._states.set(
                "ACCOUNT",
                watch.account_key,
                TradingState.REDUCING,
                f"dead man: deployment {deployment_id} sent no heartbeat for {silent:.1f}s "
                f"(timeout {watch.timeout_s:g}s)",
                f"deadman:{deployment_id}",
                manual=False,
            )


class HeartbeatRpc:
    """RiskService.ReportHeartbeat, mixed into the servicer (which authorizes and finds the
    account)."""

    _deadman: DeadMan
    _runtime: Runtime

    def _caller(self, rpc: str) -> Grant:
        raise NotImplementedError

    def _account(self, principal: Grant, account_id: str, field: str = "account_id") -> Any:
        raise NotImplementedError

    async def ReportHeartbeat(self, request: pb.ReportHeartbeatRequest, context: Any) -> Any:
        principal = self._caller("ReportHeartbeat")
        account = self._account(principal, request.account_id)
        violations = []
        if not 1 <= len(request.deployment_id) <= 64:
            violations.append(("deployment_id", "must be 1-64 characters"))
        if not request.stopping and not 1 <= request.timeout_seconds <= MAX_TIMEOUT_S:
            violations.append(
                (
                    "timeout_seconds",
                    f"must be in [1, {MAX_TIMEOUT_S}], was {request.timeout_seconds}",
                )
            )
        if violations:
            raise InvalidArgument("invalid heartbeat", violations)
        reply = pb.ReportHeartbeatResponse(
            trading_state=int(self._runtime.state_of("ACCOUNT", account.key))  # type: ignore[arg-type]
        )
        if request.stopping:
            self._deadman.stop(request.deployment_id)
            return reply
        deadline = self._deadman.beat(request.deployment_id, account.key, request.timeout_seconds)
        reply.deadline.FromNanoseconds(int(deadline * 1e9))
        return reply
