"""The stateless rule groups of the engine, in check order; each appends to ``checks`` and, on a
denial, to ``violations`` (plain lists and tuples: the engine runs ~17 rules per order)."""

from __future__ import annotations

import math

from trademaster.risk import reasons as R
from trademaster.risk.book import AccountBook, InstrumentBook
from trademaster.risk.model import (
    BUY,
    INF,
    Check,
    InstrumentRules,
    Limits,
    OrderIntent,
    TradingState,
    Violation,
)

NAN = math.nan
EPS = 1e-9


def num(value: float) -> str:
    return f"{value:.10g}"


def multiple(value: float, step: float) -> bool:
    ratio = value / step
    return abs(ratio - round(ratio)) <= EPS * max(1.0, abs(ratio))


def deny(
    checks: list[Check],
    violations: list[Violation],
    check: str,
    reason: str,
    value: float,
    limit: float,
    message: str,
) -> None:
    checks.append((check, False, reason, value, limit))
    violations.append(Violation(reason, message, value, limit))


def reducing_violation(
    position: float, working_buy: float, working_sell: float, side: int, quantity: float
) -> str | None:
    """Why an order fails the REDUCING rule, or None when it passes.

    Passes only if |position after, counting working orders on the order's side| is not larger
    than |position| and keeps its sign; when flat nothing passes.
    """
    if position == 0:
        return "account is flat in this instrument, every order would open a position"
    if (position > 0) == (side == BUY):
        return f"order would increase |position| {num(abs(position))}"
    after = (
        position - working_sell - quantity if position > 0 else position + working_buy + quantity
    )
    if (after < -EPS) if position > 0 else (after > EPS):
        return (
            f"position {num(position)} after this order and working orders would be "
            f"{num(after)}: the sign would flip"
        )
    return None


def state_rule(
    checks: list[Check],
    violations: list[Violation],
    state: TradingState,
    order: OrderIntent,
    pos: float,
    wb: float,
    ws: float,
) -> None:
    """1. Trading state (HALTED, REDUCING) and the reduce-only flag."""
    if state is TradingState.HALTED and not order.reduce_only:
        deny(
            checks,
            violations,
            "trading_state",
            R.TRADING_HALTED,
            NAN,
            NAN,
            "trading is HALTED: only reduce-only exits are accepted",
        )
    elif state is not TradingState.ACTIVE or order.reduce_only:
        why = reducing_violation(pos, wb, ws, order.side, order.quantity)
        if why is None:
            checks.append(("trading_state", True, "", pos, NAN))
        elif state is TradingState.ACTIVE:
            deny(
                checks,
                violations,
                "reduce_only",
                R.REDUCE_ONLY_WOULD_INCREASE,
                pos,
                NAN,
                f"reduce-only order rejected: {why}",
            )
        else:
            deny(
                checks,
                violations,
                "trading_state",
                R.TRADING_STATE_REDUCING,
                pos,
                NAN,
                f"trading is {state.name}: {why}",
            )
    else:
        checks.append(("trading_state", True, "", NAN, NAN))


