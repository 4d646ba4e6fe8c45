"""Deployment requests checked at the service edge, and stored rows as API messages."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp
from trademaster.api.trainer.v1 import deployment_pb2 as pb
from trademaster.service.errors import InvalidArgument, raise_if_invalid
from trademaster.service.lifecycle import DEPLOYMENT
from trademaster.service.structs import timestamp_of

from tm_trainer.deployment_store import DeploymentRecord, EquityRow

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_INSTRUMENTS = 16
MAX_REQUEST_ID_LENGTH = 128
MAX_BAR_INTERVAL_S = 7 * 86_400
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$")
_STREAM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$")
_MODES = {pb.TRADING_MODE_PAPER: "PAPER", pb.TRADING_MODE_LIVE: "LIVE"}
_MODE_VALUES = {name: value for value, name in _MODES.items()}
Violations = list[tuple[str, str]]


def page_size(value: int) -> int:
    if value < 0:
        raise InvalidArgument(
            f"page_size must be >= 0, was {value}", [("page_size", f"must be >= 0, was {value}")]
        )
    return min(value or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def _decimal(
    text: str, field: str, violations: Violations, *, upper: Decimal | None = None
) -> None:
    if not text:
        return
    try:
        value = Decimal(text)
    except InvalidOperation:
        violations.append((field, f"must be a decimal number, was {text[:40]!r}"))
        return
    if not value.is_finite() or value <= 0 or (upper is not None and value > upper):
        bound = f" and <= {upper}" if upper is not None else ""
        violations.append((field, f"must be > 0{bound}, was {text[:40]!r}"))


def _instrument_violations(instruments: list[str]) -> Violations:
    if not 1 <= len(instruments) <= MAX_INSTRUMENTS:
        return [("deployment.instruments", f"must name 1-{MAX_INSTRUMENTS} instruments")]
    if len(set(instruments)) != len(instruments):
        return [("deployment.instruments", "must not repeat an instrument")]
    bad = [i for i in instruments if not _ID.match(i)]
    if bad:
        return [("deployment.instruments", f"must be instrument ids, found {bad[0][:40]!r}")]
    return []


def create_fields(request: pb.CreateDeploymentRequest, default_stream: str) -> dict[str, Any]:
    """The stored fields of a create request; one INVALID_ARGUMENT naming every bad field."""
    dep = request.deployment
    violations: Violations = []
    try:
        uuid.UUID(dep.model_id)
    except ValueError:
        violations.append(("deployment.model_id", "must be a registered model id (a UUID)"))
    if not 1 <= dep.model_version < 2**63:
        violations.append(("deployment.model_version", f"must be >= 1, was {dep.model_version}"))
    if not _ID.match(dep.account_id):
        violations.append(("deployment.account_id", "must be a risk-service account id"))
    violations += _instrument_violations(list(dep.instruments))
    if dep.bar_source and not _STREAM.match(dep.bar_source):
        violations.append(("deployment.bar_source", "must be a Redis stream name"))
    if not 1 <= dep.bar_interval_seconds <= MAX_BAR_INTERVAL_S:
        violations.append(
            ("deployment.bar_interval_seconds", f"must be in [1, {MAX_BAR_INTERVAL_S}]")
        )
    if dep.mode not in _MODES:
        violations.append(("deployment.mode", "must be TRADING_MODE_PAPER or TRADING_MODE_LIVE"))
    limits = dep.limits
    _decimal(limits.max_position_quantity, "deployment.limits.max_position_quantity", violations)
    _decimal(limits.max_order_quantity, "deployment.limits.max_order_quantity", violations)
    _decimal(
        limits.capital_fraction, "deployment.limits.capital_fraction", violations, upper=Decimal(1)
    )
    if len(request.request_id) > MAX_REQUEST_ID_LENGTH:
        violations.append(("request_id", f"must be at most {MAX_REQUEST_ID_LENGTH} characters"))
    raise_if_invalid(violations, "deployment")
    return {
        "model_id": dep.model_id,
        "model_version": dep.model_version,
        "account_id": dep.account_id,
        "instruments": list(dep.instruments),
        "bar_source": dep.bar_source or default_stream,
        "bar_interval_seconds": dep.bar_interval_seconds,
        "mode": _MODES.get(dep.mode, ""),
        "limits": {
            k: v
            for k, v in (
                ("max_position_quantity", limits.max_position_quantity),
                ("max_order_quantity", limits.max_order_quantity),
                ("capital_fraction", limits.capital_fraction),
            )
            if v
        },
    }


def deployment_message(dep: DeploymentRecord) -> pb.Deployment:
    last = None
    if dep.last_bar_ns is not None:
        last = timestamp_of(datetime.fromtimestamp(dep.last_bar_ns / 1e9, tz=UTC))
    return pb.Deployment(
        deployment_id=str(dep.id),
        owner_id=dep.owner,
        model_id=dep.model_id,
        model_version=dep.model_version,
        account_id=dep.account_id,
        instruments=list(dep.instruments),
        bar_source=dep.bar_source,
        bar_interval_seconds=dep.bar_interval_seconds,
        mode=_MODE_VALUES.get(dep.mode, pb.TRADING_MODE_UNSPECIFIED),  # type: ignore[arg-type]
        limits=pb.DeploymentLimits(**dep.limits),
        state=pb.DeploymentState.Value(f"DEPLOYMENT_STATE_{dep.state}"),  # type: ignore[arg-type]
        allowed_actions=DEPLOYMENT.action_values(dep.state),  # type: ignore[arg-type]
        last_bar_time=last,
        bars_processed=dep.bars_processed,
        orders_submitted=dep.orders_submitted,
        model_uri=dep.model_uri,
        failure_reason=dep.failure_reason,
        attempt=dep.attempt,
        create_time=timestamp_of(dep.created_at),
        update_time=timestamp_of(dep.updated_at),
        registry_deployment_id=dep.registry_deployment_id,
    )


DEFAULT_EQUITY_PAGE, MAX_EQUITY_PAGE = 5000, 10_000


def equity_page(request: pb.GetDeploymentEquityRequest) -> tuple[int, int | None]:
    """(page size, bar time the page starts after) of an equity request; the token is the
    last sample's bar time in nanoseconds."""
    violations: Violations = []
    if request.page_size < 0:
        violations.append(("page_size", f"must be >= 0, was {request.page_size}"))
    after: int | None = None
    if request.page_token:
        try:
            after = int(request.page_token)
        except ValueError:
            violations.append(("page_token", "is not a token of a previous response"))
    if violations:
        raise InvalidArgument("invalid equity request", violations)
    return min(request.page_size or DEFAULT_EQUITY_PAGE, MAX_EQUITY_PAGE), after


def equity_message(row: EquityRow) -> pb.EquitySample:
    when = Timestamp()
    when.FromNanoseconds(int(row.bar_time_ns))
    return pb.EquitySample(
        bar_time=when,
        equity=str(row.equity),
        bars_processed=row.bars_processed,
        orders_submitted=row.orders_submitted,
    )
