"""GetComplianceReport: one account's orders, decisions, fills, end-of-day positions, daily P&L,
trading-state changes and kill-switch pulls over UTC days [from, to), with totals and the audit
chain verified over the entries the report covers.

Nothing in the response depends on the time of generation (no "generated at"), and every
section has a fixed order, so a second report over unchanged rows is byte-identical. Totals are
computed from the rows the response carries (decimals, no float rounding), so each equals the
sum over its section.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from trademaster.api.risk.v1 import risk_pb2 as pb

from tm_risk import audit, convert
from tm_risk.compliance_store import ComplianceReader
from tm_risk.ledger import ZERO, DayClose, replay
from tm_risk.records import AccountRow, FillRow, OrderRow
from tm_risk.store import RiskReader
from tm_risk.validate import bad

MAX_DAYS = 366
MAX_ROWS = 20_000
"""Largest section a report carries (the response must fit one gRPC message of 4 MiB)."""
PROMOTION_NOTE = "no promotion approvals recorded by this platform version"
"""Hook: when model promotion approvals are stored, this becomes a section of their rows."""


def parse_range(from_date: str, to_date: str) -> tuple[date, date]:
    """The requested UTC days, validated (INVALID_ARGUMENT naming the field)."""
    days = []
    for name, text in (("from_date", from_date), ("to_date", to_date)):
        try:
            if len(text) != 10:
                raise ValueError(text)
            days.append(date.fromisoformat(text))
        except ValueError:
            raise bad(name, f"must be a date as YYYY-MM-DD, was {text!r}") from None
    start, end = days
    if end <= start:
        raise bad("to_date", f"must be after from_date, was {to_date} <= {from_date}")
    if (end - start).days > MAX_DAYS:
        raise bad("to_date", f"the range may span at most {MAX_DAYS} days")
    return start, end


def _at(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _ns(day: date) -> int:
    return int(_at(day).timestamp()) * 1_000_000_000


def _capped(rows: list[Any], section: str) -> list[Any]:
    if len(rows) > MAX_ROWS:
        raise bad("to_date", f"the range holds more than {MAX_ROWS} {section}; narrow it")
    return rows


def _stamp_ns(target: Any, at_ns: int) -> None:
    target.FromNanoseconds(int(at_ns))


def _decision(row: dict[str, Any]) -> pb.ComplianceDecision:
    """A decision row from its audit entry: filter columns, the rest from the body (a body that
    no longer parses still gives its row; the chain verification reports it)."""
    try:
        body = json.loads(row["body"])
    except json.JSONDecodeError:
        body = {}
    order = body.get("order") or {}
    msg = pb.ComplianceDecision(
        decision_id=str(row["entry_id"]),
        sequence=row["seq"],
        client_order_id=row["client_order_id"] or "",
        instrument_id=row["instrument_id"] or "",
        side=convert.SIDE.get(order.get("side", ""), pb.ORDER_SIDE_UNSPECIFIED),
        quantity=str(order.get("quantity", "")),
        limit_price=str(order.get("limit_price", "")),
        decision=pb.DECISION_DENY if row["decision"] == "DENY" else pb.DECISION_ALLOW,
        reasons=list(row["reasons"]),
        dry_run=bool(row["dry_run"]),
        actor=str(body.get("actor", "")),
        trading_state=convert.state_enum(str(body.get("trading_state", ""))),
        limits_version=int(body.get("limits_version", 0)),
        entry_hash=row["entry_hash"],
    )
    _stamp_ns(msg.decide_time, row["at_ns"])
    return msg


def _kill(row: dict[str, Any]) -> pb.KillSwitchEvent:
    try:
        body = json.loads(row["body"])
    except json.JSONDecodeError:
        body = {}
    msg = pb.KillSwitchEvent(
        kill_id=str(body.get("kill_id", "")),
        sequence=row["seq"],
        scope=convert.SCOPE.get(str(body.get("scope", "")), pb.SCOPE_UNSPECIFIED),
        scope_id=str(body.get("scope_id", "")),
        reason=str(body.get("reason", "")),
        actor=str(body.get("actor", "")),
        flatten=bool(body.get("flatten", False)),
        working_orders=int(body.get("working_orders", 0)),
        cancels_acknowledged=int(body.get("cancels_acknowledged", 0)),
        cancels_failed=int(body.get("cancels_failed", 0)),
    )
    _stamp_ns(msg.event_time, row["at_ns"])
    return msg


def _fill(f: FillRow) -> pb.Fill:
    msg = pb.Fill(
        fill_id=str(f.fill_id),
        account_id=str(f.account_id),
        client_order_id=f.client_order_id,
        instrument_id=f.instrument_id,
        side=convert.SIDE[f.side],
        quantity=convert.num(f.quantity),
        price=convert.num(f.price),
        fee=convert.num(f.fee),
        broker_fill_id=f.broker_fill_id,
    )
    msg.fill_time.FromDatetime(f.fill_time)
    return msg


def _days(
    closes: list[DayClose],
    opening: Decimal,
    orders: list[OrderRow],
    decisions: list[pb.ComplianceDecision],
) -> tuple[list[pb.ComplianceDay], list[pb.EndOfDayPosition]]:
    order_days = Counter(o.created_at.astimezone(UTC).date() for o in orders)
    decided = Counter(d.decide_time.ToDatetime(UTC).date() for d in decisions)
    denied = Counter(
        d.decide_time.ToDatetime(UTC).date() for d in decisions if d.decision == pb.DECISION_DENY
    )
    days: list[pb.ComplianceDay] = []
    positions: list[pb.EndOfDayPosition] = []
    previous = opening
    for close in closes:
        text = close.day.isoformat()
        days.append(
            pb.ComplianceDay(
                date=text,
                orders=order_days[close.day],
                decisions=decided[close.day],
                denied=denied[close.day],
                fills=close.totals.fills,
                fees=convert.num(close.totals.fees),
                realized_pnl=convert.num(close.totals.realized),
                cash=convert.num(close.cash),
                equity=convert.num(close.equity),
                pnl=convert.num(close.equity - previous),
            )
        )
        previous = close.equity
        positions.extend(
            pb.EndOfDayPosition(
                date=text,
                instrument_id=iid,
                quantity=convert.num(h.quantity),
                average_price=convert.num(h.average),
                last_fill_price=convert.num(h.last_price),
                realized_pnl=convert.num(h.realized),
            )
            for iid, h in close.holdings.items()
        )
    return days, positions


def _totals(report: pb.GetComplianceReportResponse) -> pb.ComplianceTotals:
    """Totals from the rows the report carries (sums of decimals: exact)."""
    decisions = report.decisions
    reasons = Counter(r for d in decisions if d.decision == pb.DECISION_DENY for r in d.reasons)

    def total(name: str) -> str:
        return convert.num(sum((Decimal(getattr(d, name)) for d in report.days), ZERO))

    return pb.ComplianceTotals(
        orders=len(report.orders),
        decisions=len(decisions),
        allowed=sum(1 for d in decisions if d.decision == pb.DECISION_ALLOW),
        denied=sum(1 for d in decisions if d.decision == pb.DECISION_DENY),
        dry_runs=sum(1 for d in decisions if d.dry_run),
        fills=len(report.fills),
        fees=total("fees"),
        realized_pnl=total("realized_pnl"),
        pnl=total("pnl"),
        state_changes=len(report.state_changes),
        kill_switch_events=len(report.kill_switch_events),
        denials_by_reason=[pb.ReasonCount(reason=r, count=n) for r, n in sorted(reasons.items())],
    )


async def _chain(reader: RiskReader, span: tuple[int, int]) -> pb.ChainVerification:
    """Verify the global chain from the report's first audit entry to its last."""
    first, last = span
    prev = audit.GENESIS if first == 1 else await reader.audit_hash(first - 1)
    result = pb.ChainVerification(from_sequence=first, to_sequence=last)
    if prev is None:
        result.first_bad_sequence = first
        result.problem = f"gap: sequence {first - 1} missing"
        return result
    report = audit.verify(await reader.audit_rows(first, last), prev, first)
    if report.valid and report.checked != last - first + 1:
        missing = first + report.checked
        report = audit.ChainReport(
            False, report.checked, missing, f"gap: sequence {missing} missing", report.last_hash
        )
    result.valid = report.valid
    result.entries_checked = report.checked
    result.first_bad_sequence = report.first_bad
    result.problem = report.problem
    result.last_hash = report.last_hash
    return result