def instrument_rules(
    checks: list[Check],
    violations: list[Violation],
    rules: InstrumentRules | None,
    limits: Limits,
    order: OrderIntent,
) -> None:
    """2. Instrument known, enabled, allowed; quantity bounds; lot and tick multiples."""
    iid, qty = order.instrument_id, order.quantity
    if rules is None:
        deny(
            checks,
            violations,
            "instrument",
            R.INSTRUMENT_UNKNOWN,
            NAN,
            NAN,
            f"instrument {iid!r} is not known",
        )
        return
    if not rules.enabled:
        deny(
            checks,
            violations,
            "instrument",
            R.INSTRUMENT_DISABLED,
            NAN,
            NAN,
            f"instrument {iid!r} is disabled",
        )
        return
    if limits.allowed_instruments and iid not in limits.allowed_instruments:
        deny(
            checks,
            violations,
            "instrument",
            R.INSTRUMENT_NOT_ALLOWED,
            NAN,
            NAN,
            f"instrument {iid!r} is not in the account's allowed instruments",
        )
        return
    checks.append(("instrument", True, "", NAN, NAN))
    min_qty = rules.min_quantity or rules.lot_size
    if qty < min_qty - EPS:
        deny(
            checks,
            violations,
            "min_quantity",
            R.QUANTITY_BELOW_MIN,
            qty,
            min_qty,
            f"quantity {num(qty)} is below the minimum {num(min_qty)}",
        )
    elif qty > rules.max_quantity + EPS:
        deny(
            checks,
            violations,
            "max_quantity",
            R.QUANTITY_ABOVE_MAX,
            qty,
            rules.max_quantity,
            f"quantity {num(qty)} is above the instrument maximum {num(rules.max_quantity)}",
        )
    else:
        checks.append(("quantity_bounds", True, "", qty, min_qty))
    if multiple(qty, rules.lot_size):
        checks.append(("lot_size", True, "", qty, rules.lot_size))
    else:
        deny(
            checks,
            violations,
            "lot_size",
            R.QUANTITY_NOT_LOT_MULTIPLE,
            qty,
            rules.lot_size,
            f"quantity {num(qty)} is not a multiple of the lot size {num(rules.lot_size)}",
        )
    lp = order.limit_price
    if lp is not None:
        if multiple(lp, rules.tick_size):
            checks.append(("tick_size", True, "", lp, rules.tick_size))
        else:
            deny(
                checks,
                violations,
                "tick_size",
                R.PRICE_NOT_TICK_MULTIPLE,
                lp,
                rules.tick_size,
                f"limit price {num(lp)} is not a multiple of the tick size {num(rules.tick_size)}",
            )


def reference_rules(
    checks: list[Check],
    violations: list[Violation],
    limits: Limits,
    order: OrderIntent,
    ref: float,
    age_ns: int,
) -> bool:
    """3. Reference price present and fresh; price collar. True when the price is usable."""
    if ref != ref:
        deny(
            checks,
            violations,
            "reference_price",
            R.REFERENCE_PRICE_MISSING,
            NAN,
            NAN,
            f"no reference price for {order.instrument_id!r}",
        )
        return False
    max_age = limits.max_reference_age_ns
    if age_ns > max_age:
        deny(
            checks,
            violations,
            "reference_price",
            R.REFERENCE_PRICE_STALE,
            age_ns / 1e6,
            max_age / 1e6,
            f"reference price is {age_ns / 1e6:.0f} ms old, older than {max_age / 1e6:.0f} ms",
        )
        return True
    checks.append(("reference_price", True, "", age_ns / 1e6, max_age / 1e6))
    lp, collar = order.limit_price, limits.price_collar_bps
    if lp is not None and collar != INF:
        dist = abs(lp - ref) / ref * 1e4
        if dist > collar + EPS:
            deny(
                checks,
                violations,
                "price_collar",
                R.PRICE_COLLAR_BREACHED,
                dist,
                collar,
                f"limit price {num(lp)} is {dist:.1f} bps from the reference {num(ref)}, "
                f"collar is {num(collar)} bps",
            )
        else:
            checks.append(("price_collar", True, "", dist, collar))
    return True


def notional_rules(
    checks: list[Check],
    violations: list[Violation],
    limits: Limits,
    rules: InstrumentRules | None,
    order: OrderIntent,
    ref: float,
) -> None:
    """4b. Minimum and maximum order notional (limit price, else reference price)."""
    price = order.limit_price if order.limit_price is not None else ref
    notional = order.quantity * price
    if rules is not None and notional < rules.min_notional - EPS:
        deny(
            checks,
            violations,
            "min_notional",
            R.NOTIONAL_BELOW_MIN,
            notional,
            rules.min_notional,
            f"order notional {notional:.2f} is below the minimum {num(rules.min_notional)}",
        )
    if notional > limits.max_order_notional + EPS:
        deny(
            checks,
            violations,
            "max_order_notional",
            R.ORDER_NOTIONAL_EXCEEDED,
            notional,
            limits.max_order_notional,
            f"order notional {notional:.2f} exceeds the limit {num(limits.max_order_notional)}",
        )
    else:
        checks.append(("max_order_notional", True, "", notional, limits.max_order_notional))


