"""The deployment runner: one model version trading one account, as a long-running Ray job.

``python -m trademaster.runner.deployment --spec <spec.json>``. The trainer service writes the
spec; the risk-service token comes in ``TM_DEPLOYMENT_TOKEN`` and the Redis URL in
``TM_JOB_REDIS_URL`` (the spec file holds no credentials).

On each complete bar it takes the policy's target weights (:mod:`.incremental`, equal to the
full replay of :mod:`.live_policy`), turns them into
orders (:mod:`.orders`) against the account's equity and positions, and submits them through
``RiskService.SubmitOrder`` with the deployment and model version on the order. Client order
ids derive from deployment + bar, so a bar processed again after a restart is answered with the
first order (``replayed``), never a second one. Every processed bar is reported (with its stream
id) on the private report stream; the trainer records the last one and a restarted runner
rebuilds its history from the stream and continues after it. The control key says ``pause``
(follow bars, place no orders), ``stop`` or ``stop:flatten``. With a heartbeat timeout the
runner heartbeats to the risk service (``ReportHeartbeat``), which puts the account in REDUCING
when the heartbeats stop (dead man); a clean stop ends the watch.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import logging
import os
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import grpc
import redis.asyncio as aioredis
from pydantic import BaseModel, ConfigDict, Field

from trademaster.api.risk.v1 import risk_pb2 as rpb
from trademaster.api.risk.v1 import risk_pb2_grpc
from trademaster.runner.incremental import IncrementalPolicy
from trademaster.runner.live_policy import BarHistory, parse_bar
from trademaster.runner.orders import (
    InstrumentRules,
    OrderIntent,
    OrderLimits,
    flatten_orders,
    orders_for_targets,
)
from trademaster.runner.training import REDIS_URL_ENV
from trademaster.service.artifacts import ArtifactStore
from trademaster.service.events import EventBus
from trademaster.service.topics import REPORT_STREAM_PREFIX, control_key, deployment_topic

_LOGGER = logging.getLogger(__name__)

TOKEN_ENV = "TM_DEPLOYMENT_TOKEN"
BAR_PROCESSED = "deployment_bar"
STOPPED = "deployment_stopped"
FAILED = "deployment_failed"
_SIDES = {"BUY": rpb.ORDER_SIDE_BUY, "SELL": rpb.ORDER_SIDE_SELL}


class DeploymentSpec(BaseModel):
    """Everything one runner attempt needs; written by the trainer service."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    deployment_id: str
    owner_id: str
    attempt: int
    account_id: str
    instruments: list[str]
    model_id: str
    model_version: int
    model_uri: str
    artifact_dir: str
    risk_addr: str
    bar_stream: str
    start_stream_id: str = Field(description="Bars after this stream id are decided on.")
    resume_cursor: str = Field("", description="Last stream id a previous attempt processed.")
    limits: dict[str, str] = Field(default_factory=dict)
    max_history_bars: int = Field(512, ge=64)
    stream_prefix: str = REPORT_STREAM_PREFIX
    heartbeat_timeout_s: float = Field(
        0.0, ge=0, description="Dead-man timeout at the risk service; 0 sends no heartbeats."
    )


def _limits(raw: dict[str, str]) -> OrderLimits:
    def dec(name: str) -> Decimal | None:
        return Decimal(raw[name]) if raw.get(name) else None

    return OrderLimits(
        max_position_quantity=dec("max_position_quantity"),
        max_order_quantity=dec("max_order_quantity"),
        capital_fraction=dec("capital_fraction") or Decimal(1),
    )


