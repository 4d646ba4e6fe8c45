"""The writer's batch compaction: superseded snapshot statements dropped, runs grouped."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from tm_risk import store
from tm_risk.records import OrderRow
from tm_risk.writer import compact

pytestmark = pytest.mark.unit
ACCOUNT = uuid.uuid4()
AT = datetime(2026, 1, 1, tzinfo=UTC)


def _order(coid: str, status: str) -> OrderRow:
    return OrderRow(
        ACCOUNT, coid, "AAA", "BUY", "MARKET", Decimal(1), None, "DAY", False, "", "", status,
        uuid.uuid4(), AT, AT,
    )  # fmt: skip


def test_later_snapshot_of_the_same_order_supersedes_the_earlier() -> None:
    a_new, b_new = _order("a", "PENDING_NEW"), _order("b", "PENDING_NEW")
    statements = [
        store.insert_order(a_new),
        store.update_order(_order("a", "ACCEPTED")),
        store.update_order(_order("b", "ACCEPTED")),
        store.insert_order(b_new),
        store.update_order(_order("a", "FILLED")),
    ]
    runs = compact(statements)
    assert [(sql.split()[0], len(params)) for sql, params in runs] == [
        ("INSERT", 1),
        ("UPDATE", 1),  # b ACCEPTED: kept, no later update of b
        ("INSERT", 1),
        ("UPDATE", 1),  # a FILLED: a ACCEPTED dropped
    ]
    assert runs[1][1][0][0] == "ACCEPTED" and runs[1][1][0][-1] == "b"
    assert runs[3][1][0][0] == "FILLED" and runs[3][1][0][-1] == "a"


def test_runs_of_the_same_sql_are_grouped_in_order_and_inserts_never_dropped() -> None:
    rows = [_order(f"o{i}", "PENDING_NEW") for i in range(3)]
    balances = [store.update_account_balances(ACCOUNT, c, 1.0, 2.0) for c in (10.0, 9.0, 8.0)]
    runs = compact([store.insert_order(r) for r in rows] + balances)
    assert [len(params) for _sql, params in runs] == [3, 1]
    assert [p[1] for p in runs[0][1]] == ["o0", "o1", "o2"]
    assert runs[1][1][0][0] == Decimal("8.0")  # the last balance of the account