def exposure_rules(
    checks: list[Check],
    violations: list[Violation],
    book: AccountBook,
    limits: Limits,
    ib: InstrumentBook | None,
    order: OrderIntent,
    ref: float,
) -> float:
    """5-6. Post-trade position, gross and net exposure (working orders counted), buying power
    / leverage. Returns the gross exposure after the order."""
    side, qty, iid = order.side, order.quantity, order.instrument_id
    pos = ib.position if ib is not None else 0.0
    wb = ib.working_buy if ib is not None else 0.0
    ws = ib.working_sell if ib is not None else 0.0
    if side == BUY:
        worst = max(abs(pos + wb + qty), abs(pos - ws))
    else:
        worst = max(abs(pos + wb), abs(pos - ws - qty))
    caps = limits.max_position
    cap = caps.get(iid, caps.get("*", INF)) if caps else INF
    if worst > cap + EPS:
        deny(
            checks,
            violations,
            "max_position",
            R.POSITION_LIMIT_EXCEEDED,
            worst,
            cap,
            f"|position| incl. working orders would be {num(worst)}, limit {num(cap)}",
        )
    else:
        checks.append(("max_position", True, "", worst, cap))
    gross_before = book.gross_exposure
    gross_after = gross_before - (ib.gross if ib is not None else 0.0) + worst * ref
    limit = limits.max_gross_exposure
    if gross_after > limit + EPS and gross_after > gross_before:
        deny(
            checks,
            violations,
            "max_gross_exposure",
            R.GROSS_EXPOSURE_EXCEEDED,
            gross_after,
            limit,
            f"gross exposure would be {gross_after:.2f}, limit {num(limit)}",
        )
    else:
        checks.append(("max_gross_exposure", True, "", gross_after, limit))
    net, wbv, wsv = book.net_value, book.working_buy_value, book.working_sell_value
    if side == BUY:
        net_after = max(abs(net + wbv + qty * ref), abs(net - wsv))
    else:
        net_after = max(abs(net + wbv), abs(net - wsv - qty * ref))
    limit = limits.max_net_exposure
    if net_after > limit + EPS and net_after > book.net_exposure_worst:
        deny(
            checks,
            violations,
            "max_net_exposure",
            R.NET_EXPOSURE_EXCEEDED,
            net_after,
            limit,
            f"|net exposure| would be {net_after:.2f}, limit {num(limit)}",
        )
    else:
        checks.append(("max_net_exposure", True, "", net_after, limit))
    equity = book.equity
    leverage = 1.0 if limits.max_leverage is None else limits.max_leverage
    capacity = max(equity, 0.0) * leverage
    if gross_after > gross_before + EPS and gross_after > capacity + EPS:
        if limits.max_leverage is None:
            deny(
                checks,
                violations,
                "buying_power",
                R.INSUFFICIENT_BUYING_POWER,
                gross_after,
                capacity,
                f"exposure incl. working orders would be {gross_after:.2f}, buying "
                f"power (equity) is {capacity:.2f}",
            )
        else:
            lev = gross_after / equity if equity > 0 else INF
            deny(
                checks,
                violations,
                "leverage",
                R.LEVERAGE_EXCEEDED,
                lev,
                leverage,
                f"leverage would be {lev:.3f}, limit {num(leverage)}",
            )
    else:
        checks.append(("buying_power", True, "", gross_after, capacity))
    return gross_after