class DeploymentRunner:
    """Decisions and orders of one deployment (see module doc)."""

    def __init__(
        self, spec: DeploymentSpec, artifact: Any, risk: Any, token: str, redis: aioredis.Redis
    ) -> None:
        self.spec = spec
        self.artifact = artifact
        self.risk = risk
        self.redis = redis
        self.metadata = [("authorization", f"Bearer {token}")]
        self.history = BarHistory(spec.instruments, spec.max_history_bars)
        self.policy = IncrementalPolicy(artifact, spec.instruments)
        self.limits = _limits(spec.limits)
        self.rules: dict[str, InstrumentRules] = {}
        self.reports = EventBus("", stream_prefix=spec.stream_prefix, client=redis)
        self.topic = deployment_topic(spec.deployment_id)

    async def load_rules(self) -> None:
        reply = await self.risk.ListInstruments(
            rpb.ListInstrumentsRequest(), metadata=self.metadata, timeout=10
        )
        known = {i.instrument_id: i for i in reply.instruments}
        missing = [i for i in self.spec.instruments if i not in known]
        if missing:
            raise ValueError(f"instruments unknown to the risk service: {missing}")
        for iid in self.spec.instruments:
            rule = known[iid]
            self.rules[iid] = InstrumentRules(
                Decimal(rule.lot_size), Decimal(rule.min_quantity or rule.lot_size)
            )

    async def positions(self, closable: bool = False) -> dict[str, Decimal]:
        """Signed positions including working orders (what the account will hold); with
        ``closable``, what a reduce-only exit may close now (working orders on the closing
        side counted, the others not, as the risk service's REDUCING rule does)."""
        reply = await self.risk.ListPositions(
            rpb.ListPositionsRequest(account_id=self.spec.account_id),
            metadata=self.metadata,
            timeout=10,
        )
        out: dict[str, Decimal] = {}
        for p in reply.positions:
            held = Decimal(p.quantity or "0")
            buys = Decimal(p.working_buy_quantity or "0")
            sells = Decimal(p.working_sell_quantity or "0")
            if not closable:
                out[p.instrument_id] = held + buys - sells
            else:
                out[p.instrument_id] = (
                    max(held - sells, Decimal(0)) if held > 0 else min(held + buys, Decimal(0))
                )
        return out

    async def cancel_working(self, wait_s: float = 10.0) -> None:
        """Cancel this deployment's working orders and wait (bounded) until none is left."""
        deadline = time.monotonic() + wait_s
        while True:
            reply = await self.risk.ListOrders(
                rpb.ListOrdersRequest(
                    account_id=self.spec.account_id, working_only=True, page_size=500
                ),
                metadata=self.metadata,
                timeout=10,
            )
            mine = [o for o in reply.orders if o.deployment_id == self.spec.deployment_id]
            if not mine or time.monotonic() > deadline:
                return
            for order in mine:
                if order.status != rpb.ORDER_STATUS_PENDING_CANCEL:
                    await self.risk.CancelOrder(
                        rpb.CancelOrderRequest(
                            account_id=self.spec.account_id,
                            client_order_id=order.client_order_id,
                        ),
                        metadata=self.metadata,
                        timeout=10,
                    )
            await asyncio.sleep(0.1)

    async def equity(self) -> Decimal:
        reply = await self.risk.GetAccount(
            rpb.GetAccountRequest(account_id=self.spec.account_id),
            metadata=self.metadata,
            timeout=10,
        )
        return Decimal(reply.account.equity or reply.account.cash or "0")

    async def submit(self, intent: OrderIntent) -> Any:
        order = rpb.Order(
            client_order_id=intent.client_order_id,
            account_id=self.spec.account_id,
            instrument_id=intent.instrument_id,
            side=_SIDES[intent.side],
            order_type=rpb.ORDER_TYPE_MARKET,
            quantity=str(intent.quantity),
            time_in_force=rpb.TIME_IN_FORCE_DAY,
            reduce_only=intent.reduce_only,
            deployment_id=self.spec.deployment_id,
            model_version=f"{self.spec.model_id}:{self.spec.model_version}",
        )
        reply = await self.risk.SubmitOrder(
            rpb.SubmitOrderRequest(order=order), metadata=self.metadata, timeout=10
        )
        return reply

    async def on_bar(self, time_ns: int, stream_id: str, trade: bool) -> None:
        """Decide on the complete bar at ``time_ns`` and submit its orders (unless paused)."""
        started = time.perf_counter()
        weights = self.policy.target_weights(self.history)
        intents: list[OrderIntent] = []
        replies = []
        if weights is not None and trade:
            prices = {k: Decimal(repr(v)) for k, v in self.history.closes(time_ns).items()}
            intents = orders_for_targets(
                self.spec.deployment_id,
                time_ns,
                self.spec.instruments,
                weights,
                await self.equity(),
                prices,
                await self.positions(),
                self.rules,
                self.limits,
            )
            replies = [await self.submit(intent) for intent in intents]
        body = {
            "bar_time_ns": time_ns,
            "stream_id": stream_id,
            "weights": weights or [],
            "traded": trade,
            "orders": [r.order.client_order_id for r in replies],
            "new_orders": sum(1 for r in replies if not r.replayed),
            "denied": sum(1 for r in replies if r.decision.decision == rpb.DECISION_DENY),
            "latency_ms": (time.perf_counter() - started) * 1000.0,
            # The account's equity once the bar was processed (the trainer stores it per bar).
            "equity": str(await self.equity()),
        }
        await self.reports.publish(self.topic, self.spec.owner_id, BAR_PROCESSED, body)

    async def flatten(self) -> int:
        """Cancel working orders, then close what is held with reduce-only market orders."""
        await self.cancel_working()
        intents = flatten_orders(
            self.spec.deployment_id, self.spec.instruments, await self.positions(closable=True)
        )
        for intent in intents:
            await self.submit(intent)
        return len(intents)

    async def control(self) -> str:
        return str(await self.redis.get(control_key(self.topic)) or "")

    async def heartbeat(self, stopping: bool = False) -> None:
        """Tell the risk service this deployment is alive (or ending cleanly)."""
        await self.risk.ReportHeartbeat(
            rpb.ReportHeartbeatRequest(
                account_id=self.spec.account_id,
                deployment_id=self.spec.deployment_id,
                timeout_seconds=max(1, round(self.spec.heartbeat_timeout_s)),
                stopping=stopping,
            ),
            metadata=self.metadata,
            timeout=10,
        )

    async def heartbeats(self) -> None:
        """Heartbeat every third of the timeout until cancelled; a failed beat is retried at
        the next tick (the risk service trips the account only after the whole timeout)."""
        period = max(0.5, self.spec.heartbeat_timeout_s / 3)
        while True:
            try:
                await self.heartbeat()
            except grpc.aio.AioRpcError as error:
                _LOGGER.warning(
                    "deployment.heartbeat_failed deployment.id=%s code=%s",
                    self.spec.deployment_id,
                    error.code(),
                )
            await asyncio.sleep(period)


