"""GetComplianceReport on a real risk service and PostgreSQL: totals equal the rows (counted
straight from the tables), regeneration is byte-identical, a tampered decision fails the
chain, another owner's account is NOT_FOUND and a bad range INVALID_ARGUMENT."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import grpc
import psycopg
import pytest
from trademaster.api.risk.v1 import risk_pb2 as pb
from trademaster.service.errors import error_details

from .conftest import OFFICER, Harness, user

pytestmark = pytest.mark.integration

TODAY = datetime.now(UTC).date()
FROM, TO = (TODAY - timedelta(days=1)).isoformat(), (TODAY + timedelta(days=2)).isoformat()


@pytest.fixture(scope="module", autouse=True)
async def instruments(harness: Harness) -> None:
    await harness.instrument("AAA")


async def _report(
    harness: Harness, subject: str, account: str, *roles: str, frm: str = FROM, to: str = TO
) -> pb.GetComplianceReportResponse:
    request = pb.GetComplianceReportRequest(account_id=account, from_date=frm, to_date=to)
    return await harness.call("GetComplianceReport", request, subject, *(roles or ("trader",)))


@pytest.fixture(scope="module")
async def traded(harness: Harness) -> tuple[str, str]:
    """An account with two fills, a denial, a state change and a kill switch pull."""
    owner = user()
    account = await harness.account(owner, max_order_quantity="5")
    await harness.bar("AAA", 100.0, wait_account=account)
    await harness.submit(owner, account, "3", coid="buy-3")
    await harness.bar("AAA", 101.0)
    await harness.wait_order(owner, account, "buy-3", pb.ORDER_STATUS_FILLED)
    denied = await harness.submit(owner, account, "6", coid="buy-6")
    assert denied.decision.decision == pb.DECISION_DENY
    await harness.submit(owner, account, "2", pb.ORDER_SIDE_SELL, coid="sell-2")
    await harness.bar("AAA", 104.0)
    await harness.wait_order(owner, account, "sell-2", pb.ORDER_STATUS_FILLED)
    await harness.set_state(account, pb.TRADING_STATE_REDUCING, "review")
    await harness.set_state(account, pb.TRADING_STATE_ACTIVE, "reviewed")
    await harness.submit(owner, account, "1", limit="90.00", coid="rest-1")
    await harness.call(
        "KillSwitch",
        pb.KillSwitchRequest(scope=pb.SCOPE_ACCOUNT, scope_id=account, reason="drill"),
        owner,
        "trader",
    )
    return owner, account


async def _count(harness: Harness, sql: str, *params: object) -> object:
    async with await psycopg.AsyncConnection.connect(harness.settings.database_url) as conn:
        cur = await conn.execute(sql, params)  # type: ignore[arg-type]
        row = await cur.fetchone()
    assert row is not None
    return row[0]


async def test_totals_equal_the_rows_and_the_tables(
    harness: Harness, traded: tuple[str, str]
) -> None:
    owner, account = traded
    report = await _report(harness, owner, account)
    totals = report.totals
    orders = await _count(harness, "SELECT count(*) FROM risk.orders WHERE account_id=%s", account)
    fills = await _count(harness, "SELECT count(*) FROM risk.fills WHERE account_id=%s", account)
    fees = await _count(harness, "SELECT sum(fee) FROM risk.fills WHERE account_id=%s", account)
    decisions_sql = "SELECT count(*) FROM risk.audit WHERE kind='decision' AND account_id=%s"
    decisions = await _count(harness, decisions_sql, account)
    denied = await _count(harness, decisions_sql + " AND decision='DENY'", account)
    assert (totals.orders, len(report.orders), orders) == (4, 4, 4)
    assert (totals.fills, len(report.fills)) == (fills, 2)
    assert (totals.decisions, len(report.decisions)) == (decisions, decisions)
    assert totals.denied == denied == sum(d.denied for d in report.days) >= 1
    assert totals.allowed + totals.denied == totals.decisions
    assert totals.dry_runs == sum(1 for d in report.decisions if d.dry_run)
    assert Decimal(totals.fees) == fees == sum(Decimal(d.fees) for d in report.days)
    assert Decimal(totals.fees) == sum(Decimal(f.fee) for f in report.fills)
    for name in ("realized_pnl", "pnl"):
        assert Decimal(getattr(totals, name)) == sum(Decimal(getattr(d, name)) for d in report.days)
    assert [r.reason for r in totals.denials_by_reason] == ["ORDER_QUANTITY_EXCEEDED"]
    assert totals.denials_by_reason[0].count == denied
    # one position of 1 AAA left, realized on the 2 sold at 104 against an entry of 101
    last = [p for p in report.positions if p.date == TODAY.isoformat()]
    assert [(p.instrument_id, p.quantity, p.average_price) for p in last] == [("AAA", "1", "101")]
    day = next(d for d in report.days if d.date == TODAY.isoformat())
    assert Decimal(day.realized_pnl) == Decimal(6) - fees
    assert Decimal(day.equity) == Decimal(1_000_000) + Decimal(totals.pnl)
    changes = [(c.previous_state, c.trading_state) for c in report.state_changes]
    assert changes == [
        (pb.TRADING_STATE_UNSPECIFIED, pb.TRADING_STATE_REDUCING),
        (pb.TRADING_STATE_REDUCING, pb.TRADING_STATE_ACTIVE),
        (pb.TRADING_STATE_ACTIVE, pb.TRADING_STATE_HALTED),
    ]
    [kill] = report.kill_switch_events
    assert (kill.reason, kill.actor, kill.working_orders) == ("drill", owner, 1)
    assert totals.state_changes == 3 and totals.kill_switch_events == 1
    assert report.chain.valid and report.chain.entries_checked >= decisions
    assert report.promotion_approvals_note


async def test_regeneration_is_byte_identical(harness: Harness, traded: tuple[str, str]) -> None:
    owner, account = traded
    first = await _report(harness, owner, account)
    second = await _report(harness, OFFICER, account, "risk_officer")
    assert first.SerializeToString() == second.SerializeToString()


async def test_a_tampered_decision_fails_the_chain(
    harness: Harness, traded: tuple[str, str]
) -> None:
    owner, account = traded
    report = await _report(harness, owner, account)
    target = next(d for d in report.decisions if d.client_order_id == "buy-3")
    async with await psycopg.AsyncConnection.connect(
        harness.settings.database_url, autocommit=True
    ) as conn:
        cur = await conn.execute("SELECT body FROM risk.audit WHERE seq=%s", (target.sequence,))
        (original,) = await cur.fetchone()  # type: ignore[misc]
        forged = original.replace('"quantity":"3"', '"quantity":"2"')
        assert forged != original
        await conn.execute("ALTER TABLE risk.audit DISABLE TRIGGER audit_append_only")
        try:
            await conn.execute(
                "UPDATE risk.audit SET body=%s WHERE seq=%s", (forged, target.sequence)
            )
            broken = await _report(harness, owner, account)
            await conn.execute(
                "UPDATE risk.audit SET body=%s WHERE seq=%s", (original, target.sequence)
            )
        finally:
            await conn.execute("ALTER TABLE risk.audit ENABLE TRIGGER audit_append_only")
    assert not broken.chain.valid
    assert broken.chain.first_bad_sequence == target.sequence
    assert "entry_hash mismatch" in broken.chain.problem
    assert (await _report(harness, owner, account)).chain.valid


async def test_another_owner_gets_not_found(harness: Harness, traded: tuple[str, str]) -> None:
    _owner, account = traded
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await _report(harness, user(), account)
    assert error_details(caught.value).reason == "ACCOUNT_NOT_FOUND"
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


@pytest.mark.parametrize(
    ("frm", "to", "field"),
    [
        (TO, FROM, "to_date"),
        (FROM, FROM, "to_date"),
        ("2026-13-01", TO, "from_date"),
        ("", TO, "from_date"),
        (FROM, "tomorrow", "to_date"),
        ("2020-01-01", "2022-01-01", "to_date"),
    ],
)
async def test_a_bad_range_is_invalid_argument(
    harness: Harness, traded: tuple[str, str], frm: str, to: str, field: str
) -> None:
    owner, account = traded
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await _report(harness, owner, account, frm=frm, to=to)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert field in (caught.value.details() or "")


async def test_a_quiet_range_is_empty_and_valid(harness: Harness, traded: tuple[str, str]) -> None:
    owner, account = traded
    report = await _report(harness, owner, account, frm="2020-01-01", to="2020-01-03")
    assert (report.totals.orders, report.totals.fills, report.totals.decisions) == (0, 0, 0)
    assert [d.date for d in report.days] == ["2020-01-01", "2020-01-02"]
    assert [d.equity for d in report.days] == ["1000000", "1000000"]
    assert report.chain.valid and report.chain.entries_checked == 0
