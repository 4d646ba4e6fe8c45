"""Value types of the rule engine: trading states, instrument rules, limits, order intents.

Quantities and prices are floats inside the engine (speed); the service converts the decimal
strings of the API at its edge and stores decimals in PostgreSQL.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

INF = math.inf
BUY = 1
SELL = -1
DEFAULT_REFERENCE_AGE_NS = 5_000_000_000


class TradingState(enum.IntEnum):
    """Trading states ordered by restrictiveness (values match ``risk.v1.TradingState``)."""

    ACTIVE = 1
    REDUCING = 2
    HALTED = 3


@dataclass(frozen=True, slots=True)
class InstrumentRules:
    """What a venue accepts for one instrument; ``enabled=False`` refuses every order."""

    instrument_id: str
    tick_size: float
    lot_size: float
    min_quantity: float = 0.0
    max_quantity: float = INF
    min_notional: float = 0.0
    enabled: bool = True

    def __post_init__(self) -> None:
        for name in ("tick_size", "lot_size"):
            value = getattr(self, name)
            if not (value > 0 and math.isfinite(value)):
                raise ValueError(f"{name} must be a finite number > 0, was {value}")
        if self.min_quantity < 0 or self.min_notional < 0 or not self.max_quantity > 0:
            raise ValueError(
                f"min_quantity and min_notional must be >= 0 and max_quantity > 0, were "
                f"{self.min_quantity}, {self.min_notional}, {self.max_quantity}"
            )


@dataclass(frozen=True, slots=True)
class Limits:
    """Pre-trade limits and breaker thresholds of one account; ``INF``/0 mean no limit."""

    max_position: Mapping[str, float] = field(default_factory=dict)
    max_gross_exposure: float = INF
    max_net_exposure: float = INF
    max_order_quantity: float = INF
    max_order_notional: float = INF
    max_leverage: float | None = None
    allowed_instruments: frozenset[str] = frozenset()
    price_collar_bps: float = INF
    max_reference_age_ns: int = DEFAULT_REFERENCE_AGE_NS
    max_orders_per_second: float = INF
    order_burst: int = 0
    max_deployment_orders_per_second: float = INF
    max_working_orders: int = 0
    duplicate_window_ns: int = 0
    max_daily_loss: float = INF
    max_drawdown: float = INF
    max_consecutive_denials: int = 0
    max_consecutive_losses: int = 0
    breaker_cooldown_s: int = 0
    version: int = 0

    def position_limit(self, instrument_id: str) -> float:
        """Largest |position| for ``instrument_id``: its own entry, else ``"*"``, else INF."""
        limit = self.max_position.get(instrument_id)
        if limit is None:
            limit = self.max_position.get("*", INF)
        return limit

    @property
    def leverage(self) -> float:
        """Gross exposure allowed per unit of equity; 1 (a cash account) when not set."""
        return 1.0 if self.max_leverage is None else self.max_leverage


@dataclass(slots=True)
class OrderIntent:
    """An order as the engine sees it; ``side`` is BUY (+1) or SELL (-1)."""

    client_order_id: str
    instrument_id: str
    side: int
    quantity: float
    limit_price: float | None = None
    reduce_only: bool = False
    deployment_id: str = ""

    @property
    def fingerprint(self) -> tuple[str, int, float, float | None, str]:
        """What two orders share when they express the same intent (duplicate window)."""
        return (self.instrument_id, self.side, self.quantity, self.limit_price, self.deployment_id)


Check = tuple[str, bool, str, float, float]
"""One rule's verdict ``(check, passed, reason, value, limit)``; NaN where a number does not
apply. A plain tuple: the engine builds ~17 per order and NamedTuple construction costs 4x."""


class Violation(NamedTuple):
    """A failed rule with its reason code and a message naming value and limit."""

    reason: str
    message: str
    value: float
    limit: float


@dataclass(slots=True)
class Verdict:
    """The engine's decision on one order with everything the audit record needs."""

    allowed: bool
    state: TradingState
    checks: list[Check]
    violations: list[Violation]
    reference_price: float
    reference_age_ns: int
    position_before: float
    position_after: float
    gross_before: float
    gross_after: float
    latency_ns: int = 0
