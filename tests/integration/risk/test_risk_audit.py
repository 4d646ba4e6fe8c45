"""The audit chain: append-only, tamper-evident, and fail-closed when it cannot be written."""

from __future__ import annotations

import grpc
import psycopg
import pytest
from trademaster.api.risk.v1 import risk_pb2 as pb
from trademaster.service.errors import error_details

from .conftest import Harness, user

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module", autouse=True)
async def instruments(harness: Harness) -> None:
    await harness.instrument("AUD")


async def test_audit_rows_cannot_be_updated_or_deleted(harness: Harness) -> None:
    async with await psycopg.AsyncConnection.connect(harness.settings.database_url) as conn:
        for sql in ("UPDATE risk.audit SET body = body", "DELETE FROM risk.audit"):
            with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
                await conn.execute(sql)
            await conn.rollback()


async def test_fail_closed_when_the_audit_cannot_be_written(harness: Harness) -> None:
    owner = user()
    account = await harness.account(owner)
    await harness.bar("AUD", 10.0, wait_account=account)
    async with await psycopg.AsyncConnection.connect(
        harness.settings.database_url, autocommit=True
    ) as conn:
        await conn.execute(
            "CREATE FUNCTION risk.test_refuse() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION 'disk full (test)'; END; $$ LANGUAGE plpgsql"
        )
        await conn.execute(
            "CREATE TRIGGER test_refuse BEFORE INSERT ON risk.audit "
            "FOR EACH ROW EXECUTE FUNCTION risk.test_refuse()"
        )
        try:
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await harness.submit(owner, account, "1", iid="AUD", coid="closed-1")
        finally:
            await conn.execute("DROP TRIGGER test_refuse ON risk.audit")
            await conn.execute("DROP FUNCTION risk.test_refuse()")
        cur = await conn.execute(
            "SELECT count(*) FROM risk.orders WHERE client_order_id=%s", ("closed-1",)
        )
        assert await cur.fetchone() == (0,)
    details = error_details(caught.value)
    assert (details.code, details.reason) == (grpc.StatusCode.UNAVAILABLE, "AUDIT_WRITE_FAILED")
    # the same id goes through once the audit works again; the chain has no gap
    reply = await harness.submit(owner, account, "1", iid="AUD", coid="closed-1")
    assert reply.decision.decision == pb.DECISION_ALLOW and not reply.replayed
    assert (await harness.verify()).valid


async def test_verify_detects_a_changed_entry(harness: Harness) -> None:
    owner = user()
    account = await harness.account(owner)
    await harness.bar("AUD", 10.0, wait_account=account)
    reply = await harness.submit(owner, account, "2", iid="AUD")
    seq = reply.decision.sequence
    async with await psycopg.AsyncConnection.connect(
        harness.settings.database_url, autocommit=True
    ) as conn:
        cur = await conn.execute("SELECT body FROM risk.audit WHERE seq=%s", (seq,))
        (original,) = await cur.fetchone()  # type: ignore[misc]
        await conn.execute("ALTER TABLE risk.audit DISABLE TRIGGER audit_append_only")
        try:
            forged = original.replace('"quantity":"2"', '"quantity":"1"')
            assert forged != original
            await conn.execute("UPDATE risk.audit SET body=%s WHERE seq=%s", (forged, seq))
            report = await harness.verify()
            assert not report.valid and report.first_bad_sequence == seq
            assert "entry_hash mismatch" in report.problem
            await conn.execute("UPDATE risk.audit SET body=%s WHERE seq=%s", (original, seq))
        finally:
            await conn.execute("ALTER TABLE risk.audit ENABLE TRIGGER audit_append_only")
    assert (await harness.verify()).valid