async def build_report(
    store: ComplianceReader, reader: RiskReader, account: AccountRow, start: date, end: date
) -> pb.GetComplianceReportResponse:
    """The report of ``account`` over UTC days [start, end); see the module docstring."""
    lo, hi, lo_ns, hi_ns, limit = _at(start), _at(end), _ns(start), _ns(end), MAX_ROWS + 1
    orders = _capped(await store.orders(account.id, lo, hi, limit), "orders")
    all_fills = await store.fills_until(account.id, hi)
    fills = _capped([f for f in all_fills if f.fill_time >= lo], "fills")
    decision_rows = await store.decisions(account.id, lo_ns, hi_ns, limit)
    decisions = [_decision(r) for r in _capped(decision_rows, "decisions")]
    states = _capped(await store.state_changes(account.id, lo, hi, limit), "state changes")
    kills = _capped(await store.kill_switch(account.id, lo_ns, hi_ns, limit), "kill switch pulls")
    days_list = [start + timedelta(days=i) for i in range((end - start).days)]
    opening, closes = replay(all_fills, account.initial_cash, days_list)
    days, positions = _days(closes, opening, orders, decisions)
    report = pb.GetComplianceReportResponse(
        account_id=str(account.id),
        owner_id=account.owner,
        account_name=account.name,
        mode=pb.AccountMode.Value(f"ACCOUNT_MODE_{account.mode}"),
        base_currency=account.base_currency,
        from_date=start.isoformat(),
        to_date=end.isoformat(),
        orders=[convert.order(o) for o in orders],
        decisions=decisions,
        fills=[_fill(f) for f in fills],
        days=days,
        positions=_capped(positions, "end-of-day positions"),
        state_changes=[convert.state(s, s.scope, s.scope_id) for s in states],
        kill_switch_events=[_kill(k) for k in kills],
        promotion_approvals_note=PROMOTION_NOTE,
    )
    report.totals.CopyFrom(_totals(report))
    span = await store.audit_span(account.id, lo_ns, hi_ns)
    if span is None:
        report.chain.CopyFrom(pb.ChainVerification(valid=True))
    else:
        report.chain.CopyFrom(await _chain(reader, span))
    return report
