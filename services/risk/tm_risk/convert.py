"""Records and audit bodies to risk.v1 messages (the service's only proto construction)."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from google.protobuf import json_format
from trademaster.api.risk.v1 import risk_pb2 as pb
from trademaster.risk.book import AccountBook, InstrumentBook
from trademaster.risk.model import TradingState, Verdict

from tm_risk.records import AccountRow, LimitsRow, OrderRow, StateRow
from tm_risk.writer import Appended

SIDE = {"BUY": pb.ORDER_SIDE_BUY, "SELL": pb.ORDER_SIDE_SELL}
TYPE = {"MARKET": pb.ORDER_TYPE_MARKET, "LIMIT": pb.ORDER_TYPE_LIMIT}
TIF = {
    "DAY": pb.TIME_IN_FORCE_DAY,
    "GTC": pb.TIME_IN_FORCE_GTC,
    "IOC": pb.TIME_IN_FORCE_IOC,
    "FOK": pb.TIME_IN_FORCE_FOK,
}
SCOPE = {
    "GLOBAL": pb.SCOPE_GLOBAL,
    "ACCOUNT": pb.SCOPE_ACCOUNT,
    "DEPLOYMENT": pb.SCOPE_DEPLOYMENT,
    "INSTRUMENT": pb.SCOPE_INSTRUMENT,
}


def num(value: float | Decimal | None) -> str:
    """Decimal string of a number; empty for None/NaN/inf (the API's "not set")."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value else "0"
    if not math.isfinite(value):
        return ""
    text = f"{value:.10f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def stamp(target: Any, value: datetime | None) -> None:
    if value is not None:
        target.FromDatetime(value)


def state_enum(name: str) -> pb.TradingState:
    return pb.TradingState.Value(f"TRADING_STATE_{name}") if name else pb.TRADING_STATE_UNSPECIFIED


def order(row: OrderRow) -> pb.Order:
    msg = pb.Order(
        client_order_id=row.client_order_id,
        account_id=str(row.account_id),
        instrument_id=row.instrument_id,
        side=SIDE[row.side],
        order_type=TYPE[row.order_type],
        quantity=num(row.quantity),
        limit_price=num(row.limit_price),
        time_in_force=TIF[row.time_in_force],
        status=pb.OrderStatus.Value(f"ORDER_STATUS_{row.status}"),
        filled_quantity=num(row.filled_quantity),
        average_fill_price=num(row.avg_fill_price),
        decision_id=str(row.decision_id),
        broker_order_id=row.broker_order_id,
        reduce_only=row.reduce_only,
        deployment_id=row.deployment_id,
        model_version=row.model_version,
        status_reason=row.status_reason,
    )
    stamp(msg.create_time, row.created_at)
    stamp(msg.update_time, row.updated_at)
    return msg


def decision_body(
    verdict: Verdict,
    fields: dict[str, Any],
    account_id: str,
    actor: str,
    dry_run: bool,
    limits_version: int,
    decide_ns: int,
) -> dict[str, Any]:
    """The audit body of a decision: everything needed to explain it later."""
    return {
        "decision": "ALLOW" if verdict.allowed else "DENY",
        "dry_run": dry_run,
        "account_id": account_id,
        "actor": actor,
        "order": {
            k: (num(v) if isinstance(v, Decimal) else ("" if v is None else v))
            for k, v in fields.items()
        },
        "trading_state": verdict.state.name,
        "violations": [
            [v.reason, v.message, num(v.value), num(v.limit)] for v in verdict.violations
        ],
        "checks": [[c[0], c[1], c[2], num(c[3]), num(c[4])] for c in verdict.checks],
        "reference_price": num(verdict.reference_price),
        "reference_age_ns": verdict.reference_age_ns,
        "position_before": num(verdict.position_before),
        "position_after": num(verdict.position_after),
        "gross_before": num(verdict.gross_before),
        "gross_after": num(verdict.gross_after),
        "latency_ns": verdict.latency_ns,
        "limits_version": limits_version,
        "decide_ns": decide_ns,
    }


def decision(body: dict[str, Any], link: Appended, row: OrderRow | None = None) -> pb.OrderDecision:
    o = body["order"]
    msg = pb.OrderDecision(
        decision_id=body["entry_id"],
        decision=pb.DECISION_ALLOW if body["decision"] == "ALLOW" else pb.DECISION_DENY,
        violations=[
            pb.Violation(reason=r, message=m, value=v, limit=lim)
            for r, m, v, lim in body["violations"]
        ],
        trading_state=state_enum(body["trading_state"]),
        dry_run=body["dry_run"],
        sequence=link.seq,
        actor=body["actor"],
        reference_price=body["reference_price"],
        position_before=body["position_before"],
        position_after=body["position_after"],
        gross_exposure_before=body["gross_before"],
        gross_exposure_after=body["gross_after"],
        checks=[
            pb.CheckResult(check=c, passed=p, reason=r, value=v, limit=lim)
            for c, p, r, v, lim in body["checks"]
        ],
        limits_version=body["limits_version"],
        prev_hash=link.prev_hash,
        entry_hash=link.entry_hash,
    )
    msg.decide_time.FromNanoseconds(body["decide_ns"])
    msg.reference_price_age.FromNanoseconds(body["reference_age_ns"])
    msg.check_latency.FromNanoseconds(body["latency_ns"])
    if row is not None:
        msg.order.CopyFrom(order(row))
    else:
        msg.order.CopyFrom(
            pb.Order(
                client_order_id=o["client_order_id"],
                account_id=body["account_id"],
                instrument_id=o["instrument_id"],
                side=SIDE[o["side"]],
                order_type=TYPE[o["order_type"]],
                quantity=o["quantity"],
                limit_price=o["limit_price"],
                time_in_force=TIF[o["time_in_force"]],
                reduce_only=o["reduce_only"],
                deployment_id=o["deployment_id"],
                model_version=o["model_version"],
            )
        )
    return msg


def decision_from_row(body_text: str, seq: int, prev: str, digest: str) -> pb.OrderDecision:
    return decision(json.loads(body_text), Appended(seq, prev, digest))


def state(row: StateRow | None, scope: str, scope_id: str) -> pb.TradingStateRecord:
    if row is None:
        return pb.TradingStateRecord(
            scope=SCOPE[scope], scope_id=scope_id, trading_state=pb.TRADING_STATE_ACTIVE
        )
    msg = pb.TradingStateRecord(
        scope=SCOPE[row.scope],
        scope_id=row.scope_id,
        trading_state=state_enum(row.state),
        previous_state=state_enum(row.previous_state),
        reason=row.reason,
        updated_by=row.updated_by,
        change_id=str(row.change_id),
    )
    stamp(msg.update_time, row.updated_at)
    stamp(msg.cooldown_until, row.cooldown_until)
    return msg


def limits(row: LimitsRow) -> pb.RiskLimits:
    msg = pb.RiskLimits()
    json_format.ParseDict(row.body, msg)
    msg.version = row.version
    msg.updated_by = row.updated_by
    stamp(msg.update_time, row.updated_at)
    return msg


def account(row: AccountRow, book: AccountBook, trading_state: TradingState) -> pb.Account:
    unrealized = book.unrealized_pnl()
    realized = sum(b.realized_pnl for b in book.instruments.values())
    msg = pb.Account(
        account_id=str(row.id),
        owner_id=row.owner,
        name=row.name,
        mode=pb.AccountMode.Value(f"ACCOUNT_MODE_{row.mode}"),
        base_currency=row.base_currency,
        broker=row.broker,
        initial_cash=num(row.initial_cash),
        cash=num(book.cash),
        equity=num(book.equity),
        trading_state=state_enum(trading_state.name),
        realized_pnl=num(realized),
        unrealized_pnl=num(unrealized),
        day_start_equity=num(row.day_start_equity),
        high_water_mark=num(row.high_water_mark),
    )
    stamp(msg.create_time, row.created_at)
    return msg


def position(
    account_id: str, instrument_id: str, ib: InstrumentBook, updated: datetime | None = None
) -> pb.Position:
    price = ib.price if ib.price == ib.price else None
    msg = pb.Position(
        account_id=account_id,
        instrument_id=instrument_id,
        quantity=num(ib.position),
        average_price=num(ib.average_price),
        market_price=num(price),
        market_value=num(None if price is None else ib.position * price),
        unrealized_pnl=num(None if price is None else ib.position * (price - ib.average_price)),
        realized_pnl=num(ib.realized_pnl),
        working_buy_quantity=num(ib.working_buy),
        working_sell_quantity=num(ib.working_sell),
    )
    stamp(msg.update_time, updated or datetime.now(UTC))
    return msg


def instrument(row: dict[str, Any]) -> pb.Instrument:
    msg = pb.Instrument(
        instrument_id=row["instrument_id"],
        tick_size=num(row["tick_size"]),
        lot_size=num(row["lot_size"]),
        min_quantity=num(row["min_quantity"]),
        max_quantity=num(row["max_quantity"]),
        min_notional=num(row["min_notional"]),
        disabled=not row["enabled"],
    )
    stamp(msg.update_time, row["updated_at"])
    return msg
