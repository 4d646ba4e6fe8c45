"""In-memory rows of the risk schema (what the service keeps hot and writes through)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

WORKING = frozenset({"PENDING_NEW", "ACCEPTED", "PARTIALLY_FILLED", "PENDING_CANCEL"})
"""Statuses of orders that may still trade (counted by the engine as working)."""


@dataclass
class AccountRow:
    id: uuid.UUID
    owner: str
    name: str
    mode: str
    base_currency: str
    broker: str
    initial_cash: Decimal
    cash: Decimal
    day_start_equity: Decimal
    high_water_mark: Decimal
    created_at: datetime


@dataclass
class OrderRow:
    account_id: uuid.UUID
    client_order_id: str
    instrument_id: str
    side: str
    order_type: str
    quantity: Decimal
    limit_price: Decimal | None
    time_in_force: str
    reduce_only: bool
    deployment_id: str
    model_version: str
    status: str
    decision_id: uuid.UUID
    created_at: datetime
    updated_at: datetime
    status_reason: str = ""
    filled_quantity: Decimal = Decimal(0)
    avg_fill_price: Decimal | None = None
    broker_order_id: str = ""

    @property
    def working(self) -> bool:
        return self.status in WORKING

    @property
    def open_quantity(self) -> Decimal:
        return self.quantity - self.filled_quantity


@dataclass
class StateRow:
    scope: str
    scope_id: str
    state: str
    previous_state: str
    reason: str
    updated_by: str
    updated_at: datetime
    cooldown_until: datetime | None
    change_id: uuid.UUID


@dataclass
class FillRow:
    fill_id: uuid.UUID
    account_id: uuid.UUID
    client_order_id: str
    instrument_id: str
    side: str
    quantity: Decimal
    price: Decimal
    fee: Decimal
    fill_time: datetime
    broker_fill_id: str


@dataclass
class LimitsRow:
    body: dict[str, object] = field(default_factory=dict)
    version: int = 0
    updated_by: str = ""
    updated_at: datetime | None = None


@dataclass
class ModifyRow:
    """One ModifyOrder request (risk.order_modifies): the idempotency record of a modification."""

    account_id: uuid.UUID
    request_id: str
    client_order_id: str
    decision_id: uuid.UUID
    quantity: Decimal
    limit_price: Decimal | None
    outcome: str
    created_at: datetime
    updated_at: datetime
    venue_reason: str = ""