async def _entries(redis: aioredis.Redis, reply: Any) -> list[tuple[str, dict[str, str]]]:
    items = reply.items() if isinstance(reply, dict) else (reply or [])
    out: list[tuple[str, dict[str, str]]] = []
    for _stream, entries in items:
        if entries and isinstance(entries[0], list) and len(entries) == 1:
            entries = entries[0]
        out.extend((str(i), dict(f)) for i, f in entries)
    return out


async def rebuild(runner: DeploymentRunner) -> str:
    """Fill the history: warm-up bars up to the start, then what earlier attempts processed.
    Returns the stream id to continue after."""
    spec, redis = runner.spec, runner.redis
    per_time = len(spec.instruments)
    if spec.start_stream_id != "0-0":
        warm: Any = await redis.xrevrange(
            spec.bar_stream, max=spec.start_stream_id, count=spec.max_history_bars * per_time
        )
        _add_all(runner, reversed(warm or []))
    if not spec.resume_cursor:
        return spec.start_stream_id
    done: Any = await redis.xrange(
        spec.bar_stream, min=f"({spec.start_stream_id}", max=spec.resume_cursor
    )
    _add_all(runner, done or [])
    return spec.resume_cursor


def _add_all(runner: DeploymentRunner, entries: Any) -> None:
    for _id, fields in entries:
        bar = parse_bar(fields)
        if bar is not None:
            runner.history.add(bar)


async def follow(runner: DeploymentRunner) -> int:
    """Process bars until a stop command; returns the number of flattening orders."""
    cursor = await rebuild(runner)
    while True:
        command = await runner.control()
        if command.startswith("stop"):
            return await runner.flatten() if command == "stop:flatten" else 0
        reply = await runner.redis.xread({runner.spec.bar_stream: cursor}, count=100, block=500)
        for stream_id, fields in await _entries(runner.redis, reply):
            cursor = stream_id
            bar = parse_bar(fields)
            complete = None if bar is None else runner.history.add(bar)
            if complete is not None:
                trade = (await runner.control()) == ""
                await runner.on_bar(complete, stream_id, trade)


def _load_artifact(spec: DeploymentSpec) -> Any:
    from trademaster.training.model_artifact import ModelArtifact

    data = ArtifactStore(spec.artifact_dir).read_bytes(spec.model_uri)
    return ModelArtifact.load(io.BytesIO(data))


async def run(spec: DeploymentSpec, token: str, redis_url: str) -> int:
    redis = aioredis.Redis.from_url(redis_url, decode_responses=True)
    channel = grpc.aio.insecure_channel(spec.risk_addr)
    runner = DeploymentRunner(
        spec, _load_artifact(spec), risk_pb2_grpc.RiskServiceStub(channel), token, redis
    )
    topic, owner = runner.topic, spec.owner_id
    beats = asyncio.create_task(runner.heartbeats()) if spec.heartbeat_timeout_s > 0 else None
    try:
        await runner.load_rules()
        flattened = await follow(runner)
        if beats is not None:
            beats.cancel()
            await runner.heartbeat(stopping=True)
        await runner.reports.publish(topic, owner, STOPPED, {"flatten_orders": flattened})
        return 0
    except Exception as error:
        _LOGGER.exception("deployment.failed deployment.id=%s", spec.deployment_id)
        reason = f"{type(error).__name__}: {error}"
        await runner.reports.publish(topic, owner, FAILED, {"failure_reason": reason})
        return 1
    finally:
        if beats is not None:
            beats.cancel()
        await channel.close()
        await redis.aclose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run one deployment attempt.")
    parser.add_argument("--spec", required=True, type=Path, help="Path of the DeploymentSpec JSON.")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    spec = DeploymentSpec.model_validate_json(args.spec.read_text())
    token, redis_url = os.environ.get(TOKEN_ENV), os.environ.get(REDIS_URL_ENV)
    if not token or not redis_url:
        print(f"{TOKEN_ENV} and {REDIS_URL_ENV} must be set", file=sys.stderr)
        return 2
    return asyncio.run(run(spec, token, redis_url))


if __name__ == "__main__":
    sys.exit(main())
